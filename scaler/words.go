package scaler

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// The words that scaler's messages share, whoever writes them: the
// domain's events and states, the schedule's warnings and DST effects
// (package schedules), and the command line's reports (cmd/scaler). Each
// is said one way everywhere.

// Plural says a count of things: 1 dyno, 2 dynos.
func Plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return strconv.Itoa(n) + " " + thing + "s"
}

// FullClock says an instant on the wall clock of loc (UTC when nil), with
// its day: "Sun 2026-12-27 00:00 CET".
func FullClock(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("Mon 2006-01-02 15:04 MST")
}

// WallClock says an instant on the wall clock of loc (UTC when nil), as a
// person near ref reads it: "02:00 CET" on ref's local day, "02:00 CET
// tomorrow" or "yesterday" on the days around it, else with its day, as
// FullClock.
func WallClock(t, ref time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	t, ref = t.In(loc), ref.In(loc)
	clock := t.Format("15:04 MST")
	day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }
	switch day(t).Sub(day(ref)) {
	case 0:
		return clock
	case 24 * time.Hour:
		return clock + " tomorrow"
	case -24 * time.Hour:
		return clock + " yesterday"
	}
	return FullClock(t, loc)
}

// Age says a duration as `heroku ps` does: 45s, 12m, 2h3m, 3d4h.
func Age(d time.Duration) string {
	d = max(0, d)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
}

// Hours writes a number of hours to a tenth, without a needless ".0": 1,
// 1.5, 159.7.
func Hours(h float64) string {
	return strconv.FormatFloat(math.Round(h*10)/10, 'f', -1, 64)
}

// InHours writes a number of hours as Hours does, with its unit: 1 hour,
// 1.5 hours, 1 dyno-hour.
func InHours(h float64, unit string) string {
	if s := Hours(h); s != "1" {
		return s + " " + unit + "s"
	}
	return "1 " + unit
}

// Lasting writes a number of hours as a stretch of time: in minutes under
// an hour (20 minutes), else as InHours does (1 hour, 1.5 hours).
func Lasting(h float64) string {
	if m := int(math.Round(h * 60)); m < 60 {
		return Plural(m, "minute")
	}
	return InHours(h, "hour")
}
