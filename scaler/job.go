package scaler

import (
	"cmp"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// MaxGrace bounds a job's grace period: Heroku sends SIGKILL 30 seconds
// after SIGTERM, so a grace of 30s or more would never end in our SIGKILL.
const MaxGrace = 30 * time.Second

// Exit statuses that a job's run reports, as shells do.
const (
	StatusTimeout     = 124 // the job ran past its timeout (as timeout(1))
	StatusCannotRun   = 126 // the command exists but cannot be run
	StatusNotFound    = 127 // the command does not exist
	statusSignalShift = 128 // 128+N: ended by signal N
)

// DefaultSettle is how long a job's run waits, after the job exits on its
// own, for a stop signal before it calls the job completed. On Heroku a
// shutdown sends SIGTERM to every process of the dyno at about the same
// moment, and the job may get its own a little earlier and exit, even with
// status 0 after cleaning up: its exit alone cannot tell completion from
// shutdown. 600ms covers a job that gets its SIGTERM up to half a second
// before scaler does, with room for scheduling delays; it is also what a
// completed job's scale-down waits (README, "Run a long job").
const DefaultSettle = 600 * time.Millisecond

// Job is a command run by `scaler run`, in its own process group, with
// its standard streams passed straight through.
type Job struct {
	Path string   // the program, looked up in PATH
	Args []string // its arguments, without the program
	Env  []string // its environment; nil means scaler's own

	Stdin          io.Reader
	Stdout, Stderr io.Writer

	// Grace is how long the job has to exit after SIGTERM before its whole
	// process group is killed; less than MaxGrace.
	Grace time.Duration
	// Timeout, when positive, bounds the job's run time.
	Timeout time.Duration
	// Settle is how long Run waits after the job exits on its own for a
	// stop signal that says the dyno is being shut down; DefaultSettle
	// when zero.
	Settle time.Duration
	// StopWait bounds the wait for scaler's own stop signal after the job
	// was ended by a SIGTERM that scaler did not send (it died of it, or
	// exited 143): something is stopping the dyno, most likely the
	// platform, whose SIGTERM reaches scaler too, and whose SIGKILL follows
	// within MaxGrace. If nothing comes, nobody was stopping the dyno and
	// the job counts as ended on its own. MaxGrace when zero.
	StopWait time.Duration
	// PassOn says whether a stop signal that reached scaler goes on to the
	// job's process group; nil passes every one on. Where the platform
	// signals every process of the dyno (Heroku's Cedar dynos), the job
	// gets the platform's SIGTERM itself, and passing scaler's on would
	// give it a second: PassOn says no to it. Whether passed on or not, a
	// stop signal starts the grace, at whose end the group is killed: a
	// job that the platform's signal missed (it started as the platform
	// listed the dyno's processes) still ends before the platform's
	// SIGKILL. The timeout's SIGTERM is scaler's own, and always sent.
	PassOn func(os.Signal) bool
	// Signals is the job's own subscription to the SIGTERM and SIGINT that
	// reach scaler: every one, from before the job's start (a stop that
	// came earlier is there first) to the end of Run. Nobody else reads it.
	Signals <-chan os.Signal
	Log     *slog.Logger

	// starting, for this package's tests, runs between Run's last look at
	// the signals before the job's start and the start.
	starting func()
}

// Outcome is how a job's run ended.
type Outcome struct {
	// Status is the exit status to report: the job's own, 128+N when signal
	// N ended it, StatusTimeout after its timeout, 128+N when scaler itself
	// was told to stop by signal N, 126 or 127 when it could not start.
	Status int
	// Completed is true when the job ended on its own, or by its timeout:
	// the work is over and the formation may go back to zero. It is false
	// when the dyno is being shut down (a stop signal reached scaler before
	// the job exited, or within the settle period after), or when a person
	// stopped the job with SIGINT: the job has not completed, and Heroku
	// must start it again.
	Completed bool
	// TimedOut is true when the job was stopped by its timeout.
	TimedOut bool
	// Took is how long the job ran, from its start to its exit; zero when
	// it was not started.
	Took time.Duration
	// NotStarted is true when the job was never started: a stop signal
	// came first (Signal says which), or its command could not start
	// (StatusNotFound, StatusCannotRun).
	NotStarted bool
	// Signal is the signal that stopped the job before it completed: the
	// one that reached scaler, or the SIGINT the job died of; SIGTERM when
	// Run's context ended it (its caller is stopping).
	Signal os.Signal
}

// Run starts the job and waits until it ends. A signal before the job ends
// is passed on to the job's process group (again for each repeat: the
// platform may send several); after Grace, the group is killed. The timeout
// is handled the same way. Once the job has exited, Run decides whether it
// completed (see Outcome.Completed, Settle and StopWait). Run returns when
// that is decided and the job and what it left in its group are gone, or
// killed.
func (j *Job) Run(ctx context.Context) Outcome {
	if j.Log == nil {
		j.Log = slog.New(slog.DiscardHandler)
	}
	cmd := exec.Command(j.Path, j.Args...)
	cmd.Env = j.Env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = j.Stdin, j.Stdout, j.Stderr
	// Its own process group, so that a signal reaches what the job starts.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// In a terminal (heroku run bash), the job gets the terminal's
	// foreground: a job in a background group that reads the terminal is
	// stopped by SIGTTIN for ever.
	tty := foreground(j.Stdin)
	if tty != nil {
		cmd.SysProcAttr.Foreground, cmd.SysProcAttr.Ctty = true, int(tty.file.Fd())
		defer tty.reclaim()
	}
	// When the streams are not files, a grandchild holding them must not
	// hold up the end of the run.
	cmd.WaitDelay = time.Second
	// A stop signal that came before the start (the dyno is being stopped
	// as it boots): the job does not start, and the platform starts it
	// again in the next dyno. Once it has started, the loop below reads
	// the signals.
	select {
	case sig := <-j.Signals:
		return Outcome{Status: statusSignalShift + signalNumber(sig), Signal: sig, NotStarted: true}
	default:
	}
	if j.starting != nil {
		j.starting()
	}
	if err := cmd.Start(); err != nil {
		status := StatusCannotRun
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
			status = StatusNotFound
		}
		j.Log.Error("job did not start", "command", j.Path, "status", status, "err", err)
		return Outcome{Status: status, Completed: true, NotStarted: true}
	}
	group := cmd.Process.Pid
	began := time.Now()
	j.Log.Info("job started", "command", j.Path, "pid", group)

	exited := make(chan *os.ProcessState, 1)
	go func() {
		cmd.Wait()
		exited <- cmd.ProcessState
	}()

	var (
		out     Outcome
		st      *os.ProcessState
		timeout <-chan time.Time
		kill    <-chan time.Time
		killed  bool
	)
	if j.Timeout > 0 {
		t := time.NewTimer(j.Timeout)
		defer t.Stop()
		timeout = t.C
	}
	// stop sends sig to the group, when send says so, and starts the
	// grace.
	stop := func(sig syscall.Signal, send bool) {
		if send {
			signalGroup(group, sig)
		}
		if kill == nil {
			t := time.NewTimer(j.Grace)
			kill = t.C
		}
	}
	signalled := func(sig os.Signal, passOn bool) {
		if out.Signal == nil && !out.TimedOut {
			out.Signal = sig
			j.Log.Warn("shutdown before completion", "signal", SignalName(sig), "passed_on", passOn, "grace", j.Grace)
		}
		stop(toSyscall(sig), passOn)
	}
	// A stop signal that reached scaler while the job was being started
	// may have been sent before the job's process existed: the platform
	// signals the processes of the dyno it finds, and the job was not one
	// of them yet. It goes on to the job whatever PassOn says. (The
	// platform could also list the dyno's processes just before the job
	// forks and signal them just after it started: then the job gets no
	// SIGTERM, and the grace's SIGKILL ends it. Heroku documents the stop
	// as one SIGTERM to every process; how it lists them is unconfirmed.)
	select {
	case sig := <-j.Signals:
		signalled(sig, true)
	default:
	}
	done := ctx.Done()
	for st == nil {
		select {
		case st = <-exited:
		case sig := <-j.Signals:
			signalled(sig, j.passOn(sig))
		case <-done:
			// The caller gave up: stop as for a shutdown.
			done = nil
			if out.Signal == nil && !out.TimedOut {
				out.Signal = syscall.SIGTERM
				j.Log.Warn("shutdown before completion", "signal", "TERM", "err", ctx.Err())
			}
			stop(syscall.SIGTERM, true)
		case <-timeout:
			if out.Signal == nil {
				out.TimedOut, out.Completed = true, true
				j.Log.Warn("job timed out", "timeout", j.Timeout, "grace", j.Grace)
				stop(syscall.SIGTERM, true)
			}
		case <-kill:
			j.Log.Warn("job killed", "signal", "KILL", "grace", j.Grace)
			signalGroup(group, syscall.SIGKILL)
			kill, killed = nil, true
		}
	}
	// A fact for debugging: what the exit means is decided below, and said
	// by the caller, which knows what follows.
	out.Took = time.Since(began)
	j.Log.Debug("job exited", "status", exitStatus(st), "took", out.Took.Round(time.Millisecond))
	// Whatever the job left running in its group goes with it, while Run
	// decides what the exit means. It got the platform's stop signal with
	// the job when scaler did not pass its own on: it is not signalled
	// again.
	term := out.Signal == nil || j.passOn(out.Signal)
	reaped := make(chan struct{})
	go func() {
		defer close(reaped)
		j.reap(group, kill, killed, term)
	}()
	if out.Signal == nil && !out.TimedOut {
		j.settle(ctx, st, &out)
	}
	switch {
	case out.TimedOut:
		out.Status = StatusTimeout
	case out.Signal != nil:
		out.Status = statusSignalShift + signalNumber(out.Signal)
	default:
		out.Status = exitStatus(st)
	}
	<-reaped
	return out
}

// settle decides whether a job that exited before any stop signal reached
// scaler completed, or was stopped by a shutdown that reached it first. It
// waits for a stop signal: for Settle after an ordinary exit, and for
// StopWait after the job died of SIGTERM or exited 143, a SIGTERM that
// scaler did not send. A job ended by SIGINT was stopped by a person (a
// Ctrl-C in a terminal reaches the foreground job, not scaler): it did not
// complete.
func (j *Job) settle(ctx context.Context, st *os.ProcessState, out *Outcome) {
	wait := cmp.Or(j.Settle, DefaultSettle)
	switch {
	case stoppedBy(st, syscall.SIGINT):
		out.Signal = syscall.SIGINT
		j.Log.Debug("job interrupted", "signal", "INT", "status", exitStatus(st)) // the run says it, at warn
		return
	case stoppedBy(st, syscall.SIGTERM):
		wait = cmp.Or(j.StopWait, MaxGrace)
		j.Log.Warn("job stopped by SIGTERM", "status", exitStatus(st), "wait", wait)
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case sig := <-j.Signals:
		out.Signal = sig
		j.Log.Warn("shutdown before completion", "signal", SignalName(sig), "after_exit", true)
	case <-ctx.Done():
		out.Signal = syscall.SIGTERM
		j.Log.Warn("shutdown before completion", "signal", "TERM", "err", ctx.Err())
	case <-t.C:
		out.Completed = true
		if stoppedBy(st, syscall.SIGTERM) {
			j.Log.Warn("no shutdown followed", "waited", wait, "hint", "something in the dyno stopped the job with SIGTERM; it counts as ended on its own")
		}
	}
}

// passOn reports whether a stop signal goes on to the job's group.
func (j *Job) passOn(sig os.Signal) bool {
	return j.PassOn == nil || j.PassOn(sig)
}

// stoppedBy reports whether a process ended because of sig: it died of it,
// or exited with 128+N, as a shell or a job that catches it does.
func stoppedBy(st *os.ProcessState, sig os.Signal) bool {
	return exitStatus(st) == statusSignalShift+signalNumber(sig)
}

// reap ends what the job left in its process group once the job itself has
// exited: SIGTERM (unless term is false), then SIGKILL when the grace
// (already running, or a new one) is over and something is still there;
// then it waits, briefly, for the group to be gone. killed says SIGKILL
// was already sent.
func (j *Job) reap(group int, kill <-chan time.Time, killed, term bool) {
	if !groupAlive(group) {
		return
	}
	if !killed {
		if term {
			signalGroup(group, syscall.SIGTERM)
		}
		if kill == nil {
			t := time.NewTimer(j.Grace)
			defer t.Stop()
			kill = t.C
		}
	}
	// After SIGKILL the processes still take a moment to die, and their
	// new parent a moment to reap them: wait for that, but not for ever.
	var after <-chan time.Time
	if killed {
		signalGroup(group, syscall.SIGKILL)
		after = time.After(time.Second)
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for groupAlive(group) {
		select {
		case <-kill:
			signalGroup(group, syscall.SIGKILL)
			kill, after = nil, time.After(time.Second)
		case <-after:
			return
		case <-tick.C:
		}
	}
}

func signalGroup(group int, sig syscall.Signal) {
	// ESRCH when the group is already gone: nothing to do.
	_ = syscall.Kill(-group, sig)
}

func groupAlive(group int) bool {
	return syscall.Kill(-group, 0) == nil
}

// exitStatus is the status a shell would report: the exit code, or 128+N
// when signal N ended the process.
func exitStatus(st *os.ProcessState) int {
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return statusSignalShift + int(ws.Signal())
	}
	return st.ExitCode()
}

func toSyscall(sig os.Signal) syscall.Signal {
	if s, ok := sig.(syscall.Signal); ok {
		return s
	}
	return syscall.SIGTERM
}

func signalNumber(sig os.Signal) int { return int(toSyscall(sig)) }

// SignalName names a signal as logs do: TERM, INT.
func SignalName(sig os.Signal) string {
	switch toSyscall(sig) {
	case syscall.SIGTERM:
		return "TERM"
	case syscall.SIGINT:
		return "INT"
	case syscall.SIGKILL:
		return "KILL"
	}
	return sig.String()
}
