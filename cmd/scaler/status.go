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
)

// statusOptions is what status is asked.
type statusOptions struct {
	App     string
	JSON    bool
	Timeout time.Duration
	Args    []string
}

func (a *App) newStatusCommand(runF func(context.Context, *statusOptions) error) *command {
	if runF == nil {
		runF = a.runStatus
	}
	return &command{Command: &cli.Command{
		Name:    "status",
		Aliases: []string{"ps"},
		Usage:   "show each process type's quantity and size, and each dyno's state and age",
		Description: `Examples:
   $ scaler status
   $ scaler ps -a myapp --json`,
		Flags: []cli.Flag{appFlag(), timeoutFlag(defaultTimeout), jsonFlag()},
		Action: func(c *cli.Context) error {
			return runF(c.Context, &statusOptions{App: c.String(flagApp), JSON: c.Bool(flagJSON), Timeout: c.Duration(flagTimeout), Args: c.Args().Slice()})
		},
	}}
}

func (a *App) runStatus(ctx context.Context, opts *statusOptions) error {
	if len(opts.Args) > 0 {
		return scaler.Errorf(scaler.ErrInvalid, "status takes no arguments, got %q", opts.Args[0])
	}
	ctx, t, err := a.open(ctx, opts.App, opts.Timeout)
	if err != nil {
		return err
	}
	defer t.close()
	form, dynos, err := t.svc.Status(ctx, t.app)
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(a.Stdout, statusToJSON(t.app, form, dynos, a.Now()))
	}
	_, err = io.WriteString(a.Stdout, formatStatus(t.app, form, dynos, a.Now()))
	return err
}

type dynoJSON struct {
	Name       string    `json:"name"`
	Type       string    `json:"type"`
	Size       string    `json:"size"`
	State      string    `json:"state"`
	Since      time.Time `json:"since"`
	AgeSeconds int64     `json:"age_seconds"`
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
	App       string        `json:"app"`
	Formation []processJSON `json:"formation"`
	Dynos     []dynoJSON    `json:"dynos"`
}

func statusToJSON(app string, form scaler.Formation, dynos []scaler.Dyno, now time.Time) statusJSON {
	out := statusJSON{App: app, Formation: []processJSON{}, Dynos: []dynoJSON{}}
	for _, p := range sortedFormation(form) {
		out.Formation = append(out.Formation, processJSON{p.Type, p.Quantity, p.Size})
	}
	for _, d := range byName(dynos) {
		out.Dynos = append(out.Dynos, dynoJSON{d.Name, d.Type, d.Size, d.State, d.UpdatedAt.UTC(), int64(max(0, now.Sub(d.UpdatedAt)).Seconds()), d.stopping})
	}
	return out
}

// formatStatus prints the formation as `heroku ps` users know it:
//
//	=== web (Standard-1X): 1
//	web.1: up for 2h3m
func formatStatus(app string, form scaler.Formation, dynos []scaler.Dyno, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "app %s\n", app)
	shown := map[string]bool{}
	for _, p := range sortedFormation(form) {
		shown[p.Type] = true
		fmt.Fprintf(&b, "=== %s (%s): %d\n", p.Type, p.Size, p.Quantity)
		writeDynos(&b, dynos, p.Type, now)
	}
	// One-off dynos (run.N, scheduler.N) are not in the formation.
	var oneOff []string
	for _, d := range dynos {
		if !shown[d.Type] && !slices.Contains(oneOff, d.Type) {
			oneOff = append(oneOff, d.Type)
		}
	}
	slices.Sort(oneOff)
	for _, typ := range oneOff {
		fmt.Fprintf(&b, "=== %s: one-off\n", typ)
		writeDynos(&b, dynos, typ, now)
	}
	return b.String()
}

func writeDynos(b *strings.Builder, dynos []scaler.Dyno, typ string, now time.Time) {
	for _, d := range byName(dynos) {
		if d.Type != typ {
			continue
		}
		fmt.Fprintf(b, "%s: %s for %s", d.Name, d.State, age(now.Sub(d.UpdatedAt)))
		if d.stopping > 0 {
			fmt.Fprintf(b, " (and %s of that name stopping)", plural(d.stopping, "older dyno"))
		}
		b.WriteString("\n")
	}
}

func sortedFormation(f scaler.Formation) scaler.Formation {
	s := slices.Clone(f)
	slices.SortFunc(s, func(x, y scaler.Process) int { return strings.Compare(x.Type, y.Type) })
	return s
}
