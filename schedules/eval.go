package schedules

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// At returns the targets in force at t for every (app, type) that a rule
// covers at t, sorted by app then type. An (app, type) with no rule in force
// at t is absent: the caller leaves it untouched.
func (s *Schedule) At(t time.Time) []Target {
	var out []Target
	for _, g := range s.groups {
		if r := g.at(t); r != nil {
			out = append(out, r.target())
		}
	}
	return out
}

// better reports whether r wins over best: a higher tier, or the same tier
// and an earlier line (rules of one tier that overlap ask for the same
// target, so the choice shows only in Target.Rule).
func better(r, best *Rule) bool {
	return best == nil || r.Tier > best.Tier || r.Tier == best.Tier && r.index < best.index
}

// at returns the rule in force at t, or nil.
func (g *group) at(t time.Time) *Rule {
	sec := t.Unix() // floor: boundaries are whole seconds
	d0 := localDay(t, g.loc)
	best := g.def
	// A window lasts at most a day and its start and end are monotonic in
	// wall time, so only the windows of the days around t's date can hold
	// t; one more day on each side covers a clock that went back past
	// midnight.
	for d := d0 - 2; d <= d0+1; d++ {
		var zd zoneDay
		mapped := false
		for _, r := range g.windowed {
			if !r.covers(d) || !better(r, best) {
				continue
			}
			if !mapped {
				zd, mapped = newZoneDay(g.loc, d), true
			}
			start, _ := zd.instant(r.start)
			end, _ := zd.instant(r.end)
			if start <= sec && sec < end {
				best = r
			}
		}
	}
	return best
}

// segment is a stretch of time from start (Unix seconds) to the next
// segment's start during which one rule (nil: none) is in force.
type segment struct {
	start int64
	rule  *Rule
}

type event struct {
	at    int64
	rule  int32 // index in group.windowed
	delta int32 // +1 a window opens, -1 it closes
}

// segments returns the rules in force over the local days [d0, d1] and a
// little around them, as a list of segments whose first one starts at
// math.MinInt64. It sweeps the windows' boundaries in time order.
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
			start, _ := zd.instant(r.start)
			end, _ := zd.instant(r.end)
			if start < end { // a window wholly inside a skipped hour is empty
				events = append(events, event{start, int32(i), 1}, event{end, int32(i), -1})
			}
		}
	}
	slices.SortFunc(events, func(a, b event) int { return cmp.Compare(a.at, b.at) })

	active := make([]int32, len(g.windowed))
	segs := []segment{{math.MinInt64, g.def}}
	for i := 0; i < len(events); {
		at := events[i].at
		for ; i < len(events) && events[i].at == at; i++ {
			active[events[i].rule] += events[i].delta
		}
		best := g.def
		for j, r := range g.windowed {
			if active[j] > 0 && (best == nil || r.Tier > best.Tier) {
				best = r
			}
		}
		if best != segs[len(segs)-1].rule {
			segs = append(segs, segment{at, best})
		}
	}
	return segs
}

// Changes returns every change in (from, to), strictly after from and
// before to, in time order, ties by app then type. A change is a change of
// target (quantity, size, or whether a rule is in force at all): passing
// from one rule to another that asks for the same target is not one.
func (s *Schedule) Changes(from, to time.Time) []Change {
	if !to.After(from) {
		return nil
	}
	lists := make([][]Change, len(s.groups))
	for i, g := range s.groups {
		lists[i] = g.changes(nil, g.segments(localDay(from, g.loc), localDay(to, g.loc)), from, to)
	}
	return mergeChanges(lists)
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

func (g *group) changes(out []Change, segs []segment, from, to time.Time) []Change {
	lo := from.Unix()
	// One Target per rule, shared by the changes of this call: a year of
	// changes would otherwise allocate two per change.
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
	for i := 1; i < len(segs); i++ {
		prev, cur := segs[i-1].rule, segs[i].rule
		if sameTarget(prev, cur) || segs[i].start <= lo {
			continue
		}
		at := time.Unix(segs[i].start, 0).UTC()
		if !at.Before(to) {
			break
		}
		out = append(out, Change{At: at, App: g.app, Type: g.typ, From: targetOf(prev), To: targetOf(cur)})
	}
	return out
}
