package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/scalerdev/scaler/platform"
	"github.com/scalerdev/scaler/scaler"
	"github.com/scalerdev/scaler/schedules"
)

// lowBudget is the rate budget under which check warns.
const lowBudget = 100

func (a *App) checkCommand() *cli.Command {
	return &cli.Command{
		Name:  "check",
		Usage: "preflight: say, line by line, whether scaler will work here; never writes",
		Description: `Checks the token (present, accepted, with a scope that can scale), the API
URL, the target apps and their formations, the schedule (it parses, and every
process type it names exists), where it runs (DYNO, HEROKU_APP_NAME) and the
account's API budget. Exits non-zero when anything would stop scaler from
working, so that a release phase (Procfile: release: bin/scaler check) fails
the deploy instead of the first night. It sends only reads.

Examples:
   $ scaler check
   $ scaler check --schedule schedule.txt --json`,
		Flags:  []cli.Flag{appFlag(), scheduleFlag(), timeoutFlag(defaultTimeout), jsonFlag()},
		Action: a.checkAction,
	}
}

// finding is one line of check's report.
type finding struct {
	Check  string `json:"check"`
	Status string `json:"status"` // ok, warn, fail or skip
	Detail string `json:"detail"`
	err    error  // for a failure: what it maps to as an exit code
}

type findings []finding

func (f *findings) ok(check, format string, args ...any) {
	*f = append(*f, finding{Check: check, Status: "ok", Detail: fmt.Sprintf(format, args...)})
}

func (f *findings) warn(check, format string, args ...any) {
	*f = append(*f, finding{Check: check, Status: "warn", Detail: fmt.Sprintf(format, args...)})
}

func (f *findings) skip(check, why string) {
	*f = append(*f, finding{Check: check, Status: "skip", Detail: why})
}

// failed reports whether any check has failed.
func (f *findings) failed() bool {
	return slices.ContainsFunc(*f, func(x finding) bool { return x.err != nil })
}

func (f *findings) fail(check string, err error) {
	*f = append(*f, finding{Check: check, Status: "fail", Detail: err.Error(), err: err})
}

func (a *App) checkAction(c *cli.Context) error {
	if c.Args().Present() {
		return scaler.Errorf(scaler.ErrInvalid, "check takes no arguments, got %q", c.Args().First())
	}
	ctx, cancel, err := deadline(c)
	if err != nil {
		return err
	}
	defer cancel()
	var f findings

	// Where it runs.
	dyno := a.Getenv(envDyno)
	switch {
	case dyno == "":
		f.ok("dyno", "not in a dyno (DYNO is not set)")
	case strings.HasPrefix(dyno, scaler.ReleaseType+"."):
		f.ok("dyno", "%s: the release phase", dyno)
	default:
		if typ, formation := scaler.DynoType(dyno); formation {
			f.ok("dyno", "%s: a dyno of process type %s, which scaler run and scaler done scale to 0", dyno, typ)
		} else {
			f.ok("dyno", "%s: a one-off dyno", dyno)
		}
	}
	if name := a.Getenv(envAppName); dyno != "" && name != "" {
		f.ok("metadata", "%s=%s (runtime-dyno-metadata)", envAppName, name)
	} else if dyno != "" {
		f.warn("metadata", "%s is not set: `heroku labs:enable runtime-dyno-metadata` sets it, so that scaler knows its app without %s", envAppName, envApp)
	}

	// The schedule, and the apps it and --app name.
	sched, source, found, err := a.loadSchedule(c)
	var apps []string
	needDefault := true
	switch {
	case err != nil:
		f.fail("schedule", err)
	case !found:
		f.ok("schedule", "none (scaler apply needs --schedule FILE or %s)", envSchedule)
	default:
		f.ok("schedule", "%d rules from %s", len(sched.Rules), source)
		needDefault = slices.Contains(sched.Apps(), "")
		for _, app := range sched.Apps() {
			if app != "" {
				apps = append(apps, app)
			}
		}
	}
	defaultApp, appErr := a.resolveApp(c)
	switch {
	case appErr == nil:
		apps = append([]string{defaultApp}, slices.DeleteFunc(apps, func(s string) bool { return s == defaultApp })...)
	case needDefault:
		f.fail("app", appErr)
	}

	// Where notifications go: checked, never tried (scaler notify --test
	// sends one).
	if n, err := a.notifier(); err != nil {
		f.fail("notify", err)
	} else if n == nil {
		f.ok("notify", "%s is not set: what needs a person is only logged", envNotify)
	} else {
		f.ok("notify", "%s is set, to %s (not tried: scaler notify --test sends a test message)", envNotify, n)
	}

	// The token and the API URL; then, only when the configuration is
	// sound, the API: a check that fails before sending exits 2, "nothing
	// was sent", as every command does.
	client, err := a.client()
	if err != nil {
		f.fail("token", err)
	} else {
		f.ok("token", "%s is set", envToken)
	}
	if f.failed() {
		f.skip("api", "not tried: mend the configuration above first")
		return a.printFindings(c.Bool("json"), f)
	}
	acc, err := client.Account(ctx)
	if err != nil {
		f.fail("token", fmt.Errorf("GET /account: %w", err))
		f.skip("api", "the token was not accepted")
		return a.printFindings(c.Bool("json"), f)
	}
	f.ok("account", "token accepted, for %s", acc.Email)
	switch scopes := strings.Join(acc.Scopes, " "); {
	case len(acc.Scopes) == 0:
		f.warn("scope", "the API did not say the token's scope; scaling needs global or write")
	case acc.CanWrite():
		f.ok("scope", "%s: can scale", scopes)
	default:
		f.fail("scope", scaler.Errorf(scaler.ErrForbidden, "%s cannot scale: create a token with `heroku authorizations:create --scope write --description scaler`", scopes))
	}

	for _, app := range apps {
		a.checkApp(ctx, &f, client, app, defaultApp, sched)
	}

	switch left, err := client.RateLimitRemaining(ctx); {
	case err != nil:
		f.warn("rate limit", "cannot read it: %v", err)
	case left < lowBudget:
		f.warn("rate limit", "only %d requests left in the account's budget (it refills at 75 a minute)", left)
	default:
		f.ok("rate limit", "%d requests left in the account's budget", left)
	}
	return a.printFindings(c.Bool("json"), f)
}

// checkApp checks that an app exists, that its formation is readable, and
// that it has every process type the schedule names for it.
func (a *App) checkApp(ctx context.Context, f *findings, client *platform.Client, app, defaultApp string, sched *schedules.Schedule) {
	if err := client.App(ctx, app); err != nil {
		f.fail("app", err)
		return
	}
	read, err := client.Formation(ctx, app)
	form := read.Formation
	if err != nil {
		f.fail("app", fmt.Errorf("read formation of %s: %w", app, err))
		return
	}
	var have []string
	for _, p := range sortedFormation(form) {
		have = append(have, fmt.Sprintf("%s=%d", p.Type, p.Quantity))
	}
	f.ok("app", "%s: found; formation %s", app, strings.Join(have, ", "))
	if sched == nil {
		return
	}
	named := sched.Types(app)
	if app == defaultApp {
		named = append(named, sched.Types("")...)
	}
	var missing []string
	for _, typ := range named {
		if _, ok := form.Find(typ); !ok && !slices.Contains(missing, typ) {
			missing = append(missing, typ)
		}
	}
	if len(missing) > 0 {
		f.fail("schedule", scaler.Errorf(scaler.ErrNotFound, "app %s has no process type %s, which the schedule names (it has: %s)",
			app, strings.Join(missing, ", "), strings.Join(form.Types(), ", ")))
	} else if len(named) > 0 {
		f.ok("schedule", "app %s has every process type the schedule names (%s)", app, strings.Join(named, ", "))
	}
}

type checkJSON struct {
	OK     bool      `json:"ok"`
	Checks []finding `json:"checks"`
}

// printFindings prints the report, and returns the error of the first
// failure, for its exit code (already said: nothing more is logged).
func (a *App) printFindings(asJSON bool, f findings) error {
	var first error
	for _, x := range f {
		if x.err != nil && first == nil {
			first = x.err
		}
	}
	if asJSON {
		if err := writeJSON(a.Stdout, checkJSON{OK: first == nil, Checks: f}); err != nil {
			return err
		}
	} else {
		var b strings.Builder
		for _, x := range f {
			for i, line := range strings.Split(x.Detail, "\n") {
				if i == 0 {
					fmt.Fprintf(&b, "%-5s %-10s %s\n", x.Status, x.Check, line)
				} else {
					fmt.Fprintf(&b, "%-5s %-10s %s\n", "", "", line)
				}
			}
		}
		if first == nil {
			b.WriteString("check: scaler will work here\n")
		} else {
			b.WriteString("check: scaler would not work here: see the fail lines\n")
		}
		if _, err := fmt.Fprint(a.Stdout, b.String()); err != nil {
			return err
		}
	}
	if first == nil {
		return nil
	}
	return &exitStatus{code: exitCode(first)}
}
