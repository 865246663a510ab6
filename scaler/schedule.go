package scaler

import (
	"strconv"
	"time"
)

// Schedule is what the domain needs of a schedule: the process types it
// owns, what it wants of them at an instant, and the occurrences of its
// job windows. Every instant is one of the platform's clock (see [Clock]).
// Package schedules provides it (schedules.Fleet); its methods are pure,
// and safe for concurrent use.
type Schedule interface {
	// Types returns the process types that the schedule names for app,
	// sorted, each with how it keeps them and the zone of their rules.
	Types(app string) []Owned
	// Wants returns what the schedule wants of app's process types at t,
	// one per type that a rule covers at t, sorted by type. A type absent
	// is left alone.
	Wants(app string, t time.Time) []Want
	// Windows returns the occurrences of app's job windows that are open at
	// some instant of [from, to), in order of opening, ties by type.
	Windows(app string, from, to time.Time) []Window
	// Restarts returns the occurrences of app's restart windows that are
	// open at some instant of [from, to), in order of opening, ties by
	// type: the windows in which apply restarts a type's dynos, once.
	Restarts(app string, from, to time.Time) []Window
}

// WantKind is how a schedule keeps a process type.
type WantKind int

// The kinds of want.
const (
	// Level keeps the type at a quantity (and size) while a rule is in
	// force.
	Level WantKind = iota
	// Once starts one dyno of the type, its job, at most once per
	// occurrence of a window, and never stops it.
	Once
)

// String returns level or once.
func (k WantKind) String() string {
	switch k {
	case Level:
		return "level"
	case Once:
		return "once"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Owned is a process type that a schedule owns.
type Owned struct {
	Type string
	Kind WantKind
	// Zone is the zone of the type's rules: times are said in it.
	Zone *time.Location
}

// RuleRef is the line of a schedule that a want comes from.
type RuleRef struct {
	Line int
	Text string // "web Mon-Fri 08:00-20:00 3"
	// Zone is the rule's time zone: times are said in it. Nil means UTC.
	Zone *time.Location
}

// Want is what a schedule wants of one process type at an instant.
type Want struct {
	Type string
	Kind WantKind
	N    int    // the quantity; 1 for a job's window
	Size string // canonical; "" keeps the size
	// Since is the edge in force, the last instant at or before the
	// instant at which the type's target changed; for a job's window, when
	// its occurrence opened. Until is the next edge; for a window, when its
	// occurrence closes. Either is zero when it is beyond the schedule's
	// reach: a lone default has neither.
	Since, Until time.Time
	Rule         RuleRef
}

// Target returns the want as the schedule writes it: 3, 1:Standard-2X,
// once or once:Performance-L.
func (w Want) Target() string {
	q := strconv.Itoa(w.N)
	if w.Kind == Once {
		q = "once"
	}
	if w.Size != "" {
		return q + ":" + w.Size
	}
	return q
}

// Describe says the want in words: "1 dyno", "3 dynos of Standard-2X", "its
// job's window".
func (w Want) Describe() string {
	if w.Kind == Once {
		if w.Size != "" {
			return "its job's window, on " + w.Size
		}
		return "its job's window"
	}
	s := strconv.Itoa(w.N) + " dyno"
	if w.N != 1 {
		s += "s"
	}
	if w.Size != "" {
		s += " of " + w.Size
	}
	return s
}

// Window is one occurrence of a job's window, the stretch of time in which
// apply may start the type's job, once; or of a restart window, in which
// it may restart the type's dynos, once.
type Window struct {
	App, Type string
	// Open is zero when the occurrence opened beyond the schedule's reach,
	// Close when it closes beyond it.
	Open, Close time.Time
	Rule        RuleRef
	// Rolling is, for a restart window, to restart the dynos one at a
	// time, each up before the next.
	Rolling bool
}

// Specs returns the specs that carry out wants, in their order. A level
// want is a Set; unless enforce, it keeps a type changed since its edge
// (Spec.Keep), but only between two edges: without an edge behind it (a
// lone default) no change can be told from the schedule's own, and without
// one ahead (a date rule that ended a year ago, and a default ever since) a
// kept change would be kept for ever. A job's window is a Start, once per
// occurrence, from its opening; one that never opened (windows that overlap
// without end) starts nothing.
func Specs(wants []Want, enforce bool) []Spec {
	specs := make([]Spec, 0, len(wants))
	for _, w := range wants {
		s := Spec{Type: w.Type, Op: Set, N: w.N, Size: w.Size, After: w.Since}
		switch w.Kind {
		case Once:
			// With Since zero, After is too: no updated_at is before it,
			// so nothing is started.
			s.Op, s.N = Start, 1
		default:
			s.Keep = !enforce && !w.Since.IsZero() && !w.Until.IsZero()
		}
		specs = append(specs, s)
	}
	return specs
}
