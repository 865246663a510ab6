package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/scalerdev/scaler/scaler"
)

// changeJSON and processJSON are the JSON forms of a plan's entries.
type changeJSON struct {
	Type     string `json:"type"`
	From     int    `json:"from"`
	To       int    `json:"to"`
	FromSize string `json:"from_size"`
	ToSize   string `json:"to_size"`
	// Sent is the update as sent, in spec syntax: relative specs stay
	// relative ("worker+1").
	Sent string `json:"sent"`
}

type processJSON struct {
	Type     string `json:"type"`
	Quantity int    `json:"quantity"`
	Size     string `json:"size"`
}

type planJSON struct {
	App       string        `json:"app"`
	DryRun    bool          `json:"dry_run"`
	Changes   []changeJSON  `json:"changes"`
	Unchanged []processJSON `json:"unchanged"`
	Ready     bool          `json:"ready"`
	Restarted []string      `json:"restarted"`
	// Kept says why the formation was left as it is, when it was on
	// purpose (done, for a type that runs more than one dyno).
	Kept string `json:"kept,omitempty"`
}

func toPlanJSON(p scaler.Plan, dry, ready bool, restarted []string) planJSON {
	out := planJSON{App: p.App, DryRun: dry, Ready: ready, Changes: []changeJSON{}, Unchanged: []processJSON{}, Restarted: append([]string{}, restarted...)}
	for _, c := range p.Changes {
		out.Changes = append(out.Changes, changeJSON{c.Type, c.From, c.To, c.FromSize, c.ToSize, c.Send.String()})
	}
	for _, u := range p.Unchanged {
		out.Unchanged = append(out.Unchanged, processJSON{u.Type, u.Quantity, u.Size})
	}
	return out
}

// printPlan prints what a scale did, or would do.
func (a *App) printPlan(asJSON bool, p scaler.Plan, dry, ready bool, restarted ...string) error {
	if asJSON {
		return writeJSON(a.Stdout, toPlanJSON(p, dry, ready, restarted))
	}
	var b strings.Builder
	verb, restart := "scaled", "restarted"
	if dry {
		verb, restart = "would scale", "would restart"
	}
	for _, typ := range restarted {
		fmt.Fprintf(&b, "%s %s: %s\n", restart, p.App, typ)
	}
	for _, c := range p.Changes {
		fmt.Fprintf(&b, "%s %s: %s\n", verb, p.App, describeChange(c))
	}
	for _, u := range p.Unchanged {
		fmt.Fprintf(&b, "%s: %s already at %d (%s)\n", p.App, u.Type, u.Quantity, u.Size)
	}
	switch {
	case len(p.Changes) == 0 && len(restarted) == 0:
		fmt.Fprintf(&b, "%s: nothing to change, nothing sent\n", p.App)
	case dry:
		fmt.Fprintf(&b, "dry run: nothing sent\n")
	case ready:
		for _, c := range p.Changes {
			if c.To == 0 {
				fmt.Fprintf(&b, "%s: %s has no dynos\n", p.App, c.Type)
				continue
			}
			fmt.Fprintf(&b, "%s: %s has %s up\n", p.App, c.Type, scaler.Plural(c.To, "dyno"))
		}
	}
	_, err := io.WriteString(a.Stdout, b.String())
	return err
}

// processTypes names process types: "process type web", "process types
// web, worker".
func processTypes(types []string) string {
	if len(types) == 1 {
		return "process type " + types[0]
	}
	return "process types " + strings.Join(types, ", ")
}

// describeChange reads like "worker 0 -> 1" or "web 2 -> 2, Standard-1X -> Performance-M".
func describeChange(c scaler.Change) string {
	s := fmt.Sprintf("%s %d -> %d", c.Type, c.From, c.To)
	if !scaler.SameSize(c.FromSize, c.ToSize) {
		s += fmt.Sprintf(", %s -> %s", c.FromSize, c.ToSize)
	}
	return s
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
