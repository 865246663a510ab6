// Package schedules is the schedule language of `scaler apply` and
// `scaler plan`: Parse and ParseEnv read rules that say, by time of day,
// weekday and date, what an app's formation should be, when a job's window
// is open and when a type's dynos restart; the methods of a Schedule give
// the desired formation at an instant the caller passes in, the changes,
// occurrences and restarts of a period, and the Report that plan shows.
//
// The language itself, as users write it, is documented once, in
// docs/schedules.md (its grammar, precedence, windows, daylight saving
// time); this comment is the model behind it, for a maintainer.
//
// Like the scaler domain, it is pure Go on the standard library and the
// domain: it must not import heroku-go, urfave/cli or any adapter, and it
// never reads the clock. It holds data and the sentences that the domain
// words itself (a Warning's, a DSTEffect's, a QuietPeriod's Message, in
// the words of package scaler: scaler.Plural, scaler.FullClock, ...), not
// their layout: plan's text (tables, charts, money, wrapping) is
// cmd/scaler's (plantext.go), beside status's and scale's; its JSON is the
// Report as is.
//
// # Rules and tiers
//
// A Rule is one line: for one (app, type), a window (minutes [start, end)
// of a local day, end up to a day after start) on the days it covers, in
// its zone, and a target: a level (quantity and size), a job's window
// (Once) or a restart window (Restart). Its Tier is its precedence: a date
// rule wins over a weekly one, which wins over the default. Two rules of
// one tier that overlap must ask for the same target, so that which of
// them is in force (the first, by line) shows only in Target.Rule. Parse
// checks overlaps in the wall-clock minutes the rules are written in,
// which is why the rules of one (app, type) share a zone.
//
// The Schedule keeps the rules of each (app, type) in a group: the scale
// rules (level or once, never both), and apart from them the restart
// rules, whose windows change no quantity. At, Changes and Closed, and the
// Report's charts, see the scale groups only; Restarts only the restart
// groups. A group's sweep over a run of local days is a list of segments,
// each a stretch of time with one rule (or none) in force; everything
// else is read off segments.
//
// # Occurrences
//
// A once or a restart window (Target.IsWindow, Rule.neverVanishes) is a
// chance to act once, not a level to hold: an Occurrence runs from its
// opening to its closing, through windows of one target that overlap,
// while windows that touch are two occurrences (a segment that opens
// anew). A higher tier's window cuts a lower one, which may split an
// occurrence in three.
//
// # The DST map
//
// Every window boundary, a local date and minute, maps to one instant in
// one place, zoneDay.instant: a wall time that exists once is that
// instant, one that happens twice its first occurrence, one the clocks
// skip the instant the gap ends; 24:00 is 00:00 of the next day. The map
// keeps boundaries in order, so that no window is lost or doubled by
// surprise. A window that never vanishes (Rule.neverVanishes) gets the
// minutes the clocks skip back right after the gap (zoneDay.window),
// yielding to the next window of its type (group.window). Transitions
// lists the clock changes of a period, and DSTEffects what they do to each
// window that does not happen as written.
//
// # Edges
//
// At gives each target its edges: Since, the instant its target took
// effect (an occurrence's opening), and Until, the instant it ends, looked
// for within Horizon local days and zero beyond. apply holds a person's
// change until the next edge; Closed lists the occurrences that closed in a
// period, so that apply can tell a window missed.
//
// The zone database is embedded (time/tzdata), so a machine without one
// reads schedules the same way.
package schedules
