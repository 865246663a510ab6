package scaler_test

// Restart windows through ApplyAll and Review, with a real schedule on a
// platform that behaves (scaler.FakePlatform).

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/scalerdev/scaler/scaler"
)

// nightsOfRestarts runs apply every 10 minutes from 00:00 to 03:00 UTC over
// three nights, each run twice (a Scheduler duplicate, a second later),
// skipping the run at 01:00 on the second night (a skip Scheduler heals by
// the next run), and returns the restarts that landed each night and what
// the applies said, run by run.
func nightsOfRestarts(t *testing.T, sched string, f func(*scaler.FakePlatform)) (perNight []int, said []string) {
	t.Helper()
	fl := fleet(t, sched)
	night := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	clock := scaler.NewManualClock(night)
	p := scaler.NewFakePlatform(clock.Now, map[string]scaler.Formation{"demo": {{Type: "worker", Quantity: 2, Size: "Standard-1X", UpdatedAt: night.AddDate(0, 0, -3)}}})
	p.SetDynos("demo", "worker", 2, night.Add(-9*time.Hour))
	if f != nil {
		f(p)
	}
	svc := &scaler.Service{Platform: p, Log: quiet, Now: clock.Now}
	before := 0
	for k := range 3 {
		for step := time.Duration(0); step <= 3*time.Hour; step += 10 * time.Minute {
			now := night.AddDate(0, 0, k).Add(step)
			if k == 1 && step == time.Hour {
				continue
			}
			for dup := range 2 {
				clock.Set(now.Add(time.Duration(dup) * time.Second))
				res := svc.ApplyAll(t.Context(), []string{"demo"}, fl, scaler.ApplyOptions{Clock: scaler.Clock{Began: clock.Now()}, Concurrency: 1, Every: 10 * time.Minute})
				if res[0].Err != nil {
					t.Fatal(res[0].Err)
				}
				for _, s := range res[0].Restarts {
					said = append(said, fmt.Sprintf("%s %s", clock.Now().Format("Jan 2 15:04:05"), s))
				}
				for _, e := range scaler.Review(res[0], fl, 10*time.Minute).Events() {
					said = append(said, fmt.Sprintf("%s %s: %s", clock.Now().Format("Jan 2 15:04:05"), e.Kind, e.Detail))
				}
			}
		}
		n := p.Restarted("demo", "worker")
		perNight = append(perNight, n-before)
		before = n
	}
	return perNight, said
}

// One restart per occurrence, with Scheduler's skips and duplicates,
// whichever way the platform stamps a restarted dyno.
func TestRestartOncePerOccurrence(t *testing.T) {
	for _, tt := range []struct {
		name  string
		sched string
		f     func(*scaler.FakePlatform)
	}{
		{"a new dyno each restart", "worker daily 01:00-01:30 restart", nil},
		{"created_at kept across a restart (unconfirmed)", "worker daily 01:00-01:30 restart", func(p *scaler.FakePlatform) { p.KeepCreatedAt = true }},
		{"rolling", "worker daily 01:00-01:30 restart:rolling", nil},
		{"rolling, created_at kept", "worker daily 01:00-01:30 restart:rolling", func(p *scaler.FakePlatform) { p.KeepCreatedAt = true }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			perNight, said := nightsOfRestarts(t, tt.sched, tt.f)
			if fmt.Sprint(perNight) != "[2 2 2]" {
				t.Errorf("dyno restarts per night = %v, want 2 (one restart of worker's 2 dynos) each:\n%s", perNight, strings.Join(said, "\n"))
			}
			text := strings.Join(said, "\n")
			how := ""
			if strings.Contains(tt.sched, "rolling") {
				how = " one at a time"
			}
			for _, want := range []string{
				"Dec 1 01:00:00 restarted worker" + how + " (2 dynos)",
				"Dec 1 01:00:01 worker restarted in this window at 01:00 UTC",
				"Dec 2 01:10:00 restarted worker" + how + " (2 dynos)", // the run at 01:00 was skipped
				"Dec 3 01:20:01 worker restarted in this window at 01:00 UTC",
			} {
				if !strings.Contains(text, want) {
					t.Errorf("the applies did not say %q:\n%s", want, text)
				}
			}
			if strings.Contains(text, "missed") || strings.Contains(text, "failed") {
				t.Errorf("a restart failed, or was said missed:\n%s", text)
			}
		})
	}
}

// The API fails every restart of the window: the run of the interval after
// the close's says the restart missed (and its duplicate, a second later),
// and no apply after.
func TestRestartMissed(t *testing.T) {
	_, said := nightsOfRestarts(t, "worker Tue 01:00-01:30 restart", func(p *scaler.FakePlatform) { p.FailRestarts = 1 << 30 })
	var missed []string
	for _, s := range said {
		if strings.Contains(s, scaler.KindRestartMissed) {
			missed = append(missed, s)
		}
	}
	want := "Dec 1 01:40:00 restart_missed: the window from Tue 2026-12-01 01:00 UTC to 01:30 UTC (line 1: worker Tue 01:00-01:30 restart) closed, and worker runs 2 dynos started before it opened: Heroku cycles them a day after their start, which may be during the night's work"
	if len(missed) != 2 || missed[0] != want || missed[1] != strings.Replace(want, "01:40:00", "01:40:01", 1) {
		t.Errorf("said of the missed restart:\n%s\nwant, by the apply at the close and its duplicate:\n%s", strings.Join(missed, "\n"), want)
	}
	if text := strings.Join(said, "\n"); !strings.Contains(text, "Dec 1 01:00:00 worker restart failed: the next apply in the window tries again") {
		t.Errorf("the applies did not say the restart failed:\n%s", text)
	}
}

// A failed restart is the app's failure, and leaves the formation's result
// as it was.
func TestRestartFailure(t *testing.T) {
	fl := fleet(t, "worker daily 01:00-01:30 restart; web default 2")
	at := time.Date(2026, 12, 1, 1, 5, 0, 0, time.UTC)
	p := scaler.NewFakePlatform(func() time.Time { return at }, map[string]scaler.Formation{"demo": {
		{Type: "worker", Quantity: 1, UpdatedAt: at.AddDate(0, 0, -1)}, {Type: "web", Quantity: 1, UpdatedAt: at.AddDate(0, 0, -1)},
	}})
	p.SetDynos("demo", "worker", 1, at.AddDate(0, 0, -1))
	p.FailRestarts = 1
	svc := &scaler.Service{Platform: p, Log: quiet}
	res := svc.ApplyAll(t.Context(), []string{"demo"}, fl, scaler.ApplyOptions{Clock: scaler.Clock{At: at}, Concurrency: 1, Every: 10 * time.Minute})[0]
	if res.Err != nil || len(res.Plan.Changes) != 1 || p.Find("demo", "web").Quantity != 2 {
		t.Errorf("the formation's apply: err %v, changes %v, web at %d; want web scaled to 2", res.Err, res.Plan.Changes, p.Find("demo", "web").Quantity)
	}
	if err := res.Failure(); !errors.Is(err, scaler.ErrUnavailable) || len(res.Restarts) != 1 || res.Restarts[0].Phase != scaler.RestartFailed {
		t.Errorf("Failure() = %v, restarts %+v; want the restart's ErrUnavailable", err, res.Restarts)
	}
	// The dynos cannot be read: the window's restart fails, said.
	p.FailDynoReads = 1
	res = svc.ApplyAll(t.Context(), []string{"demo"}, fl, scaler.ApplyOptions{Clock: scaler.Clock{At: at}, Concurrency: 1, Every: 10 * time.Minute})[0]
	if err := res.Failure(); !errors.Is(err, scaler.ErrUnavailable) || !strings.Contains(err.Error(), "read dynos of demo") {
		t.Errorf("Failure() = %v, want the dynos' read", err)
	}
	// A type at 0 is left alone; a dry run restarts nothing.
	for _, tt := range []struct {
		name string
		n    int
		dry  bool
		want string
	}{
		{"at 0", 0, false, "worker at 0: left alone in its restart window"},
		{"dry run", 1, true, "would restart worker (1 dyno)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p.Set("demo", "worker", tt.n)
			res := svc.ApplyAll(t.Context(), []string{"demo"}, fl, scaler.ApplyOptions{Clock: scaler.Clock{At: at}, Concurrency: 1, Every: 10 * time.Minute, DryRun: tt.dry})[0]
			if len(res.Restarts) != 1 || res.Restarts[0].String() != tt.want || p.Restarted("demo", "worker") != 0 {
				t.Errorf("restarts %v, %d landed; want %q and none", res.Restarts, p.Restarted("demo", "worker"), tt.want)
			}
		})
	}
}

// Two applies at the very same instant both read the dynos before either
// restart lands (a Scheduler duplicate). apply restarts each dyno by its
// id, and a platform that gives a restarted dyno a new one (as the dyno
// manager does) refuses the second apply's restart of it (ErrNotFound):
// each dyno restarts once, all at once or rolling. Where the platform
// keeps the id (unconfirmed), the Platform API offers no condition a
// restart could carry, and the second apply restarts each dyno it judged
// due again: the residual the README states (a rolling one reads the
// dynos before each, and finds the second restarted by the first).
func TestRestartTwoAppliesAtOnce(t *testing.T) {
	for _, tt := range []struct {
		sched string
		keep  bool
		want  int
	}{
		{"worker daily 01:00-01:30 restart", false, 2},
		{"worker daily 01:00-01:30 restart:rolling", false, 2},
		{"worker daily 01:00-01:30 restart", true, 4},
		{"worker daily 01:00-01:30 restart:rolling", true, 3},
	} {
		t.Run(fmt.Sprintf("%s, created_at kept %v", tt.sched, tt.keep), func(t *testing.T) {
			fl := fleet(t, tt.sched)
			at := time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)
			p := scaler.NewFakePlatform(func() time.Time { return at }, map[string]scaler.Formation{"demo": {{Type: "worker", Quantity: 2, UpdatedAt: at.AddDate(0, 0, -1)}}})
			p.SetDynos("demo", "worker", 2, at.AddDate(0, 0, -1))
			p.KeepCreatedAt = tt.keep
			svc := &scaler.Service{Platform: p, Log: quiet}
			opts := scaler.ApplyOptions{Clock: scaler.Clock{At: at}, Concurrency: 1, Every: 10 * time.Minute}
			var other scaler.AppResult
			p.BeforeRestart = func(*scaler.FakePlatform) {
				other = svc.ApplyAll(t.Context(), []string{"demo"}, fl, opts)[0]
			}
			res := svc.ApplyAll(t.Context(), []string{"demo"}, fl, opts)[0]
			if res.Failure() != nil || other.Failure() != nil {
				t.Fatalf("failures: %v, %v", res.Failure(), other.Failure())
			}
			if got := p.Restarted("demo", "worker"); got != tt.want {
				t.Errorf("%d dyno restarts, want %d", got, tt.want)
			}
			if !tt.keep && (other.Restarts[0].String() != "restarted worker"+map[bool]string{true: " one at a time"}[strings.HasSuffix(tt.sched, "rolling")]+" (2 dynos)" ||
				res.Restarts[0].String() != "worker restarted in this window") {
				t.Errorf("the applies said %q and %q", other.Restarts[0], res.Restarts[0])
			}
		})
	}
}
