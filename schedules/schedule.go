package schedules

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Tier is the precedence of a rule: for one process type at one instant, a
// rule of a higher tier wins over the lower ones, so that holidays override
// the week and the week overrides the default.
type Tier int

// The tiers, lowest first.
const (
	// TierDefault is a `default` rule: in force whenever nothing else is.
	TierDefault Tier = iota
	// TierWeekly is a rule by weekday or `daily`.
	TierWeekly
	// TierDate is a rule by date or date range.
	TierDate
)

// String returns default, weekly or date.
func (t Tier) String() string {
	switch t {
	case TierDefault:
		return "default"
	case TierWeekly:
		return "weekly"
	case TierDate:
		return "date"
	}
	return "tier(" + strconv.Itoa(int(t)) + ")"
}

// Rule is one line of a schedule: what one process type should be during
// its windows. A window is a local day's [start, end) in the rule's zone.
type Rule struct {
	Line, Col int    // position of the rule's first token
	App       string // "" is the default app, which the caller names
	Type      string
	Quantity  int    // 1 for a once rule, 0 for a restart rule
	Size      string // canonical; "" keeps the size
	// Once marks a once rule (`nightly daily 02:00-05:00 once`): one dyno
	// of the type is started at most once per occurrence of its window,
	// rather than kept at Quantity while the window is open.
	Once bool
	// Restart marks a restart rule (`worker daily 01:00-01:30 restart`):
	// the type's dynos are restarted at most once per occurrence of its
	// window, so that Heroku's daily cycling, 24 hours after, stays out of
	// the rest of the day. It changes no quantity: a type may have restart
	// rules besides its scale rules, and they are kept apart (see
	// [Schedule.Restarts]).
	Restart bool
	// Rolling marks `restart:rolling`: the dynos restart one at a time,
	// each up before the next, for a type that must keep serving.
	Rolling bool
	Zone    *time.Location
	Text    string // the rule's source text, comment stripped, spaces folded
	Tier    Tier

	index       int   // position in Schedule.Rules: ties go to the first rule
	days        uint8 // weekly: 1<<time.Weekday for each day
	first, last day   // date: inclusive range
	start, end  int   // minutes after the local day's 00:00; start < end <= start+1440
	unchecked   bool  // follows a bad directive: kept out of the cross-rule checks
}

// covers reports whether the rule has a window starting on day d.
func (r *Rule) covers(d day) bool {
	switch r.Tier {
	case TierWeekly:
		return r.days&(1<<d.weekday()) != 0
	case TierDate:
		return r.first <= d && d <= r.last
	}
	return false
}

// neverVanishes reports whether the rule's window is a chance to act once
// (start a job, restart a type) rather than a level to hold, which a clock
// change must never take away: the minutes of its window that the clocks
// skip happen right after the gap (see zoneDay.window). It is the one
// place that says which kinds of rule keep their window whole.
func (r *Rule) neverVanishes() bool { return r.Once || r.Restart }

func (r *Rule) target() Target {
	return Target{App: r.App, Type: r.Type, Quantity: r.Quantity, Size: r.Size, Once: r.Once, Restart: r.Restart, Rolling: r.Rolling, Rule: r}
}

// sameTarget reports whether two rules (nil: not managed) ask for the same
// thing, so that passing from one to the other changes nothing. For once
// rules that is only half the story: two windows that touch are distinct
// occurrences even when they ask for the same thing (see group.segments).
func sameTarget(a, b *Rule) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Quantity == b.Quantity && a.Size == b.Size && a.Once == b.Once && a.Restart == b.Restart && a.Rolling == b.Rolling
}

// MarshalJSON writes the rule as its position, meaning and text; the zone
// is its IANA name. A restart rule has no quantity.
func (r *Rule) MarshalJSON() ([]byte, error) {
	q := &r.Quantity
	if r.Restart {
		q = nil // a restart changes no quantity: restart says the rule's kind
	}
	return json.Marshal(struct {
		Line     int    `json:"line"`
		Col      int    `json:"col"`
		App      string `json:"app"`
		Type     string `json:"type"`
		Quantity *int   `json:"quantity,omitempty"`
		Size     string `json:"size,omitempty"`
		Once     bool   `json:"once,omitempty"`
		Restart  bool   `json:"restart,omitempty"`
		Rolling  bool   `json:"rolling,omitempty"`
		Zone     string `json:"zone"`
		Tier     string `json:"tier"`
		Text     string `json:"text"`
	}{r.Line, r.Col, r.App, r.Type, q, r.Size, r.Once, r.Restart, r.Rolling, r.Zone.String(), r.Tier.String(), r.Text})
}

// Schedule is a parsed schedule. Its methods are pure functions of the
// instants passed in, and safe for concurrent use.
type Schedule struct {
	Rules []*Rule // in source order

	// groups are one per (app, type) with scale rules, and one per (app,
	// type) with restart rules, sorted by app, then type, the scale rules
	// first.
	groups []*group
}

// group is the scale rules of one (app, type), which share one zone and
// are all once rules or none; or its restart rules, in the same zone.
type group struct {
	app, typ string
	loc      *time.Location
	def      *Rule   // the first default rule, if any
	windowed []*Rule // the weekly and date rules, in source order
	// once: each window is an occurrence, a chance to act once: the rules
	// are once rules, or restart rules.
	once bool
	// restart: the rules are restart rules. The Schedule's methods for
	// formations (At, Changes, Closed, Report's charts) leave the group
	// out; those for restarts take only such groups.
	restart bool

	// steady: without its date rules, the type's target never changes, so
	// that far from its dates there is no edge to look for.
	steady bool
	// firstDate and lastDate bound the dates of the date rules, if any.
	firstDate, lastDate day
	hasDates            bool
}

// Target is what the schedule wants for one process type at an instant,
// or (Restart) one occurrence of a restart window.
//
// For a level rule (a quantity), Since is the edge in force: the last
// instant at or before t at which the type's target changed. Rules that
// follow each other and ask for the same target are one target, so their
// meeting is no edge. Until is the next instant at which the target
// changes. For a once rule, Since is the instant the window's occurrence
// in force opened and Until the instant it closes; two occurrences that
// touch (`daily 00:00-24:00 once`, or two once windows that abut) are
// distinct, each opening anew, while once windows of one target that
// overlap make one occurrence.
//
// Since and Until look at most [Horizon] local days away from t: Since is
// zero when the target has been in force since before that (a lone
// default has been in force since forever), Until is zero when it holds
// beyond it. [Schedule.At] fills both for every target, and so the
// report's InForce; in a [Change] only once targets carry them, the edges
// of level targets being the changes themselves.
type Target struct {
	App      string `json:"app"`
	Type     string `json:"type"`
	Quantity int    `json:"quantity"`       // 1 for a once target
	Size     string `json:"size,omitempty"` // "" keeps the size
	Once     bool   `json:"once,omitempty"` // start one dyno once per occurrence of the window
	// Restart is set for a restart window's occurrence, which [Schedule.At]
	// never returns: see [Schedule.Restarts].
	Restart bool      `json:"restart,omitempty"`
	Rolling bool      `json:"rolling,omitempty"` // restart one dyno at a time
	Since   time.Time `json:"since,omitzero"`    // in UTC
	Until   time.Time `json:"until,omitzero"`    // in UTC
	Rule    *Rule     `json:"rule"`              // the rule in force
}

// String returns QUANTITY or QUANTITY:SIZE, for a once target once or
// once:SIZE, and for a restart restart or restart:rolling, as the rules
// write them.
func (t *Target) String() string {
	switch {
	case t == nil:
		return "unmanaged"
	case t.Restart && t.Rolling:
		return "restart:rolling"
	case t.Restart:
		return "restart"
	}
	q := strconv.Itoa(t.Quantity)
	if t.Once {
		q = "once"
	}
	if t.Size != "" {
		return q + ":" + t.Size
	}
	return q
}

// IsWindow reports whether the target is a window to act in once per
// occurrence (once or restart) rather than a level to hold.
func (t *Target) IsWindow() bool { return t.Once || t.Restart }

// TypeName is how scaler names a schedule's process type, in its messages
// and in plan: web for the default app (App ""), other-app/web for another.
func TypeName(app, typ string) string {
	if app == "" {
		return typ
	}
	return app + "/" + typ
}

// Change is an instant at which one (app, type)'s target changes. For a
// once type, a window's occurrence opening or closing is a change, even
// when one occurrence closes as the next opens.
type Change struct {
	At   time.Time `json:"at"` // in UTC
	App  string    `json:"app"`
	Type string    `json:"type"`
	From *Target   `json:"from"` // nil: not managed (no rule in force)
	To   *Target   `json:"to"`
}

// Apps returns the distinct apps of the rules, in order of first
// appearance; "" is the default app.
func (s *Schedule) Apps() []string {
	var apps []string
	for _, r := range s.Rules {
		if !slices.Contains(apps, r.App) {
			apps = append(apps, r.App)
		}
	}
	return apps
}

// Types returns the process types the schedule names for app, sorted.
func (s *Schedule) Types(app string) []string {
	var types []string
	for _, r := range s.Rules {
		if r.App == app && !slices.Contains(types, r.Type) {
			types = append(types, r.Type)
		}
	}
	slices.Sort(types)
	return types
}

// buildGroups gathers the rules by (app, type), the restart rules apart.
// It runs after the checks, which guarantee one zone per group.
func (s *Schedule) buildGroups() {
	type key struct {
		app, typ string
		restart  bool
	}
	byKey := map[key]*group{}
	for _, r := range s.Rules {
		k := key{r.App, r.Type, r.Restart}
		g := byKey[k]
		if g == nil {
			g = &group{app: r.App, typ: r.Type, loc: r.Zone, restart: r.Restart}
			byKey[k] = g
			s.groups = append(s.groups, g)
		}
		g.once = r.Once || r.Restart
		switch r.Tier {
		case TierDefault:
			if g.def == nil {
				g.def = r
			}
			continue
		case TierDate:
			if !g.hasDates {
				g.firstDate, g.lastDate, g.hasDates = r.first, r.last, true
			}
			g.firstDate, g.lastDate = min(g.firstDate, r.first), max(g.lastDate, r.last)
		}
		g.windowed = append(g.windowed, r)
	}
	for _, g := range s.groups {
		g.steady = g.isSteady()
	}
	slices.SortFunc(s.groups, func(a, b *group) int {
		return cmp.Or(cmp.Compare(a.app, b.app), cmp.Compare(a.typ, b.typ), compareBool(a.restart, b.restart))
	})
}

// isSteady reports whether the group's weekly rules and default, without
// its date rules, keep one target forever. That is decided on the wall
// clock, and holds on DST days too: every window edge maps to an instant
// by one monotonic map, so windows that meet or overlap on the wall clock
// still meet or overlap in time. Once rules are steady only without weekly
// rules: a DST day moves the minutes of a once window that the clocks
// skip, and with them where occurrences open and close.
func (g *group) isSteady() bool {
	var weekly []*Rule
	for _, r := range g.windowed {
		if r.Tier == TierWeekly {
			weekly = append(weekly, r)
		}
	}
	switch {
	case len(weekly) == 0:
		return true
	case g.once:
		return false
	}
	for _, r := range weekly[1:] {
		if !sameTarget(r, weekly[0]) {
			return false
		}
	}
	if g.def != nil && sameTarget(g.def, weekly[0]) {
		return true
	}
	// Otherwise the weekly windows must cover the whole week. Week minutes
	// count from Sunday 00:00, and a window past the week's end wraps.
	type span struct{ lo, hi int }
	var spans []span
	for _, r := range weekly {
		for d := range 7 {
			if r.days&(1<<d) == 0 {
				continue
			}
			lo, hi := d*1440+r.start, d*1440+r.end
			if hi > weekMinutes {
				spans = append(spans, span{0, hi - weekMinutes})
				hi = weekMinutes
			}
			spans = append(spans, span{lo, hi})
		}
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.lo, b.lo) })
	covered := 0
	for _, sp := range spans {
		if sp.lo > covered {
			return false
		}
		covered = max(covered, sp.hi)
	}
	return covered >= weekMinutes
}

// String returns the schedule in canonical form: one rule per line in
// source order, columns aligned, with the timezone and app directives that
// the rules need. Parse reads it back to a schedule with the same rules and
// the same meaning.
func (s *Schedule) String() string {
	whens := make([]string, len(s.Rules))
	var typeW, whenW int
	ranged := false
	for i, r := range s.Rules {
		whens[i] = r.when()
		typeW = max(typeW, len(r.Type))
		whenW = max(whenW, len(whens[i]))
		ranged = ranged || r.hasRange()
	}
	var b strings.Builder
	zone, app := "UTC", ""
	for i, r := range s.Rules {
		if r.App != app {
			app = r.App
			fmt.Fprintf(&b, "app %s\n", app)
		}
		if name := r.Zone.String(); name != zone {
			zone = name
			fmt.Fprintf(&b, "timezone %s\n", zone)
		}
		fmt.Fprintf(&b, "%-*s %-*s ", typeW, r.Type, whenW, whens[i])
		if ranged {
			span := ""
			if r.hasRange() {
				span = Clock(r.start) + "-" + Clock(r.end)
			}
			fmt.Fprintf(&b, "%-11s ", span)
		}
		b.WriteString(r.quantity())
		b.WriteByte('\n')
	}
	return b.String()
}

// compareBool orders false before true.
func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func (r *Rule) hasRange() bool {
	return r.Tier != TierDefault && !(r.start == 0 && r.end == 1440)
}

func (r *Rule) quantity() string {
	t := r.target()
	return t.String()
}

// when returns the canonical WHEN of the rule.
func (r *Rule) when() string {
	switch r.Tier {
	case TierDefault:
		return "default"
	case TierDate:
		if r.first == r.last {
			return r.first.String()
		}
		return r.first.String() + ".." + r.last.String()
	}
	return weekdays(r.days)
}

// weekdays writes a set of days Monday first: runs of three days or more as
// ranges, the whole week as daily, and a single run over the weekend as a
// wrapping range (Fri-Mon).
func weekdays(set uint8) string {
	if set == 0x7f {
		return "daily"
	}
	has := func(i int) bool { return set&(1<<((i+1)%7)) != 0 } // i: 0 is Monday
	name := func(i int) string { return time.Weekday((i + 1) % 7).String()[:3] }
	// A single run that wraps from Sunday to Monday reads best as one range.
	if has(0) && has(6) {
		runs, first := 0, -1
		for i := range 7 {
			if has(i) && !has((i+6)%7) {
				runs, first = runs+1, i
			}
		}
		if n := 7 - first; runs == 1 {
			last := first
			for has((last + 1) % 7) {
				last = (last + 1) % 7
			}
			if n+last+1 >= 3 {
				return name(first) + "-" + name(last)
			}
		}
	}
	var parts []string
	for i := 0; i < 7; {
		if !has(i) {
			i++
			continue
		}
		j := i
		for j+1 < 7 && has(j+1) {
			j++
		}
		switch {
		case j-i >= 2:
			parts = append(parts, name(i)+"-"+name(j))
		case j == i+1:
			parts = append(parts, name(i), name(j))
		default:
			parts = append(parts, name(i))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}
