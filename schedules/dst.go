package schedules

import (
	"fmt"
	"math"
	"sync"
	"time"

	// The zone database is embedded so that a dyno or a container without
	// /usr/share/zoneinfo reads the same schedule the same way.
	_ "time/tzdata"
)

// day is a civil date: days since 1970-01-01 in the proleptic Gregorian
// calendar. Rules name dates and weekdays, not instants, so the evaluation
// works on days and minutes and turns them into instants only at the end.
type day int64

func dayOf(y int, m time.Month, d int) day {
	return day(floorDiv(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix(), 86400))
}

func (d day) date() (int, time.Month, int) {
	return time.Unix(int64(d)*86400, 0).UTC().Date()
}

// weekday counts from 1970-01-01, a Thursday.
func (d day) weekday() time.Weekday { return time.Weekday(floorMod(int64(d)+4, 7)) }

func (d day) String() string {
	y, m, dd := d.date()
	if y < 0 || y > 9999 {
		return fmt.Sprintf("%04d-%02d-%02d", y, int(m), dd)
	}
	// By hand: a year's chart names 365 days per process type.
	b := []byte("0000-00-00")
	for i, v := range [3]int{y, int(m), dd} {
		end := [3]int{4, 7, 10}[i]
		for j := end - 1; v > 0; j-- {
			b[j] = byte('0' + v%10)
			v /= 10
		}
	}
	return string(b)
}

// localDay is the civil date of t on the wall clocks of loc.
func localDay(t time.Time, loc *time.Location) day {
	_, off := t.In(loc).Zone()
	return day(floorDiv(t.Unix()+int64(off), 86400))
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

// period is a stretch of time [start, end) in Unix seconds during which a
// zone keeps one UTC offset (seconds east).
type period struct{ start, end, off int64 }

// zoneDay maps the wall-clock minutes of one local day, and of the day after
// it (a window may end there), to instants. It holds the zone's periods
// around those two days, so that the many boundaries of one day cost one
// zone lookup; on a day without a transition there is a single period.
// The periods are kept inline: a year of days allocates nothing.
type zoneDay struct {
	base  int64 // the day's 00:00 wall clock read as if it were UTC, in Unix seconds
	n     int
	first [4]period
	more  []period // only for a zone that changes more than thrice in four days
}

func (zd *zoneDay) period(i int) period {
	if i < len(zd.first) {
		return zd.first[i]
	}
	return zd.more[i-len(zd.first)]
}

func (zd *zoneDay) add(p period) {
	if zd.n < len(zd.first) {
		zd.first[zd.n] = p
	} else {
		zd.more = append(zd.more, p)
	}
	zd.n++
}

// zoneSlack bounds the distance between a wall clock read as UTC and the
// instant it denotes: no zone, even in history, is 26 hours off UTC.
const zoneSlack = 26 * 3600

func newZoneDay(loc *time.Location, d day) zoneDay {
	zd := zoneDay{base: int64(d) * 86400}
	t, hi := zd.base-zoneSlack, zd.base+2*86400+zoneSlack
	for range 32 {
		tt := time.Unix(t, 0).In(loc)
		_, off := tt.Zone()
		start, end := tt.ZoneBounds()
		p := period{start: math.MinInt64, end: math.MaxInt64, off: int64(off)}
		if !start.IsZero() {
			p.start = start.Unix()
		}
		if !end.IsZero() {
			p.end = end.Unix()
		}
		zd.add(p)
		if p.end > hi || p.end <= t {
			break
		}
		t = p.end
	}
	return zd
}

// instant returns the instant (Unix seconds) of wall-clock minute m of the
// day (m may reach into the next day: 1440 is the next day's 00:00), and
// whether that wall time exists. It is the one place that decides DST:
//   - a wall time that exists once is that instant;
//   - a wall time that exists twice (the clocks went back) is its first
//     occurrence;
//   - a wall time that does not exist (the clocks went forward) is the
//     instant the gap ends, with exists false.
//
// The map is monotonic, so windows keep their order and never overlap
// because of DST.
func (zd *zoneDay) instant(m int) (sec int64, exists bool) {
	w := zd.base + int64(m)*60
	// Periods are in time order, so the first fit is the first occurrence.
	for i := range zd.n {
		if p := zd.period(i); w-p.off >= p.start && w-p.off < p.end {
			return w - p.off, true
		}
	}
	// In a gap: the wall clock jumps over w at the start of some period.
	for i := 1; i < zd.n; i++ {
		prev, next := zd.period(i-1), zd.period(i)
		if next.start+prev.off <= w && w < next.start+next.off {
			return next.start, false
		}
	}
	return w - zd.first[0].off, false // not reached for a real zone
}

// window returns the instants [from, to) of the day's window from wall
// minute start to wall minute end. Its edges are instants as [instant]
// decides them, and so it is for every window but those that never vanish
// (keep, see [Rule.neverVanishes]): for them, the minutes of the window
// that the clocks skip happen right after the gap, alongside the window's
// own minutes there, as cron runs the jobs of a skipped hour right after
// the change. On a day that skips 02:00-03:00, 02:00-02:30 is 03:00-03:30,
// 01:30-02:30 is 01:30-03:30 (an hour, as written), 02:30-04:00 is
// 03:00-04:00 and 01:00-04:00 is as written: the part after the gap holds
// the skipped minutes. So such a window is never empty, lasts at least the
// minutes the clocks skip of it, and opens at its start, or when the gap
// ends if that is skipped.
func (zd *zoneDay) window(start, end int, keep bool) (from, to int64) {
	from, _ = zd.instant(start)
	to, _ = zd.instant(end)
	if !keep {
		return from, to
	}
	ws, we := zd.base+int64(start)*60, zd.base+int64(end)*60
	for i := 1; i < zd.n; i++ {
		prev, next := zd.period(i-1), zd.period(i)
		// The wall clock skips [next.start+prev.off, next.start+next.off)
		// when it goes forward; the interval is empty when it goes back.
		lo, hi := max(ws, next.start+prev.off), min(we, next.start+next.off)
		if lo < hi {
			to = max(to, next.start+hi-lo)
		}
	}
	return from, to
}

// Transition is a change of a zone's UTC offset: a day on which the wall
// clock skips or repeats an interval.
type Transition struct {
	Date string    `json:"date"` // the local date of the interval, YYYY-MM-DD
	Zone string    `json:"zone"`
	Kind string    `json:"kind"` // "skips" or "repeats"
	From string    `json:"from"` // the local interval skipped or repeated, HH:MM
	To   string    `json:"to"`
	At   time.Time `json:"at"` // the instant of the change, in UTC
}

// String reads like "2026-03-29 Europe/Berlin skips 02:00-03:00".
func (tr Transition) String() string {
	return fmt.Sprintf("%s %s %s %s-%s", tr.Date, tr.Zone, tr.Kind, tr.From, tr.To)
}

// transitions lists the offset changes of loc in [from, to). Changes of the
// zone's abbreviation alone are left out: the wall clock does not move.
func transitions(loc *time.Location, from, to time.Time) []Transition {
	var out []Transition
	t := from
	for range 10000 {
		tt := t.In(loc)
		_, before := tt.Zone()
		_, end := tt.ZoneBounds()
		if end.IsZero() || !end.Before(to) || !end.After(t) {
			break
		}
		t = end
		_, after := end.In(loc).Zone()
		if after == before {
			continue
		}
		tr := Transition{Zone: loc.String(), Kind: "skips", At: end.UTC()}
		lo, hi := int64(before), int64(after)
		if after < before {
			tr.Kind, lo, hi = "repeats", int64(after), int64(before)
		}
		at := end.Unix()
		d := day(floorDiv(at+lo, 86400))
		tr.Date = d.String()
		tr.From = Clock(int(floorMod(at+lo, 86400) / 60))
		tr.To = Clock(int((at + hi - int64(d)*86400) / 60))
		out = append(out, tr)
	}
	return out
}

// zones caches loaded locations: LoadLocation reads and parses the zone
// data on every call, and a fleet schedule names few zones many times.
var zones sync.Map // string → *time.Location

// loadZone loads an IANA zone. "Local" is refused: it would make the
// schedule mean different things on different machines.
func loadZone(name string) (*time.Location, bool) {
	if v, ok := zones.Load(name); ok {
		return v.(*time.Location), true
	}
	if name == "Local" {
		return nil, false
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	zones.Store(name, loc)
	return loc, true
}

// Clock writes minutes since midnight as the rules write a time, HH:MM;
// 1440 is 24:00 and later minutes wrap into the next day.
func Clock(m int) string {
	if m != 1440 {
		m %= 1440
	}
	return fmt.Sprintf("%02d:%02d", m/60, m%60)
}
