package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scalerdev/scaler/platform/emulator"
	"github.com/scalerdev/scaler/platform/webhook"
	"github.com/scalerdev/scaler/scaler"
	"github.com/scalerdev/scaler/schedules"
)

const envSchedule = "SCALER_SCHEDULE"

// loadSchedule reads and parses the schedule from path, else from
// SCALER_SCHEDULE. found is false when neither is given. Every error of the
// schedule is one line, "SOURCE:LINE:COLUMN: message".
func (a *App) loadSchedule(path string) (s *schedules.Schedule, source string, found bool, err error) {
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, path, true, scaler.Errorf(scaler.ErrInvalid, "read the schedule: %v", err)
		}
		s, err = schedules.Parse(string(b))
		return s, path, true, sourced(path, err)
	}
	if text := a.Getenv(envSchedule); strings.TrimSpace(text) != "" {
		s, err = schedules.ParseEnv(text)
		return s, envSchedule, true, sourced(envSchedule, err)
	}
	return nil, "", false, nil
}

// sourced names the schedule's source in front of each of its errors, as
// compilers do, and says which word an unknown one was likely meant as.
func sourced(source string, err error) error {
	var list schedules.ErrorList
	if !errors.As(err, &list) {
		return err
	}
	lines := make([]error, len(list))
	for i, e := range list {
		lines[i] = scaler.Errorf(scaler.ErrInvalid, "%s:%w", source, e)
	}
	return meant(errors.Join(lines...))
}

// The flags of apply, beyond the shared ones.
const (
	flagAt          = "at"
	flagConcurrency = "concurrency"
	flagEnforce     = "enforce"
)

// applyOptions is what apply is asked.
type applyOptions struct {
	App, Schedule, At string
	DryRun, JSON      bool
	Enforce           bool
	Concurrency       int
	Every, Timeout    time.Duration
	Args              []string
}

func (a *App) newApplyCommand(runF func(context.Context, *applyOptions) error) *command {
	if runF == nil {
		runF = a.runApply
	}
	return &command{Command: &cli.Command{
		Name:  "apply",
		Usage: "make the formation what the schedule says it should be now: quantities and sizes, once windows' jobs, restart windows' restarts",
		Description: `Reads each app's formation, computes from the schedule the formation in
force now (or at --at), and sends at most one batch update per app, only for
the process types that differ. A type the schedule does not name, or names
but not now, is not touched. A type a person changed since its rule came
into force is kept as it is until the next edge (--enforce converges it). A
once window starts its job at most once, and apply says where each window
stands. A restart window restarts its type's dynos at most once per
occurrence, each that started before it opened, by id (none when they all
started since: a restart, a deploy); a type at 0 is left alone. Run it from Heroku Scheduler every 10 minutes: a
missed run is healed by the next, and a repeated run changes nothing.

Windows, edges and kept changes are judged by the platform's clock (the Date
of its answers), which stamps the formation: now is the dyno's clock moved
onto it, and --at names an instant of it. A dyno's clock more than 30s off,
or an --at that far from now, is said once.

Examples:
   $ scaler apply
   $ scaler apply --schedule schedule.txt --dry-run
   $ scaler apply --at 2026-12-24T09:00:00+01:00 --json`,
		Flags: []cli.Flag{
			appFlag(),
			scheduleFlag(),
			&cli.StringFlag{Name: flagAt, Usage: "apply as of this instant (RFC 3339) of the platform's clock, instead of now"},
			&cli.BoolFlag{Name: flagDryRun, Usage: "print the plan and send no write"},
			&cli.IntFlag{Name: flagConcurrency, Value: 4, Usage: "apps handled at once"},
			&cli.BoolFlag{Name: flagEnforce, Usage: "converge every type to its rule, even one a person changed since the rule came into force"},
			&cli.DurationFlag{Name: flagEvery, Value: 10 * time.Minute, Usage: "how often Heroku Scheduler runs apply: an edge met that late is reported; a once window that closed without its job, and a kept change a whole number of days old, are said by the one apply whose interval holds the instant"},
			timeoutFlag(defaultTimeout),
			jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			return runF(c.Context, &applyOptions{
				App: c.String(flagApp), Schedule: c.String(flagSchedule), At: c.String(flagAt),
				DryRun: c.Bool(flagDryRun), JSON: c.Bool(flagJSON), Enforce: c.Bool(flagEnforce),
				Concurrency: c.Int(flagConcurrency), Every: c.Duration(flagEvery), Timeout: c.Duration(flagTimeout),
				Args: c.Args().Slice(),
			})
		},
	}}
}

// validate checks what apply is asked before anything is sent (inputs).
// scaler check calls it on each Procfile line that runs scaler apply.
func (o *applyOptions) validate(a *App) error {
	_, _, err := o.inputs(a)
	return err
}

// inputs returns the schedule and the instant apply is asked to apply,
// after checking every option. runApply calls it first.
func (o *applyOptions) inputs(a *App) (*schedules.Schedule, time.Time, error) {
	if len(o.Args) > 0 {
		return nil, time.Time{}, scaler.Errorf(scaler.ErrInvalid, "apply takes no arguments, got %q", o.Args[0])
	}
	sched, _, found, err := a.loadSchedule(o.Schedule)
	if err != nil {
		return nil, time.Time{}, err
	}
	if !found {
		return nil, time.Time{}, scaler.Errorf(scaler.ErrInvalid, "no schedule: pass --schedule FILE or set %s", envSchedule)
	}
	at, err := a.instant(o.At)
	if err != nil {
		return nil, time.Time{}, err
	}
	if o.Concurrency < 1 || o.Concurrency > 64 {
		return nil, time.Time{}, scaler.Errorf(scaler.ErrInvalid, "--concurrency %d: want 1 to 64", o.Concurrency)
	}
	if o.Every <= 0 {
		return nil, time.Time{}, scaler.Errorf(scaler.ErrInvalid, "--every %s: want the interval of the Scheduler job that runs apply, such as 10m", o.Every)
	}
	return sched, at, nil
}

func (a *App) runApply(ctx context.Context, opts *applyOptions) error {
	sched, at, err := opts.inputs(a)
	if err != nil {
		return err
	}
	fleet, err := a.fleet(opts.App, sched)
	if err != nil {
		return err
	}
	ctx, cancel, err := deadline(ctx, opts.Timeout)
	if err != nil {
		return err
	}
	defer cancel()
	client, err := a.client(scopeWrite)
	if err != nil {
		return err
	}
	notifier := a.notifier()
	svc := a.service(client)

	clock := scaler.Clock{At: at, Began: a.Now()}
	results := svc.ApplyAll(ctx, fleet.Apps(), fleet, scaler.ApplyOptions{Clock: clock, Enforce: opts.Enforce, Concurrency: opts.Concurrency, DryRun: opts.DryRun, Every: opts.Every})
	a.sayClock(clock, results)
	reviews := make([]scaler.AppReview, len(results))
	var events []scaler.Event
	for i, r := range results {
		if err := r.Failure(); err != nil {
			events = append(events, scaler.Event{Kind: scaler.KindApplyFailed, App: r.App, ExitCode: exitCode(err), Detail: err.Error()})
		}
		reviews[i] = scaler.Review(r, fleet, opts.Every)
		a.logReview(reviews[i])
		events = append(events, reviews[i].Events()...)
	}
	if !opts.DryRun {
		a.notifyAll(ctx, notifier, events)
	}
	if err := a.printApply(opts.JSON, runInstant(clock, results), results, reviews, opts.DryRun); err != nil {
		return err
	}
	var failed []scaler.AppResult
	for _, r := range results {
		if r.Failure() != nil {
			failed = append(failed, r)
		}
	}
	switch {
	case len(failed) == 0:
		return nil
	case len(results) == 1 && !opts.JSON:
		return failed[0].Failure() // one app: its error, and its exit code
	}
	for _, r := range failed {
		// Every app's failure, each once, naming its app (the JSON
		// result has said it too, as the app's error).
		a.sayError(r.Failure(), "app", r.App)
	}
	if len(results) == 1 {
		return reported{failed[0].Failure()}
	}
	errs := make([]error, len(failed))
	for i, r := range failed {
		errs[i] = fmt.Errorf("%s: %w", r.App, r.Failure())
	}
	return reported{&partial{errs}}
}

// instant reads --at: the zero time when it is not given (now).
func (a *App) instant(at string) (time.Time, error) {
	if at == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, at)
	if err != nil {
		return time.Time{}, scaler.Errorf(scaler.ErrInvalid, "--at %q: want an RFC 3339 instant such as 2026-12-24T09:00:00+01:00", at)
	}
	return t, nil
}

// fleet names the schedule's default app: the app of --app, HEROKU_APP or
// HEROKU_APP_NAME, needed only when rules have no `app` line.
func (a *App) fleet(flagApp string, s *schedules.Schedule) (*schedules.Fleet, error) {
	name := ""
	if slices.Contains(s.Apps(), "") {
		var err error
		if name, err = a.resolveApp(flagApp); err != nil {
			return nil, err
		}
	}
	return s.Fleet(name)
}

// runInstant is the instant a run of apply decided for, on the platform's
// clock: --at, or that of its first app read (the others' are within a
// second of it, unless an app waited past an edge: see
// scaler.Service.ApplyAll), or the dyno's clock when no read succeeded.
func runInstant(c scaler.Clock, results []scaler.AppResult) time.Time {
	if !c.At.IsZero() {
		return c.At
	}
	for _, r := range results {
		if !r.At.IsZero() {
			return r.At
		}
	}
	return c.Began
}

// sayClock warns, once per run, when the instant apply decides for is more
// than scaler.MaxSkew from the platform's clock: the dyno's clock is off
// (apply decides by the platform's all the same), or --at names another
// instant than now (a what-if). Under the emulator, whose dynos run apply
// --at "$SCALER_EMULATOR_NOW", --at is the platform's clock at the dyno's
// start, which a fast emulated clock leaves behind: not worth a warning.
func (a *App) sayClock(c scaler.Clock, results []scaler.AppResult) {
	if emulated, err := time.Parse(time.RFC3339, a.Getenv(emulator.EnvNow)); err == nil && c.At.Equal(emulated) {
		return
	}
	for _, r := range results {
		skew := c.Skew(r.Read)
		if skew.Abs() <= scaler.MaxSkew {
			continue
		}
		platform := r.Read.At.UTC().Format(time.RFC3339)
		if !c.At.IsZero() {
			a.log.Warn("not now", "at", c.At.UTC().Format(time.RFC3339), "platform_clock", platform, "app", r.App,
				"hint", "--at applies the schedule as of another instant than the platform's now: its windows, edges and kept changes are judged against the formation and dynos as they are now, so that a once window may start its job again and a restart window restart dynos again; add --dry-run for a what-if")
			return
		}
		a.log.Warn("clock skew", "dyno_clock", r.Read.Local.UTC().Format(time.RFC3339), "platform_clock", platform, "app", r.App,
			"hint", fmt.Sprintf("the dyno's clock is about %s %s the platform's: scaler decides by the platform's (the Date of its answers), and needs nothing done", skew.Abs().Round(time.Second), map[bool]string{true: "ahead of", false: "behind"}[skew > 0]))
		return
	}
}

// logReview logs what a person may want to know of an app's apply: each
// change kept, each edge healed late, each window missed, and where each
// job's window stands.
func (a *App) logReview(rev scaler.AppReview) {
	for _, e := range rev.Edges {
		w := e.Want
		if e.Kept != nil {
			a.log.Info("change kept", "app", rev.App, "type", w.Type, "is", fmt.Sprintf("%d:%s", e.Kept.Quantity, e.Kept.Size), "schedule", w.Target(),
				"changed", stamp(e.Kept.UpdatedAt), "until", stamp(w.Until))
		}
		if p := e.Undone; p != nil {
			did := "set it back"
			if rev.DryRun {
				did = "would set it back"
			}
			a.log.Info("change not kept", "app", rev.App, "type", w.Type, "was", fmt.Sprintf("%d:%s", p.Quantity, p.Size), "changed", stamp(p.UpdatedAt), "schedule", w.Target(),
				"hint", fmt.Sprintf("%s was changed after line %d (%s) came into force at %s; a change is kept until the schedule's next edge, and %s has none ahead, so apply %s to %s. To keep %s as you set it, give it a rule in the schedule",
					w.Type, w.Rule.Line, w.Rule.Text, stamp(w.Since), w.Type, did, w.Target(), w.Type))
		}
		if e.Late > 0 {
			a.log.Warn("missed edge healed", "app", rev.App, "type", w.Type, "edge", stamp(w.Since), "late", e.Late.Round(time.Second).String(),
				"hint", "Heroku Scheduler skipped the run at the edge, or it failed: the next run made it good")
		}
	}
	for _, m := range rev.Missed {
		a.log.Warn("window missed", "app", rev.App, "type", m.Type, "open", stamp(m.Open), "close", stamp(m.Close),
			"rule", fmt.Sprintf("line %d: %s", m.Rule.Line, m.Rule.Text),
			"hint", "the job never started in this window: the API was out of reach, or Heroku Scheduler skipped every run of it; start it by hand with scaler up "+m.Type+"=1, or wait for the next window")
	}
	for _, j := range rev.Jobs {
		a.logJob(rev.App, j)
	}
	for _, s := range rev.Restarts {
		a.logRestart(rev.App, s)
	}
}

// logRestart logs where a restart window stands. A restart itself is
// logged as it lands ("restarted"), and a failure as the app's.
func (a *App) logRestart(app string, s scaler.RestartState) {
	w := s.Window
	switch s.Phase {
	case scaler.RestartMissed:
		a.log.Warn("restart missed", "app", app, "type", s.Type, "open", stamp(w.Open), "close", stamp(w.Close), "dynos", s.Dynos,
			"rule", fmt.Sprintf("line %d: %s", w.Rule.Line, w.Rule.Text),
			"hint", "no restart came in the window (the API was out of reach, or Heroku Scheduler skipped every run of it), so Heroku cycles "+s.Type+" a day after its dynos started, maybe during the night's work; restart it by hand at a quiet hour if that matters tonight")
	case scaler.RestartDone:
		args := []any{"app", app, "type", s.Type, "state", s.Phase.String(), "close", stamp(w.Close)}
		if !s.Since.IsZero() {
			args = append(args, "since", stamp(s.Since))
		}
		a.log.Info("restart window", args...)
	case scaler.RestartIdle, scaler.RestartWouldRestart:
		a.log.Info("restart window", "app", app, "type", s.Type, "state", s.Phase.String(), "close", stamp(w.Close))
	}
}

// logJob logs where a job's window stands.
func (a *App) logJob(app string, j scaler.JobState) {
	args := []any{"app", app, "type", j.Type, "state", j.Phase.String()}
	switch j.Phase {
	case scaler.JobNeverOpens:
		a.log.Warn("once window never closes", "app", app, "type", j.Type, "line", j.Window.Rule.Line,
			"hint", "its windows overlap into one occurrence without end, so its job never starts: make them overlap less")
		return
	case scaler.JobWaiting:
		args = append(args, "opens", stamp(j.Window.Open))
	case scaler.JobStarted, scaler.JobRunning:
		if !j.Since.IsZero() {
			args = append(args, "since", stamp(j.Since), "run_id", j.Run)
		}
	case scaler.JobRan:
		args = append(args, "done", stamp(j.Since))
	}
	a.log.Info("job window", args...)
}

// stamp is an instant as the log says it: RFC 3339, in UTC.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// notifyAll sends events to the notifier, all at once, and waits for them:
// each is bounded (webhook.Notifier), so the wait is too. A failure is
// logged by the notifier and changes nothing else.
func (a *App) notifyAll(ctx context.Context, n *webhook.Notifier, events []scaler.Event) {
	var wg sync.WaitGroup
	for _, e := range events {
		wg.Go(func() { n.Notify(context.WithoutCancel(ctx), e) })
	}
	wg.Wait()
}

// edgeJSON is one type's rule in force, as apply --json shows it.
type edgeJSON struct {
	Type   string    `json:"type"`
	Target string    `json:"target"` // 3, 1:Standard-2X, once
	Since  time.Time `json:"since,omitzero"`
	Until  time.Time `json:"until,omitzero"`
	// Kept is true when the type was changed after Since to something
	// else, and apply left it: the schedule takes over at Until.
	Kept bool `json:"kept"`
	// Late is, for a change apply made, how long after the edge it came
	// when that is a Scheduler interval or more: a missed edge, healed.
	Late string `json:"late,omitempty"`
}

// missedJSON is an occurrence of a job's window that closed without its
// job.
type missedJSON struct {
	App   string    `json:"app"`
	Type  string    `json:"type"`
	Open  time.Time `json:"open"`
	Close time.Time `json:"close"`
	Line  int       `json:"line"`
}

// restartJSON is where a restart window stands.
type restartJSON struct {
	Type    string    `json:"type"`
	State   string    `json:"state"` // done, restarted, would_restart, failed, idle, missed
	Text    string    `json:"text"`  // as the text output says it
	Open    time.Time `json:"open"`
	Close   time.Time `json:"close"`
	Line    int       `json:"line"`
	Rolling bool      `json:"rolling,omitempty"`
	// Dynos is how many dynos were restarted, would be, or (missed) run
	// since before the window.
	Dynos int `json:"dynos,omitempty"`
	// Since is, for done, when the type's dynos restarted.
	Since time.Time `json:"since,omitzero"`
	Error string    `json:"error,omitempty"`
}

func toRestartJSON(s scaler.RestartState) restartJSON {
	j := restartJSON{Type: s.Type, State: s.Phase.String(), Text: s.String(), Open: s.Window.Open.UTC(), Close: s.Window.Close.UTC(),
		Line: s.Window.Rule.Line, Rolling: s.Window.Rolling, Dynos: s.Dynos, Since: s.Since.UTC()}
	if s.Err != nil {
		j.Error = s.Err.Error()
	}
	return j
}

// jobJSON is where a job's window stands.
type jobJSON struct {
	Type  string    `json:"type"`
	State string    `json:"state"` // waiting, outside, started, would_start, running, ran, never_opens
	Text  string    `json:"text"`  // as the text output says it
	Open  time.Time `json:"open,omitzero"`
	Close time.Time `json:"close,omitzero"`
	// Since is when the start landed (started), the type was scaled up
	// (running), or it went back to 0 (ran).
	Since time.Time `json:"since,omitzero"`
	RunID string    `json:"run_id,omitempty"`
}

func toJobJSON(j scaler.JobState) jobJSON {
	return jobJSON{Type: j.Type, State: j.Phase.String(), Text: j.String(), Open: j.Window.Open.UTC(), Close: j.Window.Close.UTC(), Since: j.Since.UTC(), RunID: j.Run}
}

type appJSON struct {
	planJSON
	// At is the instant of the platform's clock the app's decision was
	// for.
	At        time.Time  `json:"at,omitzero"`
	Scheduled bool       `json:"scheduled"`
	Edges     []edgeJSON `json:"edges"`
	Jobs      []jobJSON  `json:"jobs"`
	// Restarts is where each restart window stands that is open, or
	// closed since the last apply.
	Restarts []restartJSON `json:"restarts"`
	Error    string        `json:"error,omitempty"`
}

type applyJSON struct {
	At        time.Time    `json:"at"`
	DryRun    bool         `json:"dry_run"`
	Apps      []appJSON    `json:"apps"`
	Missed    []missedJSON `json:"missed"`
	Changed   int          `json:"changed"`
	Kept      int          `json:"kept"` // types whose change by a person holds
	Unchanged int          `json:"unchanged"`
	Failed    int          `json:"failed"`
}

// printApply prints what apply did for each app, and a summary.
func (a *App) printApply(asJSON bool, at time.Time, results []scaler.AppResult, reviews []scaler.AppReview, dry bool) error {
	out := applyJSON{At: at.UTC(), DryRun: dry, Apps: []appJSON{}, Missed: []missedJSON{}}
	var b strings.Builder
	restarted := 0 // apps whose dynos a restart window restarted
	verb, changed, restarts := "scaled", "changed", "restarted"
	if dry {
		verb, changed, restarts = "would scale", "would change", "to restart"
	}
	for i, r := range results {
		rev := reviews[i]
		aj := appJSON{planJSON: toPlanJSON(r.Plan, dry, false, nil), At: r.At.UTC(), Scheduled: len(r.Wants) > 0 || len(r.Restarts) > 0 || r.Err != nil,
			Edges: []edgeJSON{}, Jobs: []jobJSON{}, Restarts: []restartJSON{}}
		aj.App = r.App
		for _, e := range rev.Edges {
			ej := edgeJSON{Type: e.Want.Type, Target: e.Want.Target(), Since: e.Want.Since.UTC(), Until: e.Want.Until.UTC(), Kept: e.Kept != nil}
			if e.Late > 0 {
				ej.Late = e.Late.Round(time.Second).String()
			}
			aj.Edges = append(aj.Edges, ej)
		}
		for _, p := range r.Plan.Kept {
			out.Kept++
			fmt.Fprintf(&b, "%s: %s kept at %d (%s), changed since the schedule's edge\n", r.App, p.Type, p.Quantity, p.Size)
		}
		switch {
		case r.Err != nil:
			out.Failed++
			aj.Error = r.Err.Error()
			fmt.Fprintf(&b, "%s: failed: %v\n", r.App, r.Err)
		case len(r.Wants) == 0 && len(r.Restarts) == 0:
			fmt.Fprintf(&b, "%s: no rule in force now: nothing to do\n", r.App)
		case len(r.Wants) == 0:
			// Only restart windows: said below.
		case len(r.Plan.Changes) == 0 && len(r.Plan.Unchanged) == 0:
			// Every type it names is kept: said above.
		case len(r.Plan.Changes) > 0:
			out.Changed++
			for _, c := range r.Plan.Changes {
				fmt.Fprintf(&b, "%s %s: %s\n", verb, r.App, describeChange(c))
			}
		default:
			out.Unchanged++
			fmt.Fprintf(&b, "%s: in state (%s)\n", r.App, describeProcesses(r.Plan.Unchanged))
		}
		for _, j := range rev.Jobs {
			aj.Jobs = append(aj.Jobs, toJobJSON(j))
			fmt.Fprintf(&b, "%s: %s %s\n", r.App, j.Type, j)
		}
		if slices.ContainsFunc(r.Restarts, func(s scaler.RestartState) bool {
			return s.Phase == scaler.RestartRestarted || s.Phase == scaler.RestartWouldRestart
		}) {
			restarted++
		}
		for _, s := range r.Restarts {
			aj.Restarts = append(aj.Restarts, toRestartJSON(s))
			if s.Phase == scaler.RestartFailed {
				fmt.Fprintf(&b, "%s: %s (%v)\n", r.App, s, s.Err)
				continue
			}
			fmt.Fprintf(&b, "%s: %s\n", r.App, s)
		}
		if r.Err == nil && r.Failure() != nil {
			out.Failed++
			aj.Error = r.Failure().Error()
		}
		for _, m := range rev.Missed {
			out.Missed = append(out.Missed, missedJSON{App: r.App, Type: m.Type, Open: m.Open.UTC(), Close: m.Close.UTC(), Line: m.Rule.Line})
		}
		out.Apps = append(out.Apps, aj)
	}
	if asJSON {
		return writeJSON(a.Stdout, out)
	}
	for _, m := range out.Missed {
		fmt.Fprintf(&b, "%s: %s's window %s to %s closed without its job (line %d)\n", m.App, m.Type, m.Open.Format(time.RFC3339), m.Close.Format(time.RFC3339), m.Line)
	}
	fmt.Fprintf(&b, "%s as of %s: %d %s, %d in state, %d failed", scaler.Plural(len(results), "app"), at.UTC().Format(time.RFC3339), out.Changed, changed, out.Unchanged, out.Failed)
	if out.Kept > 0 {
		fmt.Fprintf(&b, ", %d kept", out.Kept)
	}
	if restarted > 0 {
		fmt.Fprintf(&b, ", %d with dynos %s", restarted, restarts)
	}
	if dry {
		b.WriteString(" (dry run: nothing sent)")
	}
	b.WriteString("\n")
	_, err := fmt.Fprint(a.Stdout, b.String())
	return err
}

// describeProcesses reads like "web=1, worker=0:Standard-2X".
func describeProcesses(ps []scaler.Process) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = fmt.Sprintf("%s=%d:%s", p.Type, p.Quantity, p.Size)
	}
	return strings.Join(parts, ", ")
}
