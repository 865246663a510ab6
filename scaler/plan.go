package scaler

import (
	"strings"
	"time"
)

// Change is one process type that a plan changes.
type Change struct {
	Type             string
	From, To         int
	FromSize, ToSize string
	// FromUpdatedAt is the process type's UpdatedAt when the plan was made.
	FromUpdatedAt time.Time
	// Send is the update that makes the change. A relative spec stays
	// relative, as it was given, even one that goes below zero (the
	// platform stops at zero): made absolute from the read, it would erase
	// the change of another client that wrote in between.
	Send Spec
}

// Plan is what it takes to go from an app's current formation to the one
// the specs ask for. Only process types that change are in Changes.
type Plan struct {
	App string
	// Specs are what was asked: a plan made again, after the formation
	// changed under it, starts from them.
	Specs   []Spec
	Changes []Change
	// Unchanged are the process types the specs name that are already as asked.
	Unchanged []Process
	// Kept are the process types that are not as asked, but were changed
	// after the schedule's edge in force (Spec.Keep): left as they are.
	Kept []Process
	// Current is the formation the plan was made from, every type of it.
	Current Formation
	// Version and ReadAt are those of the read the plan was made from (see
	// Read): its write is conditional on that version.
	Version string
	ReadAt  time.Time
	// Written is, once [Service.Apply] has carried out the changes, the
	// changed process types as the platform answered the write (or the
	// formation as read back after a lost answer): their updated_at is when
	// the change landed. Nil before, and for a plan without changes.
	Written Formation
}

// Updates returns the batch that carries out the plan.
func (p Plan) Updates() []Spec {
	u := make([]Spec, len(p.Changes))
	for i, c := range p.Changes {
		u[i] = c.Send
	}
	return u
}

// NewPlan compares the current formation with the specs. It returns an error
// wrapping ErrNotFound that lists the app's process types when a spec names
// one the app does not have.
func NewPlan(app string, current Formation, specs []Spec) (Plan, error) {
	p := Plan{App: app, Specs: specs, Current: current}
	var missing []string
	for _, s := range specs {
		cur, ok := current.Find(s.Type)
		if !ok {
			missing = append(missing, s.Type)
			continue
		}
		c := Change{
			Type: s.Type, From: cur.Quantity, To: cur.Quantity,
			FromSize: cur.Size, ToSize: cur.Size, FromUpdatedAt: cur.UpdatedAt,
			Send: Spec{Type: s.Type, Op: Resize},
		}
		switch s.Op {
		case Set:
			c.To = s.N
			if c.To != c.From {
				c.Send = Spec{Type: s.Type, Op: Set, N: s.N}
			}
		case Add:
			c.To = max(0, cur.Quantity+s.N)
			if c.To != c.From { // else already at zero
				c.Send = Spec{Type: s.Type, Op: Add, N: s.N}
			}
		case Start:
			if cur.Quantity > 0 || !cur.UpdatedAt.Before(s.After) {
				// It runs, or it has run in this window (or a person
				// changed it since the window opened): a job is started at
				// most once per window, and never resized as it runs.
				// Whether a release (a deploy that changes the type's
				// command) touches updated_at is unconfirmed; if it does,
				// a deploy in the window before the start counts as the
				// run: the side that never starts a job twice.
				p.Unchanged = append(p.Unchanged, cur)
				continue
			}
			c.To, c.Send = 1, Spec{Type: s.Type, Op: Set, N: 1}
		}
		if s.Size != "" && !SameSize(s.Size, cur.Size) {
			c.ToSize, c.Send.Size = s.Size, s.Size
		}
		switch {
		case c.Send.Op == Resize && c.Send.Size == "":
			p.Unchanged = append(p.Unchanged, cur)
			continue
		case s.Keep && !cur.UpdatedAt.Before(s.After):
			// Changed since the rule came into force, and not to what it
			// asks: someone decided. It holds until the next edge.
			p.Kept = append(p.Kept, cur)
			continue
		}
		p.Changes = append(p.Changes, c)
	}
	if len(missing) > 0 {
		return Plan{}, noProcessType(app, missing, current, "scaling")
	}
	return p, nil
}

// noProcessType is the error of an app that lacks the process types
// missing, which a command would be doing (scaling, restarting): it says
// the types the app has, or that it has none yet.
func noProcessType(app string, missing []string, have Formation, doing string) error {
	if len(have) == 0 {
		return Errorf(ErrNotFound, "app %s has no process types yet: deploy it, with a Procfile, before %s %s", app, doing, strings.Join(missing, ", "))
	}
	noun := "process type"
	if len(missing) > 1 {
		noun += "s"
	}
	return Errorf(ErrNotFound, "app %s has no %s %s (it has: %s)", app, noun, strings.Join(missing, ", "), strings.Join(have.Types(), ", "))
}

// untouched reports whether a process type read back from the platform
// proves that no write to it has landed since the plan's read: it is as it
// was (quantity, size, updated_at), and it was last changed before the
// second in which the plan's read was answered. Any write that lands after
// that answer sets updated_at to that second or a later one, so it cannot
// hide behind one-second timestamps, even when another write in the same
// second put the quantity back (leaning on the platform setting updated_at
// on every write, by the clock of its Date header). Without the platform's
// clock, nothing is proven.
func (c Change) untouched(p Process, readAt time.Time) bool {
	return p.Quantity == c.From && SameSize(p.Size, c.FromSize) && p.UpdatedAt.Equal(c.FromUpdatedAt) &&
		!readAt.IsZero() && c.FromUpdatedAt.Before(readAt.Truncate(time.Second))
}
