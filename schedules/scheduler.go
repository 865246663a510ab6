package schedules

import (
	"cmp"
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/scalerdev/scaler/scaler"
)

// Interval is how often Heroku Scheduler runs `scaler apply`: one of the
// three frequencies Scheduler offers, in minutes. A job's runs lie on a
// grid of its interval in UTC: a daily job starts once a day on the hour
// or half hour (Heroku's documentation); that an hourly job runs at a
// minute of the hour that is a multiple of 10, and a 10-minute job at :00,
// :10, ..., is assumed (unconfirmed).
type Interval int

// The frequencies of Heroku Scheduler.
const (
	Every10Minutes Interval = 10
	EveryHour      Interval = 60
	Daily          Interval = 1440
)

// ParseInterval reads an interval as `scaler plan --every` takes it: 10m,
// 1h or 1d.
func ParseInterval(s string) (Interval, error) {
	switch s {
	case "10m":
		return Every10Minutes, nil
	case "1h":
		return EveryHour, nil
	case "1d":
		return Daily, nil
	}
	return 0, fmt.Errorf("%q: want 10m, 1h or 1d, the frequencies of Heroku Scheduler (every 10 minutes, every hour, daily)", s)
}

// String returns 10m, 1h or 1d.
func (iv Interval) String() string {
	switch iv {
	case Every10Minutes:
		return "10m"
	case EveryHour:
		return "1h"
	case Daily:
		return "1d"
	}
	return strconv.Itoa(int(iv)) + "min"
}

// offsets are the minutes, after midnight UTC and modulo the interval, at
// which a job of the interval can run (see [Interval]).
func (iv Interval) offsets() []int {
	var step int
	switch iv {
	case EveryHour:
		step = 10
	case Daily:
		step = 30
	default:
		return []int{0}
	}
	var out []int
	for m := 0; m < int(iv); m += step {
		out = append(out, m)
	}
	return out
}

// MarshalText writes the interval as it is written: 10m, 1h or 1d.
func (iv Interval) MarshalText() ([]byte, error) { return []byte(iv.String()), nil }

// SchedulerCheck is how Heroku Scheduler, running `scaler apply` at one
// interval, carries out a schedule's changes in a period: the runs it
// assumes, and where they cannot meet the schedule on time.
type SchedulerCheck struct {
	Every Interval `json:"every"`
	// Offset is the runs' minute after midnight UTC, modulo the interval:
	// the minute of the hour of an hourly job, the time of day of a daily
	// one. 10-minute jobs are taken to run at :00, :10, ... (offset 0).
	Offset  int `json:"offset_minutes"`
	Changes int `json:"changes"` // the changes in the period that need a run
	// CarriedOut is how many of them a run carries out, on time or late
	// (or, for a once window, in which a run can start the job); the
	// others are never carried out, or found in place by the run after
	// them because the change before them was not carried out either. One
	// run a day carries none out of a schedule that changes a type twice
	// every day: it holds the type at the level in force when it runs.
	CarriedOut int       `json:"carried_out"`
	Warnings   []Warning `json:"warnings"`

	// anyCarries: some run time carries a change out, if not this one.
	anyCarries bool
}

// SomeTimeCarries reports whether some run time of the interval carries
// out a change of the period, if not the one taken (Offset): when the one
// taken carries none out, it says whether another would, missing more.
func (c SchedulerCheck) SomeTimeCarries() bool { return c.anyCarries }

// Warning is one problem that Scheduler has with one rule, said once
// however often it happens in the period.
type Warning struct {
	App  string `json:"app"`
	Type string `json:"type"`
	Line int    `json:"line"` // of the rule
	Rule string `json:"rule"` // its text
	// Edge is the edge of the rule's window that the problem is at: start
	// or end. A once window's problems are at its start.
	Edge string `json:"edge"`
	// Problem is late (a change, or a job's or a restart's first chance,
	// comes after the edge), never (a change is replaced by the next one
	// before any run), no_run (no run in a once or restart window: its job
	// never starts, its type is never restarted) or one_run (one run in
	// such a window: if Scheduler skips it, nothing happens).
	Problem string    `json:"problem"`
	Times   int       `json:"times"`                  // in the period
	First   time.Time `json:"first"`                  // the first time, in UTC
	Late    int       `json:"late_minutes,omitempty"` // the most, for late
	Message string    `json:"message"`                // for a person
}

// The problems of a Warning.
const (
	ProblemLate   = "late"
	ProblemNever  = "never"
	ProblemNoRun  = "no_run"
	ProblemOneRun = "one_run"
)

// Scheduler says where Heroku Scheduler, running `scaler apply` every
// interval, cannot carry out the changes of (from, to) on time, as Changes
// lists them, nor the restarts, as Restarts lists them. Each problem is
// said once per rule and edge, with how many times it happens and the
// first.
//
// apply is level-triggered: a run sets each type to the target in force at
// that instant. So a change is carried out at the first run at or after
// it, and never if the type's next change comes first; a once window's job
// can start, and a restart window's type restart, at any run inside the
// window's occurrence. A change to no rule in force (the end of a window
// without a default) and a window's close need no run: apply does nothing
// there.
//
// The runs lie on a grid of the interval in UTC (see [Interval]). An
// hourly job runs at one minute of the hour and a daily job at one time of
// day, which the user picks: the check takes the one that meets the most
// changes (fewest never carried out; then most carried out by a run, not
// merely found in place because the change before was never carried out
// either; then fewest late; then earliest), and says which. A daily run at
// 00:00 for `web daily 08:00-20:00 3` over a default of 1 misses the 08:00
// change and finds web at 1 at 20:00, as if it met that one: it never
// changes anything; at 08:00 it meets the start and misses the end. Runs are taken as punctual: a Scheduler job's dyno takes
// some seconds to start, and Scheduler may skip a run or start one late
// (it is best effort), which no interval helps with.
func (s *Schedule) Scheduler(from, to time.Time, every Interval) SchedulerCheck {
	check := SchedulerCheck{Every: every, Warnings: []Warning{}}
	if !to.After(from) || every <= 0 {
		return check
	}
	period := int64(every) * 60
	edges := s.edgesToMeet(from, to, time.Duration(period)*time.Second)
	check.Changes = len(edges)
	best := score{failures: math.MaxInt}
	for _, off := range every.offsets() {
		g := grid{period: period, offset: int64(off) * 60}
		var sc score
		for _, e := range edges {
			sc.add(g.meet(e))
		}
		check.anyCarries = check.anyCarries || sc.failures+sc.inPlace < len(edges)
		if sc.less(best) {
			best, check.Offset = sc, off
		}
	}
	g := grid{period: period, offset: int64(check.Offset) * 60}
	outcomes := make([]outcome, len(edges))
	for i, e := range edges {
		outcomes[i] = g.meet(e)
		if o := outcomes[i]; !o.inPlace && o.problem != ProblemNever && o.problem != ProblemNoRun {
			check.CarriedOut++
		}
	}
	check.Warnings = warnings(edges, outcomes)
	return check
}

// typeChanges are the changes of one (app, type), in time order, with
// their instants in Unix seconds.
type typeChanges struct {
	list []Change
	at   []int64
}

// edgeToMeet is a change that needs a run: one to a level target, or the
// opening of a once window's occurrence. Its type's changes reach back
// one interval before it at least.
type edgeToMeet struct {
	tc *typeChanges
	i  int // the change's index in tc
	// next is the instant of the type's next change, or noUntil.
	next int64
	// close is the instant the once occurrence closes, or noUntil.
	close int64
}

func (e edgeToMeet) change() *Change { return &e.tc.list[e.i] }

// targetAt returns the target of the edge's type at sec, an instant before
// the edge and no earlier than the type's changes reach.
func (e edgeToMeet) targetAt(sec int64) *Target {
	for j := e.i - 1; j >= 0; j-- {
		if e.tc.at[j] <= sec {
			return e.tc.list[j].To
		}
	}
	return e.tc.list[0].From
}

// edgesToMeet lists the changes of (from, to) that need a run, type by
// type, each in time order. It looks one interval (ahead) past to, as far
// as the first run after a change in the period can be, and one before
// from, as far back as the last run before a change can be.
func (s *Schedule) edgesToMeet(from, to time.Time, ahead time.Duration) []edgeToMeet {
	lo, hi := from.Add(-ahead), to.Add(ahead)
	var out []edgeToMeet
	for _, g := range s.groups {
		tc := &typeChanges{list: g.changes(nil, g.sweep(localDay(lo, g.loc), localDay(hi, g.loc)), lo, hi)}
		tc.at = make([]int64, len(tc.list))
		for i, c := range tc.list {
			tc.at[i] = c.At.Unix()
		}
		for i, c := range tc.list {
			if c.To == nil || !c.At.After(from) || !c.At.Before(to) {
				continue
			}
			e := edgeToMeet{tc: tc, i: i, next: noUntil, close: noUntil}
			if i+1 < len(tc.list) {
				e.next = tc.at[i+1]
			}
			if c.To.IsWindow() && !c.To.Until.IsZero() {
				e.close = c.To.Until.Unix()
			}
			out = append(out, e)
		}
	}
	return out
}

// grid is the runs of a Scheduler job: offset + k*period, in Unix seconds.
type grid struct{ period, offset int64 }

// next returns the first run at or after sec.
func (g grid) next(sec int64) int64 {
	return g.offset + (floorDiv(sec-g.offset-1, g.period)+1)*g.period
}

// count returns how many runs fall in [lo, hi).
func (g grid) count(lo, hi int64) int64 {
	if hi == noUntil {
		return math.MaxInt64
	}
	return floorDiv(hi-1-g.offset, g.period) - floorDiv(lo-1-g.offset, g.period)
}

// outcome is what the runs do with one edge.
type outcome struct {
	problem string // "" when it is met on time and nothing else is wrong
	late    int64  // seconds, for late
	// also is a second problem of a once window: late, and one run only.
	also string
	// inPlace: no problem, but no run carries the change out either: the
	// type is already at its target until the first run after it.
	inPlace bool
}

func (g grid) meet(e edgeToMeet) outcome {
	at, to := e.tc.at[e.i], e.tc.list[e.i].To
	run := g.next(at)
	if to.IsWindow() {
		n := g.count(at, e.close)
		if n == 0 {
			return outcome{problem: ProblemNoRun}
		}
		var o outcome
		if run > at {
			o.problem, o.late = ProblemLate, run-at
		}
		if n == 1 {
			o.also = ProblemOneRun
		}
		return o
	}
	// Until the first run, the type is at the target of the run before:
	// when that is the target the change goes to, nothing is wrong.
	if before := e.targetAt(run - g.period); before != nil && !before.IsWindow() &&
		before.Quantity == to.Quantity && before.Size == to.Size {
		return outcome{inPlace: true}
	}
	switch {
	case e.next <= run:
		return outcome{problem: ProblemNever}
	case run > at:
		return outcome{problem: ProblemLate, late: run - at}
	}
	return outcome{}
}

// score ranks the offsets of a grid: fewer changes never carried out (or
// windows without a run), then fewer found in place rather than carried
// out, then fewer late, then less lateness in all, then fewer windows with
// one run.
type score struct {
	failures, inPlace, late int
	lateness                int64
	oneRun                  int
}

func (s *score) add(o outcome) {
	if o.inPlace {
		s.inPlace++
	}
	for _, p := range []string{o.problem, o.also} {
		switch p {
		case ProblemNever, ProblemNoRun:
			s.failures++
		case ProblemLate:
			s.late++
			s.lateness += o.late
		case ProblemOneRun:
			s.oneRun++
		}
	}
}

func (s score) less(t score) bool {
	return cmp.Or(cmp.Compare(s.failures, t.failures), cmp.Compare(s.inPlace, t.inPlace), cmp.Compare(s.late, t.late),
		cmp.Compare(s.lateness, t.lateness), cmp.Compare(s.oneRun, t.oneRun)) < 0
}

// warnings gathers the outcomes into one warning per rule, edge and
// problem, in the order of the rules' lines.
func warnings(edges []edgeToMeet, outcomes []outcome) []Warning {
	type key struct {
		app, typ      string
		line          int
		edge, problem string
	}
	index := map[key]int{}
	out := []Warning{}
	var firsts []*Change // the first change of each warning
	for i, e := range edges {
		o := outcomes[i]
		for _, p := range []string{o.problem, o.also} {
			if p == "" {
				continue
			}
			c := e.change()
			rule, edge := cause(c)
			k := key{c.App, c.Type, rule.Line, edge, p}
			j, seen := index[k]
			if !seen {
				j = len(out)
				index[k] = j
				out = append(out, Warning{
					App: c.App, Type: c.Type, Line: rule.Line, Rule: rule.Text, Edge: edge,
					Problem: p, First: c.At,
				})
				firsts = append(firsts, c)
			}
			out[j].Times++
			if p == ProblemLate {
				out[j].Late = max(out[j].Late, int((o.late+59)/60))
			}
		}
	}
	for i := range out {
		w, c := &out[i], firsts[i]
		first := scaler.FullClock(c.At, c.To.Rule.Zone)
		if w.Times == 1 {
			w.Message = message(c, w.Problem, w.Late) + " (once in the period: " + first + ")"
		} else {
			w.Message = message(c, w.Problem, w.Late) + " (" + strconv.Itoa(w.Times) + " times in the period; first " + first + ")"
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(edgeOrder(a.Edge), edgeOrder(b.Edge))) < 0
	})
	return out
}

func edgeOrder(edge string) int {
	if edge == "start" {
		return 0
	}
	return 1
}

// cause returns the rule whose window edge makes a change, and which edge:
// the start of the rule coming into force, unless that rule is of a lower
// tier than the one going out of force (a date or weekly window ending,
// back to the week or the default), which is then the one whose end it is.
func cause(c *Change) (*Rule, string) {
	if c.From != nil && !c.To.IsWindow() && c.To.Rule.Tier < c.From.Rule.Tier {
		return c.From.Rule, "end"
	}
	return c.To.Rule, "start"
}

// message says a problem for a person; late is the most lateness, in
// minutes.
func message(c *Change, problem string, late int) string {
	_, edge := cause(c)
	switch {
	case problem == ProblemNoRun && c.To.Restart:
		return "no run falls in the window: " + TypeName(c.App, c.Type) + " is never restarted, and Heroku cycles it when it will"
	case problem == ProblemOneRun && c.To.Restart:
		return "one run falls in the window: if Scheduler skips it, " + TypeName(c.App, c.Type) + " is not restarted that day"
	case problem == ProblemLate && c.To.Restart:
		return "the first run in the window comes up to " + minutes(late) + " after it opens: the restart comes then or at a later run, never sooner"
	case problem == ProblemNoRun:
		return "no run falls in the window: the job never starts"
	case problem == ProblemOneRun:
		return "one run falls in the window: if Scheduler skips it, the job does not start"
	case problem == ProblemLate && c.To.Once:
		return "the job can start only at the first run in the window, up to " + minutes(late) + " after it opens"
	case problem == ProblemLate:
		return fmt.Sprintf("%s goes to %s up to %s after the rule's %s, at the next run", TypeName(c.App, c.Type), c.To, minutes(late), edge)
	}
	return fmt.Sprintf("%s never goes to %s at the rule's %s: no run falls before the type's next change", TypeName(c.App, c.Type), c.To, edge)
}

// minutes writes a lateness: 5 min, 1 h, 2 h 30 min.
func minutes(m int) string {
	switch h := m / 60; {
	case h == 0:
		return strconv.Itoa(m) + " min"
	case m%60 == 0:
		return strconv.Itoa(h) + " h"
	default:
		return strconv.Itoa(h) + " h " + strconv.Itoa(m%60) + " min"
	}
}
