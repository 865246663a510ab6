package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scalerdev/scaler/platform"
	"github.com/scalerdev/scaler/scaler"
	"github.com/scalerdev/scaler/schedules"
)

// lowBudget is the rate budget under which check warns.
const lowBudget = 100

// dstDays is how far ahead check looks for the clock changes that keep a
// window from happening as written: a year, leap or not.
const dstDays = 366

// checkOptions is what check is asked.
type checkOptions struct {
	App, Schedule string
	// Procfile is the app's Procfile; ProcfileSet says that --procfile
	// named it, so that it must be there.
	Procfile    string
	ProcfileSet bool
	JSON        bool
	Timeout     time.Duration
	Args        []string
}

func (a *App) newCheckCommand(runF func(context.Context, *checkOptions) error) *command {
	if runF == nil {
		runF = a.runCheck
	}
	return &command{Command: &cli.Command{
		Name:  "check",
		Usage: "preflight: say, line by line, whether scaler will work here; never writes",
		Description: `Checks where it runs (DYNO, HEROKU_APP_NAME), the schedule (it parses,
and what the clock changes of the next 366 days do to its windows: one that
a change empties or shortens is a warning; what each restart window buys,
and the job windows a restart may cut), the target apps, the Procfile
(--procfile, default ./Procfile, as the slug has it; none is fine): each
line that runs scaler, with the command's own flags and checks, as a dyno of
its type would run it, and the process types of the schedule it does not
declare; the notification webhook (set and well-formed, not tried), the
token and the API URL; then, when all that is sound, the API: the token is
accepted, with a scope that can scale, each app and its formation, every
process type the schedule names, and the account's API budget. Exits
non-zero when anything would stop scaler from working, so that a release
phase (Procfile: release: bin/scaler check) fails the deploy instead of the
first night: 2 when the configuration is wrong (nothing is sent then),
otherwise the code of the first failing line. It sends only reads.

Examples:
   $ scaler check
   $ scaler check --schedule schedule.txt --json
   $ scaler check --procfile ../my-app/Procfile`,
		Flags: []cli.Flag{appFlag(), scheduleFlag(), timeoutFlag(defaultTimeout), jsonFlag(),
			&cli.StringFlag{Name: flagProcfile, Value: defaultProcfile, TakesFile: true, Usage: "the app's Procfile, whose scaler lines are checked (none is fine, unless named)"}},
		Action: func(c *cli.Context) error {
			return runF(c.Context, &checkOptions{App: c.String(flagApp), Schedule: c.String(flagSchedule),
				Procfile: c.String(flagProcfile), ProcfileSet: c.IsSet(flagProcfile),
				JSON: c.Bool(flagJSON), Timeout: c.Duration(flagTimeout), Args: c.Args().Slice()})
		},
	}}
}

// checkAPI is what check needs of the Platform API: reads only.
type checkAPI interface {
	Account(context.Context) (platform.Account, error)
	App(context.Context, string) error
	Formation(context.Context, string) (scaler.Read, error)
	RateLimitRemaining(context.Context) (int, error)
}

// checking is what the checks learn as they go, and what they report.
type checking struct {
	opts       *checkOptions
	schedule   *schedules.Schedule // nil: none, or a bad one
	apps       []string            // the apps to check, the default app first
	defaultApp string
	api        checkAPI // nil until the configuration is sound
	apiURL     *apiURLJSON
	f          findings
}

// The checks, in order: first the configuration, which sends nothing, then
// the API, which the last of the configuration's gives. (Functions, not
// variables: the Procfile's check builds commands, check among them.)
func configChecks() []func(ctx context.Context, a *App, ch *checking) {
	return []func(ctx context.Context, a *App, ch *checking){checkDyno, checkSchedule, checkDST, checkRestarts, checkApps, checkProcfile, checkNotify, checkToken}
}

func apiChecks() []func(ctx context.Context, a *App, ch *checking) bool {
	return []func(ctx context.Context, a *App, ch *checking) bool{checkAccount, checkAppsExist, checkBudget}
}

// validate checks what check is asked. runCheck calls it first, and check
// itself on each Procfile line that runs scaler check.
func (o *checkOptions) validate(*App) error {
	if len(o.Args) > 0 {
		return scaler.Errorf(scaler.ErrInvalid, "check takes no arguments, got %q", o.Args[0])
	}
	return nil
}

func (a *App) runCheck(ctx context.Context, opts *checkOptions) error {
	if err := opts.validate(a); err != nil {
		return err
	}
	ctx, cancel, err := deadline(ctx, opts.Timeout)
	if err != nil {
		return err
	}
	defer cancel()
	ch := &checking{opts: opts}
	for _, check := range configChecks() {
		check(ctx, a, ch)
	}
	if ch.f.failed() {
		// Exit 2 says that nothing was sent: the configuration is
		// reported whole, and the API is not tried.
		ch.f.skip("api", "not tried: mend the configuration above first")
	} else {
		for _, check := range apiChecks() {
			if !check(ctx, a, ch) {
				break
			}
		}
	}
	return a.printFindings(opts.JSON, ch)
}

// checkDyno says where scaler runs.
func checkDyno(_ context.Context, a *App, ch *checking) {
	dyno := a.Getenv(envDyno)
	switch typ, formation := scaler.DynoType(dyno); {
	case dyno == "":
		ch.f.ok("dyno", "not in a dyno (DYNO is not set)")
	case strings.HasPrefix(dyno, scaler.ReleaseType+"."):
		ch.f.ok("dyno", "%s: the release phase", dyno)
	case formation:
		ch.f.ok("dyno", "%s: a dyno of process type %s, which scaler run and scaler done scale to 0", dyno, typ)
	default:
		ch.f.ok("dyno", "%s: a one-off dyno", dyno)
	}
	switch name := a.Getenv(envAppName); {
	case dyno != "" && name != "":
		ch.f.ok("metadata", "%s=%s (runtime-dyno-metadata)", envAppName, name)
	case dyno != "":
		ch.f.warn("metadata", "%s is not set: `heroku labs:enable runtime-dyno-metadata` sets it, so that scaler knows its app without %s", envAppName, envApp)
	}
}

// checkSchedule parses the schedule, if there is one.
func checkSchedule(_ context.Context, a *App, ch *checking) {
	sched, source, found, err := a.loadSchedule(ch.opts.Schedule)
	switch {
	case err != nil:
		ch.f.fail("schedule", err)
	case !found:
		ch.f.ok("schedule", "none (scaler apply needs --schedule FILE or %s)", envSchedule)
	default:
		ch.schedule = sched
		ch.f.ok("schedule", "%s from %s", scaler.Plural(len(sched.Rules), "rule"), source)
	}
}

// checkDST says what the clock changes of the next dstDays days do to the
// schedule's windows: one that a change empties or shortens is a warning
// (the schedule asks for what the wall clock cannot give that day), a
// once window that it moves is said; neither stops scaler from working.
func checkDST(_ context.Context, a *App, ch *checking) {
	if ch.schedule == nil {
		return
	}
	from := a.Now()
	to := from.AddDate(0, 0, dstDays)
	period := fmt.Sprintf("the next %d days (to %s)", dstDays, to.UTC().Format(time.DateOnly))
	changes, effects := ch.schedule.Transitions(from, to), ch.schedule.DSTEffects(from, to)
	switch {
	case len(changes) == 0:
		ch.f.ok("dst", "no clock change in %s in the schedule's time zones", period)
	case len(effects) == 0:
		ch.f.ok("dst", "%s in %s: every window happens as written", scaler.Plural(len(changes), "clock change"), period)
	default:
		ch.f.ok("dst", "%s in %s; what they do to the windows:", scaler.Plural(len(changes), "clock change"), period)
	}
	for _, e := range effects {
		if e.Warning {
			ch.f.warn("dst", "%s", e.Message)
		} else {
			ch.f.ok("dst", "%s", e.Message)
		}
	}
}

// restartWeek is how far ahead check looks for job windows that a restart
// may cut: the rules repeat weekly, and a day more sees a window that
// crosses the week's end.
const restartWeek = 8 * 24 * time.Hour

// checkRestarts says what each restart rule buys (its quiet period), and
// warns of a restart window that buys none (it lasts a day, or no run of
// Scheduler falls in it, every 10 minutes, the most it offers), and of the
// job windows of other types that a restart may cut in the next week; none
// stops scaler from working.
func checkRestarts(_ context.Context, a *App, ch *checking) {
	if ch.schedule == nil {
		return
	}
	from, to := a.Now(), a.Now().Add(restartWeek)
	rep := ch.schedule.Report(from, to)
	rep.SetScheduler(ch.schedule.Scheduler(from, to, schedules.Every10Minutes))
	for _, q := range rep.Quiet {
		if q.Warning {
			ch.f.warn("restart", "%s", q.Message)
			continue
		}
		ch.f.ok("restart", "line %d: %s", q.Line, q.Message)
	}
	for _, c := range rep.RestartConflicts {
		ch.f.warn("restart", "%s", c.Message)
	}
}

// checkApps finds the apps to check: the default app (needed unless the
// schedule names every app it scales), and the schedule's.
func checkApps(_ context.Context, a *App, ch *checking) {
	needDefault := true
	if ch.schedule != nil {
		needDefault = slices.Contains(ch.schedule.Apps(), "")
		for _, app := range ch.schedule.Apps() {
			if app != "" {
				ch.apps = append(ch.apps, app)
			}
		}
	}
	name, err := a.resolveApp(ch.opts.App)
	switch {
	case err == nil:
		ch.defaultApp = name
		ch.apps = append([]string{name}, slices.DeleteFunc(ch.apps, func(s string) bool { return s == name })...)
	case needDefault || ch.opts.App != "":
		// An app the schedule does not need is still checked when asked.
		ch.f.fail("app", err)
	}
}

// checkNotify says where notifications go: never tried (scaler notify
// --test sends one).
func checkNotify(_ context.Context, a *App, ch *checking) {
	switch n, err := a.checkedNotifier(); {
	case err != nil:
		ch.f.fail("notify", err)
	case n == nil:
		ch.f.ok("notify", "%s is not set: what needs a person is only logged", envNotify)
	default:
		ch.f.ok("notify", "%s is set, to %s (not tried: scaler notify --test sends a test message)", envNotify, n)
	}
}

// checkToken checks the token and the API URL, without sending them, and
// says which API is checked, and where its URL comes from.
func checkToken(_ context.Context, a *App, ch *checking) {
	client, err := a.client(scopeWrite)
	if err != nil {
		ch.f.fail("token", err)
		return
	}
	ch.api = client
	ch.f.ok("token", "%s is set", envToken)
	u, from := a.apiSource()
	ch.apiURL = &apiURLJSON{URL: u, From: cmp.Or(from, "default")}
	switch from {
	case "":
		ch.f.ok("api", "%s, the default (neither %s nor %s is set)", u, envAPIURL, envHost)
	case envHost:
		ch.f.ok("api", "%s, from %s=%s", u, envHost, strings.TrimSpace(a.Getenv(envHost)))
	default:
		ch.f.ok("api", "%s, from %s", u, from)
	}
}

// apiURLJSON is the API that check checks, and where its URL comes from:
// HEROKU_API_URL, HEROKU_HOST or default.
type apiURLJSON struct {
	URL  string `json:"url"`
	From string `json:"from"`
}

// checkAccount sends the token: it is accepted, with a scope that can
// scale. The other API checks need it.
func checkAccount(ctx context.Context, a *App, ch *checking) bool {
	acc, err := ch.api.Account(ctx)
	switch {
	case failing(err) || ctx.Err() != nil:
		ch.f.fail("api", about("GET /account", err))
		ch.f.skip("token", "not tried: the API could not be reached")
		return false
	case errors.Is(err, scaler.ErrUnauthorized) || errors.Is(err, scaler.ErrForbidden):
		ch.f.fail("token", about("GET /account", err))
		ch.f.skip("api", "the token was not accepted")
		return false
	case err != nil:
		// Not a refusal of the token: an API URL that is not the Platform
		// API's (a path after the host), or an API that misbehaves.
		ch.f.fail("api", about("GET /account", err))
		ch.f.skip("token", "not tried: the API did not answer as the Platform API does")
		return false
	}
	ch.f.ok("account", "token accepted, for %s", acc.Email)
	switch scopes := strings.Join(acc.Scopes, " "); {
	case len(acc.Scopes) == 0:
		ch.f.warn("scope", "the API did not say the token's scope; scaling needs global or write")
	case slices.Contains(acc.Scopes, "global"):
		ch.f.warn("scope", "global: can scale, and can do everything your account can: create a token that can do less, `heroku authorizations:create --scope write --description scaler` (see docs/deploy.md, \"The token\")")
	case acc.CanWrite():
		ch.f.ok("scope", "%s: can scale", scopes)
	default:
		ch.f.fail("scope", scaler.Errorf(scaler.ErrForbidden, "%s cannot scale: create a token with `heroku authorizations:create --scope write --description scaler`", scopes))
	}
	return true
}

// checkAppsExist checks each app: it exists, its formation reads, and it
// has every process type the schedule names for it.
func checkAppsExist(ctx context.Context, a *App, ch *checking) bool {
	for _, app := range ch.apps {
		if err := ch.api.App(ctx, app); err != nil {
			ch.f.fail("app", err)
			continue
		}
		read, err := ch.api.Formation(ctx, app)
		if err != nil {
			ch.f.fail("app", fmt.Errorf("read formation of %s: %w", app, err))
			continue
		}
		form := read.Formation
		var have []string
		for _, p := range form.Sorted() {
			have = append(have, fmt.Sprintf("%s=%d", p.Type, p.Quantity))
		}
		ch.f.ok("app", "%s: found; formation %s", app, strings.Join(have, ", "))
		if ch.schedule == nil {
			continue
		}
		named := ch.schedule.Types(app)
		if app == ch.defaultApp {
			named = append(named, ch.schedule.Types("")...)
		}
		var missing []string
		for _, typ := range named {
			if _, ok := form.Find(typ); !ok && !slices.Contains(missing, typ) {
				missing = append(missing, typ)
			}
		}
		switch {
		case len(missing) > 0:
			ch.f.fail("schedule", scaler.Errorf(scaler.ErrNotFound, "app %s has no %s, which the schedule names (it has: %s)",
				app, processTypes(missing), strings.Join(form.Types(), ", ")))
		case len(named) > 0:
			ch.f.ok("schedule", "app %s has every process type the schedule names (%s)", app, strings.Join(named, ", "))
		}
	}
	return true
}

// checkBudget reads what is left of the account's API budget.
func checkBudget(ctx context.Context, a *App, ch *checking) bool {
	switch left, err := ch.api.RateLimitRemaining(ctx); {
	case err != nil:
		ch.f.warn("rate limit", "cannot read it: %v", err)
	case left < lowBudget:
		ch.f.warn("rate limit", "only %s left in the account's budget (it refills at 75 a minute)", scaler.Plural(left, "request"))
	default:
		ch.f.ok("rate limit", "%s left in the account's budget", scaler.Plural(left, "request"))
	}
	return true
}

// about says that err came of op (GET /account), unless it says so itself.
func about(op string, err error) error {
	if strings.Contains(err.Error(), op) {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}

// finding is one line of check's report.
type finding struct {
	Check  string `json:"check"`
	Status string `json:"status"` // ok, warn, fail or skip
	Detail string `json:"detail"`
	Hint   string `json:"hint,omitempty"` // for a failure: what a person can do
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

func (f *findings) fail(check string, err error) {
	f.failHint(check, err, "")
}

// failHint is fail with what a person can do, when the error's own hint
// (App.hint) would not say it.
func (f *findings) failHint(check string, err error, hint string) {
	*f = append(*f, finding{Check: check, Status: "fail", Detail: err.Error(), Hint: hint, err: err})
}

// failed reports whether any check has failed.
func (f *findings) failed() bool {
	return slices.ContainsFunc(*f, func(x finding) bool { return x.err != nil })
}

type checkJSON struct {
	OK bool `json:"ok"`
	// API is the API checked, when its URL and the token are sound.
	API    *apiURLJSON `json:"api,omitempty"`
	Checks []finding   `json:"checks"`
}

// printFindings prints the report, and returns, when a check failed, the
// first failure, reported: the report has said it all.
func (a *App) printFindings(asJSON bool, ch *checking) error {
	f := ch.f
	var first error
	for i, x := range f {
		if x.err != nil && first == nil {
			first = x.err
		}
		if x.err != nil && x.Hint == "" {
			f[i].Hint = a.hint(x.err)
		}
	}
	if asJSON {
		if err := writeJSON(a.Stdout, checkJSON{OK: first == nil, API: ch.apiURL, Checks: f}); err != nil {
			return err
		}
	} else {
		var b strings.Builder
		for _, x := range f {
			lines := strings.Split(x.Detail, "\n")
			if x.Hint != "" {
				lines = append(lines, "hint: "+x.Hint)
			}
			for i, line := range lines {
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
	return reported{first}
}
