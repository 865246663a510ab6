package emulator

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The dyno manager: with Config.Dynos, every dyno of every app is a real
// process on this machine, run and stopped the way Heroku's dyno manager
// does it, and the API's dyno state follows the processes.
//
// Where the state lives: each dyno is a record in its app's list (state.go's
// dyno), with its process and its state in dyno.run; the emulator's lock
// (e.mu) guards both, as it guards the formation. Every process started is a
// new dyno record with a new id; a name (worker.1) may have two records for
// a moment, an old one stopping and a new one starting.
//
// The life of a dyno, and where the platform is unconfirmed, the worst
// case for a job:
//
//   - starting, then up after the boot delay (web included: nothing waits
//     for $PORT to be bound).
//   - Its command exits on its own: crashed; the rest of its processes
//     get SIGKILL at once (the dyno is torn down); a new dyno starts at
//     once, then after a doubling cool-off. A one-off dyno is complete.
//   - Scaled away: down at once (as the platform's logs show it), SIGTERM
//     after the stop latency. In between its processes run on, and if its
//     command exits it is restarted like a crash, and the replacement is
//     stopped when the latency is over.
//   - Restarted (through the API, cycling, a resize): the new dyno starts
//     as the old one gets SIGTERM, so the two overlap, with the same DYNO,
//     as on the platform during restarts and cycling: the job's new process
//     may start before the old one has stopped.
//   - Stopped: SIGTERM to every process of the dyno (its session, whatever
//     process group each is in, in no fixed order); SIGKILL, and R12, to
//     what is left after kill-after; the record goes once no process of the
//     dyno is left (zombies do not count).
//
// On its own shutdown (StopDynos) it stops every dyno that way and returns
// once no process is left. With DynoConfig.Subreaper (Linux), the process is
// a child subreaper: what dynos leave behind is reparented to it and
// reaped, and what escaped a dyno (setsid) is killed at the end.
//
// Timestamps (API and log stream) come from the emulator's clock, e.now;
// every duration (boot delay, stop latency, kill-after, restart delays,
// cycling, time to live, Scheduler intervals) is measured by real timers,
// through DynoConfig.AfterFunc.

// EnvNow is the variable that gives every dyno the emulator's clock at
// the dyno's start.
const EnvNow = "SCALER_EMULATOR_NOW"

// Defaults of the dyno manager, as on the platform.
const (
	// DefaultKillAfter is how long a dyno's processes have between SIGTERM
	// and SIGKILL.
	DefaultKillAfter = 30 * time.Second
	// DefaultStopLatency is how long after the API accepts a scale-down the
	// platform stops the dynos scaled away.
	DefaultStopLatency = time.Second
	// DefaultRestartDelay is the cool-off before restarting a dyno that
	// crashed twice in a row; it doubles with each further crash, up to
	// MaxRestartDelay. The platform documents exponential cool-off periods
	// but not their base: unconfirmed.
	DefaultRestartDelay = 20 * time.Second
	// MaxRestartDelay caps the cool-off between restarts of a crashing dyno.
	MaxRestartDelay = 20 * time.Minute
	// DefaultTimeToLive is how long a one-off dyno runs at most when its
	// request sets no time_to_live: one-off dynos are cycled after a day.
	DefaultTimeToLive = 24 * time.Hour
)

// DynoConfig runs the dynos of the emulated apps as real processes.
type DynoConfig struct {
	// Procfile gives the process types and their commands. Each dyno runs
	// `/bin/sh -c COMMAND` in the Procfile's directory, in a session (and
	// process group) of its own; a lone simple command is exec'd, so that
	// the dyno's process is the command's (see shellLine).
	Procfile *Procfile
	// Env is added to every dyno's environment (KEY=VALUE, the app's config
	// vars), after the emulator's own environment.
	Env []string
	// StopLatency is how long after a scale-down is accepted its dynos get
	// SIGTERM; zero stops them at once.
	StopLatency time.Duration
	// KillAfter is how long after SIGTERM a dyno's remaining processes get
	// SIGKILL; DefaultKillAfter when zero.
	KillAfter time.Duration
	// RestartDelay is the cool-off before the second restart of a crashing
	// dyno (the first is immediate), doubling after each further crash;
	// DefaultRestartDelay when zero.
	RestartDelay time.Duration
	// Cycle, when positive, cycles each formation dyno that long after it
	// started, as Heroku does every 24 hours plus up to 216 minutes. Every
	// new dyno starts its own: one restarted through the API, cycled, or
	// brought back after a crash is cycled Cycle after its own start.
	Cycle time.Duration
	// CycleJitter, with Cycle, adds to each dyno's cycle a random part of
	// up to CycleJitter (Heroku: 216 minutes), drawn from Seed, so that a
	// seed replays the same draws in the same order of dyno starts.
	CycleJitter time.Duration
	// Scheduler runs commands in one-off dynos at intervals.
	Scheduler []SchedulerJob
	// SchedulerSkip and SchedulerDup are the probabilities that a
	// Scheduler run is skipped, or started twice; Seed seeds them.
	SchedulerSkip, SchedulerDup float64
	Seed                        uint64
	// Log gets the log stream, in the form of `heroku logs`.
	Log io.Writer
	// Redact, when set, removes secrets from what dynos print before a line
	// too long for the log stream is cut into pieces, so that no secret is
	// cut in two (a filter of Log would see each piece alone). It returns
	// text cleaned and how many bytes of text that covers: all of them
	// unless more, when text is the start of a line still being printed and
	// it may leave out a tail that may start a secret; the stream hands
	// that tail over again with what follows.
	Redact func(text []byte, more bool) (clean []byte, n int)
	// Subreaper makes the process reap what dynos leave behind: on Linux it
	// becomes a child subreaper, reaps orphans, and kills what escaped the
	// dynos' process groups when the dynos are stopped. Only for a process
	// that starts no other child processes (the `scaler emulator` binary).
	Subreaper bool
	// AfterFunc runs f after d, and returns a function that cancels it; it
	// is time.AfterFunc when nil. Every duration of the dyno manager goes
	// through it.
	AfterFunc func(d time.Duration, f func()) (stop func() bool)
}

// jitterStream is the stream of Seed that CycleJitter draws from: the
// Scheduler's jobs draw from the streams of their positions.
const jitterStream = 1 << 63

// cycle returns when a dyno that starts now is cycled: Cycle, plus a draw
// of up to CycleJitter. Callers hold e.mu.
func (m *manager) cycle() time.Duration {
	if m.cfg.CycleJitter <= 0 {
		return m.cfg.Cycle
	}
	return m.cfg.Cycle + time.Duration(m.jitter.Float64()*float64(m.cfg.CycleJitter))
}

// DynoState is a dyno as the API lists it.
type DynoState struct {
	ID, Name, Type, State string
}

// manager is the dyno manager of an Emulator.
type manager struct {
	e *Emulator
	// cfg is the DynoConfig it was given, with the defaults of Log,
	// KillAfter, RestartDelay and AfterFunc filled in.
	cfg DynoConfig
	log *logStream

	// Guarded by e.mu.
	jitter           *rand.Rand // the draws of CycleJitter
	apiURL           string
	started, closing bool
	running          int                   // dynos whose processes are not all gone
	numbers          map[string]int        // app/type -> the last one-off number
	crashes          map[string]int        // app/name -> crashes since the dyno's last restart through the API
	pending          map[*func() bool]bool // timers of the manager: stop latencies, Scheduler ticks
	changed          chan struct{}         // closed at every change of state

	wg sync.WaitGroup // every goroutine of the manager

	// What the dynos' processes leave behind, each with its own lock
	// (dynoreaper.go).
	reaper   reaper
	sessions sessionWatch
}

func newManager(e *Emulator, cfg DynoConfig, apps []App) (*manager, []App, error) {
	if cfg.Procfile == nil {
		return nil, nil, errors.New("emulator: dynos need a Procfile")
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.StopLatency < 0 || cfg.KillAfter < 0 || cfg.RestartDelay < 0 || cfg.Cycle < 0 || cfg.CycleJitter < 0 {
		return nil, nil, errors.New("emulator: dyno delays cannot be negative")
	}
	if cfg.CycleJitter > 0 && cfg.Cycle == 0 {
		return nil, nil, errors.New("emulator: CycleJitter is added to Cycle, which is not set")
	}
	if cfg.SchedulerSkip < 0 || cfg.SchedulerSkip > 1 || cfg.SchedulerDup < 0 || cfg.SchedulerDup > 1 {
		return nil, nil, errors.New("emulator: Scheduler probabilities are between 0 and 1")
	}
	for _, kv := range cfg.Env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return nil, nil, fmt.Errorf("emulator: environment %q: want KEY=VALUE", kv)
		}
	}
	cfg.KillAfter = cmp.Or(cfg.KillAfter, DefaultKillAfter)
	cfg.RestartDelay = cmp.Or(cfg.RestartDelay, DefaultRestartDelay)
	if cfg.AfterFunc == nil {
		cfg.AfterFunc = func(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
	}
	m := &manager{
		e: e, cfg: cfg, log: newLogStream(cfg.Log, e.now, cfg.Redact),
		jitter:  rand.New(rand.NewPCG(cfg.Seed, jitterStream)),
		numbers: map[string]int{}, crashes: map[string]int{}, pending: map[*func() bool]bool{},
		changed:  make(chan struct{}),
		reaper:   reaper{mains: map[int]bool{}},
		sessions: sessionWatch{watched: map[int]func(){}},
	}
	out := make([]App, len(apps))
	for i, ac := range apps {
		procs, err := cfg.Procfile.formation(ac.Formation)
		if err != nil {
			return nil, nil, fmt.Errorf("emulator: app %s: %w", ac.Name, err)
		}
		out[i] = App{Name: ac.Name, Formation: procs}
	}
	for i, job := range cfg.Scheduler {
		if job.Every <= 0 || job.First < 0 || strings.TrimSpace(job.Command) == "" {
			return nil, nil, fmt.Errorf("emulator: Scheduler job %d: want a positive interval and a command", i+1)
		}
		if job.App != "" && !slices.ContainsFunc(apps, func(a App) bool { return a.Name == job.App }) {
			return nil, nil, fmt.Errorf("emulator: Scheduler job %d: no app %s", i+1, job.App)
		}
	}
	if len(cfg.Scheduler) > 0 && len(apps) == 0 {
		return nil, nil, errors.New("emulator: Scheduler jobs need an app")
	}
	return m, out, nil
}

// StartDynos starts the processes of every app's formation, and the
// Scheduler. apiURL is the emulator's own URL, given to dynos as
// HEROKU_API_URL. It fails without Config.Dynos, or when called twice.
func (e *Emulator) StartDynos(apiURL string) error {
	m := e.dynos
	if m == nil {
		return errors.New("emulator: no dyno manager (Config.Dynos is not set)")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if m.started || m.closing {
		return errors.New("emulator: dynos already started")
	}
	if m.cfg.Subreaper {
		switch err := becomeSubreaper(); {
		case err == nil:
			m.startReaper()
		case !errors.Is(err, errors.ErrUnsupported):
			return fmt.Errorf("emulator: become a child subreaper: %w", err)
		}
	}
	m.apiURL, m.started = apiURL, true
	m.log.start()
	for _, a := range e.sortedApps() {
		for _, d := range slices.Clone(a.dynos) {
			if d.run != nil && !d.run.launched && !d.run.stopping {
				m.launch(d, e.now())
			}
		}
	}
	m.startScheduler()
	return nil
}

// StopDynos stops every dyno as the platform does (SIGTERM to each
// process group, SIGKILL after the kill-after time) and the Scheduler, and
// returns once no process of any dyno is left. When ctx is done first, the
// remaining processes get SIGKILL at once. It never waits for ever: what
// SIGKILL cannot end within a few seconds is left behind, and said so.
// Once the dynos are stopped, it does nothing.
func (e *Emulator) StopDynos(ctx context.Context) error {
	m := e.dynos
	if m == nil {
		return nil
	}
	e.mu.Lock()
	if m.closing {
		e.mu.Unlock()
		return nil
	}
	m.closing = true
	for stop := range m.pending {
		(*stop)()
	}
	clear(m.pending)
	now := e.now()
	for _, a := range e.sortedApps() {
		for _, d := range slices.Clone(a.dynos) {
			if d.run == nil {
				continue
			}
			if !d.run.stopping {
				m.setState(d, "down", now)
			}
			m.terminate(d, now)
		}
	}
	e.mu.Unlock()

	var err error
	if m.waitIdle(ctx) != nil {
		m.killAll()
		bound, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = m.waitIdle(bound)
		cancel()
	}
	if err != nil {
		err = fmt.Errorf("emulator: some dyno processes did not die after SIGKILL: %w", err)
		m.closeOutputs()
	}
	m.stopReaper()
	if !waitGroup(&m.wg, 5*time.Second) && err == nil {
		err = errors.New("emulator: the output of some dynos was still open 5s after they stopped")
	}
	m.log.close(5 * time.Second)
	return err
}

// waitGroup waits for wg, at most d; it reports whether wg was done.
func waitGroup(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// waitIdle waits until no dyno has a process left.
func (m *manager) waitIdle(ctx context.Context) error {
	for {
		m.e.mu.Lock()
		n, ch := m.running, m.changed
		m.e.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// killAll sends SIGKILL to every dyno still running: a second interrupt
// during shutdown, or the bound of the shutdown.
func (m *manager) killAll() {
	m.e.mu.Lock()
	defer m.e.mu.Unlock()
	for _, a := range m.e.sortedApps() {
		for _, d := range a.dynos {
			if r := d.run; r != nil && r.running() && r.pid != 0 {
				m.log.heroku(d.name(), "Stopping process with SIGKILL")
				signalDyno(r.pid, syscall.SIGKILL)
			}
		}
	}
}

// closeOutputs ends the reading of every dyno's output: the last resort of
// a shutdown whose processes would not die.
func (m *manager) closeOutputs() {
	m.e.mu.Lock()
	defer m.e.mu.Unlock()
	for _, a := range m.e.apps {
		for _, d := range a.dynos {
			if d.run != nil && d.run.out != nil {
				d.run.out.Close()
			}
		}
	}
}

// WaitDynos waits until cond holds for the app's dynos, as the API lists
// them; cond is called again after every change. It fails when ctx is done
// first, or without a dyno manager.
func (e *Emulator) WaitDynos(ctx context.Context, appName string, cond func([]DynoState) bool) error {
	if e.dynos == nil {
		return errors.New("emulator: no dyno manager (Config.Dynos is not set)")
	}
	for {
		e.mu.Lock()
		var states []DynoState
		if a := e.apps[appName]; a != nil {
			now := e.now()
			for _, d := range a.dynos {
				state, _ := d.state(now, e.bootDelay)
				states = append(states, DynoState{ID: d.id, Name: d.name(), Type: d.typ, State: state})
			}
		}
		ch := e.dynos.changed
		e.mu.Unlock()
		if cond(states) {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("emulator: wait for the dynos of %s: %w (last seen: %v)", appName, ctx.Err(), states)
		}
	}
}

func (e *Emulator) sortedApps() []*app {
	out := make([]*app, 0, len(e.apps))
	for _, a := range e.apps {
		out = append(out, a)
	}
	slices.SortFunc(out, func(x, y *app) int { return strings.Compare(x.name, y.name) })
	return out
}

// command is the command of a process type: the Procfile's with a dyno
// manager, else bin/TYPE.
func (e *Emulator) command(typ string) string {
	if e.dynos != nil {
		if c, ok := e.dynos.cfg.Procfile.Commands[typ]; ok {
			return c
		}
	}
	return "bin/" + typ
}

func (e *Emulator) logInfo(msg string, args ...any) {
	if e.log != nil {
		e.log.Info(msg, args...)
	}
}
