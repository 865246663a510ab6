package schedules

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/scalerdev/scaler/scaler"
)

// DSTEffect is what a clock change does to one window of one rule on one
// day when the wall clock does not show the window as it is written: the
// clocks skip an edge of it, or (for a window that never vanishes, such as
// a once window) it gets back the minutes the clocks skip. A window that
// merely spans the skipped interval, or the repeated one, opens and closes
// as written on the wall clock, and has none.
type DSTEffect struct {
	App  string `json:"app"`
	Type string `json:"type"`
	Line int    `json:"line"` // of the rule
	Rule string `json:"rule"` // its text
	// Date is the local date of the window, the day it opens on as
	// written; a window that crosses midnight may meet the change the day
	// after.
	Date string `json:"date"`
	// Effect is empty (a window wholly in the skipped interval), shortened
	// (an edge in it happens when it ends), moved (a once window, whose
	// skipped minutes come right after the gap) or absorbed (a once window
	// moved to where the next window of its type opens: one start for
	// both, in that window).
	Effect string `json:"effect"`
	// Warning is set when the window does not happen as written that day:
	// empty, shortened or absorbed. A moved window does, later.
	Warning bool `json:"warning"`
	// Window is the window that day on the wall clock, HH:MM-HH:MM; Open
	// and Close are its instants in UTC. All are zero when it is empty.
	Window string    `json:"window,omitempty"`
	Open   time.Time `json:"open,omitzero"`
	Close  time.Time `json:"close,omitzero"`
	// With is, for an absorbed window, the line of the rule whose window
	// it is absorbed by.
	With       int        `json:"with_line,omitempty"`
	Transition Transition `json:"transition"`
	Message    string     `json:"message"` // for a person
	// shorter is, for a window shortened, how much shorter than written
	// it is.
	shorter time.Duration
}

// The effects of a [DSTEffect].
const (
	EffectEmpty     = "empty"
	EffectShortened = "shortened"
	EffectMoved     = "moved"
	EffectAbsorbed  = "absorbed"
)

// Transitions returns the clock changes in [from, to) of the zones the
// rules use, in time order, ties by zone.
func (s *Schedule) Transitions(from, to time.Time) []Transition {
	out := []Transition{}
	var zones []string
	for _, g := range s.groups {
		if slices.Contains(zones, g.loc.String()) {
			continue
		}
		zones = append(zones, g.loc.String())
		out = append(out, transitions(g.loc, from, to)...)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		return cmp.Or(a.At.Compare(b.At), strings.Compare(a.Zone, b.Zone)) < 0
	})
	return out
}

// DSTEffects returns what the clock changes in [from, to) do to the
// windows of the rules, one per rule and day: in the order of the changes,
// then by app, line and date. Only a change that skips an interval has
// effects: on a day that repeats one, every window opens and closes as
// written, at the first occurrence of a repeated wall time.
func (s *Schedule) DSTEffects(from, to time.Time) []DSTEffect {
	out := []DSTEffect{}
	for _, g := range s.groups {
		type key struct {
			r *Rule
			d day
		}
		var seen map[key]bool // a window near two changes is said once
		for _, tr := range transitions(g.loc, from, to) {
			if tr.Kind != "skips" || len(g.windowed) == 0 {
				continue
			}
			gapDay, _ := parseDate(tr.Date)
			// A window lasts less than two days: those of the day before
			// may reach the gap.
			for d := gapDay - 1; d <= gapDay; d++ {
				zd := newZoneDay(g.loc, d)
				for _, r := range g.windowed {
					if !r.covers(d) || seen[key{r, d}] {
						continue
					}
					if e, ok := g.effect(&zd, r, d, tr); ok {
						if seen == nil {
							seen = map[key]bool{}
						}
						seen[key{r, d}] = true
						out = append(out, e)
					}
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		return cmp.Or(a.Transition.At.Compare(b.Transition.At), strings.Compare(a.App, b.App),
			cmp.Compare(a.Line, b.Line), strings.Compare(a.Date, b.Date)) < 0
	})
	return out
}

// effect returns what tr does to rule r's window of day d, if anything:
// when the clocks skip an edge of the window and it is shorter for it
// (an edge at the very start of the gap, such as the end of 22:00-02:00,
// is on time), or when it gets skipped minutes back.
func (g *group) effect(zd *zoneDay, r *Rule, d day, tr Transition) (DSTEffect, bool) {
	open, close, cut := g.window(zd, r, d)
	start, startExists := zd.instant(r.start)
	end, endExists := zd.instant(r.end)
	shorter := (!startExists || !endExists) && close-open < int64(r.end-r.start)*60
	if !shorter && open == start && close == end {
		return DSTEffect{}, false
	}
	e := DSTEffect{
		App: g.app, Type: g.typ, Line: r.Line, Rule: r.Text, Date: d.String(), Transition: tr,
	}
	switch {
	case open >= close && cut != nil:
		e.Effect, e.Warning, e.With = EffectAbsorbed, true, cut.Line
	case open >= close:
		e.Effect, e.Warning = EffectEmpty, true
	case r.neverVanishes():
		e.Effect = EffectMoved
	default:
		e.Effect, e.Warning = EffectShortened, true
	}
	if open < close {
		// The window as the wall clock shows it, in minutes from d's 00:00.
		wall := func(sec int64) int {
			_, off := time.Unix(sec, 0).In(g.loc).Zone()
			return int((sec + int64(off) - int64(d)*86400) / 60)
		}
		e.Window = Clock(wall(open)) + "-" + Clock(wall(close))
		e.Open, e.Close = time.Unix(open, 0).UTC(), time.Unix(close, 0).UTC()
		e.shorter = time.Duration(int64(r.end-r.start)*60-(close-open)) * time.Second
	}
	what, tail := e.Says()
	e.Message = fmt.Sprintf("%s (line %d) %s on %s %s: %s %s %s-%s%s", r.Text, r.Line, what,
		d.weekday().String()[:3], e.Date, tr.Zone, tr.Kind, tr.From, tr.To, tail)
	return e, true
}

// Says says the effect for a person, as Message and plan's text word it,
// without the rule, the date and the clock change: what happens to the
// window ("is shortened by 30 minutes to 03:00-03:30": by how much, since
// a window whose end the clocks skip, 23:00-02:30, ends later on the wall
// clock, at 03:00, and is shorter all the same), and what follows from
// it, if anything (", and ...").
func (e DSTEffect) Says() (what, tail string) {
	switch e.Effect {
	case EffectEmpty:
		return "is empty", ""
	case EffectShortened:
		return "is shortened by " + scaler.Lasting(e.shorter.Hours()) + " to " + e.Window, ""
	case EffectAbsorbed:
		return "has no window of its own", fmt.Sprintf(", and the window of line %d opens as the gap ends: one start for both", e.With)
	}
	return "moves to " + e.Window, ""
}
