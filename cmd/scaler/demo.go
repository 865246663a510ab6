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
would run, printing each one first. The job is a real process (sh).

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
			worker := map[string]string{envAPIURL: url, envToken: "demo-token", envApp: "demo", envDyno: "worker.1"}
			fmt.Fprintf(a.Stdout, "# A Platform API emulator is listening on %s, with app demo (web=1, worker=0).\n", url)
			job := []string{"sh", "-c", "echo nightly report: started; sleep 1; echo nightly report: 42 rows written"}
			steps := []struct {
				say    string
				env    map[string]string
				prompt string
				args   []string
			}{
				{"What runs now:", env, "", []string{"status"}},
				{"Heroku Scheduler starts a worker before the long job:", env, "", []string{"up", "worker=1", "--wait"}},
				{"In the fresh worker dyno, the Procfile line `worker: bin/scaler run -- JOB` runs the job.\n# When it exits, scaler sends the formation back to zero, so nobody pays for an idle worker:",
					worker, "DYNO=worker.1 ", append([]string{"run", "--"}, job...)},
				{"", env, "", []string{"status"}},
				{"Asking again changes nothing, and sends no write:", env, "", []string{"down", "worker"}},
			}
			for _, s := range steps {
				if s.say != "" {
					fmt.Fprintf(a.Stdout, "\n# %s\n", s.say)
				}
				fmt.Fprintf(a.Stdout, "$ %sscaler %s\n", s.prompt, shellJoin(s.args))
				if err := a.sub(s.env).Run(ctx, append([]string{"scaler"}, s.args...)); exitCode(err) != 0 {
					return err
				}
			}
			return nil
		},
	}
}

// shellJoin quotes arguments as a shell would need them.
func shellJoin(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = a
		if strings.ContainsAny(a, " '\";$&|<>*?") {
			quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(quoted, " ")
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
