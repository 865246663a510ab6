package emulator

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// SchedulerJob is a Heroku Scheduler job: a command run in a one-off
// scheduler.N dyno at every interval.
type SchedulerJob struct {
	// Every is the interval (Heroku offers 10 minutes, an hour or a day;
	// any positive duration here).
	Every time.Duration
	// Command is run as a one-off dyno's command.
	Command string
	// First is when the first run comes, after the dynos start; when zero,
	// it comes on the clock's grid, as every later run does (see
	// manager.untilRun).
	First time.Duration
	// App is the app whose Scheduler it is; the first app when empty.
	App string
}

// ParseSchedulerJob reads a job as `scaler emulator --scheduler` takes it:
// `EVERY COMMAND`, e.g. `10m bin/scaler apply`.
func ParseSchedulerJob(s string) (SchedulerJob, error) {
	every, command, _ := strings.Cut(strings.TrimSpace(s), " ")
	command = strings.TrimSpace(command)
	d, err := time.ParseDuration(every)
	if err != nil || d <= 0 || command == "" {
		return SchedulerJob{}, fmt.Errorf("scheduler job %q: want EVERY COMMAND, EVERY a positive duration such as 10m", s)
	}
	return SchedulerJob{Every: d, Command: command}, nil
}

// schedEntry is a Scheduler job at work.
type schedEntry struct {
	job     SchedulerJob
	app     *app
	rng     *rand.Rand
	running []*dyno // the dynos of its last run
}

// startScheduler schedules the first run of every job. Each job draws its
// skips and duplicates from its own generator, seeded by the seed and its
// position, so that a seed gives the same runs whatever the timing.
func (m *manager) startScheduler() {
	for i, job := range m.cfg.Scheduler {
		a := m.e.apps[job.App]
		if job.App == "" {
			a = m.e.sortedApps()[0]
		}
		s := &schedEntry{job: job, app: a, rng: rand.New(rand.NewPCG(m.cfg.Seed, uint64(i)))}
		if job.First > 0 {
			m.schedule(job.First, func(now time.Time) { m.tick(s, now) })
			continue
		}
		m.next(s, m.e.now())
	}
}

// next schedules the job's next run on the clock's grid: at the next
// multiple of its interval on the emulated clock, since the Unix epoch (for
// 10 minutes: :00, :10, ...), where Heroku Scheduler's runs are taken to
// come (unconfirmed), each a little late as its dyno boots (schedulerLate). Runs that
// follow each other by an interval, measured from whenever the last one
// fired, would drift through the clock instead; scaler apply tells of a
// window missed by the run of the interval after its close, one run an
// interval. Every is a real duration: on a clock ClockRate times faster,
// the interval on the clock is that many times longer.
func (m *manager) next(s *schedEntry, now time.Time) {
	rate := m.e.clockRate
	interval := max(1, int64(float64(s.job.Every)*rate))
	grid := time.Unix(0, (now.UnixNano()/interval+1)*interval)
	m.runAt(s, grid.Add(min(schedulerLate, time.Duration(interval)/4)), now, rate)
}

// schedulerLate is how long after its time on the grid a Scheduler run's
// dyno starts (on the emulated clock), as Heroku's one-off dynos take
// seconds to boot: scaler apply, which decides a second or two early (the
// Date it judges by is cut to the second), would otherwise find each run on
// the grid just before an edge there, and wait past it. Never more than a
// quarter of a short interval.
const schedulerLate = 2 * time.Second

// runAt runs the job at due on the emulated clock, now being its reading.
func (m *manager) runAt(s *schedEntry, due, now time.Time, rate float64) {
	m.schedule(time.Duration(float64(due.Sub(now))/rate), func(now time.Time) {
		if now.Before(due) {
			m.runAt(s, due, now, rate) // the clock's rate was read a little short
			return
		}
		m.tick(s, now)
	})
}

// tick is one interval of a Scheduler job: a dyno of the last run that
// still runs is stopped (a Scheduler dyno does not outlive its interval),
// then the command starts in a new one-off dyno. Heroku Scheduler is best
// effort: a run may be skipped, or started twice.
func (m *manager) tick(s *schedEntry, now time.Time) {
	for _, d := range s.running {
		if r := d.run; !r.stopping && !r.gone {
			m.setState(d, "down", now)
			m.terminate(d, now)
		}
	}
	s.running = nil
	// Both draws happen at every tick, so that a run's fate depends on the
	// seed and its rank only.
	skip, dup := s.rng.Float64() < m.cfg.SchedulerSkip, s.rng.Float64() < m.cfg.SchedulerDup
	runs := 1
	switch {
	case skip:
		runs = 0
		m.e.logInfo("scheduler run skipped", "app", s.app.name, "command", s.job.Command)
	case dup:
		runs = 2
		m.e.logInfo("scheduler run started twice", "app", s.app.name, "command", s.job.Command)
	}
	for range runs {
		s.running = append(s.running, m.startOneOff(s.app, "scheduler", s.job.Command, DefaultSize, nil, 0, now))
	}
	m.next(s, now)
}
