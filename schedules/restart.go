package schedules

import (
	"fmt"
	"sort"
	"time"

	"github.com/scalerdev/scaler/scaler"
)

// QuietPeriod is what a restart rule buys each day it restarts its type:
// wherever in the window the restart comes, the type's dynos are not
// cycled from the window's close until its opening 24 hours later.
type QuietPeriod struct {
	App  string `json:"app"`
	Type string `json:"type"`
	Line int    `json:"line"` // of the restart rule
	Rule string `json:"rule"` // its text
	Zone string `json:"zone"`
	// From and To are on the wall clock, HH:MM: the window's close, and
	// its opening a day later. NextDay says that To is on the day after
	// From.
	From    string `json:"from"`
	To      string `json:"to"`
	NextDay bool   `json:"next_day"`
	// Hours is 24 less the window's length: none when the window lasts a
	// day, and the restart may then come at any hour.
	Hours float64 `json:"hours"`
	// Warning is set when the window buys no quiet period.
	Warning bool   `json:"warning"`
	Message string `json:"message"` // for a person
}

// Exposure is a stretch of time in which a type with restart windows may
// be cycled outside them: from 24 hours after one of its restart windows
// opened (the earliest a restart then can have been) until the next one
// opens, when that is later: a day without a restart window, or the night
// the clocks go back, 25 hours long.
type Exposure struct {
	App     string    `json:"app"`
	Type    string    `json:"type"`
	From    time.Time `json:"from"` // in UTC
	To      time.Time `json:"to"`   // in UTC
	Line    int       `json:"line"` // of the restart rule whose window opens at To
	Message string    `json:"message"`
}

// RestartConflict is a job's window (a once rule of another type of the
// same app) whose job a restart may cut: one that opens before a restart
// window closes and is open while it is (the job may start before the
// restart, which then comes while it runs), or one that closes before the
// restart window opens, in the later half of the quiet period before it (a
// job it starts has less than half the quiet period, down to nothing,
// before the restart, and before a cycle, which may come from the window's
// opening on). A job's window that opens as the restart window closes gets
// the whole quiet period; one in the earlier half of the quiet period, the
// last restart's, more than half of it.
type RestartConflict struct {
	App  string `json:"app"`
	Type string `json:"type"` // the type restarted
	Line int    `json:"line"` // of the restart rule
	Rule string `json:"rule"`
	// Job, JobLine and JobRule are the once type and its rule.
	Job     string `json:"job"`
	JobLine int    `json:"job_line"`
	JobRule string `json:"job_rule"`
	Times   int    `json:"times"` // in the period
	// First is when the job's window opens the first time, in UTC.
	First   time.Time `json:"first"`
	Message string    `json:"message"`
}

// occurrences returns the occurrences of once windows (restart false) or
// of restart windows (restart true) open at some instant of [from, to):
// the one in force at from, if any, and those that open after it, in
// order of opening, ties by app then type.
func (s *Schedule) occurrences(from, to time.Time, restart bool) []Occurrence {
	if !to.After(from) {
		return nil
	}
	var out []Occurrence
	for _, g := range s.groups {
		if !g.once || g.restart != restart {
			continue
		}
		if r, since, until := g.spanAt(from.Unix(), localDay(from, g.loc)); r != nil {
			out = append(out, Occurrence{App: g.app, Type: g.typ, Open: instant(since), Close: instant(until), Rule: r})
		}
		for _, c := range g.changes(nil, g.sweep(localDay(from, g.loc), localDay(to, g.loc)), from, to) {
			if c.To != nil {
				out = append(out, Occurrence{App: g.app, Type: g.typ, Open: c.To.Since, Close: c.To.Until, Rule: c.To.Rule})
			}
		}
	}
	// The groups are sorted by app and type: a stable sort by time keeps
	// that order for the ties.
	sort.SliceStable(out, func(i, j int) bool { return out[i].Open.Before(out[j].Open) })
	return out
}

// quietPeriods returns the quiet period of each restart rule, in the order
// of the rules.
func (s *Schedule) quietPeriods() []QuietPeriod {
	out := []QuietPeriod{}
	for _, r := range s.Rules {
		if !r.Restart {
			continue
		}
		q := QuietPeriod{
			App: r.App, Type: r.Type, Line: r.Line, Rule: r.Text, Zone: r.Zone.String(),
			From: Clock(r.end % 1440), To: Clock(r.start), NextDay: r.end < 1440,
			Hours: float64(max(0, 1440-(r.end-r.start))) / 60,
		}
		who := TypeName(r.App, r.Type)
		if q.Hours == 0 {
			q.Warning = true
			q.Message = fmt.Sprintf("the restart window of %s (line %d) lasts a whole day: a restart may come at any hour, and buys no quiet period", who, r.Line)
			out = append(out, q)
			continue
		}
		next := ""
		if q.NextDay {
			next = " the next day"
		}
		q.Message = fmt.Sprintf("no daily cycling of %s between %s and %s%s", who, q.From, q.To, next)
		switch r.when() {
		case "daily":
			q.Message += ", as long as a restart happens each day"
		default:
			q.Message += ", after each restart (" + r.when() + "); on other days Heroku cycles it when it will"
		}
		out = append(out, q)
	}
	return out
}

// levelAt returns the scale rule of app's type in force at t, or nil: At
// for one type, without the schedule's other groups.
func (s *Schedule) levelAt(app, typ string, t time.Time) *Rule {
	for _, g := range s.groups {
		if !g.restart && g.app == app && g.typ == typ {
			r, _, _ := g.spanAt(t.Unix(), localDay(t, g.loc))
			return r
		}
	}
	return nil
}

// markIdle marks the report's restarts whose type its own rules hold at 0
// as the window opens (Idle): apply leaves a type at 0 alone, and a type
// that the rules scale up in the window starts fresh. A restart rule whose
// every window in the period is so buys nothing: its QuietPeriod is a
// warning. Restart windows are on types that no once rule names.
func (s *Schedule) markIdle(rep *Report) {
	idle, all := map[int]int{}, map[int]int{} // by the restart rule's line
	held := map[int]int{}                     // the line of a rule that holds it at 0
	for i, o := range rep.Restarts {
		if o.Open.IsZero() {
			continue
		}
		all[o.Rule.Line]++
		if r := s.levelAt(o.App, o.Type, o.Open); r != nil && !r.Once && r.Quantity == 0 {
			rep.Restarts[i].Idle, rep.Restarts[i].IdleLine = true, r.Line
			idle[o.Rule.Line]++
			held[o.Rule.Line] = r.Line
		}
	}
	for i := range rep.Quiet {
		q := &rep.Quiet[i]
		if n := idle[q.Line]; n > 0 && n == all[q.Line] {
			who := TypeName(q.App, q.Type)
			q.Warning = true
			q.Message = fmt.Sprintf("%s is at 0 in every restart window of line %d in the period (line %d holds it there): apply leaves it alone, and the window buys nothing", who, q.Line, held[q.Line])
		}
	}
}

// SetScheduler sets where Heroku Scheduler, running apply as c says,
// cannot carry out the report's schedule, and marks what that does to its
// restarts: an occurrence of a restart window in which no run of c falls
// (NoRun) restarts nothing, and a restart rule with such an occurrence
// buys no quiet period then (its QuietPeriod is a warning). Scheduler's
// runs every 10 minutes are the most it offers: a window that they miss,
// every interval misses.
func (r *Report) SetScheduler(c SchedulerCheck) {
	r.Scheduler = &c
	if c.Every <= 0 {
		return
	}
	g := grid{period: int64(c.Every) * 60, offset: int64(c.Offset) * 60}
	missed, all := map[int]int{}, map[int]int{} // by the rule's line
	for i, o := range r.Restarts {
		if o.Open.IsZero() || o.Close.IsZero() {
			continue
		}
		all[o.Rule.Line]++
		if g.count(o.Open.Unix(), o.Close.Unix()) == 0 {
			r.Restarts[i].NoRun = true
			missed[o.Rule.Line]++
		}
	}
	for i := range r.Quiet {
		q := &r.Quiet[i]
		if missed[q.Line] == 0 {
			continue
		}
		who, every := TypeName(q.App, q.Type), "every "+c.Every.String()
		q.Warning = true
		if missed[q.Line] == all[q.Line] {
			q.Message = fmt.Sprintf("no run of Heroku Scheduler (%s) falls in the restart window of %s (line %d): apply never restarts %s, and the window buys no quiet period", every, who, q.Line, who)
			continue
		}
		q.Message = fmt.Sprintf("no run of Heroku Scheduler (%s) falls in %d of the %d restart windows of %s in the period (line %d): apply does not restart %s then, and Heroku cycles it when it will", every, missed[q.Line], all[q.Line], who, q.Line, who)
	}
}

// exposures returns the stretches between the restart occurrences of each
// type, when the next opens more than a day after the last, in order of
// that opening (restarts are in order of opening).
func exposures(restarts []Occurrence) []Exposure {
	out := []Exposure{}
	last := map[[2]string]Occurrence{}
	for _, o := range restarts {
		k := [2]string{o.App, o.Type}
		prev, ok := last[k]
		last[k] = o
		if !ok || prev.Open.IsZero() {
			continue
		}
		from := prev.Open.Add(scaler.CycleAfter)
		if !o.Open.After(from) {
			continue
		}
		z := o.Rule.Zone
		e := Exposure{App: o.App, Type: o.Type, From: from.UTC(), To: o.Open.UTC(), Line: o.Rule.Line}
		e.Message = fmt.Sprintf("Heroku may cycle %s from %s: its restart window (line %d) opens %s after the last one opened",
			TypeName(o.App, o.Type), stretch(from.In(z), o.Open.In(z)), o.Rule.Line, hoursLong(o.Open.Sub(prev.Open)))
		out = append(out, e)
	}
	return out
}

// stretch writes from and to, on one wall clock, the date of to only when
// it is not from's: "Sun 2026-10-25 00:00 to 01:00 CET".
func stretch(from, to time.Time) string {
	const stamp = "Mon 2006-01-02 15:04 MST"
	fy, fm, fd := from.Date()
	ty, tm, td := to.Date()
	switch {
	case fy != ty || fm != tm || fd != td:
		return from.Format(stamp) + " to " + to.Format(stamp)
	case from.Format("MST") != to.Format("MST"):
		return from.Format(stamp) + " to " + to.Format("15:04 MST")
	}
	return from.Format("Mon 2006-01-02 15:04") + " to " + to.Format("15:04 MST")
}

// hoursLong writes a duration of whole hours or more: 25 hours, 3 days.
func hoursLong(d time.Duration) string {
	if h := d.Hours(); h >= 48 && d%(24*time.Hour) == 0 {
		return scaler.Plural(int(h/24), "day")
	}
	return scaler.InHours(d.Hours(), "hour")
}

// restartConflicts returns, once per restart rule and job rule, the job
// windows of other types of the same app that open before a restart
// window of [from, to) closes and are open while it is, or close in the
// later half of the quiet period before it opens (see RestartConflict); in
// the order of the first restart window each meets.
func (s *Schedule) restartConflicts(restarts []Occurrence, from, to time.Time) []RestartConflict {
	out := []RestartConflict{}
	if len(restarts) == 0 {
		return out
	}
	// The job windows that can meet the period's restart windows: those
	// open in it, and those that open up to two days before (a window
	// lasts less than that).
	jobs := s.occurrences(from.Add(-48*time.Hour), to, false)
	index := map[[2]*Rule]int{}
	var restartRules []*Rule  // of each conflict
	var leads []time.Duration // of each conflict's first: from the job window's close to the restart window's opening; -1 when open in it
	for _, r := range restarts {
		if r.Open.IsZero() || r.Close.IsZero() {
			continue
		}
		quiet := scaler.CycleAfter - r.Close.Sub(r.Open)
		for _, j := range jobs {
			if j.App != r.App || j.Type == r.Type || j.Open.IsZero() || !j.Open.Before(r.Close) {
				continue
			}
			lead := time.Duration(-1)
			if !j.Close.IsZero() && !j.Close.After(r.Open) {
				if lead = r.Open.Sub(j.Close); lead >= quiet/2 {
					continue // the last restart's: more than half the quiet period
				}
			}
			k := [2]*Rule{r.Rule, j.Rule}
			i, seen := index[k]
			if !seen {
				i = len(out)
				index[k] = i
				restartRules = append(restartRules, r.Rule)
				leads = append(leads, lead)
				out = append(out, RestartConflict{
					App: r.App, Type: r.Type, Line: r.Rule.Line, Rule: r.Rule.Text,
					Job: j.Type, JobLine: j.Rule.Line, JobRule: j.Rule.Text, First: j.Open.UTC(),
				})
			}
			out[i].Times++
		}
	}
	for i := range out {
		c, restart := &out[i], restartRules[i]
		first := scaler.FullClock(c.First, restart.Zone)
		when := "once in the period: " + first
		if c.Times > 1 {
			when = fmt.Sprintf("%d times in the period; first %s", c.Times, first)
		}
		job, restarted := fmt.Sprintf("the job window of %s (line %d: %s)", TypeName(c.App, c.Job), c.JobLine, c.JobRule), fmt.Sprintf("the restart window of %s (line %d)", TypeName(c.App, c.Type), c.Line)
		var risk string
		switch lead := leads[i]; {
		case lead < 0:
			risk = job + " is open before " + restarted + " closes: the job may start before the restart, which then comes while it runs"
		case lead == 0:
			risk = job + " closes as " + restarted + " opens: a job it starts may still run when the restart comes, or a cycle, which may come from the window's opening on"
		default:
			risk = job + " closes " + minutes(int(lead.Minutes())) + " before " + restarted + " opens: a job it starts that runs longer than that may be cut by the restart, or by a cycle, which may come from the window's opening on"
		}
		c.Message = fmt.Sprintf("%s; open the job's window at %s or later, when the quiet period begins (%s)", risk, Clock(restart.end), when)
	}
	return out
}
