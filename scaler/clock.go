package scaler

import "time"

// MaxSkew is how far the instant a decision is for may be from the
// platform's clock before a person is told: a dyno's clock off by more, or
// an instant named (apply --at) that is not now.
const MaxSkew = 30 * time.Second

// Clock says for which instant of the platform's clock a decision is made.
//
// The platform stamps a formation's updated_at by its own clock, and a
// decision compares those stamps with instants of the schedule (a window
// opens at 02:00). Judged by the dyno's clock, a dyno two minutes ahead
// would start a job at 02:00:30, which the platform stamps 01:58:30, before
// the window opened; once the job is done, the next apply would see no run
// in the window and start it again. So every decision is made by the
// platform's clock: the dyno's is moved onto it by the offset that each read
// shows (its Date against the dyno's clock when the answer came).
type Clock struct {
	// At is an instant a person named (apply --at), taken as an instant of
	// the platform's clock, and not moved: a what-if means that instant,
	// whatever the dyno's clock says (and the emulator's dynos are given its
	// clock, which is the platform's, to name). Zero means now.
	At time.Time
	// Began is the dyno's clock when the command began: the instant a
	// decision is for when At is zero, once moved onto the platform's clock.
	Began time.Time
}

// For returns the instant of the platform's clock that a decision made
// from read is for: At when given, else Began moved by the read's offset,
// to the second. The Date has one-second resolution and comes a little
// after the platform's instant, so the result is early by up to a second,
// never late: a start it decides is stamped at or after the instant it
// judged. Without a Date (or the dyno's time of the answer), it is Began:
// the dyno's clock is all there is.
func (c Clock) For(r Read) time.Time {
	switch {
	case !c.At.IsZero():
		return c.At
	case r.At.IsZero() || r.Local.IsZero():
		return c.Began
	}
	return c.Began.Add(r.At.Sub(r.Local)).Round(0).Truncate(time.Second)
}

// Skew returns how far the instant the decision names is from the
// platform's clock at read, positive when ahead: the dyno's clock against
// the Date (within half a second), or At against it when given. Zero
// without a Date.
func (c Clock) Skew(r Read) time.Duration {
	switch {
	case r.At.IsZero():
		return 0
	case !c.At.IsZero():
		return c.At.Sub(r.At)
	case r.Local.IsZero():
		return 0
	}
	// The Date is truncated to the second: the platform's clock read
	// between At and a second later, half a second on average.
	return r.Local.Sub(r.At.Add(time.Second / 2))
}

// EdgeMargin is how long after a read's Date a write decided from it is
// taken to land, by the platform's clock: the Date's second (it is cut to
// the second), the answer's way back, the plan and the write's round trip,
// with room for a slow API. A write whose answer is lost, and that is sent
// again after pauses, may land later: see [Service.Apply].
const EdgeMargin = 5 * time.Second

// edgeSettle is how far past an edge apply waits, on the dyno's clock moved
// onto the platform's by the last read's offset (early by up to a second),
// before it reads again: past the edge by two Dates' seconds, the next read
// decides for an instant at or after it.
const edgeSettle = 2 * time.Second

// Band returns the stretch of the platform's clock in which the instant a
// decision from read is for may lie, as far as its write is concerned: from
// For(read), early by up to a second and by the time since Began, to when
// the write lands at the latest, the read's Date plus EdgeMargin. A decision
// made on one side of an edge in (from, to] may land on the other: its
// start stamped after the window closed, its level written after the next
// rule came into force (and then taken, by the next apply, for a person's
// change). Under At, the instant is given: from and to are At.
func (c Clock) Band(r Read) (from, to time.Time) {
	from = c.For(r)
	switch {
	case !c.At.IsZero():
		return from, from
	case !r.At.IsZero():
		return from, r.At.Add(EdgeMargin)
	case !r.Local.IsZero():
		return from, r.Local.Add(EdgeMargin)
	}
	return from, from.Add(EdgeMargin)
}

// offset returns how far the platform's clock is ahead of the dyno's by
// read (early by up to a second); zero without a Date.
func offset(r Read) time.Duration {
	if r.At.IsZero() || r.Local.IsZero() {
		return 0
	}
	return r.At.Sub(r.Local)
}

// nextEdge returns the first edge of app's schedule in (from, to]: a level
// rule's coming into force or its end, a job's or a restart's window's
// opening or close, and, when every is set, the start of a Scheduler
// interval (where what an apply tells changes, see Tells). Every type's
// edges count, not only those a write would touch: apply waits past any,
// and a wait of seconds costs nothing.
func nextEdge(sched Schedule, app string, from, to time.Time, every time.Duration) (time.Time, bool) {
	var first time.Time
	near := func(t time.Time) {
		if t.After(from) && !t.After(to) && (first.IsZero() || t.Before(first)) {
			first = t
		}
	}
	for _, w := range sched.Wants(app, from) {
		near(w.Until)
	}
	for _, w := range sched.Wants(app, to) {
		near(w.Since)
	}
	for _, w := range sched.Restarts(app, from, to.Add(time.Nanosecond)) {
		near(w.Open)
		near(w.Close)
	}
	if every > 0 {
		_, next := interval(from, every, 0)
		near(next)
	}
	return first, !first.IsZero()
}
