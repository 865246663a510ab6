package schedules

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"time"
)

// Horizon is how far, in local days, [Schedule.At] and the other methods
// look from an instant t for the edges of a target: [Target.Since] is zero
// when the target has not changed since the start of the local day Horizon
// days before t's, and [Target.Until] is zero when it does not change
// before the end of the local day Horizon days after t's. It is over a
// year, so that a holiday is seen from a year before.
const Horizon = 400

// At returns the targets in force at t for every (app, type) that a rule
// covers at t, sorted by app then type, each with the edges of the target
// (Since, Until). An (app, type) with no rule in force at t is absent: the
// caller leaves it untouched. Restart windows are not targets of the
// formation: see [Schedule.Restarts].
func (s *Schedule) At(t time.Time) []Target {
	var out []Target
	sec := t.Unix() // floor: edges are whole seconds
	for _, g := range s.groups {
		if g.restart {
			continue
		}
		r, since, until := g.spanAt(sec, localDay(t, g.loc))
		if r == nil {
			continue
		}
		tg := r.target()
		tg.Since, tg.Until = instant(since), instant(until)
		out = append(out, tg)
	}
	return out
}

// noSince and noUntil stand for an edge that is not within the horizon.
const (
	noSince = math.MinInt64
	noUntil = math.MaxInt64
)

// instant turns Unix seconds into a time in UTC, and noSince or noUntil
// into the zero time.
func instant(sec int64) time.Time {
	if sec == noSince || sec == noUntil {
		return time.Time{}
	}
	return time.Unix(sec, 0).UTC()
}

// better reports whether r wins over best: a higher tier, or the same tier
// and an earlier line (rules of one tier that overlap ask for the same
// target, so the choice shows only in Target.Rule).
func better(r, best *Rule) bool {
	return best == nil || r.Tier > best.Tier || r.Tier == best.Tier && r.index < best.index
}

// spanAt returns the rule in force at sec (Unix seconds; d0 is its local
// day) and the edges of its target: the last at or before sec and the next
// after it, or noSince and noUntil beyond the horizon.
func (g *group) spanAt(sec int64, d0 day) (rule *Rule, since, until int64) {
	if len(g.windowed) == 0 {
		return g.def, noSince, noUntil // a lone default, or nothing, forever
	}
	// How many local days around sec to sweep, widening step by step: most
	// edges are within the day, and a day is cheap.
	reach := [...]day{0, 2, 8, 32, 128, Horizon}
	back, ahead := 0, 0 // indexes in reach
	sinceOK, untilOK := false, false
	for {
		lo, hi := d0-reach[back], d0+reach[ahead]
		sw := g.sweep(lo, hi)
		i := segmentAt(sw.segs, sec)
		if rule = sw.segs[i].rule; rule == nil {
			return nil, noSince, noUntil
		}
		s, u, sOK, uOK := sw.edgesAround(i)
		switch {
		case sinceOK:
		case sOK:
			since, sinceOK = s, true
		case back == len(reach)-1 || g.settledBefore(lo):
			since, sinceOK = noSince, true
		default:
			back++
		}
		switch {
		case untilOK:
		case uOK:
			until, untilOK = u, true
		case ahead == len(reach)-1 || g.settledAfter(hi):
			until, untilOK = noUntil, true
		default:
			ahead++
		}
		if sinceOK && untilOK {
			return rule, since, until
		}
	}
}

// settledBefore reports whether the target never changes on the local days
// before lo: the type is steady and its date rules are all later.
func (g *group) settledBefore(lo day) bool {
	return g.steady && (!g.hasDates || g.firstDate-2 >= lo)
}

// settledAfter reports whether the target never changes on the local days
// after hi: the type is steady and its date rules are all earlier. A date
// window may end two days after its date (24:00 of a window that crosses
// midnight).
func (g *group) settledAfter(hi day) bool {
	return g.steady && (!g.hasDates || g.lastDate+3 <= hi)
}

// dayStart is the instant of 00:00 of local day d (the end of the gap when
// the clocks skip it).
func (g *group) dayStart(d day) int64 {
	zd := newZoneDay(g.loc, d)
	sec, _ := zd.instant(0)
	return sec
}

// segmentAt returns the index of the segment that holds sec.
func segmentAt(segs []segment, sec int64) int {
	i, _ := slices.BinarySearchFunc(segs, sec, func(sg segment, sec int64) int {
		return cmp.Compare(sg.start, sec+1)
	})
	return i - 1
}

// edge reports whether the target changes at the start of segment i (i >= 1):
// another target, or a new occurrence of a once window.
func edge(segs []segment, i int) bool {
	return segs[i].open || !sameTarget(segs[i-1].rule, segs[i].rule)
}

// segment is a stretch of time from start (Unix seconds) to the next
// segment's start during which one rule (nil: none) is in force.
type segment struct {
	start int64
	rule  *Rule
	// open: an occurrence of a once window opens at start, even if the
	// rule in force is the same as before (windows that touch).
	open bool
}

type event struct {
	at    int64
	rule  int32 // index in group.windowed
	delta int32 // +1 a window opens, -1 it closes
}

// segments returns the rules in force over the local days [d0, d1] and a
// little around them, as a list of segments whose first one starts at
// math.MinInt64. It sweeps the windows' boundaries in time order.
//
// For once rules it also finds where occurrences open. An occurrence is a
// stretch of time during which windows of one target follow each other
// without a break: windows that overlap make one occurrence, windows that
// touch (one closes as the other opens) make two. So at each instant the
// windows that close are taken out first: if nothing of the same target
// is left in force, whatever opens then is a new occurrence.
func (g *group) segments(d0, d1 day) []segment {
	// Count the windows first: a year of them is worth one allocation.
	n := 0
	for _, r := range g.windowed {
		lo, hi := d0-2, d1+1
		if r.Tier == TierDate {
			lo, hi = max(lo, r.first), min(hi, r.last)
		}
		n += max(0, int(hi-lo+1))
	}
	events := make([]event, 0, 2*n)
	for d := d0 - 2; d <= d1+1; d++ {
		var zd zoneDay
		mapped := false
		for i, r := range g.windowed {
			if !r.covers(d) {
				continue
			}
			if !mapped {
				zd, mapped = newZoneDay(g.loc, d), true
			}
			start, end, _ := g.window(&zd, r, d)
			if start < end { // a window wholly inside a skipped hour may be empty
				events = append(events, event{start, int32(i), 1}, event{end, int32(i), -1})
			}
		}
	}
	// Closings before openings at one instant: see above.
	slices.SortFunc(events, func(a, b event) int {
		return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.delta, b.delta))
	})

	active := make([]int32, len(g.windowed))
	best := func() *Rule {
		best := g.def
		for j, r := range g.windowed {
			if active[j] > 0 && better(r, best) {
				best = r
			}
		}
		return best
	}
	segs := make([]segment, 1, 1+len(events))
	segs[0] = segment{math.MinInt64, g.def, false}
	for i := 0; i < len(events); {
		at := events[i].at
		cur := segs[len(segs)-1].rule
		for ; i < len(events) && events[i].at == at && events[i].delta < 0; i++ {
			active[events[i].rule]--
		}
		var mid *Rule
		if g.once {
			mid = best()
		}
		for ; i < len(events) && events[i].at == at; i++ {
			active[events[i].rule]++
		}
		next := best()
		// An occurrence goes on if a window of its target stays in force.
		goesOn := mid != nil && sameTarget(cur, mid) && sameTarget(mid, next)
		open := g.once && next != nil && !goesOn
		if next != cur || open {
			segs = append(segs, segment{at, next, open})
		}
	}
	return segs
}

// window returns the instants [from, to) of rule r's window of local day
// d, whose zoneDay is zd: see zoneDay.window. The minutes that a window
// which never vanishes gets back after a gap give way to the windows of
// its type that come after it on the wall clock: those open as written,
// and the window closes as the first of them opens (cut is its rule), so
// that windows distinct on the wall clock stay distinct occurrences. A
// window that the clocks skip whole and that the next window meets at the
// gap's end is then empty: the job starts once, in that window.
func (g *group) window(zd *zoneDay, r *Rule, d day) (from, to int64, cut *Rule) {
	from, to = zd.window(r.start, r.end, r.neverVanishes())
	if end, _ := zd.instant(r.end); to == end {
		return from, to, nil
	}
	// The minutes given back last no longer than the gap, so the windows
	// that may open among them start on d, or on the two days after it
	// when the gap is near midnight.
	wallEnd := int64(d)*1440 + int64(r.end)
	for dd := d; dd <= d+2; dd++ {
		var next zoneDay
		mapped := false
		for _, o := range g.windowed {
			if !o.covers(dd) || int64(dd)*1440+int64(o.start) < wallEnd {
				continue
			}
			if !mapped {
				next, mapped = newZoneDay(g.loc, dd), true
			}
			if start, _ := next.instant(o.start); start < to {
				to, cut = start, o
			}
		}
	}
	return from, to, cut
}

// Changes returns every change in (from, to), strictly after from and
// before to, in time order, ties by app then type. A change is a change of
// target (quantity, size, or whether a rule is in force at all): passing
// from one rule to another that asks for the same target is not one. For
// a once type, each occurrence of a window opens with a change and closes
// with one, and its targets carry the occurrence's Since and Until.
// Restart windows change no target: see [Schedule.Restarts].
func (s *Schedule) Changes(from, to time.Time) []Change {
	if !to.After(from) {
		return nil
	}
	lists := make([][]Change, 0, len(s.groups))
	for _, g := range s.groups {
		if !g.restart {
			lists = append(lists, g.changes(nil, g.sweep(localDay(from, g.loc), localDay(to, g.loc)), from, to))
		}
	}
	return mergeChanges(lists)
}

// Restarts returns the occurrences of restart windows open at some instant
// of [from, to): the one in force at from, if any, and those that open
// after it, in order of opening, ties by app then type. Each occurrence
// is a chance to restart its type once: an occurrence holds t when
// Open <= t < Close. Windows that touch are two occurrences; restart
// windows of one type never overlap (Parse refuses it). A restart window
// never vanishes on a clock change, as a once window (see the package
// doc): the one that the clocks skip opens as the gap ends.
func (s *Schedule) Restarts(from, to time.Time) []Occurrence {
	return s.occurrences(from, to, true)
}

// sweep is the segments of a group over the local days [d0, d1], which
// are exact for the instants of those days, [first, last).
type sweep struct {
	segs        []segment
	first, last int64
}

func (g *group) sweep(d0, d1 day) sweep {
	return sweep{g.segments(d0, d1), g.dayStart(d0), g.dayStart(d1 + 1)}
}

// edgesAround returns the edges of the target of segment i that the sweep
// gives exactly: the last at or before the segment's start, and the next
// after it, each with whether it was found.
func (sw sweep) edgesAround(i int) (since, until int64, sinceOK, untilOK bool) {
	for j := i; j >= 1 && sw.segs[j].start >= sw.first; j-- {
		if edge(sw.segs, j) {
			since, sinceOK = sw.segs[j].start, true
			break
		}
	}
	for j := i + 1; j < len(sw.segs) && sw.segs[j].start < sw.last; j++ {
		if edge(sw.segs, j) {
			until, untilOK = sw.segs[j].start, true
			break
		}
	}
	return since, until, sinceOK, untilOK
}

// Occurrence is one occurrence of a once rule's window, the stretch of time
// in which `scaler apply` may start the type's job, once; or of a restart
// rule's window, in which it may restart the type's dynos, once.
type Occurrence struct {
	App   string    `json:"app"`
	Type  string    `json:"type"`
	Open  time.Time `json:"open"`  // in UTC; zero if it opened over Horizon days before Close
	Close time.Time `json:"close"` // in UTC
	Rule  *Rule     `json:"rule"`  // the rule in force when it opened
	// NoRun is set, for a restart window in a report whose Scheduler is
	// set (see [Report.SetScheduler]), when no run of Scheduler falls in
	// it: apply never restarts its type then.
	NoRun bool `json:"no_run,omitempty"`
	// Idle is set, for a restart window in a report, when the type's own
	// rules hold it at 0 as the window opens (IdleLine): apply leaves it
	// alone.
	Idle     bool `json:"idle,omitempty"`
	IdleLine int  `json:"idle_line,omitempty"`
}

// Target returns the occurrence as its rule's target, with its edges.
func (o Occurrence) Target() Target {
	t := o.Rule.target()
	t.Since, t.Until = o.Open, o.Close
	return t
}

// Closed returns the occurrences of once windows that closed in
// (from, to], in time order, ties by app then type. An occurrence that
// closed as the next one opened is listed, and so is a window that the
// clocks skip: it opened when the gap ended (02:00-02:30 is 03:00-03:30 on
// a day that skips 02:00-03:00). Restart windows are not listed: see
// [Schedule.Restarts].
func (s *Schedule) Closed(from, to time.Time) []Occurrence {
	if !to.After(from) {
		return nil
	}
	var out []Occurrence
	for _, g := range s.groups {
		if !g.once || g.restart {
			continue
		}
		sw := g.sweep(localDay(from, g.loc), localDay(to, g.loc))
		opened := -1 // the segment at which the occurrence in force opened, if known
		for i := 1; i < len(sw.segs); i++ {
			sg := sw.segs[i]
			if !edge(sw.segs, i) {
				continue
			}
			if sg.start < sw.first {
				opened = -1 // the segments before first are not exact
				continue
			}
			at := time.Unix(sg.start, 0)
			if at.After(to) {
				break
			}
			if prev := sw.segs[i-1].rule; prev != nil && at.After(from) {
				o := Occurrence{App: g.app, Type: g.typ, Close: at.UTC()}
				if opened >= 0 {
					o.Open, o.Rule = time.Unix(sw.segs[opened].start, 0).UTC(), sw.segs[opened].rule
				} else {
					_, since, _ := g.spanAt(sg.start-1, localDay(at.Add(-time.Second), g.loc))
					o.Open, o.Rule = instant(since), prev
					if since != noSince {
						o.Rule, _, _ = g.spanAt(since, localDay(o.Open, g.loc))
					}
				}
				out = append(out, o)
			}
			opened = -1
			if sg.rule != nil {
				opened = i
			}
		}
	}
	// The groups are sorted by app and type: a stable sort by time keeps
	// that order for the ties.
	sort.SliceStable(out, func(i, j int) bool { return out[i].Close.Before(out[j].Close) })
	return out
}

// mergeChanges merges the changes of the groups, each in time order, into
// one list by instant, then app, then type: the groups are sorted by app
// and type, so the first group with the earliest head goes first. It is a
// merge rather than a sort: a year of a fleet is tens of thousands of
// changes over a few dozen groups.
func mergeChanges(lists [][]Change) []Change {
	n := 0
	for _, l := range lists {
		n += len(l)
	}
	out := make([]Change, 0, n)
	heads := make([]int, len(lists))
	for len(out) < n {
		best := -1
		var bestAt int64
		for i, l := range lists {
			if heads[i] == len(l) {
				continue
			}
			// Changes fall on whole seconds, so Unix seconds order them.
			if at := l[heads[i]].At.Unix(); best < 0 || at < bestAt {
				best, bestAt = i, at
			}
		}
		out = append(out, lists[best][heads[best]])
		heads[best]++
	}
	return out
}

// changes appends the group's changes in (from, to) to out. The targets
// of level rules are shared, one per rule: a year of changes would
// otherwise allocate two per change. A once target is one per occurrence,
// with its Since and Until.
func (g *group) changes(out []Change, sw sweep, from, to time.Time) []Change {
	segs := sw.segs
	lo := from.Unix()
	targets := map[*Rule]*Target{}
	targetOf := func(r *Rule) *Target {
		if r == nil {
			return nil
		}
		t, ok := targets[r]
		if !ok {
			tt := r.target()
			t = &tt
			targets[r] = t
		}
		return t
	}
	var occ *Target // the occurrence in force before the edge, once known
	known := false
	for i := 1; i < len(segs); i++ {
		prev, cur := segs[i-1].rule, segs[i].rule
		if !edge(segs, i) || segs[i].start <= lo {
			continue
		}
		at := time.Unix(segs[i].start, 0).UTC()
		if !at.Before(to) {
			break
		}
		if !g.once {
			out = append(out, Change{At: at, App: g.app, Type: g.typ, From: targetOf(prev), To: targetOf(cur)})
			continue
		}
		// The occurrence that closes is the one that opened at the last
		// change; before the first, it is looked for.
		if !known && prev != nil {
			occ = g.occurrence(sw, i-1, segs[i].start-1)
		}
		c := Change{At: at, App: g.app, Type: g.typ, From: occ}
		occ, known = nil, true
		if cur != nil {
			occ = g.occurrence(sw, i, segs[i].start)
		}
		c.To = occ
		out = append(out, c)
	}
	return out
}

// occurrence returns the target of the once occurrence of segment i, with
// its edges: from the sweep when it has them exactly, else from spanAt at
// sec, an instant of the segment.
func (g *group) occurrence(sw sweep, i int, sec int64) *Target {
	t := sw.segs[i].rule.target()
	since, until, sinceOK, untilOK := sw.edgesAround(i)
	if !sinceOK || !untilOK {
		_, s, u := g.spanAt(sec, localDay(time.Unix(sec, 0), g.loc))
		if !sinceOK {
			since = s
		}
		if !untilOK {
			until = u
		}
	}
	t.Since, t.Until = instant(since), instant(until)
	return &t
}
