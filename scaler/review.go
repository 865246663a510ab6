package scaler

import (
	"fmt"
	"slices"
	"time"
)

// KeptLong is how old a person's change kept against the schedule is when
// a person is told of it, and how often they are told again.
const KeptLong = 24 * time.Hour

// AppReview is what one app's apply comes to beyond its changes: where each
// type stands against its rule, the job windows that closed without their
// job, and where each job's window stands.
type AppReview struct {
	App string
	// At is the instant of the platform's clock judged.
	At time.Time
	// DryRun: the changes were planned, not made.
	DryRun bool
	// Edges are the types the schedule wants something of at At, in the
	// order of the result's wants.
	Edges []Edge
	// Missed are the occurrences of job windows that closed without their
	// job, which this apply is the one to tell of (see Tells).
	Missed []Window
	// Jobs is where the window of each job's type stands, by type.
	Jobs []JobState
	// Restarts is where each restart window stands, by type: see
	// AppResult.Restarts.
	Restarts []RestartState
}

// Edge is one type's want at the instant judged, as apply met it.
type Edge struct {
	Want Want
	// Kept is the type as a person (or another tool) left it, changed since
	// the want's edge, when apply kept it; nil otherwise.
	Kept *Process
	// Next is, for a kept change, what the schedule wants of the type at
	// Want.Until, when it takes over again; nil when no rule covers the
	// type then (it is left as it is).
	Next *Want
	// Tell says that a kept change became a whole number of days old
	// (KeptLong), and that this apply is the one to tell of it (see
	// Tells): a person is told once a day.
	Tell bool
	// Late is, for a change apply made to a type left as it was since
	// before the want's edge, how long after the edge it came, when that is
	// a Scheduler interval or more: a missed edge, healed.
	Late time.Duration
	// Undone is, for a change apply made to a type changed since the
	// want's edge (a person, another tool), the type as it was: with no edge
	// ahead for the change to hold until, the schedule took it back (see
	// Specs). Nil otherwise, and under --enforce, which asks for it.
	Undone *Process
}

// Review judges one app's result against the schedule, at the instant the
// result was decided for, on the platform's clock. every is the interval of
// the Scheduler job that runs apply: a change that came that much after its
// edge was late, and each condition that lasts is said by one apply only,
// statelessly (see Tells): a window's close, a kept change's age reaching
// each whole day. A result whose read failed has nothing to review; one that
// failed after it has its missed windows judged (from what was read), and
// nothing else, since its changes may not have landed.
func Review(r AppResult, sched Schedule, every time.Duration) AppReview {
	rev := AppReview{App: r.App, At: r.At, DryRun: r.DryRun}
	form := r.Plan.Current
	if form == nil {
		form = r.Read.Formation
	}
	if r.At.IsZero() {
		return rev // never read
	}
	rev.Missed = missed(r.App, form, sched, r.At, every)
	rev.Restarts = r.Restarts
	if r.Err != nil {
		return rev
	}
	kept := map[string]Process{}
	for _, p := range r.Plan.Kept {
		kept[p.Type] = p
	}
	changes := map[string]Change{}
	for _, c := range r.Plan.Changes {
		changes[c.Type] = c
	}
	for _, w := range r.Wants {
		e := Edge{Want: w}
		if p, ok := kept[w.Type]; ok {
			e.Kept = &p
			for _, n := range sched.Wants(r.App, w.Until) {
				if n.Type == w.Type {
					e.Next = &n
				}
			}
			// The whole day of its age that this apply may tell of: the
			// last one reached, or the one before when the last is still
			// in this apply's own interval.
			days := r.At.Sub(p.UpdatedAt) / KeptLong
			for d := days; d >= max(1, days-1) && !e.Tell; d-- {
				e.Tell = Tells(p.UpdatedAt.Add(d*KeptLong), r.At, every)
			}
		}
		if c, ok := changes[w.Type]; ok && w.Kind == Level && !w.Since.IsZero() {
			switch gap := r.At.Sub(w.Since); {
			case c.FromUpdatedAt.Before(w.Since):
				// Left as it was since before the edge: the edge was
				// missed when no run came within an interval of it.
				if gap >= every {
					e.Late = gap
				}
			case w.Until.IsZero():
				e.Undone = &Process{Type: c.Type, Quantity: c.From, Size: c.FromSize, UpdatedAt: c.FromUpdatedAt}
			}
		}
		rev.Edges = append(rev.Edges, e)
	}
	rev.Jobs = jobs(r, form, sched)
	return rev
}

// missed returns the occurrences of app's job windows that closed without
// their job ever starting, which the apply at at is the one to tell of
// (Tells): the type is at 0 and has not changed since the window opened
// (the API was down throughout, or every Scheduler run of the window was
// skipped). Only the latest of each type is judged: a later window's run
// changes the type too, and scaler keeps no memory of its own.
func missed(app string, form Formation, sched Schedule, at time.Time, every time.Duration) []Window {
	from, to := interval(at, every, -1)
	latest := map[string]Window{}
	var types []string
	// A window that closes as the interval begins was open just before.
	for _, w := range sched.Windows(app, from.Add(-time.Second), to) {
		if !Tells(w.Close, at, every) {
			continue
		}
		if _, seen := latest[w.Type]; !seen {
			types = append(types, w.Type)
		}
		if w.Close.After(latest[w.Type].Close) {
			latest[w.Type] = w
		}
	}
	var out []Window
	for _, typ := range types {
		w := latest[typ]
		if p, ok := form.Find(typ); ok && p.Quantity == 0 && p.UpdatedAt.Before(w.Open) {
			out = append(out, w)
		}
	}
	return out
}

// Tells reports whether the apply decided at at, one of a Scheduler job's
// runs every every, is the one to tell a person of a condition that began
// at began, so that each condition is told once with no memory kept. The
// clock is cut into intervals of every from the Unix epoch, as Heroku
// Scheduler's runs are taken to come (for 10 minutes, :00-:10, :10-:20, ...
// UTC; unconfirmed), each run some seconds into its interval as its dyno
// boots: a condition is told by the run of the interval after the one it
// began in. Each interval has one run, however late in it the run comes,
// so each condition is told once; never when Scheduler skipped that run,
// twice when it ran it twice. (Telling the apply whose own last interval,
// (at-every, at], holds the condition leaves gaps and overlaps as soon as
// two runs are not exactly every apart, which they never are.)
func Tells(began, at time.Time, every time.Duration) bool {
	from, to := interval(at, every, -1)
	return !began.Before(from) && began.Before(to)
}

// interval returns the interval of the clock, cut into intervals of every
// from the Unix epoch, that is n intervals from the one holding at: [from,
// to).
func interval(at time.Time, every time.Duration, n int64) (from, to time.Time) {
	e := int64(every)
	i := at.UnixNano() / e
	if at.UnixNano()%e < 0 {
		i--
	}
	from = time.Unix(0, (i+n)*e).In(at.Location())
	return from, from.Add(every)
}

// JobPhase is where a job's window stands for its type.
type JobPhase int

// The phases of a job's window.
const (
	// JobWaiting: outside its windows; the next opens at Window.Open.
	JobWaiting JobPhase = iota
	// JobOutside: outside its windows, with none ahead within the
	// schedule's reach.
	JobOutside
	// JobStarted: this apply started its job.
	JobStarted
	// JobWouldStart: in its window, without a run yet; a dry run would
	// start it.
	JobWouldStart
	// JobRunning: its type runs, since Since.
	JobRunning
	// JobRan: in its window, its type is at 0 and changed since the window
	// opened (the run's scale-down landed at Since; or a person decided).
	JobRan
	// JobNeverOpens: its windows overlap without end, into one occurrence
	// that never opened: no start can be told from the job's own, and none
	// is made.
	JobNeverOpens
)

// String returns the phase's name, as JSON and the log say it: waiting,
// outside, started, would_start, running, ran, never_opens.
func (p JobPhase) String() string {
	switch p {
	case JobWaiting:
		return "waiting"
	case JobOutside:
		return "outside"
	case JobStarted:
		return "started"
	case JobWouldStart:
		return "would_start"
	case JobRunning:
		return "running"
	case JobRan:
		return "ran"
	case JobNeverOpens:
		return "never_opens"
	}
	return fmt.Sprintf("phase(%d)", int(p))
}

// JobState is where the window of one job's type stands at an instant.
type JobState struct {
	Type  string
	Phase JobPhase
	// Window is the occurrence in force, or for JobWaiting the next to
	// open; zero when there is none.
	Window Window
	// Since is, for JobStarted, when the start landed; for JobRunning,
	// when the type was last changed (scaled up for the run); for JobRan,
	// when it went back to 0.
	Since time.Time
	// Run is the run's identity (RunID), for JobStarted and JobRunning.
	// Once the run is done, the formation keeps only when its scale-down
	// landed: its identity is no longer known.
	Run string
	// At is the instant judged, and Zone the zone of the type's rules
	// (nil: UTC): String says times in that zone, by the day of At.
	At   time.Time
	Zone *time.Location
}

// String says where the window stands, for a person: "waiting for the
// window (opens 02:00 CET)", "started (run nightly-20261201T010300Z)",
// "running since 02:03 CET (run nightly-20261201T010300Z)", "ran in this
// window (done 02:41 CET)", "outside its windows".
func (j JobState) String() string {
	when := func(t time.Time) string { return WallClock(t, j.At, j.Zone) }
	run := ""
	if j.Run != "" {
		run = " (run " + j.Run + ")"
	}
	switch j.Phase {
	case JobWaiting:
		return "waiting for the window (opens " + when(j.Window.Open) + ")"
	case JobOutside:
		return "outside its windows"
	case JobStarted:
		return "started" + run
	case JobWouldStart:
		return "in its window, not run yet: would start"
	case JobRunning:
		return "running since " + when(j.Since) + run
	case JobRan:
		return "ran in this window (done " + when(j.Since) + ")"
	case JobNeverOpens:
		return "its windows overlap without end, so its job never starts"
	}
	return j.Phase.String()
}

// jobLookahead is how far ahead the next window is looked for: a week
// first (most windows are daily or weekly), then as far as a schedule
// reaches.
var jobLookahead = [...]time.Duration{8 * 24 * time.Hour, 401 * 24 * time.Hour}

// Jobs returns where the window of each of app's job types stands at at,
// an instant of the platform's clock, by form, the formation as read then:
// what `scaler status` says.
func Jobs(app string, form Formation, sched Schedule, at time.Time) []JobState {
	return jobs(AppResult{App: app, At: at, Wants: sched.Wants(app, at)}, form, sched)
}

// jobs returns where the window of each of the app's job types stands.
func jobs(r AppResult, form Formation, sched Schedule) []JobState {
	var out []JobState
	var ahead []Window // the windows of the first lookahead, once read
	for _, o := range sched.Types(r.App) {
		if o.Kind != Once {
			continue
		}
		j := JobState{Type: o.Type, At: r.At, Zone: o.Zone}
		i := slices.IndexFunc(r.Wants, func(w Want) bool { return w.Type == o.Type && w.Kind == Once })
		var w Want
		if i >= 0 {
			w = r.Wants[i]
			j.Window = Window{App: r.App, Type: o.Type, Open: w.Since, Close: w.Until, Rule: w.Rule}
		}
		p, _ := form.Find(o.Type)
		started := slices.ContainsFunc(r.Plan.Changes, func(c Change) bool { return c.Type == o.Type })
		switch {
		case i >= 0 && w.Since.IsZero():
			j.Phase = JobNeverOpens
		case started && r.DryRun:
			j.Phase = JobWouldStart
		case started:
			j.Phase = JobStarted
			if q, ok := r.Plan.Written.Find(o.Type); ok {
				j.Since, j.Run = q.UpdatedAt, RunID(o.Type, q)
			}
		case p.Quantity > 0:
			j.Phase, j.Since, j.Run = JobRunning, p.UpdatedAt, RunID(o.Type, p)
		case i >= 0:
			// At 0, and not started: Start found it changed since the
			// window opened.
			j.Phase, j.Since = JobRan, p.UpdatedAt
		default:
			j.Phase = JobOutside
			if ahead == nil {
				ahead = sched.Windows(r.App, r.At, r.At.Add(jobLookahead[0]))
			}
			next, ok := nextWindow(ahead, o.Type, r.At)
			if !ok {
				next, ok = nextWindow(sched.Windows(r.App, r.At, r.At.Add(jobLookahead[1])), o.Type, r.At)
			}
			if ok {
				j.Phase, j.Window = JobWaiting, next
			}
		}
		out = append(out, j)
	}
	return out
}

// nextWindow returns the first of ws of type typ that opens after at.
func nextWindow(ws []Window, typ string, at time.Time) (Window, bool) {
	for _, w := range ws {
		if w.Type == typ && w.Open.After(at) {
			return w, true
		}
	}
	return Window{}, false
}

// Events returns what a person needs to hear of the review: each edge
// healed late, each kept change on the day it turns a whole number of days
// old, each window missed, and each restart window closed without its
// restart.
func (r AppReview) Events() []Event {
	var out []Event
	for _, e := range r.Edges {
		w := e.Want
		if e.Late > 0 {
			out = append(out, Event{Kind: KindMissedEdgeHealed, App: r.App, Type: w.Type,
				Detail: fmt.Sprintf("the edge at %s (line %d: %s) was applied %s late", FullClock(w.Since, w.Rule.Zone), w.Rule.Line, w.Describe(), e.Late.Round(time.Second))})
		}
		if e.Tell {
			out = append(out, Event{Kind: KindChangeKeptLong, App: r.App, Type: w.Type, Detail: e.KeptDetail(r.At)})
		}
	}
	for _, m := range r.Missed {
		out = append(out, Event{Kind: KindWindowMissed, App: r.App, Type: m.Type,
			Detail: fmt.Sprintf("the window from %s to %s (line %d: %s) closed, and the job never started",
				FullClock(m.Open, m.Rule.Zone), WallClock(m.Close, m.Open, m.Rule.Zone), m.Rule.Line, m.Rule.Text)})
	}
	for _, s := range r.Restarts {
		if s.Phase != RestartMissed {
			continue
		}
		w := s.Window
		out = append(out, Event{Kind: KindRestartMissed, App: r.App, Type: s.Type,
			Detail: fmt.Sprintf("the window from %s to %s (line %d: %s) closed, and %s runs %s started before it opened: Heroku cycles them a day after their start, which may be during the night's work",
				FullClock(w.Open, w.Rule.Zone), WallClock(w.Close, w.Open, w.Rule.Zone), w.Rule.Line, w.Rule.Text, s.Type, Plural(s.Dynos, "dyno"))})
	}
	return out
}

// KeptDetail says a kept change, its age at at, and when the schedule
// takes over again: "web is at 5 (Standard-1X) since Sat 2026-11-28 01:00
// CET, 1d1h ago, where line 1 asks for 2 dynos; the schedule takes over
// again at Mon 2026-11-30 00:00 CET (line 2: 1 dyno)". Empty when e kept
// nothing.
func (e Edge) KeptDetail(at time.Time) string {
	if e.Kept == nil {
		return ""
	}
	w, p, zone := e.Want, e.Kept, e.Want.Rule.Zone
	s := fmt.Sprintf("%s is at %d (%s) since %s, %s ago, where line %d asks for %s; ",
		w.Type, p.Quantity, p.Size, FullClock(p.UpdatedAt, zone), Age(at.Sub(p.UpdatedAt)), w.Rule.Line, w.Describe())
	if e.Next == nil {
		return s + fmt.Sprintf("line %d ends at %s, and no rule follows: %s stays as it is", w.Rule.Line, FullClock(w.Until, zone), w.Type)
	}
	return s + fmt.Sprintf("the schedule takes over again at %s (line %d: %s)", FullClock(w.Until, zone), e.Next.Rule.Line, e.Next.Describe())
}
