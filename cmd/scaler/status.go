package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scalerdev/scaler/scaler"
	"github.com/scalerdev/scaler/schedules"
)

// statusOptions is what status is asked.
type statusOptions struct {
	App, Schedule string
	JSON          bool
	Timeout       time.Duration
	Args          []string
}

func (a *App) newStatusCommand(runF func(context.Context, *statusOptions) error) *command {
	if runF == nil {
		runF = a.runStatus
	}
	return &command{Command: &cli.Command{
		Name:    "status",
		Aliases: []string{"ps"},
		Usage:   "show each process type's quantity and size, each dyno's state and age, and where each job's window stands",
		Description: `Ages are told by the platform's clock (the Date of its answer), as the
timestamps are, whatever the clock of the machine that asks. Each dyno that
runs says when Heroku's daily cycling may stop it: 24 hours after it last
started (its created_at or updated_at, the later), at the earliest. With a
schedule (--schedule, or SCALER_SCHEDULE), each type that a job's window
starts says where its window stands, and each type with a restart window
whether it restarted in the window open, or when the next opens.

Examples:
   $ scaler status
   $ scaler ps -a myapp --json`,
		Flags: []cli.Flag{appFlag(), scheduleFlag(), timeoutFlag(defaultTimeout), jsonFlag()},
		Action: func(c *cli.Context) error {
			return runF(c.Context, &statusOptions{App: c.String(flagApp), Schedule: c.String(flagSchedule), JSON: c.Bool(flagJSON), Timeout: c.Duration(flagTimeout), Args: c.Args().Slice()})
		},
	}}
}

func (a *App) runStatus(ctx context.Context, opts *statusOptions) error {
	if len(opts.Args) > 0 {
		return scaler.Errorf(scaler.ErrInvalid, "status takes no arguments, got %q", opts.Args[0])
	}
	sched, _, found, err := a.loadSchedule(opts.Schedule)
	if err != nil {
		return err
	}
	ctx, t, err := a.open(ctx, opts.App, opts.Timeout)
	if err != nil {
		return err
	}
	defer t.close()
	var fleet *schedules.Fleet
	if found {
		if fleet, err = sched.Fleet(t.app); err != nil {
			return err
		}
	}
	st, err := t.svc.Status(ctx, t.app)
	if err != nil {
		return err
	}
	if st.At.IsZero() {
		// No Date: the dyno's clock is all there is.
		st.At = a.Now()
	}
	v := statusView{app: t.app, Status: st, zones: map[string]*time.Location{}}
	if fleet != nil {
		for _, o := range fleet.Types(t.app) {
			v.zones[o.Type] = o.Zone
		}
		v.jobs = scaler.Jobs(t.app, st.Formation, fleet, st.At)
		v.restarts = scaler.RestartOutlook(t.app, st.Formation, st.Dynos, fleet, st.At)
	}
	if opts.JSON {
		return writeJSON(a.Stdout, v.json())
	}
	_, err = io.WriteString(a.Stdout, v.text())
	return err
}

// statusView is what status shows: the app's formation and dynos, read at
// the platform's clock st.At, and where each job's window stands.
type statusView struct {
	app string
	scaler.Status
	jobs []scaler.JobState
	// restarts are where each restart window stands.
	restarts []scaler.RestartState
	// zones are the zones of the types a schedule owns: their times are
	// said in it, others in UTC.
	zones map[string]*time.Location
}

type dynoJSON struct {
	Name       string    `json:"name"`
	Type       string    `json:"type"`
	Size       string    `json:"size"`
	State      string    `json:"state"`
	Since      time.Time `json:"since"`
	AgeSeconds int64     `json:"age_seconds"`
	// CreatedAt is when the platform created the dyno; CycleFrom when
	// daily cycling may stop it, at the earliest (a day after it last
	// started: scaler.Dyno.Started), for a dyno that runs.
	CreatedAt time.Time `json:"created_at,omitzero"`
	CycleFrom time.Time `json:"cycle_from,omitzero"`
	// Stopping counts the older dynos of the same name still stopping
	// (after a restart, or a scale down and up).
	Stopping int `json:"stopping,omitempty"`
}

// named is one dyno name: the dyno that holds it now, and how many older
// ones of that name are still stopping.
type named struct {
	scaler.Dyno
	stopping int
}

// byName gathers dynos by name, in their order: a name is one row, the
// dyno that is not down (the newest, if several), else the newest down.
func byName(dynos []scaler.Dyno) []named {
	var out []named
	at := map[string]int{}
	for _, d := range dynos {
		i, seen := at[d.Name]
		if !seen {
			at[d.Name] = len(out)
			out = append(out, named{Dyno: d})
			continue
		}
		cur := &out[i]
		cur.stopping++
		newer := d.UpdatedAt.After(cur.UpdatedAt)
		if (cur.State == "down" && (d.State != "down" || newer)) || (d.State != "down" && newer) {
			cur.Dyno = d
		}
	}
	return out
}

type statusJSON struct {
	App string `json:"app"`
	// At is the platform's clock when it answered: ages are told by it.
	At        time.Time     `json:"at"`
	Formation []processJSON `json:"formation"`
	Dynos     []dynoJSON    `json:"dynos"`
	// Jobs is where each job's window stands, with a schedule.
	Jobs []jobJSON `json:"jobs,omitempty"`
	// Restarts is where each restart window stands, with a schedule: the
	// one open, or the next.
	Restarts []restartJSON `json:"restarts,omitempty"`
}

func (v statusView) json() statusJSON {
	out := statusJSON{App: v.app, At: v.At.UTC(), Formation: []processJSON{}, Dynos: []dynoJSON{}}
	for _, p := range v.Formation.Sorted() {
		out.Formation = append(out.Formation, processJSON{p.Type, p.Quantity, p.Size})
	}
	for _, d := range byName(v.Dynos) {
		dj := dynoJSON{Name: d.Name, Type: d.Type, Size: d.Size, State: d.State, Since: d.UpdatedAt.UTC(),
			AgeSeconds: int64(max(0, v.At.Sub(d.UpdatedAt)).Seconds()), CreatedAt: d.CreatedAt.UTC(), Stopping: d.stopping}
		if runs(d.Dyno) {
			dj.CycleFrom = d.CycleFrom().UTC()
		}
		out.Dynos = append(out.Dynos, dj)
	}
	for _, j := range v.jobs {
		out.Jobs = append(out.Jobs, toJobJSON(j))
	}
	for _, r := range v.restarts {
		out.Restarts = append(out.Restarts, toRestartJSON(r))
	}
	return out
}

// text prints the formation as `heroku ps` users know it:
//
//	=== web (Standard-1X): 1
//	web.1: up for 2h3m, may be cycled from 02:03 UTC tomorrow
//	=== nightly (Standard-2X): 0, waiting for the window (opens 02:00 CET)
//	=== worker (Standard-1X): 2, next restart window 01:00-01:30 CET tomorrow
func (v statusView) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "app %s\n", v.app)
	shown := map[string]bool{}
	for _, p := range v.Formation.Sorted() {
		shown[p.Type] = true
		fmt.Fprintf(&b, "=== %s (%s): %d", p.Type, p.Size, p.Quantity)
		for _, j := range v.jobs {
			if j.Type == p.Type {
				fmt.Fprintf(&b, ", %s", j)
			}
		}
		for _, r := range v.restarts {
			if r.Type == p.Type {
				fmt.Fprintf(&b, ", %s", r.Stands())
			}
		}
		b.WriteString("\n")
		v.writeDynos(&b, p.Type)
	}
	// One-off dynos (run.N, scheduler.N) are not in the formation.
	var oneOff []string
	for _, d := range v.Dynos {
		if !shown[d.Type] && !slices.Contains(oneOff, d.Type) {
			oneOff = append(oneOff, d.Type)
		}
	}
	slices.Sort(oneOff)
	for _, typ := range oneOff {
		fmt.Fprintf(&b, "=== %s: one-off\n", typ)
		v.writeDynos(&b, typ)
	}
	return b.String()
}

func (v statusView) writeDynos(b *strings.Builder, typ string) {
	for _, d := range byName(v.Dynos) {
		if d.Type != typ {
			continue
		}
		fmt.Fprintf(b, "%s: %s for %s", d.Name, d.State, scaler.Age(v.At.Sub(d.UpdatedAt)))
		if c := cycling(d.Dyno, v.At, v.zones[typ]); c != "" {
			b.WriteString(", " + c)
		}
		if d.stopping > 0 {
			fmt.Fprintf(b, " (and %s of that name stopping)", scaler.Plural(d.stopping, "older dyno"))
		}
		b.WriteString("\n")
	}
}

// runs reports whether a dyno runs, or is starting: daily cycling will
// stop it.
func runs(d scaler.Dyno) bool {
	return d.State == scaler.StateUp || d.State == scaler.StateStarting
}

// cycling says when daily cycling may stop a dyno that runs, from now on
// the platform's clock, in loc (UTC when nil): "may be cycled from 02:03
// UTC tomorrow". A dyno that started further back than a cycle can wait
// may be cycled at any time.
func cycling(d scaler.Dyno, now time.Time, loc *time.Location) string {
	from := d.CycleFrom()
	switch {
	case !runs(d) || from.IsZero():
		return ""
	case now.Before(from):
		return "may be cycled from " + scaler.WallClock(from, now, loc)
	case now.Before(from.Add(scaler.CycleSpread)):
		return "may be cycled any time until " + scaler.WallClock(from.Add(scaler.CycleSpread), now, loc)
	}
	return "may be cycled any time (started " + scaler.Age(now.Sub(d.Started())) + " ago)"
}
