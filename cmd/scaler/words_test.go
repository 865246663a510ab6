package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/scalerdev/scaler/platform/emulator"
	"github.com/scalerdev/scaler/platform/emulator/emulatortest"
)

// The platform's messages are words for people, not a contract: with every
// message of the API reworded, to nonsense or to the words of another
// error, each failure exits with the same code and the same hint. scaler
// decides by statuses, Heroku's ids and what it asked, never by words.
func TestMessagesAreNotAContract(t *testing.T) {
	t.Parallel()
	rewordings := map[string]func(string) string{
		"as the platform says": nil,
		"nonsense":             func(string) string { return "lorem ipsum" },
		"none":                 func(string) string { return "" },
		// Every word an old decision looked for, in every message.
		"the words of the others": func(string) string {
			return "The requested API endpoint was not found. Couldn't find that process type (web). Couldn't find that app. Cannot change formation for a preboot app until release phase and preboot complete."
		},
	}
	type outcome struct {
		code int
		hint string
	}
	tests := []struct {
		name   string
		cfg    func(*emulator.Config)
		faults []emulatortest.Fault
		env    map[string]string
		args   []string
		want   int
	}{
		{name: "an unknown app", args: []string{"up", "worker=1", "-a", "nope"}, want: exitNotFound},
		{name: "an API URL with a path", env: map[string]string{envAPIURL: "/api/"}, args: []string{"status"}, want: exitNotFound},
		{name: "a process type gone between the read and the write", faults: []emulatortest.Fault{{Method: "PATCH", Status: 404, ID: "not_found", Message: "Couldn't find that process type (worker)."}}, args: []string{"up", "worker=1"}, want: exitNotFound},
		{name: "a Basic limit", args: []string{"scale", "web=1:basic", "worker=2:basic"}, want: exitFailure},
		{name: "a refusal during Preboot", faults: []emulatortest.Fault{{Method: "PATCH", Status: 422, ID: "invalid_params", Message: "Cannot change formation for a preboot app until release phase and preboot complete"}}, args: []string{"up", "worker=1"}, want: exitFailure},
		{name: "a wrong token", env: map[string]string{envToken: "HRKU-wrong"}, args: []string{"status"}, want: exitAuth},
		{name: "a read scope", cfg: func(c *emulator.Config) { c.Scope = "read" }, args: []string{"up", "worker=1"}, want: exitAuth},
		{name: "a second factor", faults: []emulatortest.Fault{{Status: 403, ID: "two_factor", Message: "Invalid two-factor code."}}, args: []string{"status"}, want: exitAuth},
		{name: "a spent budget", faults: []emulatortest.Fault{{Status: 429, ID: "rate_limit", Message: "Your account reached the API rate limit"}}, args: []string{"status"}, want: exitFailure},
		{name: "an API down", faults: []emulatortest.Fault{{Status: 503, ID: "service_unavailable", Message: "API unavailable"}}, args: []string{"status"}, want: exitFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			seen := map[string]outcome{}
			for name, reword := range rewordings {
				cfg := demoConfig()
				if tt.cfg != nil {
					tt.cfg(&cfg)
				}
				h := newHarness(t, cfg)
				h.em.Reword(reword)
				for _, f := range tt.faults {
					h.em.Inject(f)
				}
				for k, v := range tt.env {
					if k == envAPIURL {
						v = h.url + v
					}
					h.env[k] = v
				}
				r := h.run(append(tt.args, "--json")...)
				var out struct {
					Error struct {
						ExitCode int    `json:"exit_code"`
						Hint     string `json:"hint"`
					} `json:"error"`
				}
				if r.code != exitOK {
					if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || out.Error.ExitCode != r.code {
						t.Fatalf("%s: stdout is not the failure as JSON (%v):\n%s", name, err, r)
					}
				}
				got := outcome{r.code, out.Error.Hint}
				if got.code != tt.want {
					t.Errorf("%s: exit %d, want %d:\n%s", name, got.code, tt.want, r)
				}
				seen[name] = got
			}
			for name, got := range seen {
				if want := seen["as the platform says"]; got != want {
					t.Errorf("with the messages %s: %+v; as the platform says them: %+v", name, got, want)
				}
			}
			if tt.want != exitOK && strings.TrimSpace(seen["as the platform says"].hint) == "" {
				t.Errorf("no hint: %+v", seen)
			}
		})
	}
}
