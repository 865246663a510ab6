package emulator

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
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
	// process group) of its own.
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
	// started, as Heroku does every 24 hours plus up to 216 minutes.
	Cycle time.Duration
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

// DynoState is a dyno as the API lists it.
type DynoState struct {
	ID, Name, Type, State string
}

// dynoRun is a dyno's process and state, under the emulator's lock.
type dynoRun struct {
	app     *app
	state   string
	changed time.Time

	oneOff bool
	env    []string      // a one-off's own environment
	ttl    time.Duration // a one-off's time to live
	doom   *scaleDown    // the scale-down that took it away: it stops when that one's stop latency is over

	launched bool
	stopping bool // its processes are being stopped, and the record goes with them
	pid      int  // its command's pid, which is its session and process group too
	out      *os.File
	drained  chan struct{} // its output has reached EOF
	exited   bool          // its command has exited
	gone     bool          // no process of its group is left

	timers  []func() bool // boot, cycling, time to live, kill-after
	restart func() bool   // a pending restart, after a crash
}

func (r *dynoRun) cancelTimers() {
	for _, stop := range r.timers {
		stop()
	}
	r.timers = nil
	if r.restart != nil {
		r.restart()
		r.restart = nil
	}
}

// scaleDown is one scale-down of a dyno, whose stop comes after the stop
// latency, to the dyno or to what replaced it after a crash. A run's doom
// is compared by identity: at, beyond saying when, keeps the struct from
// being of size zero, whose pointers Go may make equal.
type scaleDown struct{ at time.Time }

// running reports whether the dyno has processes, or may have.
func (r *dynoRun) running() bool { return r.launched && !r.gone }

// manager is the dyno manager of an Emulator.
type manager struct {
	e         *Emulator
	procfile  *Procfile
	env       []string
	latency   time.Duration
	killAfter time.Duration
	coolOff   time.Duration
	cycle     time.Duration
	subreaper bool
	log       *logStream
	after     func(time.Duration, func()) func() bool
	scheduler []SchedulerJob
	skip, dup float64
	seed      uint64

	// Guarded by e.mu.
	apiURL           string
	started, closing bool
	running          int                   // dynos whose processes are not all gone
	numbers          map[string]int        // app/type -> the last one-off number
	crashes          map[string]int        // app/name -> crashes since the dyno's last restart through the API
	pending          map[*func() bool]bool // timers of the manager: stop latencies, Scheduler ticks
	changed          chan struct{}         // closed at every change of state

	wg sync.WaitGroup // every goroutine of the manager

	// pidsMu guards mains, and makes a start and its registration atomic
	// for the reaper.
	pidsMu sync.Mutex
	mains  map[int]bool // the dynos' commands, which os/exec waits for

	watchMu  sync.Mutex
	watched  map[int]func() // dyno session -> what to do once it is empty (under e.mu)
	watching bool

	reaperDone chan struct{}
}

func newManager(e *Emulator, cfg DynoConfig, apps []App) (*manager, []App, error) {
	if cfg.Procfile == nil {
		return nil, nil, errors.New("emulator: dynos need a Procfile")
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.StopLatency < 0 || cfg.KillAfter < 0 || cfg.RestartDelay < 0 || cfg.Cycle < 0 {
		return nil, nil, errors.New("emulator: dyno delays cannot be negative")
	}
	if cfg.SchedulerSkip < 0 || cfg.SchedulerSkip > 1 || cfg.SchedulerDup < 0 || cfg.SchedulerDup > 1 {
		return nil, nil, errors.New("emulator: Scheduler probabilities are between 0 and 1")
	}
	for _, kv := range cfg.Env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return nil, nil, fmt.Errorf("emulator: environment %q: want KEY=VALUE", kv)
		}
	}
	m := &manager{
		e: e, procfile: cfg.Procfile, env: cfg.Env, latency: cfg.StopLatency,
		killAfter: cmp.Or(cfg.KillAfter, DefaultKillAfter), coolOff: cmp.Or(cfg.RestartDelay, DefaultRestartDelay),
		cycle: cfg.Cycle, subreaper: cfg.Subreaper, log: newLogStream(cfg.Log, e.now, cfg.Redact),
		scheduler: cfg.Scheduler, skip: cfg.SchedulerSkip, dup: cfg.SchedulerDup, seed: cfg.Seed,
		numbers: map[string]int{}, crashes: map[string]int{}, pending: map[*func() bool]bool{},
		changed: make(chan struct{}), mains: map[int]bool{}, watched: map[int]func(){},
	}
	m.after = cfg.AfterFunc
	if m.after == nil {
		m.after = func(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
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
	if m.subreaper {
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

// notify wakes whoever waits for a change of state.
func (m *manager) notify() {
	close(m.changed)
	m.changed = make(chan struct{})
}

// schedule runs f, under the emulator's lock, after d; the timer is the
// manager's, cancelled when the dynos stop. f does not run once they do.
func (m *manager) schedule(d time.Duration, f func(now time.Time)) {
	var stop func() bool
	key := &stop
	stop = m.after(d, func() {
		m.e.mu.Lock()
		defer m.e.mu.Unlock()
		if !m.pending[key] {
			return
		}
		delete(m.pending, key)
		f(m.e.now())
	})
	m.pending[key] = true
}

// timer runs f, under the emulator's lock, after d, unless the dyno's
// timers are cancelled first; f does not run once the dynos stop, unless
// always is set (the kill-after of a stop).
func (m *manager) timer(d *dyno, after time.Duration, always bool, f func(now time.Time)) func() bool {
	cancelled := false
	stop := m.after(after, func() {
		m.e.mu.Lock()
		defer m.e.mu.Unlock()
		if cancelled || d.run.gone || (m.closing && !always) {
			return
		}
		f(m.e.now())
	})
	// cancelled is read and written under e.mu: a timer that fires while
	// it is being cancelled does nothing.
	return func() bool {
		cancelled = true
		return stop()
	}
}

// newDyno adds a dyno record to an app; it runs once launched.
func (m *manager) newDyno(a *app, typ string, num int, size, command string, now time.Time) *dyno {
	d := &dyno{
		id: m.e.newID(), typ: typ, num: num, size: size, command: command, createdAt: now, startedAt: now,
		run: &dynoRun{app: a, state: "starting", changed: now},
	}
	a.dynos = append(a.dynos, d)
	sortDynos(a)
	m.notify()
	return d
}

func sortDynos(a *app) {
	slices.SortStableFunc(a.dynos, func(x, y *dyno) int {
		return cmp.Or(strings.Compare(x.typ, y.typ), x.num-y.num)
	})
}

// unlist removes a dyno record from its app's list.
func (m *manager) unlist(d *dyno) {
	a := d.run.app
	if i := slices.Index(a.dynos, d); i >= 0 {
		a.dynos = slices.Delete(a.dynos, i, i+1)
		m.notify()
	}
}

// setState changes a dyno's state, and logs it as the platform does.
func (m *manager) setState(d *dyno, to string, now time.Time) {
	r := d.run
	if r.state == to {
		return
	}
	m.log.heroku(d.name(), "State changed from "+r.state+" to "+to)
	r.state, r.changed = to, now
	m.notify()
}

// reconcile makes an app's dynos of a process type match its quantity:
// dynos 1..N run; higher-numbered ones are scaled away, and stopped after
// the stop latency; a size change restarts the type's dynos.
func (m *manager) reconcile(a *app, p *process, resized bool, now time.Time) {
	live := map[int]*dyno{}
	for _, d := range a.dynos {
		if d.typ == p.typ && !d.run.oneOff && d.run.doom == nil && !d.run.stopping {
			live[d.num] = d
		}
	}
	for _, num := range slices.Sorted(maps.Keys(live)) {
		d := live[num]
		switch {
		case num > p.quantity:
			m.scaleAway(d, now)
		case resized:
			m.replace(d, "Restarting", "starting", now)
		}
	}
	if m.closing {
		return
	}
	for num := 1; num <= p.quantity; num++ {
		if live[num] == nil {
			d := m.newDyno(a, p.typ, num, p.size, p.command, now)
			if m.started {
				m.launch(d, now)
			}
		}
	}
}

// scaleAway marks a dyno scaled away: down at once, as the platform's logs
// show it, and stopped when the stop latency is over. Until then its
// processes run, and if its command exits it is restarted like any crashed
// dyno: what the platform does in that window is unconfirmed, and that is
// the worst case for a job whose supervisor exits right after scaling its
// own type down.
func (m *manager) scaleAway(d *dyno, now time.Time) {
	r := d.run
	r.doom = &scaleDown{at: now}
	m.setState(d, "down", now)
	if !r.running() || r.exited {
		m.terminate(d, now) // crashed, or not started: nothing to wait for
		return
	}
	a, doom := r.app, r.doom
	stop := func(now time.Time) { m.stopScaledAway(a, doom, now) }
	if m.latency == 0 {
		stop(now)
		return
	}
	m.schedule(m.latency, stop)
}

// stopScaledAway stops what a scale-down took away: the dyno, or the one
// that replaced it after a crash.
func (m *manager) stopScaledAway(a *app, doom *scaleDown, now time.Time) {
	for _, d := range slices.Clone(a.dynos) {
		if d.run.doom == doom && !d.run.stopping {
			m.setState(d, "down", now)
			m.terminate(d, now)
		}
	}
}

// replace stops a dyno and starts a new one in its place, for a restart,
// a stop (the formation brings it back) or cycling. The new one starts as
// the old one gets SIGTERM: on the platform old and new dynos briefly
// overlap during restarts and cycling, and DYNO is the same for both, which
// is the worst case for a job that must not run twice.
func (m *manager) replace(d *dyno, why, to string, now time.Time) {
	if why != "" {
		m.log.heroku(d.name(), why)
	}
	m.setState(d, to, now)
	p := d.run.app.process(d.typ)
	nd := m.newDyno(d.run.app, d.typ, d.num, p.size, p.command, now)
	d.run.state = "down" // the old record, until its processes are gone
	m.terminate(d, now)
	if m.started && !m.closing {
		m.launch(nd, now)
	}
}

// terminate stops a dyno's processes: SIGTERM to every one of them,
// then SIGKILL to what is left after the kill-after time. Its record goes
// once no process of the group is left.
func (m *manager) terminate(d *dyno, now time.Time) {
	r := d.run
	r.cancelTimers()
	if r.stopping {
		return
	}
	r.stopping = true
	switch {
	case !r.running():
		// Never started, or already gone (crashed): nothing to stop.
		m.unlist(d)
		return
	case r.exited:
		return // its command has exited; what is left is being killed
	}
	m.log.heroku(d.name(), "Stopping all processes with SIGTERM")
	signalDyno(r.pid, syscall.SIGTERM)
	r.timers = append(r.timers, m.timer(d, m.killAfter, true, func(now time.Time) {
		if len(liveDynos(map[int]bool{r.pid: true})) == 0 {
			return // all gone; the watcher is about to say so
		}
		m.log.heroku(d.name(), fmt.Sprintf("Error R12 (Exit timeout) -> At least one process failed to exit within %s of SIGTERM", seconds(m.killAfter)))
		m.log.heroku(d.name(), "Stopping process with SIGKILL")
		signalDyno(r.pid, syscall.SIGKILL)
	}))
}

// seconds says a duration as the platform's R12 line does: "30 seconds".
func seconds(d time.Duration) string {
	s := strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
	if s == "1" {
		return "1 second"
	}
	return s + " seconds"
}

// launch starts a dyno's process: `/bin/sh -c COMMAND` in the Procfile's
// directory, in a session (and process group) of its own, its output and errors going
// to the log stream.
func (m *manager) launch(d *dyno, now time.Time) {
	r := d.run
	if m.closing {
		// Nothing starts once the dynos are being stopped.
		r.stopping = true
		m.unlist(d)
		return
	}
	r.launched = true
	r.state, r.changed = "starting", now
	m.running++
	m.notify()
	m.log.heroku(d.name(), "Starting process with command `"+d.command+"`")

	pr, pw, err := os.Pipe()
	if err != nil {
		m.startFailed(d, err, now)
		return
	}
	cmd := exec.Command("/bin/sh", "-c", d.command)
	cmd.Dir, cmd.Env = m.procfile.Dir, m.environ(d)
	cmd.Stdout, cmd.Stderr = pw, pw
	// A session of its own, so that every process the dyno starts, in
	// whatever process group, is known as the dyno's (see signalDyno).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	m.pidsMu.Lock()
	err = cmd.Start()
	if err == nil {
		m.mains[cmd.Process.Pid] = true
	}
	m.pidsMu.Unlock()
	pw.Close()
	if err != nil {
		pr.Close()
		m.startFailed(d, err, now)
		return
	}
	r.pid, r.out, r.drained = cmd.Process.Pid, pr, make(chan struct{})
	m.wg.Add(2)
	go m.read(d, pr, r.drained)
	go m.wait(d, cmd)

	r.timers = append(r.timers, m.timer(d, m.e.bootDelay, false, func(now time.Time) {
		if r.state == "starting" && !r.exited && !r.stopping {
			m.setState(d, "up", now)
		}
	}))
	switch {
	case r.oneOff && r.ttl > 0:
		r.timers = append(r.timers, m.timer(d, r.ttl, false, func(now time.Time) {
			if !r.exited && !r.stopping {
				m.setState(d, "down", now)
				m.terminate(d, now)
			}
		}))
	case !r.oneOff && m.cycle > 0:
		r.timers = append(r.timers, m.timer(d, m.cycle, false, func(now time.Time) {
			if !r.exited && !r.stopping && r.doom == nil {
				m.replace(d, "Cycling", "starting", now)
			}
		}))
	}
}

// startFailed handles a process that could not be started at all, as a
// shell does a command it cannot run.
func (m *manager) startFailed(d *dyno, err error, now time.Time) {
	m.e.logInfo("dyno did not start", "dyno", d.name(), "err", err)
	m.exited(d, 127, now)
}

// environ is a dyno's environment: the emulator's own, with the Procfile
// directory's bin first on PATH (as the Go and most buildpacks set it),
// the app's config vars, a one-off's own variables, and what the platform
// sets, which nothing overrides.
func (m *manager) environ(d *dyno) []string {
	r := d.run
	env := os.Environ()
	path := filepath.Join(m.procfile.Dir, "bin")
	if old := os.Getenv("PATH"); old != "" {
		path += string(os.PathListSeparator) + old
	}
	env = append(env, "PATH="+path)
	env = append(env, m.env...)
	env = append(env, r.env...)
	return append(env,
		"DYNO="+d.name(),
		"PORT="+strconv.Itoa(freePort()),
		"HEROKU_APP_NAME="+r.app.name,
		"HEROKU_APP_ID="+r.app.id,
		"HEROKU_DYNO_ID="+d.id,
		"HEROKU_API_URL="+m.apiURL,
		// Not the platform's: the emulator's clock when the dyno started,
		// for a command such as `scaler apply --at "$SCALER_EMULATOR_NOW"`
		// when the clock runs faster than real time (--clock-rate).
		EnvNow+"="+m.e.now().UTC().Format(time.RFC3339),
	)
}

// freePort returns a TCP port free on loopback now (for $PORT).
func freePort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 5000
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// read sends a dyno's output to the log stream (see output).
func (m *manager) read(d *dyno, out *os.File, drained chan<- struct{}) {
	defer m.wg.Done()
	defer close(drained)
	lines := m.log.output(d.name())
	chunk := make([]byte, 4096)
	for {
		n, err := out.Read(chunk)
		lines.Write(chunk[:n])
		if err != nil {
			lines.end()
			return
		}
	}
}

// wait waits for a dyno's command to exit, and hands its status over.
func (m *manager) wait(d *dyno, cmd *exec.Cmd) {
	defer m.wg.Done()
	cmd.Wait()
	m.pidsMu.Lock()
	delete(m.mains, cmd.Process.Pid)
	m.pidsMu.Unlock()
	// What it printed last comes before its exit in the stream, unless
	// something it left behind keeps its output open.
	t := time.NewTimer(100 * time.Millisecond)
	select {
	case <-d.run.drained:
	case <-t.C:
	}
	t.Stop()
	m.e.mu.Lock()
	defer m.e.mu.Unlock()
	m.exited(d, exitStatus(cmd.ProcessState), m.e.now())
}

// exitStatus is the status the platform reports: the exit code, or 128+N
// when signal N ended the process.
func exitStatus(st *os.ProcessState) int {
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return st.ExitCode()
}

// exited handles the exit of a dyno's command. A dyno being stopped goes
// on stopping; a one-off dyno is complete; a formation dyno has crashed
// and is restarted. The rest of a dyno whose command exited on its own is
// killed: the platform tears the whole dyno down (unconfirmed whether with
// SIGKILL at once; that is the worst case for what is left).
func (m *manager) exited(d *dyno, status int, now time.Time) {
	r := d.run
	r.exited = true
	m.log.heroku(d.name(), fmt.Sprintf("Process exited with status %d", status))
	if !r.stopping {
		if r.pid != 0 {
			signalDyno(r.pid, syscall.SIGKILL)
		}
		if r.oneOff {
			m.log.heroku(d.name(), "State changed from "+r.state+" to complete")
			r.state, r.changed = "down", now
			m.notify()
			r.cancelTimers()
			r.stopping = true
		} else {
			m.crashed(d, now)
		}
	}
	if r.pid == 0 {
		m.gone(d) // it never started
		return
	}
	m.watch(r.pid, func() { m.gone(d) })
}

// gone is called once no process of a dyno's group is left.
func (m *manager) gone(d *dyno) {
	r := d.run
	if r.gone {
		return
	}
	r.gone = true
	m.running--
	for _, stop := range r.timers {
		stop()
	}
	r.timers = nil
	if r.out != nil {
		// Let the reader take what is left in the pipe, unless something
		// that escaped the group keeps it open.
		out, drained := r.out, r.drained
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			t := time.NewTimer(200 * time.Millisecond)
			defer t.Stop()
			select {
			case <-drained:
			case <-t.C:
			}
			out.Close()
		}()
	}
	if r.stopping {
		m.unlist(d)
	}
	m.notify()
}

// crashed restarts a formation dyno whose command exited: at once the
// first time, then after a cool-off that doubles with every crash in a
// row. A release (here, a restart through the API) resets the count.
func (m *manager) crashed(d *dyno, now time.Time) {
	r := d.run
	m.setState(d, "crashed", now)
	r.cancelTimers()
	if m.closing {
		return
	}
	key := r.app.name + "/" + d.name()
	m.crashes[key]++
	delay := time.Duration(0)
	if n := m.crashes[key]; n > 1 {
		delay = m.coolOff
		for i := 2; i < n && delay < MaxRestartDelay; i++ {
			delay *= 2
		}
		delay = min(delay, MaxRestartDelay)
		m.e.logInfo("dyno crashed again", "app", r.app.name, "dyno", d.name(), "crashes", n, "restart_in", delay)
	}
	restart := func(now time.Time) {
		r.restart = nil
		m.restartCrashed(d, now)
	}
	if delay == 0 {
		restart(now)
		return
	}
	cancelled := false
	stop := m.after(delay, func() {
		m.e.mu.Lock()
		defer m.e.mu.Unlock()
		if !cancelled && !m.closing {
			restart(m.e.now())
		}
	})
	r.restart = func() bool {
		cancelled = true
		return stop()
	}
}

// restartCrashed starts a new dyno in the place of a crashed one.
func (m *manager) restartCrashed(d *dyno, now time.Time) {
	r := d.run
	p := r.app.process(d.typ)
	m.log.heroku(d.name(), "State changed from crashed to starting")
	nd := m.newDyno(r.app, d.typ, d.num, p.size, p.command, now)
	nd.run.doom = r.doom
	r.stopping = true
	m.unlist(d)
	m.launch(nd, now)
}

// watch calls gone, under the emulator's lock, once dyno session pgid
// holds no process.
func (m *manager) watch(pgid int, gone func()) {
	if len(liveDynos(map[int]bool{pgid: true})) == 0 {
		gone()
		return
	}
	m.watchMu.Lock()
	defer m.watchMu.Unlock()
	m.watched[pgid] = gone
	if !m.watching {
		m.watching = true
		m.wg.Add(1)
		go m.watchGroups()
	}
}

// watchGroups looks, every 10 ms, at the sessions of dynos whose
// command has exited, until none is left to watch.
func (m *manager) watchGroups() {
	defer m.wg.Done()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		m.watchMu.Lock()
		if len(m.watched) == 0 {
			m.watching = false
			m.watchMu.Unlock()
			return
		}
		groups := map[int]bool{}
		for g := range m.watched {
			groups[g] = true
		}
		m.watchMu.Unlock()
		live := liveDynos(groups)
		for g := range groups {
			if live[g] {
				continue
			}
			m.watchMu.Lock()
			gone := m.watched[g]
			delete(m.watched, g)
			m.watchMu.Unlock()
			m.e.mu.Lock()
			gone()
			m.e.mu.Unlock()
		}
		<-tick.C
	}
}

// startReaper reaps, at every SIGCHLD, the orphans that dynos leave to
// this process (a subreaper), except the dynos' commands, which os/exec
// waits for.
func (m *manager) startReaper() {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGCHLD)
	m.reaperDone = make(chan struct{})
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer signal.Stop(sigs)
		for {
			select {
			case <-sigs:
				m.pidsMu.Lock()
				reapOrphans(m.mains)
				m.pidsMu.Unlock()
			case <-m.reaperDone:
				return
			}
		}
	}()
}

// stopReaper stops the reaper, then kills and reaps whatever is left among
// this process's children: what escaped the dynos' sessions.
func (m *manager) stopReaper() {
	if m.reaperDone == nil {
		return
	}
	close(m.reaperDone)
	m.pidsMu.Lock()
	defer m.pidsMu.Unlock()
	killOrphans(m.mains)
}

// command is the command of a process type: the Procfile's with a dyno
// manager, else bin/TYPE.
func (e *Emulator) command(typ string) string {
	if e.dynos != nil {
		if c, ok := e.dynos.procfile.Commands[typ]; ok {
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
