package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scalerdev/scaler/platform"
	"github.com/scalerdev/scaler/scaler"
)

// version and commit are the release's, set by the Makefile's builds with
// -ldflags "-X main.version=v1.2.3 -X main.commit=0123abcd"; otherwise they
// come from the build info (go install, go build in a git checkout).
var version, commit = "", ""

// App is the scaler command line with its dependencies: streams, the
// environment and signals, and for tests the network and the retry policy.
type App struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Getenv reads the environment.
	Getenv func(string) string
	// Signals delivers SIGTERM and SIGINT. Most commands stop on the first;
	// run and done handle them themselves.
	Signals <-chan os.Signal

	// Transport reaches the API; nil means a default transport.
	Transport http.RoundTripper
	// Retry is the API client's retry policy; zero means the default.
	Retry platform.RetryPolicy
	// PollInterval is the first pause between reads while waiting; zero
	// means the default.
	PollInterval time.Duration
	// FinishTimeout bounds one attempt at the scale-down after a job; zero
	// means 20s.
	FinishTimeout time.Duration
	// StopWait bounds the wait for the platform's SIGTERM after run or done
	// scaled their own dyno's type to 0; zero means 60s.
	StopWait time.Duration
	// NotifyTimeout bounds one attempt at a notification; zero means 3s.
	NotifyTimeout time.Duration
	// Settle is how long run waits after its job exits for a sign of a
	// shutdown before it calls the job done; zero means
	// scaler.DefaultSettle.
	Settle time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time

	log *slog.Logger
	// secrets are redacted from everything written to Stdout and Stderr;
	// jobStdout and jobStderr are the streams before that, which a job run
	// by `scaler run` inherits as they are.
	secrets              redactor
	jobStdout, jobStderr io.Writer
}

// Main runs the command line and returns its exit code, after saying on
// stderr why it failed. Everything it writes, a panic's message included,
// passes the redactor first, whatever the API answered.
func (a *App) Main(ctx context.Context, args []string) (code int) {
	a.secrets.add(a.Getenv(envToken))
	a.secrets.addURL(a.Getenv(envAPIURL))
	a.jobStdout, a.jobStderr = a.Stdout, a.Stderr
	stdout, stderr := &lines{r: &a.secrets, w: a.Stdout}, &lines{r: &a.secrets, w: a.Stderr}
	a.Stdout, a.Stderr = stdout, stderr
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(stderr, "panic: %v\n\n%s", p, debug.Stack())
			code = exitFailure
		}
		stdout.Flush()
		stderr.Flush()
	}()
	return a.report(a.Run(ctx, args))
}

// Run runs the command line. Its error maps to an exit code with exitCode.
func (a *App) Run(ctx context.Context, args []string) error {
	if a.Now == nil {
		a.Now = time.Now
	}
	if a.jobStdout == nil {
		a.jobStdout, a.jobStderr = a.Stdout, a.Stderr
	}
	log, err := newLogger(a.Stderr, a.Getenv(envLogLevel))
	a.log = log
	if err != nil {
		return err
	}
	app := a.cli()
	args, err = permute(app, args)
	if err != nil {
		return err
	}
	if !ownsSignals(app, args) {
		var cancel context.CancelFunc
		ctx, cancel = a.cancelOnSignal(ctx, syscall.SIGTERM, syscall.SIGINT)
		defer cancel()
	}
	return app.RunContext(ctx, args)
}

// cancelOnSignal returns a context that ends at the first of the given
// signals; the others are let pass.
func (a *App) cancelOnSignal(parent context.Context, stop ...os.Signal) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	go func() {
		for {
			select {
			case sig := <-a.Signals:
				if !slices.Contains(stop, sig) {
					a.log.Debug("signal let pass", "signal", scaler.SignalName(sig))
					continue
				}
				a.log.Warn("stopping", "signal", scaler.SignalName(sig))
				cancel()
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return ctx, cancel
}

// ownsSignals reports whether the command handles signals itself: run
// passes them to its job, and done must finish the write that stops its own
// dyno even as the platform sends that dyno SIGTERM.
func ownsSignals(app *cli.App, args []string) bool {
	cmd := findCommand(app, args)
	return cmd != nil && (cmd.Name == "run" || cmd.Name == "done")
}

// cli builds the urfave/cli application: the one place that knows it.
func (a *App) cli() *cli.App {
	app := &cli.App{
		Name:      "scaler",
		Usage:     "scale a Heroku app's dyno formation from inside a dyno",
		Version:   versionString(),
		Writer:    a.Stdout,
		ErrWriter: a.Stderr,
		Reader:    a.Stdin,
		Commands: []*cli.Command{
			a.upCommand(),
			a.scaleCommand(),
			a.downCommand(),
			a.statusCommand(),
			a.runCommand(),
			a.doneCommand(),
			a.applyCommand(),
			a.planCommand(),
			a.checkCommand(),
			a.notifyCommand(),
			a.emulatorCommand(),
			a.demoCommand(),
			a.completionCommand(),
		},
		// Flags are parsed strictly; a bad one is a usage error, exit 2.
		OnUsageError:              usageError,
		ExitErrHandler:            func(*cli.Context, error) {},
		DisableSliceFlagSeparator: true,
		HideHelpCommand:           true,
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return scaler.Errorf(scaler.ErrInvalid, "unknown command %q (see scaler --help)", c.Args().First())
			}
			return cli.ShowAppHelp(c)
		},
	}
	for _, cmd := range app.Commands {
		cmd.OnUsageError = usageError
	}
	return app
}

func usageError(c *cli.Context, err error, _ bool) error {
	return scaler.Errorf(scaler.ErrInvalid, "%v", err)
}

// Exit codes, as the README documents them.
const (
	exitOK       = 0
	exitFailure  = 1 // the API or the runtime failed
	exitUsage    = 2 // usage, configuration or validation error; nothing was sent
	exitAuth     = 3 // authentication or permission refused (401, 403)
	exitNotFound = 4 // app or process type not found
)

// exitCode is the one mapping of errors to exit codes.
func exitCode(err error) int {
	var st *exitStatus
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &st):
		return st.code
	case errors.Is(err, scaler.ErrInvalid), errors.As(err, new(cli.ExitCoder)):
		// urfave/cli's only ExitCoder is its help's "No help topic".
		return exitUsage
	case errors.Is(err, scaler.ErrUnauthorized), errors.Is(err, scaler.ErrForbidden):
		return exitAuth
	case errors.Is(err, scaler.ErrNotFound):
		return exitNotFound
	default:
		return exitFailure
	}
}

// exitStatus is an exit code chosen by a command itself (run passes on its
// job's status), with an error to report or nil.
type exitStatus struct {
	code int
	err  error
}

func (e *exitStatus) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitStatus) Unwrap() error { return e.err }

// report says on stderr why the command failed, with a hint at what to do,
// and returns the exit code.
func (a *App) report(err error) int {
	code := exitCode(err)
	var st *exitStatus
	if err == nil || errors.As(err, &st) && st.err == nil {
		return code
	}
	log := a.log
	if log == nil {
		log, _ = newLogger(a.Stderr, "")
	}
	msg := map[int]string{exitUsage: "usage error", exitAuth: "refused", exitNotFound: "not found"}[code]
	if msg == "" {
		msg = "failed"
	}
	var args []any
	if h := a.hint(err); h != "" {
		args = append(args, "hint", h)
	}
	// Errors joined together (every bad spec, every bad schedule line) are
	// one line each.
	for _, line := range strings.Split(err.Error(), "\n") {
		log.Error(msg, append(args, "err", line)...)
	}
	return code
}

// hint says what a person can do about an error.
func (a *App) hint(err error) string {
	var ae *platform.APIError
	switch {
	case errors.As(err, &ae) && ae.ID == "two_factor":
		return "the API asks for a second factor, which an automation token cannot give: use a token from `heroku authorizations:create --scope write` (for a bot account when your account uses SSO)"
	case errors.Is(err, scaler.ErrUnauthorized):
		return "the token in " + envToken + " is wrong, expired or revoked: create one with `heroku authorizations:create --scope write --description scaler`"
	case errors.Is(err, scaler.ErrForbidden):
		return "the token's account may not scale this app: it needs the operate (or manage) permission on the app, and a token with the write scope"
	case errors.Is(err, scaler.ErrRateLimited):
		return "the account's API budget (4500 requests, shared by every token and tool of the account) is spent; it refills at 75 a minute: run again later"
	case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
		return "check the app's name (-a, " + envApp + ", " + envAppName + "), and that the token's account is a member of the app"
	case errors.As(err, &ae) && (ae.Status == http.StatusRequestHeaderFieldsTooLarge || ae.Status == http.StatusRequestEntityTooLarge):
		return fmt.Sprintf("the API refused the request as too large (%d): the token in %s is %d bytes long, where a Heroku token is about 70: check that it holds a token and nothing else", ae.Status, envToken, len(strings.TrimSpace(a.Getenv(envToken))))
	case errors.Is(err, scaler.ErrRejected):
		return "the platform refused the change, for the reason it gives: Eco and Basic dynos allow one dyno per process type and no other size in the same app; an app must be deployed before it can scale"
	case errors.Is(err, scaler.ErrUncertain), errors.Is(err, scaler.ErrConflict):
		return "the formation may or may not have changed: see it with `scaler status`"
	case errors.Is(err, scaler.ErrUnavailable):
		return "the Heroku API is failing or out of reach: see https://status.heroku.com and run again"
	}
	return ""
}

// newLogger returns the logfmt logger for stderr, without timestamps
// (Heroku's router stamps every line), with lowercase levels.
func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var lvl slog.Level
	var err error
	if level != "" {
		if e := lvl.UnmarshalText([]byte(level)); e != nil {
			err = scaler.Errorf(scaler.ErrInvalid, "%s=%q: want debug, info, warn or error", envLogLevel, level)
		}
	}
	h := slog.NewTextHandler(w, &slog.HandlerOptions{
		Level: lvl,
		ReplaceAttr: func(groups []string, attr slog.Attr) slog.Attr {
			switch {
			case len(groups) > 0:
			case attr.Key == slog.TimeKey:
				return slog.Attr{}
			case attr.Key == slog.LevelKey:
				return slog.String(slog.LevelKey, strings.ToLower(attr.Value.String()))
			}
			return attr
		},
	})
	return slog.New(h), err
}

// versionString is the version, the commit and the Go version, from the
// build info.
func versionString() string {
	v, c, goVersion := version, commit, "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
		if v == "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && c == "" {
				c = s.Value[:min(12, len(s.Value))]
			}
		}
	}
	if v == "" || v == "(devel)" {
		v = "dev"
	}
	if c == "" {
		c = "unknown"
	}
	return fmt.Sprintf("%s (commit %s, %s)", v, c, goVersion)
}

func userAgent() string {
	return "scaler/" + strings.Fields(versionString())[0]
}

// findCommand returns the command args name, or nil.
func findCommand(app *cli.App, args []string) *cli.Command {
	if len(args) < 2 {
		return nil
	}
	i := slices.IndexFunc(app.Commands, func(c *cli.Command) bool { return c.HasName(args[1]) })
	if i < 0 {
		return nil
	}
	return app.Commands[i]
}
