package emulator

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// A dyno's process: its start, its environment, its output and its exit.

// launch starts a dyno's process: `/bin/sh -c COMMAND` in the Procfile's
// directory, in a session (and process group) of its own, its output and
// errors going to the log stream. A lone simple command is exec'd, so that
// the dyno's process is the command's, as on the platform (see shellLine).
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
	cmd := exec.Command("/bin/sh", "-c", shellLine(d.command))
	cmd.Dir, cmd.Env = m.cfg.Procfile.Dir, m.environ(d)
	cmd.Stdout, cmd.Stderr = pw, pw
	// A session of its own, so that every process the dyno starts, in
	// whatever process group, is known as the dyno's (see signalDyno).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	m.reaper.mu.Lock()
	err = cmd.Start()
	if err == nil {
		m.reaper.mains[cmd.Process.Pid] = true
	}
	m.reaper.mu.Unlock()
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
	case !r.oneOff && m.cfg.Cycle > 0:
		r.timers = append(r.timers, m.timer(d, m.cycle(), false, func(now time.Time) {
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
	path := filepath.Join(m.cfg.Procfile.Dir, "bin")
	if old := os.Getenv("PATH"); old != "" {
		path += string(os.PathListSeparator) + old
	}
	env = append(env, "PATH="+path)
	env = append(env, m.cfg.Env...)
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
	m.reaper.mu.Lock()
	delete(m.reaper.mains, cmd.Process.Pid)
	m.reaper.mu.Unlock()
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
