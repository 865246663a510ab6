package main

// Security checks: the token never shows, at any log level and on any
// error path; plain http goes only to loopback; the emulator listens on
// loopback unless told otherwise (TestEmulatorListensOnLoopbackByDefault),
// refuses what a web page sends it, runs no dynos beyond loopback without
// a token, and never shows a secret config var cut in two.

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scalerdev/scaler/platform/emulator"
	"github.com/scalerdev/scaler/platform/emulator/emulatortest"
)

// Every command, on every kind of failure, at debug level: the harness
// fails the test if stdout or stderr holds the token.
func TestTokenNeverShows(t *testing.T) {
	t.Parallel()
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
			t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
	commands := [][]string{
		{"up", "worker=1"}, {"scale", "web+1"}, {"down", "worker"}, {"status"}, {"status", "--json"},
		{"apply"}, {"apply", "--json"}, {"check"}, {"check", "--json"}, {"done", "worker"},
		{"up", "worker=2", "--wait"}, {"plan", "--cost"}, {"plan", "--cost", "--json"}, {"notify", "--test"},
	}
	for name, form := range echoes(testToken) {
		for _, status := range []int{200, 400, 404, 422, 503} {
			t.Run(fmt.Sprintf("%s, %d", name, status), func(t *testing.T) {
				t.Parallel()
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
	t.Parallel()
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

// DNS rebinding, as the issue met it: a web page whose name now resolves
// to 127.0.0.1 posts a one-off dyno to `scaler emulator --procfile`, which,
// without --token, takes any token. Every request a page can make is
// refused, with a 403 in Heroku's shape, and its command never runs: a
// program's request after them gets the first one-off dyno (run.1), which
// runs and exits, and by then the mark the page's command would have left
// is absent. The emulator says each refusal once, at warn.
func TestEmulatorRefusesWebPages(t *testing.T) {
	t.Parallel()
	em := startDynoEmulatorAs(t, "web: exec sleep 60\n", "--listen", "127.0.0.1:0", "--procfile", "Procfile", "--formation", "web=0", "--boot-delay", "0s")
	api := em.env[envAPIURL]
	_, port, err := net.SplitHostPort(strings.TrimPrefix(api, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	page := "http://attacker.example:" + port
	post := func(host, origin, command string) (int, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), "POST", api+"/apps/demo/dynos", strings.NewReader(`{"command": "`+command+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host // sent as the Host header
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		req.Header.Set("Accept", emulator.AcceptHeader)
		req.Header.Set("Authorization", "Bearer anything-will-do")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	refused := []struct{ host, origin string }{
		{"attacker.example:" + port, page}, // the rebound page, as a browser sends it
		{"attacker.example:" + port, ""},
		{"127.0.0.1:" + port, page}, // a page elsewhere
		{"127.0.0.1:" + port, "null"},
	}
	for _, r := range refused {
		status, body := post(r.host, r.origin, "touch MARK")
		var e struct{ ID, Message string }
		if err := json.Unmarshal([]byte(body), &e); err != nil || status != 403 || e.ID != "forbidden" || !strings.HasPrefix(e.Message, "The emulator refused this request: ") {
			t.Errorf("POST /apps/demo/dynos with Host %q and Origin %q = %d %s, want 403 forbidden", r.host, r.origin, status, body)
		}
	}
	if status, body := post("127.0.0.1:"+port, "", "echo a program asked"); status != 201 {
		t.Fatalf("a program's POST /apps/demo/dynos = %d %s, want 201", status, body)
	}
	// Had a refused request started a dyno, it would be run.1, before it.
	line := em.log.next(t, `heroku\[run\.\d+\]: Starting process with command `+"`echo a program asked`$")
	if !strings.Contains(line, " heroku[run.1]: ") {
		t.Errorf("the program's one-off dyno is not the first: %s", line)
	}
	em.log.next(t, `app\[run\.1\]: a program asked$`)
	em.log.next(t, `heroku\[run\.1\]: Process exited with status 0$`)
	if _, err := os.Stat(filepath.Join(em.dir, "MARK")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a refused request's command ran: MARK is there (%v)", err)
	}
	if strings.Contains(em.log.String(), "MARK") {
		t.Errorf("the log stream shows a refused command:\n%s", em.log)
	}
	if code, _ := em.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("the emulator exited %d:\n%s", code, em.p.stderr)
	}
	stderr := em.p.stderr.String()
	if n := strings.Count(stderr, `level=warn msg="request refused" method=POST path=/apps/demo/dynos status=403 host=`); n != len(refused) {
		t.Errorf("%d refusals in the emulator's log, want %d:\n%s", n, len(refused), stderr)
	}
	if strings.Contains(stderr, "anything-will-do") {
		t.Errorf("the emulator's log shows the token:\n%s", stderr)
	}
}

// Beyond loopback, a dyno manager without a token would run any command
// sent to it from the network: it refuses to start, and says why. (Only
// refusals are tested here: tests listen on 127.0.0.1 only.)
func TestEmulatorBeyondLoopbackNeedsAToken(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Procfile"), []byte("web: touch MARK; exec sleep 60\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, listen := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:0", "devbox.example:0"} {
		p := startBinaryIn(t, dir, nil, "emulator", "--listen", listen, "--procfile", "Procfile")
		code, out := p.wait(t)
		want := "--listen " + listen + " is reachable from other machines, and with --procfile a request runs commands on this one: give --token too"
		if stderr := p.stderr.String(); code != 2 || out != "" || !strings.Contains(stderr, want) {
			t.Errorf("emulator --listen %s --procfile Procfile: exit %d, want 2 saying %q:\n%s%s", listen, code, want, out, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "MARK")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a dyno ran: MARK is there (%v)", err)
	}
}

// A secret config var that a dyno prints in a line longer than the log
// stream's cut, across the cut or across any multiple of it, is redacted
// whole: the pieces show only the line's filler and [redacted].
func TestSecretsAreNeverCutInTwo(t *testing.T) {
	t.Parallel()
	const secret, cut = "Sup3rS3cr3tV4lu3-QwZ", 10000 // the emulator's cut (Logplex's)
	em := startDynoEmulator(t, "web: exec sleep 60\n", "--formation", "web=0", "--env", "API_SECRET="+secret)
	x := func(n int) string { return strings.Repeat("x", n) }
	var lines strings.Builder
	secrets := 0
	for k := 1; k <= 3; k++ {
		for _, d := range []int{1, len(secret) / 2, len(secret) - 1} {
			lines.WriteString(x(k*cut-d) + secret + x(100) + "\n")
			secrets++
		}
	}
	// Across every multiple of the cut, in the raw line and in the line
	// redacted ([redacted] is shorter than the secret).
	var every strings.Builder
	for k := 1; k <= 4; k++ {
		every.WriteString(x(k*cut - 6 - every.Len() + (k-1)*(len(secret)-len("[redacted]"))))
		every.WriteString(secret)
		secrets++
	}
	lines.WriteString(every.String() + "\ndone\n")
	if err := os.WriteFile(filepath.Join(em.dir, "lines.txt"), []byte(lines.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(t.Context(), "POST", em.env[envAPIURL]+"/apps/demo/dynos", strings.NewReader(`{"command": "cat lines.txt"}`))
	req.Header.Set("Accept", emulator.AcceptHeader)
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("POST /apps/demo/dynos: %s", resp.Status)
	}
	em.log.next(t, `app\[run\.1\]: done$`)
	var printed strings.Builder
	pieces := 0
	for _, l := range em.log.snapshot() {
		if _, text, ok := strings.Cut(l, " app[run.1]: "); ok && text != "done" {
			printed.WriteString(text)
			pieces++
			if len(text) > cut {
				t.Errorf("a piece of %d bytes, longer than the cut", len(text))
			}
		}
	}
	shown := printed.String()
	if n := strings.Count(shown, "[redacted]"); n != secrets || strings.Trim(strings.ReplaceAll(shown, "[redacted]", ""), "x") != "" {
		t.Errorf("%d lines of %d secrets came out as %d pieces with %d [redacted] and more than x: %.300q…", strings.Count(lines.String(), "\n")-1, secrets, pieces, n, shown)
	}
	if want := len(strings.ReplaceAll(strings.ReplaceAll(lines.String(), "\n", ""), "done", "")) - secrets*(len(secret)-len("[redacted]")); len(shown) != want {
		t.Errorf("the pieces hold %d bytes, want %d: a piece is missing", len(shown), want)
	}
	if code, _ := em.stop(t, syscall.SIGTERM); code != 0 || strings.Contains(em.p.stderr.String(), secret) {
		t.Errorf("the emulator exited %d:\n%s", code, em.p.stderr)
	}
}
