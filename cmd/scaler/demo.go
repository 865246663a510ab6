package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scalerdev/scaler/platform/emulator"
)

// demoProcfile is the demo app's Procfile: a web type, and the long job in
// a type of its own under `scaler run`, as the README recommends.
const demoProcfile = `web: echo "web: listening on port $PORT"; exec sleep 3600
nightly: bin/scaler run -- sh -c 'echo "nightly report: started"; sleep 1; echo "nightly report: 42 rows written"'
`

// demoTimeout bounds the whole demo: it takes a few seconds.
const demoTimeout = time.Minute

// newDemoCommand builds the demo, which runs dynos: it owns the signals (a
// second one stops them at once).
func (a *App) newDemoCommand() *command {
	return &command{ownsSignals: true, Command: &cli.Command{
		Name:  "demo",
		Usage: "show scaler at work on this machine, dynos and all, with no Heroku account",
		Description: `Runs the whole story of a long job on Heroku, with real processes: an app
named demo whose Procfile has a web type and a nightly type running
` + "`bin/scaler run -- JOB`" + `, in the emulator's dyno manager; a Heroku Scheduler job
that runs ` + "`scaler up nightly=1`" + `; the job printing as it works; its completion,
the scale-down, and the platform stopping the dyno. It prints the log
stream, as ` + "`heroku logs --tail`" + ` shows it, and takes a few seconds.

Example:
   $ scaler demo`,
		Action: a.demo,
	}}
}

func (a *App) demo(c *cli.Context) error {
	dir, err := demoApp()
	if dir != "" {
		defer os.RemoveAll(dir)
	}
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	pf, err := emulator.ReadProcfile(filepath.Join(dir, "Procfile"))
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	em, err := emulator.New(emulator.Config{
		Apps:      []emulator.App{{Name: "demo", Formation: []emulator.Process{{Type: "web", Quantity: 1}, {Type: "nightly"}}}},
		BootDelay: 100 * time.Millisecond,
		Dynos: &emulator.DynoConfig{
			Procfile: pf, Log: a.Stdout, Redact: a.secrets.cleanStart,
			// The app's config vars: whatever the shell has, the dynos
			// act on this app, through this emulator, at this log level.
			Env:         []string{envToken + "=demo-token", envApp + "=demo", envLogLevel + "=info"},
			StopLatency: 500 * time.Millisecond, KillAfter: 5 * time.Second,
			Scheduler: []emulator.SchedulerJob{{First: time.Second, Every: 24 * time.Hour, Command: "scaler up nightly=1"}},
			// This process runs nothing but the demo's dynos.
			Subreaper: true,
		},
	})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintf(a.Stdout, "# An app named demo runs on this machine, each dyno a real process, as on Heroku.\n# Its Procfile:\n")
	for _, line := range strings.Split(strings.TrimSpace(demoProcfile), "\n") {
		fmt.Fprintf(a.Stdout, "#   %s\n", line)
	}
	fmt.Fprintf(a.Stdout, "# Heroku Scheduler runs `scaler up nightly=1` (daily on Heroku; here in a second).\n")
	fmt.Fprintf(a.Stdout, "# The platform's log stream, as `heroku logs --tail` shows it:\n")

	// The story is over when a nightly dyno has run, nightly is back to 0,
	// and the platform has stopped the dyno. WaitDynos sees every change of
	// the dynos, and the job runs for seconds: the dyno cannot go unseen.
	storyEnds := func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, demoTimeout)
		defer cancel()
		ran := false
		err := em.WaitDynos(ctx, "demo", func(dynos []emulator.DynoState) bool {
			if slices.ContainsFunc(dynos, func(d emulator.DynoState) bool { return d.Type == "nightly" }) {
				ran = true
				return false
			}
			return ran && em.Quantity("demo", "nightly") == 0
		})
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("demo: the job did not finish within %v: %w", demoTimeout, err)
		}
		return nil // or a signal, which serveDynos says
	}
	if err := a.serveDynos(c.Context, ln, em, "http://"+ln.Addr().String(), storyEnds); err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "# Done: Scheduler started nightly.1, the job ran, `scaler run` scaled nightly\n"+
		"# back to 0, and the platform stopped the dyno (then the demo stopped web.1).\n"+
		"# Run your own Procfile the same way: scaler emulator --procfile Procfile\n")
	return nil
}

// demoApp writes the demo app into a new temporary directory: its
// Procfile, and bin/scaler, this very binary, where the Go buildpack puts
// it. It returns the directory even with an error, to be removed.
func demoApp() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "scaler-demo-")
	if err != nil {
		return "", err
	}
	if err := os.Mkdir(filepath.Join(dir, "bin"), 0o755); err != nil {
		return dir, err
	}
	if err := os.Symlink(self, filepath.Join(dir, "bin", "scaler")); err != nil {
		return dir, err
	}
	return dir, os.WriteFile(filepath.Join(dir, "Procfile"), []byte(demoProcfile), 0o644)
}
