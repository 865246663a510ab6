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
		parts[i] = fmt.Sprintf("%s=%s@%d", name(t.App, t.Type), &t, t.Rule.Line)
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
				t.Errorf("instant(%s, %s) = %s, %v; want %s, %v", tt.date, clock(tt.minute), got, exists, tt.want, tt.exists)
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
	find := func(targets []Target, app, typ string) *Target {
		for _, t := range targets {
			if t.App == app && t.Type == typ {
				return &t
			}
		}
		return nil
	}
	changes := s.Changes(from, to)
	if len(changes) < 100 {
		t.Fatalf("Changes over six weeks = %d, want more", len(changes))
	}
	for _, c := range changes {
		before := find(s.At(c.At.Add(-time.Nanosecond)), c.App, c.Type)
		at := find(s.At(c.At), c.App, c.Type)
		if before.String() != c.From.String() || at.String() != c.To.String() {
			t.Errorf("change at %v of %s: From %v To %v, but At gives %v then %v", c.At, name(c.App, c.Type), c.From, c.To, before, at)
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
