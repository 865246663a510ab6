package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/scalerdev/scaler/scaler"
	"github.com/scalerdev/scaler/schedules"
)

// writePlanText writes plan's report for a person: the period, what is in
// force at its start, the changes with local and UTC times, the restarts
// and what they buy (when the schedule has restart rules), what Heroku
// Scheduler cannot meet (when checked), the DST transitions, per process
// type a chart of its days and its dyno-hours, and what they cost (when
// priced). Lines stay under 80 columns for the usual names. The report
// words its warnings itself (schedules); this is their layout.
func writePlanText(w io.Writer, r schedules.Report) error {
	var b strings.Builder
	// The period in the schedule's own time first, the days a person asked
	// for; in UTC after.
	local, zone := time.UTC, ""
	switch {
	case len(r.Types) > 0:
		zone = r.Types[0].Zone
	case len(r.Quiet) > 0:
		zone = r.Quiet[0].Zone // a schedule of restart windows alone
	}
	// A report's zones are its rules', which loaded when they were parsed.
	if loc, err := time.LoadLocation(zone); err == nil && zone != "" {
		local = loc
	}
	fmt.Fprintf(&b, "Plan from %s to %s (%s)\n",
		scaler.FullClock(r.From, local), scaler.FullClock(r.To, local), scaler.InHours(r.To.Sub(r.From).Hours(), "hour"))
	if local != time.UTC {
		fmt.Fprintf(&b, "  in UTC: %s to %s\n", scaler.FullClock(r.From, time.UTC), scaler.FullClock(r.To, time.UTC))
	}

	b.WriteString("\nIn force at the start\n")
	if len(r.InForce) == 0 {
		b.WriteString("  nothing: no rule is in force\n")
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, t := range r.InForce {
		fmt.Fprintf(tw, "  %s\t%s\tline %d: %s\n", schedules.TypeName(t.App, t.Type), targetText(&t), t.Rule.Line, t.Rule.Text)
		if !t.Once {
			// The edge in force, after which a person's change holds
			// until the next (scaler apply).
			fmt.Fprintf(tw, "  \t\t%s\n", edgesText(&t))
		}
	}
	tw.Flush()

	fmt.Fprintf(&b, "\nChanges (%d)\n", len(r.Changes))
	if len(r.Changes) == 0 {
		b.WriteString("  none\n")
	} else {
		fmt.Fprintf(tw, "  local time\tUTC\ttype\tfrom -> to\trule\n")
	}
	for _, c := range r.Changes {
		rule := c.To
		if rule == nil {
			rule = c.From
		}
		line := "line " + strconv.Itoa(rule.Rule.Line)
		if c.To == nil {
			line = "end of line " + strconv.Itoa(rule.Rule.Line)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s -> %s\t%s\n", scaler.FullClock(c.Local, c.Local.Location()),
			c.UTC.Format("01-02 15:04Z"), schedules.TypeName(c.App, c.Type), c.From, targetText(c.To), line)
	}
	tw.Flush()

	if len(r.Restarts) > 0 || len(r.Quiet) > 0 {
		writeRestarts(&b, r)
	}

	if r.Scheduler != nil {
		// Every effect is a window that a clock change keeps from
		// happening as written: emptied, shortened, absorbed, or (a once
		// window, not a warning) moved.
		writeScheduler(&b, *r.Scheduler, len(r.DSTEffects))
	}

	b.WriteString("\nDaylight saving time\n")
	if len(r.DST) == 0 {
		b.WriteString("  no clock changes in this period\n")
	}
	for _, t := range r.DST {
		fmt.Fprintf(&b, "  %s\n", t)
		for _, e := range r.DSTEffects {
			if e.Transition.At.Equal(t.At) && e.Transition.Zone == t.Zone {
				writeDSTEffect(&b, e)
			}
		}
	}

	if len(r.Types) > 0 {
		b.WriteString("\nCharts: a line per local day, a cell per 30 minutes, each the dynos in\n" +
			"force at its start (+ for 10 or more, . when no rule is in force, blank\n" +
			"for a half hour that the clocks skip).\n")
	}
	if slices.ContainsFunc(r.Types, func(t schedules.TypeReport) bool { return t.Once }) {
		b.WriteString("o: a once window is open; the job starts once in each occurrence, and\n" +
			"runs as long as it runs.\n")
	}
	for _, t := range r.Types {
		writeChart(&b, t)
	}
	if r.Cost != nil {
		unmanaged := slices.ContainsFunc(r.Types, func(t schedules.TypeReport) bool { return t.Usage.UnmanagedHours > 0 })
		writeCost(&b, *r.Cost, unmanaged)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// chartIndent is where the cells start: "  Mon 2026-11-23* ".
const chartIndent = 2 + 14 + 2

func writeChart(b *strings.Builder, t schedules.TypeReport) {
	fmt.Fprintf(b, "\n%s (%s)\n", schedules.TypeName(t.App, t.Type), t.Zone)
	b.WriteString(strings.Repeat(" ", chartIndent))
	for h := 0; h <= 24; h += 6 {
		fmt.Fprintf(b, "%02d", h)
		if h < 24 {
			b.WriteString(strings.Repeat(" ", 6*60/schedules.CellMinutes-2))
		}
	}
	b.WriteByte('\n')
	for _, d := range t.Days {
		mark := " "
		if d.DST {
			mark = "*"
		}
		fmt.Fprintf(b, "  %s %s%s %s\n", d.Weekday, d.Date, mark, d.Cells)
	}
	for _, tr := range t.Transitions {
		note := "blank cells"
		if tr.Kind == "repeats" {
			note = "the cells show the first"
		}
		fmt.Fprintf(b, "  * %s %s %s-%s (%s)\n", tr.Date, tr.Kind, tr.From, tr.To, note)
	}
	u := t.Usage
	if t.Once && u.Windows == 0 {
		b.WriteString("  no window opens during the period\n")
		return
	}
	if u.ManagedHours == 0 {
		b.WriteString("  no rule is in force during the period\n")
		return
	}
	if t.Once {
		fmt.Fprintf(b, "  %s, open %s in all: one start in each; the dyno-hours\n"+
			"  are the job's runtime, which the schedule does not know\n", scaler.Plural(u.Windows, "window"), scaler.Lasting(u.ManagedHours))
		return
	}
	fmt.Fprintf(b, "  %s; %s at a constant peak of %d: saves %s (%.1f%%)\n",
		scaler.InHours(u.DynoHours, "dyno-hour"), scaler.Hours(u.PeakDynoHours), u.Peak, scaler.Hours(u.SavedDynoHours), u.SavedPercent)
	if u.UnmanagedHours > 0 {
		fmt.Fprintf(b, "  not managed for %s: no rule is in force then\n", scaler.Lasting(u.UnmanagedHours))
	}
}

// edgesText says when a target came into force and when it ends, in its rule's
// zone.
func edgesText(t *schedules.Target) string {
	z, stamp := t.Rule.Zone, "Mon 01-02 15:04 MST"
	since, until := "in force since before the period", "no edge ahead"
	if !t.Since.IsZero() {
		since = "since " + t.Since.In(z).Format(stamp)
	}
	if !t.Until.IsZero() {
		until = "until " + t.Until.In(z).Format(stamp)
	}
	return since + ", " + until
}

// targetText is how the report writes a target it goes to: as the rules
// write it, or for a once target when its job starts, for a restart when
// its type restarts.
func targetText(t *schedules.Target) string {
	if t == nil || !t.IsWindow() {
		return t.String()
	}
	z := t.Rule.Zone
	open, close := t.Since.In(z), t.Until.In(z)
	s := "starts once"
	if t.Restart {
		s = "restarts once"
	}
	switch {
	case !t.Since.IsZero() && !t.Until.IsZero():
		s += " between " + open.Format("15:04") + " and " + closing(open, close)
	case !t.Since.IsZero():
		s += " from " + open.Format("15:04")
	case !t.Until.IsZero():
		s += " before " + close.Format("Mon 2006-01-02 15:04")
	}
	if t.Size != "" {
		s += " (" + t.Size + ")"
	}
	if t.Rolling {
		s += ", one dyno at a time"
	}
	return s
}

// writeRestarts writes the restarts of the period, what each restart rule
// buys, where the period's restarts leave a type exposed to daily cycling,
// and the job windows that a restart may cut.
func writeRestarts(b *strings.Builder, r schedules.Report) {
	fmt.Fprintf(b, "\nRestarts (%d)\n", len(r.Restarts))
	if len(r.Restarts) == 0 {
		b.WriteString("  none in this period\n")
	}
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	if len(r.Restarts) > 0 {
		fmt.Fprintf(tw, "  local time\tUTC\ttype\trestart\trule\n")
	}
	for _, o := range r.Restarts {
		t := o.Target()
		text := targetText(&t)
		switch {
		case o.Idle:
			text = fmt.Sprintf("left alone: %s at 0 then (line %d)", schedules.TypeName(o.App, o.Type), o.IdleLine)
		case o.NoRun:
			// "restarts once between 02:03 and 02:08" promises what no
			// run of Scheduler carries out.
			text = strings.Replace(text, "restarts once", "not restarted: no run", 1)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\tline %d\n", scaler.FullClock(o.Open, o.Rule.Zone),
			o.Open.UTC().Format("01-02 15:04Z"), schedules.TypeName(o.App, o.Type), text, o.Rule.Line)
	}
	tw.Flush()
	for _, q := range r.Quiet {
		text := q.Message
		if q.Warning {
			text = "warning: " + text
		} else {
			text += fmt.Sprintf(" (line %d)", q.Line)
		}
		wrap(b, text, "  ", "    ", 78)
	}
	for _, e := range r.Exposed {
		wrap(b, e.Message, "  ", "    ", 78)
	}
	for _, c := range r.RestartConflicts {
		wrap(b, "warning: "+c.Message, "  ", "    ", 78)
	}
}

// closing writes when a window that opened at open closes: 05:00, 24:00
// for the next midnight, or with its day when that is later still.
func closing(open, close time.Time) string {
	y, m, d := open.Date()
	next := time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
	cy, cm, cd := close.Date()
	switch closeDay := time.Date(cy, cm, cd, 0, 0, 0, 0, time.UTC); {
	case closeDay.Before(next):
		return close.Format("15:04")
	case closeDay.Equal(next) && close.Hour() == 0 && close.Minute() == 0:
		return "24:00"
	case closeDay.Equal(next):
		return close.Format("15:04")
	}
	return close.Format("Mon 15:04")
}

// writeDSTEffect writes what a clock change does to a window, under the
// change: "warning: line 4: web daily 02:00-02:30 3 is empty".
func writeDSTEffect(b *strings.Builder, e schedules.DSTEffect) {
	what, tail := e.Says()
	text := fmt.Sprintf("line %d: %s %s", e.Line, e.Rule, what)
	if e.Date != e.Transition.Date {
		d, _ := time.Parse(time.DateOnly, e.Date)
		text += fmt.Sprintf(" (its window of %s %s)", d.Weekday().String()[:3], e.Date)
	}
	if e.Warning {
		text = "warning: " + text
	}
	wrap(b, text+tail, "    ", "      ", 78)
}

// writeScheduler writes the Scheduler check: the runs it assumes, and each
// warning under its rule; and, when a clock change keeps windows (warned
// of them) from happening as written, that not everything is met on time.
func writeScheduler(b *strings.Builder, c schedules.SchedulerCheck, warned int) {
	switch c.Every {
	case schedules.Every10Minutes:
		b.WriteString("\nHeroku Scheduler every 10 minutes: runs at :00, :10, ... UTC (assumed)\n")
	case schedules.EveryHour:
		fmt.Fprintf(b, "\nHeroku Scheduler every hour: one run an hour, at a minute that is a multiple\n"+
			"of 10 (assumed); here :%02d, the one that meets the most changes\n", c.Offset)
	default:
		fmt.Fprintf(b, "\nHeroku Scheduler daily: one run a day, on the hour or half hour UTC; here\n"+
			"%s UTC, the time that meets the most changes\n", schedules.Clock(c.Offset))
	}
	missed := slices.ContainsFunc(c.Warnings, func(w schedules.Warning) bool {
		return w.Problem == schedules.ProblemNever || w.Problem == schedules.ProblemNoRun
	})
	if c.Every != schedules.Every10Minutes && c.CarriedOut == 0 && missed {
		// The time taken, the first of those that miss the fewest
		// changes, changes nothing: say why no other is better.
		nor := ", nor would another"
		if c.SomeTimeCarries() {
			nor = " (a time that does misses more)"
		}
		wrap(b, "but it carries none out"+nor+": one run "+map[schedules.Interval]string{schedules.EveryHour: "an hour", schedules.Daily: "a day"}[c.Every]+
			" holds each type at the level in force when it runs, and the schedule changes them more often", "  ", "  ", 78)
	}
	windows := scaler.Plural(warned, "window")
	switch {
	case c.Changes == 0 && warned == 0:
		b.WriteString("  no change to meet in this period\n")
	case c.Changes == 0:
		wrap(b, "no change to meet in this period, but a clock change keeps "+windows+
			" from happening as written: see Daylight saving time below", "  ", "  ", 78)
	case len(c.Warnings) == 0 && warned == 0:
		b.WriteString("  every change is met on time\n")
	case len(c.Warnings) == 0:
		wrap(b, "no run is late or missing, but a clock change keeps "+windows+
			" from happening as written: see Daylight saving time below", "  ", "  ", 78)
	}
	line := -1
	for _, w := range c.Warnings {
		if w.Line != line {
			fmt.Fprintf(b, "  line %d: %s\n", w.Line, w.Rule)
			line = w.Line
		}
		wrap(b, w.Message, "    ", "    ", 78)
	}
	if len(c.Warnings) > 0 && warned > 0 {
		wrap(b, "and a clock change keeps "+windows+" from happening as written: see Daylight saving time below", "  ", "  ", 78)
	}
}

// wrap writes text in lines of at most width columns (but for a word
// longer than that), the first starting with first and the others with
// indent.
func wrap(b *strings.Builder, text, first, indent string, width int) {
	n := 0
	for _, word := range strings.Fields(text) {
		switch {
		case n == 0:
			b.WriteString(first + word)
			n = len(first) + len(word)
		case n+1+len(word) > width:
			b.WriteString("\n" + indent + word)
			n = len(indent) + len(word)
		default:
			b.WriteString(" " + word)
			n += 1 + len(word)
		}
	}
	b.WriteByte('\n')
}

// writeCost writes a table of the types' money, its total, and notes on
// once types, the time not priced, the sizes assumed and the sizes without
// a price.
func writeCost(b *strings.Builder, c schedules.Cost, unmanaged bool) {
	fmt.Fprintf(b, "\nCost at the list prices of the Platform API (%d hours a month: an estimate)\n", c.HoursPerMonth)
	if len(c.Types) == 0 {
		b.WriteString("  no process type\n")
		return
	}
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  type\tsize\tdyno-hours\tcost\tat a constant peak\tsaves\n")
	assumed, once, priced, unpriced := false, false, 0, 0
	var dynoHours float64
	for _, t := range c.Types {
		var sizes []string
		for _, s := range t.Sizes {
			mark := ""
			if s.Assumed {
				mark, assumed = "*", true
			}
			sizes = append(sizes, s.Size+mark)
		}
		size := strings.Join(sizes, ", ")
		if size == "" {
			size = "-"
		}
		switch {
		case t.Once && t.Priced:
			once = true
			var each []string
			for _, s := range t.Sizes {
				each = append(each, dollars(*s.CentsPerHour, 3)+"/h")
			}
			fmt.Fprintf(tw, "  %s\t%s\tonce\t%s\t-\t-\n", schedules.TypeName(t.App, t.Type), size, strings.Join(each, ", "))
		case t.Once:
			once = true
			fmt.Fprintf(tw, "  %s\t%s\tonce\tno price\t-\t-\n", schedules.TypeName(t.App, t.Type), size)
		case !t.Priced:
			unpriced++
			fmt.Fprintf(tw, "  %s\t%s\t%s\tno price\t-\t-\n", schedules.TypeName(t.App, t.Type), size, scaler.Hours(sizesDynoHours(t.Sizes)))
		default:
			priced++
			dynoHours += t.DynoHours
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s (%.1f%%)\n", schedules.TypeName(t.App, t.Type), size, scaler.Hours(t.DynoHours),
				dollars(t.Cents, 2), dollars(t.PeakCents, 2), dollars(t.SavedCents, 2), t.SavedPercent)
		}
	}
	if priced > 0 {
		label := "total"
		if unpriced > 0 {
			label = "priced total"
		}
		fmt.Fprintf(tw, "  %s\t\t%s\t%s\t%s\t%s (%.1f%%)\n", label, scaler.Hours(dynoHours),
			dollars(c.Cents, 2), dollars(c.PeakCents, 2), dollars(c.SavedCents, 2), c.SavedPercent)
	}
	tw.Flush()
	if once {
		wrap(b, "once: a job's dyno-hours are its runtime, which the schedule does not know: the cost is the price of an hour of it", "  ", "    ", 78)
	}
	if unmanaged {
		wrap(b, "time when no rule is in force is not priced: plan does not know the formation then", "  ", "    ", 78)
	}
	if assumed {
		wrap(b, "* a rule without a size leaves the size as it is, which plan does not read: priced at the size the type's rules set before, or else at "+
			c.NewTypeSize+", the size of a new process type", "  ", "    ", 78)
	}
	for _, u := range c.Unpriced {
		wrap(b, u.Size+": "+u.Reason, "  ", "    ", 78)
	}
}

// sizesDynoHours returns the dyno-hours of a type's sizes.
func sizesDynoHours(sizes []schedules.SizeCost) float64 {
	var h float64
	for _, s := range sizes {
		h += s.DynoHours
	}
	return h
}

// dollars writes cents as dollars with the given decimals: $2.50.
func dollars(cents float64, decimals int) string {
	return "$" + strconv.FormatFloat(cents/100, 'f', decimals, 64)
}
