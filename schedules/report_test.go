package schedules

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

func TestReportUsage(t *testing.T) {
	tests := []struct {
		name, src, from, to string
		want                Usage
	}{
		{"spring forward has 23 hours", "timezone Europe/Berlin\nweb default 1",
			"2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z",
			Usage{DynoHours: 23, Peak: 1, PeakDynoHours: 23, ManagedHours: 23}},
		{"fall back has 25 hours", "timezone Europe/Berlin\nweb default 2",
			"2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z",
			Usage{DynoHours: 50, Peak: 2, PeakDynoHours: 50, ManagedHours: 25}},
		{"a busy day", "web default 1\nweb daily 08:00-20:00 3",
			"2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z",
			Usage{DynoHours: 48, Peak: 3, PeakDynoHours: 72, SavedDynoHours: 24, SavedPercent: 100.0 / 3, ManagedHours: 24}},
		{"unmanaged time counts in neither", "worker daily 08:00-12:00 2",
			"2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z",
			Usage{DynoHours: 8, Peak: 2, PeakDynoHours: 8, ManagedHours: 4, UnmanagedHours: 20}},
		{"a window across the skipped hour", "timezone America/New_York\nworker daily 01:00-04:00 2\nworker default 0",
			"2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z",
			Usage{DynoHours: 4, Peak: 2, PeakDynoHours: 46, SavedDynoHours: 42, SavedPercent: 100 * 42.0 / 46, ManagedHours: 23}},
		{"part of a window", "worker daily 08:00-12:00 2",
			"2026-11-23T11:00:00Z", "2026-11-23T13:30:00Z",
			Usage{DynoHours: 2, Peak: 2, PeakDynoHours: 2, ManagedHours: 1, UnmanagedHours: 1.5}},
		{"once windows are counted, not their dyno-hours", "nightly daily 02:00-05:00 once",
			"2026-11-23T00:00:00Z", "2026-11-26T00:00:00Z",
			Usage{Windows: 3, ManagedHours: 9, UnmanagedHours: 63}},
		{"once windows in force at the start count", "nightly daily 02:00-05:00 once",
			"2026-11-23T04:59:59Z", "2026-11-24T02:00:00Z",
			Usage{Windows: 1, ManagedHours: 1 / 3600.0, UnmanagedHours: 21}},
		{"once windows that open at the end do not", "nightly daily 02:00-05:00 once",
			"2026-11-23T05:00:00Z", "2026-11-24T02:00:00Z",
			Usage{Windows: 0, ManagedHours: 0, UnmanagedHours: 21}},
		{"touching once windows each count", "all daily once",
			"2026-11-23T12:00:00Z", "2026-11-25T12:00:00Z",
			Usage{Windows: 3, ManagedHours: 48}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, tt.src)
			r := s.Report(utc(tt.from), utc(tt.to))
			if len(r.Types) != 1 {
				t.Fatalf("Report has %d types, want 1", len(r.Types))
			}
			got := r.Types[0].Usage
			if !closeUsage(got, tt.want) {
				t.Errorf("Report(%s, %s) usage = %+v, want %+v", tt.from, tt.to, got, tt.want)
			}
		})
	}
}

func closeUsage(a, b Usage) bool {
	near := func(x, y float64) bool { return math.Abs(x-y) < 1e-9 }
	return a.Windows == b.Windows && a.Peak == b.Peak && near(a.DynoHours, b.DynoHours) && near(a.PeakDynoHours, b.PeakDynoHours) &&
		near(a.SavedDynoHours, b.SavedDynoHours) && near(a.SavedPercent, b.SavedPercent) &&
		near(a.ManagedHours, b.ManagedHours) && near(a.UnmanagedHours, b.UnmanagedHours)
}

func TestReportChart(t *testing.T) {
	s := mustParse(t, `timezone America/New_York
web     daily 01:00-04:00 12
web     default 3
worker  daily 09:00-09:30 1
short   daily 09:10-09:20 2     # shorter than a cell: in the cell it opens in
short   default 1
nightly daily 02:10-02:20 once  # 03:00-03:10 on the 8th
`)
	r := s.Report(utc("2026-03-07T05:00:00Z"), utc("2026-03-09T04:00:00Z"))
	want := map[string][]ChartDay{
		"web": {
			{"2026-03-07", "Sat", "33++++++333333333333333333333333333333333333333333", false},
			{"2026-03-08", "Sun", "33++  ++333333333333333333333333333333333333333333", true},
		},
		"worker": {
			{"2026-03-07", "Sat", "..................1.............................", false},
			{"2026-03-08", "Sun", "....  ............1.............................", true},
		},
		"short": {
			{"2026-03-07", "Sat", "111111111111111111211111111111111111111111111111", false},
			{"2026-03-08", "Sun", "1111  111111111111211111111111111111111111111111", true},
		},
		"nightly": {
			{"2026-03-07", "Sat", "....o...........................................", false},
			{"2026-03-08", "Sun", "....  o.........................................", true},
		},
	}
	for _, tr := range r.Types {
		for i, d := range tr.Days {
			w := want[tr.Type][i]
			w.Cells = w.Cells[:cellsPerDay]
			if d != w {
				t.Errorf("%s day %d = %+v, want %+v", tr.Type, i, d, w)
			}
		}
	}
	if len(r.DST) != 1 || r.DST[0].String() != "2026-03-08 America/New_York skips 02:00-03:00" {
		t.Errorf("DST = %v, want the spring forward of 2026-03-08", r.DST)
	}
}

func TestReportJSON(t *testing.T) {
	s := mustParse(t, example)
	r := s.Report(utc("2026-10-24T22:00:00Z"), utc("2026-10-25T23:00:00Z"))
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatalf("json.Marshal(Report) error: %v", err)
	}
	var got struct {
		From    string `json:"from"`
		InForce []struct {
			Type string `json:"type"`
			Rule struct {
				Line int    `json:"line"`
				Zone string `json:"zone"`
				Text string `json:"text"`
			} `json:"rule"`
		} `json:"in_force"`
		Changes []struct {
			UTC   string          `json:"utc"`
			Local string          `json:"local"`
			From  json.RawMessage `json:"from"`
		} `json:"changes"`
		DST   []Transition `json:"dst"`
		Types []struct {
			Usage struct {
				DynoHours float64 `json:"dyno_hours"`
			} `json:"usage"`
		} `json:"types"`
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("json.Unmarshal error: %v", err)
	}
	if got.From != "2026-10-24T22:00:00Z" {
		t.Errorf("from = %s, want 2026-10-24T22:00:00Z", got.From)
	}
	if len(got.InForce) != 2 || got.InForce[0].Rule.Line != 4 || got.InForce[0].Rule.Zone != "Europe/Berlin" || got.InForce[0].Rule.Text != "web default 1" {
		t.Errorf("in_force = %+v, want web's default of line 4 first", got.InForce)
	}
	if len(got.Changes) == 0 || got.Changes[0].UTC != "2026-10-25T05:00:00Z" || got.Changes[0].Local != "2026-10-25T06:00:00+01:00" {
		t.Errorf("changes = %+v, want the first at 06:00 CET", got.Changes)
	}
	if len(got.DST) != 1 || got.DST[0].Kind != "repeats" || got.DST[0].From != "02:00" || got.DST[0].To != "03:00" {
		t.Errorf("dst = %+v, want 02:00-03:00 repeated", got.DST)
	}
	if len(got.Types) != 3 || got.Types[0].Usage.DynoHours != 25+8 {
		t.Errorf("types = %+v, want web first with 33 dyno-hours", got.Types)
	}
	if !strings.Contains(string(data), `"from":null`) {
		t.Errorf("an unmanaged side of a change should marshal as null: %s", data)
	}
}

func TestReportJSONOnce(t *testing.T) {
	s := mustParse(t, "timezone Europe/Berlin\nnightly daily 02:00-05:00 once:performance-l")
	r := s.Report(utc("2026-11-23T02:00:00Z"), utc("2026-11-24T02:00:00Z"))
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatalf("json.Marshal(Report) error: %v", err)
	}
	var got struct {
		InForce []struct {
			Quantity     int
			Once         bool
			Since, Until time.Time
		} `json:"in_force"`
		Changes []struct {
			From, To *struct {
				Quantity     int    `json:"quantity"`
				Size         string `json:"size"`
				Once         bool   `json:"once"`
				Since, Until string
			}
		} `json:"changes"`
		Types []struct {
			Once  bool           `json:"once"`
			Usage map[string]any `json:"usage"`
		} `json:"types"`
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("json.Unmarshal error: %v", err)
	}
	if len(got.InForce) != 1 || !got.InForce[0].Once || got.InForce[0].Quantity != 1 ||
		!got.InForce[0].Since.Equal(utc("2026-11-23T01:00:00Z")) || !got.InForce[0].Until.Equal(utc("2026-11-23T04:00:00Z")) {
		t.Errorf("in_force = %+v, want the once window of 02:00 to 05:00 CET", got.InForce)
	}
	if len(got.Changes) != 2 || got.Changes[0].To != nil || got.Changes[1].To == nil ||
		!got.Changes[1].To.Once || got.Changes[1].To.Since != "2026-11-24T01:00:00Z" || got.Changes[1].To.Until != "2026-11-24T04:00:00Z" {
		t.Errorf("changes = %s, want the close, then an occurrence with since and until", data)
	}
	if len(got.Types) != 1 || !got.Types[0].Once || got.Types[0].Usage["windows"] != 2.0 || got.Types[0].Usage["dyno_hours"] != 0.0 {
		t.Errorf("types = %+v, want a once type with 2 windows", got.Types)
	}
	// A level target's edges appear in force, and are left out when zero.
	s = mustParse(t, "web default 1\nworker daily 08:00-09:00 1")
	data, err = json.Marshal(s.At(utc("2026-11-23T08:30:00Z")))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"type":"web","quantity":1,"rule"`, `"type":"worker","quantity":1,"since":"2026-11-23T08:00:00Z","until":"2026-11-23T09:00:00Z","rule"`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("At as JSON = %s, want %s in it", data, want)
		}
	}
}

// DSTEffects names the rule, the date and what happens, for every window
// that a clock change keeps from happening as written; the days that
// repeat an hour, and the windows that only span the gap, have none.
func TestDSTEffects(t *testing.T) {
	tests := []struct {
		name, src, from, to string
		want                []string // message, and "(note)" when not a warning
	}{
		{"Berlin, spring", `timezone Europe/Berlin
web     Sun 02:00-02:30 3
web     default 1
worker  Mon-Fri 02:30-04:00 2
batch   daily 01:00-04:00 2
nightly daily 02:00-02:30 once
`, "2026-03-28T00:00:00Z", "2026-03-30T00:00:00Z", []string{
			"web Sun 02:00-02:30 3 (line 2) is empty on Sun 2026-03-29: Europe/Berlin skips 02:00-03:00",
			"nightly daily 02:00-02:30 once (line 6) moves to 03:00-03:30 on Sun 2026-03-29: Europe/Berlin skips 02:00-03:00 (note)",
		}},
		{"Berlin, the day before and another app", `timezone Europe/Berlin
app other-app
backup Sat 23:00-02:15 1
backup Sun 02:15-03:15 2
`, "2026-03-28T00:00:00Z", "2026-03-30T00:00:00Z", []string{
			"backup Sat 23:00-02:15 1 (line 3) is shortened by 15 minutes to 23:00-03:00 on Sat 2026-03-28: Europe/Berlin skips 02:00-03:00",
			"backup Sun 02:15-03:15 2 (line 4) is shortened by 45 minutes to 03:00-03:15 on Sun 2026-03-29: Europe/Berlin skips 02:00-03:00",
		}},
		{"New York, spring and fall", `timezone America/New_York
job daily 01:30-02:30 once
web daily 01:00-01:30 2
web daily 02:00-02:30 3
`, "2026-03-01T00:00:00Z", "2026-12-01T00:00:00Z", []string{
			"job daily 01:30-02:30 once (line 2) moves to 01:30-03:30 on Sun 2026-03-08: America/New_York skips 02:00-03:00 (note)",
			"web daily 02:00-02:30 3 (line 4) is empty on Sun 2026-03-08: America/New_York skips 02:00-03:00",
		}},
		{"Lord Howe skips half an hour", `timezone Australia/Lord_Howe
job daily 02:00-02:15 once
job daily 02:15-03:00 once:performance-l
web daily 01:45-02:15 2
`, "2026-10-01T00:00:00Z", "2026-10-10T00:00:00Z", []string{
			"job daily 02:00-02:15 once (line 2) has no window of its own on Sun 2026-10-04: Australia/Lord_Howe skips 02:00-02:30, and the window of line 3 opens as the gap ends: one start for both",
			"job daily 02:15-03:00 once:performance-l (line 3) moves to 02:30-03:00 on Sun 2026-10-04: Australia/Lord_Howe skips 02:00-02:30 (note)",
			"web daily 01:45-02:15 2 (line 4) is shortened by 15 minutes to 01:45-02:30 on Sun 2026-10-04: Australia/Lord_Howe skips 02:00-02:30",
		}},
		// 02:00 is the instant the gap starts: an end there is on time, a
		// start there loses the hour that follows.
		{"edges at the gap's start", `timezone Europe/Berlin
night   daily 22:00-02:00 2
early   daily 02:00-04:00 3
nightly daily 02:00-05:00 once
`, "2026-03-28T00:00:00Z", "2026-03-30T00:00:00Z", []string{
			"early daily 02:00-04:00 3 (line 3) is shortened by 1 hour to 03:00-04:00 on Sun 2026-03-29: Europe/Berlin skips 02:00-03:00",
			"nightly daily 02:00-05:00 once (line 4) moves to 03:00-05:00 on Sun 2026-03-29: Europe/Berlin skips 02:00-03:00 (note)",
		}},
		{"a change out of the period", "timezone Europe/Berlin\nweb daily 02:00-02:30 3",
			"2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z", nil},
		{"UTC", "web daily 02:00-02:30 3", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, tt.src)
			var got []string
			for _, e := range s.DSTEffects(utc(tt.from), utc(tt.to)) {
				m := e.Message
				if !e.Warning {
					m += " (note)"
				}
				got = append(got, m)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("DSTEffects =\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// The report's JSON says what the clock changes do to the windows, in
// dst_effects, always present.
func TestReportJSONDSTEffects(t *testing.T) {
	s := mustParse(t, "timezone Europe/Berlin\nweb daily 02:00-02:30 3\nnightly daily 02:00-02:30 once")
	for _, tt := range []struct {
		from, to string
		want     string
	}{
		{"2026-03-28T00:00:00Z", "2026-03-30T00:00:00Z", `[` +
			`{"app":"","type":"web","line":2,"rule":"web daily 02:00-02:30 3","date":"2026-03-29","effect":"empty","warning":true,` +
			`"transition":{"date":"2026-03-29","zone":"Europe/Berlin","kind":"skips","from":"02:00","to":"03:00","at":"2026-03-29T01:00:00Z"},` +
			`"message":"web daily 02:00-02:30 3 (line 2) is empty on Sun 2026-03-29: Europe/Berlin skips 02:00-03:00"},` +
			`{"app":"","type":"nightly","line":3,"rule":"nightly daily 02:00-02:30 once","date":"2026-03-29","effect":"moved","warning":false,` +
			`"window":"03:00-03:30","open":"2026-03-29T01:00:00Z","close":"2026-03-29T01:30:00Z",` +
			`"transition":{"date":"2026-03-29","zone":"Europe/Berlin","kind":"skips","from":"02:00","to":"03:00","at":"2026-03-29T01:00:00Z"},` +
			`"message":"nightly daily 02:00-02:30 once (line 3) moves to 03:00-03:30 on Sun 2026-03-29: Europe/Berlin skips 02:00-03:00"}]`},
		{"2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z", `[]`},
	} {
		data, err := json.Marshal(s.Report(utc(tt.from), utc(tt.to)))
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Effects json.RawMessage `json:"dst_effects"`
		}
		if err := json.Unmarshal(data, &got); err != nil {
			t.Fatal(err)
		}
		if string(got.Effects) != tt.want {
			t.Errorf("dst_effects from %s = %s, want %s", tt.from, got.Effects, tt.want)
		}
	}
}
