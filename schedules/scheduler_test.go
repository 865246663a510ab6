package schedules

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestParseInterval(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Interval
	}{
		{"10m", Every10Minutes}, {"1h", EveryHour}, {"1d", Daily},
		{"2h", 0}, {"60m", 0}, {"10", 0}, {"", 0}, {"1D", 0},
	} {
		got, err := ParseInterval(tt.in)
		if got != tt.want || (err == nil) != (tt.want != 0) {
			t.Errorf("ParseInterval(%q) = %v, %v, want %v", tt.in, got, err, tt.want)
		}
		if err != nil && !strings.Contains(err.Error(), "10m, 1h or 1d") {
			t.Errorf("ParseInterval(%q) error %q does not name the choices", tt.in, err)
		}
	}
}

// brief writes a warning as LINE:EDGE:PROBLEM:TIMES, and :LATE for late.
func brief(w Warning) string {
	s := fmt.Sprintf("%d:%s:%s:%d", w.Line, w.Edge, w.Problem, w.Times)
	if w.Problem == ProblemLate {
		s += fmt.Sprintf(":%d", w.Late)
	}
	return s
}

// Two days from Monday 2026-11-23 00:00 UTC, whose edges can be counted
// by hand.
func TestScheduler(t *testing.T) {
	tests := []struct {
		name, src string
		every     Interval
		offset    int
		want      []string
	}{
		{"10m, edges on the tens", "web daily 08:00-20:00 3\nweb default 1", Every10Minutes, 0, nil},
		{"10m, a start at :05", "web daily 08:05-20:00 3\nweb default 1", Every10Minutes, 0, []string{"1:start:late:2:5"}},
		{"10m, an end at :05, back to the default", "web daily 08:00-20:05 3\nweb default 1", Every10Minutes, 0, []string{"1:end:late:2:5"}},
		{"10m, a zone 5:45 from UTC moves every edge", "timezone Asia/Kathmandu\nweb daily 08:00-20:00 3\nweb default 1", Every10Minutes, 0,
			[]string{"2:start:late:2:5", "2:end:late:2:5"}},
		{"10m, a change between two runs never happens; going back needs no run", "web daily 08:02-08:08 3\nweb default 1", Every10Minutes, 0,
			[]string{"1:start:never:2"}},
		{"10m, the end of a window without default needs no run", "worker daily 22:05-06:00 1", Every10Minutes, 0, []string{"1:start:late:2:5"}},
		{"10m, a once window without a run", "job daily 02:03-02:08 once", Every10Minutes, 0, []string{"1:start:no_run:2"}},
		{"10m, a once window with one run", "job daily 02:00-02:10 once", Every10Minutes, 0, []string{"1:start:one_run:2"}},
		{"10m, a once window that opens between runs", "job daily 02:05-02:25 once", Every10Minutes, 0, []string{"1:start:late:2:5"}},
		{"10m, a once window's close needs no run", "job daily 02:00-02:25 once", Every10Minutes, 0, nil},
		{"10m, a date window's end is its own", "web daily 08:00-20:00 3\nweb 2026-11-23 08:00-12:05 5", Every10Minutes, 0,
			[]string{"2:end:late:1:5"}},
		{"1h, every edge at :20", "web daily 08:20-20:20 3\nweb default 1", EveryHour, 20, nil},
		{"1h, edges at :00 and :30: one is late", "web daily 08:00-20:30 3\nweb default 1", EveryHour, 0, []string{"1:end:late:2:30"}},
		{"1h, a once window of an hour has one run", "job daily 02:00-03:00 once", EveryHour, 0, []string{"1:start:one_run:2"}},
		{"1d, one edge a day on the half hour", "worker daily 07:30-23:00 1", Daily, 450, nil},
		{"1d, a window without default: its type stays in it", "worker daily 07:15-23:00 1", Daily, 450, nil},
		{"1d, a holiday's two edges: the best time meets neither", "web 2026-11-23 07:15-23:00 2\nweb default 1", Daily, 450,
			[]string{"1:start:late:1:15", "1:end:late:1:510"}},
		{"1d, two edges a day: one is never met", "web daily 08:00-20:00 3\nweb default 1", Daily, 0, []string{"1:start:never:2"}},
		{"1d, a once window has its run", "job daily 02:00-05:00 once", Daily, 120, []string{"1:start:one_run:2"}},
	}
	from, to := utc("2026-11-23T00:00:00Z"), utc("2026-11-25T00:00:00Z")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.src).Scheduler(from, to, tt.every)
			var got []string
			for _, w := range c.Warnings {
				got = append(got, brief(w))
				if w.Message == "" || w.Rule == "" || w.First.IsZero() || w.First.Before(from) {
					t.Errorf("warning %+v lacks a message, a rule or its first time", w)
				}
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") || c.Offset != tt.offset || c.Every != tt.every {
				t.Errorf("Scheduler(%v) = %v at offset %d, want %v at offset %d", tt.every, got, c.Offset, tt.want, tt.offset)
			}
		})
	}
}

// Where the time a daily (or hourly) job runs at misses changes and
// carries none out, the check says whether another time would
// (SomeTimeCarries), for plan to say why no other time is better (its text:
// TestPlanTextSaysWhyNoTimeIsBetter in cmd/scaler). Among times that miss
// as few, one that carries a change out is taken.
func TestSchedulerSaysWhyNoTimeIsBetter(t *testing.T) {
	for _, tt := range []struct {
		name, src string
		offset    int
		carried   int
		some      bool // SomeTimeCarries
	}{
		{"two edges a day: every time holds one level", "web daily 08:00-20:00 3\nweb default 1", 0, 0, false},
		{"a time that carries one out misses more", "web Tue,Thu 00:00-01:00 2\nweb Mon-Wed,Fri,Sun 05:28-10:29 0", 330, 0, true},
		// At 08:30, Monday's change to 3 is carried out, late; at 00:00,
		// which misses as many, none is.
		{"weekdays: a time that carries one out", "web Mon-Fri 08:05-20:00 3\nweb default 1", 510, 1, true},
		// The window's level, held all day: nothing to carry out, nothing
		// missed.
		{"a window without default", "web daily 03:01-14:19 2", 210, 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, tt.src)
			from, to := utc("2026-11-23T00:00:00Z"), utc("2026-11-25T00:00:00Z")
			c := s.Scheduler(from, to, Daily)
			if c.Offset != tt.offset || c.CarriedOut != tt.carried || c.SomeTimeCarries() != tt.some {
				t.Errorf("Scheduler = offset %d, %d carried out, some time carries %v; want %d, %d, %v",
					c.Offset, c.CarriedOut, c.SomeTimeCarries(), tt.offset, tt.carried, tt.some)
			}
		})
	}
}

// A warning is said once for a rule, however many days it happens, with
// the most lateness.
func TestSchedulerWarnsOnce(t *testing.T) {
	s := mustParse(t, "timezone Europe/Berlin\nweb Mon-Fri 08:05-20:00 3\nweb Sat,Sun 10:03-18:00 2\nweb default 1\n")
	c := s.Scheduler(utc("2026-11-22T23:00:00Z"), utc("2026-12-20T23:00:00Z"), Every10Minutes)
	var got []string
	for _, w := range c.Warnings {
		got = append(got, brief(w))
	}
	if want := "2:start:late:20:5 3:start:late:8:7"; strings.Join(got, " ") != want {
		t.Errorf("Scheduler over four weeks = %v, want %s", got, want)
	}
	if c.Changes != 56 {
		t.Errorf("Changes = %d, want 56", c.Changes)
	}
	want := "web goes to 3 up to 5 min after the rule's start, at the next run (20 times in the period; first Mon 2026-11-23 08:05 CET)"
	if c.Warnings[0].Message != want {
		t.Errorf("message %q, want %q", c.Warnings[0].Message, want)
	}
}

// The check looks past the period's end for the run that meets its last
// change, and before its start for the target of the run before its first.
func TestSchedulerAtThePeriodsEdges(t *testing.T) {
	s := mustParse(t, "web daily 23:55-23:58 3\nweb default 1")
	// The change at 23:55 is replaced at 23:58, before the run at 00:00
	// after the period's end.
	c := s.Scheduler(utc("2026-11-23T00:00:00Z"), utc("2026-11-23T23:56:00Z"), Every10Minutes)
	if len(c.Warnings) != 1 || brief(c.Warnings[0]) != "1:start:never:1" {
		t.Errorf("Scheduler = %+v, want one never", c.Warnings)
	}
	c = s.Scheduler(utc("2026-11-23T23:57:00Z"), utc("2026-11-24T00:30:00Z"), Every10Minutes)
	if len(c.Warnings) != 0 || c.Changes != 1 {
		t.Errorf("Scheduler = %+v over %d changes, want none over 1: the run before the change at 23:58 saw 1", c.Warnings, c.Changes)
	}
	if c := s.Scheduler(utc("2026-11-23T00:00:00Z"), utc("2026-11-23T00:00:00Z"), Daily); len(c.Warnings) != 0 || c.Changes != 0 {
		t.Errorf("Scheduler over an empty period = %+v", c)
	}
}

func BenchmarkSchedulerYear(b *testing.B) {
	s := mustParse(b, fleet200(b))
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(1, 0, 0)
	for _, every := range []Interval{Every10Minutes, Daily} {
		b.Run(every.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.Scheduler(from, to, every)
			}
		})
	}
}

// TestSchedulerAgainstRuns checks the check on random schedules against a
// plain simulation of Scheduler's runs over Schedule.At: at each offset a
// job can run at, each change of the period is judged by the targets that
// At gives at the runs around it, and the check must pick the offset that
// the documented order ranks first, and count each problem as often as
// the simulation finds it.
func TestSchedulerAgainstRuns(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	checked, found := 0, map[string]int{}
	defer func() {
		t.Logf("%d schedules checked, problems found: %v", checked, found)
		if len(found) != 4 {
			t.Errorf("the random schedules found %v: not every kind of problem", found)
		}
	}()
	for n := range 600 {
		zone, base := randomZone(rng, n)
		src := randomSchedule(rng, zone, base, true)
		s, err := Parse(src)
		if err != nil {
			continue
		}
		every := []Interval{Every10Minutes, EveryHour, Daily}[n%3]
		loc, _ := loadZone(zone)
		zd := newZoneDay(loc, base-1)
		sec, _ := zd.instant(0)
		from := time.Unix(sec, 0)
		to := from.Add(4 * 24 * time.Hour)
		changes := s.Changes(from, to)
		target := func(app, typ string, at int64) *Target {
			for _, tg := range s.At(time.Unix(at, 0)) {
				if tg.App == app && tg.Type == typ {
					return &tg
				}
			}
			return nil
		}
		period := int64(every) * 60
		simulate := func(off int64) (sc score, counts map[string]int) {
			counts = map[string]int{}
			for _, c := range changes {
				if c.To == nil {
					continue
				}
				e := c.At.Unix()
				run := off + (floorDiv(e-off-1, period)+1)*period
				var problems []string
				if c.To.Once {
					runs := 0
					for r := run; c.To.Until.IsZero() || r < c.To.Until.Unix(); r += period {
						if runs++; runs > 2 {
							break
						}
					}
					switch {
					case runs == 0:
						problems = append(problems, ProblemNoRun)
					default:
						if run > e {
							problems = append(problems, ProblemLate)
							sc.lateness += run - e
						}
						if runs == 1 {
							problems = append(problems, ProblemOneRun)
						}
					}
				} else {
					before := target(c.App, c.Type, run-period)
					at := target(c.App, c.Type, run)
					switch {
					case before != nil && before.Quantity == c.To.Quantity && before.Size == c.To.Size:
						sc.inPlace++ // found in place, not carried out
					case at == nil || at.Since.After(c.At):
						problems = append(problems, ProblemNever)
					case run > e:
						problems = append(problems, ProblemLate)
						sc.lateness += run - e
					}
				}
				for _, p := range problems {
					counts[p]++
					switch p {
					case ProblemNever, ProblemNoRun:
						sc.failures++
					case ProblemLate:
						sc.late++
					case ProblemOneRun:
						sc.oneRun++
					}
				}
			}
			return sc, counts
		}
		best, bestOff := score{failures: math.MaxInt}, -1
		for _, off := range every.offsets() {
			if sc, _ := simulate(int64(off) * 60); sc.less(best) {
				best, bestOff = sc, off
			}
		}
		c := s.Scheduler(from, to, every)
		sc, want := simulate(int64(bestOff) * 60)
		carried := -sc.failures - sc.inPlace
		for _, ch := range changes {
			if ch.To != nil {
				carried++
			}
		}
		got := map[string]int{}
		for _, w := range c.Warnings {
			got[w.Problem] += w.Times
			found[w.Problem] += w.Times
		}
		checked++
		if c.Offset != bestOff || fmt.Sprint(got) != fmt.Sprint(want) || c.CarriedOut != carried {
			t.Fatalf("schedule %d, every %v: offset %d, problems %v, %d carried out; the simulation: offset %d, %v, %d\n%s",
				n, every, c.Offset, got, c.CarriedOut, bestOff, want, carried, src)
		}
	}
}
