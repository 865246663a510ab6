package main

// Security checks: the token never shows, at any log level and on any
// error path; plain http goes only to loopback; the emulator listens on
// loopback unless told otherwise (TestEmulatorListensOnLoopbackByDefault).

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scalerdev/scaler/platform/emulator/emulatortest"
)

// Every command, on every kind of failure, at debug level: the harness
// fails the test if stdout or stderr holds the token.
func TestTokenNeverShows(t *testing.T) {
	faults := map[string]*emulatortest.Fault{
		"none":      nil,
		"401":       {Status: 401, ID: "unauthorized", Message: "Invalid credentials provided."},
		"403":       {Status: 403, ID: "two_factor", Message: "Invalid two-factor code."},
		"404":       {Status: 404, ID: "not_found", Message: "Couldn't find that app."},
		"422":       {Status: 422, ID: "invalid_params", Message: "Cannot update to more than 1 Basic size dynos per process type."},
		"429":       {Status: 429, ID: "rate_limit", Message: "Your account reached the API rate limit"},
		"503":       {Status: 503, ID: "service_unavailable", Message: "The service is unavailable."},
		"html":      {Status: 502, Body: emulatortest.HTMLErrorPage},
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

// echoes are the forms in which a broken API or proxy may echo the token
// back: as it is, JSON-escaped, percent-encoded, as HTML character
// references, with a zero-width space inside, and split by a soft hyphen.
func echoes(token string) map[string]string {
	var jsonEsc, pct, html strings.Builder
	for _, r := range token {
		fmt.Fprintf(&jsonEsc, `\u%04x`, r)
		fmt.Fprintf(&pct, "%%%02X", r)
		fmt.Fprintf(&html, "&#%d;", r)
	}
	return map[string]string{
		"plain":        token,
		"json-escaped": jsonEsc.String(),
		"percent":      pct.String(),
		"html":         html.String(),
		"zero-width":   token[:6] + "\u200b" + token[6:],
		"soft hyphen":  token[:9] + "\u00ad" + token[9:],
	}
}

// exposes reports whether out shows the token to a person, or any part of
// it, in any of the forms above, decoded with the standard library's own
// decoders.
func exposes(out, token string) bool {
	unicodeEsc := regexp.MustCompile(`\\u([0-9a-fA-F]{4})`)
	decoded := unicodeEsc.ReplaceAllStringFunc(out, func(m string) string {
		n, _ := strconv.ParseUint(m[2:], 16, 32)
		return string(rune(n))
	})
	// Every %XX, even where a stray % would make url.PathUnescape refuse
	// the whole output.
	percent := regexp.MustCompile(`%[0-9a-fA-F]{2}`)
	decoded += "\n" + percent.ReplaceAllStringFunc(decoded, func(m string) string {
		u, _ := url.PathUnescape(m)
		return u
	})
	decoded += "\n" + html.UnescapeString(decoded)
	decoded = strings.NewReplacer("\u200b", "", "\u00ad", "").Replace(decoded)
	// Any 10 characters of it in a row: the start of a token cut short
	// shows it too.
	for i := 0; i+10 <= len(token); i++ {
		if strings.Contains(decoded, token[i:i+10]) {
			return true
		}
	}
	return false
}

// An API that echoes the request's Authorization header into every header
// and body of every answer, in every form: nothing scaler writes, on any
// command, at any level, shows the token.
func TestEchoingAPINeverMakesTheTokenShow(t *testing.T) {
	commands := [][]string{
		{"up", "worker=1"}, {"scale", "web+1"}, {"down", "worker"}, {"status"}, {"status", "--json"},
		{"apply"}, {"apply", "--json"}, {"check"}, {"check", "--json"}, {"done", "worker"},
		{"up", "worker=2", "--wait"}, {"plan", "--cost"}, {"plan", "--cost", "--json"}, {"notify", "--test"},
	}
	for name, form := range echoes(testToken) {
		for _, status := range []int{200, 400, 404, 422, 503} {
			t.Run(fmt.Sprintf("%s, %d", name, status), func(t *testing.T) {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					echo := strings.ReplaceAll(r.Header.Get("Authorization"), testToken, form)
					// Every request header back as it came, and the token
					// in every header scaler reads.
					for k, vs := range r.Header {
						for _, v := range vs {
							w.Header().Add(k, strings.ReplaceAll(v, testToken, form))
						}
					}
					for _, h := range []string{"X-Heroku-Warning", "Request-Id", "Oauth-Scope", "RateLimit-Remaining", "Retry-After", "ETag", "Date", "Location"} {
						w.Header().Set(h, echo)
					}
					if status == 400 {
						// A proxy's page, cut to length by scaler's error
						// message in the middle of the echo.
						w.Header().Set("Content-Type", "text/html")
						w.WriteHeader(status)
						fmt.Fprintf(w, "<html><body>Bad request %s: %s</body></html>", strings.Repeat("x", 90), echo)
						return
					}
					w.Header().Set("Content-Type", "application/json")
					if status != 200 {
						w.WriteHeader(status)
						fmt.Fprintf(w, `{"id":%q,"message":"echo: %s","url":"https://example.com/?%s"}`, echo, echo, echo)
						return
					}
					// Answers that decode: an echo in every field.
					switch {
					case strings.HasSuffix(r.URL.Path, "/formation"):
						fmt.Fprintf(w, `[{"type":"web","quantity":1,"size":%q,"command":%q,"updated_at":"2026-11-30T02:00:00Z"},{"type":"worker","quantity":1,"size":%q,"command":%q,"updated_at":"2026-11-30T02:00:00Z"}]`, echo, echo, echo, echo)
					case strings.HasSuffix(r.URL.Path, "/dynos"):
						fmt.Fprintf(w, `[{"name":%q,"type":"worker","size":%q,"state":%q,"updated_at":"2026-11-30T02:00:00Z"}]`, echo, echo, echo)
					case r.URL.Path == "/account":
						fmt.Fprintf(w, `{"email":%q,"id":%q}`, echo, echo)
					default:
						fmt.Fprintf(w, `{"remaining":1,"name":%q,"id":%q}`, echo, echo)
					}
				}))
				defer srv.Close()
				for _, args := range commands {
					h := newHarness(t, demoConfig())
					h.env[envAPIURL] = srv.URL
					h.env[envLogLevel] = "debug"
					h.env[envSchedule] = "worker default 2"
					h.env[envNotify] = srv.URL + "/hook" // a webhook that echoes too
					r := h.run(append(args, "--timeout", "300ms")...)
					if exposes(r.stdout+r.stderr, testToken) {
						t.Errorf("scaler %s shows the token, echoed %s:\n%s", strings.Join(args, " "), name, r)
					}
				}
				// run reports its run's identity, the job's end, and its
				// scale-down's failures: for a type, and in its own dyno.
				for _, dyno := range []string{"", "worker.1"} {
					args := []string{"run", "--finish-timeout", "300ms", "--", "true"}
					h := newHarness(t, demoConfig())
					h.env[envAPIURL] = srv.URL
					h.env[envLogLevel] = "debug"
					h.env[envNotify] = srv.URL + "/hook"
					if h.env[envDyno] = dyno; dyno == "" {
						args = append([]string{"run", "--type", "worker"}, args[1:]...)
					}
					r := h.run(args...)
					if exposes(r.stdout+r.stderr, testToken) {
						t.Errorf("scaler %s shows the token, echoed %s:\n%s", strings.Join(args, " "), name, r)
					}
				}
			})
		}
	}
}

// A URL's password is a secret too, in every message that would quote it.
func TestURLPasswordNeverShows(t *testing.T) {
	const password = "pa55w0rd-not-to-show"
	for _, raw := range []string{"http://user:" + password + "@example.com", "https://user:" + password + "@127.0.0.1:99999", "ftp://user:" + password + "@host"} {
		h := newHarness(t, demoConfig())
		h.env[envAPIURL] = raw
		r := h.run("status")
		if r.code != 2 || strings.Contains(r.stdout+r.stderr, password) {
			t.Errorf("HEROKU_API_URL=%s: exit %d, want 2 and no password:\n%s", raw, r.code, r)
		}
	}
}
