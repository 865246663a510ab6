package scaler_test

// ApplyAll and Review with a real schedule (package schedules) on a
// platform that behaves (scaler.FakePlatform), on clocks the tests move.

import (
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scalerdev/scaler/scaler"
	"github.com/scalerdev/scaler/schedules"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func fleet(t testing.TB, text string) *schedules.Fleet {
	t.Helper()
	s, err := schedules.ParseEnv(text)
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.Fleet("demo")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// A nightly job whose run takes 50 s, started from a 02:00-05:00 window by
// applies every 10 minutes, each run twice (Scheduler's duplicates), over
// three nights, with the dyno's clock 2 minutes ahead of the platform's or
// behind it: one start per occurrence. Judged by the dyno's clock, the job
// would start twice a night when the dyno is ahead: its start and its
// scale-down, stamped by the platform, fall before the window opened.
func TestOneStartPerOccurrenceWhateverTheDynosClock(t *testing.T) {
	t.Parallel()
	sched := fleet(t, "nightly daily 02:00-05:00 once")
	night := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name  string
		skew  time.Duration // the dyno's clock minus the platform's
		dynos bool          // decide by the dyno's clock, as apply once did
		want  int           // starts per night
	}{
		{"the dyno's clock 2m ahead", 2 * time.Minute, false, 1},
		{"the dyno's clock 2m behind", -2 * time.Minute, false, 1},
		{"judged by the dyno's clock, 2m ahead (the bug this prevents)", 2 * time.Minute, true, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			platform := scaler.NewManualClock(night)
			dyno := func() time.Time { return platform.Now().Add(tt.skew) }
			f := scaler.NewFakePlatform(platform.Now, map[string]scaler.Formation{"demo": {{Type: "nightly", Size: "Standard-1X", UpdatedAt: night.Add(-24 * time.Hour)}}})
			svc := &scaler.Service{Platform: f, Log: quiet, Now: dyno}
			starts := map[int]int{} // by night
			for k := range 3 {
				// Runs every 10 minutes, each 30 s into the dyno's minute:
				// ahead, the first run in the window by the dyno's clock is
				// 90 s before it by the platform's.
				for step := time.Duration(0); step < 7*time.Hour; step += 10 * time.Minute {
					platform.Set(night.AddDate(0, 0, k).Add(step + 30*time.Second - tt.skew))
					for range 2 { // a duplicate
						clock := scaler.Clock{Began: dyno()}
						if tt.dynos {
							clock = scaler.Clock{At: dyno()}
						}
						res := svc.ApplyAll(t.Context(), []string{"demo"}, sched, scaler.ApplyOptions{Clock: clock, Concurrency: 1})
						if res[0].Err != nil {
							t.Fatal(res[0].Err)
						}
						if len(res[0].Plan.Changes) > 0 {
							starts[k]++
							// The job runs 50 s, and its scale-down lands.
							platform.Advance(50 * time.Second)
							f.Set("demo", "nightly", 0)
						}
						platform.Advance(time.Second)
					}
				}
			}
			for k := range 3 {
				if starts[k] != tt.want {
					t.Errorf("night %d: %d starts, want %d", k, starts[k], tt.want)
				}
			}
		})
	}
}

// Review, case by case: what apply says of an app beyond its changes.
func TestReview(t *testing.T) {
	t.Parallel()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	local := func(wall string) time.Time {
		t, err := time.ParseInLocation("2006-01-02 15:04", wall, berlin)
		if err != nil {
			panic(err)
		}
		return t
	}
	const office = "timezone Europe/Berlin; web Mon-Fri 08:00-20:00 3; web default 1"
	const nightly = "timezone Europe/Berlin; nightly daily 02:00-05:00 once"
	type proc struct {
		typ     string
		n       int
		changed string // local wall time of updated_at
	}
	tests := []struct {
		name   string
		sched  string
		form   []proc
		at     string // local wall time, of the platform's clock
		dry    bool
		events []string // each "kind: detail"
		jobs   []string // each "type: text"
	}{
		{name: "an edge healed late",
			sched: office, form: []proc{{"web", 1, "2026-11-22 10:00"}}, at: "2026-11-23 08:25",
			events: []string{"missed_edge_healed: the edge at Mon 2026-11-23 08:00 CET (line 2: 3 dynos) was applied 25m0s late"}},
		{name: "a person's change undone, with no edge ahead: no edge was missed",
			sched: "timezone Europe/Berlin; web 2025-12-01 3; web default 1", form: []proc{{"web", 6, "2026-11-23 14:00"}}, at: "2026-11-23 14:10"},
		{name: "an edge met within the interval: nothing",
			sched: office, form: []proc{{"web", 1, "2026-11-22 10:00"}}, at: "2026-11-23 08:05"},
		{name: "a kept change, less than a day old: nothing",
			sched: office, form: []proc{{"web", 6, "2026-11-23 14:00"}}, at: "2026-11-23 14:10"},
		{name: "a kept change, a day old in the interval before: told, with when the schedule takes over",
			sched: "timezone Europe/Berlin; web Sat,Sun 2; web default 1", form: []proc{{"web", 5, "2026-11-28 01:00"}}, at: "2026-11-29 01:15",
			events: []string{"change_kept_long: web is at 5 (Standard-1X) since Sat 2026-11-28 01:00 CET, 1d0h ago, where line 2 asks for 2 dynos; the schedule takes over again at Mon 2026-11-30 00:00 CET (line 3: 1 dyno)"}},
		{name: "a kept change, a day old in this very interval: told by the next apply",
			sched: "timezone Europe/Berlin; web Sat,Sun 2; web default 1", form: []proc{{"web", 5, "2026-11-28 01:00"}}, at: "2026-11-29 01:05"},
		{name: "a kept change, a day and more old: told already",
			sched: "timezone Europe/Berlin; web Sat,Sun 2; web default 1", form: []proc{{"web", 5, "2026-11-28 01:00"}}, at: "2026-11-29 01:25"},
		{name: "a kept change whose rule ends without a rule after it",
			sched: "timezone Europe/Berlin; web Sat,Sun 2", form: []proc{{"web", 5, "2026-11-28 01:00"}}, at: "2026-11-29 01:15",
			events: []string{"change_kept_long: web is at 5 (Standard-1X) since Sat 2026-11-28 01:00 CET, 1d0h ago, where line 2 asks for 2 dynos; line 2 ends at Mon 2026-11-30 00:00 CET, and no rule follows: web stays as it is"}},
		{name: "a window missed, not said by an apply in the interval of its close",
			sched: nightly, form: []proc{{"nightly", 0, "2026-11-30 10:00"}}, at: "2026-12-01 05:05",
			jobs: []string{"nightly: waiting for the window (opens 02:00 CET tomorrow)"}},
		{name: "a window missed, said by the apply of the interval after its close",
			sched: nightly, form: []proc{{"nightly", 0, "2026-11-30 10:00"}}, at: "2026-12-01 05:15",
			events: []string{"window_missed: the window from Tue 2026-12-01 02:00 CET to 05:00 CET (line 2: nightly daily 02:00-05:00 once) closed, and the job never started"},
			jobs:   []string{"nightly: waiting for the window (opens 02:00 CET tomorrow)"}},
		{name: "a window missed, not said again by the next apply",
			sched: nightly, form: []proc{{"nightly", 0, "2026-11-30 10:00"}}, at: "2026-12-01 05:25",
			jobs: []string{"nightly: waiting for the window (opens 02:00 CET tomorrow)"}},
		{name: "a window whose job ran: nothing missed",
			sched: nightly, form: []proc{{"nightly", 0, "2026-12-01 02:41"}}, at: "2026-12-01 05:15",
			jobs: []string{"nightly: waiting for the window (opens 02:00 CET tomorrow)"}},
		{name: "a job started now",
			sched: nightly, form: []proc{{"nightly", 0, "2026-11-30 10:00"}}, at: "2026-12-01 02:03",
			jobs: []string{"nightly: started (run nightly-20261201T010300Z)"}},
		{name: "a job a dry run would start",
			sched: nightly, form: []proc{{"nightly", 0, "2026-11-30 10:00"}}, at: "2026-12-01 02:03", dry: true,
			jobs: []string{"nightly: in its window, not run yet: would start"}},
		{name: "a job that runs",
			sched: nightly, form: []proc{{"nightly", 1, "2026-12-01 02:03"}}, at: "2026-12-01 02:13",
			jobs: []string{"nightly: running since 02:03 CET (run nightly-20261201T010300Z)"}},
		{name: "a job that ran in this window",
			sched: nightly, form: []proc{{"nightly", 0, "2026-12-01 02:41"}}, at: "2026-12-01 02:53",
			jobs: []string{"nightly: ran in this window (done 02:41 CET)"}},
		{name: "a job that runs past its window",
			sched: nightly, form: []proc{{"nightly", 1, "2026-12-01 04:58"}}, at: "2026-12-01 05:10",
			jobs: []string{"nightly: running since 04:58 CET (run nightly-20261201T035800Z)"}},
		{name: "a job whose windows are over",
			sched: "timezone Europe/Berlin; nightly 2025-12-24 02:00-05:00 once", form: []proc{{"nightly", 0, "2025-12-24 02:50"}}, at: "2026-12-01 05:10",
			jobs: []string{"nightly: outside its windows"}},
		{name: "a job whose next window is weeks away",
			sched: "timezone Europe/Berlin; nightly 2026-12-24 02:00-05:00 once", form: []proc{{"nightly", 0, "2025-12-24 02:50"}}, at: "2026-12-01 05:10",
			jobs: []string{"nightly: waiting for the window (opens Thu 2026-12-24 02:00 CET)"}},
		{name: "windows that overlap without end",
			sched: "nightly daily 00:00-13:00 once; nightly daily 12:00-01:00 once", form: []proc{{"nightly", 0, "2025-12-24 02:50"}}, at: "2026-12-01 05:10",
			jobs: []string{"nightly: its windows overlap without end, so its job never starts"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := local(tt.at)
			clock := scaler.NewManualClock(at)
			var form scaler.Formation
			for _, p := range tt.form {
				form = append(form, scaler.Process{Type: p.typ, Quantity: p.n, Size: "Standard-1X", UpdatedAt: local(p.changed)})
			}
			sched := fleet(t, tt.sched)
			f := scaler.NewFakePlatform(clock.Now, map[string]scaler.Formation{"demo": form})
			svc := &scaler.Service{Platform: f, Log: quiet, Now: clock.Now}
			res := svc.ApplyAll(t.Context(), []string{"demo"}, sched, scaler.ApplyOptions{Clock: scaler.Clock{Began: at}, Concurrency: 1, DryRun: tt.dry})
			if res[0].Err != nil {
				t.Fatal(res[0].Err)
			}
			rev := scaler.Review(res[0], sched, 10*time.Minute)
			var events, jobs []string
			for _, e := range rev.Events() {
				events = append(events, e.Kind+": "+e.Detail)
			}
			for _, j := range rev.Jobs {
				jobs = append(jobs, j.Type+": "+j.String())
			}
			if !slices.Equal(events, tt.events) {
				t.Errorf("events:\n%s\nwant:\n%s", strings.Join(events, "\n"), strings.Join(tt.events, "\n"))
			}
			if !slices.Equal(jobs, tt.jobs) {
				t.Errorf("jobs:\n%s\nwant:\n%s", strings.Join(jobs, "\n"), strings.Join(tt.jobs, "\n"))
			}
		})
	}
}

// Tells gives each condition to exactly one of Scheduler's runs, however
// late in its interval each run comes: runs every 10 minutes, each some
// seconds to minutes after its interval starts (a dyno boots), and
// conditions at every few seconds between them.
func TestTellsEachConditionOnce(t *testing.T) {
	t.Parallel()
	const every = 10 * time.Minute
	start := time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	var runs []time.Time
	for k := range 30 {
		late := time.Duration(rng.Int64N(int64(every)))
		if k%3 == 0 {
			late = time.Duration(rng.Int64N(int64(5 * time.Second))) // most runs come seconds late
		}
		runs = append(runs, start.Add(time.Duration(k)*every+late))
	}
	for began := start; began.Before(runs[len(runs)-2]); began = began.Add(7 * time.Second) {
		var tellers []string
		for _, at := range runs {
			if scaler.Tells(began, at, every) {
				tellers = append(tellers, at.Format(time.TimeOnly))
				if at.Before(began) {
					t.Errorf("the run at %s tells of a condition that began at %s, later", at.Format(time.TimeOnly), began.Format(time.TimeOnly))
				}
			}
		}
		if len(tellers) != 1 {
			t.Errorf("a condition that began at %s is told by %d runs: %v", began.Format(time.TimeOnly), len(tellers), tellers)
		}
	}
}

// Each condition that lasts is said once: a kept change once a day, a
// missed window by one apply, over a weekend of applies every 10 minutes,
// 5 minutes past each tenth.
func TestEachConditionSaidOnce(t *testing.T) {
	t.Parallel()
	sched := fleet(t, "timezone Europe/Berlin; web Mon-Fri 08:00-20:00 3; web default 1; nightly daily 02:00-03:00 once")
	berlin, _ := time.LoadLocation("Europe/Berlin")
	start := time.Date(2026, 11, 28, 0, 5, 0, 0, berlin) // a Saturday
	clock := scaler.NewManualClock(start)
	f := scaler.NewFakePlatform(clock.Now, map[string]scaler.Formation{"demo": {
		{Type: "web", Quantity: 1, Size: "Standard-1X", UpdatedAt: start.Add(-24 * time.Hour)},
		{Type: "nightly", Size: "Standard-1X", UpdatedAt: start.Add(-24 * time.Hour)},
	}})
	svc := &scaler.Service{Platform: f, Log: quiet, Now: clock.Now}
	counts := map[string]int{}
	var said []string
	for step := time.Duration(0); step <= 56*time.Hour; step += 10 * time.Minute {
		now := start.Add(step)
		clock.Set(now)
		if now.Equal(time.Date(2026, 11, 28, 10, 5, 0, 0, berlin)) {
			f.Set("demo", "web", 5) // a person, on Saturday morning
		}
		// Scheduler skips every run of Sunday's window.
		if now.Weekday() == time.Sunday && now.Hour() == 2 {
			continue
		}
		res := svc.ApplyAll(t.Context(), []string{"demo"}, sched, scaler.ApplyOptions{Clock: scaler.Clock{Began: now}, Concurrency: 1})
		if res[0].Err != nil {
			t.Fatal(res[0].Err)
		}
		for _, e := range scaler.Review(res[0], sched, 10*time.Minute).Events() {
			counts[e.Kind]++
			said = append(said, fmt.Sprintf("%s %s: %s", now.Format("Mon 15:04"), e.Kind, e.Detail))
		}
		if f.Find("demo", "nightly").Quantity == 1 {
			clock.Advance(50 * time.Second) // the job's run
			f.Set("demo", "nightly", 0)
		}
	}
	want := map[string]int{scaler.KindChangeKeptLong: 1, scaler.KindWindowMissed: 1}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("said %v, want %v:\n%s", counts, want, strings.Join(said, "\n"))
	}
	// Monday 08:00, the next edge: the schedule took over again.
	if got := f.Find("demo", "web").Quantity; got != 3 {
		t.Errorf("web at %d on Monday morning, want 3", got)
	}
}

// BenchmarkReview measures what apply decides and says for one app beyond
// its read and write: its wants, its plan, and the review, with a job whose
// next window is a day away, or none ahead (the review looks a year ahead).
//
//	go test ./scaler -run '^$' -bench BenchmarkReview
func BenchmarkReview(b *testing.B) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, bb := range []struct{ name, sched string }{
		{"daily window", "timezone Europe/Berlin; web Mon-Fri 08:00-20:00 3; web default 1; nightly daily 02:00-05:00 once"},
		{"no window ahead", "timezone Europe/Berlin; web Mon-Fri 08:00-20:00 3; web default 1; nightly 2025-12-24 02:00-05:00 once"},
	} {
		b.Run(bb.name, func(b *testing.B) {
			sched := fleet(b, bb.sched)
			f := scaler.NewFakePlatform(func() time.Time { return at }, map[string]scaler.Formation{"demo": {
				{Type: "web", Quantity: 3, Size: "Standard-1X", UpdatedAt: at.Add(-time.Hour)},
				{Type: "nightly", Size: "Standard-1X", UpdatedAt: at.Add(-time.Hour)},
			}})
			svc := &scaler.Service{Platform: f, Log: quiet, Now: func() time.Time { return at }}
			for b.Loop() {
				res := svc.ApplyAll(b.Context(), []string{"demo"}, sched, scaler.ApplyOptions{Clock: scaler.Clock{Began: at}, Concurrency: 1})
				scaler.Review(res[0], sched, 10*time.Minute).Events()
			}
		})
	}
}
