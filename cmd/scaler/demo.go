package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scalerdev/scaler/platform/emulator"
)

func (a *App) demoCommand() *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "show scaler at work against a built-in emulator, with no Heroku account",
		Description: `Starts a Platform API emulator on loopback with an app named demo (web=1,
worker=0), then runs the commands a Heroku Scheduler job and a worker dyno
would run, printing each one first.

Example:
   $ scaler demo`,
		Action: func(c *cli.Context) error {
			ctx, cancel := context.WithCancel(c.Context)
			defer cancel()
			url, err := startEmulator(ctx, emulator.Config{
				Apps:      []emulator.App{{Name: "demo", Formation: []emulator.Process{{Type: "web", Quantity: 1}, {Type: "worker"}}}},
				BootDelay: 300 * time.Millisecond, StopDelay: 300 * time.Millisecond,
			})
			if err != nil {
				return err
			}
			env := map[string]string{envAPIURL: url, envToken: "demo-token", envApp: "demo"}
			fmt.Fprintf(a.Stdout, "# A Platform API emulator is listening on %s, with app demo (web=1, worker=0).\n", url)
			steps := []struct{ say, cmd string }{
				{"What runs now:", "status"},
				{"Heroku Scheduler starts a worker before a long job:", "up worker=1 --wait"},
				{"", "status"},
				{"The job is done: the worker goes back to zero, so nobody pays for it:", "down worker --wait"},
				{"", "status"},
				{"Nothing to change: nothing is sent:", "down worker"},
			}
			for _, s := range steps {
				if s.say != "" {
					fmt.Fprintf(a.Stdout, "\n# %s\n", s.say)
				}
				fmt.Fprintf(a.Stdout, "$ scaler %s\n", s.cmd)
				if err := a.sub(env).Run(ctx, append([]string{"scaler"}, strings.Fields(s.cmd)...)); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// sub returns a copy of the app whose environment is overlaid with env.
func (a *App) sub(env map[string]string) *App {
	s := *a
	s.Getenv = func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		return a.Getenv(k)
	}
	return &s
}
