package schedules

import (
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
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
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	accepted, refused := 0, 0
	for n := range 400 {
		zone, base := randomZone(rng, n)
		src := randomSchedule(rng, zone, base, false)
		s, err := Parse(src)
		conflict := referenceConflict(t, src)
		if err != nil {
			refused++
			if !conflict {
				t.Fatalf("Parse refused a schedule without conflicts: %v\n%s", err, src)
			}
			var list ErrorList
			errors.As(err, &list)
			checkConflictErrors(t, list, src)
			continue
		}
		accepted++
		if conflict {
			t.Fatalf("Parse accepted a schedule with a conflict:\n%s", src)
		}
		loc, _ := loadZone(zone)
		start := time.Unix(int64(base)*86400, 0).Add(-24 * time.Hour)
		cache := newReferenceCache()
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
func sampleAround(rng *rand.Rand, s *Schedule, loc *time.Location, base day, cache *referenceCache) []time.Time {
	var ts []time.Time
	for _, r := range s.Rules {
		for d := base - 2; d <= base+10; d++ {
			if !r.covers(d) {
				continue
			}
			start, end := referenceWindow(loc, s, r, d, cache)
			for _, edge := range []int64{start, end} {
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

// checkConflictErrors fails unless every error is one that the reference
// conflict finds: an overlap, two defaults, or once rules mixed with others.
func checkConflictErrors(t *testing.T, list ErrorList, src string) {
	t.Helper()
	for _, e := range list {
		if !strings.Contains(e.Msg, "overlaps line") && !strings.Contains(e.Msg, "one default") &&
			!strings.Contains(e.Msg, "with once rules may have no other kind of rule") {
			t.Fatalf("unexpected error %v\n%s", e, src)
		}
	}
}

// TestRandomOverlaps checks the overlap checks alone, on many more
// schedules than TestRandomSchedules, half of them with once rules.
func TestRandomOverlaps(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	for n := range 3000 {
		zone, base := randomZone(rng, n)
		src := randomSchedule(rng, zone, base, n%2 == 1)
		_, err := Parse(src)
		if conflict := referenceConflict(t, src); conflict != (err != nil) {
			t.Fatalf("Parse error = %v, want a conflict: %v\n%s", err, conflict, src)
		}
	}
}

// randomSchedule writes a schedule of one or two types in zone, with dates
// from base on. With once, each type is a once type half of the time, and
// one of its rules in twenty is a level rule, which is a mistake.
func randomSchedule(rng *rand.Rand, zone string, base day, once bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "timezone %s\n", zone)
	for _, typ := range []string{"web", "worker"}[:1+rng.IntN(2)] {
		onceType := once && rng.IntN(2) == 0
		for range 1 + rng.IntN(4) {
			b.WriteString(typ + " ")
			k := rng.IntN(10)
			level := !onceType || rng.IntN(20) == 0
			if !level && k == 0 {
				k = 1 + rng.IntN(9) // a default cannot be once
			}
			switch {
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
				fmt.Fprintf(&b, " %s-%s", Clock(s), Clock(e))
			}
			switch {
			case level:
				fmt.Fprintf(&b, " %d\n", rng.IntN(3))
			case rng.IntN(3) == 0:
				b.WriteString(" once:eco\n")
			default:
				b.WriteString(" once\n")
			}
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
	kinds := map[string]string{} // the first rule's quantity of each type
	var origin day
	for i, line := range strings.Split(src, "\n") {
		toks := tokenize(line)
		if len(toks) < 3 || toks[0].text == "timezone" {
			continue
		}
		r := &Rule{}
		if err := r.parseWhen(toks[1].text); err != nil {
			t.Fatalf("line %d: %s", i+1, err)
		}
		r.start, r.end = 0, 1440
		if len(toks) == 4 {
			if err := r.parseRange(toks[2].text); err != "" {
				t.Fatalf("line %d: %s", i+1, err)
			}
		}
		// The quantity+1, or 10 and 11 for once and once:eco.
		q := toks[len(toks)-1].text
		qty := int8(atoi(q) + 1)
		if strings.HasPrefix(q, "once") {
			qty = 10 + int8(len(q)-len("once"))/4
		}
		if first, ok := kinds[toks[0].text]; ok && strings.HasPrefix(first, "once") != strings.HasPrefix(q, "once") {
			return true // once rules mixed with level rules
		} else if !ok {
			kinds[toks[0].text] = q
		}
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

// referenceCache keeps what the reference found: the instants of wall
// times, and the windows of rules on days.
type referenceCache struct {
	instants map[int64]int64
	windows  map[referenceKey][2]int64
}

type referenceKey struct {
	r *Rule
	d day
}

func newReferenceCache() *referenceCache {
	return &referenceCache{instants: map[int64]int64{}, windows: map[referenceKey][2]int64{}}
}

// referenceOffsets holds, for a zone and a day (Unix days), the zone's
// offset from UTC at each minute of the day, as time.Time.Zone gives it:
// the reference asks for the same minutes again and again, over every
// schedule of a zone, and each of Zone's answers costs a quarter of a
// microsecond under the race detector.
var referenceOffsets = struct {
	sync.Mutex
	days map[referenceZoneDay]*[1440]int32
}{days: map[referenceZoneDay]*[1440]int32{}}

type referenceZoneDay struct {
	loc *time.Location
	day int64
}

// referenceDay returns loc's offset at each minute of day d.
func referenceDay(loc *time.Location, d int64) *[1440]int32 {
	referenceOffsets.Lock()
	defer referenceOffsets.Unlock()
	offs, ok := referenceOffsets.days[referenceZoneDay{loc, d}]
	if !ok {
		offs = new([1440]int32)
		for m := range offs {
			_, off := time.Unix(d*86400+int64(m)*60, 0).In(loc).Zone()
			offs[m] = int32(off)
		}
		referenceOffsets.days[referenceZoneDay{loc, d}] = offs
	}
	return offs
}

// referenceOffset is loc's offset from UTC at t, a whole minute (after
// 1970, as every instant of the random schedules is).
func referenceOffset(loc *time.Location, t int64) int64 {
	d := t / 86400
	return int64(referenceDay(loc, d)[(t-d*86400)/60])
}

// referenceInstant is the first instant whose wall clock reads w (a whole
// minute) or later: the wall time itself, its first occurrence, or the end
// of the gap it is in. It scans minute by minute.
func referenceInstant(loc *time.Location, w int64, cache *referenceCache) int64 {
	if t, ok := cache.instants[w]; ok {
		return t
	}
	var offs *[1440]int32
	day := int64(-1 << 62)
	for t := w - 16*3600; ; t += 60 {
		if d := t / 86400; d != day {
			day, offs = d, referenceDay(loc, d)
		}
		if t+int64(offs[(t-day*86400)/60]) >= w {
			cache.instants[w] = t
			return t
		}
	}
}

// referenceWindow is the window of rule r on day d: from the instant of its
// start to the instant of its end, and for a once rule, until the minutes
// of it that the clocks skip have happened too, one by one from the end of
// their gap, or until a window of its type that starts after its end on
// the wall clock opens, if that comes first. It scans minute by minute
// where the window's length in real time is not its length on the wall
// clock.
func referenceWindow(loc *time.Location, s *Schedule, r *Rule, d day, cache *referenceCache) (start, end int64) {
	if w, ok := cache.windows[referenceKey{r, d}]; ok {
		return w[0], w[1]
	}
	defer func() { cache.windows[referenceKey{r, d}] = [2]int64{start, end} }()
	ws, we := int64(d)*86400+int64(r.start)*60, int64(d)*86400+int64(r.end)*60
	start, end = referenceInstant(loc, ws, cache), referenceInstant(loc, we, cache)
	if !r.Once || end-start == we-ws {
		return start, end
	}
	asWritten := end
	gap, k := int64(-1), int64(0) // the gap's end, and how many of its minutes came before
	for w := ws; w < we; w += 60 {
		t := referenceInstant(loc, w, cache)
		if t+referenceOffset(loc, t) == w {
			continue // the wall clock reads w
		}
		if t != gap {
			gap, k = t, 0
		}
		k++
		end = max(end, gap+k*60)
	}
	if end == asWritten {
		return start, end
	}
	for _, o := range s.Rules {
		if o.App != r.App || o.Type != r.Type || o.Tier == TierDefault {
			continue
		}
		for dd := d - 3; dd <= d+3; dd++ {
			if w := int64(dd)*86400 + int64(o.start)*60; o.covers(dd) && w >= we {
				end = min(end, max(asWritten, referenceInstant(loc, w, cache)))
			}
		}
	}
	return start, end
}

func referenceAt(s *Schedule, loc *time.Location, at time.Time, cache *referenceCache) string {
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
				start, end := referenceWindow(loc, s, r, d, cache)
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

// TestRandomEdges checks Since, Until and Closed against a reference that
// scans every minute of two months around random schedules, half of them
// with once rules. The reference knows nothing of sweeps, horizons or
// steady types: it marks each window's minutes, found by referenceWindow,
// and reads the edges off the minutes.
func TestRandomEdges(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	var st edgeStats
	for n := range 300 {
		zone, base := randomZone(rng, n)
		checkEdges(t, rng, randomSchedule(rng, zone, base, n%2 == 0), zone, base, &st)
	}
	if st.checked < 5000 || st.onceTypes < 60 || st.touching < 20 {
		t.Errorf("checked %d targets, %d once types, %d touching occurrences: the generator should exercise more", st.checked, st.onceTypes, st.touching)
	}
}

// TestRandomClockChanges is TestRandomEdges on schedules whose windows
// all lie near a clock change, on its day or around it, so that the gaps
// and the repeated hours fall in them, at their edges and between windows
// that touch.
func TestRandomClockChanges(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 8))
	var st edgeStats
	for n := range 150 {
		zone, base := randomZone(rng, n%(len(randomZones)-1)+1) // not UTC
		loc, _ := loadZone(zone)
		from := time.Unix(int64(base)*86400, 0)
		changes := transitions(loc, from, from.Add(10*24*time.Hour))
		if len(changes) == 0 {
			t.Fatalf("no clock change in %s in the 10 days from %s", zone, base)
		}
		checkEdges(t, rng, randomChangeSchedule(rng, zone, changes[0]), zone, base, &st)
	}
	if st.checked < 5000 || st.onceTypes < 50 || st.touching < 20 || st.moved < 20 || st.cut < 8 {
		t.Errorf("checked %d targets, %d once types, %d touching occurrences, %d windows moved, %d cut: the generator should exercise more",
			st.checked, st.onceTypes, st.touching, st.moved, st.cut)
	}
}

// randomChangeSchedule writes a schedule of one or two types, each a once
// type half of the time, whose windows start and end near the clock
// change tr (an hour before it to two after), on its day or the
// day before (crossing midnight).
func randomChangeSchedule(rng *rand.Rand, zone string, tr Transition) string {
	d, _ := parseDate(tr.Date)
	from, _ := parseClock(tr.From, tr.From)
	var b strings.Builder
	fmt.Fprintf(&b, "timezone %s\n", zone)
	for _, typ := range []string{"web", "worker"}[:1+rng.IntN(2)] {
		once := rng.IntN(2) == 0
		for range 1 + rng.IntN(4) {
			switch k := rng.IntN(6); {
			case k == 0 && !once:
				fmt.Fprintf(&b, "%s default %d\n", typ, rng.IntN(3))
				continue
			case k <= 1:
				fmt.Fprintf(&b, "%s daily", typ)
			case k == 2:
				fmt.Fprintf(&b, "%s %s", typ, weekdays(1<<d.weekday()|1<<(d-1).weekday()))
			default:
				fmt.Fprintf(&b, "%s %s", typ, d-day(rng.IntN(2)))
			}
			step := []int{1, 15, 30}[rng.IntN(3)]
			around := func() int { return (from + 1440 - 60 + rng.IntN(181/step)*step) % 1440 }
			s, e := around(), around()
			if e == s {
				e = (s + step) % 1440
			}
			fmt.Fprintf(&b, " %s-%s", Clock(s), Clock(e))
			switch {
			case !once:
				fmt.Fprintf(&b, " %d\n", rng.IntN(3))
			case rng.IntN(8) == 0:
				b.WriteString(" once:eco\n")
			default:
				b.WriteString(" once\n")
			}
		}
	}
	return b.String()
}

// edgeStats counts what checkEdges saw.
type edgeStats struct {
	checked, onceTypes, touching int
	// moved counts the once windows that a clock change moves or lengthens,
	// and cut those that give way to the next window.
	moved, cut int
}

// checkEdges checks At, Since, Until and Closed of a schedule against the
// reference, around base; a schedule that Parse refuses must be refused
// for a conflict.
func checkEdges(t *testing.T, rng *rand.Rand, src, zone string, base day, st *edgeStats) {
	t.Helper()
	s, err := Parse(src)
	if err != nil {
		var list ErrorList
		errors.As(err, &list)
		checkConflictErrors(t, list, src)
		return
	}
	loc, _ := loadZone(zone)
	cache := newReferenceCache()
	ref := newReferenceEdges(s, loc, base, cache)
	for _, tl := range ref.types {
		if tl.once {
			st.onceTypes++
			st.touching += tl.touching
		}
	}
	for _, g := range s.groups {
		for d := base - 2; d <= base+10; d++ {
			zd := newZoneDay(loc, d)
			for _, r := range g.windowed {
				if !r.covers(d) || !r.Once {
					continue
				}
				_, end := zd.window(r.start, r.end, false)
				_, to, cut := g.window(&zd, r, d)
				if to != end {
					st.moved++
				}
				if cut != nil {
					st.cut++
				}
			}
		}
	}
	// Edges at each sample.
	for _, at := range sampleAround(rng, s, loc, base, cache) {
		targets := s.At(at)
		if got, want := render(targets), referenceAt(s, loc, at, cache); got != want {
			t.Fatalf("At(%v) = %q, want %q (local %v)\n%s", at, got, want, at.In(loc), src)
		}
		for _, tg := range targets {
			since, until, ok := ref.edges(tg.Type, at)
			if !ok {
				t.Fatalf("At(%v) has %s, which the reference has not\n%s", at, tg.Type, src)
			}
			if !ref.agree(since, tg.Since, true) || !ref.agree(until, tg.Until, false) {
				t.Fatalf("At(%v) gives %s=%s %v..%v, want %v..%v (local %v)\n%s", at, tg.Type, &tg,
					tg.Since, tg.Until, since, until, at.In(loc), src)
			}
			st.checked++
		}
	}
	// Closed over the sampled days, and over a few hours.
	from := time.Unix(int64(base)*86400, 0).Add(-24 * time.Hour)
	for _, p := range [][2]time.Time{{from, from.Add(11 * 24 * time.Hour)}, {from.Add(31 * time.Hour), from.Add(35 * time.Hour)}} {
		var got, want []string
		for _, o := range s.Closed(p[0], p[1]) {
			open := "?" // before the reference's minutes
			if o.Open.Unix() > ref.start {
				open = fmt.Sprint(o.Open.Unix())
			}
			got = append(got, fmt.Sprintf("%s %s..%v", o.Type, open, o.Close.Unix()))
			if o.Rule == nil || o.Rule.Type != o.Type || !o.Rule.Once {
				t.Fatalf("Closed gives %+v: its rule is not a once rule of its type\n%s", o, src)
			}
		}
		for _, o := range ref.closed(p[0], p[1]) {
			open := "?"
			if !o.Open.IsZero() {
				open = fmt.Sprint(o.Open.Unix())
			}
			want = append(want, fmt.Sprintf("%s %s..%v", o.Type, open, o.Close.Unix()))
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("Closed(%v, %v) =\n%s\nwant:\n%s\n%s", p[0], p[1], strings.Join(got, "\n"), strings.Join(want, "\n"), src)
		}
	}
}

// referenceEdges is, for each type of a schedule, the minutes of two
// months around a base day: the rule in force at each, and whether its
// target changes there (a new occurrence, for a once type).
type referenceEdges struct {
	start int64 // Unix seconds of the first minute
	types map[string]*referenceTimeline
}

type referenceTimeline struct {
	once     bool
	rule     []*Rule // at each minute
	edge     []bool  // the target changes at the minute's start
	touching int     // occurrences that open as another closes
}

const referenceDays = 60

func newReferenceEdges(s *Schedule, loc *time.Location, base day, cache *referenceCache) *referenceEdges {
	first := base - 25
	ref := &referenceEdges{start: int64(first) * 86400, types: map[string]*referenceTimeline{}}
	n := referenceDays * 1440
	for _, typ := range []string{"web", "worker"} {
		var rules []*Rule
		var def *Rule
		for _, r := range s.Rules {
			if r.Type != typ {
				continue
			}
			if r.Tier == TierDefault {
				def = cmp.Or(def, r)
				continue
			}
			rules = append(rules, r)
		}
		if len(rules) == 0 && def == nil {
			continue
		}
		// window[i][m]: the day of rule i's window that holds minute m, or -1.
		window := make([][]int32, len(rules))
		for i, r := range rules {
			window[i] = make([]int32, n)
			for m := range window[i] {
				window[i][m] = -1
			}
			for d := first - 3; d < first+referenceDays+3; d++ {
				if !r.covers(d) {
					continue
				}
				start, end := referenceWindow(loc, s, r, d, cache)
				for m := max(0, (start-ref.start)/60); m < min(int64(n), (end-ref.start)/60); m++ {
					window[i][m] = int32(d)
				}
			}
		}
		tl := &referenceTimeline{once: len(rules) > 0 && rules[0].Once, rule: make([]*Rule, n), edge: make([]bool, n)}
		for m := range n {
			best := def
			for i, r := range rules {
				if window[i][m] >= 0 && (best == nil || better(r, best)) {
					best = r
				}
			}
			tl.rule[m] = best
			if m == 0 {
				continue
			}
			prev := tl.rule[m-1]
			tl.edge[m] = !sameTarget(prev, best)
			if tl.once && best != nil && !tl.edge[m] {
				// The occurrence goes on only if a window of its target
				// goes on: in force before the minute and at it.
				goesOn := false
				for i, r := range rules {
					if window[i][m] >= 0 && window[i][m] == window[i][m-1] && sameTarget(r, best) {
						goesOn = true
					}
				}
				if !goesOn {
					tl.edge[m] = true
					tl.touching++
				}
			}
		}
		ref.types[typ] = tl
	}
	return ref
}

// edges returns the reference's edges around at: the last at or before it
// and the next after it, each zero if not among the reference's minutes.
func (ref *referenceEdges) edges(typ string, at time.Time) (since, until time.Time, ok bool) {
	tl := ref.types[typ]
	m := int((at.Unix() - ref.start) / 60)
	if tl == nil || m < 0 || m >= len(tl.rule) || tl.rule[m] == nil {
		return since, until, false
	}
	for j := m; j > 0; j-- {
		if tl.edge[j] {
			since = time.Unix(ref.start+int64(j)*60, 0).UTC()
			break
		}
	}
	for j := m + 1; j < len(tl.edge); j++ {
		if tl.edge[j] {
			until = time.Unix(ref.start+int64(j)*60, 0).UTC()
			break
		}
	}
	return since, until, true
}

// agree reports whether an edge of the package agrees with the reference's:
// equal, or, where the reference saw none, outside its minutes.
func (ref *referenceEdges) agree(want, got time.Time, since bool) bool {
	if !want.IsZero() {
		return got.Equal(want) && got.Location() == time.UTC
	}
	if got.IsZero() {
		return true
	}
	if since {
		return got.Unix() <= ref.start
	}
	return got.Unix() >= ref.start+referenceDays*86400
}

// closed returns the occurrences that close in (from, to], by time then
// type; Open is zero when the occurrence opened before the first minute.
func (ref *referenceEdges) closed(from, to time.Time) []Occurrence {
	var out []Occurrence
	for _, typ := range []string{"web", "worker"} {
		tl := ref.types[typ]
		if tl == nil || !tl.once {
			continue
		}
		open := -1
		for m := 1; m < len(tl.rule); m++ {
			if !tl.edge[m] {
				continue
			}
			at := time.Unix(ref.start+int64(m)*60, 0)
			if tl.rule[m-1] != nil && at.After(from) && !at.After(to) {
				o := Occurrence{Type: typ, Close: at}
				if open > 0 {
					o.Open = time.Unix(ref.start+int64(open)*60, 0)
				}
				out = append(out, o)
			}
			open = m
		}
	}
	slices.SortStableFunc(out, func(a, b Occurrence) int {
		return cmp.Or(a.Close.Compare(b.Close), strings.Compare(a.Type, b.Type))
	})
	return out
}
