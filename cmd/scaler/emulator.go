package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scalerdev/scaler/platform/emulator"
	"github.com/scalerdev/scaler/scaler"
)

// defaultListen is where the emulator listens unless told otherwise: on
// loopback only, since it accepts any token by default.
const defaultListen = "127.0.0.1:5000"

func (a *App) emulatorCommand() *cli.Command {
	return &cli.Command{
		Name:  "emulator",
		Usage: "serve a local Platform API emulator to try scaler without a Heroku account",
		Description: `Serves, on loopback, the part of the Heroku Platform API that scaler uses,
with state: dynos boot and stop, errors come in Heroku's shape, Eco/Basic
limits and the account's rate limit apply. Several --app/--formation pairs
emulate several apps. It prints HEROKU_API_URL=... on stdout when ready.

Examples:
   $ scaler emulator
   $ scaler emulator --listen 127.0.0.1:0 --app demo --formation web=1,worker=0:standard-2x --boot-delay 2s
   $ HEROKU_API_URL=http://127.0.0.1:5000 HEROKU_API_KEY=any scaler up worker=1 -a demo`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "listen", Value: defaultListen, Usage: "address to listen on (port 0 picks a free one)"},
			&cli.StringSliceFlag{Name: "app", Usage: "name of an app to emulate (repeatable; default demo)"},
			&cli.StringSliceFlag{Name: "formation", Usage: "formation of the app at the same position, TYPE=N[:SIZE],... (default web=1,worker=0)"},
			&cli.StringFlag{Name: "token", Usage: "the only bearer token to accept (default: any non-empty token)"},
			&cli.DurationFlag{Name: "boot-delay", Value: time.Second, Usage: "how long new dynos stay starting"},
			&cli.DurationFlag{Name: "stop-delay", Value: time.Second, Usage: "how long dynos scaled away stay down before they are gone"},
			&cli.DurationFlag{Name: "latency", Usage: "delay added to every answer"},
			&cli.IntFlag{Name: "rate-limit", Value: emulator.DefaultRateLimit, Usage: "size of the account's request bucket (refills at 75 a minute)"},
			&cli.StringFlag{Name: "scope", Value: emulator.DefaultScope, Usage: "OAuth scope reported for the token (global, write, read, identity)"},
		},
		Action: func(c *cli.Context) error {
			cfg, err := emulatorConfig(c)
			if err != nil {
				return err
			}
			listen := c.String("listen")
			cfg.Log = a.log
			em, err := emulator.New(cfg)
			if err != nil {
				return scaler.Errorf(scaler.ErrInvalid, "%v", err)
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("emulator: %w", err)
			}
			if !emulator.IsLoopback(listen) {
				a.log.Warn("emulator reachable from other hosts", "listen", listen)
			}
			if cfg.Token == "" {
				a.log.Warn("emulator accepts any non-empty bearer token")
			}
			names := make([]string, len(cfg.Apps))
			for i, ac := range cfg.Apps {
				names[i] = ac.Name
			}
			a.log.Info("emulator listening", "url", "http://"+ln.Addr().String(), "apps", fmt.Sprint(names))
			fmt.Fprintf(a.Stdout, "%s=http://%s\n", envAPIURL, ln.Addr())
			return emulator.Serve(c.Context, ln, em)
		},
	}
}

// emulatorConfig reads the emulator's flags, pairing each --app with the
// --formation at the same position.
func emulatorConfig(c *cli.Context) (emulator.Config, error) {
	names, forms := c.StringSlice("app"), c.StringSlice("formation")
	if len(names) == 0 {
		names = []string{"demo"}
	}
	if len(forms) == 0 {
		for range names {
			forms = append(forms, "web=1,worker=0")
		}
	}
	if len(forms) != len(names) {
		return emulator.Config{}, scaler.Errorf(scaler.ErrInvalid, "%d --app and %d --formation: give one formation per app, in the same order", len(names), len(forms))
	}
	cfg := emulator.Config{
		Token: c.String("token"), Scope: c.String("scope"), BootDelay: c.Duration("boot-delay"),
		StopDelay: c.Duration("stop-delay"), Latency: c.Duration("latency"), RateLimit: c.Int("rate-limit"),
	}
	for i, name := range names {
		procs, err := emulator.ParseFormation(forms[i])
		if err != nil {
			return emulator.Config{}, fmt.Errorf("--formation for %s: %w", name, err)
		}
		cfg.Apps = append(cfg.Apps, emulator.App{Name: name, Formation: procs})
	}
	if cfg.RateLimit <= 0 || cfg.BootDelay < 0 || cfg.StopDelay < 0 || cfg.Latency < 0 {
		return emulator.Config{}, scaler.Errorf(scaler.ErrInvalid, "--rate-limit must be positive and the delays not negative")
	}
	return cfg, nil
}

// startEmulator serves an emulator on a free loopback port until ctx ends,
// and returns its URL. The demo uses it.
func startEmulator(ctx context.Context, cfg emulator.Config) (string, error) {
	em, err := emulator.New(cfg)
	if err != nil {
		return "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	go emulator.Serve(ctx, ln, em)
	return "http://" + ln.Addr().String(), nil
}
