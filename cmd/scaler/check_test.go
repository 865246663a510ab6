package main

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scalerdev/scaler/platform/emulator"
)

// check reports each thing that would stop scaler, with the exit code of
// the first, and never writes.
func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  func(*emulator.Config)
		env  map[string]string
		code int
		say  []string
		path string // added to the API's URL
		// carry: every request, whatever its URL, goes to the emulator.
		carry bool
	}{
		{name: "all good", env: map[string]string{envSchedule: "web default 1; worker daily 22:00-06:00 1"}, code: 0,
			say: []string{"ok    api        http://127.0.0.1:", ", from HEROKU_API_URL\n", "ok    account    token accepted, for scaler@example.com", "warn  scope      global: can scale, and can do everything your account can", "ok    app        demo: found; formation web=1, worker=0",
				"ok    schedule   app demo has every process type the schedule names (web, worker)", "check: scaler will work here"}},
		{name: "no schedule is fine", code: 0, say: []string{"ok    schedule   none"}},
		{name: "in the release phase", env: map[string]string{envDyno: "release.12"}, code: 0, say: []string{"release.12: the release phase"}},
		{name: "in a worker dyno", env: map[string]string{envDyno: "worker.1"}, code: 0, say: []string{"worker.1: a dyno of process type worker", "warn  metadata   HEROKU_APP_NAME is not set"}},
		{name: "in a dyno with metadata", env: map[string]string{envDyno: "worker.1", envApp: "", envAppName: "demo"}, code: 0, say: []string{"ok    metadata   HEROKU_APP_NAME=demo", "demo: found"}},
		{name: "no token", env: map[string]string{envToken: ""}, code: 2, say: []string{"fail  token", "heroku authorizations:create", "skip  api"}},
		{name: "token refused", env: map[string]string{envToken: "HRKU-revoked"}, code: 3, say: []string{"fail  token      GET /account: 401 unauthorized"}},
		{name: "read-only scope", cfg: func(c *emulator.Config) { c.Scope = "read" }, code: 3, say: []string{"fail  scope      read cannot scale"}},
		{name: "write scope", cfg: func(c *emulator.Config) { c.Scope = "write" }, code: 0, say: []string{"ok    scope      write: can scale"}},
		{name: "the API out of reach", env: map[string]string{envAPIURL: "http://127.0.0.1:1"}, code: 1, say: []string{"fail  api        GET /account", "skip  token      not tried: the API could not be reached",
			"hint: no answer from http://127.0.0.1:1, the API that HEROKU_API_URL names: check HEROKU_API_URL (the API's base URL, or the emulator's), or unset it to reach Heroku's"}},
		{name: "the API out of reach, from HEROKU_HOST", env: map[string]string{envAPIURL: "", envHost: "http://127.0.0.1:1"}, code: 1, say: []string{
			"ok    api        http://127.0.0.1:1, from HEROKU_HOST=http://127.0.0.1:1\n", "fail  api        GET /account",
			"hint: no answer from http://127.0.0.1:1, the API that HEROKU_HOST names: check HEROKU_HOST (the API's host after https://api., or its whole URL), or unset it to reach Heroku's"}},
		{name: "the default API", env: map[string]string{envAPIURL: ""}, carry: true, code: 0, say: []string{
			"ok    api        https://api.heroku.com, the default (neither HEROKU_API_URL nor HEROKU_HOST is set)\n"}},
		{name: "no app", env: map[string]string{envApp: ""}, code: 2, say: []string{"fail  app        no app given", "skip  api        not tried"}},
		// Exit 2 means that nothing was sent: a configuration that is wrong
		// is reported whole, and the API is not tried.
		{name: "a bad schedule", env: map[string]string{envSchedule: "web sometimes 1"}, code: 2, say: []string{"fail  schedule", "skip  api        not tried"}},
		{name: "unknown app", env: map[string]string{envApp: "nope-app"}, code: 4, say: []string{"fail  app        app nope-app not found"}},
		{name: "schedule names a missing type", env: map[string]string{envSchedule: "web default 1; clock daily 1"}, code: 4,
			say: []string{"fail  schedule   app demo has no process type clock, which the schedule names (it has: web, worker)"}},
		{name: "schedule names missing types", env: map[string]string{envSchedule: "web default 1; clock daily 1; ghost daily 1"}, code: 4,
			say: []string{"fail  schedule   app demo has no process types clock, ghost, which the schedule names (it has: web, worker)"}},
		{name: "a restart window names a missing type", env: map[string]string{envSchedule: "web default 1; clock daily 01:00-01:30 restart"}, code: 4,
			say: []string{"ok    restart    line 2: no daily cycling of clock between 01:30 and 01:00 the next day, as long as a restart happens each day",
				"fail  schedule   app demo has no process type clock, which the schedule names (it has: web, worker)"}},
		{name: "restart windows", env: map[string]string{envSchedule: "worker daily 01:00-01:30 restart; web daily restart; nightly daily 00:30-02:00 once"}, code: 4,
			say: []string{"ok    restart    line 1: no daily cycling of worker between 01:30 and 01:00 the next day, as long as a restart happens each day",
				"warn  restart    the restart window of web (line 2) lasts a whole day",
				"warn  restart    the job window of nightly (line 3: nightly daily 00:30-02:00 once) is open before the restart window of worker (line 1) closes"}},
		{name: "a job window that closes as a restart window opens", env: map[string]string{envSchedule: "worker daily 01:00-01:30 restart; nightly daily 00:00-01:00 once"}, code: 4,
			say: []string{"warn  restart    the job window of nightly (line 2: nightly daily 00:00-01:00 once) closes as the restart window of worker (line 1) opens"}},
		{name: "a restart window that no run of Scheduler reaches", env: map[string]string{envSchedule: "worker daily 01:03-01:08 restart"}, code: 0,
			say: []string{"warn  restart    no run of Heroku Scheduler (every 10m) falls in the restart window of worker (line 1): apply never restarts worker, and the window buys no quiet period"}},
		{name: "schedule for another app", env: map[string]string{envSchedule: "app other; web default 1", envApp: ""}, code: 4,
			say: []string{"app other not found"}},
		{name: "an API URL with a path", path: "/api/", code: 4, say: []string{"fail  api        GET /account: 404", "skip  token      not tried: the API did not answer as the Platform API does"}},
		{name: "low budget", cfg: func(c *emulator.Config) { c.RateLimit = 20 }, code: 0, say: []string{"warn  rate limit only "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := demoConfig()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			h := newHarness(t, cfg)
			for k, v := range tt.env {
				h.env[k] = v
			}
			h.env[envAPIURL] += tt.path
			if tt.carry {
				to, _ := url.Parse(h.url)
				h.transport = &toHarness{to: to}
			}
			r := h.run("check")
			if r.code != tt.code {
				t.Errorf("exit %d, want %d:\n%s", r.code, tt.code, r)
			}
			says(t, "check", r.stdout, tt.say...)
			for _, w := range h.em.Requests() {
				if w.Method != "GET" {
					t.Errorf("check sent %s %s", w.Method, w.Path)
				}
			}
			if n := len(h.em.Requests()); tt.code == exitUsage && n != 0 {
				t.Errorf("check exited 2, which says nothing was sent, after %d requests", n)
			}
		})
	}
}

func TestCheckJSON(t *testing.T) {
	t.Parallel()
	h := newHarness(t, demoConfig())
	h.env[envSchedule] = "clock default 1"
	r := h.run("check", "--json")
	var out checkDoc
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("check --json: %v\n%s", err, r.stdout)
	}
	failed := 0
	for _, c := range out.Checks {
		if c.Status == "fail" {
			failed++
		}
	}
	if r.code != 4 || out.OK || failed != 1 || out.API == nil || out.API.URL != h.url || out.API.From != envAPIURL {
		t.Errorf("check --json = %+v (exit %d)", out, r.code)
	}
}

// check looks a year ahead for the clock changes that keep a window from
// happening as written: each is a warn line, naming the rule and the date;
// a once window that a change moves is said; neither fails the check.
func TestCheckDST(t *testing.T) {
	t.Parallel()
	cfg := demoConfig()
	cfg.Apps[0].Formation = append(cfg.Apps[0].Formation, emulator.Process{Type: "nightly"})
	for _, tt := range []struct {
		name, schedule string
		say            []string
	}{
		{"a window emptied, a once window moved", "timezone Europe/Berlin; web daily 02:00-02:30 3; web default 1; nightly daily 02:00-02:30 once", []string{
			"ok    dst        2 clock changes in the next 366 days (to 2027-03-02); what they do to the windows:\n" +
				"warn  dst        web daily 02:00-02:30 3 (line 2) is empty on Sun 2026-03-29: Europe/Berlin skips 02:00-03:00\n" +
				"ok    dst        nightly daily 02:00-02:30 once (line 4) moves to 03:00-03:30 on Sun 2026-03-29: Europe/Berlin skips 02:00-03:00\n",
		}},
		{"nothing to say", "timezone Europe/Berlin; web daily 08:00-20:00 3; web default 1", []string{
			"ok    dst        2 clock changes in the next 366 days (to 2027-03-02): every window happens as written\n",
		}},
		{"no clock change", "web daily 02:00-02:30 3", []string{
			"ok    dst        no clock change in the next 366 days (to 2027-03-02) in the schedule's time zones\n",
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, cfg)
			h.now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
			h.env[envSchedule] = tt.schedule
			r := h.run("check")
			if r.code != 0 || !strings.Contains(r.stdout, "check: scaler will work here") {
				t.Errorf("exit %d, want 0 (warnings are no failure):\n%s", r.code, r)
			}
			says(t, "check", r.stdout, tt.say...)
		})
	}
	// In JSON, a warning is a check with status warn.
	h := newHarness(t, cfg)
	h.now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	h.env[envSchedule] = "timezone America/New_York; web daily 02:30-04:00 3"
	r := h.run("check", "--json")
	var out checkDoc
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("check --json: %v\n%s", err, r.stdout)
	}
	want := checkRow{Check: "dst", Status: "warn", Detail: "web daily 02:30-04:00 3 (line 2) is shortened by 30 minutes to 03:00-04:00 on Sun 2026-03-08: America/New_York skips 02:00-03:00"}
	if r.code != 0 || !out.OK || !slices.Contains(out.Checks, want) {
		t.Errorf("check --json = %+v (exit %d), want OK with %+v", out, r.code, want)
	}
}
