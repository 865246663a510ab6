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
// # Time zones and daylight saving time
//
// Rule times are wall-clock times in the rule's zone. Each window boundary,
// a local date and minute, maps to exactly one instant:
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
// day) is empty that day; the report lists the days the clocks change and
// marks them in its charts. A window that spans a repeated interval lasts
// an hour longer than on other days, and one that spans a skipped interval
// an hour shorter; dyno-hours are counted on real time.
//
// The zone database is embedded (time/tzdata), so a machine without one
// reads schedules the same way.
package schedules
