package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scalerdev/scaler/scaler"
)

func (a *App) statusCommand() *cli.Command {
	return &cli.Command{
		Name:    "status",
		Aliases: []string{"ps"},
		Usage:   "show each process type's quantity and size, and each dyno's state and age",
		Description: `Examples:
   $ scaler status
   $ scaler ps -a myapp --json`,
		Flags: []cli.Flag{appFlag(), timeoutFlag(defaultTimeout), jsonFlag()},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return scaler.Errorf(scaler.ErrInvalid, "status takes no arguments, got %q", c.Args().First())
			}
			ctx, cancel, t, err := a.start(c)
			if err != nil {
				return err
			}
			defer cancel()
			form, dynos, err := t.svc.Status(ctx, t.app)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return writeJSON(a.Stdout, statusToJSON(t.app, form, dynos, a.Now()))
			}
			_, err = io.WriteString(a.Stdout, formatStatus(t.app, form, dynos, a.Now()))
			return err
		},
	}
}

type dynoJSON struct {
	Name       string    `json:"name"`
	Type       string    `json:"type"`
	Size       string    `json:"size"`
	State      string    `json:"state"`
	Since      time.Time `json:"since"`
	AgeSeconds int64     `json:"age_seconds"`
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
	for _, d := range dynos {
		out.Dynos = append(out.Dynos, dynoJSON{d.Name, d.Type, d.Size, d.State, d.UpdatedAt.UTC(), int64(max(0, now.Sub(d.UpdatedAt)).Seconds())})
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
	for _, d := range dynos {
		if d.Type == typ {
			fmt.Fprintf(b, "%s: %s for %s\n", d.Name, d.State, age(now.Sub(d.UpdatedAt)))
		}
	}
}

func sortedFormation(f scaler.Formation) scaler.Formation {
	s := slices.Clone(f)
	slices.SortFunc(s, func(x, y scaler.Process) int { return strings.Compare(x.Type, y.Type) })
	return s
}
