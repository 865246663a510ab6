package main

import (
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scalerdev/scaler/scaler"
)

// defaultTimeout bounds a command that reads and writes the formation.
const defaultTimeout = 60 * time.Second

func scaleFlags() []cli.Flag {
	return []cli.Flag{
		appFlag(),
		&cli.BoolFlag{Name: "dry-run", Usage: "print the plan and send no write"},
		&cli.BoolFlag{Name: "wait", Usage: "wait until the new dynos are up (or gone, when scaling down), within --timeout"},
		timeoutFlag(defaultTimeout),
		jsonFlag(),
	}
}

func (a *App) upCommand() *cli.Command {
	flags := append(scaleFlags(), &cli.BoolFlag{Name: "restart", Usage: "restart the dynos of a type that already runs, so that the job starts in a fresh dyno"})
	return &cli.Command{
		Name:      "up",
		Usage:     "start or add dynos, e.g. a worker before a long job",
		ArgsUsage: "SPEC...",
		Description: `SPEC is TYPE=N, TYPE=N:SIZE, TYPE+N or TYPE:SIZE, as with heroku ps:scale.
All specs go to the API as one batch, and only what changes is sent.

With --restart, a type that already runs has its dynos restarted first: Heroku
cycles every dyno about a day after it started, so a long job started in an
old dyno may be cut off; a restart starts that day over (and stops whatever
the old dyno was doing).

Examples:
   $ scaler up worker=1
   $ scaler up worker=1:standard-2x --wait
   $ scaler up nightly=1 --restart -a myapp`,
		Flags:  flags,
		Action: a.scaleAction("up"),
	}
}

func (a *App) scaleCommand() *cli.Command {
	return &cli.Command{
		Name:      "scale",
		Usage:     "set the formation: quantities and sizes",
		ArgsUsage: "SPEC...",
		Description: `SPEC is TYPE=N, TYPE=N:SIZE, TYPE+N, TYPE-N or TYPE:SIZE, as with heroku ps:scale.
Sizes are case-insensitive. All specs go to the API as one batch; relative
specs (web+1) are applied by the platform, so two jobs scaling at once both count.

Examples:
   $ scaler scale web=2 worker=1
   $ scaler scale web+1 --wait
   $ scaler scale worker=2:performance-m -a myapp`,
		Flags:  scaleFlags(),
		Action: a.scaleAction("scale"),
	}
}

func (a *App) downCommand() *cli.Command {
	return &cli.Command{
		Name:      "down",
		Usage:     "scale process types to zero",
		ArgsUsage: "[TYPE...]",
		Description: `Without TYPE, scales the process type of the dyno it runs in (from $DYNO:
worker.1 is worker). In a one-off dyno (run.N, scheduler.N), name the type.

Examples:
   $ scaler down worker
   $ scaler down worker clock --wait
   $ scaler down        # inside worker.1: scales worker to 0`,
		Flags:  scaleFlags(),
		Action: a.scaleAction("down"),
	}
}

// scaleAction is up, scale and down: parse, plan against one read of the
// formation, send one batch with only what changes, and optionally wait.
func (a *App) scaleAction(kind string) cli.ActionFunc {
	return func(c *cli.Context) error {
		specs, err := a.specsFor(kind, c.Args().Slice())
		if err != nil {
			return err
		}
		ctx, cancel, t, err := a.start(c)
		if err != nil {
			return err
		}
		defer cancel()
		plan, err := t.svc.Plan(ctx, t.app, specs)
		if err != nil {
			return err
		}
		dry := c.Bool("dry-run")
		var restart []string
		if c.Bool("restart") {
			restart = running(plan)
		}
		if !dry {
			if err := t.svc.Restart(ctx, t.app, restart); err != nil {
				return err
			}
			if plan, err = t.svc.Apply(ctx, plan); err != nil {
				return err
			}
		}
		waited := false
		if c.Bool("wait") && !dry {
			if err := t.svc.Wait(ctx, withRestarted(plan, restart)); err != nil {
				return err
			}
			waited = true
		}
		return a.printPlan(c.Bool("json"), plan, dry, waited, restart...)
	}
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
	if kind == "down" {
		return a.downSpecs(args)
	}
	specs, err := scaler.ParseSpecs(args)
	if err != nil {
		return nil, err
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

func (a *App) downSpecs(types []string) ([]scaler.Spec, error) {
	if len(types) == 0 {
		dyno := a.Getenv(envDyno)
		typ, ok := scaler.DynoType(dyno)
		if !ok {
			return nil, scaler.Errorf(scaler.ErrInvalid, "no process type given, and %s=%q is not a dyno of the formation: name the type, e.g. scaler down worker", envDyno, dyno)
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
