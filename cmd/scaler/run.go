package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scalerdev/scaler/scaler"
)

// finishTimeout bounds the scale-down after a job: Heroku sends SIGKILL 30
// seconds after the SIGTERM that the scale-down itself brings.
const finishTimeout = 20 * time.Second

// defaultGrace is how long a job has between SIGTERM and SIGKILL: under
// Heroku's 30 seconds, so that the job is killed by scaler, group and all,
// before the platform kills the dyno.
const defaultGrace = 25 * time.Second

func (a *App) runCommand() *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "run a long job in its dyno, and scale its process type to zero when the job is done",
		ArgsUsage: "-- COMMAND [ARGS...]",
		Description: `Runs COMMAND in its own process group, its output passed straight through.
When COMMAND exits on its own, with any status, the job is done: scaler
scales the dyno's process type ($DYNO, or --type) to 0 and exits with
COMMAND's status. On SIGTERM or SIGINT before that (daily cycling, a deploy,
a restart), the job is not done: the signal goes to COMMAND's group, which
has --grace to exit before SIGKILL, and the formation is left alone so that
Heroku starts the job again. Flags go before COMMAND.

Examples (Procfile):
   nightly: bin/scaler run -- bundle exec rake nightly:report
   nightly: bin/scaler run --timeout 4h --grace 20s -- python report.py
Trying it locally, against the emulator:
   $ scaler run --app demo --type worker -- sh -c 'echo working; sleep 1'`,
		Flags: []cli.Flag{
			appFlag(),
			&cli.StringFlag{Name: "type", Usage: "process type to scale to 0 when the job is done (default: from $DYNO)"},
			&cli.DurationFlag{Name: "grace", Value: defaultGrace, Usage: "time the job has to exit after SIGTERM before its group is killed (under 30s)"},
			&cli.DurationFlag{Name: "timeout", Usage: "longest the job may run, as a cost guard; then it is stopped and counts as done with status 124 (default: none)"},
			&cli.BoolFlag{Name: "keep-on-failure", Usage: "when the job fails, leave the formation as it is (for debugging)"},
		},
		Action: a.runAction,
	}
}

func (a *App) runAction(c *cli.Context) error {
	argv := c.Args().Slice()
	if len(argv) == 0 {
		return scaler.Errorf(scaler.ErrInvalid, "no command to run: scaler run [flags] -- COMMAND [ARGS...]")
	}
	grace, limit := c.Duration("grace"), c.Duration("timeout")
	if grace <= 0 || grace >= scaler.MaxGrace {
		return scaler.Errorf(scaler.ErrInvalid, "--grace %s: want more than 0 and less than %s, since Heroku sends SIGKILL %s after SIGTERM", grace, scaler.MaxGrace, scaler.MaxGrace)
	}
	if limit < 0 {
		return scaler.Errorf(scaler.ErrInvalid, "--timeout %s: want a positive duration, or none", limit)
	}

	// Everything that could be wrong is checked before the job starts.
	var (
		t   *target
		typ string
	)
	if flagType := c.String("type"); flagType != "" || a.formationDyno() {
		var types []string
		if flagType != "" {
			types = []string{flagType}
		}
		specs, err := a.downSpecs(types)
		if err != nil {
			return err
		}
		typ = specs[0].Type
		if t, err = a.connect(c); err != nil {
			return err
		}
	} else {
		a.log.Warn("not in a dyno of the formation: the formation will not be changed",
			envDyno, a.Getenv(envDyno), "hint", "pass --type TYPE (and --app) to scale a type to 0 when the job is done")
	}

	job := &scaler.Job{
		Path: argv[0], Args: argv[1:],
		Stdin: a.Stdin, Stdout: a.Stdout, Stderr: a.Stderr,
		Grace: grace, Timeout: limit, Signals: a.Signals, Log: a.log,
	}
	out := job.Run(c.Context)
	done := &exitStatus{code: out.Status}
	switch {
	case !out.Completed, t == nil:
		return done
	case out.Status != 0 && c.Bool("keep-on-failure"):
		a.log.Info("formation kept", "app", t.app, "type", typ, "reason", "the job failed and --keep-on-failure is set")
		return done
	}

	// The job is done. The scale-down gets its own deadline, whatever was
	// cancelled before; the SIGTERM it brings to this dyno is expected, and
	// nobody listens for it any more.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Context), cmp.Or(a.FinishTimeout, finishTimeout))
	defer cancel()
	_, err := t.svc.Finish(ctx, t.app, typ)
	switch {
	case errors.Is(err, scaler.ErrShared):
		a.log.Warn("formation kept", "app", t.app, "type", typ, "err", err)
	case err != nil:
		a.report(fmt.Errorf("scale %s to 0 after the job: %w", typ, err))
		if out.Status == 0 {
			done.code = exitFailure // the job succeeded, but its dyno runs on: say so
		}
	}
	return done
}

// formationDyno reports whether scaler runs in a dyno of the formation
// (worker.1), not a one-off dyno (run.N, scheduler.N) or outside Heroku.
func (a *App) formationDyno() bool {
	_, ok := scaler.DynoType(a.Getenv(envDyno))
	return ok
}

func (a *App) doneCommand() *cli.Command {
	return &cli.Command{
		Name:      "done",
		Usage:     "report a job's completion from inside it: scale its process type to zero",
		ArgsUsage: "[TYPE]",
		Description: `For jobs that report completion themselves, as their last step: scales TYPE
(default: the type of this dyno, from $DYNO) to 0 and exits 0. Safe to call
from inside the dyno it stops: the SIGTERM that follows does not stop it
before the write is answered (SIGINT, Ctrl-C, does). A type that runs more than one dyno is left as
it is, with a warning.

Examples:
   $ scaler done
   $ scaler done nightly -a myapp`,
		Flags: []cli.Flag{appFlag(), timeoutFlag(finishTimeout), jsonFlag()},
		Action: func(c *cli.Context) error {
			if c.NArg() > 1 {
				return scaler.Errorf(scaler.ErrInvalid, "done takes one process type, got %q", c.Args().Slice())
			}
			specs, err := a.downSpecs(c.Args().Slice())
			if err != nil {
				return err
			}
			ctx, cancel, t, err := a.start(c)
			if err != nil {
				return err
			}
			defer cancel()
			// The platform's SIGTERM, which the scale-down brings, must not
			// stop it before the answer; a person's Ctrl-C may.
			ctx, stop := a.cancelOnSignal(ctx, syscall.SIGINT)
			defer stop()
			plan, err := t.svc.Finish(ctx, t.app, specs[0].Type)
			if errors.Is(err, scaler.ErrShared) {
				a.log.Warn("formation kept", "app", t.app, "type", specs[0].Type, "err", err)
				return nil
			}
			if err != nil {
				return err
			}
			return a.printPlan(c.Bool("json"), plan, false, false)
		},
	}
}
