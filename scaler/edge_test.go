package scaler_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/scalerdev/scaler/scaler"
)

// An apply whose run comes within a second or two of an edge: the instant
// it decides for is early by up to two seconds (the Date is cut to the
// second, and the read takes time), so without a wait it decides for the
// old side of the edge and its write lands on the new. Each run begins at
// the instant given, and its read is answered 100 ms later; the dyno's
// clock is the platform's, or 2 minutes off it. A second apply 3 s later
// changes nothing and says nothing.
func TestApplyNearAnEdgeWaitsPastIt(t *testing.T) {
	day := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	clockAt := func(hms string) time.Time {
		c, err := time.Parse("15:04:05.000", hms)
		if err != nil {
			panic(err)
		}
		return day.Add(c.Sub(c.Truncate(24 * time.Hour)))
	}
	for _, tt := range []struct {
		name, sched string
		began       string // the run's start, on the platform's clock
		at          bool   // the instant is given (--at): nothing waits
		// want: each type's quantity after the first apply, and whether
		// its last change landed at or after the edge (else a day ago).
		want  map[string]int
		after string // the edge the writes must be at or after, or ""
		// events are what the first apply's review says.
		events []string
	}{
		{name: "60 ms after a once window closed: no start",
			sched: "nightly daily 13:30-14:00 once", began: "14:00:00.060",
			want: map[string]int{"nightly": 0}},
		{name: "20 ms after a level rule ended: the rule after it, which the type is at already",
			sched: "web daily 13:51-13:52 2; web default 1", began: "13:52:00.020",
			want: map[string]int{"web": 1}},
		{name: "20 ms after a level rule came into force: written after its edge, not late",
			sched: "web daily 13:52-14:52 2; web default 1", began: "13:52:00.020",
			want: map[string]int{"web": 2}, after: "13:52:00.000"},
		{name: "500 ms before a once window opens: started, stamped in the window",
			sched: "nightly daily 02:00-02:30 once", began: "01:59:59.500",
			want: map[string]int{"nightly": 1}, after: "02:00:00.000"},
		{name: "60 ms into a Scheduler interval: a window that closed in the last one is told",
			sched: "nightly daily 02:00-05:00 once", began: "05:10:00.060",
			want:   map[string]int{"nightly": 0},
			events: []string{"window_missed: the window from Tue 2026-12-01 02:00 UTC to 05:00 UTC (line 1: nightly daily 02:00-05:00 once) closed, and the job never started"}},
		{name: "an instant given, a second before a close: decided for it, at once",
			sched: "nightly daily 13:30-14:00 once", began: "13:59:59.000", at: true, after: "13:59:59.000",
			want: map[string]int{"nightly": 1}},
	} {
		for _, skew := range []time.Duration{0, 2 * time.Minute, -2 * time.Minute} {
			t.Run(fmt.Sprintf("%s, dyno %v", tt.name, skew), func(t *testing.T) {
				sched := fleet(t, tt.sched)
				began := clockAt(tt.began)
				platform := scaler.NewManualClock(began.Add(100 * time.Millisecond))
				dyno := func() time.Time { return platform.Now().Add(skew) }
				yesterday := day.Add(-24 * time.Hour)
				var form scaler.Formation
				for typ := range tt.want {
					form = append(form, scaler.Process{Type: typ, Quantity: 1 - strings.Count(tt.sched, "once"), Size: "Standard-1X", UpdatedAt: yesterday})
				}
				f := scaler.NewFakePlatform(platform.Now, map[string]scaler.Formation{"demo": form})
				var waited time.Duration
				svc := &scaler.Service{Platform: f, Log: quiet, Now: dyno, Pause: func(ctx context.Context, d time.Duration) error {
					waited += d
					platform.Advance(d)
					return nil
				}}
				clock := scaler.Clock{Began: began.Add(skew)}
				if tt.at {
					clock = scaler.Clock{At: began}
				}
				opts := scaler.ApplyOptions{Clock: clock, Concurrency: 1, Every: 10 * time.Minute}
				res := svc.ApplyAll(t.Context(), []string{"demo"}, sched, opts)
				if res[0].Err != nil {
					t.Fatal(res[0].Err)
				}
				var events []string
				for _, e := range scaler.Review(res[0], sched, opts.Every).Events() {
					events = append(events, e.Kind+": "+e.Detail)
				}
				if strings.Join(events, "\n") != strings.Join(tt.events, "\n") {
					t.Errorf("the apply at %s said:\n%s\nwant:\n%s", tt.began, strings.Join(events, "\n"), strings.Join(tt.events, "\n"))
				}
				switch {
				case tt.at && waited != 0:
					t.Errorf("an instant given: waited %v", waited)
				case !tt.at && (waited <= 0 || waited > 2*scaler.EdgeMargin):
					t.Errorf("waited %v past the edge, want a few seconds", waited)
				}
				for typ, n := range tt.want {
					p := f.Find("demo", typ)
					switch {
					case p.Quantity != n:
						t.Errorf("%s at %d after the apply decided for %s, want %d", typ, p.Quantity, res[0].At.Format(time.TimeOnly), n)
					case tt.after == "" && !p.UpdatedAt.Equal(yesterday):
						t.Errorf("%s written at %s, want no write", typ, p.UpdatedAt.Format(time.TimeOnly))
					case tt.after != "" && p.UpdatedAt.Before(clockAt(tt.after)):
						t.Errorf("%s written at %s, before the edge at %s", typ, p.UpdatedAt.Format(time.TimeOnly), tt.after)
					}
				}
				if tt.at {
					return
				}
				// The next apply, 3 s later: nothing to do, nothing to say.
				platform.Advance(3 * time.Second)
				landed, _ := f.Landed()
				opts.Clock = scaler.Clock{Began: dyno()}
				platform.Advance(100 * time.Millisecond)
				res = svc.ApplyAll(t.Context(), []string{"demo"}, sched, opts)
				rev := scaler.Review(res[0], sched, opts.Every)
				if again, _ := f.Landed(); res[0].Err != nil || again != landed || len(res[0].Plan.Kept) > 0 {
					t.Errorf("the next apply, at %s: %v, %d writes, kept %v", res[0].At.Format(time.TimeOnly), res[0].Err, again-landed, res[0].Plan.Kept)
				}
				for _, e := range rev.Edges {
					if e.Kept != nil || e.Late > 0 {
						t.Errorf("the next apply says of %s: kept %v, late %v", e.Want.Type, e.Kept, e.Late)
					}
				}
			})
		}
	}
}
