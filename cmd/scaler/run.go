package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scalerdev/scaler/scaler"
)

// Bounds of what follows a completed job.
const (
	// finishAttempt bounds one attempt at run's read before its job or at
	// its scale-down after it, retries included (and done's --timeout).
	finishAttempt = 20 * time.Second
	// defaultFinishTimeout bounds all the attempts: until the scale-down
	// lands, run does not exit, since the platform would start the job
	// again in this dyno.
	defaultFinishTimeout = 30 * time.Minute
	// maxFinishPause caps the pause between two attempts.
	maxFinishPause = time.Minute
	// stopWait bounds the wait for the platform's SIGTERM after run or done
	// scaled the type of their own dyno to 0; the stop comes about a second
	// after the API accepts the change.
	stopWait = 60 * time.Second
)

// defaultGrace is how long a job has between SIGTERM and SIGKILL: under
// Heroku's 30 seconds, so that the job is killed by scaler, group and all,
// before the platform kills the dyno.
const defaultGrace = 25 * time.Second

// The flags of run, beyond the shared ones.
const (
	flagType           = "type"
	flagKeepOnFailure  = "keep-on-failure"
	flagForwardSignals = "forward-signals"
)

// runOptions is what run is asked.
type runOptions struct {
	App, Type                     string
	Grace, Timeout, FinishTimeout time.Duration
	KeepOnFailure                 bool
	ForwardSignals                string   // auto, always or never
	Command                       []string // the job: its program and arguments
}

// What run does with the stop signals it gets (--forward-signals).
const (
	forwardAuto   = "auto"   // pass them on where the platform's do not reach the job
	forwardAlways = "always" // pass every one on
	forwardNever  = "never"  // pass none on: the job gets the platform's, or its grace ends in SIGKILL
)

// signalPolicy decides which of the stop signals that reach scaler run
// passes on to its job, and says why. With auto, it passes none of the
// platform's SIGTERM in a dyno whose platform signals every process
// (Heroku's Cedar dynos, the emulator's dyno manager): the job gets it
// there, and a second, scaler's, would run its handler twice. It passes
// every signal on where the platform signals only the container's first
// process (scaler is PID 1: Fir, where the CNB launcher execs the
// command, or a plain container), outside a dyno, and in a terminal, where
// a person signals scaler alone (kill PID; Ctrl-C reaches the job, which
// has the terminal's foreground, by itself). A SIGINT never comes from the
// platform: it is always passed on.
//
// Go cannot tell who sent a signal: os/signal does not say, and signalfd
// or sigwaitinfo need the signal blocked in every thread, which the Go
// runtime does not allow for SIGTERM. So auto decides by where scaler runs,
// not by the sender; --forward-signals always or never overrides it. A
// person's `kill` of scaler alone in a formation dyno is the case auto
// gets wrong: the job's grace ends it with SIGKILL.
func signalPolicy(mode string, pid int, dyno string, terminal bool) (passOn func(os.Signal) bool, reason string, err error) {
	all := func(os.Signal) bool { return true }
	switch mode {
	case forwardAlways:
		return all, "--forward-signals always", nil
	case forwardNever:
		return func(os.Signal) bool { return false }, "--forward-signals never", nil
	case forwardAuto:
	default:
		return nil, "", scaler.Errorf(scaler.ErrInvalid, "--%s %q: want auto, always or never", flagForwardSignals, mode)
	}
	switch {
	case pid == 1:
		return all, "scaler is the first process of its container (PID 1): the platform signals it alone", nil
	case dyno == "":
		return all, "not in a dyno (no " + envDyno + "): whoever signals scaler signals it alone", nil
	case terminal:
		return all, "in a terminal: a person signals scaler alone", nil
	}
	return func(sig os.Signal) bool { return sig != syscall.SIGTERM },
		"in a dyno, whose platform sends SIGTERM to every process: the job gets its own", nil
}

// newRunCommand builds run. It owns the signals (they go on to its job),
// and keeps its arguments in place (the job's, flags and all).
func (a *App) newRunCommand(runF func(context.Context, *runOptions) error) *command {
	// The real run says why its job did not start, whatever stopped it: a
	// flag refused (by arrange, or by urfave/cli), or its run function.
	onUsageError := cli.OnUsageErrorFunc(nil)
	var badArgs func(context.Context, error) error
	if runF == nil {
		runF = func(ctx context.Context, opts *runOptions) error {
			return a.notStarted(ctx, opts.App, a.runRun(ctx, opts))
		}
		onUsageError = func(c *cli.Context, err error, sub bool) error {
			return a.notStarted(c.Context, "", usageError(c, err, sub))
		}
		badArgs = func(ctx context.Context, err error) error { return a.notStarted(ctx, "", err) }
	}
	return &command{ownsSignals: true, argsInPlace: true, badArgs: badArgs, Command: &cli.Command{
		Name:      "run",
		Usage:     "run a long job in its dyno, and scale its process type to zero when the job is done",
		ArgsUsage: "-- COMMAND [ARGS...]",
		Description: `Runs COMMAND in its own process group, its output passed straight through.
When COMMAND exits on its own, with any status, and no SIGTERM follows within
600ms, the job is done: scaler scales the dyno's process type ($DYNO, or
--type) to 0, retrying until it lands (--finish-timeout, which also bounds
the wait for a failing API before the job starts), waits for the
platform to stop the dyno, and exits with COMMAND's status. On SIGTERM or
SIGINT before that (daily cycling, a deploy, a restart), the job is not done:
COMMAND's group has --grace to exit before SIGKILL, and the formation is left
alone so that Heroku starts the job again. The job gets each SIGTERM once:
scaler passes its own on only where the platform's does not reach the job
(--forward-signals auto: not in a Heroku dyno, whose platform signals every
process; yes as PID 1, outside a dyno, and in a terminal). A job ended by a SIGTERM that scaler did not get is not done either,
unless nothing stops the dyno within 30s. Flags go before COMMAND.

Examples (Procfile):
   nightly: bin/scaler run -- bundle exec rake nightly:report
   nightly: bin/scaler run --timeout 4h --grace 20s -- python report.py
Trying it locally, against the emulator:
   $ scaler run --app demo --type worker -- sh -c 'echo working; sleep 1'`,
		Flags: []cli.Flag{
			appFlag(),
			&cli.StringFlag{Name: flagType, Usage: "process type to scale to 0 when the job is done", DefaultText: "from $DYNO"},
			&cli.DurationFlag{Name: flagGrace, Value: defaultGrace, Usage: "time the job has to exit after SIGTERM before its group is killed (under 30s)"},
			&cli.DurationFlag{Name: flagTimeout, Usage: "longest the job may run, as a cost guard; then it is stopped and counts as done with status 124", DefaultText: "none"},
			&cli.DurationFlag{Name: flagFinishTimeout, Value: defaultFinishTimeout, Usage: "how long to keep retrying when the API fails: the read before the job, and the scale-down after it, before exiting (which lets Heroku start the dyno again)"},
			&cli.BoolFlag{Name: flagKeepOnFailure, Usage: "when the job fails, leave the formation as it is (for debugging)"},
			&cli.StringFlag{Name: flagForwardSignals, Value: forwardAuto, Usage: "pass the SIGTERM scaler gets on to the job: auto (not where the platform signals every process of the dyno, as on Heroku's Cedar dynos; yes as PID 1, outside a dyno and in a terminal), always, or never"},
		},
		Action: func(c *cli.Context) error {
			return runF(c.Context, &runOptions{
				App: c.String(flagApp), Type: c.String(flagType),
				Grace: c.Duration(flagGrace), Timeout: c.Duration(flagTimeout), FinishTimeout: c.Duration(flagFinishTimeout),
				KeepOnFailure: c.Bool(flagKeepOnFailure), ForwardSignals: c.String(flagForwardSignals), Command: c.Args().Slice(),
			})
		},
		OnUsageError: onUsageError,
	}}
}

// validate checks what run is asked before anything is sent or started:
// the job's command is there (what it is, is the job's own business), the
// durations, and the type to scale to 0. runRun calls it first, and scaler
// check on each Procfile line that runs scaler run.
func (o *runOptions) validate(a *App) error {
	if len(o.Command) == 0 {
		return scaler.Errorf(scaler.ErrInvalid, "no command to run: scaler run [flags] -- COMMAND [ARGS...]")
	}
	if o.Grace <= 0 || o.Grace >= scaler.MaxGrace {
		return scaler.Errorf(scaler.ErrInvalid, "--grace %s: want more than 0 and less than %s, since Heroku sends SIGKILL %s after SIGTERM", o.Grace, scaler.MaxGrace, scaler.MaxGrace)
	}
	if o.Timeout < 0 {
		return scaler.Errorf(scaler.ErrInvalid, "--timeout %s: want a positive duration, or none", o.Timeout)
	}
	if o.FinishTimeout <= 0 {
		return scaler.Errorf(scaler.ErrInvalid, "--finish-timeout %s: want a positive duration such as 30m", o.FinishTimeout)
	}
	if _, _, err := signalPolicy(o.ForwardSignals, 0, "", false); err != nil {
		return err
	}
	_, err := o.jobType(a)
	return err
}

// jobType returns the process type that run scales to 0 when its job is
// done: --type, or in a dyno of the formation its own type; "" in a one-off
// dyno or outside Heroku without --type, where run changes nothing.
func (o *runOptions) jobType(a *App) (string, error) {
	if o.Type == "" && !a.formationDyno() {
		return "", nil
	}
	var types []string
	if o.Type != "" {
		types = []string{o.Type}
	}
	specs, err := a.downSpecs("run", types)
	if err != nil {
		return "", err
	}
	return specs[0].Type, nil
}

// notStarted says why run's job did not start, when it did not (err is
// run's error, from a flag or from runRun; nil, an exit with the job's
// status, or a shutdown pass through). In a dyno of the formation, which
// nobody watches and which the platform restarts when run exits, it says
// it on one error line, with what to do, and notifies where it can, then
// has run exit with the error's code at once. Heroku restarts the dyno with
// a growing back-off, and each start says it again: one message per start,
// minutes apart, for a failure that goes on. Staying up instead would have
// the dyno look up, and be paid for, while doing nothing.
func (a *App) notStarted(ctx context.Context, flagApp string, err error) error {
	if err == nil || said(err) || errors.As(err, new(signalled)) || !a.formationDyno() {
		return err
	}
	typ, _ := scaler.DynoType(a.Getenv(envDyno))
	app, _ := a.resolveApp(flagApp)
	fix := a.hint(err)
	if fix == "" {
		fix = "fix what the error says (scaler run's line in the Procfile, or a config var), and deploy"
	}
	hint := fmt.Sprintf("%s; until then each start of %s fails alike, and Heroku restarts it with growing back-off (scale %s to 0 to stop it); release: bin/scaler check in the Procfile catches a bad line at deploy", fix, typ, typ)
	said := strings.ReplaceAll(strings.TrimPrefix(err.Error(), jobNotStarted+": "), "\n", "; ")
	a.log.Error(jobNotStarted, "app", app, "type", typ, "hint", hint, "err", said)
	a.notifier().Notify(context.WithoutCancel(ctx), scaler.Event{
		Kind: scaler.KindJobNotStarted, App: app, Type: typ, ExitCode: exitCode(err), Detail: said, Action: hint,
	})
	return reported{err}
}

// jobNotStarted is what run says when its job did not start.
const jobNotStarted = "job not started"

func (a *App) runRun(ctx context.Context, opts *runOptions) error {
	if err := opts.validate(a); err != nil {
		return err
	}
	argv, grace, limit, finishLimit := opts.Command, opts.Grace, opts.Timeout, opts.FinishTimeout
	passOn, why, err := signalPolicy(opts.ForwardSignals, os.Getpid(), a.Getenv(envDyno), scaler.IsTerminal(a.Stdin))
	if err != nil {
		return err
	}

	// Everything that could be wrong is checked before the job starts.
	var t *target
	typ, _ := opts.jobType(a) // validate has checked it
	if typ != "" {
		c, err := a.connect(opts.App)
		if err != nil {
			return err
		}
		t, c.notifier = c, a.notifier()
	} else {
		a.log.Warn("not in a dyno of the formation: the formation will not be changed",
			envDyno, a.Getenv(envDyno), "hint", "pass --type TYPE (and --app) to scale a type to 0 when the job is done")
	}

	// The job's own subscription to the signals, from before its start:
	// a signal that came while run read the API is known to it too.
	sigs, unsubscribe := a.signals.Subscribe()
	defer unsubscribe()
	job := &scaler.Job{
		Path: argv[0], Args: argv[1:], Env: a.Environ(),
		Stdin: a.Stdin, Stdout: a.jobStdout, Stderr: a.jobStderr,
		Grace: grace, Timeout: limit, Settle: a.Settle, Signals: sigs, PassOn: passOn, Log: a.log,
	}
	a.log.Debug("signals", "term_passed_on", passOn(syscall.SIGTERM), "reason", why)
	quantity := 0 // the type's, as read before the job
	if t != nil {
		// The run's identity, from the platform's state, before the job
		// starts: the same for every start of the job within one run.
		run, q, err := a.identify(ctx, t, typ, finishLimit)
		switch {
		case errors.Is(err, errTypeStopped):
			// This dyno's type is at 0: the job completed (or a person
			// stopped it), and the platform is stopping this dyno, which
			// it restarted meanwhile. Running the job would run it again.
			a.log.Warn(jobNotStarted, "app", t.app, "type", typ, "reason", err)
			watch, unwatch := context.WithCancel(ctx)
			defer unwatch()
			a.awaitStop(a.followStops(watch))
			return nil
		case err != nil:
			return fmt.Errorf("%s: %w", jobNotStarted, err)
		}
		a.log.Info("run", "app", t.app, "type", typ, "run_id", run)
		job.Env = append(job.Env, envRunID+"="+run)
		quantity = q
	}
	out := job.Run(ctx)
	a.sayEnd(out, t, typ, quantity, opts)
	switch {
	case !out.Completed, t == nil:
		return exited(out.Status)
	case out.Status != 0 && opts.KeepOnFailure:
		return exited(out.Status)
	}

	// The job is done. Whatever was cancelled before, the scale-down must
	// land: until it does, exiting would let the platform start the job
	// again in this dyno.
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	// What needs a person is sent while scaler goes on, and waited for
	// before it exits (each notification is bounded).
	var told sync.WaitGroup
	defer told.Wait()
	tell := func(e scaler.Event) {
		e.App, e.Type = t.app, typ
		told.Go(func() { t.notifier.Notify(ctx, e) })
	}
	stops := a.followStops(ctx)
	err = a.finish(ctx, t, typ, finishLimit, grace, stops, tell)
	switch {
	case errors.Is(err, scaler.ErrShared):
		a.log.Warn("formation kept", "app", t.app, "type", typ, "err", err)
	case err != nil:
		err = fmt.Errorf("scale %s to 0 after the job: %w", typ, err)
		a.sayError(err)
		// A person's SIGINT that stopped the scale-down is in err, and
		// comes first; then the job's failure; a job that succeeded but
		// whose dyno runs on is a partial failure.
		if out.Status != 0 {
			return reported{errors.Join(err, jobExit{out.Status})}
		}
		return reported{&partial{[]error{err}}}
	default:
		if e, ok := jobEvent(out, typ); ok {
			tell(e)
		}
		if a.ownType(typ) {
			a.awaitStop(stops)
		}
	}
	return exited(out.Status)
}

// exited is run's end with its job's status: nil for 0.
func exited(status int) error {
	if status == 0 {
		return nil
	}
	return jobExit{status}
}

// sayEnd says what the job's end means, once, at the level it deserves,
// with what scaler does next: a completion (info, and the scale-down
// follows), a failure (error), a shutdown or a person's Ctrl-C (warn: not
// a completion, the formation is left as it is). The job's own exit, which
// after a shutdown may well be 0, is only a debug line: alone it cannot
// tell a completion from a stop.
func (a *App) sayEnd(out scaler.Outcome, t *target, typ string, quantity int, opts *runOptions) {
	var args []any
	kept, down := "the formation is not changed (not a dyno of the formation)", "the formation is not changed (not a dyno of the formation)"
	if t != nil {
		args = append(args, "app", t.app, "type", typ)
		kept, down = fmt.Sprintf("%s left as it was (%d)", typ, quantity), "scaling "+typ+" to 0"
	}
	args = append(args, "status", out.Status)
	if !out.NotStarted {
		args = append(args, "took", out.Took.Round(time.Millisecond))
	}
	restarts := ""
	if t != nil {
		restarts = a.restartsJob()
	}
	stopped := "job stopped"
	if a.Getenv(envDyno) != "" && !scaler.IsTerminal(a.Stdin) {
		// In a dyno, but not in a person's terminal (heroku run bash),
		// where their Ctrl-C or kill is as likely (restartsJob).
		stopped = "job stopped by the platform"
	}
	switch {
	case out.NotStarted && out.Signal != nil:
		a.log.Warn("job not started", append(args, "signal", scaler.SignalName(out.Signal), "next", "the dyno is being stopped; "+kept+restarts)...)
	case !out.Completed && out.Signal == syscall.SIGINT:
		a.log.Warn("job interrupted", append(args, "next", "not a completion (a person's Ctrl-C); "+kept)...)
	case !out.Completed:
		a.log.Warn(stopped, append(args, "signal", scaler.SignalName(out.Signal), "next", "not a completion; "+kept+restarts)...)
	case out.Status != 0:
		if out.TimedOut {
			args = append(args, "cause", "ran past --timeout "+opts.Timeout.String())
		}
		next := down
		if t != nil && opts.KeepOnFailure {
			next = fmt.Sprintf("%s left at %d (--keep-on-failure)", typ, quantity)
		}
		a.log.Error("job failed", append(args, "next", next)...)
	default:
		a.log.Info("job completed", append(args, "next", down)...)
	}
}

// restartsJob says what starts the job again after a stop, by where scaler
// runs: in a dyno of the formation, the platform, which restarts the dyno,
// unless the stop is its type's scale-down (which scaler cannot tell from a
// restart); in a one-off dyno, outside a dyno or in a terminal, nothing.
func (a *App) restartsJob() string {
	const again = "; nothing starts the job again (%s): run it again to complete it"
	own, formation := scaler.DynoType(a.Getenv(envDyno))
	switch {
	case scaler.IsTerminal(a.Stdin):
		return fmt.Sprintf(again, "it runs in a terminal")
	case formation:
		return ", and the platform starts the job again, unless this stop is " + own + "'s scale-down"
	case a.Getenv(envDyno) != "":
		return fmt.Sprintf(again, "a one-off dyno is not restarted")
	}
	return fmt.Sprintf(again, "not in a dyno")
}

// jobEvent is what a person needs to hear of a job whose type was scaled
// down: that it timed out, could not start, or failed.
func jobEvent(out scaler.Outcome, typ string) (scaler.Event, bool) {
	switch {
	case out.TimedOut:
		return scaler.Event{Kind: scaler.KindJobTimeout, ExitCode: out.Status, Detail: typ + "'s job was stopped at its --timeout, and " + typ + " scaled to 0"}, true
	case out.Status == scaler.StatusNotFound || out.Status == scaler.StatusCannotRun:
		return scaler.Event{Kind: scaler.KindJobFailedAtStart, ExitCode: out.Status, Detail: fmt.Sprintf("the job's command could not start (exit %d), and %s was scaled to 0", out.Status, typ)}, true
	case out.Status != 0:
		return scaler.Event{Kind: scaler.KindScaleDownAfterFailure, ExitCode: out.Status, Detail: fmt.Sprintf("the job exited %d, and %s was scaled to 0", out.Status, typ)}, true
	}
	return scaler.Event{}, false
}

// failingAttempts is how many failed attempts at the scale-down make it
// news for a person.
const failingAttempts = 3

// finish scales typ to 0 after its job completed, and tries again, with a
// pause that doubles up to maxFinishPause, until it lands or limit passes.
// Once the platform's SIGTERM has come (a shutdown, or the stop its own
// write brought while the answer was lost), it keeps trying only for the
// grace, so as to give up before the platform's SIGKILL. A person's SIGINT
// stops it at once. It returns nil once the type is at 0, or an error
// wrapping scaler.ErrShared when the type runs more than one dyno.
func (a *App) finish(ctx context.Context, t *target, typ string, limit, grace time.Duration, stops *stops, tell func(scaler.Event)) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	go func() {
		select {
		case <-stops.term:
			over := time.AfterFunc(grace, func() { stop(errGraceOver) })
			<-ctx.Done()
			over.Stop()
		case <-stops.intr:
			stop(signalled{syscall.SIGINT})
		case <-ctx.Done():
		}
	}()
	pause := time.Second
	for attempt := 1; ; attempt++ {
		actx, acancel := context.WithTimeout(ctx, cmp.Or(a.FinishTimeout, finishAttempt))
		_, err := t.svc.Finish(actx, t.app, typ)
		acancel()
		switch {
		case err == nil, errors.Is(err, scaler.ErrShared):
			return err
		case ctx.Err() != nil:
			return stoppedBecause(ctx, err)
		}
		a.log.Error("scale-down failed", "app", t.app, "type", typ, "attempt", attempt, "retry_in", pause, "err", err)
		if attempt == failingAttempts {
			tell(scaler.Event{Kind: scaler.KindScaleDownFailing, Detail: fmt.Sprintf("%d attempts failed, the last: %v; scaler run keeps trying until %s passes", attempt, err, limit)})
		}
		if scaler.Sleep(ctx, pause) != nil {
			return stoppedBecause(ctx, err)
		}
		pause = min(2*pause, maxFinishPause)
	}
}

// errGraceOver ends run's scale-down attempts once the grace has passed
// since the platform's SIGTERM: its SIGKILL is near.
var errGraceOver = errors.New("stopped trying at the end of the grace, before the platform's SIGKILL")

// stoppedBecause is the error of work that ctx ended: why ctx ended (a
// signal, the grace, a deadline), and the last attempt's error.
func stoppedBecause(ctx context.Context, last error) error {
	cause := context.Cause(ctx)
	if errors.Is(last, cause) {
		return last
	}
	return fmt.Errorf("%w; the last attempt: %w", cause, last)
}

// envRunID is the variable that gives the job its run's identity.
const envRunID = "SCALER_RUN_ID"

// errTypeStopped says that the type of the dyno scaler runs in is at 0.
var errTypeStopped = errors.New("the type of this dyno is at 0: its job has completed, or was stopped")

// runOf returns the identity of the job's run (scaler.RunID):
// TYPE-YYYYMMDDTHHMMSSZ, from when the platform last changed the type's
// formation, which it did when the type was scaled up for this run, by its
// own clock: the dyno's plays no part, so a skewed dyno cannot shift it.
// The platform restarting the dyno
// (a deploy, cycling, a crash) does not change the formation, so every
// start of the job within one run sees the same identity; the next run
// starts with a new scale-up, and a new identity. A person changing the
// type's formation mid-run (a resize) starts a new identity too. It
// returns errTypeStopped when typ is this dyno's own type and it is at 0.
// It returns the type's quantity too.
func (a *App) runOf(ctx context.Context, t *target, typ string) (string, int, error) {
	ctx, cancel := context.WithTimeout(ctx, cmp.Or(a.FinishTimeout, finishAttempt))
	defer cancel()
	read, err := t.svc.Platform.Formation(ctx, t.app)
	if err != nil {
		return "", 0, fmt.Errorf("read formation of %s, for the run's identity: %w", t.app, err)
	}
	p, ok := read.Formation.Find(typ)
	switch {
	case !ok:
		return "", 0, scaler.Errorf(scaler.ErrNotFound, "app %s has no process type %s (it has: %s)", t.app, typ, strings.Join(read.Formation.Types(), ", "))
	case p.Quantity == 0 && a.ownType(typ):
		return "", 0, errTypeStopped
	}
	return scaler.RunID(typ, p), p.Quantity, nil
}

// identify returns the run's identity before the job starts (runOf). An API
// that fails (5xx, the network, a spent rate limit, no answer in time) is
// tried again, with a pause that doubles up to maxFinishPause, until limit
// passes: exiting would only have the platform start this dyno again, after
// a crash back-off that grows to 20 minutes, and the job would start that
// much later. A refusal, a missing type or a type at 0 ends it at once. So
// does a signal: a shutdown before the job started, which leaves the
// formation alone.
func (a *App) identify(ctx context.Context, t *target, typ string, limit time.Duration) (string, int, error) {
	// The signals are read here until the job starts: a request under way
	// ends at once. (The job has its own subscription.)
	stopped, unwatch := a.cancelOnSignal(ctx)
	defer unwatch()
	ctx, cancel := context.WithTimeout(stopped, limit)
	defer cancel()
	pause := time.Second
	for attempt := 1; ; attempt++ {
		run, quantity, err := a.runOf(ctx, t, typ)
		var sig signalled
		switch cause := context.Cause(stopped); {
		case errors.As(cause, &sig) && sig.sig == syscall.SIGINT:
			return "", 0, fmt.Errorf("%w: the job was not started", cause)
		case errors.As(cause, &sig):
			return "", 0, fmt.Errorf("%w: the job was not started, and will be when the platform starts the dyno again", cause)
		case err == nil || !failing(err) || ctx.Err() != nil:
			return run, quantity, err
		}
		a.log.Error("job not started yet", "app", t.app, "type", typ, "attempt", attempt, "retry_in", pause, "err", err)
		scaler.Sleep(ctx, pause) // a signal ends it, and the next turn says so
		pause = min(2*pause, maxFinishPause)
	}
}

// failing reports whether err is the API failing, which may pass, rather
// than refusing, which will not.
func failing(err error) bool {
	return errors.Is(err, scaler.ErrUnavailable) || errors.Is(err, scaler.ErrRateLimited) || errors.Is(err, context.DeadlineExceeded)
}

// ownType reports whether typ is the process type of the dyno scaler runs
// in: scaling it to 0 stops this very dyno.
func (a *App) ownType(typ string) bool {
	own, ok := scaler.DynoType(a.Getenv(envDyno))
	return ok && own == typ
}

// formationDyno reports whether scaler runs in a dyno of the formation
// (worker.1), not a one-off dyno (run.N, scheduler.N) or outside Heroku.
func (a *App) formationDyno() bool {
	_, ok := scaler.DynoType(a.Getenv(envDyno))
	return ok
}

// doneOptions is what done is asked.
type doneOptions struct {
	App     string
	JSON    bool
	Timeout time.Duration
	Types   []string
}

// newDoneCommand builds done. It owns the signals: the platform's SIGTERM,
// which its own scale-down brings, must not stop it before the answer.
func (a *App) newDoneCommand(runF func(context.Context, *doneOptions) error) *command {
	if runF == nil {
		runF = a.runDone
	}
	return &command{ownsSignals: true, Command: &cli.Command{
		Name:      "done",
		Usage:     "report a job's completion from inside it: scale its process type to zero",
		ArgsUsage: "[TYPE]",
		Description: `For jobs that report completion themselves, as their last step: scales TYPE
(default: the type of this dyno, from $DYNO) to 0 and exits 0. Safe to call
from inside the dyno it stops: the SIGTERM that follows does not stop it
before the write is answered (SIGINT, Ctrl-C, does), and when TYPE is its
own dyno's type it waits for that SIGTERM (up to 60s) before it exits, so
that the platform does not restart the dyno first. A type that runs more
than one dyno is left as it is, with a warning.

Examples:
   $ scaler done
   $ scaler done nightly -a myapp`,
		Flags: []cli.Flag{appFlag(), timeoutFlag(finishAttempt), jsonFlag()},
		Action: func(c *cli.Context) error {
			return runF(c.Context, &doneOptions{App: c.String(flagApp), JSON: c.Bool(flagJSON), Timeout: c.Duration(flagTimeout), Types: c.Args().Slice()})
		},
	}}
}

// validate checks what done is asked before anything is sent: one process
// type, or this dyno's. runDone calls it first, and scaler check on each
// Procfile line that runs scaler done.
func (o *doneOptions) validate(a *App) error {
	if len(o.Types) > 1 {
		return scaler.Errorf(scaler.ErrInvalid, "done takes one process type, got %q", o.Types)
	}
	_, err := a.downSpecs("done", o.Types)
	return err
}

func (a *App) runDone(ctx context.Context, opts *doneOptions) error {
	if err := opts.validate(a); err != nil {
		return err
	}
	specs, err := a.downSpecs("done", opts.Types)
	if err != nil {
		return err
	}
	ctx, t, err := a.open(ctx, opts.App, opts.Timeout)
	if err != nil {
		return err
	}
	defer t.close()
	// The platform's SIGTERM, which the scale-down brings, must not stop it
	// before the answer; a person's Ctrl-C may.
	watch, unwatch := context.WithCancel(context.WithoutCancel(ctx))
	defer unwatch()
	stops := a.followStops(watch)
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	go func() {
		select {
		case <-stops.intr:
			stop(signalled{syscall.SIGINT})
		case <-ctx.Done():
		}
	}()
	typ := specs[0].Type
	plan, err := t.svc.Finish(ctx, t.app, typ)
	switch {
	case errors.Is(err, scaler.ErrShared):
		a.log.Warn("formation kept", "app", t.app, "type", typ, "err", err)
		if opts.JSON {
			out := toPlanJSON(scaler.Plan{App: t.app}, false, false, nil)
			out.Kept = err.Error()
			return writeJSON(a.Stdout, out)
		}
		return nil
	case err != nil && ctx.Err() != nil:
		return stoppedBecause(ctx, err)
	case err != nil:
		return err
	}
	if err := a.printPlan(opts.JSON, plan, false, false); err != nil {
		return err
	}
	if a.ownType(typ) {
		a.awaitStop(stops)
	}
	return nil
}
