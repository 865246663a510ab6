package scaler

import (
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"
)

// quiet is a logger that says nothing.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// Service.Apply's paths, on a platform that behaves: an answer lost after
// the write landed, a write lost before it landed, another client writing
// first (412, or no condition at all), and a read back that fails. Each
// case says the end state: the quantity, how many of the caller's writes
// landed, and the error's kind.
func TestServiceApplyPaths(t *testing.T) {
	t.Parallel()
	read := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	deployed := read.Add(-24 * time.Hour)
	// later moves the platform's clock past the second of the plan's read:
	// a write that lands after it is stamped later.
	later := func(c *ManualClock) func(*FakePlatform) {
		return func(*FakePlatform) { c.Advance(2 * time.Second) }
	}
	tests := []struct {
		name   string
		spec   Spec
		from   int
		stamp  time.Time // worker's updated_at before
		ignore bool      // the platform ignores If-Match
		faults func(c *ManualClock) []WriteFault
		want   int   // worker at the end
		landed int   // writes of the caller that landed
		err    error // the error's kind, or nil
	}{
		{name: "no fault", spec: Spec{Type: "worker", Op: Set, N: 3}, from: 1, want: 3, landed: 1},
		{name: "lost answer, absolute: read back, found in place, not sent again",
			spec: Spec{Type: "worker", Op: Set, N: 3}, from: 1,
			faults: func(c *ManualClock) []WriteFault { return []WriteFault{{Before: later(c), Lose: true}} },
			want:   3, landed: 1},
		{name: "lost answer, relative: it may have landed, never sent again",
			spec: Spec{Type: "worker", Op: Add, N: 1}, from: 1,
			faults: func(c *ManualClock) []WriteFault { return []WriteFault{{Before: later(c), Lose: true}} },
			want:   2, landed: 1, err: ErrUncertain},
		{name: "write proven not to have landed, relative: sent again, once",
			spec: Spec{Type: "worker", Op: Add, N: 1}, from: 1,
			faults: func(c *ManualClock) []WriteFault { return []WriteFault{{Before: later(c), Drop: true}} },
			want:   2, landed: 1},
		{name: "write proven not to have landed, absolute: sent again",
			spec: Spec{Type: "worker", Op: Set, N: 0}, from: 2,
			faults: func(c *ManualClock) []WriteFault { return []WriteFault{{Drop: true}} },
			want:   0, landed: 1},
		{name: "relative, last changed in the second of the read: nothing proven, not sent again",
			spec: Spec{Type: "worker", Op: Add, N: 1}, from: 1, stamp: read,
			faults: func(c *ManualClock) []WriteFault { return []WriteFault{{Drop: true}} },
			want:   1, landed: 0, err: ErrUncertain},
		{name: "uncertain relative write: the read back fails too",
			spec: Spec{Type: "worker", Op: Add, N: 1}, from: 1,
			faults: func(c *ManualClock) []WriteFault { return []WriteFault{{Before: later(c), Lose: true, FailReads: 4}} },
			want:   2, landed: 1, err: ErrUncertain},
		{name: "uncertain relative write: its answer lost, then another writer first (412)",
			spec: Spec{Type: "worker", Op: Add, N: 1}, from: 1,
			faults: func(c *ManualClock) []WriteFault {
				// Dropped, then proven untouched, it is sent again; another
				// client writes first, and the 412 that follows proves
				// nothing of the first write.
				return []WriteFault{{Before: later(c), Drop: true}, {Before: func(f *FakePlatform) { f.Set("demo", "web", 2) }}}
			},
			want: 1, landed: 0, err: ErrUncertain},
		{name: "stale ETag, absolute: planned again on a fresh read",
			spec: Spec{Type: "worker", Op: Set, N: 3}, from: 1,
			faults: func(c *ManualClock) []WriteFault {
				return []WriteFault{{Before: func(f *FakePlatform) { f.Set("demo", "worker", 5) }}}
			},
			want: 3, landed: 1},
		{name: "stale ETag, relative: both writers count",
			spec: Spec{Type: "worker", Op: Add, N: 1}, from: 1,
			faults: func(c *ManualClock) []WriteFault {
				return []WriteFault{{Before: func(f *FakePlatform) { f.Add("demo", "worker", 1) }}}
			},
			want: 3, landed: 1},
		{name: "If-Match ignored, relative: sent as relative, both writers count",
			spec: Spec{Type: "worker", Op: Add, N: 1}, from: 1, ignore: true,
			faults: func(c *ManualClock) []WriteFault {
				return []WriteFault{{Before: func(f *FakePlatform) { f.Add("demo", "worker", 1) }}}
			},
			want: 3, landed: 1},
		{name: "a job's start whose answer is lost: found started, not sent again",
			spec: Spec{Type: "worker", Op: Start, After: read.Add(-time.Hour)}, from: 0,
			faults: func(c *ManualClock) []WriteFault { return []WriteFault{{Before: later(c), Lose: true}} },
			want:   1, landed: 1},
		{name: "a job's start after another apply started it (412): nothing more",
			spec: Spec{Type: "worker", Op: Start, After: read.Add(-time.Hour)}, from: 0,
			faults: func(c *ManualClock) []WriteFault {
				return []WriteFault{{Before: func(f *FakePlatform) { c.Advance(time.Second); f.Set("demo", "worker", 1) }}}
			},
			want: 1, landed: 0},
		{name: "a job's start after another apply's job ran and completed (412): not again",
			spec: Spec{Type: "worker", Op: Start, After: read.Add(-time.Hour)}, from: 0,
			faults: func(c *ManualClock) []WriteFault {
				return []WriteFault{{Before: func(f *FakePlatform) {
					c.Advance(time.Second)
					f.Set("demo", "worker", 1)
					c.Advance(50 * time.Second)
					f.Set("demo", "worker", 0)
				}}}
			},
			want: 0, landed: 0},
		{name: "every answer lost before the write: the API failed",
			spec: Spec{Type: "worker", Op: Set, N: 3}, from: 1,
			faults: func(c *ManualClock) []WriteFault {
				return []WriteFault{{Drop: true}, {Drop: true}, {Drop: true}, {Drop: true}}
			},
			want: 1, landed: 0, err: ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := NewManualClock(read)
			stamp := tt.stamp
			if stamp.IsZero() {
				stamp = deployed
			}
			f := NewFakePlatform(clock.Now, map[string]Formation{"demo": {
				{Type: "web", Quantity: 1, Size: "Standard-1X", UpdatedAt: deployed},
				{Type: "worker", Quantity: tt.from, Size: "Standard-1X", UpdatedAt: stamp},
			}})
			f.IgnoreIfMatch = tt.ignore
			if tt.faults != nil {
				f.Next(tt.faults(clock)...)
			}
			svc := &Service{Platform: f, Log: quiet, ResendPause: time.Nanosecond, Now: clock.Now}
			plan, err := svc.Plan(t.Context(), "demo", []Spec{tt.spec})
			if err != nil {
				t.Fatal(err)
			}
			_, err = svc.Apply(t.Context(), plan)
			if tt.err == nil && err != nil || tt.err != nil && !errors.Is(err, tt.err) {
				t.Errorf("Apply(%s) error = %v, want %v", tt.spec, err, tt.err)
			}
			landed, _ := f.Landed()
			if got := f.Find("demo", "worker").Quantity; got != tt.want || landed != tt.landed {
				t.Errorf("Apply(%s): worker at %d with %d of its writes landed, want %d with %d", tt.spec, got, landed, tt.want, tt.landed)
			}
		})
	}
}

// A started job's run identity is the updated_at its start landed with, as
// the platform answered it: Plan.Written.
func TestServiceApplyWritten(t *testing.T) {
	t.Parallel()
	clock := NewManualClock(time.Date(2026, 12, 1, 2, 0, 7, 0, time.UTC))
	f := NewFakePlatform(clock.Now, map[string]Formation{"demo": {{Type: "nightly", Size: "Standard-1X", UpdatedAt: clock.Now().Add(-24 * time.Hour)}}})
	svc := &Service{Platform: f, Log: quiet, Now: clock.Now}
	for _, lose := range []bool{false, true} {
		f.Set("demo", "nightly", 0)
		clock.Advance(time.Minute)
		f.Next(WriteFault{Lose: lose, Before: func(*FakePlatform) { clock.Advance(3 * time.Second) }})
		plan, err := svc.Plan(t.Context(), "demo", []Spec{{Type: "nightly", Op: Start, After: clock.Now().Add(-time.Second)}})
		if err != nil {
			t.Fatal(err)
		}
		plan, err = svc.Apply(t.Context(), plan)
		p, ok := plan.Written.Find("nightly")
		if err != nil || !ok || p.Quantity != 1 || !p.UpdatedAt.Equal(f.Find("demo", "nightly").UpdatedAt) {
			t.Errorf("answer lost %v: Written = %+v, %v; want nightly=1 as the platform holds it, %+v", lose, plan.Written, err, f.Find("demo", "nightly"))
		}
		if id := RunID("nightly", p); id != "nightly-"+p.UpdatedAt.Format("20060102T150405Z") {
			t.Errorf("RunID = %s", id)
		}
	}
}
