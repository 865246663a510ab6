package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scalerdev/scaler/platform/emulator"
)

// A Monday 10:00 in Berlin, and a Monday 21:00.
var (
	mondayMorning = "2026-11-23T10:00:00+01:00"
	mondayNight   = "2026-11-23T21:00:00+01:00"
)

const officeHours = `timezone Europe/Berlin
web     Mon-Fri 08:00-20:00  3
web     default              1
worker  daily   22:00-06:00  1:standard-2x
`

// fleetConfig is two apps, on an emulator whose clock stands at Monday
// 10:00 in Berlin: their formations were last changed a day before, before
// every edge the tests apply at.
func fleetConfig() emulator.Config {
	monday, _ := time.Parse(time.RFC3339, mondayMorning)
	return emulator.Config{Now: func() time.Time { return monday }, Apps: []emulator.App{
		{Name: "demo", Formation: []emulator.Process{{Type: "web", Quantity: 1}, {Type: "worker"}, {Type: "clock", Quantity: 1}}},
		{Name: "other", Formation: []emulator.Process{{Type: "web", Quantity: 1}}},
	}}
}

func TestApplyOneBatchOnlyNamedTypes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fleetConfig())
	h.env[envSchedule] = officeHours
	r := h.run("apply", "--at", mondayMorning)
	if r.code != 0 || h.em.Quantity("demo", "web") != 3 {
		t.Fatalf("apply in office hours:\n%s", r)
	}
	writes := h.em.Writes()
	if len(writes) != 1 || writes[0].Body != `{"updates":[{"type":"web","quantity":3}]}` {
		t.Errorf("writes = %+v, want one batch for web only", writes)
	}
	if len(h.em.Requests()) != 2 {
		t.Errorf("requests = %d, want 2", len(h.em.Requests()))
	}
	if !strings.Contains(r.stdout, "scaled demo: web 1 -> 3") || !strings.Contains(r.stdout, "1 app as of 2026-11-23T09:00:00Z: 1 changed, 0 in state, 0 failed") {
		t.Errorf("stdout:\n%s", r.stdout)
	}

	// Again: in state, so a read and no write.
	r = h.run("apply", "--at", mondayMorning)
	if r.code != 0 || len(h.em.Writes()) != 1 || !strings.Contains(r.stdout, "demo: in state (web=3:Standard-1X)") {
		t.Errorf("second apply:\n%s", r)
	}

	// At night: web back to 1, the worker's window opens; clock, which the
	// schedule does not name, is never touched.
	r = h.run("apply", "--at", "2026-11-23T23:00:00+01:00")
	if r.code != 0 || h.em.Quantity("demo", "web") != 1 || h.em.Quantity("demo", "worker") != 1 || h.em.Quantity("demo", "clock") != 1 {
		t.Errorf("apply at night:\n%s\nformation %+v", r, h.em.Formation("demo"))
	}
	for _, w := range h.em.Writes() {
		if strings.Contains(w.Body, "clock") {
			t.Errorf("apply touched clock: %s", w.Body)
		}
	}
}

func TestApplyLeavesUnmanagedTypesAlone(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fleetConfig())
	h.env[envSchedule] = "worker daily 22:00-06:00 1"
	h.em.SetQuantity("demo", "worker", 2) // set by hand, outside the window
	r := h.run("apply", "--at", "2026-11-23T12:00:00Z")
	// One read, for the platform's clock, which alone says whether a window
	// is open; no write.
	if r.code != 0 || len(h.em.Requests()) != 1 || len(h.em.Writes()) != 0 || h.em.Quantity("demo", "worker") != 2 {
		t.Errorf("outside its window, a type without default must be left alone, read once:\n%s", r)
	}
	if !strings.Contains(r.stdout, "demo: no rule in force now: nothing to do") {
		t.Errorf("stdout:\n%s", r.stdout)
	}
}

func TestApplySeveralAppsOneFailing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fleetConfig())
	h.env[envSchedule] = "web default 2; app other; web default 3; app missing-app; web default 1"
	r := h.run("apply", "--json")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", r.code, r)
	}
	if h.em.Quantity("demo", "web") != 2 || h.em.Quantity("other", "web") != 3 {
		t.Errorf("one app failing stopped the others: demo %+v, other %+v", h.em.Formation("demo"), h.em.Formation("other"))
	}
	var out applyDoc
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("--json: %v\n%s", err, r.stdout)
	}
	if out.Changed != 2 || out.Failed != 1 || len(out.Apps) != 3 || !strings.Contains(out.Apps[2].Error, "app missing-app not found") {
		t.Errorf("summary = %+v", out)
	}
	if !strings.Contains(r.stderr, "app missing-app not found") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
}

func TestApplyConcurrencyIsBounded(t *testing.T) {
	t.Parallel()
	cfg := emulator.Config{Latency: 20 * time.Millisecond}
	var sched strings.Builder
	for _, name := range []string{"app-one", "app-two", "app-three", "app-four", "app-five", "app-six"} {
		cfg.Apps = append(cfg.Apps, emulator.App{Name: name, Formation: []emulator.Process{{Type: "web", Quantity: 1}}})
		sched.WriteString("app " + name + "; web default 2; ")
	}
	h := newHarness(t, cfg)
	h.env[envSchedule] = sched.String()
	if r := h.run("apply", "--concurrency", "2"); r.code != 0 {
		t.Fatalf("apply:\n%s", r)
	}
	if n := h.em.MaxInFlight(); n > 2 {
		t.Errorf("%d requests at once, with --concurrency 2", n)
	}
	for _, a := range cfg.Apps {
		if h.em.Quantity(a.Name, "web") != 2 {
			t.Errorf("%s not applied", a.Name)
		}
	}
}

func TestApplyDryRunSendsNoWrite(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fleetConfig())
	h.env[envSchedule] = officeHours
	r := h.run("apply", "--at", mondayMorning, "--dry-run")
	if r.code != 0 || len(h.em.Writes()) != 0 || !strings.Contains(r.stdout, "would scale demo: web 1 -> 3") ||
		!strings.Contains(r.stdout, "1 app as of 2026-11-23T09:00:00Z: 1 would change, 0 in state, 0 failed (dry run: nothing sent)") {
		t.Errorf("apply --dry-run:\n%s", r)
	}
}

func TestApplyScheduleFile(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fleetConfig())
	path := filepath.Join(t.TempDir(), "schedule.txt")
	os.WriteFile(path, []byte(officeHours), 0o644)
	if r := h.run("apply", "--schedule", path, "--at", mondayNight); r.code != 0 || h.em.Quantity("demo", "web") != 1 {
		t.Errorf("apply --schedule:\n%s", r)
	}
}

// A bad schedule: every error, with its line and column, exit 2, and no
// request.
func TestBadScheduleSendsNothing(t *testing.T) {
	t.Parallel()
	for _, cmd := range [][]string{{"apply"}, {"plan"}, {"check"}} {
		t.Run(cmd[0], func(t *testing.T) {
			h := newHarness(t, fleetConfig())
			h.env[envSchedule] = "timezone Mars/Olympus; web Mnn 08:00-20:00 3; web daily 25:00-26:00 1; worker default -1"
			r := h.run(cmd...)
			if r.code != 2 {
				t.Errorf("exit %d, want 2:\n%s", r.code, r)
			}
			out := r.stdout + r.stderr
			says(t, "output", out, "SCALER_SCHEDULE:1:10: unknown time zone", "SCALER_SCHEDULE:2:6: unknown day", "SCALER_SCHEDULE:3:12:", "SCALER_SCHEDULE:4:17:")
			if cmd[0] != "check" && len(h.em.Requests()) != 0 {
				t.Errorf("%d requests sent for a bad schedule", len(h.em.Requests()))
			}
			if len(h.em.Writes()) != 0 {
				t.Errorf("writes for a bad schedule: %+v", h.em.Writes())
			}
		})
	}
}

func TestApplyBadInput(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"apply"}, "no schedule"},
		{map[string]string{envSchedule: "web default 1"}, []string{"apply", "--at", "tomorrow"}, `--at \"tomorrow\"`},
		{map[string]string{envSchedule: "web default 1"}, []string{"apply", "--concurrency", "0"}, "--concurrency 0"},
		{map[string]string{envSchedule: "web default 1", envApp: ""}, []string{"apply"}, "no app given"},
		{map[string]string{envSchedule: "web default 1"}, []string{"apply", "--schedule", "/no/such/file"}, "read the schedule"},
		{map[string]string{envSchedule: "web default 1"}, []string{"plan", "--days", "0"}, "--days 0"},
		{map[string]string{envSchedule: "web default 1"}, []string{"plan", "--from", "23/11/2026"}, `--from \"23/11/2026\"`},
	} {
		h := newHarness(t, fleetConfig())
		for k, v := range tt.env {
			h.env[k] = v
		}
		if r := h.run(tt.args...); r.code != 2 || !strings.Contains(r.stderr, tt.want) || len(h.em.Requests()) != 0 {
			t.Errorf("scaler %v: want exit 2 saying %s, and no request:\n%s", tt.args, tt.want, r)
		}
	}
}

func TestPlan(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fleetConfig())
	path := filepath.Join(t.TempDir(), "schedule.txt")
	os.WriteFile(path, []byte(officeHours+"web 2026-03-30 1\n"), 0o644)
	r := h.run("plan", "--schedule", path, "--from", "2026-03-27", "--days", "4")
	if r.code != 0 || len(h.em.Requests()) != 0 {
		t.Fatalf("plan:\n%s", r)
	}
	golden(t, "plan.golden", r.stdout)

	r = h.run("plan", "--schedule", path, "--from", "2026-03-27", "--days", "4", "--json")
	var report struct {
		Changes []json.RawMessage `json:"changes"`
		DST     []struct {
			Date, Zone, Kind string
		} `json:"dst"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &report); err != nil {
		t.Fatalf("plan --json: %v", err)
	}
	if len(report.Changes) == 0 || len(report.DST) != 1 || report.DST[0].Date != "2026-03-29" || report.DST[0].Kind != "skips" {
		t.Errorf("plan --json: %d changes, DST %+v", len(report.Changes), report.DST)
	}
}

// The default app also named by an `app` line, with rules for one type in
// both: refused whatever the hour, before any request.
func TestApplyDefaultAppNamedTwice(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fleetConfig())
	h.env[envSchedule] = "worker daily 22:00-06:00 1; app demo; worker default 0"
	r := h.run("apply", "--at", mondayMorning)
	if r.code != 2 || !strings.Contains(r.stderr, "both the default app and named by an `app` line") || len(h.em.Requests()) != 0 {
		t.Errorf("apply:\n%s", r)
	}
}
