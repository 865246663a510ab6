package schedules

import "fmt"

const weekMinutes = 7 * 1440

// check finds the mistakes that take more than one rule: rules of one
// (app, type) in different zones, once rules mixed with other rules, rules
// of one tier that ask for different things at the same time, and restart
// windows of one type that overlap. Overlaps are computed exactly, in the
// local wall-clock minutes the rules are written in: weekly rules over a
// week that wraps around, date rules over their dates; a window that
// crosses midnight spills into the next day.
func check(rules []*Rule, errs *ErrorList) {
	byKey := map[[2]string][]*Rule{}
	var keys [][2]string
	for _, r := range rules {
		if r.unchecked {
			continue
		}
		k := [2]string{r.App, r.Type}
		if byKey[k] == nil {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], r)
	}
	for _, k := range keys {
		checkGroup(byKey[k], errs)
	}
}

func checkGroup(rules []*Rule, errs *ErrorList) {
	zone := rules[0]
	var same, restarts []*Rule // the scale rules, the restart rules
	var once *Rule             // the first once rule
	for _, r := range rules {
		if r.Zone.String() != zone.Zone.String() {
			errs.add(r.Line, r.Col, "%s is in time zone %s but line %d (%s) is in %s: the rules of one process type must share a time zone",
				r.Text, r.Zone, zone.Line, zone.Text, zone.Zone)
			continue
		}
		// A restart would cut a once type's job, which runs once and
		// stops.
		var cut *Rule
		switch {
		case r.Restart && once != nil:
			cut = once
		case r.Once && len(restarts) > 0:
			cut = restarts[0]
		}
		if cut != nil {
			errs.add(r.Line, r.Col, "%s conflicts with line %d (%s): a process type with once rules may have no restart window, which would cut its job while it runs",
				r.Text, cut.Line, cut.Text)
			continue
		}
		if r.Restart {
			restarts = append(restarts, r)
			continue
		}
		// A level rule would scale a once type's job down while it runs,
		// or up again after it finished.
		if len(same) > 0 && r.Once != same[0].Once {
			errs.add(r.Line, r.Col, "%s conflicts with line %d (%s): a process type with once rules may have no other kind of rule, which would scale its job while it runs",
				r.Text, same[0].Line, same[0].Text)
			continue
		}
		if r.Once && once == nil {
			once = r
		}
		same = append(same, r)
	}
	for j, b := range same {
		for _, a := range same[:j] {
			if a.Tier != b.Tier || sameTarget(a, b) {
				continue
			}
			if a.Tier == TierDefault {
				errs.add(b.Line, b.Col, "%s conflicts with line %d (%s): a process type has one default", b.Text, a.Line, a.Text)
				continue
			}
			if where, ok := overlap(a, b); ok {
				errs.add(b.Line, b.Col, "%s overlaps line %d (%s) on %s", b.Text, a.Line, a.Text, where)
			}
		}
	}
	// Restart windows of any tiers: each occurrence restarts the type once,
	// and windows that overlap would be occurrences that a higher tier cuts
	// into pieces, or one longer than either; either way not what a person
	// counted on.
	for j, b := range restarts {
		for _, a := range restarts[:j] {
			if where, ok := overlap(a, b); ok {
				errs.add(b.Line, b.Col, "%s overlaps line %d (%s) on %s: the restart windows of a process type may not overlap, since each restarts it once",
					b.Text, a.Line, a.Text, where)
			}
		}
	}
}

// overlap returns where two windowed rules first overlap, if they do.
func overlap(a, b *Rule) (string, bool) {
	switch {
	case a.Tier == TierWeekly && b.Tier == TierWeekly:
		return weeklyOverlap(a, b)
	case a.Tier == TierDate && b.Tier == TierDate:
		return dateOverlap(a, b)
	case a.Tier == TierWeekly && b.Tier == TierDate:
		return mixedOverlap(a, b)
	case a.Tier == TierDate && b.Tier == TierWeekly:
		return mixedOverlap(b, a)
	}
	return "", false
}

// weeklyOverlap returns the first overlap, Monday first, of two weekly
// rules, in week minutes with the week wrapping around.
func weeklyOverlap(a, b *Rule) (string, bool) {
	best, bestLen := -1, 0
	for i := range 7 {
		if a.days&(1<<((i+1)%7)) == 0 {
			continue
		}
		a0, a1 := i*1440+a.start, i*1440+a.end
		for j := range 7 {
			if b.days&(1<<((j+1)%7)) == 0 {
				continue
			}
			for _, shift := range []int{-weekMinutes, 0, weekMinutes} {
				b0, b1 := j*1440+b.start+shift, j*1440+b.end+shift
				lo, hi := max(a0, b0), min(a1, b1)
				if lo >= hi {
					continue
				}
				lo = int(floorMod(int64(lo), weekMinutes))
				if best < 0 || lo < best {
					best, bestLen = lo, hi-max(a0, b0)
				}
			}
		}
	}
	if best < 0 {
		return "", false
	}
	d := best / 1440
	return fmt.Sprintf("%s %s", dayName(d), span(best%1440, bestLen)), true
}

// dateOverlap returns the first overlap of two date rules. Windows last at
// most a day, so a window of day D can meet only those of D-1, D and D+1.
func dateOverlap(a, b *Rule) (string, bool) {
	found := false
	var bestDay day
	var bestStart, bestLen int
	for delta := day(-1); delta <= 1; delta++ {
		// a's window of day D against b's window of day D+delta.
		lo, hi := max(a.first, b.first-delta), min(a.last, b.last-delta)
		if lo > hi {
			continue
		}
		s, e := max(a.start, int(delta)*1440+b.start), min(a.end, int(delta)*1440+b.end)
		if s >= e {
			continue
		}
		d := lo + day(floorDiv(int64(s), 1440))
		m := int(floorMod(int64(s), 1440))
		if !found || d < bestDay || d == bestDay && m < bestStart {
			found, bestDay, bestStart, bestLen = true, d, m, e-s
		}
	}
	if !found {
		return "", false
	}
	return fmt.Sprintf("%s %s", bestDay, span(bestStart, bestLen)), true
}

// mixedOverlap returns the first overlap of a weekly rule w and a date
// rule d: the first date of d whose window meets a window of w, on that
// date or the days around it. Whether it does depends on the date's
// weekday only, so a week of d's dates is enough.
func mixedOverlap(w, d *Rule) (string, bool) {
	for dd := d.first; dd <= d.last && dd < d.first+7; dd++ {
		found, bestStart, bestLen := false, 0, 0
		for delta := day(-1); delta <= 1; delta++ {
			if !w.covers(dd + delta) {
				continue
			}
			s, e := max(d.start, int(delta)*1440+w.start), min(d.end, int(delta)*1440+w.end)
			if s < e && (!found || s < bestStart) {
				found, bestStart, bestLen = true, s, e-s
			}
		}
		if found {
			at := dd + day(floorDiv(int64(bestStart), 1440))
			return fmt.Sprintf("%s %s", at, span(int(floorMod(int64(bestStart), 1440)), bestLen)), true
		}
	}
	return "", false
}

// span writes an interval of a day: 18:00-20:00, or 22:00-02:00 when it
// runs past midnight.
func span(start, length int) string { return Clock(start) + "-" + Clock(start+length) }

// dayName names a day of the week counted from Monday.
func dayName(i int) string { return [...]string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}[i] }
