package schedules

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func cents(c float64) *float64 { return &c }

// prices are round: 10 cents an hour for Standard-1X (7200 a month of 720
// hours) and Standard-2X, 100 for Performance-M.
var prices = []SizePrice{
	{"Eco", cents(500), "month"},
	{"Basic", cents(700), "week"},
	{"Standard-1X", cents(7200), "month"},
	{"standard-2x", cents(10), "hour"}, // any case
	{"Performance-M", cents(72000), "month"},
	{"Private-S", nil, ""},
}

// One day from Monday 2026-11-23 00:00 UTC, priced by hand.
func TestReportPrice(t *testing.T) {
	s := mustParse(t, `web     daily 08:00-20:00 3:standard-2x
web     default 1                        # left at Standard-2X
worker  daily 22:00-06:00 2              # never sized: Standard-1X
job     daily 02:00-03:00 once:performance-m
eco     default 1:eco
private daily 00:00-12:00 1:private-s
weekly  daily 06:00-07:00 1:basic
large   default 1:performance-l
idle    default 0:private-s              # no dyno: no price needed
`)
	r := s.Report(utc("2026-11-23T00:00:00Z"), utc("2026-11-24T00:00:00Z"))
	r.Price(prices)
	type figures struct {
		sizes                                 string
		priced                                bool
		dynoHours, cost, peak, saved, perHour float64
	}
	want := map[string]figures{
		// 8 h at 1, 12 h at 3, 4 h at 1: 48 dyno-hours at 10 cents;
		// the peak is 3 dynos for 24 hours.
		"web":     {"Standard-2X*", true, 48, 480, 720, 240, 10},
		"worker":  {"Standard-1X*", true, 16, 160, 160, 0, 10},
		"job":     {"Performance-M", true, 0, 0, 0, 0, 100},
		"eco":     {"Eco", false, 0, 0, 0, 0, 0},
		"private": {"Private-S", false, 0, 0, 0, 0, 0},
		"weekly":  {"Basic", false, 0, 0, 0, 0, 0},
		"large":   {"Performance-L", false, 0, 0, 0, 0, 0},
		"idle":    {"", true, 0, 0, 0, 0, 0},
	}
	if len(r.Cost.Types) != len(want) {
		t.Fatalf("%d types priced, want %d", len(r.Cost.Types), len(want))
	}
	for _, tc := range r.Cost.Types {
		var sizes []string
		var perHour float64
		for _, sc := range tc.Sizes {
			mark := ""
			if sc.Assumed {
				mark = "*"
			}
			sizes = append(sizes, sc.Size+mark)
			if sc.CentsPerHour != nil {
				perHour = *sc.CentsPerHour
			}
		}
		got := figures{strings.Join(sizes, ","), tc.Priced, tc.DynoHours, tc.Cents, tc.PeakCents, tc.SavedCents, perHour}
		if w := want[tc.Type]; got != w {
			t.Errorf("%s: %+v, want %+v", tc.Type, got, w)
		}
	}
	if r.Cost.Cents != 640 || r.Cost.PeakCents != 880 || r.Cost.SavedCents != 240 || math.Abs(r.Cost.SavedPercent-100.0*240/880) > 1e-9 {
		t.Errorf("totals: %v cents, peak %v, saved %v (%v%%), want 640, 880, 240", r.Cost.Cents, r.Cost.PeakCents, r.Cost.SavedCents, r.Cost.SavedPercent)
	}
	reasons := map[string]string{}
	for _, u := range r.Cost.Unpriced {
		reasons[u.Size] = u.Reason
	}
	for size, want := range map[string]string{
		"Eco": "flat Eco plan", "Private-S": "no price", "Basic": `per "week"`, "Performance-L": "does not list it",
	} {
		if !strings.Contains(reasons[size], want) {
			t.Errorf("unpriced %s: %q, want it to say %q", size, reasons[size], want)
		}
	}
	if len(reasons) != 4 {
		t.Errorf("unpriced: %+v, want 4 sizes", r.Cost.Unpriced)
	}
	b, err := json.Marshal(r)
	if err != nil || !strings.Contains(string(b), `"cost":{"hours_per_month":720,"new_type_size":"Standard-1X","types":[`) {
		t.Errorf("JSON: %v\n%s", err, b)
	}
}

// A rule without a size is priced at the size the type's rules set last,
// found up to a week before the period; a change of size in the period
// splits the type's time.
func TestReportPriceSizeLeftAsItIs(t *testing.T) {
	s := mustParse(t, "api Mon 06:00-07:00 2:standard-2x\napi default 1\napi Fri 12:00-18:00 1:performance-m\n")
	// Friday: Monday's window is six days back.
	r := s.Report(utc("2026-11-27T00:00:00Z"), utc("2026-11-28T00:00:00Z"))
	r.Price(prices)
	tc := r.Cost.Types[0]
	if len(tc.Sizes) != 2 || tc.Sizes[0].Size != "Standard-2X" || !tc.Sizes[0].Assumed || tc.Sizes[0].DynoHours != 12 ||
		tc.Sizes[1].Size != "Performance-M" || !tc.Sizes[1].Assumed || tc.Sizes[1].DynoHours != 12 {
		t.Fatalf("sizes %+v, want 12 h at Standard-2X (Monday's), then 12 h at Performance-M (6 h of them left so)", tc.Sizes)
	}
	// 12 h at 10 cents, 12 h at 100; the peak is a Performance-M for 24 h.
	if tc.Cents != 1320 || tc.PeakCents != 2400 {
		t.Errorf("cost %v, peak %v, want 1320 and 2400", tc.Cents, tc.PeakCents)
	}
	// Without a sized rule in the week before, the size of a new type.
	s = mustParse(t, "api 2026-01-05 06:00-07:00 2:standard-2x\napi default 1\n")
	r = s.Report(utc("2026-11-27T00:00:00Z"), utc("2026-11-28T00:00:00Z"))
	r.Price(prices)
	if tc := r.Cost.Types[0]; len(tc.Sizes) != 1 || tc.Sizes[0].Size != NewTypeSize || !tc.Sizes[0].Assumed || tc.Cents != 240 {
		t.Errorf("sizes %+v, cost %v, want 24 h at %s for 240 cents", tc.Sizes, tc.Cents, NewTypeSize)
	}
}
