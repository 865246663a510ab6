package scaler

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Restart windows. Heroku cycles every dyno CycleAfter after it started,
// plus up to CycleSpread; a restart starts that clock over. A schedule's
// restart window (`worker daily 01:00-01:30 restart`) restarts a type's
// dynos once per occurrence, so that the cycle keeps away from the rest of
// the day. scaler keeps no memory of its own: the platform's is the
// dynos' start, which every restart renews, whoever makes it (an apply, a
// person, a deploy).

// startedSince reports whether dyno d started at or after t, on the
// platform's clock (see Dyno.Started, and the side it takes).
func startedSince(d Dyno, t time.Time) bool {
	return !d.Started().Before(t)
}

// DueForRestart returns the dynos of typ that a restart in the occurrence
// of a window opened at open must still restart, sorted by name: those
// listed and not down (a down dyno is on its way out, its replacement
// listed beside it) that started before open. since is when the others
// started, the earliest, zero when none did.
func DueForRestart(typ string, dynos []Dyno, open time.Time) (due []Dyno, since time.Time) {
	for _, d := range dynos {
		if d.Type != typ || d.State == StateDown {
			continue
		}
		if !startedSince(d, open) {
			due = append(due, d)
			continue
		}
		if since.IsZero() || d.Started().Before(since) {
			since = d.Started()
		}
	}
	sortDynos(due)
	return due, since
}

// RestartPhase is where a type's restart window stands at an apply.
type RestartPhase int

// The phases of a restart window.
const (
	// RestartDone: in the window, the type's dynos all started since it
	// opened (Since), whoever restarted them.
	RestartDone RestartPhase = iota
	// RestartDue: in the window, Dynos dynos started before it opened. An
	// apply restarts them, and says so with one of the three phases after.
	RestartDue
	// RestartRestarted: this apply restarted the type's Dynos dynos.
	RestartRestarted
	// RestartWouldRestart: a dry run would restart Dynos dynos.
	RestartWouldRestart
	// RestartFailed: the restart failed (Err), after Dynos dynos: the next
	// apply in the window goes on.
	RestartFailed
	// RestartIdle: in the window, the type is at 0: left alone. (A type
	// not in the formation fails, ErrNotFound.)
	RestartIdle
	// RestartMissed: the window closed in this apply's interval, and the
	// type runs dynos that started before it opened: no restart came (the
	// API was out of reach throughout, or Scheduler skipped every run).
	RestartMissed
	// RestartWaiting: outside its windows; the next opens at Window.Open
	// (what status says).
	RestartWaiting
)

// String returns the phase's name, as JSON and the log say it.
func (p RestartPhase) String() string {
	switch p {
	case RestartDone:
		return "done"
	case RestartDue:
		return "due"
	case RestartRestarted:
		return "restarted"
	case RestartWouldRestart:
		return "would_restart"
	case RestartFailed:
		return "failed"
	case RestartIdle:
		return "idle"
	case RestartMissed:
		return "missed"
	case RestartWaiting:
		return "waiting"
	}
	return fmt.Sprintf("restart_phase(%d)", int(p))
}

// RestartState is where one type's restart window stands at an apply.
type RestartState struct {
	Type  string
	Phase RestartPhase
	// Window is the occurrence in force, or for RestartMissed the one that
	// closed.
	Window Window
	// Since is, for RestartDone, when the type's dynos (re)started, the
	// earliest of them; zero when no dyno of it is listed yet.
	Since time.Time
	// Dynos is how many dynos are due, were restarted, or would be.
	Dynos int
	// Err is why a restart failed.
	Err error
	// At is the instant judged, and Zone the zone of the rule (nil: UTC):
	// String says times in that zone, by the day of At.
	At   time.Time
	Zone *time.Location

	due []Dyno // for RestartDue: the dynos to restart, by name
}

// String says where the window stands, for a person: "restarted worker
// (2 dynos)", "worker restarted in this window at 01:04 CET", "worker at
// 0: left alone in its restart window".
func (s RestartState) String() string {
	how := ""
	if s.Window.Rolling {
		how = " one at a time"
	}
	switch s.Phase {
	case RestartRestarted:
		return "restarted " + s.Type + how + " (" + Plural(s.Dynos, "dyno") + ")"
	case RestartWouldRestart:
		return "would restart " + s.Type + how + " (" + Plural(s.Dynos, "dyno") + ")"
	}
	return s.Type + " " + s.Stands()
}

// Stands says where the window stands, as status says it after the type:
// "restarted in this window at 01:04 CET", "next restart window
// 01:00-01:30 CET tomorrow".
func (s RestartState) Stands() string {
	dynos := Plural(s.Dynos, "dyno")
	switch s.Phase {
	case RestartDone:
		if s.Since.IsZero() {
			return "restarted in this window"
		}
		return "restarted in this window at " + WallClock(s.Since, s.At, s.Zone)
	case RestartDue:
		return "due for its restart (" + dynos + ")"
	case RestartRestarted:
		return "restarted (" + dynos + ")"
	case RestartWouldRestart:
		return "would restart (" + dynos + ")"
	case RestartFailed:
		failed := "restart failed"
		if s.Dynos > 0 {
			failed += " after restarting " + dynos
		}
		if errors.Is(s.Err, ErrNotFound) && s.Dynos == 0 {
			return failed // no such type: trying again changes nothing
		}
		return failed + ": the next apply in the window tries again"
	case RestartIdle:
		return "at 0: left alone in its restart window"
	case RestartMissed:
		return fmt.Sprintf("not restarted in its window, %s to %s", FullClock(s.Window.Open, s.Zone), WallClock(s.Window.Close, s.Window.Open, s.Zone))
	case RestartWaiting:
		return "next restart window " + windowSpan(s.Window.Open, s.Window.Close, s.At, s.Zone)
	}
	return s.Phase.String()
}

// windowSpan says a window as a person at at reads it: "01:00-01:30 CET
// tomorrow", "Mon 2026-12-07 01:00-01:30 CET", or, for a window that
// crosses midnight or a change of the zone's offset, each end with its day:
// "23:50 CET to 00:20 CET tomorrow".
func windowSpan(open, close, at time.Time, loc *time.Location) string {
	o, c := open.In(zoneOr(loc)), close.In(zoneOr(loc))
	opens := WallClock(open, at, loc)
	if o.YearDay() != c.YearDay() || o.Year() != c.Year() || o.Format("MST") != c.Format("MST") {
		return opens + " to " + WallClock(close, at, loc)
	}
	// The opening's time and zone, "01:00 CET", become the span's.
	return strings.Replace(opens, o.Format("15:04 MST"), o.Format("15:04-")+c.Format("15:04 MST"), 1)
}

// zoneOr returns loc, or UTC when nil.
func zoneOr(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}

// restartLookahead is how far ahead RestartOutlook looks for a type's next
// restart window: a week, and a day more for one that crosses its end.
const restartLookahead = 8 * 24 * time.Hour

// RestartOutlook returns where each of app's restart windows stands at at,
// an instant of the platform's clock, by type: the occurrence that holds
// at (done, due or idle, by form and dynos, as RestartStates judges it),
// else the next to open within a week (waiting), the open ones first. What
// `scaler status` says, by type.
func RestartOutlook(app string, form Formation, dynos []Dyno, sched Schedule, at time.Time) []RestartState {
	windows := sched.Restarts(app, at, at.Add(restartLookahead))
	out := RestartStates(form, dynos, windows, at, 0)
	for _, w := range windows {
		if w.Open.After(at) && !judged(out, w.Type) {
			out = append(out, RestartState{Type: w.Type, Phase: RestartWaiting, Window: w, At: at, Zone: w.Rule.Zone})
		}
	}
	return out
}

// RestartStates judges app's restart windows at at, an instant of the
// platform's clock, by form and dynos, the formation and the dynos as read
// then: one state per type whose window holds at (done, due or idle), and
// one per type whose last window closed without its restart, with dynos
// that started before it opened (missed), when this apply is the one to
// tell of it (Tells; never when every is 0), in the order of windows.
// windows are the occurrences of the app's restart windows open at at, or
// in the interval before at's (see restartWindows), in order of opening,
// ties by type.
func RestartStates(form Formation, dynos []Dyno, windows []Window, at time.Time, every time.Duration) []RestartState {
	var out []RestartState
	var closed []Window // the latest of each type whose close this apply tells of
	for _, w := range windows {
		switch {
		case w.Open.IsZero() || w.Close.IsZero():
			// Restart windows last less than two days: never.
		case !w.Open.After(at) && at.Before(w.Close):
			s := RestartState{Type: w.Type, Window: w, At: at, Zone: w.Rule.Zone}
			p, found := form.Find(w.Type)
			due, since := DueForRestart(w.Type, dynos, w.Open)
			switch {
			case !found:
				// A typo, or a type a deploy removed: the app fails, as
				// for a scale rule's.
				s.Phase, s.Err = RestartFailed, noProcessType(w.App, []string{w.Type}, form, "restarting")
			case p.Quantity == 0:
				s.Phase = RestartIdle
			case len(due) > 0:
				s.Phase, s.Dynos, s.due = RestartDue, len(due), due
			default:
				s.Phase, s.Since = RestartDone, since
			}
			out = append(out, s)
		case every > 0 && Tells(w.Close, at, every):
			// Windows come in order of opening: a later one of the type
			// replaces an earlier.
			if i := slices.IndexFunc(closed, func(c Window) bool { return c.Type == w.Type }); i >= 0 {
				closed[i] = w
			} else {
				closed = append(closed, w)
			}
		}
	}
	for _, w := range closed {
		if judged(out, w.Type) {
			continue // its next window is open: judged there
		}
		p, _ := form.Find(w.Type)
		if due, _ := DueForRestart(w.Type, dynos, w.Open); p.Quantity > 0 && len(due) > 0 {
			out = append(out, RestartState{Type: w.Type, Phase: RestartMissed, Window: w, Dynos: len(due), At: at, Zone: w.Rule.Zone})
		}
	}
	return out
}

// judged reports whether states holds one of typ.
func judged(states []RestartState, typ string) bool {
	for _, s := range states {
		if s.Type == typ {
			return true
		}
	}
	return false
}

// restartWindows returns the occurrences of app's restart windows that
// RestartStates judges at at: those open then, and those that closed in
// the interval before at's (see Tells).
func restartWindows(app string, sched Schedule, at time.Time, every time.Duration) []Window {
	from := at
	if every > 0 {
		// A window that closes as the interval begins was open just
		// before.
		from, _ = interval(at, every, -1)
		from = from.Add(-time.Second)
	}
	return sched.Restarts(app, from, at.Add(time.Second))
}

// restart carries out the restarts that app's result leaves due, after its
// formation's apply: it reads the dynos only when a restart window holds
// the result's instant or is one whose close it tells of (every), and
// restarts the dynos due of each type (restartDue). A failure is the
// state's, and stops nothing else.
func (s *Service) restart(ctx context.Context, r *AppResult, sched Schedule, every time.Duration, dry bool) {
	windows := restartWindows(r.App, sched, r.At, every)
	if len(windows) == 0 {
		return
	}
	form := r.Read.Formation
	if r.Plan.Current != nil {
		form = r.Plan.Current
	}
	form = slices.Clone(form)
	for _, p := range r.Plan.Written {
		if i := slices.IndexFunc(form, func(q Process) bool { return q.Type == p.Type }); i >= 0 {
			form[i] = p
		}
	}
	dynos, err := s.Platform.Dynos(ctx, r.App)
	if err != nil {
		err = fmt.Errorf("read dynos of %s: %w", r.App, err)
		for _, w := range windows {
			if !w.Open.After(r.At) && r.At.Before(w.Close) {
				r.Restarts = append(r.Restarts, RestartState{Type: w.Type, Phase: RestartFailed, Window: w, Err: err, At: r.At, Zone: w.Rule.Zone})
			}
		}
		return
	}
	r.Restarts = RestartStates(form, dynos, windows, r.At, every)
	for i := range r.Restarts {
		st := &r.Restarts[i]
		switch {
		case st.Phase != RestartDue:
		case dry:
			st.Phase = RestartWouldRestart
		default:
			n, err := s.restartDue(ctx, r.App, st.Window, st.due, offset(r.Read))
			st.Phase, st.Dynos, st.Err = RestartRestarted, n, err
			switch {
			case err != nil:
				st.Phase = RestartFailed
			case n == 0:
				// Another apply restarted them all since the list.
				st.Phase = RestartDone
			case !st.Window.Rolling:
				s.Log.Info("restarted", "app", r.App, "type", st.Type, "dynos", n, "window_open", st.Window.Open.UTC().Format(time.RFC3339))
			}
		}
		st.due = nil
	}
}

// restartDue restarts the dynos due, the type's that started before the
// window w opened, each by its id (DELETE /apps/{app}/dynos/{id}): all at
// once, or for a rolling window one at a time, every other dyno of the
// type up before each (othersUp), so that the type keeps serving. It
// returns how many it restarted.
//
// By id, and not the whole type at once (the official CLI's DELETE
// /apps/{app}/formations/{type}): a dyno that started since the list (one
// of a scale-up in this run) is fresh, and is left alone; and a dyno that
// another apply restarted since the list is gone (404: the platform, as
// the dyno manager does, gives a restarted dyno a new id), and is skipped,
// so that two applies that judge the type due at the same instant (a
// Scheduler duplicate) restart each dyno once. Whether the platform gives
// a restarted dyno a new id is unconfirmed: where it keeps the id, both
// restart it, one after the other (the residual the README states). A
// rolling restart also skips a dyno that started since the window opened,
// as it reads the dynos before each, and stops once the window has closed
// (on the platform's clock: the dyno's moved by off), where the night's
// work may begin: the dynos left are told of as a restart missed.
func (s *Service) restartDue(ctx context.Context, app string, w Window, due []Dyno, off time.Duration) (int, error) {
	n := 0
	mine := map[string]bool{} // the names of the dynos it restarted
	for i, d := range due {
		if w.Rolling {
			cur, ok, err := s.othersUp(ctx, app, d, w.Open, mine)
			switch {
			case err != nil:
				return n, &RestartError{App: app, Dyno: d.Name, Err: err}
			case !ok || startedSince(cur, w.Open):
				s.Log.Info("dyno already restarted", "app", app, "dyno", d.Name)
				continue
			case n > 0 && !s.now().Add(off).Before(w.Close):
				s.Log.Warn("restart window closed", "app", app, "type", w.Type, "restarted", n, "left", len(due)-i,
					"hint", "the window closed before every dyno's turn came; the rest restart in its next occurrence, and Heroku may cycle them before")
				return n, nil
			}
			d = cur
		}
		err := s.Platform.RestartDyno(ctx, app, d.ID)
		switch {
		case errors.Is(err, ErrNotFound):
			s.Log.Info("dyno already restarted", "app", app, "dyno", d.Name)
			continue
		case err != nil:
			return n, &RestartError{App: app, Dyno: d.Name, Err: err}
		}
		n++
		mine[d.Name] = true
		if w.Rolling {
			s.Log.Info("restarted", "app", app, "dyno", d.Name, "rolling", fmt.Sprintf("%d of %d", i+1, len(due)))
		}
	}
	return n, nil
}

// RestartError is the restart of a restart window's dyno that failed: its
// DELETE failed, or its answer was lost (ErrUncertain: the dyno may or may
// not have restarted), or for a rolling restart the wait for the others
// to be up before it ended (a WaitError: the dynos were slow, not the
// API). The next apply in the window goes on from what it finds.
type RestartError struct {
	App  string
	Dyno string // the dyno to restart
	Err  error
}

func (e *RestartError) Error() string {
	return fmt.Sprintf("restart %s of %s: %v", e.Dyno, e.App, e.Err)
}

// Unwrap returns why it failed.
func (e *RestartError) Unwrap() error { return e.Err }

// othersUp blocks until every dyno of d's type but d is up, those named in
// mine up and started at or after open (the replacements of those this
// apply restarted; an old one listed down beside its replacement is on its
// way out), and returns d as then listed, ok false when no live dyno has
// its name. It gives up when ctx is done, with a WaitError that says what
// it waited for.
func (s *Service) othersUp(ctx context.Context, app string, d Dyno, open time.Time, mine map[string]bool) (cur Dyno, ok bool, err error) {
	pause := cmp.Or(s.PollInterval, 500*time.Millisecond)
	last := ""
	for {
		dynos, err := s.Platform.Dynos(ctx, app)
		if err != nil {
			if ctx.Err() != nil {
				return Dyno{}, false, &WaitError{App: app, Pending: cmp.Or(last, "the dynos of "+d.Type), Err: context.Cause(ctx)}
			}
			return Dyno{}, false, fmt.Errorf("wait for the dynos of %s of %s: %w", d.Type, app, err)
		}
		sortDynos(dynos)
		var pending []string
		live := map[string]bool{}
		cur, ok = Dyno{}, false
		for _, o := range dynos {
			if o.Type != d.Type || o.State == StateDown {
				continue
			}
			live[o.Name] = true
			switch {
			case o.Name == d.Name:
				cur, ok = o, true
			case o.State != StateUp:
				pending = append(pending, o.Name+" "+o.State)
			case mine[o.Name] && !startedSince(o, open):
				pending = append(pending, o.Name+" restarting")
			}
		}
		for name := range mine {
			if !live[name] {
				pending = append(pending, name+" restarting")
			}
		}
		if len(pending) == 0 {
			return cur, ok, nil
		}
		slices.Sort(pending)
		if now := strings.Join(pending, ", "); now != last {
			last = now
			s.Log.Info("waiting", "app", app, "pending", last, "before", d.Name)
		}
		if err := Sleep(ctx, pause); err != nil {
			return Dyno{}, false, &WaitError{App: app, Pending: last, Err: err}
		}
		pause = min(pause*3/2, MaxPollInterval)
	}
}
