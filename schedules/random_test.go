package schedules

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// The zones of the random schedules, each with dates a few days before its
// clock changes of 2026: the two zones of the spec, one whose clocks move
// by half an hour, and one whose clocks change at midnight.
var randomZones = []struct {
	name  string
	dates []string
}{
	{"UTC", []string{"2026-12-27"}},
	{"Europe/Berlin", []string{"2026-03-27", "2026-10-23"}},
	{"America/New_York", []string{"2026-03-06", "2026-10-30"}},
	{"Australia/Lord_Howe", []string{"2026-04-03", "2026-10-02"}},
	{"America/Santiago", []string{"2026-04-03", "2026-09-04"}},
}

// randomZone picks the zone of the nth schedule and a date near a change.
func randomZone(rng *rand.Rand, n int) (string, day) {
	z := randomZones[n%len(randomZones)]
	d, _ := parseDate(z.dates[rng.IntN(len(z.dates))])
	return z.name, d
}

// TestRandomSchedules checks the evaluation and the overlap checks against
// slow reference implementations on random schedules: the reference maps
// wall times by scanning the zone minute by minute, and finds overlaps by
// marking every wall-clock minute.
func TestRandomSchedules(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	accepted, refused := 0, 0
	for n := range 400 {
		zone, base := randomZone(rng, n)
		src := randomSchedule(rng, zone, base)
		s, err := Parse(src)
		conflict := referenceConflict(t, src)
		if err != nil {
			refused++
			if !conflict {
				t.Fatalf("Parse refused a schedule without conflicts: %v\n%s", err, src)
			}
			var list ErrorList
			errors.As(err, &list)
			for _, e := range list {
				if !strings.Contains(e.Msg, "overlaps line") && !strings.Contains(e.Msg, "one default") {
					t.Fatalf("unexpected error %v\n%s", e, src)
				}
			}
			continue
		}
		accepted++
		if conflict {
			t.Fatalf("Parse accepted a schedule with a conflict:\n%s", src)
		}
		loc, _ := loadZone(zone)
		start := time.Unix(int64(base)*86400, 0).Add(-24 * time.Hour)
		cache := map[int64]int64{}
		for _, at := range sampleAround(rng, s, loc, base, cache) {
			want := referenceAt(s, loc, at, cache)
			if got := render(s.At(at)); got != want {
				t.Fatalf("At(%v) = %q, want %q (local %v)\n%s", at, got, want, at.In(loc), src)
			}
		}
		// Changes agree with At just before and at each change.
		for _, c := range s.Changes(start, start.Add(10*24*time.Hour)) {
			if got := render(s.At(c.At)); !strings.Contains(" "+got+" ", " "+c.Type+"="+c.To.String()+"@") && c.To != nil {
				t.Fatalf("change %v %s -> %s, but At gives %s\n%s", c.At, c.Type, c.To, got, src)
			}
		}
	}
	if accepted < 100 || refused < 50 {
		t.Errorf("accepted %d and refused %d random schedules: the generator should exercise both", accepted, refused)
	}
}

// sampleAround returns instants where a schedule is likely to go wrong:
// just before, at and just after every window edge (found by the
// reference), and random ones.
func sampleAround(rng *rand.Rand, s *Schedule, loc *time.Location, base day, cache map[int64]int64) []time.Time {
	var ts []time.Time
	for _, r := range s.Rules {
		for d := base - 2; d <= base+10; d++ {
			if !r.covers(d) {
				continue
			}
			for _, m := range []int{r.start, r.end} {
				edge := referenceInstant(loc, int64(d)*86400+int64(m)*60, cache)
				for _, delta := range []int64{-1, 0, 1, 1799} {
					ts = append(ts, time.Unix(edge+delta, 0))
				}
			}
		}
	}
	start := time.Unix(int64(base)*86400, 0).Add(-24 * time.Hour)
	for range 30 {
		ts = append(ts, start.Add(time.Duration(rng.IntN(10*24*3600))*time.Second))
	}
	return ts
}

// TestRandomOverlaps checks the overlap checks alone, on many more
// schedules than TestRandomSchedules.
func TestRandomOverlaps(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := range 3000 {
		zone, base := randomZone(rng, n)
		src := randomSchedule(rng, zone, base)
		_, err := Parse(src)
		if conflict := referenceConflict(t, src); conflict != (err != nil) {
			t.Fatalf("Parse error = %v, want a conflict: %v\n%s", err, conflict, src)
		}
	}
}

func randomSchedule(rng *rand.Rand, zone string, base day) string {
	var b strings.Builder
	fmt.Fprintf(&b, "timezone %s\n", zone)
	for _, typ := range []string{"web", "worker"}[:1+rng.IntN(2)] {
		for range 1 + rng.IntN(4) {
			b.WriteString(typ + " ")
			switch k := rng.IntN(10); {
			case k == 0:
				fmt.Fprintf(&b, "default %d\n", rng.IntN(3))
				continue
			case k < 6:
				// Few days, often at the week's ends, so that windows wrap.
				set := uint8(1<<rng.IntN(7) | 1<<rng.IntN(7))
				if rng.IntN(3) == 0 {
					set = uint8(1 + rng.IntN(127))
				}
				b.WriteString(weekdays(set))
			default:
				first := base + day(rng.IntN(8))
				last := first + day(rng.IntN(3))
				fmt.Fprintf(&b, "%s..%s", first, last)
			}
			if rng.IntN(5) > 0 {
				// Half hours mostly, so that edges meet; any minute sometimes.
				step := 30
				if rng.IntN(3) == 0 {
					step = 1
				}
				s := rng.IntN(1440/step) * step
				e := rng.IntN(1440/step+1) * step
				// The small hours, where the clocks change, half of the time.
				if rng.IntN(2) == 0 {
					s, e = rng.IntN(10)*30, rng.IntN(10)*30
				}
				if e == s {
					e = (s + step) % 1440
				}
				if e == 0 {
					e = 1440
				}
				fmt.Fprintf(&b, " %s-%s", clock(s), clock(e))
			}
			fmt.Fprintf(&b, " %d\n", rng.IntN(3))
		}
	}
	return b.String()
}

// referenceConflict reports whether two rules of one tier and type ask for
// different targets at some wall-clock minute, by marking every minute.
func referenceConflict(t *testing.T, src string) bool {
	t.Helper()
	type key struct {
		typ  string
		tier Tier
	}
	// Per type and tier, the quantity+1 of the first rule at each minute:
	// minutes of the week from Sunday 00:00 for weekly rules, minutes from
	// the origin for date rules (the random dates span under ten days).
	marks := map[key][]int8{}
	var origin day
	for i, line := range strings.Split(src, "\n") {
		toks := tokenize(line)
		if len(toks) < 3 || toks[0].text == "timezone" {
			continue
		}
		r := &Rule{}
		if err := r.parseWhen(toks[1].text); err != "" {
			t.Fatalf("line %d: %s", i+1, err)
		}
		r.start, r.end = 0, 1440
		if len(toks) == 4 {
			if err := r.parseRange(toks[2].text); err != "" {
				t.Fatalf("line %d: %s", i+1, err)
			}
		}
		qty := int8(atoi(toks[len(toks)-1].text) + 1)
		k := key{toks[0].text, r.Tier}
		if marks[k] == nil {
			marks[k] = make([]int8, 25*1440)
		}
		m := marks[k]
		mark := func(i int) bool {
			if m[i] != 0 && m[i] != qty {
				return true
			}
			if m[i] == 0 {
				m[i] = qty
			}
			return false
		}
		switch r.Tier {
		case TierDefault:
			if mark(0) {
				return true
			}
		case TierWeekly:
			for d := range 7 {
				if r.days&(1<<d) == 0 {
					continue
				}
				for mm := r.start; mm < r.end; mm++ {
					if mark((d*1440 + mm) % weekMinutes) {
						return true
					}
				}
			}
		case TierDate:
			if origin == 0 {
				origin = r.first - 10
			}
			for d := r.first; d <= r.last; d++ {
				for mm := r.start; mm < r.end; mm++ {
					if mark(int(d-origin)*1440 + mm) {
						return true
					}
				}
			}
		}
	}
	return false
}

// referenceInstant is the first instant whose wall clock reads w or later:
// the wall time itself, its first occurrence, or the end of the gap it is
// in. It scans minute by minute.
func referenceInstant(loc *time.Location, w int64, cache map[int64]int64) int64 {
	if t, ok := cache[w]; ok {
		return t
	}
	for t := w - 16*3600; ; t += 60 {
		_, off := time.Unix(t, 0).In(loc).Zone()
		if t+int64(off) >= w {
			cache[w] = t
			return t
		}
	}
}

func referenceAt(s *Schedule, loc *time.Location, at time.Time, cache map[int64]int64) string {
	var parts []string
	sec := at.Unix()
	for _, typ := range []string{"web", "worker"} {
		var best *Rule
		for _, r := range s.Rules {
			if r.Type != typ {
				continue
			}
			if r.Tier == TierDefault {
				if best == nil {
					best = r
				}
				continue
			}
			d0 := localDay(at, loc)
			for d := d0 - 3; d <= d0+3; d++ {
				if !r.covers(d) {
					continue
				}
				start := referenceInstant(loc, int64(d)*86400+int64(r.start)*60, cache)
				end := referenceInstant(loc, int64(d)*86400+int64(r.end)*60, cache)
				if start <= sec && sec < end && better(r, best) {
					best = r
				}
			}
		}
		if best != nil {
			t := best.target()
			parts = append(parts, fmt.Sprintf("%s=%s@%d", typ, &t, best.Line))
		}
	}
	return strings.Join(parts, " ")
}
