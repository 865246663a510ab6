package emulator

import (
	"cmp"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The life of a dyno, under the emulator's lock: its states and their
// changes, the timers that drive them, scaling, restarts, stops, crashes
// and exits (see the dyno manager's comment in dynomanager.go).

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
	stop = m.cfg.AfterFunc(d, func() {
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
	stop := m.cfg.AfterFunc(after, func() {
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
	if m.cfg.StopLatency == 0 {
		stop(now)
		return
	}
	m.schedule(m.cfg.StopLatency, stop)
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
	r.timers = append(r.timers, m.timer(d, m.cfg.KillAfter, true, func(now time.Time) {
		if len(liveDynos(map[int]bool{r.pid: true})) == 0 {
			return // all gone; the watcher is about to say so
		}
		m.log.heroku(d.name(), fmt.Sprintf("Error R12 (Exit timeout) -> At least one process failed to exit within %s of SIGTERM", seconds(m.cfg.KillAfter)))
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
		delay = m.cfg.RestartDelay
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
	stop := m.cfg.AfterFunc(delay, func() {
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
