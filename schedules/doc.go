// Package schedules is the schedule language of `scaler apply` and
// `scaler plan`: rules that say, by time of day, weekday and date, what an
// app's formation should be, and the pure function that gives the desired
// formation at an instant the caller passes in.
//
// Like the scaler domain, it is pure Go on the standard library: it must not
// import heroku-go, urfave/cli or any adapter, and it never reads the clock.
//
// # The language
//
// One rule or directive per line; '#' starts a comment anywhere on a line;
// blank lines are ignored; spaces and tabs separate tokens:
//
//	timezone Europe/Berlin          # the rules after it are in this zone (default UTC)
//	web     Mon-Fri 08:00-20:00  3
//	web     Sat,Sun 10:00-18:00  2
//	web     default              1
//	worker  daily   22:00-06:00  1:standard-2x
//	web     2026-12-24..2026-12-26  1
//	nightly daily   02:00-05:00  once   # start the job once per window
//	worker  daily   01:00-01:30  restart  # restart worker's dynos once per window
//	app other-app                   # the rules after it scale another app
//
// A rule is TYPE WHEN [HH:MM-HH:MM] QUANTITY[:SIZE]. WHEN is default, daily,
// weekdays (Mon, Mon-Fri, Fri-Mon, Mon-Wed,Fri) or dates (2026-12-24,
// 2026-12-24..2026-12-26, inclusive). Without a time range a rule covers the
// whole day; ranges are half-open, 24:00 may only end one, and a range whose
// end comes before its start crosses midnight and belongs to the day it
// starts. Without a SIZE the size is left as it is. Rules before any app
// line are for the default app, App "", which the caller names.
//
// A directive has exactly one argument and a rule three or four tokens, so
// a process type may be called app or timezone.
//
// For one (app, type) at one instant, a date rule wins over a weekday or
// daily rule, which wins over default; a type without a default is left
// untouched outside its windows. Two rules of one tier that ask for
// different targets may not overlap, and the rules of one (app, type) must
// share a time zone so that overlaps are decided exactly, in the wall-clock
// minutes they are written in.
//
// Parse reports every mistake at once, each as LINE:COL: message.
// ParseEnv reads the same language from a config var, where ';' also ends
// a line.
//
// # Once rules
//
// A once rule, TYPE WHEN [HH:MM-HH:MM] once[:SIZE] (once in any case), is a
// job's window: `scaler apply` starts one dyno of TYPE, of SIZE when given,
// at most once in each occurrence of the window, at any run inside it, so
// that a missed run is healed by the next. Its target has Quantity 1 and
// Once set. WHEN, time ranges, zones, DST and precedence are those of the
// other rules; a once rule without a time range is a window of the whole
// day. A default rule cannot be once: it has no window. The rules of a
// type with once rules must all be once rules: a level rule would scale
// the job's dynos while it runs.
//
// An occurrence is a stretch of time during which once windows of one
// target follow each other without a break. Windows that touch are two
// occurrences, each opening anew: `daily 00:00-24:00 once` opens one at
// every midnight. Windows of one tier may overlap only if they ask for the
// same target (the same size), and then make one occurrence, from the
// first opening to the last closing; so does a date window inside a
// weekly window of the same size. A higher tier's window cuts a lower one
// by precedence, as for other rules: a date window inside a weekly window
// of another size splits it into three occurrences (the weekly one, the
// date one, the weekly one again); to replace a day's window, write the
// date rule over the whole window.
//
// # Restart rules
//
// A restart rule, TYPE WHEN [HH:MM-HH:MM] restart[:rolling] (in any case),
// is a window in which `scaler apply` restarts the type's dynos, at most
// once per occurrence, at any run inside it, so that Heroku's daily
// cycling (24 hours after a dyno starts, plus up to 216 minutes) keeps
// away from the rest of the day: the window buys a quiet period from its
// close to its opening a day later. restart:rolling restarts the dynos
// one at a time. A restart rule changes no quantity: a type may have
// scale rules and restart rules, which are kept apart ([Schedule.At],
// [Schedule.Changes] and [Schedule.Closed] never see them;
// [Schedule.Restarts] lists their occurrences). A default rule cannot be
// restart, a type with once rules may have none (a restart would cut its
// job), and the restart windows of a type may not overlap, whatever their
// tiers: each occurrence restarts it once. Windows that touch are two
// occurrences. Zones, DST and the rest of the language are those of the
// other rules; a restart window never vanishes, as a once window.
//
// # Time zones and daylight saving time
//
// Rule times are wall-clock times in the rule's zone. Each window boundary,
// a local date and minute, maps to exactly one instant (zoneDay.instant,
// the one place that decides it):
//
//   - a wall time that exists once is that instant;
//   - a wall time the clocks skip (spring forward) is the instant the gap
//     ends: on 2026-03-08 in America/New_York, 02:30 is 03:00 EDT, so a
//     window starting in the gap still starts, at the end of the gap;
//   - a wall time that happens twice (fall back) is its first occurrence:
//     on 2026-11-01 in America/New_York, 01:30 is 01:30 EDT.
//
// 24:00 of a day is 00:00 of the next. The map keeps boundaries in order, so
// no window is skipped and none is applied twice by surprise. A window that
// lies wholly inside a skipped interval (02:00-02:30 on a spring-forward
// day) is empty that day, and one with an edge in it shorter; one that
// spans a repeated interval lasts an hour longer than on other days, and
// one that spans a skipped interval an hour shorter, both as written on
// the wall clock; dyno-hours are counted on real time.
// [Schedule.DSTEffects] names each window that a clock change keeps from
// happening as written, with its rule and date; the report lists them
// under the days the clocks change, and marks those days in its charts.
//
// A once window never vanishes, nor does a restart window
// (Rule.neverVanishes says which kinds of rule keep their window whole): the minutes of it that the clocks skip
// happen right after the gap, alongside the window's own minutes there, as
// cron runs the jobs of a skipped hour right after the change. On a day
// that skips 02:00-03:00, 02:00-02:30 is 03:00-03:30 and 02:00-03:00 is
// 03:00-04:00; 01:30-02:30, which starts on time, is 01:30-03:30 on the
// wall clock, an hour as on other days (so decided: the window's length is
// the Scheduler runs that can start its job, and a clock change does not
// take half of them away); 02:00-05:00 is 03:00-05:00 and 01:00-04:00 as
// written, their part after the gap holding the skipped minutes. The
// minutes given back yield to the next window of the type on the wall
// clock, which opens as written, so that windows distinct on the wall
// clock stay distinct occurrences (01:00-03:00 and 03:00-04:00); two that
// both open as the gap ends (02:00-02:30 and 03:00-03:30) are then one
// occurrence, the later window's: the job starts once. A window that spans
// a repeated interval is one occurrence, an hour longer, and one that
// opens in it opens once. [Schedule.At], [Schedule.Changes] and
// [Schedule.Closed] all see the moved window: a job missed in it is
// reported as missed.
//
// # Edges
//
// [Schedule.At] gives each target its edges: Since, the instant its
// target took effect (for a once target, its occurrence opened), and
// Until, the instant it ends. They are looked for within [Horizon] days of
// the instant, and are zero beyond. [Schedule.Closed] lists the
// occurrences that closed in a period, so that the caller can tell a
// window missed.
//
// The zone database is embedded (time/tzdata), so a machine without one
// reads schedules the same way.
package schedules
