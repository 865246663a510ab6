package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scalerdev/scaler/platform/emulator"
	"github.com/scalerdev/scaler/scaler"
)

// defaultListen is where the emulator listens unless told otherwise: on
// loopback only, since it accepts any token by default.
const defaultListen = "127.0.0.1:5000"

// emulatorOptions is what the emulator is asked: its flags as given, and
// which were given.
type emulatorOptions struct {
	Listen, Token, Scope, Procfile, ClockStart string
	Apps, Formations, Env, Scheduler           []string
	BootDelay, StopDelay, Latency              time.Duration
	StopLatency, KillAfter, RestartDelay       time.Duration
	Cycle, CycleJitter                         time.Duration
	RateLimit                                  int
	ClockRate, SchedulerSkip, SchedulerDup     float64
	Seed                                       uint64
	// Set reports whether a flag was given.
	Set func(name string) bool
}

// newEmulatorCommand builds the emulator, which, with a Procfile, runs
// dynos: it owns the signals (a second one stops them at once).
func (a *App) newEmulatorCommand(runF func(context.Context, *emulatorOptions) error) *command {
	if runF == nil {
		runF = a.runEmulator
	}
	return &command{ownsSignals: true, Command: &cli.Command{
		Name:  "emulator",
		Usage: "serve a local Platform API emulator to try scaler without a Heroku account",
		Description: `Serves, on loopback, the part of the Heroku Platform API that scaler uses,
with state: dynos boot and stop, errors come in Heroku's shape, Eco/Basic
limits and the account's rate limit apply. Several --app/--formation pairs
emulate several apps. It prints HEROKU_API_URL=... on stdout when ready.
It refuses (403) a request whose Host is not loopback, localhost (or
*.localhost) or the --listen host, or that a browser sent from a page not on loopback (Origin):
no web page can drive it, by DNS rebinding or otherwise.

With --procfile, it is also a dyno manager: each dyno of the formation is a
real process (the Procfile's command, run by /bin/sh -c in the Procfile's
directory, in a process group of its own; a lone simple command is exec'd,
as Heroku's shell does, so that its exit is the dyno's), started, restarted, cycled and
stopped the way Heroku does it (SIGTERM to the whole group, SIGKILL after
--kill-after), and stdout carries the log stream as ` + "`heroku logs`" + ` shows it.
Dynos get DYNO, PORT, HEROKU_APP_NAME, HEROKU_APP_ID, HEROKU_DYNO_ID and
HEROKU_API_URL (this emulator), with the Procfile directory's bin/ first on
PATH, and SCALER_EMULATOR_NOW, the emulated time at their start (with
--clock-rate, for scaler apply --at). A second SIGINT or SIGTERM while it
stops the dynos kills them at once. Since a request can run commands, a
--listen beyond loopback needs --token.

Examples:
   $ scaler emulator
   $ scaler emulator --listen 127.0.0.1:0 --app demo --formation web=1,worker=0:standard-2x --boot-delay 2s
   $ HEROKU_API_URL=http://127.0.0.1:5000 HEROKU_API_KEY=any scaler up worker=1 -a demo
   $ scaler emulator --procfile Procfile --env HEROKU_API_KEY=any --cycle 2m
   $ scaler emulator --procfile Procfile --env HEROKU_API_KEY=any --cycle 24h --cycle-jitter 216m
   $ scaler emulator --procfile Procfile --env HEROKU_API_KEY=any --env 'SCALER_SCHEDULE=nightly daily 02:00-05:00 once' --scheduler '10m bin/scaler apply' --scheduler-skip 0.1`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "listen", Value: defaultListen, Usage: "address to listen on (port 0 picks a free one); beyond loopback, --procfile needs --token"},
			&cli.StringSliceFlag{Name: "app", Usage: "name of an app to emulate (repeatable; default demo)"},
			&cli.StringSliceFlag{Name: "formation", Usage: "formation of the app at the same position, TYPE=N[:SIZE],... (default web=1,worker=0; with --procfile, web=1 and its other types 0)"},
			&cli.StringFlag{Name: "token", Usage: "the only bearer token to accept (default: any non-empty token)"},
			&cli.DurationFlag{Name: "boot-delay", Value: time.Second, Usage: "how long new dynos stay starting"},
			&cli.DurationFlag{Name: "stop-delay", Value: time.Second, Usage: "how long dynos scaled away stay down before they are gone (without --procfile)"},
			&cli.DurationFlag{Name: "latency", Usage: "delay added to every answer"},
			&cli.IntFlag{Name: "rate-limit", Value: emulator.DefaultRateLimit, Usage: "size of the account's request bucket (refills at 75 a minute)"},
			&cli.StringFlag{Name: "scope", Value: emulator.DefaultScope, Usage: "OAuth scope reported for the token (global, write, read, identity)"},
			&cli.StringFlag{Name: "clock-start", Usage: "the emulated clock's time at start, RFC 3339 (timestamps, Date headers, the log stream's stamps)", DefaultText: "now"},
			&cli.Float64Flag{Name: "clock-rate", Value: 1, Usage: "how much faster than real time the emulated clock runs (60: an hour of schedule in a minute); delays stay real"},
			&cli.StringFlag{Name: "procfile", Usage: "run each dyno as a real process, with this Procfile's commands (the flags below need it)", TakesFile: true},
			&cli.GenericFlag{Name: "env", Value: &repeated{}, Usage: "KEY=VALUE in every dyno's environment, as a config var (repeatable)"},
			&cli.DurationFlag{Name: "stop-latency", Value: emulator.DefaultStopLatency, Usage: "time from an accepted scale-down to its dynos' SIGTERM; a dyno whose process exits meanwhile is restarted"},
			&cli.DurationFlag{Name: "kill-after", Value: emulator.DefaultKillAfter, Usage: "time from SIGTERM to SIGKILL for a dyno's processes"},
			&cli.DurationFlag{Name: "restart-delay", Value: emulator.DefaultRestartDelay, Usage: "cool-off before a crashed dyno's second restart (the first is at once), doubling after each further crash, up to 20m"},
			&cli.DurationFlag{Name: "cycle", Usage: "cycle each formation dyno this long after it started, as Heroku does every 24h (plus up to 216m: --cycle-jitter); every restart starts it over", DefaultText: "never"},
			&cli.DurationFlag{Name: "cycle-jitter", Usage: "add to each dyno's --cycle a random part of up to this (Heroku: 216m), replayed by --seed", DefaultText: "none"},
			&cli.GenericFlag{Name: "scheduler", Value: &repeated{}, Usage: "'EVERY COMMAND': run COMMAND in a one-off scheduler.N dyno every EVERY, as Heroku Scheduler does (repeatable)"},
			&cli.Float64Flag{Name: "scheduler-skip", Usage: "probability that a Scheduler run is skipped (Scheduler is best effort)"},
			&cli.Float64Flag{Name: "scheduler-dup", Usage: "probability that a Scheduler run starts twice"},
			&cli.Uint64Flag{Name: "seed", Usage: "seed of the Scheduler's skips and duplicates, and of --cycle-jitter's draws", DefaultText: "random, logged"},
		},
		Action: func(c *cli.Context) error {
			return runF(c.Context, &emulatorOptions{
				Listen: c.String("listen"), Token: c.String("token"), Scope: c.String("scope"), Procfile: c.String("procfile"),
				ClockStart: c.String("clock-start"), Apps: c.StringSlice("app"), Formations: c.StringSlice("formation"),
				Env: *c.Generic("env").(*repeated), Scheduler: *c.Generic("scheduler").(*repeated),
				BootDelay: c.Duration("boot-delay"), StopDelay: c.Duration("stop-delay"), Latency: c.Duration("latency"),
				StopLatency: c.Duration("stop-latency"), KillAfter: c.Duration("kill-after"), RestartDelay: c.Duration("restart-delay"),
				Cycle: c.Duration("cycle"), CycleJitter: c.Duration("cycle-jitter"), RateLimit: c.Int("rate-limit"), ClockRate: c.Float64("clock-rate"),
				SchedulerSkip: c.Float64("scheduler-skip"), SchedulerDup: c.Float64("scheduler-dup"), Seed: c.Uint64("seed"),
				Set: c.IsSet,
			})
		},
	}}
}

// runEmulator serves the emulator until a signal (its context) ends it;
// with a Procfile, it runs the dynos too, and stops them on the way out.
func (a *App) runEmulator(ctx context.Context, opts *emulatorOptions) error {
	cfg, err := emulatorConfig(opts)
	if err != nil {
		return err
	}
	a.secrets.add(cfg.Token)
	if cfg.Dynos, err = a.dynoConfig(opts); err != nil {
		return err
	}
	cfg.Log = a.log
	em, err := emulator.New(cfg)
	if err != nil {
		return scaler.Errorf(scaler.ErrInvalid, "%v", err)
	}
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	if !emulator.IsLoopback(opts.Listen) {
		a.log.Warn("emulator reachable from other hosts", "listen", opts.Listen)
	}
	if cfg.Token == "" {
		a.log.Warn("emulator accepts any non-empty bearer token")
	}
	names := make([]string, len(cfg.Apps))
	for i, ac := range cfg.Apps {
		names[i] = ac.Name
	}
	url := reachable(ln.Addr())
	a.log.Info("emulator listening", "url", url, "apps", fmt.Sprint(names))
	fmt.Fprintf(a.Stdout, "%s=%s\n", envAPIURL, url)
	if cfg.Dynos == nil {
		// Its own context, cancelled at the first SIGINT or SIGTERM.
		ctx, cancel := a.cancelOnSignal(ctx)
		defer cancel()
		return emulator.Serve(ctx, ln, em)
	}
	// A signal is how the emulator is meant to stop: not a failure.
	err = a.serveDynos(ctx, ln, em, url, nil)
	if errors.As(err, new(signalled)) {
		return nil
	}
	return err
}

// reachable is the URL of a listener as a client on this machine reaches
// it: a listener on every address (0.0.0.0, [::]) is reached on loopback.
func reachable(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return "http://" + addr.String()
	}
	host := tcp.IP
	if host.IsUnspecified() {
		host = net.IPv4(127, 0, 0, 1) // [::] listens on IPv4 too
	}
	return "http://" + net.JoinHostPort(host.String(), strconv.Itoa(tcp.Port))
}

// repeated is a flag that may be given several times, each value kept
// whole: a StringSliceFlag would split an environment value or a command
// at its commas. It never prints its values (--env may hold secrets).
type repeated []string

func (r *repeated) Set(v string) error {
	*r = append(*r, v)
	return nil
}

func (r *repeated) String() string { return "" }

// secretName reports whether a config var's name says it holds a secret
// (HEROKU_API_KEY, DATABASE_URL's kind aside): its value is redacted from
// the emulator's output.
func secretName(key string) bool {
	key = strings.ToUpper(key)
	for _, word := range []string{"KEY", "TOKEN", "SECRET", "PASSWORD"} {
		if strings.Contains(key, word) {
			return true
		}
	}
	return false
}

// dynoFlags are the flags that only make sense with --procfile.
var dynoFlags = []string{"env", "stop-latency", "kill-after", "restart-delay", "cycle", "cycle-jitter", "scheduler", "scheduler-skip", "scheduler-dup", "seed"}

// dynoConfig reads the dyno manager's flags: nil without --procfile, and
// then none of them may be set.
func (a *App) dynoConfig(opts *emulatorOptions) (*emulator.DynoConfig, error) {
	path := opts.Procfile
	if path == "" {
		for _, name := range dynoFlags {
			if opts.Set(name) {
				return nil, scaler.Errorf(scaler.ErrInvalid, "--%s runs dynos: it needs --procfile", name)
			}
		}
		return nil, nil
	}
	pf, err := emulator.ReadProcfile(path)
	if err != nil {
		return nil, scaler.Errorf(scaler.ErrInvalid, "%v", err)
	}
	dc := &emulator.DynoConfig{
		// What dynos print is redacted before a long line is cut, as well
		// as by a.Stdout after: a secret is never cut in two.
		Procfile: pf, Log: a.Stdout, Redact: a.secrets.cleanStart, StopLatency: opts.StopLatency, KillAfter: opts.KillAfter,
		RestartDelay: opts.RestartDelay, Cycle: opts.Cycle, CycleJitter: opts.CycleJitter,
		SchedulerSkip: opts.SchedulerSkip, SchedulerDup: opts.SchedulerDup, Seed: opts.Seed,
		// The emulator's process runs nothing but dynos: it may reap
		// whatever they leave behind. (So App.Main("emulator --procfile")
		// must not run inside a process that has children of its own.)
		Subreaper: true,
	}
	for i, kv := range opts.Env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" || strings.ContainsAny(k, " \t") {
			// The value is not repeated: it may be a secret.
			return nil, scaler.Errorf(scaler.ErrInvalid, "--env number %d is not KEY=VALUE", i+1)
		}
		dc.Env = append(dc.Env, kv)
		if k, v, _ := strings.Cut(kv, "="); secretName(k) {
			a.secrets.add(v) // a config var that holds a secret never shows in the log stream
		}
	}
	for _, s := range opts.Scheduler {
		job, err := emulator.ParseSchedulerJob(s)
		if err != nil {
			return nil, scaler.Errorf(scaler.ErrInvalid, "--scheduler: %v", err)
		}
		dc.Scheduler = append(dc.Scheduler, job)
	}
	switch {
	case dc.StopLatency < 0 || dc.KillAfter <= 0 || dc.RestartDelay <= 0 || dc.Cycle < 0 || dc.CycleJitter < 0:
		return nil, scaler.Errorf(scaler.ErrInvalid, "--kill-after and --restart-delay must be positive, --stop-latency, --cycle and --cycle-jitter not negative")
	case dc.CycleJitter > 0 && dc.Cycle == 0:
		return nil, scaler.Errorf(scaler.ErrInvalid, "--cycle-jitter %s is added to --cycle, which is not set: give both, e.g. --cycle 24h --cycle-jitter 216m", dc.CycleJitter)
	case dc.SchedulerSkip < 0 || dc.SchedulerSkip > 1 || dc.SchedulerDup < 0 || dc.SchedulerDup > 1:
		return nil, scaler.Errorf(scaler.ErrInvalid, "--scheduler-skip and --scheduler-dup are probabilities, from 0 to 1")
	}
	if !opts.Set("seed") && (dc.SchedulerSkip > 0 || dc.SchedulerDup > 0 || dc.CycleJitter > 0) {
		dc.Seed = rand.Uint64()
		a.log.Info("scheduler seed", "seed", dc.Seed, "hint", "--seed replays the same skips, duplicates and cycles")
	}
	return dc, nil
}

// serveDynos serves the API and runs the dynos until the first SIGINT or
// SIGTERM (its error is then signalled), or until until, when given,
// returns (its error is until's); then it stops every dyno, the API still
// answering meanwhile (a dyno may use it as it stops), and the server last.
// A signal during the stop skips the kill-after wait: SIGKILL at once. One
// subscription reads the signals throughout: the first stops, the next
// hurries.
func (a *App) serveDynos(parent context.Context, ln net.Listener, em *emulator.Emulator, url string, until func(context.Context) error) error {
	sigs, unsubscribe := a.signals.Subscribe()
	defer unsubscribe()
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	serving, stopServing := context.WithCancel(context.WithoutCancel(ctx))
	defer stopServing()
	served := make(chan error, 1)
	go func() { served <- emulator.Serve(serving, ln, em) }()
	if err := em.StartDynos(url); err != nil {
		stopServing()
		<-served
		return fmt.Errorf("emulator: %w", err)
	}
	ended := make(chan error, 1)
	if until != nil {
		go func() { ended <- until(ctx) }()
	}
	var runErr, serveErr error
	select {
	case sig := <-sigs:
		a.log.Warn("stopping", "signal", scaler.SignalName(sig))
		runErr = signalled{sig}
	case <-parent.Done():
		runErr = context.Cause(parent)
	case runErr = <-ended:
	case serveErr = <-served:
		served <- nil // stopped already: nothing more to wait for below
	}
	cancel(runErr)
	hurry, kill := context.WithCancel(context.WithoutCancel(ctx))
	defer kill()
	go func() {
		select {
		case sig := <-sigs:
			a.log.Warn("stopping dynos at once", "signal", scaler.SignalName(sig))
			kill()
		case <-hurry.Done():
		}
	}()
	a.log.Info("stopping dynos")
	err := em.StopDynos(hurry)
	kill()
	stopServing()
	return errors.Join(runErr, err, serveErr, <-served)
}

// emulatorConfig reads the emulator's flags, pairing each --app with the
// --formation at the same position.
func emulatorConfig(opts *emulatorOptions) (emulator.Config, error) {
	names, forms := opts.Apps, opts.Formations
	if len(names) == 0 {
		names = []string{"demo"}
	}
	// With a Procfile, its types make the formation (web=1, others 0)
	// unless --formation says otherwise.
	defaultForm := "web=1,worker=0"
	if opts.Procfile != "" {
		defaultForm = ""
	}
	if len(forms) == 0 {
		for range names {
			forms = append(forms, defaultForm)
		}
	}
	if len(forms) != len(names) {
		return emulator.Config{}, scaler.Errorf(scaler.ErrInvalid, "%d --app and %d --formation: give one formation per app, in the same order", len(names), len(forms))
	}
	// Loopback is the only guard of an emulator without a token: beyond
	// it, anyone who reaches the port could run commands on this machine.
	if opts.Procfile != "" && opts.Token == "" && !emulator.IsLoopback(opts.Listen) {
		return emulator.Config{}, scaler.Errorf(scaler.ErrInvalid, "--listen %s is reachable from other machines, and with --procfile a request runs commands on this one: give --token too, or listen on loopback (%s)", opts.Listen, defaultListen)
	}
	cfg := emulator.Config{
		Listen: opts.Listen, Token: opts.Token, Scope: opts.Scope, BootDelay: opts.BootDelay,
		StopDelay: opts.StopDelay, Latency: opts.Latency, RateLimit: opts.RateLimit,
	}
	if opts.Set("clock-start") || opts.Set("clock-rate") {
		start, rate := time.Now(), opts.ClockRate
		if s := opts.ClockStart; s != "" {
			var err error
			if start, err = time.Parse(time.RFC3339, s); err != nil {
				return emulator.Config{}, scaler.Errorf(scaler.ErrInvalid, "--clock-start %q: want an RFC 3339 instant such as 2026-12-01T01:55:00+01:00", s)
			}
		}
		if rate < 1 || rate > 3600 {
			return emulator.Config{}, scaler.Errorf(scaler.ErrInvalid, "--clock-rate %v: want 1 to 3600 (60 runs an hour of the clock in a minute)", rate)
		}
		cfg.Now, cfg.ClockRate = emulator.Clock(start, rate), rate
	}
	for i, name := range names {
		var procs []emulator.Process
		if forms[i] != "" {
			var err error
			if procs, err = emulator.ParseFormation(forms[i]); err != nil {
				return emulator.Config{}, scaler.Errorf(scaler.ErrInvalid, "--formation for %s: %w", name, err)
			}
		}
		cfg.Apps = append(cfg.Apps, emulator.App{Name: name, Formation: procs})
	}
	if cfg.RateLimit <= 0 || cfg.BootDelay < 0 || cfg.StopDelay < 0 || cfg.Latency < 0 {
		return emulator.Config{}, scaler.Errorf(scaler.ErrInvalid, "--rate-limit must be positive and the delays not negative")
	}
	return cfg, nil
}
