package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scalerdev/scaler/platform/emulator/emulatortest"
)

// costSchedule over Monday 2026-11-23 (UTC), priced by hand at the
// emulator's prices (a month of 720 hours: Standard-1X $25, Standard-2X
// $50, Performance-M $250):
//   - web: 8 h at 1, 12 h at 3, 4 h at 1 = 48 dyno-hours, all Standard-2X
//     (the default leaves the window's size), 48 * 5000/720 = 333.33 cents;
//     3 dynos all day: 72 * 5000/720 = 500 cents.
//   - worker: 2 dynos 00:00-06:00 and 22:00-24:00 = 16 dyno-hours at
//     Standard-1X, the size of a new type, 16 * 2500/720 = 55.56 cents,
//     and as much at its peak.
//   - nightly: its job's runtime is unknown; 25000/720 = 34.72 cents an hour.
const costSchedule = `web     daily 08:00-20:00 3:standard-2x
web     default 1
worker  daily 22:00-06:00 2
nightly daily 02:00-03:00 once:performance-m
`

func writeSchedule(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "schedule.txt")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPlanCost(t *testing.T) {
	t.Parallel()
	h := newHarness(t, demoConfig())
	path := writeSchedule(t, costSchedule)
	r := h.run("plan", "--schedule", path, "--from", "2026-11-23", "--days", "1", "--cost")
	if r.code != 0 {
		t.Fatalf("plan --cost:\n%s", r)
	}
	if reqs := h.em.Requests(); len(reqs) != 1 || reqs[0].Method != "GET" || reqs[0].Path != "/dyno-sizes" {
		t.Errorf("plan --cost sent %+v, want one GET /dyno-sizes", reqs)
	}
	golden(t, "plan-cost.golden", r.stdout)

	r = h.run("plan", "--schedule", path, "--from", "2026-11-23", "--days", "1", "--cost", "--json")
	var out struct {
		Cost struct {
			HoursPerMonth int `json:"hours_per_month"`
			Types         []struct {
				Type  string `json:"type"`
				Sizes []struct {
					Size         string   `json:"size"`
					Assumed      bool     `json:"assumed"`
					CentsPerHour *float64 `json:"cents_per_hour"`
				} `json:"sizes"`
				Priced    bool    `json:"priced"`
				DynoHours float64 `json:"dyno_hours"`
				Cents     float64 `json:"cents"`
				PeakCents float64 `json:"peak_cents"`
			} `json:"types"`
			Cents     float64 `json:"cents"`
			PeakCents float64 `json:"peak_cents"`
		} `json:"cost"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); r.code != 0 || err != nil {
		t.Fatalf("plan --cost --json: %v\n%s", err, r)
	}
	type figures struct {
		size                  string
		assumed, priced       bool
		dynoHours, cost, peak float64
		perHour               float64
	}
	want := map[string]figures{
		"nightly": {"Performance-M", false, true, 0, 0, 0, 25000.0 / 720},
		"web":     {"Standard-2X", true, true, 48, 48 * 5000.0 / 720, 500, 5000.0 / 720},
		"worker":  {"Standard-1X", true, true, 16, 16 * 2500.0 / 720, 16 * 2500.0 / 720, 2500.0 / 720},
	}
	if out.Cost.HoursPerMonth != 720 || len(out.Cost.Types) != len(want) {
		t.Fatalf("cost: %+v", out.Cost)
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	for _, tc := range out.Cost.Types {
		w := want[tc.Type]
		if len(tc.Sizes) != 1 || tc.Sizes[0].CentsPerHour == nil {
			t.Errorf("%s: sizes %+v, want one priced", tc.Type, tc.Sizes)
			continue
		}
		s := tc.Sizes[0]
		if s.Size != w.size || s.Assumed != w.assumed || tc.Priced != w.priced || !near(tc.DynoHours, w.dynoHours) ||
			!near(tc.Cents, w.cost) || !near(tc.PeakCents, w.peak) || !near(*s.CentsPerHour, w.perHour) {
			t.Errorf("%s: %+v, want %+v", tc.Type, tc, w)
		}
	}
	if !near(out.Cost.Cents, 48*5000.0/720+16*2500.0/720) || !near(out.Cost.PeakCents, 500+16*2500.0/720) {
		t.Errorf("totals: %v cents, peak %v", out.Cost.Cents, out.Cost.PeakCents)
	}
}

// Without --cost, plan needs no token and sends nothing; with it and no
// token, it says so and sends nothing.
func TestPlanWithoutCostSendsNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, demoConfig())
	delete(h.env, envToken)
	h.env[envSchedule] = costSchedule
	for _, args := range [][]string{{"plan"}, {"plan", "--json"}, {"plan", "--every", "1d"}} {
		if r := h.run(args...); r.code != 0 {
			t.Errorf("scaler %v without a token:\n%s", args, r)
		}
	}
	r := h.run("plan", "--cost")
	if r.code != 2 || !strings.Contains(r.stderr, envToken+" is not set") || r.stdout != "" {
		t.Errorf("plan --cost without a token: want exit 2 naming %s:\n%s", envToken, r)
	}
	if reqs := h.em.Requests(); len(reqs) != 0 {
		t.Errorf("plan sent %+v", reqs)
	}
}

// The API's failures exit as every command's do, and print no plan.
func TestPlanCostFailures(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		fault *emulatortest.Fault
		env   map[string]string
		code  int
		say   string
		sent  bool
	}{
		{name: "a token the API refuses", env: map[string]string{envToken: "HRKU-wrong-token-0000000000"}, code: 3, say: "401 unauthorized", sent: true},
		{name: "403", fault: &emulatortest.Fault{Status: 403, ID: "forbidden", Message: "You do not have access."}, code: 3, say: "403 forbidden", sent: true},
		{name: "5xx for ever", fault: &emulatortest.Fault{Status: 503, ID: "service_unavailable", Message: "The service is unavailable."}, code: 1, say: "after 6 attempts", sent: true},
		{name: "an HTML 502 page", fault: &emulatortest.Fault{Status: 502, Body: "<html><title>Bad Gateway</title></html>"}, code: 1, say: "502", sent: true},
		{name: "429 for ever", fault: &emulatortest.Fault{Status: 429, ID: "rate_limit", Message: "Your account reached the API rate limit"}, code: 1, say: "4500 requests", sent: true},
		{name: "a 5xx burst shorter than the retry budget", fault: &emulatortest.Fault{Status: 503, ID: "service_unavailable", Times: 2}, code: 0, sent: true},
		{name: "plain http to a host that is not loopback", env: map[string]string{envAPIURL: "http://api.example.com"}, code: 2, say: "clear text"},
		// GET /dyno-sizes needs a token that can read, not one that can scale.
		{name: "no token", env: map[string]string{envToken: ""}, code: 2,
			say: "--cost reads the sizes' prices from the Platform API: HEROKU_API_KEY is not set: a token that can read is enough, such as `heroku authorizations:create --scope read --description scaler` creates"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, demoConfig())
			h.env[envSchedule] = costSchedule
			for k, v := range tt.env {
				h.env[k] = v
			}
			if tt.fault != nil {
				h.em.Inject(*tt.fault)
			}
			r := h.run("plan", "--cost", "--from", "2026-11-23", "--days", "1")
			if r.code != tt.code || !strings.Contains(r.stderr, tt.say) {
				t.Errorf("exit %d, want %d saying %q:\n%s", r.code, tt.code, tt.say, r)
			}
			if tt.code != 0 && r.stdout != "" {
				t.Errorf("a plan was printed:\n%s", r.stdout)
			}
			for _, req := range h.em.Requests() {
				if req.Path != "/dyno-sizes" {
					t.Errorf("plan --cost sent %s %s", req.Method, req.Path)
				}
			}
			if sent := len(h.em.Requests()) > 0; sent != tt.sent {
				t.Errorf("requests sent: %v, want %v", sent, tt.sent)
			}
		})
	}
}

// everySchedule has a change at 08:05 and a once window between two
// 10-minute runs (UTC).
const everySchedule = `web     Mon-Fri 08:05-20:00 3
web     default 1
nightly daily 02:03-02:08 once
`

// plan --every: the warnings in the text, each once per rule, and in JSON.
func TestPlanEvery(t *testing.T) {
	t.Parallel()
	h := newHarness(t, demoConfig())
	path := writeSchedule(t, everySchedule)
	var sections strings.Builder
	for _, tt := range []struct {
		every  string
		offset int
		want   []string
	}{
		{"10m", 0, []string{"1:start:late:2:5", "3:start:no_run:2"}},
		{"1h", 0, []string{"1:start:late:2:55", "3:start:no_run:2"}},
		// A daily job misses one of web's two changes a day, at best. At
		// 08:30 the change back to 1 never comes, but Monday's change to
		// 3 is carried out (late: web was at 1 on Sunday); at 00:00 the
		// change to 3 never comes and the change back finds web at 1
		// already: as few missed, and nothing carried out.
		{"1d", 510, []string{"1:start:late:1:25", "1:end:never:2", "3:start:no_run:2"}},
	} {
		args := []string{"plan", "--schedule", path, "--from", "2026-11-23", "--days", "2"}
		if tt.every != "10m" {
			args = append(args, "--every", tt.every)
		}
		r := h.run(args...)
		if r.code != 0 {
			t.Fatalf("plan --every %s:\n%s", tt.every, r)
		}
		i := strings.Index(r.stdout, "\nHeroku Scheduler")
		j := strings.Index(r.stdout, "\nDaylight saving time")
		if i < 0 || j < i {
			t.Fatalf("plan --every %s says nothing of Scheduler:\n%s", tt.every, r.stdout)
		}
		fmt.Fprintf(&sections, "$ scaler plan --every %s ...%s", tt.every, r.stdout[i:j+1])

		r = h.run(append(args, "--json")...)
		var out struct {
			Scheduler struct {
				Every    string `json:"every"`
				Offset   int    `json:"offset_minutes"`
				Warnings []struct {
					Line          int
					Edge, Problem string
					Times         int
					Late          int `json:"late_minutes"`
					Message       string
				}
			}
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("plan --json: %v\n%s", err, r)
		}
		var got []string
		for _, w := range out.Scheduler.Warnings {
			s := fmt.Sprintf("%d:%s:%s:%d", w.Line, w.Edge, w.Problem, w.Times)
			if w.Problem == "late" {
				s += fmt.Sprintf(":%d", w.Late)
			}
			got = append(got, s)
			if w.Message == "" {
				t.Errorf("warning without a message: %+v", w)
			}
		}
		if out.Scheduler.Every != tt.every || out.Scheduler.Offset != tt.offset || strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("plan --every %s --json: %s at %d, %v; want %v at %d", tt.every, out.Scheduler.Every, out.Scheduler.Offset, got, tt.want, tt.offset)
		}
	}
	golden(t, "plan-scheduler.golden", sections.String())
	if reqs := h.em.Requests(); len(reqs) != 0 {
		t.Errorf("plan sent %+v", reqs)
	}
}

func TestPlanBadEvery(t *testing.T) {
	t.Parallel()
	for _, every := range []string{"2h", "15m", "600s", "", "daily"} {
		h := newHarness(t, demoConfig())
		h.env[envSchedule] = costSchedule
		r := h.run("plan", "--every", every, "--cost")
		if r.code != 2 || !strings.Contains(r.stderr, "want 10m, 1h or 1d") || len(h.em.Requests()) != 0 {
			t.Errorf("plan --every %q: want exit 2 naming the three choices, and no request:\n%s", every, r)
		}
	}
}
