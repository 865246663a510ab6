package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scalerdev/scaler/schedules"
)

// The tests of plan's text: writePlanText over schedules' reports. What the
// reports hold is tested in schedules; what plan does with its flags, in
// plan_test.go.

// parsePlan parses a schedule for a test of plan's text.
func parsePlan(tb testing.TB, src string) *schedules.Schedule {
	tb.Helper()
	s, err := schedules.Parse(src)
	if err != nil {
		tb.Fatalf("Parse error: %v", err)
	}
	return s
}

// utcAt reads an RFC 3339 instant.
func utcAt(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// planText writes a report as plan does.
func planText(tb testing.TB, r schedules.Report) string {
	tb.Helper()
	var b strings.Builder
	if err := writePlanText(&b, r); err != nil {
		tb.Fatalf("writePlanText error: %v", err)
	}
	return b.String()
}

// planTextCases are the reports whose text is golden, which FuzzPlanText
// starts from too.
var planTextCases = []struct {
	golden, src, from, to string
}{
	// The example of the language.
	{"week.golden", `timezone Europe/Berlin                 # IANA name; applies to the rules after it; default UTC
web     Mon-Fri 08:00-20:00  3
web     Sat,Sun 10:00-18:00  2
web     default              1
worker  daily   22:00-06:00  1:standard-2x   # crosses midnight: belongs to the day it starts
web     2026-12-24..2026-12-26  1            # dates (inclusive) override weekdays: holidays
web     2026-12-31 18:00-24:00  4
app other-app                          # optional: the rules after it target another app (fleet)
web     daily 09:00-17:00 2
`, "2026-11-22T23:00:00Z", "2026-11-29T23:00:00Z"},
	{"berlin-spring.golden", `timezone Europe/Berlin
web     Mon-Fri 08:00-20:00  3
web     Sat,Sun 10:00-18:00  2
web     default              1
worker  daily   01:00-03:30  12:performance-l   # the nightly batch: shorter on the 29th
clock   2026-03-29 02:00-02:30 1                # wholly in the skipped hour: never in force
`, "2026-03-27T12:00:00Z", "2026-03-31T00:00:00Z"},
	{"newyork-fall.golden", `timezone America/New_York
web     daily 08:00-20:00 3
web     default 1
worker  daily 22:00-02:30 2     # longer on the night the clocks go back
`, "2026-10-30T04:00:00Z", "2026-11-03T05:00:00Z"},
	{"year-end.golden", `web 2026-12-31 22:00-02:00 4
web daily 08:00-20:00 2
app other-app
worker default 0
`, "2026-12-30T00:00:00Z", "2027-01-02T00:00:00Z"},
	{"empty.golden", "", "2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z"},
	{"once-berlin-spring.golden", `timezone Europe/Berlin
nightly daily      02:00-05:00  once                 # opens at 03:00 on the 29th
report  Mon        06:00-08:00  once:performance-l
report  2026-03-30 06:00-09:00  once:performance-l   # overlaps Monday's window: one occurrence
clock   2026-03-29 02:00-02:30  once                 # wholly in the skipped hour: 03:00-03:30
web     Mon-Fri    08:00-20:00  3
web     default                 1
`, "2026-03-28T12:00:00Z", "2026-03-31T00:00:00Z"},
	{"once-newyork-fall.golden", `timezone America/New_York
nightly daily 01:30-03:00 once   # 2.5 hours on the night the clocks go back
all     daily once               # touching windows: one occurrence a day, 25 hours on the 1st
app other-app
backup  Sat,Sun 23:00-01:00 once:standard-2x
`, "2026-10-31T04:00:00Z", "2026-11-02T05:00:00Z"},
}

func TestPlanText(t *testing.T) {
	t.Parallel()
	for _, tt := range planTextCases {
		t.Run(tt.golden, func(t *testing.T) {
			t.Parallel()
			s := parsePlan(t, tt.src)
			text := planText(t, s.Report(utcAt(tt.from), utcAt(tt.to)))
			for i, line := range strings.Split(text, "\n") {
				if strings.HasPrefix(line, "  ") && strings.Contains(line, "20") && len(line) > 80 && !strings.Contains(line, "->") {
					t.Errorf("line %d is %d columns long: %q", i+1, len(line), line)
				}
			}
			golden(t, tt.golden, text)
		})
	}
}

// One of a unit is said in the singular: 1 window, 1 hour, 1 dyno-hour.
func TestPlanTextSaysOneInTheSingular(t *testing.T) {
	t.Parallel()
	s := parsePlan(t, `web    2026-12-24 00:00-23:00 1
report 2026-12-24 10:00-11:00 1
job    2026-12-24 10:00-11:00 once
`)
	text := planText(t, s.Report(utcAt("2026-12-24T00:00:00Z"), utcAt("2026-12-25T00:00:00Z")))
	says(t, "the report", text,
		"(24 hours)\n",
		"  23 dyno-hours; 23 at a constant peak of 1",
		"  not managed for 1 hour: no rule is in force then\n",
		"  1 dyno-hour; 1 at a constant peak of 1",
		"  not managed for 23 hours: no rule is in force then\n",
		"  1 window, open 1 hour in all: one start in each",
	)
	for _, wrong := range []string{" 1 hours", " 1 dyno-hours", " 1 windows"} {
		if strings.Contains(text, wrong) {
			t.Errorf("the report says %q:\n%s", wrong, text)
		}
	}
}

// dstEffectsSchedule has a window of each effect of a spring-forward night.
const dstEffectsSchedule = `timezone Europe/Berlin
web     Sun 02:00-02:30 3                  # wholly in the skipped hour: empty
web     default 1
worker  daily 02:30-04:00 2                # starts in it: shortened to 03:00-04:00
backup  Sat 23:00-02:30 1                  # ends in it, the night before: 23:00-03:00
batch   daily 01:00-04:00 2                # spans it: as written
nightly daily 02:00-02:30 once             # moves to 03:00-03:30
report  daily 02:00-02:30 once             # absorbed by the next window
report  daily 03:00-03:30 once:performance-l
`

// The plan of a spring-forward night: what the clock change does to each
// window, under the change, and the Scheduler check, which does not say
// that every change is met on time while a window does not happen as
// written.
func TestPlanTextDSTEffects(t *testing.T) {
	t.Parallel()
	s := parsePlan(t, dstEffectsSchedule)
	from, to := utcAt("2026-03-27T23:00:00Z"), utcAt("2026-03-29T22:00:00Z") // Sat and Sun, local
	r := s.Report(from, to)
	r.SetScheduler(s.Scheduler(from, to, schedules.Every10Minutes))
	golden(t, "dst-effects.golden", planText(t, r))
}

// A once window that a clock change moves does not happen as written: the
// Scheduler check does not say that every change is met on time, and says
// why, as for a window emptied.
func TestPlanTextMovedWindowIsNotMetAsWritten(t *testing.T) {
	t.Parallel()
	s := parsePlan(t, "timezone Europe/Berlin\nnightly daily 02:00-02:30 once\n")
	from, to := utcAt("2026-03-27T23:00:00Z"), utcAt("2026-03-29T22:00:00Z")
	r := s.Report(from, to)
	c := s.Scheduler(from, to, schedules.Every10Minutes)
	r.Scheduler = &c
	const want = "  no run is late or missing, but a clock change keeps 1 window from happening\n  as written: see Daylight saving time below\n"
	if got := planText(t, r); strings.Contains(got, "every change is met on time") || !strings.Contains(got, want) {
		t.Errorf("the plan of a moved window says:\n%s\nwant %q in it", got, want)
	}
}

// A stretch under an hour is said in minutes: a 20-minute window is open
// 20 minutes, not 0.3 hours, and a type left unmanaged for 40 minutes is
// said so.
func TestPlanTextSaysMinutesUnderAnHour(t *testing.T) {
	t.Parallel()
	s := parsePlan(t, "nightly daily 02:00-02:20 once\nweb 2026-12-01 00:40-24:00 2\n")
	from := utcAt("2026-12-01T00:00:00Z")
	text := planText(t, s.Report(from, from.Add(24*time.Hour)))
	says(t, "the plan", text, "  1 window, open 20 minutes in all: one start in each", "  not managed for 40 minutes: no rule is in force then\n")
}

func cents(c float64) *float64 { return &c }

// testPrices are round, as schedules' tests of Report.Price have them: 10
// cents an hour for Standard-1X (7200 a month of 720 hours) and
// Standard-2X, 100 for Performance-M.
var testPrices = []schedules.SizePrice{
	{Size: "Eco", Cents: cents(500), Unit: "month"},
	{Size: "Basic", Cents: cents(700), Unit: "week"},
	{Size: "Standard-1X", Cents: cents(7200), Unit: "month"},
	{Size: "standard-2x", Cents: cents(10), Unit: "hour"}, // any case
	{Size: "Performance-M", Cents: cents(72000), Unit: "month"},
	{Size: "Private-S", Unit: ""},
}

// schedulerCostSchedule has a change at :05, a once window between two
// runs, and sizes with and without a price.
const schedulerCostSchedule = `timezone Europe/Berlin
web     Mon-Fri 08:05-20:00  3
web     Sat,Sun 10:00-18:00  2:standard-2x
web     default              1
worker  daily   22:00-06:00  2
private daily   09:00-17:00  1:private-s
nightly daily   02:03-02:08  once            # between two runs
report  Mon     06:00-06:10  once:performance-m
`

func TestPlanTextSchedulerAndCost(t *testing.T) {
	t.Parallel()
	s := parsePlan(t, schedulerCostSchedule)
	from, to := utcAt("2026-11-26T23:00:00Z"), utcAt("2026-11-30T23:00:00Z")
	for _, every := range []schedules.Interval{schedules.Every10Minutes, schedules.EveryHour, schedules.Daily} {
		r := s.Report(from, to)
		r.SetScheduler(s.Scheduler(from, to, every))
		if every == schedules.Every10Minutes {
			r.Price(testPrices)
		}
		golden(t, "scheduler-cost-"+every.String()+".golden", planText(t, r))
	}
}

// Where the time a daily (or hourly) job runs at misses changes and
// carries none out, the plan says why no other time is better: one run a
// day holds a type at the level in force when it runs; and whether a time
// that carries one out misses more (TestSchedulerSaysWhyNoTimeIsBetter in
// schedules tests the check's figures).
func TestPlanTextSaysWhyNoTimeIsBetter(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, src string
		note      string // under the Scheduler's heading; "" for none
	}{
		{"two edges a day: every time holds one level", "web daily 08:00-20:00 3\nweb default 1",
			"  but it carries none out, nor would another: one run a day holds each type at\n  the level in force when it runs, and the schedule changes them more often\n"},
		{"a time that carries one out misses more", "web Tue,Thu 00:00-01:00 2\nweb Mon-Wed,Fri,Sun 05:28-10:29 0",
			"  but it carries none out (a time that does misses more): one run a day holds\n  each type at the level in force when it runs, and the schedule changes them\n  more often\n"},
		{"weekdays: a time that carries one out", "web Mon-Fri 08:05-20:00 3\nweb default 1", ""},
		{"a window without default", "web daily 03:01-14:19 2", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := parsePlan(t, tt.src)
			from, to := utcAt("2026-11-23T00:00:00Z"), utcAt("2026-11-25T00:00:00Z")
			r := s.Report(from, to)
			r.SetScheduler(s.Scheduler(from, to, schedules.Daily))
			_, section, _ := strings.Cut(planText(t, r), "the time that meets the most changes\n")
			if note := "  but it carries none out"; tt.note == "" && strings.Contains(section, note) || !strings.HasPrefix(section, tt.note) {
				t.Errorf("under the Scheduler's heading:\n%s\nwant:\n%s", section, tt.note)
			}
		})
	}
}

// restartSchedule has restart windows, rolling or not, beside level and
// once rules, and one that no run of Scheduler reaches.
const restartSchedule = `timezone Europe/Berlin
worker  default              2
worker  daily   01:00-01:30  restart
web     Mon-Fri 08:00-20:00  3
web     default              1
web     Sat,Sun 04:00-04:30  restart:rolling
nightly daily   00:30-03:00  once
report  daily   01:30-04:00  once
clock   daily   02:03-02:08  restart
`

func TestPlanTextRestart(t *testing.T) {
	t.Parallel()
	s := parsePlan(t, restartSchedule)
	from, to := utcAt("2026-10-23T22:00:00Z"), utcAt("2026-10-26T23:00:00Z")
	r := s.Report(from, to)
	r.SetScheduler(s.Scheduler(from, to, schedules.Every10Minutes))
	golden(t, "restart-berlin-fall.golden", planText(t, r))
}

// restartsAtZeroSchedule holds worker at 0 in its restart windows.
const restartsAtZeroSchedule = "worker default 0\nworker daily 08:00-20:00 2\nworker daily 01:00-01:30 restart\nweb default 1\nweb daily 01:00-01:30 restart"

// A restart window in which the type's own rules hold it at 0 restarts
// nothing, and plan says so: the restart is left alone, and a rule whose
// every window is so buys nothing (TestRestartsAtZero in schedules tests
// the report's marks).
func TestPlanTextRestartsAtZero(t *testing.T) {
	t.Parallel()
	s := parsePlan(t, restartsAtZeroSchedule)
	text := planText(t, s.Report(utcAt("2026-11-23T00:00:00Z"), utcAt("2026-11-24T00:00:00Z")))
	says(t, "plan", text, "worker  left alone: worker at 0 then (line 1)  line 3\n", "  warning: worker is at 0 in every restart window of line 3")
}

// FuzzPlanText writes the text of any schedule that parses, over two days
// and a DST night, checked by Scheduler and priced: it never fails nor
// panics.
func FuzzPlanText(f *testing.F) {
	for _, tt := range planTextCases {
		f.Add(tt.src)
	}
	for _, src := range []string{dstEffectsSchedule, schedulerCostSchedule, restartSchedule, restartsAtZeroSchedule} {
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src string) {
		s, err := schedules.Parse(src)
		if err != nil {
			return
		}
		from := utcAt("2026-03-08T06:30:00Z") // New York's spring night
		to := from.Add(50 * time.Hour)
		r := s.Report(from, to)
		if err := writePlanText(io.Discard, r); err != nil {
			t.Fatalf("writePlanText error: %v", err)
		}
		r.SetScheduler(s.Scheduler(from, to, schedules.EveryHour))
		r.Price(testPrices)
		if err := writePlanText(io.Discard, r); err != nil {
			t.Fatalf("writePlanText error: %v", err)
		}
	})
}

// BenchmarkPlanTextYear writes a year of a 200-rule schedule (schedules'
// testdata/fleet200.txt) as plan does.
func BenchmarkPlanTextYear(b *testing.B) {
	src, err := os.ReadFile(filepath.Join("..", "..", "schedules", "testdata", "fleet200.txt"))
	if err != nil {
		b.Fatal(err)
	}
	s := parsePlan(b, string(src))
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := s.Report(from, from.AddDate(1, 0, 0))
	b.ReportAllocs()
	for b.Loop() {
		if err := writePlanText(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}
