package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scalerdev/scaler/scaler"
)

// defaultTimeout bounds a command that reads and writes the formation.
const defaultTimeout = 60 * time.Second

// The kinds of scale: three commands, one shape.
const (
	up    = "up"
	scale = "scale"
	down  = "down"
)

// The flags of up, scale and down, beyond the shared ones.
const (
	flagWait    = "wait"
	flagRestart = "restart"
)

// scaleOptions is what up, scale and down are asked.
type scaleOptions struct {
	Kind string // up, scale or down
	App  string
	// Args are the specs (up, scale) or the process types (down).
	Args                        []string
	DryRun, Wait, JSON, Restart bool
	Timeout                     time.Duration
}

// scaleHelp returns the help of up, scale or down.
func scaleHelp(kind string) (usage, args, description string) {
	switch kind {
	case up:
		return "start or add dynos, e.g. a worker before a long job", "SPEC...", `SPEC is TYPE=N, TYPE=N:SIZE, TYPE+N or TYPE:SIZE, as with heroku ps:scale.
All specs go to the API as one batch, and only what changes is sent.

With --restart, a type that already runs has its dynos restarted first: Heroku
cycles every dyno about a day after it started, so a long job started in an
old dyno may be cut off; a restart starts that day over (and stops whatever
the old dyno was doing).

Examples:
   $ scaler up worker=1
   $ scaler up worker=1:standard-2x --wait
   $ scaler up nightly=1 --restart -a myapp`
	case scale:
		return "set the formation: quantities and sizes", "SPEC...", `SPEC is TYPE=N, TYPE=N:SIZE, TYPE+N, TYPE-N or TYPE:SIZE, as with heroku ps:scale.
Sizes are case-insensitive. All specs go to the API as one batch; relative
specs (web+1) are applied by the platform, so two jobs scaling at once both count.

Examples:
   $ scaler scale web=2 worker=1
   $ scaler scale web+1 --wait
   $ scaler scale worker=2:performance-m -a myapp`
	case down:
		return "scale process types to zero", "[TYPE...]", `Without TYPE, scales the process type of the dyno it runs in (from $DYNO:
worker.1 is worker). In a one-off dyno (run.N, scheduler.N), name the type.

Examples:
   $ scaler down worker
   $ scaler down worker clock --wait
   $ scaler down        # inside worker.1: scales worker to 0`
	}
	return "", "", ""
}

// newScaleCommand builds up, scale or down; runF does the work (runScale
// when nil: tests may pass their own to see the options).
func (a *App) newScaleCommand(kind string, runF func(context.Context, *scaleOptions) error) *command {
	if runF == nil {
		runF = a.runScale
	}
	flags := []cli.Flag{
		appFlag(),
		&cli.BoolFlag{Name: flagDryRun, Usage: "print the plan and send no write"},
		&cli.BoolFlag{Name: flagWait, Usage: "wait until the new dynos are up (or gone, when scaling down), within --timeout, saying how they come"},
		timeoutFlag(defaultTimeout),
		jsonFlag(),
	}
	if kind == up {
		flags = append(flags, &cli.BoolFlag{Name: flagRestart, Usage: "restart the dynos of a type that already runs, so that the job starts in a fresh dyno"})
	}
	usage, args, description := scaleHelp(kind)
	return &command{Command: &cli.Command{
		Name: kind, Usage: usage, ArgsUsage: args, Description: description, Flags: flags,
		Action: func(c *cli.Context) error {
			return runF(c.Context, &scaleOptions{
				Kind: kind, App: c.String(flagApp), Args: c.Args().Slice(),
				DryRun: c.Bool(flagDryRun), Wait: c.Bool(flagWait), JSON: c.Bool(flagJSON), Restart: c.Bool(flagRestart),
				Timeout: c.Duration(flagTimeout),
			})
		},
	}}
}

// runScale is up, scale and down: parse, plan against one read of the
// formation, send one batch with only what changes, and optionally wait.
func (a *App) runScale(ctx context.Context, opts *scaleOptions) error {
	if err := opts.validate(a); err != nil {
		return err
	}
	specs, err := a.specsFor(opts.Kind, opts.Args)
	if err != nil {
		return err
	}
	ctx, t, err := a.open(ctx, opts.App, opts.Timeout)
	if err != nil {
		return err
	}
	defer t.close()
	plan, err := t.svc.Plan(ctx, t.app, specs)
	if err != nil {
		return err
	}
	var restart []string
	if opts.Restart {
		restart = running(plan)
	}
	if !opts.DryRun {
		if err := t.svc.Restart(ctx, t.app, restart); err != nil {
			return err
		}
		if plan, err = t.svc.Apply(ctx, plan); err != nil {
			return err
		}
	}
	waited := false
	if opts.Wait && !opts.DryRun {
		if err := t.svc.Wait(ctx, withRestarted(plan, restart)); err != nil {
			// The change landed; only the wait is cut short. Say what
			// landed, then why the wait ended, in words; in JSON, as one
			// document: the error, with what landed.
			if opts.JSON {
				return &landed{err: waitError(ctx, err, opts.Timeout), result: toPlanJSON(plan, false, false, restart)}
			}
			if perr := a.printPlan(false, plan, false, false, restart...); perr != nil {
				return perr
			}
			return waitError(ctx, err, opts.Timeout)
		}
		waited = true
	}
	return a.printPlan(opts.JSON, plan, opts.DryRun, waited, restart...)
}

// validate checks what up, scale or down is asked before anything is sent:
// the specs, or the process types. runScale calls it first, and scaler
// check on each Procfile line that runs one of them.
func (o *scaleOptions) validate(a *App) error {
	if len(o.Args) == 0 && o.Kind != down && strings.ContainsAny(o.App, "=+:") {
		// scaler up --app worker=1: the flag took the spec.
		return scaler.Errorf(scaler.ErrInvalid, "no spec given: --app took %q as the app's name; write the app after --app, e.g. scaler %s --app myapp %s", o.App, o.Kind, o.App)
	}
	_, err := a.specsFor(o.Kind, o.Args)
	return err
}

// errNotReady is a wait that --timeout ended: the change landed, and the
// dynos were still coming.
var errNotReady = errors.New("not ready")

// landed is the error of a command whose change landed before it failed
// (a wait cut short): with --json, the error object carries the result.
type landed struct {
	err    error
	result any
}

func (l *landed) Error() string { return l.err.Error() }
func (l *landed) Unwrap() error { return l.err }

// waitError says why a wait ended before the dynos were ready: a person's
// Ctrl-C (exit 130), the platform's SIGTERM, or --timeout.
func waitError(ctx context.Context, err error, timeout time.Duration) error {
	var we *scaler.WaitError
	if !errors.As(err, &we) {
		return err
	}
	switch cause := context.Cause(ctx); {
	case errors.As(cause, new(signalled)):
		return fmt.Errorf("the change landed, but the wait was stopped (not ready: %s): %w", we.Pending, cause)
	case errors.Is(err, context.DeadlineExceeded):
		return scaler.Errorf(errNotReady, "the change landed, but the dynos were not ready within --timeout %s: %s", timeout, we.Pending)
	}
	return err
}

// withRestarted adds to a plan, for waiting, the restarted types that it
// does not change: their dynos must come up again too.
func withRestarted(p scaler.Plan, restarted []string) scaler.Plan {
	for _, u := range p.Unchanged {
		if slices.Contains(restarted, u.Type) {
			p.Changes = append(p.Changes, scaler.Change{Type: u.Type, From: u.Quantity, To: u.Quantity, FromSize: u.Size, ToSize: u.Size})
		}
	}
	return p
}

// running returns the process types of a plan that already run dynos that
// the plan does not restart anyway (a size change restarts them).
func running(p scaler.Plan) []string {
	var types []string
	for _, c := range p.Changes {
		if c.From > 0 && scaler.SameSize(c.FromSize, c.ToSize) {
			types = append(types, c.Type)
		}
	}
	for _, u := range p.Unchanged {
		if u.Quantity > 0 {
			types = append(types, u.Type)
		}
	}
	return types
}

// specsFor turns the arguments of up, scale or down into specs, refusing
// what makes no sense for the command.
func (a *App) specsFor(kind string, args []string) ([]scaler.Spec, error) {
	switch {
	case kind == "down":
		return a.downSpecs(kind, args)
	case kind == "up" && len(args) == 0:
		return nil, scaler.Errorf(scaler.ErrInvalid, "no spec given: want TYPE=N, TYPE+N, TYPE=N:SIZE or TYPE:SIZE, e.g. scaler up worker=1")
	}
	specs, err := scaler.ParseSpecs(args)
	if err != nil {
		return nil, meant(err)
	}
	if kind == "up" {
		for i, s := range specs {
			if s.Op == scaler.Set && s.N == 0 || s.Op == scaler.Add && s.N < 0 {
				return nil, scaler.Errorf(scaler.ErrInvalid, "%q: up starts or adds dynos; use scaler down or scaler scale to stop them", args[i])
			}
		}
	}
	return specs, nil
}

// downSpecs turns the process types of down, done or run (what for) into
// specs to 0; without one, the type of this dyno.
func (a *App) downSpecs(what string, types []string) ([]scaler.Spec, error) {
	if len(types) == 0 {
		dyno := a.Getenv(envDyno)
		typ, ok := scaler.DynoType(dyno)
		if !ok {
			example := "scaler " + what + " worker"
			if what == "run" {
				example = "scaler run --type worker -- JOB"
			}
			where := fmt.Sprintf("%s=%q is not a dyno of the formation", envDyno, dyno)
			if dyno == "" {
				where = envDyno + " is not set (scaler is not in a dyno)"
			}
			return nil, scaler.Errorf(scaler.ErrInvalid, "no process type given, and %s: name the type, e.g. %s", where, example)
		}
		types = []string{typ}
	}
	specs := make([]string, len(types))
	for i, t := range types {
		if strings.ContainsAny(t, "=+:") {
			return nil, scaler.Errorf(scaler.ErrInvalid, "%q: down takes process types (scaler down worker); use scaler scale for %s", t, t)
		}
		specs[i] = t + "=0"
	}
	return scaler.ParseSpecs(specs)
}
