package schedules

import "time"

// Report is what `scaler plan` shows for a period: what is in force at its
// start, every change in it, its restarts and the quiet periods they buy,
// the DST transitions that move its wall clocks and what they do to its
// windows, and per process type a chart and the dyno-hours it costs. It
// marshals to JSON as is.
type Report struct {
	From    time.Time      `json:"from"`
	To      time.Time      `json:"to"`
	InForce []Target       `json:"in_force"` // at From
	Changes []ReportChange `json:"changes"`
	// DST is every offset change in the period of the zones the rules use.
	DST []Transition `json:"dst"`
	// DSTEffects is what those changes do to the windows: see
	// [Schedule.DSTEffects].
	DSTEffects []DSTEffect  `json:"dst_effects"`
	Types      []TypeReport `json:"types"` // sorted by app then type; restart windows have none
	// Restarts are the occurrences of restart windows open in the period
	// (see [Schedule.Restarts]); Quiet is what each restart rule buys,
	// Exposed where the period's restart windows leave more than a day
	// between them, and RestartConflicts the job windows of other types
	// that a restart may cut.
	Restarts         []Occurrence      `json:"restarts"`
	Quiet            []QuietPeriod     `json:"quiet"`
	Exposed          []Exposure        `json:"exposed"`
	RestartConflicts []RestartConflict `json:"restart_conflicts"`
	// Scheduler, when the caller sets it (see [Report.SetScheduler]), is
	// where Heroku Scheduler cannot carry out the schedule on time.
	Scheduler *SchedulerCheck `json:"scheduler,omitempty"`
	// Cost is set by [Report.Price].
	Cost *Cost `json:"cost,omitempty"`
}

// ReportChange is a [Change] with its instant on the wall clock of the
// rules' zone as well as in UTC.
type ReportChange struct {
	UTC   time.Time `json:"utc"`
	Local time.Time `json:"local"`
	Zone  string    `json:"zone"`
	App   string    `json:"app"`
	Type  string    `json:"type"`
	From  *Target   `json:"from"` // nil: not managed
	To    *Target   `json:"to"`
}

// TypeReport is the period of one (app, type): a chart of its days and the
// dyno-hours it costs.
type TypeReport struct {
	App  string     `json:"app"`
	Type string     `json:"type"`
	Zone string     `json:"zone"`
	Once bool       `json:"once,omitempty"` // the type has once rules
	Days []ChartDay `json:"days"`
	// Transitions are the DST changes on the chart's days, which may start
	// before the period and end after it.
	Transitions []Transition `json:"transitions,omitempty"`
	Usage       Usage        `json:"usage"`

	sized []sizedTime // for Report.Price
}

// CellMinutes is the width of a chart's cell: a line of [ChartDay.Cells]
// is a day of 48 half hours.
const CellMinutes = 30

// cellsPerDay is the count of a chart line's cells.
const cellsPerDay = 1440 / CellMinutes

// ChartDay is one local day of a chart: 48 cells of 30 minutes, each the
// quantity in force at the cell's start: a digit, '+' for 10 or more, 'o'
// when a once window is open, '.' when no rule is in force, and a space for
// a half hour that a spring forward skips. A window that opens and closes
// between two cells' starts (shorter than a cell) shows in the cell it
// opens in. On a day the clocks go back, the repeated half hours show
// their first occurrence.
type ChartDay struct {
	Date    string `json:"date"` // YYYY-MM-DD
	Weekday string `json:"weekday"`
	Cells   string `json:"cells"`
	DST     bool   `json:"dst"` // the wall clock skips or repeats an interval this day
}

// Usage is the dyno-hours of one process type over the period, counted on
// real time: a spring-forward day has 23 hours. Time when no rule is in
// force counts in neither figure and is reported as unmanaged. Sizes are not
// weighed: a dyno-hour is a dyno-hour whatever its size.
//
// A once type's dyno-hours are its job's runtime, which the schedule cannot
// know: for it, DynoHours, Peak and the figures built on them are zero,
// Windows counts the occurrences of its windows in the period (a start of
// the job each), and ManagedHours is the time they are open.
type Usage struct {
	Windows        int     `json:"windows,omitempty"`
	DynoHours      float64 `json:"dyno_hours"`
	Peak           int     `json:"peak"`
	PeakDynoHours  float64 `json:"peak_dyno_hours"` // keeping Peak dynos all the managed time
	SavedDynoHours float64 `json:"saved_dyno_hours"`
	SavedPercent   float64 `json:"saved_percent"`
	ManagedHours   float64 `json:"managed_hours"`
	UnmanagedHours float64 `json:"unmanaged_hours"`
}

// Report describes the period [from, to). Charts show the whole local days
// that the period touches.
func (s *Schedule) Report(from, to time.Time) Report {
	rep := Report{From: from.UTC(), To: to.UTC(), InForce: s.At(from)}
	if rep.InForce == nil {
		rep.InForce = []Target{}
	}
	rep.Changes = []ReportChange{}
	rep.DST = []Transition{}
	rep.DSTEffects = []DSTEffect{}
	rep.Types = []TypeReport{}
	rep.Restarts = []Occurrence{}
	rep.Quiet = s.quietPeriods()
	rep.Exposed = []Exposure{}
	rep.RestartConflicts = []RestartConflict{}
	if !to.After(from) {
		return rep
	}
	var lists [][]Change
	for _, g := range s.groups {
		if g.restart {
			continue
		}
		d0, d1 := localDay(from, g.loc), localDay(to.Add(-time.Nanosecond), g.loc)
		sw := g.sweep(d0, d1)
		rep.Types = append(rep.Types, g.report(sw.segs, d0, d1, from, to))
		lists = append(lists, g.changes(make([]Change, 0, len(sw.segs)), sw, from, to))
	}
	changes := mergeChanges(lists)
	rep.Changes = make([]ReportChange, 0, len(changes))
	for _, c := range changes {
		loc := c.To
		if loc == nil {
			loc = c.From
		}
		z := loc.Rule.Zone
		rep.Changes = append(rep.Changes, ReportChange{
			UTC: c.At, Local: c.At.In(z), Zone: z.String(),
			App: c.App, Type: c.Type, From: c.From, To: c.To,
		})
	}
	rep.DST = s.Transitions(from, to)
	rep.DSTEffects = s.DSTEffects(from, to)
	if r := s.Restarts(from, to); r != nil {
		rep.Restarts = r
		s.markIdle(&rep)
		rep.Exposed = exposures(r)
		rep.RestartConflicts = s.restartConflicts(r, from, to)
	}
	return rep
}

func (g *group) report(segs []segment, d0, d1 day, from, to time.Time) TypeReport {
	tr := TypeReport{App: g.app, Type: g.typ, Zone: g.loc.String(), Once: g.once}
	first, last := newZoneDay(g.loc, d0), newZoneDay(g.loc, d1)
	dayStart, _ := first.instant(0)
	dayEnd, _ := last.instant(1440)
	tr.Transitions = transitions(g.loc, time.Unix(dayStart, 0), time.Unix(dayEnd, 0))
	dst := map[string]bool{}
	for _, t := range tr.Transitions {
		dst[t.Date] = true
	}

	// The cells' instants never go backwards, so one cursor walks the segments.
	seg := 0
	cells := make([]byte, cellsPerDay)
	for d := d0; d <= d1; d++ {
		zd := newZoneDay(g.loc, d)
		for k := range cells {
			sec, exists := zd.instant(k * CellMinutes)
			if !exists {
				cells[k] = ' '
				continue
			}
			for seg+1 < len(segs) && segs[seg+1].start <= sec {
				seg++
			}
			end, _ := zd.instant((k + 1) * CellMinutes)
			cells[k] = cell(segs[seg].rule)
			if r := hidden(segs, seg, end); r != nil {
				cells[k] = cell(r)
			}
		}
		date := d.String()
		tr.Days = append(tr.Days, ChartDay{
			Date: date, Weekday: d.weekday().String()[:3], Cells: string(cells), DST: dst[date],
		})
	}
	tr.Usage = usage(segs, from, to)
	tr.sized = g.sizedTimes(segs, d0, from, to)
	return tr
}

// hidden returns the rule of the first window that opens after the start
// of a cell, in segment i, and closes by end, the next cell's start, with
// another mark than the cell's: a window shorter than a cell, which would
// show in no cell. Nil when there is none.
func hidden(segs []segment, i int, end int64) *Rule {
	for j := i + 1; j < len(segs) && segs[j].start < end; j++ {
		if r := segs[j].rule; r != nil && (j+1 == len(segs) || segs[j+1].start <= end) && cell(r) != cell(segs[i].rule) {
			return r
		}
	}
	return nil
}

func cell(r *Rule) byte {
	switch {
	case r == nil:
		return '.'
	case r.Once:
		return 'o'
	case r.Quantity >= 10:
		return '+'
	}
	return byte('0' + r.Quantity)
}

// usage integrates the quantity over [from, to) on real time. It sums
// seconds, which float64 holds exactly, and turns them into hours last.
// For once rules it counts the windows instead.
func usage(segs []segment, from, to time.Time) Usage {
	var u Usage
	var managed, dyno float64
	for i, sg := range segs {
		lo, hi := within(segs, i, from, to)
		if !hi.After(lo) || sg.rule == nil {
			continue
		}
		sec := hi.Sub(lo).Seconds()
		managed += sec
		if sg.rule.Once {
			continue
		}
		dyno += sec * float64(sg.rule.Quantity)
		u.Peak = max(u.Peak, sg.rule.Quantity)
	}
	u.Windows = windows(segs, from, to)
	u.ManagedHours = managed / 3600
	u.UnmanagedHours = (to.Sub(from).Seconds() - managed) / 3600
	u.DynoHours = dyno / 3600
	u.PeakDynoHours = float64(u.Peak) * managed / 3600
	u.SavedDynoHours = (float64(u.Peak)*managed - dyno) / 3600
	if u.Peak > 0 && managed > 0 {
		u.SavedPercent = 100 * (float64(u.Peak)*managed - dyno) / (float64(u.Peak) * managed)
	}
	return u
}

// within returns the part of [from, to) that segment i covers; empty
// (hi not after lo) when none.
func within(segs []segment, i int, from, to time.Time) (lo, hi time.Time) {
	lo, hi = from, to
	if i > 0 {
		if t := time.Unix(segs[i].start, 0); t.After(lo) {
			lo = t
		}
	}
	if i+1 < len(segs) {
		if t := time.Unix(segs[i+1].start, 0); t.Before(hi) {
			hi = t
		}
	}
	return lo, hi
}

// windows counts the occurrences of once windows that overlap [from, to):
// the one in force at from, and those that open after it.
func windows(segs []segment, from, to time.Time) int {
	i := segmentAt(segs, from.Unix())
	n := 0
	if r := segs[i].rule; r != nil && r.Once {
		n++
	}
	for i++; i < len(segs) && time.Unix(segs[i].start, 0).Before(to); i++ {
		if r := segs[i].rule; r != nil && r.Once && edge(segs, i) {
			n++
		}
	}
	return n
}
