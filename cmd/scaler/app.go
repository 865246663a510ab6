package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
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
// An App does not change while it runs: Main makes a value of its own for
// each run (its logger, its redacted streams, its signal hub), so that one
// App may run again, or twice at once.
type App struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Getenv reads the environment.
	Getenv func(string) string
	// Environ is the environment that run's job inherits, as os.Environ
	// gives it, to agree with Getenv; os.Environ when nil.
	Environ func() []string
	// Signals delivers the SIGTERM and SIGINT that reach scaler; the run's
	// hub is its one reader, and every part of a command that cares
	// subscribes to the hub. Most commands stop at the first; those that
	// own them (run, done, emulator, demo) handle them themselves.
	Signals <-chan os.Signal

	// Transport reaches the API; nil means a default transport.
	Transport http.RoundTripper
	// Retry is the API client's retry policy; zero means the default.
	Retry platform.RetryPolicy
	// PollInterval is the first pause between reads while waiting; zero
	// means the default.
	PollInterval time.Duration
	// FinishTimeout bounds one attempt at run's reads and writes: the read
	// before its job, the scale-down after it; zero means 20s.
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

	// The run's own state, set by Main in the run's copy of the App, never
	// in the App it was given.
	log *slog.Logger
	// secrets are redacted from everything written to Stdout and Stderr;
	// jobStdout and jobStderr are the streams before that, which a job run
	// by `scaler run` inherits as they are.
	secrets              *redactor
	jobStdout, jobStderr io.Writer
	// jsonOut is set when the command was asked for JSON: its failure is
	// said on stdout as JSON too.
	jsonOut bool
	// notify decides the command's notifier once: see notifier.
	notify *notifyOnce
	// signals is the run's one reader of Signals.
	signals *signalHub
}

// Main runs the command line and returns its exit code, after saying on
// stderr why it failed. Everything it writes, a panic's message included,
// passes the redactor first, whatever the API answered.
func (a *App) Main(ctx context.Context, args []string) (code int) {
	r, stdout, stderr := a.forRun()
	defer r.signals.close()
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(stderr, "panic: %v\n\n%s", p, debug.Stack())
			code = exitFailure
		}
		stdout.Flush()
		stderr.Flush()
	}()
	cmds, cmd, err := r.prepare(args)
	if err == nil {
		err = r.execute(ctx, cmds, cmd, args)
	}
	if r.jsonOut {
		r.reportJSON(err)
	}
	return r.report(err)
}

// forRun returns the App of one run: a copy of a with the run's own state.
// Its streams are a's through the redactor, which knows the token and the
// API URL's password from the start.
func (a *App) forRun() (r *App, stdout, stderr *lines) {
	run := *a
	r = &run
	if r.Now == nil {
		r.Now = time.Now
	}
	if r.Environ == nil {
		r.Environ = os.Environ
	}
	r.secrets = &redactor{}
	r.secrets.add(a.Getenv(envToken))
	apiURL, _ := r.apiURL()
	r.secrets.addURL(apiURL)
	r.jobStdout, r.jobStderr = a.Stdout, a.Stderr
	stdout, stderr = &lines{r: r.secrets, w: a.Stdout}, &lines{r: r.secrets, w: a.Stderr}
	r.Stdout, r.Stderr = stdout, stderr
	r.log, _ = newLogger(r.Stderr, "")
	r.signals = newSignalHub(a.Signals)
	r.notify = &notifyOnce{}
	return r, stdout, stderr
}

// prepare completes the run's state before the command runs: the logger at
// the level asked for, and whether the command was asked for JSON. It
// returns the commands the run needs and the one it runs (commandsFor).
func (a *App) prepare(args []string) (cmds []*command, cmd *command, err error) {
	log, err := newLogger(a.Stderr, a.Getenv(envLogLevel))
	if err != nil {
		return nil, nil, err
	}
	a.log = log
	cmds, cmd = a.commandsFor(args)
	if cmd != nil {
		// From the args as given, so that a usage error of arrange's is
		// JSON too when asked.
		a.jsonOut = cmd.wantsJSON(args)
	}
	return cmds, cmd, nil
}

// execute runs the command line with cmds, running cmd, as prepare
// returned them. Its error maps to an exit code with exitCode.
func (a *App) execute(ctx context.Context, cmds []*command, cmd *command, args []string) error {
	if cmd == nil || !cmd.ownsSignals {
		// Stopped at the first signal: what the command was doing fails
		// with the signal as its cause (signalled), which exits 128+N.
		var cancel context.CancelFunc
		ctx, cancel = a.cancelOnSignal(ctx)
		defer cancel()
	}
	err := a.dispatch(ctx, cmds, args)
	if err != nil && cmd == nil && a.meantRun(args) {
		// A run that names no command scaler has (scaler rn), or fails
		// on scaler's own flags (scaler --grace 20s run -- JOB), fails a
		// formation dyno's process as run's own bad flag does: said, and
		// notified, in such a dyno (notStarted).
		return a.notStarted(ctx, "", err)
	}
	return err
}

// meantRun reports whether args, which name no command of scaler's first,
// were meant to run a job: run comes among them (after a flag of its
// own), or the first is a misspelling of it.
func (a *App) meantRun(args []string) bool {
	for _, arg := range args[1:] {
		if arg == "--" {
			break
		}
		if arg == "run" {
			return true
		}
	}
	var names []string
	for _, c := range a.commands() {
		names = append(names, c.Names()...)
	}
	return len(args) > 1 && nearest(args[1], names) == "run"
}

// cli builds the urfave/cli application: the one place that knows it.
func (a *App) cli(cmds []*command) *cli.App {
	app := &cli.App{
		Name:      "scaler",
		Usage:     "scale a Heroku app's dyno formation from inside a dyno",
		Version:   versionString(),
		Writer:    a.Stdout,
		ErrWriter: a.Stderr,
		Reader:    a.Stdin,
		// Flags are parsed strictly; a bad one is a usage error, exit 2.
		OnUsageError:              usageError,
		ExitErrHandler:            func(*cli.Context, error) {},
		DisableSliceFlagSeparator: true,
		// `scaler help CMD` is handled below: urfave's help command would
		// send its fish completion into an endless loop.
		HideHelpCommand: true,
		Action: func(c *cli.Context) error {
			switch args := c.Args().Slice(); {
			case len(args) == 0:
				return cli.ShowAppHelp(c)
			case args[0] != "help":
				return unknownCommand(cmds, args[0])
			case len(args) == 1:
				return cli.ShowAppHelp(c)
			case len(args) > 2:
				return scaler.Errorf(scaler.ErrInvalid, "help takes one command: scaler help COMMAND")
			case find(cmds, args) == nil:
				return unknownCommand(cmds, args[1])
			}
			return cli.ShowCommandHelp(c, c.Args().Get(1))
		},
	}
	for _, cmd := range cmds {
		if cmd.OnUsageError == nil { // run says its own (notStarted)
			cmd.OnUsageError = usageError
		}
		app.Commands = append(app.Commands, cmd.Command)
	}
	return app
}

// Exit codes, as the README documents them.
const (
	exitOK       = 0
	exitFailure  = 1 // the API or the runtime failed
	exitUsage    = 2 // usage, configuration or validation error; nothing was sent
	exitAuth     = 3 // authentication or permission refused (401, 403)
	exitNotFound = 4 // app or process type not found
	// exitInterrupted and exitStopped are 128+N for signal N, as shells
	// say: a person's Ctrl-C (SIGINT), SIGTERM.
	exitInterrupted = 130
	exitStopped     = 143
)

// exitCode is the one mapping of errors to exit codes, by type: a signal,
// a job's status, a partial failure, then the domain's errors.
func exitCode(err error) int {
	var (
		sig  signalled
		job  jobExit
		part *partial
	)
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &sig):
		return sig.code()
	case errors.As(err, &job):
		return job.status
	case errors.As(err, &part):
		return exitFailure
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

// jobExit is the end of run: it exits with its job's status (128+N when a
// signal stopped the job), which its log has said.
type jobExit struct{ status int }

func (j jobExit) Error() string { return fmt.Sprintf("the job's exit status %d", j.status) }

// partial is a failure of part of a command's work when the rest was done:
// apply's failure for some of several apps, run's scale-down after its job
// succeeded. It exits 1, unless a signal caused it.
type partial struct{ errs []error }

func (p *partial) Error() string   { return errors.Join(p.errs...).Error() }
func (p *partial) Unwrap() []error { return p.errs }

// reported is the error of a command that has said its failure itself
// (check's report, apply's apps, run's scale-down): Main says nothing more.
// Its exit code is err's.
type reported struct{ err error }

func (r reported) Error() string { return r.err.Error() }
func (r reported) Unwrap() error { return r.err }

// said reports whether err has been said already.
func said(err error) bool {
	return errors.As(err, new(reported)) || errors.As(err, new(jobExit))
}

// report says on stderr why the command failed, with a hint at what to do,
// and returns the exit code. It is the one place that says a command's
// error; sayError the one that says any error.
func (a *App) report(err error) int {
	code := exitCode(err)
	if err == nil || said(err) {
		return code
	}
	a.sayError(err)
	return code
}

// sayError logs err at error level, worded by its exit code ("refused",
// "not found", ...), with a hint at what to do and args before it (the
// app, for one of several).
func (a *App) sayError(err error, args ...any) {
	log := a.log
	if log == nil {
		log, _ = newLogger(a.Stderr, "")
	}
	msg := map[int]string{exitUsage: "usage error", exitAuth: "refused", exitNotFound: "not found", exitInterrupted: "interrupted", exitStopped: "stopped"}[exitCode(err)]
	if msg == "" {
		msg = "failed"
	}
	if h := a.hint(err); h != "" {
		args = append(args, "hint", h)
	}
	// Errors joined together (every bad spec, every bad schedule line) are
	// one line each.
	for _, line := range strings.Split(err.Error(), "\n") {
		log.Error(msg, append(args, "err", line)...)
	}
}

// reportJSON says a failure on stdout, as JSON, for a program that reads a
// command's --json output: it always gets JSON.
func (a *App) reportJSON(err error) {
	if err == nil || said(err) {
		return
	}
	type failure struct {
		Message  string `json:"message"`
		ExitCode int    `json:"exit_code"`
		Hint     string `json:"hint,omitempty"`
	}
	out := struct {
		Error failure `json:"error"`
		// Result is what landed before the command failed, if anything.
		Result any `json:"result,omitempty"`
	}{Error: failure{Message: err.Error(), ExitCode: exitCode(err), Hint: a.hint(err)}}
	if l := (*landed)(nil); errors.As(err, &l) {
		out.Result = l.result
	}
	writeJSON(a.Stdout, out)
}

// hint says what a person can do about an error.
func (a *App) hint(err error) string {
	var (
		ae *platform.APIError
		re *scaler.RestartError
		we *scaler.WaitError
	)
	switch {
	case errors.As(err, new(webhookError)):
		return "the webhook in " + envNotify + " did not take the notification: check its URL, and that its receiver answers within --timeout"
	case errors.As(err, &ae) && ae.ID == "two_factor":
		return "the API asks for a second factor, which an automation token cannot give: use a token from `heroku authorizations:create --scope write` (for a bot account when your account uses SSO)"
	case errors.Is(err, scaler.ErrUnauthorized):
		return "the token in " + envToken + " is wrong, expired or revoked: create one with `heroku authorizations:create --scope write --description scaler`"
	case errors.Is(err, scaler.ErrForbidden):
		return "the token's account may not scale this app: it needs the operate (or manage) permission on the app, and a token with the write scope"
	case errors.Is(err, scaler.ErrRateLimited):
		return "the account's API budget (4500 requests, shared by every token and tool of the account) is spent; it refills at 75 a minute: run again later"
	case errors.As(err, &ae) && ae.Missing == platform.MissingEndpoint:
		if _, from := a.apiURL(); from == envHost {
			return "check " + envHost + ", which is the API's host after https://api. (heroku.com), or its whole URL, without a path (the emulator's http://127.0.0.1:5000)"
		}
		return "check " + envAPIURL + ", which is the API's base URL, without a path (https://api.heroku.com, or the emulator's http://127.0.0.1:5000)"
	case errors.As(err, &ae) && ae.Missing == platform.MissingType:
		return "the app has no such process type now (a deploy may have removed it since it was read): see its process types with `scaler status`"
	case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
		return "check the app's name (-a, " + envApp + ", " + envAppName + "), and that the token's account is a member of the app"
	case errors.As(err, &ae) && (ae.Status == http.StatusRequestHeaderFieldsTooLarge || ae.Status == http.StatusRequestEntityTooLarge):
		return fmt.Sprintf("the API refused the request as too large (%d): the token in %s is %d bytes long, where a Heroku token is about 70: check that it holds a token and nothing else", ae.Status, envToken, len(strings.TrimSpace(a.Getenv(envToken))))
	case errors.Is(err, scaler.ErrRejected):
		return "the platform refused the change, for the reason it gives: Eco and Basic dynos allow one dyno per process type and no other size in the same app; an app must be deployed before it can scale; during a release phase or Preboot, run again once it completes"
	case errors.As(err, &re) && errors.As(err, &we) && errors.Is(err, context.DeadlineExceeded):
		return "the API answered, but a dyno did not come up within --timeout (" + we.Pending + "): a rolling restart restarts a dyno only when the others are up; the next apply in the window goes on once they are: follow them with `scaler status`"
	case errors.As(err, &re) && errors.Is(err, scaler.ErrUncertain):
		return "the dynos may or may not have restarted: see them with `scaler status`; the next apply in the window restarts those that did not"
	case errors.Is(err, scaler.ErrUncertain), errors.Is(err, scaler.ErrConflict):
		return "the formation may or may not have changed: see it with `scaler status`"
	case errors.Is(err, errNotReady):
		return "the dynos may still come up: follow them with `scaler status`"
	case errors.Is(err, context.Canceled):
		return "" // stopped by a signal, which the error says
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, scaler.ErrUnavailable):
		// No answer at all from an API that a variable names: the
		// variable may name none.
		if u, from := a.apiSource(); from != "" && !errors.As(err, &ae) {
			what := "the API's base URL, or the emulator's"
			if from == envHost {
				what = "the API's host after https://api., or its whole URL"
			}
			return fmt.Sprintf("no answer from %s, the API that %s names: check %s (%s), or unset it to reach Heroku's", u, from, from, what)
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return "the API did not answer in time: see https://status.heroku.com; --timeout bounds a command, retries included"
		}
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

// versionString is the version, the commit and the Go version. The version
// and the commit are the build's (the Makefile's -X), or else the build
// info's, which is read only then: reading it parses a table of every
// module, at every run.
func versionString() string {
	v, c := version, commit
	if v == "" || c == "" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			if v == "" {
				v = bi.Main.Version
			}
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" && c == "" {
					c = s.Value[:min(12, len(s.Value))]
				}
			}
		}
	}
	if v == "" || v == "(devel)" {
		v = "dev"
	}
	if c == "" {
		c = "unknown"
	}
	return fmt.Sprintf("%s (commit %s, %s)", v, c, runtime.Version())
}

func userAgent() string {
	return "scaler/" + strings.Fields(versionString())[0]
}
