package emulator

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// The Scheduler runs its command in a one-off dyno at every interval, and
// stops the last run's dyno if it still runs. Its runs come on the clock's
// grid, where Heroku Scheduler's are taken to come: :00, :10, ... for 10
// minutes; here, every 400ms.
func TestSchedulerRunsAndStopsItsDynos(t *testing.T) {
	t.Parallel()
	f := startDynos(t, "web: exec sleep 60\n", "web=0", func(c *Config) {
		c.Dynos.Scheduler = []SchedulerJob{{Every: 400 * time.Millisecond, Command: `echo "tick $DYNO"; exec sleep 60`}}
	})
	first := f.log.next(t, `heroku\[scheduler\.1\]: Starting process with command `+"`"+`echo "tick \$DYNO"; exec sleep 60`+"`$")
	f.log.next(t, `app\[scheduler\.1\]: tick scheduler\.1$`)
	f.log.next(t, `heroku\[scheduler\.1\]: State changed from (starting|up) to down$`)
	f.log.next(t, `heroku\[scheduler\.1\]: Stopping all processes with SIGTERM$`)
	second := f.log.next(t, `heroku\[scheduler\.2\]: Starting process`)
	f.log.next(t, `app\[scheduler\.2\]: tick scheduler\.2$`)
	// Real timers fire late on a loaded machine, never early: the runs come
	// at least the interval apart (where on the grid, TestSchedulerRunsOnTheGrid).
	if gap := stampOf(t, second).Sub(stampOf(t, first)); gap < 300*time.Millisecond {
		t.Errorf("runs %v apart, want the interval of 400ms", gap)
	}
}

// Scheduler's runs come on the clock's grid, a quarter of the interval late
// as their dynos boot (schedulerLate, at most a quarter of a short
// interval), wherever the clock stood when the emulator started: on a
// manual clock, each run's timer is set for its place on the grid.
func TestSchedulerRunsOnTheGrid(t *testing.T) {
	t.Parallel()
	timers := &manualTimers{}
	clk := newClock() // on the hour: on the grid of 400ms
	clk.Advance(123 * time.Millisecond)
	startDynos(t, "web: true\n", "web=0", func(c *Config) {
		c.Now = clk.Now
		c.Dynos.Scheduler = []SchedulerJob{{Every: 400 * time.Millisecond, Command: "true"}}
		c.Dynos.AfterFunc = timers.AfterFunc
	})
	// Due at 400ms on the grid, plus 100ms: 377ms from 123ms.
	clk.Advance(377 * time.Millisecond)
	if n := timers.fire(377 * time.Millisecond); n != 1 {
		t.Fatalf("%d timers of 377ms, want the first run's: %v", n, timers.pending())
	}
	// The run at 500ms sets the next for 900ms: 400ms on.
	clk.Advance(400 * time.Millisecond)
	if n := timers.fire(400 * time.Millisecond); n != 1 {
		t.Fatalf("%d timers of 400ms, want the second run's: %v", n, timers.pending())
	}
}

func TestParseSchedulerJob(t *testing.T) {
	got, err := ParseSchedulerJob("  10m   bin/scaler apply --at now ")
	if err != nil || got != (SchedulerJob{Every: 10 * time.Minute, Command: "bin/scaler apply --at now"}) {
		t.Errorf("ParseSchedulerJob = %+v, %v", got, err)
	}
	for _, bad := range []string{"", "10m", "bin/scaler apply", "0s true", "-1m true", "daily true"} {
		if _, err := ParseSchedulerJob(bad); err == nil {
			t.Errorf("ParseSchedulerJob(%q) accepted", bad)
		}
	}
}

// manualTimers stands for real timers: a test fires them.
type manualTimers struct {
	mu     sync.Mutex
	timers []*manualTimer
}

type manualTimer struct {
	d       time.Duration
	f       func()
	stopped bool
}

func (m *manualTimers) AfterFunc(d time.Duration, f func()) func() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := &manualTimer{d: d, f: f}
	m.timers = append(m.timers, t)
	return func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		was := !t.stopped
		t.stopped = true
		return was
	}
}

// pending says the durations of the timers not yet fired or stopped.
func (m *manualTimers) pending() []time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []time.Duration
	for _, t := range m.timers {
		if !t.stopped {
			out = append(out, t.d)
		}
	}
	return out
}

// fire runs the pending timers of duration d, and returns how many.
func (m *manualTimers) fire(d time.Duration) int {
	m.mu.Lock()
	var due []*manualTimer
	for _, t := range m.timers {
		if t.d == d && !t.stopped {
			t.stopped = true
			due = append(due, t)
		}
	}
	m.mu.Unlock()
	for _, t := range due {
		t.f()
	}
	return len(due)
}

// schedulerRuns fires a Scheduler job's intervals, and returns how many
// dynos each started: 0 (skipped), 1 or 2 (started twice).
func schedulerRuns(t *testing.T, seed uint64, skip, dup float64, ticks int) []int {
	t.Helper()
	timers := &manualTimers{}
	const every = time.Hour
	clk := newClock() // on the hour, and a run's boot: each run an hour after the last
	clk.Advance(schedulerLate)
	f := startDynos(t, "web: true\n", "web=0", func(c *Config) {
		c.Now = clk.Now
		c.Dynos.Scheduler = []SchedulerJob{{Every: every, Command: "true"}}
		c.Dynos.SchedulerSkip, c.Dynos.SchedulerDup, c.Dynos.Seed = skip, dup, seed
		c.Dynos.AfterFunc = timers.AfterFunc
	})
	var runs []int
	last := 0
	for range ticks {
		clk.Advance(every)
		if n := timers.fire(every); n != 1 {
			t.Fatalf("%d Scheduler timers pending, want 1", n)
		}
		f.em.mu.Lock()
		n := f.em.dynos.numbers["demo/scheduler"]
		f.em.mu.Unlock()
		runs = append(runs, n-last)
		last = n
	}
	return runs
}

// Heroku Scheduler skips runs and starts some twice; with a seed, the
// emulator does so the same way every time.
func TestSchedulerSkipsAndDuplicates(t *testing.T) {
	t.Parallel()
	const ticks = 24
	a := schedulerRuns(t, 7, 0.3, 0.3, ticks)
	b := schedulerRuns(t, 7, 0.3, 0.3, ticks)
	c := schedulerRuns(t, 8, 0.3, 0.3, ticks)
	if !slices.Equal(a, b) {
		t.Errorf("the same seed gave %v and %v", a, b)
	}
	if slices.Equal(a, c) {
		t.Errorf("seeds 7 and 8 gave the same runs %v", a)
	}
	if !slices.Contains(a, 0) || !slices.Contains(a, 1) || !slices.Contains(a, 2) {
		t.Errorf("runs %v: want skips (0), runs (1) and duplicates (2)", a)
	}
	for _, tt := range []struct {
		skip, dup float64
		want      int
	}{{1, 0, 0}, {0, 1, 2}, {0, 0, 1}, {1, 1, 0}} {
		got := schedulerRuns(t, 1, tt.skip, tt.dup, 3)
		if !slices.Equal(got, []int{tt.want, tt.want, tt.want}) {
			t.Errorf("skip %v, dup %v: runs %v, want %d each time", tt.skip, tt.dup, got, tt.want)
		}
	}
}
