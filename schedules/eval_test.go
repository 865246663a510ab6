package schedules

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// render writes targets compactly: "web=3@2 other-app/web=2@9", each with
// the line of the rule in force.
func render(targets []Target) string {
	parts := make([]string, len(targets))
	for i, t := range targets {
		parts[i] = fmt.Sprintf("%s=%s@%d", TypeName(t.App, t.Type), &t, t.Rule.Line)
	}
	return strings.Join(parts, " ")
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func mustParse(t testing.TB, src string) *Schedule {
	t.Helper()
	s, err := Parse(src)
	if err != nil {
		t.Fatalf("Parse error: %v", err)
	}
	return s
}

// find returns the target of (app, typ) among targets, or nil.
func find(targets []Target, app, typ string) *Target {
	for _, t := range targets {
		if t.App == app && t.Type == typ {
			return &t
		}
	}
	return nil
}

type atCase struct {
	at   string // RFC 3339
	want string // render of At, "" for nothing in force
}

func testAt(t *testing.T, src string, tests []atCase) {
	t.Helper()
	s := mustParse(t, src)
	for _, tt := range tests {
		t.Run(tt.at, func(t *testing.T) {
			at := utc(tt.at)
			if got := render(s.At(at)); got != tt.want {
				t.Errorf("At(%v) = %q, want %q", at, got, tt.want)
			}
		})
	}
}

func TestAtBasics(t *testing.T) {
	testAt(t, example, []atCase{
		{"2026-11-23T04:59:00Z", "web=1@4 worker=1:Standard-2X@5"}, // Mon 05:59 CET: Sunday's night
		{"2026-11-23T05:00:00Z", "web=1@4"},                        // 06:00 CET: the night ends
		{"2026-11-23T06:59:59.999999999Z", "web=1@4"},
		{"2026-11-23T07:00:00Z", "web=3@2"}, // 08:00 CET
		{"2026-11-23T08:00:00Z", "web=3@2 other-app/web=2@9"},
		{"2026-11-23T18:59:59Z", "web=3@2"},
		{"2026-11-23T19:00:00Z", "web=1@4"},                        // 20:00 CET
		{"2026-11-23T21:00:00Z", "web=1@4 worker=1:Standard-2X@5"}, // 22:00 CET
		{"2026-11-28T09:00:00Z", "web=2@3 other-app/web=2@9"},      // Sat 10:00 CET
		{"2026-11-28T08:59:00Z", "web=1@4 other-app/web=2@9"},
		{"2026-12-23T10:00:00Z", "web=3@2 other-app/web=2@9"},      // Wed
		{"2026-12-24T10:00:00Z", "web=1@6 other-app/web=2@9"},      // Thu, a holiday: dates win
		{"2026-12-26T10:00:00Z", "web=1@6 other-app/web=2@9"},      // Sat, the last holiday
		{"2026-12-26T23:00:00Z", "web=1@4 worker=1:Standard-2X@5"}, // Sun 00:00 CET: back to default
		{"2026-12-31T16:59:00Z", "web=3@2"},
		{"2026-12-31T17:00:00Z", "web=4@7"},                        // 18:00 CET
		{"2026-12-31T22:59:59Z", "web=4@7 worker=1:Standard-2X@5"}, // 23:59:59 CET
		{"2026-12-31T23:00:00Z", "web=1@4 worker=1:Standard-2X@5"}, // 24:00 CET is 2027-01-01 00:00
	})
}

func TestAtEdges(t *testing.T) {
	t.Run("week wrap", func(t *testing.T) {
		testAt(t, "web Fri-Mon 20:00-02:00 2\nweb default 1", []atCase{
			{"2026-11-23T19:59:59.999999999Z", "web=1@2"}, // Mon
			{"2026-11-23T20:00:00Z", "web=2@1"},
			{"2026-11-24T01:59:59Z", "web=2@1"}, // Monday's window spills into Tuesday
			{"2026-11-24T02:00:00Z", "web=1@2"},
			{"2026-11-24T20:00:00Z", "web=1@2"}, // Tue
			{"2026-11-27T01:00:00Z", "web=1@2"}, // Fri night after Thursday: Thursday is not in
			{"2026-11-27T20:00:00Z", "web=2@1"},
			{"2026-11-28T01:00:00Z", "web=2@1"},
			{"2026-11-29T10:00:00Z", "web=1@2"}, // Sun daytime
			{"2026-11-30T00:30:00Z", "web=2@1"}, // Sunday's window over the week's end
		})
	})
	t.Run("no default", func(t *testing.T) {
		testAt(t, "worker Mon 08:00-09:00 1", []atCase{
			{"2026-11-23T07:59:59Z", ""},
			{"2026-11-23T08:00:00Z", "worker=1@1"},
			{"2026-11-23T09:00:00Z", ""},
		})
	})
	t.Run("dates over weekdays", func(t *testing.T) {
		testAt(t, "web Mon-Fri 08:00-20:00 3\nweb 2026-12-24..2026-12-26 12:00-14:00 1\nweb default 0", []atCase{
			{"2026-12-24T11:59:00Z", "web=3@1"}, // outside the date's window the week still holds
			{"2026-12-24T12:00:00Z", "web=1@2"},
			{"2026-12-24T14:00:00Z", "web=3@1"},
			{"2026-12-26T13:00:00Z", "web=1@2"}, // Sat
			{"2026-12-26T15:00:00Z", "web=0@3"},
			{"2026-12-27T13:00:00Z", "web=0@3"},
		})
	})
	t.Run("last day of the year", func(t *testing.T) {
		testAt(t, "web 2026-12-31 22:00-02:00 4\nweb daily 08:00-20:00 2", []atCase{
			{"2026-12-31T21:59:59Z", ""},
			{"2026-12-31T22:00:00Z", "web=4@1"},
			{"2027-01-01T01:59:59Z", "web=4@1"},
			{"2027-01-01T02:00:00Z", ""},
			{"2027-01-01T08:00:00Z", "web=2@2"},
		})
	})
	t.Run("identical targets overlap", func(t *testing.T) {
		testAt(t, "web Mon 08:00-12:00 2\nweb daily 10:00-14:00 2", []atCase{
			{"2026-11-23T11:00:00Z", "web=2@1"}, // the first rule is the one in force
			{"2026-11-23T13:00:00Z", "web=2@2"},
			{"2026-11-24T11:00:00Z", "web=2@2"},
		})
	})
	t.Run("several apps", func(t *testing.T) {
		testAt(t, "web daily 1\nworker daily 2\napp zzz\nweb daily 3\napp aaa\nweb daily 4", []atCase{
			{"2026-11-23T00:00:00Z", "web=1@1 worker=2@2 aaa/web=4@6 zzz/web=3@4"},
		})
	})
}

// The DST rules of the package doc: a skipped wall time is the end of the
// gap, a repeated one its first occurrence, 24:00 the next day's 00:00.
func TestAtNewYork(t *testing.T) {
	src := `timezone America/New_York
gap    2026-03-08 02:30-04:00 5   # starts in the gap: at its end
inside 2026-03-08 02:00-02:30 6   # wholly in the gap: empty
endgap 2026-03-08 01:00-02:30 7   # ends in the gap: at its end
night  daily 22:00-02:30 2        # crosses midnight over both changes
fall   2026-11-01 01:30-03:00 4   # starts in the repeated hour: the first 01:30
early  2026-11-01 00:00-01:30 3   # ends in the repeated hour: the first 01:30
`
	testAt(t, src, []atCase{
		// Spring forward: 2026-03-08 02:00 EST (07:00Z) is 03:00 EDT.
		{"2026-03-07T03:00:00Z", "night=2@5"}, // Fri 22:00 EST
		{"2026-03-07T07:29:59Z", "night=2@5"},
		{"2026-03-07T07:30:00Z", ""}, // Sat 02:30 EST
		{"2026-03-08T02:59:59Z", ""},
		{"2026-03-08T03:00:00Z", "night=2@5"}, // Sat 22:00 EST
		{"2026-03-08T05:59:59Z", "night=2@5"},
		{"2026-03-08T06:00:00Z", "endgap=7@4 night=2@5"}, // Sun 01:00 EST
		{"2026-03-08T06:59:59Z", "endgap=7@4 night=2@5"},
		{"2026-03-08T07:00:00Z", "gap=5@2"}, // 03:00 EDT: the gap's end
		{"2026-03-08T07:59:59Z", "gap=5@2"},
		{"2026-03-08T08:00:00Z", ""}, // 04:00 EDT
		{"2026-03-09T01:59:59Z", ""},
		{"2026-03-09T02:00:00Z", "night=2@5"}, // Sun 22:00 EDT
		{"2026-03-09T06:29:59Z", "night=2@5"},
		{"2026-03-09T06:30:00Z", ""}, // Mon 02:30 EDT

		// Fall back: 2026-11-01 02:00 EDT (06:00Z) is 01:00 EST.
		{"2026-11-01T01:59:59Z", ""},
		{"2026-11-01T02:00:00Z", "night=2@5"}, // Sat 22:00 EDT
		{"2026-11-01T04:00:00Z", "early=3@7 night=2@5"},
		{"2026-11-01T05:29:59Z", "early=3@7 night=2@5"},
		{"2026-11-01T05:30:00Z", "fall=4@6 night=2@5"}, // the first 01:30 (EDT)
		{"2026-11-01T06:00:00Z", "fall=4@6 night=2@5"}, // 01:00 EST again
		{"2026-11-01T06:29:59Z", "fall=4@6 night=2@5"}, // early is not applied twice
		{"2026-11-01T06:30:00Z", "fall=4@6 night=2@5"}, // the second 01:30
		{"2026-11-01T07:29:59Z", "fall=4@6 night=2@5"},
		{"2026-11-01T07:30:00Z", "fall=4@6"}, // 02:30 EST, which happens once
		{"2026-11-01T07:59:59Z", "fall=4@6"},
		{"2026-11-01T08:00:00Z", ""}, // 03:00 EST
		{"2026-11-02T03:00:00Z", "night=2@5"},
		{"2026-11-02T07:30:00Z", ""},
	})
}

func TestAtBerlin(t *testing.T) {
	src := `timezone Europe/Berlin
web    Sun 01:00-03:30 3
skip   2026-03-29 02:15-02:45 1
late   Sun 02:30-05:00 2
night  Sat 23:00-02:30 2
`
	testAt(t, src, []atCase{
		// Spring forward: 2026-03-29 02:00 CET (01:00Z) is 03:00 CEST.
		{"2026-03-28T21:59:59Z", ""},
		{"2026-03-28T22:00:00Z", "night=2@5"}, // Sat 23:00 CET
		{"2026-03-29T00:00:00Z", "night=2@5 web=3@2"},
		{"2026-03-29T00:59:59Z", "night=2@5 web=3@2"},
		{"2026-03-29T01:00:00Z", "late=2@4 web=3@2"}, // 03:00 CEST: late starts, night ends, skip is empty
		{"2026-03-29T01:29:59Z", "late=2@4 web=3@2"},
		{"2026-03-29T01:30:00Z", "late=2@4"}, // 03:30 CEST
		{"2026-03-29T02:59:59Z", "late=2@4"},
		{"2026-03-29T03:00:00Z", ""}, // 05:00 CEST

		// Fall back: 2026-10-25 03:00 CEST (01:00Z) is 02:00 CET.
		{"2026-10-24T20:59:59Z", ""},
		{"2026-10-24T21:00:00Z", "night=2@5"}, // Sat 23:00 CEST
		{"2026-10-24T23:00:00Z", "night=2@5 web=3@2"},
		{"2026-10-25T00:29:59Z", "night=2@5 web=3@2"},
		{"2026-10-25T00:30:00Z", "late=2@4 web=3@2"}, // the first 02:30
		{"2026-10-25T01:00:00Z", "late=2@4 web=3@2"}, // 02:00 CET again
		{"2026-10-25T01:30:00Z", "late=2@4 web=3@2"}, // the second 02:30: night is not applied twice
		{"2026-10-25T02:29:59Z", "late=2@4 web=3@2"},
		{"2026-10-25T02:30:00Z", "late=2@4"}, // 03:30 CET
		{"2026-10-25T03:59:59Z", "late=2@4"},
		{"2026-10-25T04:00:00Z", ""}, // 05:00 CET

		// An ordinary Sunday.
		{"2026-11-01T00:00:00Z", "night=2@5 web=3@2"},
		{"2026-11-01T01:30:00Z", "late=2@4 web=3@2"},
		{"2026-11-01T02:30:00Z", "late=2@4"},
	})
}

func TestWallInstant(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	berlin, _ := time.LoadLocation("Europe/Berlin")
	tests := []struct {
		name   string
		loc    *time.Location
		date   string
		minute int
		want   string
		exists bool
	}{
		{"ny ordinary", ny, "2026-03-07", 150, "2026-03-07T07:30:00Z", true},
		{"ny gap start", ny, "2026-03-08", 120, "2026-03-08T07:00:00Z", false},
		{"ny in the gap", ny, "2026-03-08", 150, "2026-03-08T07:00:00Z", false},
		{"ny after the gap", ny, "2026-03-08", 180, "2026-03-08T07:00:00Z", true},
		{"ny repeated", ny, "2026-11-01", 90, "2026-11-01T05:30:00Z", true},
		{"ny repeated start", ny, "2026-11-01", 60, "2026-11-01T05:00:00Z", true},
		{"ny after the repeat", ny, "2026-11-01", 120, "2026-11-01T07:00:00Z", true},
		{"ny 24:00", ny, "2026-11-01", 1440, "2026-11-02T05:00:00Z", true},
		{"ny next day in the gap", ny, "2026-03-07", 1440 + 150, "2026-03-08T07:00:00Z", false},
		{"berlin gap", berlin, "2026-03-29", 135, "2026-03-29T01:00:00Z", false},
		{"berlin repeated", berlin, "2026-10-25", 150, "2026-10-25T00:30:00Z", true},
		{"utc", time.UTC, "2026-12-31", 1440 + 120, "2027-01-01T02:00:00Z", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := parseDate(tt.date)
			if err != "" {
				t.Fatal(err)
			}
			zd := newZoneDay(tt.loc, d)
			sec, exists := zd.instant(tt.minute)
			if got := time.Unix(sec, 0).UTC().Format(time.RFC3339); got != tt.want || exists != tt.exists {
				t.Errorf("instant(%s, %s) = %s, %v; want %s, %v", tt.date, Clock(tt.minute), got, exists, tt.want, tt.exists)
			}
		})
	}
}

func TestChanges(t *testing.T) {
	tests := []struct {
		name, src, from, to string
		want                []string
	}{
		{"a Monday in Berlin", example, "2026-11-22T23:00:00Z", "2026-11-23T23:00:00Z", []string{
			"05:00 web/worker 1:Standard-2X -> unmanaged",
			"07:00 web/web 1 -> 3",
			"08:00 other-app/web unmanaged -> 2",
			"16:00 other-app/web 2 -> unmanaged",
			"19:00 web/web 3 -> 1",
			"21:00 web/worker unmanaged -> 1:Standard-2X",
		}},
		{"bounds are exclusive", example, "2026-11-23T07:00:00Z", "2026-11-23T19:00:00Z", []string{
			"08:00 other-app/web unmanaged -> 2",
			"16:00 other-app/web 2 -> unmanaged",
		}},
		{"a fraction past a boundary", example, "2026-11-23T06:59:59.5Z", "2026-11-23T07:00:00.5Z", []string{
			"07:00 web/web 1 -> 3",
		}},
		{"same target is no change", "web Mon 08:00-12:00 2\nweb Mon 12:00-14:00 2\nworker default 1\nworker Mon 10:00-11:00 1",
			"2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z", []string{
				"08:00 web/web unmanaged -> 2",
				"14:00 web/web 2 -> unmanaged",
			}},
		{"size alone is a change", "web default 1\nweb daily 08:00-09:00 1:performance-l",
			"2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z", []string{
				"08:00 web/web 1 -> 1:Performance-L",
				"09:00 web/web 1:Performance-L -> 1",
			}},
		{"fall back in New York", "timezone America/New_York\nnight daily 22:00-02:30 2\nfall 2026-11-01 01:30-03:00 4\nearly 2026-11-01 00:00-01:30 3",
			"2026-10-31T12:00:00Z", "2026-11-01T12:00:00Z", []string{
				"02:00 web/night unmanaged -> 2",
				"04:00 web/early unmanaged -> 3",
				"05:30 web/early 3 -> unmanaged",
				"05:30 web/fall unmanaged -> 4",
				"07:30 web/night 2 -> unmanaged",
				"08:00 web/fall 4 -> unmanaged",
			}},
		{"empty period", example, "2026-11-23T07:00:00Z", "2026-11-23T07:00:00Z", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, tt.src)
			from, to := utc(tt.from), utc(tt.to)
			var got []string
			for _, c := range s.Changes(from, to) {
				app := c.App
				if app == "" {
					app = "web"
				}
				got = append(got, fmt.Sprintf("%s %s/%s %s -> %s", c.At.Format("15:04"), app, c.Type, c.From, c.To))
				if c.At.Location() != time.UTC {
					t.Errorf("Change.At %v is not in UTC", c.At)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Changes(%v, %v) =\n%s\nwant:\n%s", from, to, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// Changes and At agree: just before each change the target is From, at it
// the target is To.
func TestChangesAgreeWithAt(t *testing.T) {
	s := mustParse(t, example+"\ntimezone America/New_York\napp ny-app\nnight daily 22:00-02:30 2\nnight Sat 03:00-04:00 1\n")
	from, to := utc("2026-03-01T00:00:00Z"), utc("2026-04-15T00:00:00Z")
	changes := s.Changes(from, to)
	if len(changes) < 100 {
		t.Fatalf("Changes over six weeks = %d, want more", len(changes))
	}
	for _, c := range changes {
		before := find(s.At(c.At.Add(-time.Nanosecond)), c.App, c.Type)
		at := find(s.At(c.At), c.App, c.Type)
		if before.String() != c.From.String() || at.String() != c.To.String() {
			t.Errorf("change at %v of %s: From %v To %v, but At gives %v then %v", c.At, TypeName(c.App, c.Type), c.From, c.To, before, at)
		}
	}
}

// A Schedule is read-only after Parse: goroutines may share it.
func TestConcurrentUse(t *testing.T) {
	s := mustParse(t, example)
	from, to := utc("2026-10-20T00:00:00Z"), utc("2026-10-30T00:00:00Z")
	want, wantChanges := render(s.At(from)), len(s.Changes(from, to))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if got := render(s.At(from)); got != want {
				t.Errorf("At(%v) = %q, want %q", from, got, want)
			}
			if got := len(s.Report(from, to).Changes); got != wantChanges {
				t.Errorf("Report(%v, %v) has %d changes, want %d", from, to, got, wantChanges)
			}
		})
	}
	wg.Wait()
}

// renderEdges writes targets with their edges, in UTC:
// "web=3@2 11-23T07:00Z..11-23T19:00Z", '-' for a zero edge.
func renderEdges(targets []Target) string {
	parts := make([]string, len(targets))
	for i, t := range targets {
		parts[i] = fmt.Sprintf("%s=%s@%d %s..%s", TypeName(t.App, t.Type), &t, t.Rule.Line, edgeText(t.Since), edgeText(t.Until))
	}
	return strings.Join(parts, "; ")
}

func edgeText(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	if t.Location() != time.UTC {
		return "not in UTC: " + t.String()
	}
	if t.Year() != 2026 {
		return t.Format("2006-01-02T15:04Z")
	}
	return t.Format("01-02T15:04Z")
}

func testEdges(t *testing.T, src string, tests []atCase) {
	t.Helper()
	s := mustParse(t, src)
	for _, tt := range tests {
		t.Run(tt.at, func(t *testing.T) {
			at := utc(tt.at)
			if got := renderEdges(s.At(at)); got != tt.want {
				t.Errorf("At(%v) = %q, want %q", at, got, tt.want)
			}
		})
	}
}

// Since is the edge in force, Until the next one: where the target, not
// the rule, changes.
func TestAtEdgesOfLevels(t *testing.T) {
	t.Run("a week in Berlin", func(t *testing.T) {
		testEdges(t, example, []atCase{
			// Mon 10:00 CET: web since 08:00, other-app since 09:00.
			{"2026-11-23T09:00:00Z", "web=3@2 11-23T07:00Z..11-23T19:00Z; other-app/web=2@9 11-23T08:00Z..11-23T16:00Z"},
			{"2026-11-23T07:00:00Z", "web=3@2 11-23T07:00Z..11-23T19:00Z"}, // at the edge: it is in force
			{"2026-11-23T06:59:59.5Z", "web=1@4 11-22T17:00Z..11-23T07:00Z"},
			// Sat 09:00 CET: 1 since Fri 20:00, until 10:00.
			{"2026-11-28T08:00:00Z", "web=1@4 11-27T19:00Z..11-28T09:00Z; other-app/web=2@9 11-28T08:00Z..11-28T16:00Z"},
			// Across midnight: the worker's night, Mon 23:30 CET.
			{"2026-11-23T22:30:00Z", "web=1@4 11-23T19:00Z..11-24T07:00Z; worker=1:Standard-2X@5 11-23T21:00Z..11-24T05:00Z"},
			// The holidays: dates win over weekdays, and three whole days in
			// a row are one target.
			{"2026-12-25T12:00:00Z", "web=1@6 12-23T19:00Z..12-27T09:00Z; other-app/web=2@9 12-25T08:00Z..12-25T16:00Z"},
			{"2026-12-31T17:00:00Z", "web=4@7 12-31T17:00Z..12-31T23:00Z"},
		})
	})
	t.Run("a lone default has no edges", func(t *testing.T) {
		testEdges(t, "web default 1", []atCase{{"2026-11-23T09:00:00Z", "web=1@1 -..-"}})
	})
	t.Run("rules of one target meet", func(t *testing.T) {
		testEdges(t, "web Mon 08:00-12:00 2\nweb Mon 12:00-14:00 2\nweb default 9\nweb Tue 2", []atCase{
			{"2026-11-23T12:30:00Z", "web=2@2 11-23T08:00Z..11-23T14:00Z"},
			{"2026-11-24T12:30:00Z", "web=2@4 11-24T00:00Z..11-25T00:00Z"},
		})
	})
	t.Run("a weekly target that never changes", func(t *testing.T) {
		testEdges(t, "web daily 00:00-12:00 5\nweb daily 12:00-24:00 5\nworker Mon-Fri 3\nworker default 3", []atCase{
			{"2026-11-24T12:30:00Z", "web=5@2 -..-; worker=3@3 -..-"},
		})
	})
	t.Run("a holiday far away", func(t *testing.T) {
		src := "web default 1\nweb 2026-12-24 3\nworker daily 2\nworker 2026-12-24 12:00-13:00 4"
		testEdges(t, src, []atCase{
			{"2026-06-01T00:00:00Z", "web=1@1 -..12-24T00:00Z; worker=2@3 -..12-24T12:00Z"},
			{"2026-12-24T12:00:00Z", "web=3@2 12-24T00:00Z..12-25T00:00Z; worker=4@4 12-24T12:00Z..12-24T13:00Z"},
			{"2026-12-26T00:00:00Z", "web=1@1 12-25T00:00Z..-; worker=2@3 12-24T13:00Z..-"},
			// The horizon ends with the local day Horizon days away.
			{"2025-11-19T00:00:00Z", "web=1@1 -..12-24T00:00Z; worker=2@3 -..12-24T12:00Z"},
			{"2025-11-18T23:59:59Z", "web=1@1 -..-; worker=2@3 -..-"},
			{"2028-01-28T23:59:59Z", "web=1@1 12-25T00:00Z..-; worker=2@3 12-24T13:00Z..-"},
			{"2028-01-29T00:00:00Z", "web=1@1 12-25T00:00Z..-; worker=2@3 -..-"},
			{"2028-01-30T00:00:00Z", "web=1@1 -..-; worker=2@3 -..-"},
		})
	})
	t.Run("dates over weekdays", func(t *testing.T) {
		testEdges(t, "web Mon-Fri 08:00-20:00 3\nweb 2026-12-24..2026-12-26 12:00-14:00 1\nweb default 0", []atCase{
			{"2026-12-24T11:00:00Z", "web=3@1 12-24T08:00Z..12-24T12:00Z"},
			{"2026-12-24T13:00:00Z", "web=1@2 12-24T12:00Z..12-24T14:00Z"},
			{"2026-12-24T15:00:00Z", "web=3@1 12-24T14:00Z..12-24T20:00Z"},
			{"2026-12-26T15:00:00Z", "web=0@3 12-26T14:00Z..12-28T08:00Z"},
		})
	})
	t.Run("DST in New York", func(t *testing.T) {
		testEdges(t, "timezone America/New_York\nweb daily 01:00-02:30 2\nweb default 1", []atCase{
			// Spring forward: 02:30 is the gap's end, 03:00 EDT.
			{"2026-03-08T06:30:00Z", "web=2@2 03-08T06:00Z..03-08T07:00Z"},
			{"2026-03-08T07:00:00Z", "web=1@3 03-08T07:00Z..03-09T05:00Z"},
			// Fall back: the window ends at the first 02:30... which is the
			// only one: 01:00 and 01:30 repeat, 02:30 does not.
			{"2026-11-01T06:30:00Z", "web=2@2 11-01T05:00Z..11-01T07:30Z"},
		})
	})
	t.Run("DST in Berlin", func(t *testing.T) {
		testEdges(t, "timezone Europe/Berlin\nweb Sun 02:30-03:30 2\nweb default 1", []atCase{
			{"2026-03-29T01:00:00Z", "web=2@2 03-29T01:00Z..03-29T01:30Z"}, // 03:00 CEST, the gap's end
			{"2026-10-25T01:00:00Z", "web=2@2 10-25T00:30Z..10-25T02:30Z"}, // the first 02:30 to 03:30 CET
		})
	})
}

func TestAtEdgesOfOnce(t *testing.T) {
	t.Run("an ordinary day in Berlin", func(t *testing.T) {
		testEdges(t, "timezone Europe/Berlin\nnightly daily 02:00-05:00 once\nreport Mon 06:00-08:00 once:performance-l", []atCase{
			{"2026-11-23T00:59:59Z", ""},
			{"2026-11-23T01:00:00Z", "nightly=once@2 11-23T01:00Z..11-23T04:00Z"},
			{"2026-11-23T03:59:59.9Z", "nightly=once@2 11-23T01:00Z..11-23T04:00Z"},
			{"2026-11-23T04:00:00Z", ""},
			{"2026-11-23T05:00:00Z", "report=once:Performance-L@3 11-23T05:00Z..11-23T07:00Z"},
		})
	})
	t.Run("across midnight", func(t *testing.T) {
		testEdges(t, "job daily 22:00-02:00 once", []atCase{
			{"2026-11-24T01:00:00Z", "job=once@1 11-23T22:00Z..11-24T02:00Z"},
		})
	})
	t.Run("windows that touch are two occurrences", func(t *testing.T) {
		testEdges(t, "all daily once\njob Mon 02:00-04:00 once\njob Mon 04:00-06:00 once\nsat Sat 22:00-24:00 once\nsat Sun 00:00-02:00 once", []atCase{
			{"2026-11-22T23:59:59Z", "all=once@1 11-22T00:00Z..11-23T00:00Z"},
			{"2026-11-23T00:00:00Z", "all=once@1 11-23T00:00Z..11-24T00:00Z"},
			{"2026-11-23T03:59:59Z", "all=once@1 11-23T00:00Z..11-24T00:00Z; job=once@2 11-23T02:00Z..11-23T04:00Z"},
			{"2026-11-23T04:00:00Z", "all=once@1 11-23T00:00Z..11-24T00:00Z; job=once@3 11-23T04:00Z..11-23T06:00Z"},
			{"2026-11-28T23:00:00Z", "all=once@1 11-28T00:00Z..11-29T00:00Z; sat=once@4 11-28T22:00Z..11-29T00:00Z"},
			{"2026-11-29T00:00:00Z", "all=once@1 11-29T00:00Z..11-30T00:00Z; sat=once@5 11-29T00:00Z..11-29T02:00Z"},
		})
	})
	t.Run("windows of one target that overlap are one occurrence", func(t *testing.T) {
		testEdges(t, "job Mon 02:00-04:00 once\njob Mon 03:00-06:00 once\njob Mon 05:00-07:00 once", []atCase{
			{"2026-11-23T02:00:00Z", "job=once@1 11-23T02:00Z..11-23T07:00Z"},
			{"2026-11-23T05:30:00Z", "job=once@2 11-23T02:00Z..11-23T07:00Z"},
			{"2026-11-23T06:30:00Z", "job=once@3 11-23T02:00Z..11-23T07:00Z"},
		})
	})
	t.Run("a date window of another size splits a weekly one", func(t *testing.T) {
		testEdges(t, "job daily 02:00-05:00 once\njob 2026-12-24 03:00-04:00 once:performance-l", []atCase{
			{"2026-12-23T03:30:00Z", "job=once@1 12-23T02:00Z..12-23T05:00Z"},
			{"2026-12-24T02:30:00Z", "job=once@1 12-24T02:00Z..12-24T03:00Z"},
			{"2026-12-24T03:30:00Z", "job=once:Performance-L@2 12-24T03:00Z..12-24T04:00Z"},
			{"2026-12-24T04:30:00Z", "job=once@1 12-24T04:00Z..12-24T05:00Z"},
		})
	})
	t.Run("a date window of the same size does not", func(t *testing.T) {
		testEdges(t, "job daily 02:00-05:00 once\njob 2026-12-24 03:00-06:00 once", []atCase{
			{"2026-12-24T03:30:00Z", "job=once@2 12-24T02:00Z..12-24T06:00Z"},
			{"2026-12-24T05:30:00Z", "job=once@2 12-24T02:00Z..12-24T06:00Z"},
		})
	})
	t.Run("a date window replaces a weekly one that it covers", func(t *testing.T) {
		testEdges(t, "job daily 02:00-05:00 once\njob 2026-12-24 00:00-06:00 once:performance-l", []atCase{
			{"2026-12-24T02:30:00Z", "job=once:Performance-L@2 12-24T00:00Z..12-24T06:00Z"},
			{"2026-12-25T02:30:00Z", "job=once@1 12-25T02:00Z..12-25T05:00Z"},
		})
	})
	t.Run("DST in New York", func(t *testing.T) {
		src := `timezone America/New_York
gap     daily 02:30-04:00 once   # opens in the gap: at its end
inside  daily 02:00-02:30 once   # wholly in the gap: 03:00-03:30 that day
span    daily 01:00-03:00 once   # its skipped hour comes after the gap in spring; longer in the fall
split   daily 01:00-02:30 once
split   daily 02:15-04:00 once   # overlaps the line before, in the gap: one occurrence still
`
		testEdges(t, src, []atCase{
			// An ordinary day: 01:00 EST is 06:00Z.
			{"2026-03-07T07:20:00Z", "inside=once@3 03-07T07:00Z..03-07T07:30Z; span=once@4 03-07T06:00Z..03-07T08:00Z; split=once@5 03-07T06:00Z..03-07T09:00Z"},
			// Spring forward: 02:00 EST (07:00Z) is 03:00 EDT.
			{"2026-03-08T06:59:59Z", "span=once@4 03-08T06:00Z..03-08T08:00Z; split=once@5 03-08T06:00Z..03-08T08:00Z"},
			{"2026-03-08T07:00:00Z", "gap=once@2 03-08T07:00Z..03-08T08:00Z; inside=once@3 03-08T07:00Z..03-08T07:30Z; span=once@4 03-08T06:00Z..03-08T08:00Z; split=once@5 03-08T06:00Z..03-08T08:00Z"},
			// Fall back: 02:00 EDT (06:00Z) is 01:00 EST.
			{"2026-11-01T06:30:00Z", "span=once@4 11-01T05:00Z..11-01T08:00Z; split=once@5 11-01T05:00Z..11-01T09:00Z"},
			{"2026-11-01T07:45:00Z", "gap=once@2 11-01T07:30Z..11-01T09:00Z; span=once@4 11-01T05:00Z..11-01T08:00Z; split=once@6 11-01T05:00Z..11-01T09:00Z"},
		})
	})
	t.Run("DST in Berlin", func(t *testing.T) {
		src := "timezone Europe/Berlin\njob Sun 01:30-02:30 once\nlate Sun 02:30-03:30 once"
		testEdges(t, src, []atCase{
			// Spring forward: 02:00 CET (01:00Z) is 03:00 CEST; 02:30 is
			// 03:00, and job's skipped half hour is 03:00-03:30.
			{"2026-03-29T00:45:00Z", "job=once@2 03-29T00:30Z..03-29T01:30Z"},
			{"2026-03-29T01:00:00Z", "job=once@2 03-29T00:30Z..03-29T01:30Z; late=once@3 03-29T01:00Z..03-29T01:30Z"},
			// Fall back: 03:00 CEST (01:00Z) is 02:00 CET; the first 02:30
			// ends job and opens late, which lasts to 03:30 CET.
			{"2026-10-25T00:29:59Z", "job=once@2 10-24T23:30Z..10-25T00:30Z"},
			{"2026-10-25T01:45:00Z", "late=once@3 10-25T00:30Z..10-25T02:30Z"},
		})
	})
}

func TestClosed(t *testing.T) {
	src := `timezone America/New_York
nightly daily 02:00-02:30 once          # wholly in the gap on 2026-03-08: 03:00-03:30
report  Mon   06:00-08:00 once:performance-l
all     daily once                      # touching occurrences
app other-app
report  Mon   06:00-08:00 once
web     default 1                       # level rules never close
`
	tests := []struct {
		name, from, to string
		want           []string
	}{
		{"a Monday", "2026-11-23T05:00:00Z", "2026-11-24T05:00:00Z", []string{
			"11-23T07:00Z..11-23T07:30Z nightly@2",
			"11-23T11:00Z..11-23T13:00Z report@3",
			"11-23T11:00Z..11-23T13:00Z other-app/report@6",
			"11-23T05:00Z..11-24T05:00Z all@4",
		}},
		{"bounds: after from, up to to", "2026-11-23T07:30:00Z", "2026-11-23T13:00:00Z", []string{
			"11-23T11:00Z..11-23T13:00Z report@3",
			"11-23T11:00Z..11-23T13:00Z other-app/report@6",
		}},
		{"opened long before from", "2026-11-24T04:59:59.5Z", "2026-11-24T05:00:00Z", []string{
			"11-23T05:00Z..11-24T05:00Z all@4",
		}},
		{"the skipped window opened when the gap ended", "2026-03-07T12:00:00Z", "2026-03-09T12:00:00Z", []string{
			"03-07T05:00Z..03-08T05:00Z all@4",
			"03-08T07:00Z..03-08T07:30Z nightly@2", // 03:00-03:30 EDT
			"03-08T05:00Z..03-09T04:00Z all@4",     // 23 hours
			"03-09T06:00Z..03-09T06:30Z nightly@2",
			"03-09T10:00Z..03-09T12:00Z report@3",
			"03-09T10:00Z..03-09T12:00Z other-app/report@6",
		}},
		{"fall back", "2026-11-01T00:00:00Z", "2026-11-02T06:00:00Z", []string{
			"10-31T04:00Z..11-01T04:00Z all@4",
			"11-01T07:00Z..11-01T07:30Z nightly@2", // 02:00 EST, after the repeated hour
			"11-01T04:00Z..11-02T05:00Z all@4",     // 25 hours
		}},
		{"empty period", "2026-11-23T05:00:00Z", "2026-11-23T05:00:00Z", nil},
	}
	s := mustParse(t, src)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to := utc(tt.from), utc(tt.to)
			var got []string
			for _, o := range s.Closed(from, to) {
				got = append(got, fmt.Sprintf("%s..%s %s@%d", edgeText(o.Open), edgeText(o.Close), TypeName(o.App, o.Type), o.Rule.Line))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Closed(%v, %v) =\n%s\nwant:\n%s", from, to, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// Closed agrees with At: each occurrence is the one At gives inside it.
func TestClosedAgreesWithAt(t *testing.T) {
	s := mustParse(t, "timezone Europe/Berlin\njob daily 02:00-05:00 once\njob 2026-03-29 03:00-04:00 once:performance-l\nall Sat,Sun once\nx Sat 22:00-02:00 once\nx Sun 01:00-03:00 once")
	from, to := utc("2026-03-01T00:00:00Z"), utc("2026-04-15T00:00:00Z")
	closed := s.Closed(from, to)
	if len(closed) < 60 {
		t.Fatalf("Closed over six weeks = %d, want more", len(closed))
	}
	for _, o := range closed {
		for _, at := range []time.Time{o.Open, o.Close.Add(-time.Second)} {
			found := false
			for _, tg := range s.At(at) {
				if tg.Type == o.Type {
					found = true
					if !tg.Since.Equal(o.Open) || !tg.Until.Equal(o.Close) {
						t.Errorf("At(%v) of %s = %v..%v, but Closed gives %v..%v", at, o.Type, tg.Since, tg.Until, o.Open, o.Close)
					}
				}
			}
			if !found {
				t.Errorf("At(%v) has no %s, but Closed gives %v..%v", at, o.Type, o.Open, o.Close)
			}
		}
	}
}

func TestChangesOfOnce(t *testing.T) {
	s := mustParse(t, "timezone Europe/Berlin\nnightly daily 02:00-05:00 once\nall daily once\nweb default 1")
	var got []string
	for _, c := range s.Changes(utc("2026-11-23T00:00:00Z"), utc("2026-11-24T02:00:00Z")) {
		line := fmt.Sprintf("%s %s %s -> %s", c.At.Format("01-02T15:04Z"), c.Type, c.From, c.To)
		for _, tg := range []*Target{c.From, c.To} {
			if tg != nil {
				line += fmt.Sprintf(" [%s..%s]", edgeText(tg.Since), edgeText(tg.Until))
			}
		}
		got = append(got, line)
	}
	want := []string{
		"11-23T01:00Z nightly unmanaged -> once [11-23T01:00Z..11-23T04:00Z]",
		"11-23T04:00Z nightly once -> unmanaged [11-23T01:00Z..11-23T04:00Z]",
		"11-23T23:00Z all once -> once [11-22T23:00Z..11-23T23:00Z] [11-23T23:00Z..11-24T23:00Z]",
		"11-24T01:00Z nightly unmanaged -> once [11-24T01:00Z..11-24T04:00Z]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Changes =\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A once window never vanishes: the minutes of it that the clocks skip
// happen right after the gap, and give way to the windows of its type that
// come after it on the wall clock. Each case lists the occurrences that
// close over a night with a clock change, in local time, and checks that
// At agrees with each (Since at its open, Until at its close).
func TestOnceWindowsOnAClockChange(t *testing.T) {
	const (
		berlin   = "timezone Europe/Berlin\n"    // skips 02:00-03:00 on Sun 2026-03-29, repeats it on Sun 2026-10-25
		newYork  = "timezone America/New_York\n" // skips 02:00-03:00 on Sun 2026-03-08, repeats 01:00-02:00 on Sun 2026-11-01
		lordHowe = "timezone Australia/Lord_Howe\n"
		santiago = "timezone America/Santiago\n"
	)
	// The nights, in UTC, from the evening before the change to the
	// morning after it.
	springBerlin := [2]string{"2026-03-28T18:00:00Z", "2026-03-29T06:00:00Z"}
	tests := []struct {
		name, src string
		night     [2]string
		want      []string // "open-close line N", local
	}{
		{"wholly in the gap: when it ends, as long as written", berlin + "job daily 02:00-02:30 once", springBerlin,
			[]string{"Sun 03:00 CEST-03:30 CEST line 2"}},
		{"exactly the gap: an hour after it", berlin + "job daily 02:00-03:00 once", springBerlin,
			[]string{"Sun 03:00 CEST-04:00 CEST line 2"}},
		// Decided: a window that starts on time keeps its length; the half
		// hour the clocks skip comes after the gap.
		{"partly in the gap: its skipped half hour after it", berlin + "job daily 01:30-02:30 once", springBerlin,
			[]string{"Sun 01:30 CET-03:30 CEST line 2"}},
		{"ends in the gap", berlin + "job daily 01:00-02:15 once", springBerlin,
			[]string{"Sun 01:00 CET-03:15 CEST line 2"}},
		{"across midnight", berlin + "job daily 23:00-02:30 once", springBerlin,
			[]string{"Sat 23:00 CET-03:30 CEST line 2"}},
		{"starts in the gap: the part after it holds the skipped minutes", berlin + "job daily 02:30-04:00 once", springBerlin,
			[]string{"Sun 03:00 CEST-04:00 CEST line 2"}},
		{"across the gap: as written on the wall clock", berlin + "job daily 01:00-04:00 once", springBerlin,
			[]string{"Sun 01:00 CET-04:00 CEST line 2"}},
		// Windows distinct on the wall clock stay distinct occurrences: the
		// skipped minutes give way to the next window...
		{"touching at the gap's end: two occurrences", berlin + "job daily 01:00-03:00 once\njob daily 03:00-04:00 once", springBerlin,
			[]string{"Sun 01:00 CET-03:00 CEST line 2", "Sun 03:00 CEST-04:00 CEST line 3"}},
		// ...and when both open as the gap ends, the later one (which the
		// wall clock has) is the one occurrence: the job starts once.
		{"touching in the gap: the later window", berlin + "job daily 02:00-02:30 once\njob daily 02:30-03:00 once", springBerlin,
			[]string{"Sun 03:00 CEST-03:30 CEST line 3"}},
		{"meeting the next window at the gap's end", berlin + "job daily 02:00-02:30 once\njob daily 03:00-03:30 once:performance-l", springBerlin,
			[]string{"Sun 03:00 CEST-03:30 CEST line 3"}},
		{"given back minutes cut by the next window", berlin + "job daily 01:30-02:30 once\njob daily 03:15-04:00 once:performance-l", springBerlin,
			[]string{"Sun 01:30 CET-03:15 CEST line 2", "Sun 03:15 CEST-04:00 CEST line 3"}},
		{"overlapping in the gap: one occurrence, as on other days", berlin + "job daily 01:00-02:30 once\njob daily 02:15-04:00 once", springBerlin,
			[]string{"Sun 01:00 CET-04:00 CEST line 2"}},
		{"a date window over a weekly one", berlin + "job daily 02:00-02:30 once\njob 2026-03-29 02:00-02:30 once:performance-l", springBerlin,
			[]string{"Sun 03:00 CEST-03:30 CEST line 3"}},
		{"the repeated hour: once, at its first occurrence", berlin + "job daily 02:00-02:30 once",
			[2]string{"2026-10-24T18:00:00Z", "2026-10-25T06:00:00Z"},
			[]string{"Sun 02:00 CEST-02:30 CEST line 2"}},
		{"New York, spring", newYork + "job daily 02:00-02:30 once\nlong daily 01:30-02:30 once", [2]string{"2026-03-08T00:00:00Z", "2026-03-08T12:00:00Z"},
			[]string{"Sun 03:00 EDT-03:30 EDT line 2", "Sun 01:30 EST-03:30 EDT line 3"}},
		{"New York, fall: the repeated hour opens once", newYork + "job daily 01:00-01:30 once\nlong daily 00:30-01:15 once", [2]string{"2026-11-01T00:00:00Z", "2026-11-01T12:00:00Z"},
			[]string{"Sun 00:30 EDT-01:15 EDT line 3", "Sun 01:00 EDT-01:30 EDT line 2"}},
		{"Lord Howe skips half an hour", lordHowe + "job daily 02:00-02:30 once\nlate daily 02:15-02:45 once", [2]string{"2026-10-03T10:00:00Z", "2026-10-03T20:00:00Z"},
			[]string{"Sun 02:30 +11-02:45 +11 line 3", "Sun 02:30 +11-03:00 +11 line 2"}},
		{"Lord Howe repeats half an hour", lordHowe + "job daily 01:30-02:00 once", [2]string{"2026-04-04T10:00:00Z", "2026-04-04T20:00:00Z"},
			[]string{"Sun 01:30 +11-02:00 +1030 line 2"}},
		// Santiago skips midnight: a window that crosses into the gap gets
		// its minutes back only until the next day's window opens.
		{"Santiago, the day's windows stay apart", santiago + "job daily 01:00-00:30 once", [2]string{"2026-09-05T05:00:00Z", "2026-09-07T12:00:00Z"},
			[]string{"Sat 01:00 -04-01:00 -03 line 2", "Sun 01:00 -03-00:30 -03 line 2"}},
		{"Santiago, whole days", santiago + "job daily once", [2]string{"2026-09-05T05:00:00Z", "2026-09-07T12:00:00Z"},
			[]string{"Sat 00:00 -04-01:00 -03 line 2", "Sun 01:00 -03-00:00 -03 line 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, tt.src)
			loc := s.Rules[0].Zone
			var got []string
			for _, o := range s.Closed(utc(tt.night[0]), utc(tt.night[1])) {
				got = append(got, fmt.Sprintf("%s-%s line %d", o.Open.In(loc).Format("Mon 15:04 MST"), o.Close.In(loc).Format("15:04 MST"), o.Rule.Line))
				// At agrees: the occurrence is in force from its open to
				// just before its close, with these edges, and not after.
				for _, at := range []time.Time{o.Open, o.Close.Add(-time.Second)} {
					tg := find(s.At(at), o.App, o.Type)
					if tg == nil || !tg.Since.Equal(o.Open) || !tg.Until.Equal(o.Close) {
						t.Errorf("At(%v) = %v, want the occurrence %v..%v", at, renderEdges(s.At(at)), o.Open, o.Close)
					}
				}
				if tg := find(s.At(o.Close), o.App, o.Type); tg != nil && tg.Since.Equal(o.Open) {
					t.Errorf("At(%v), its close, is still the occurrence that opened at %v", o.Close, o.Open)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Closed over the night =\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// What `scaler apply` sees of a window that the clocks skip: open at 03:10
// on the night of the change, since 03:00; closed at 03:40; and listed as
// closed at 03:30, so that a missed window is said.
func TestSkippedWindowAsApplySeesIt(t *testing.T) {
	s := mustParse(t, "timezone Europe/Berlin\nnightly daily 02:00-02:30 once")
	berlin := s.Rules[0].Zone
	local := func(clock string) time.Time {
		t, err := time.ParseInLocation("2006-01-02 15:04 MST", "2026-03-29 "+clock, berlin)
		if err != nil {
			panic(err)
		}
		return t
	}
	testEdges(t, "timezone Europe/Berlin\nnightly daily 02:00-02:30 once", []atCase{
		{local("01:59 CET").UTC().Format(time.RFC3339), ""},
		{local("03:10 CEST").UTC().Format(time.RFC3339), "nightly=once@2 03-29T01:00Z..03-29T01:30Z"},
		{local("03:40 CEST").UTC().Format(time.RFC3339), ""},
	})
	closed := s.Closed(local("03:10 CEST"), local("03:40 CEST"))
	if len(closed) != 1 || !closed[0].Open.Equal(local("03:00 CEST")) || !closed[0].Close.Equal(local("03:30 CEST")) {
		t.Errorf("Closed(03:10, 03:40) = %+v, want the occurrence 03:00-03:30 CEST", closed)
	}
}
