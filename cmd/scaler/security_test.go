package main

// Security checks: the token never shows, at any log level and on any
// error path; plain http goes only to loopback; the emulator listens on
// loopback unless told otherwise (TestEmulatorListensOnLoopbackByDefault).

import (
	"strings"
	"testing"
	"time"

	"github.com/scalerdev/scaler/platform/emulator"
)

// Every command, on every kind of failure, at debug level: the harness
// fails the test if stdout or stderr holds the token.
func TestTokenNeverShows(t *testing.T) {
	faults := map[string]*emulator.Fault{
		"none":      nil,
		"401":       {Status: 401, ID: "unauthorized", Message: "Invalid credentials provided."},
		"403":       {Status: 403, ID: "two_factor", Message: "Invalid two-factor code."},
		"404":       {Status: 404, ID: "not_found", Message: "Couldn't find that app."},
		"422":       {Status: 422, ID: "invalid_params", Message: "Cannot update to more than 1 Basic size dynos per process type."},
		"429":       {Status: 429, ID: "rate_limit", Message: "Your account reached the API rate limit"},
		"503":       {Status: 503, ID: "service_unavailable", Message: "The service is unavailable."},
		"html":      {Status: 502, Body: emulator.HTMLErrorPage},
		"reset":     {Reset: true},
		"truncated": {Truncate: true},
		"slow":      {Delay: time.Minute},
		// A body that echoes what a broken proxy might: a header-like text.
		"echo": {Status: 500, Body: "Authorization: Bearer " + testToken},
	}
	commands := [][]string{
		{"up", "worker=1", "--timeout", "300ms"}, {"scale", "web+1", "--timeout", "300ms"}, {"down", "worker", "--timeout", "300ms"},
		{"status", "--timeout", "300ms"}, {"apply", "--timeout", "300ms"}, {"check", "--timeout", "300ms"},
		{"done", "worker", "--timeout", "300ms"}, {"up", "worker=1", "--wait", "--timeout", "300ms", "--json"},
	}
	for name, fault := range faults {
		t.Run(name, func(t *testing.T) {
			for _, args := range commands {
				h := newHarness(t, demoConfig())
				h.env[envLogLevel] = "debug"
				h.env[envSchedule] = "worker default 1"
				if fault != nil {
					h.em.Inject(*fault)
				}
				r := h.run(args...) // fails the test if the token shows
				if name == "echo" && r.code == 0 {
					t.Errorf("scaler %v succeeded against a failing API", args)
				}
			}
		})
	}
}

// A token with characters that could break a header is refused without
// being quoted back.
func TestBadTokenIsNotEchoed(t *testing.T) {
	h := newHarness(t, demoConfig())
	h.env[envToken] = "HRKU-line\r\nX-Injected: yes"
	r := h.run("status")
	if r.code != 2 || strings.Contains(r.stderr, "HRKU-line") || strings.Contains(r.stderr, "Injected") {
		t.Errorf("a malformed token:\n%s", r)
	}
	if len(h.em.Requests()) != 0 {
		t.Error("a malformed token was sent")
	}
}
