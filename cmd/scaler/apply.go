package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

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
// compilers do.
func sourced(source string, err error) error {
	var list schedules.ErrorList
	if !errors.As(err, &list) {
		return err
	}
	lines := make([]error, len(list))
	for i, e := range list {
		lines[i] = scaler.Errorf(scaler.ErrInvalid, "%s:%v", source, e)
	}
	return errors.Join(lines...)
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
		Usage: "make the formation what the schedule says it should be now",
		Description: `Computes, from the schedule, the formation in force now (or at --at), reads
the current one, and sends at most one batch update per app, only for the
process types that differ. A type the schedule does not name, or names but
not now, is not touched. A type a person changed since its rule came into
force is kept as it is until the next edge (--enforce converges it). A once
window starts its job at most once. Run it from Heroku Scheduler every 10
minutes: a missed run is healed by the next, and a repeated run changes
nothing.

Examples:
   $ scaler apply
   $ scaler apply --schedule schedule.txt --dry-run
   $ scaler apply --at 2026-12-24T09:00:00+01:00 --json`,
		Flags: []cli.Flag{
			appFlag(),
			scheduleFlag(),
			&cli.StringFlag{Name: flagAt, Usage: "apply as of this instant (RFC 3339) instead of now"},
			&cli.BoolFlag{Name: flagDryRun, Usage: "print the plan and send no write"},
			&cli.IntFlag{Name: flagConcurrency, Value: 4, Usage: "apps handled at once"},
			&cli.BoolFlag{Name: flagEnforce, Usage: "converge every type to its rule, even one a person changed since the rule came into force"},
			&cli.DurationFlag{Name: flagEvery, Value: 10 * time.Minute, Usage: "how often Heroku Scheduler runs apply: a late edge, or a once window closed within two intervals without its job, is reported"},
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

func (a *App) runApply(ctx context.Context, opts *applyOptions) error {
	if len(opts.Args) > 0 {
		return scaler.Errorf(scaler.ErrInvalid, "apply takes no arguments, got %q", opts.Args[0])
	}
	sched, _, found, err := a.loadSchedule(opts.Schedule)
	if err != nil {
		return err
	}
	if !found {
		return scaler.Errorf(scaler.ErrInvalid, "no schedule: pass --schedule FILE or set %s", envSchedule)
	}
	at, err := a.instant(opts.At)
	if err != nil {
		return err
	}
	if opts.Concurrency < 1 || opts.Concurrency > 64 {
		return scaler.Errorf(scaler.ErrInvalid, "--concurrency %d: want 1 to 64", opts.Concurrency)
	}
	if opts.Every <= 0 {
		return scaler.Errorf(scaler.ErrInvalid, "--every %s: want the interval of the Scheduler job that runs apply, such as 10m", opts.Every)
	}
	d, err := a.desired(opts.App, sched, at, opts.Enforce)
	if err != nil {
		return err
	}
	ctx, cancel, err := deadline(ctx, opts.Timeout)
	if err != nil {
		return err
	}
	defer cancel()
	client, err := a.client()
	if err != nil {
		return err
	}
	notifier, err := a.notifier()
	if err != nil {
		return err
	}
	svc := a.service(client)

	results := svc.ApplyAll(ctx, d.apps, d.specs, opts.Concurrency, !opts.DryRun)
	rev := a.review(ctx, svc, sched, d, at, opts.Every, results)
	if !opts.DryRun {
		a.notifyAll(ctx, notifier, rev.events)
	}
	if err := a.printApply(opts.JSON, at, results, rev, opts.DryRun); err != nil {
		return err
	}
	var failed []scaler.AppResult
	for _, r := range results {
		if r.Err != nil {
			failed = append(failed, r)
		}
	}
	switch {
	case len(failed) == 0:
		return nil
	case len(results) == 1 && !opts.JSON:
		return failed[0].Err // one app: its error, and its exit code
	}
	for _, r := range failed {
		// Every app's failure, each once, naming its app (the JSON
		// result has said it too, as the app's error).
		a.sayError(r.Err, "app", r.App)
	}
	if len(results) == 1 {
		return silent(exitCode(failed[0].Err))
	}
	return silent(exitFailure)
}

// instant reads --at, or returns now.
func (a *App) instant(at string) (time.Time, error) {
	if at == "" {
		return a.Now(), nil
	}
	t, err := time.Parse(time.RFC3339, at)
	if err != nil {
		return time.Time{}, scaler.Errorf(scaler.ErrInvalid, "--at %q: want an RFC 3339 instant such as 2026-12-24T09:00:00+01:00", at)
	}
	return t, nil
}

// desired is what the schedule wants at an instant: the apps it targets,
// and for each the specs in force, made from the targets in force.
type desired struct {
	apps       []string
	specs      map[string][]scaler.Spec
	targets    map[[2]string]schedules.Target // by app and type
	defaultApp string
}

// desired returns what the schedule wants at t. Rules without an `app`
// line target the app of --app, HEROKU_APP or HEROKU_APP_NAME, which must
// not also be named by an `app` line with rules for the same types: two sets
// of rules would claim them. A rule's target holds against a person's change
// made since the rule came into force, unless enforce.
func (a *App) desired(flagApp string, s *schedules.Schedule, t time.Time, enforce bool) (desired, error) {
	d := desired{specs: map[string][]scaler.Spec{}, targets: map[[2]string]schedules.Target{}}
	if slices.Contains(s.Apps(), "") {
		name, err := a.resolveApp(flagApp)
		if err != nil {
			return d, err
		}
		d.defaultApp = name
		for _, typ := range s.Types("") {
			if slices.Contains(s.Types(name), typ) {
				return d, scaler.Errorf(scaler.ErrInvalid, "app %s is both the default app and named by an `app` line, with rules for %s in both", name, typ)
			}
		}
	}
	for _, app := range s.Apps() {
		if app = cmp.Or(app, d.defaultApp); !slices.Contains(d.apps, app) {
			d.apps = append(d.apps, app)
		}
	}
	for _, target := range s.At(t) {
		app := cmp.Or(target.App, d.defaultApp)
		// A rule that has been in force since beyond the schedule's horizon
		// (a lone default) has no edge that a change could follow: apply
		// converges to it, as it does to every rule with --enforce.
		spec := scaler.Spec{Type: target.Type, Op: scaler.Set, N: target.Quantity, Size: target.Size, Keep: !enforce && !target.Since.IsZero(), After: target.Since}
		if target.Once {
			// A job's window: started once in this occurrence of it.
			spec.Op, spec.Keep = scaler.Start, false
			if target.Since.IsZero() {
				// Windows that overlap without end (daily 00:00-13:00
				// and daily 12:00-01:00) are one occurrence that never
				// opened: no start can be told from the job's own.
				a.log.Warn("once window never closes", "app", app, "type", target.Type, "line", target.Rule.Line,
					"hint", "its windows overlap into one occurrence without end, so its job never starts: make them overlap less")
			}
		}
		d.specs[app] = append(d.specs[app], spec)
		d.targets[[2]string{app, target.Type}] = target
	}
	return d, nil
}

// review is what apply says of a run beyond its changes: the edges in
// force, the changes of people it kept, the edges it healed late, the once
// windows missed, and the events that need a person.
type review struct {
	edges  map[string][]edgeJSON // by app
	missed []missed
	events []scaler.Event
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

// keptLong is how long a kept change lasts before a person is told.
const keptLong = 24 * time.Hour

func (a *App) review(ctx context.Context, svc *scaler.Service, s *schedules.Schedule, d desired, at time.Time, every time.Duration, results []scaler.AppResult) review {
	rev := review{edges: map[string][]edgeJSON{}}
	until := func(t schedules.Target) string {
		if t.Until.IsZero() {
			return "no edge ahead"
		}
		return t.Until.UTC().Format(time.RFC3339)
	}
	for _, r := range results {
		if r.Err != nil {
			rev.events = append(rev.events, scaler.Event{Kind: scaler.KindApplyFailed, App: r.App, ExitCode: exitCode(r.Err), Detail: r.Err.Error()})
			continue
		}
		kept := map[string]scaler.Process{}
		for _, p := range r.Plan.Kept {
			kept[p.Type] = p
		}
		late := map[string]time.Duration{}
		for _, c := range r.Plan.Changes {
			t := d.targets[[2]string{r.App, c.Type}]
			if gap := at.Sub(t.Since); !t.Once && !t.Since.IsZero() && gap >= every {
				late[c.Type] = gap
			}
		}
		for _, spec := range r.Plan.Specs {
			t := d.targets[[2]string{r.App, spec.Type}]
			e := edgeJSON{Type: spec.Type, Target: t.String(), Since: t.Since.UTC(), Until: t.Until.UTC()}
			if p, ok := kept[spec.Type]; ok {
				e.Kept = true
				a.log.Info("change kept", "app", r.App, "type", spec.Type, "is", fmt.Sprintf("%d:%s", p.Quantity, p.Size), "schedule", t.String(),
					"changed", p.UpdatedAt.UTC().Format(time.RFC3339), "until", until(t))
				if at.Sub(p.UpdatedAt) > keptLong {
					rev.events = append(rev.events, scaler.Event{Kind: scaler.KindChangeKeptLong, App: r.App, Type: spec.Type,
						Detail: fmt.Sprintf("%s=%d since %s; the schedule says %s (line %d), from %s", spec.Type, p.Quantity, p.UpdatedAt.UTC().Format(time.RFC3339), t.String(), t.Rule.Line, until(t))})
				}
			}
			if gap, ok := late[spec.Type]; ok {
				e.Late = gap.Round(time.Second).String()
				edge := t.Since.UTC().Format(time.RFC3339)
				a.log.Warn("missed edge healed", "app", r.App, "type", spec.Type, "edge", edge, "late", e.Late,
					"hint", "Heroku Scheduler skipped the run at the edge, or it failed: the next run made it good")
				rev.events = append(rev.events, scaler.Event{Kind: scaler.KindMissedEdgeHealed, App: r.App, Type: spec.Type,
					Detail: fmt.Sprintf("the edge at %s (line %d: %s) was applied %s late", edge, t.Rule.Line, t.String(), e.Late)})
			}
			rev.edges[r.App] = append(rev.edges[r.App], e)
		}
	}
	rev.missed = a.missedWindows(ctx, svc, s, at, every, d.defaultApp, results)
	for _, m := range rev.missed {
		rev.events = append(rev.events, scaler.Event{Kind: scaler.KindWindowMissed, App: m.App, Type: m.Type,
			Detail: fmt.Sprintf("the window from %s to %s (line %d) closed, and the job never started", m.Open.Format(time.RFC3339), m.Close.Format(time.RFC3339), m.Line)})
	}
	return rev
}

// missed is an occurrence of a `once` window whose job never started.
type missed struct {
	App   string    `json:"app"`
	Type  string    `json:"type"`
	Open  time.Time `json:"open"`
	Close time.Time `json:"close"`
	Line  int       `json:"line"`
}

// missedWindows finds the occurrences of `once` windows that closed in the
// last two Scheduler intervals (every) without their job ever starting:
// the type is at 0 and has not changed since the window opened (the API
// was down throughout, or every Scheduler run of the window was skipped).
// Only the latest occurrence of each type is judged: a later window's run
// changes the type too, and scaler keeps no memory of its own. Apps that
// apply did not read are read once.
func (a *App) missedWindows(ctx context.Context, svc *scaler.Service, s *schedules.Schedule, at time.Time, every time.Duration, defaultApp string, results []scaler.AppResult) []missed {
	latest := map[[2]string]schedules.Occurrence{}
	var keys [][2]string
	for _, o := range s.Closed(at.Add(-2*every), at) {
		k := [2]string{cmp.Or(o.App, defaultApp), o.Type}
		if _, seen := latest[k]; !seen {
			keys = append(keys, k)
		}
		latest[k] = o
	}
	forms := map[string]scaler.Formation{}
	for _, r := range results {
		if r.Err == nil && r.Plan.Current != nil {
			forms[r.App] = r.Plan.Current
		}
	}
	var out []missed
	for _, k := range keys {
		o := latest[k]
		form, ok := forms[k[0]]
		if !ok {
			read, err := svc.Platform.Formation(ctx, k[0])
			if err != nil {
				a.log.Warn("window not checked", "app", k[0], "type", k[1], "err", err)
				continue
			}
			form, forms[k[0]] = read.Formation, read.Formation
		}
		if p, ok := form.Find(k[1]); ok && p.Quantity == 0 && p.UpdatedAt.Before(o.Open) {
			m := missed{App: k[0], Type: k[1], Open: o.Open.UTC(), Close: o.Close.UTC(), Line: o.Rule.Line}
			a.log.Warn("window missed", "app", m.App, "type", m.Type, "open", m.Open.Format(time.RFC3339), "close", m.Close.Format(time.RFC3339),
				"rule", fmt.Sprintf("line %d: %s", o.Rule.Line, o.Rule.Text),
				"hint", "the job never started in this window: the API was out of reach, or Heroku Scheduler skipped every run of it; start it by hand with scaler up "+m.Type+"=1, or wait for the next window")
			out = append(out, m)
		}
	}
	return out
}

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

type appJSON struct {
	planJSON
	Scheduled bool       `json:"scheduled"`
	Edges     []edgeJSON `json:"edges"`
	Error     string     `json:"error,omitempty"`
}

type applyJSON struct {
	At        time.Time `json:"at"`
	DryRun    bool      `json:"dry_run"`
	Apps      []appJSON `json:"apps"`
	Missed    []missed  `json:"missed"`
	Changed   int       `json:"changed"`
	Kept      int       `json:"kept"` // types whose change by a person holds
	Unchanged int       `json:"unchanged"`
	Failed    int       `json:"failed"`
}

// printApply prints what apply did for each app, and a summary.
func (a *App) printApply(asJSON bool, at time.Time, results []scaler.AppResult, rev review, dry bool) error {
	out := applyJSON{At: at.UTC(), DryRun: dry, Apps: []appJSON{}, Missed: append([]missed{}, rev.missed...)}
	var b strings.Builder
	verb := "scaled"
	if dry {
		verb = "would scale"
	}
	for _, r := range results {
		aj := appJSON{planJSON: toPlanJSON(r.Plan, dry, false, nil), Scheduled: r.Plan.App != "" || r.Err != nil, Edges: append([]edgeJSON{}, rev.edges[r.App]...)}
		aj.App = r.App
		for _, p := range r.Plan.Kept {
			out.Kept++
			fmt.Fprintf(&b, "%s: %s kept at %d (%s), changed since the schedule's edge\n", r.App, p.Type, p.Quantity, p.Size)
		}
		switch {
		case r.Err != nil:
			out.Failed++
			aj.Error = r.Err.Error()
			fmt.Fprintf(&b, "%s: failed: %v\n", r.App, r.Err)
		case r.Plan.App == "":
			fmt.Fprintf(&b, "%s: no rule in force now: nothing to do\n", r.App)
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
		out.Apps = append(out.Apps, aj)
	}
	if asJSON {
		return writeJSON(a.Stdout, out)
	}
	for _, m := range rev.missed {
		fmt.Fprintf(&b, "%s: %s's window %s to %s closed without its job (line %d)\n", m.App, m.Type, m.Open.Format(time.RFC3339), m.Close.Format(time.RFC3339), m.Line)
	}
	fmt.Fprintf(&b, "%s as of %s: %d changed, %d in state, %d failed", plural(len(results), "app"), at.UTC().Format(time.RFC3339), out.Changed, out.Unchanged, out.Failed)
	if out.Kept > 0 {
		fmt.Fprintf(&b, ", %d kept", out.Kept)
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
