package platform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scalerdev/scaler/platform/emulator"
	"github.com/scalerdev/scaler/platform/emulator/emulatortest"
	"github.com/scalerdev/scaler/scaler"
)

const secret = "HRKU-00000000-test-secret-0000"

// fast retries quickly, so that fault tests take milliseconds.
var fast = RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 4 * time.Millisecond}

// headerSpy is a real transport that notes the headers of every request.
type headerSpy struct {
	mu      sync.Mutex
	headers []http.Header
}

func (s *headerSpy) RoundTrip(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	s.headers = append(s.headers, r.Header.Clone())
	s.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

type fixture struct {
	em     *emulatortest.Emulator
	client *Client
	logs   *bytes.Buffer
	spy    *headerSpy
	url    string
}

// setup serves an emulator with an app demo (web=1, worker=0), changed by
// edit when given, and a client of it.
func setup(t *testing.T, policy RetryPolicy, edit ...func(*emulator.Config)) *fixture {
	t.Helper()
	cfg := emulator.Config{
		Token: secret,
		Apps:  []emulator.App{{Name: "demo", Formation: []emulator.Process{{Type: "web", Quantity: 1}, {Type: "worker"}}}},
	}
	for _, f := range edit {
		f(&cfg)
	}
	em, err := emulatortest.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(em)
	t.Cleanup(srv.Close)
	f := &fixture{em: em, logs: &bytes.Buffer{}, spy: &headerSpy{}, url: srv.URL}
	f.client, err = New(Config{
		URL: srv.URL, Token: NewToken(secret), UserAgent: "scaler/test", Transport: f.spy, Retry: policy,
		Log: slog.New(slog.NewTextHandler(&lockedWriter{w: f.logs}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if strings.Contains(f.logs.String(), secret) {
			t.Errorf("the token leaked into the logs:\n%s", f.logs)
		}
	})
	return f
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func noLeak(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
		if strings.Contains(s, secret) {
			t.Errorf("the token leaked into an error: %s", s)
		}
	}
}

func TestCheckURL(t *testing.T) {
	ok := map[string]string{
		"":                          DefaultURL,
		"https://api.heroku.com":    "https://api.heroku.com",
		"https://api.heroku.com/":   "https://api.heroku.com",
		"http://127.0.0.1:5000":     "http://127.0.0.1:5000",
		"http://127.8.9.10:5000/":   "http://127.8.9.10:5000",
		"http://localhost:5000":     "http://localhost:5000",
		"http://[::1]:5000":         "http://[::1]:5000",
		"https://proxy.example/api": "https://proxy.example/api",
	}
	for in, want := range ok {
		if got, err := CheckURL(in); err != nil || got != want {
			t.Errorf("CheckURL(%q) = %q, %v, want %q", in, got, err, want)
		}
	}
	for _, in := range []string{
		"http://api.heroku.com", "http://10.0.0.1:5000", "http://0.0.0.0:5000", "http://localhost.evil.com",
		"ftp://api.heroku.com", "api.heroku.com", "https://", "https://user:pw@api.heroku.com",
		"https://api.heroku.com/?x=1", "://", "http://127.0.0.1.nip.io",
	} {
		_, err := CheckURL(in)
		if !errors.Is(err, scaler.ErrInvalid) || !strings.Contains(err.Error(), fmt.Sprintf("%q", in)) {
			t.Errorf("CheckURL(%q) error = %v, want ErrInvalid quoting it", in, err)
		}
	}
}

func TestTokenNeverPrints(t *testing.T) {
	tok := NewToken(secret)
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "token", tok)
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "token", tok)
	js, _ := json.Marshal(struct{ T Token }{tok})
	for _, s := range []string{
		fmt.Sprint(tok), fmt.Sprintf("%v %s %q %+v %#v", tok, tok, tok, tok, tok),
		fmt.Sprintf("%v", struct{ T Token }{tok}), fmt.Sprintf("%#v", Config{Token: tok}),
		logs.String(), string(js),
	} {
		if strings.Contains(s, secret) {
			t.Errorf("token printed: %s", s)
		}
		if !strings.Contains(s, "[redacted]") {
			t.Errorf("token not shown as [redacted]: %s", s)
		}
	}
}

func TestRequestsCarryTheHeaders(t *testing.T) {
	f := setup(t, fast)
	if _, err := f.client.Formation(t.Context(), "demo"); err != nil {
		t.Fatal(err)
	}
	h := f.spy.headers[0]
	for k, want := range map[string]string{
		"Accept":        "application/vnd.heroku+json; version=3",
		"Authorization": "Bearer " + secret,
		"User-Agent":    "scaler/test",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

func TestScaleReadAndRestart(t *testing.T) {
	f := setup(t, fast)
	ctx := t.Context()
	read, err := f.client.Formation(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if web, _ := read.Formation.Find("web"); web.Quantity != 1 || web.Size != "Standard-1X" || web.UpdatedAt.IsZero() {
		t.Errorf("web = %+v", web)
	}
	if read.Version == "" || read.At.IsZero() {
		t.Errorf("read = %+v, want the ETag and the Date of the answer", read)
	}
	out, err := f.client.UpdateFormation(ctx, "demo", []scaler.Spec{
		{Type: "web", Op: scaler.Add, N: 2},
		{Type: "worker", Op: scaler.Set, N: 1, Size: "Standard-2X"},
	}, read.Version)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || f.em.Quantity("demo", "web") != 3 || f.em.Quantity("demo", "worker") != 1 {
		t.Errorf("after the batch: %+v, emulator %+v", out, f.em.Formation("demo"))
	}
	writes := f.em.Writes()
	if len(writes) != 1 || !strings.Contains(writes[0].Body, `"quantity":"+2"`) || !strings.Contains(writes[0].Body, `"quantity":1`) {
		t.Errorf("writes = %+v, want one batch with a relative \"+2\" and an absolute 1", writes)
	}
	// The read's version is stale now: a write conditioned on it changes
	// nothing.
	_, err = f.client.UpdateFormation(ctx, "demo", []scaler.Spec{{Type: "web", Op: scaler.Add, N: 1}}, read.Version)
	if !errors.Is(err, scaler.ErrStale) || f.em.Quantity("demo", "web") != 3 {
		t.Errorf("a write on a stale version: %v, web %d", err, f.em.Quantity("demo", "web"))
	}
	dynos, err := f.client.Dynos(ctx, "demo")
	if err != nil || len(dynos) != 4 {
		t.Errorf("Dynos = %+v, %v", dynos, err)
	}
	if err := f.client.RestartDynos(ctx, "demo", "worker"); err != nil {
		t.Error(err)
	}
	if err := f.client.RestartDynos(ctx, "demo", "clock"); !errors.Is(err, scaler.ErrNotFound) {
		t.Errorf("restart of an unknown type: %v", err)
	}
}

// A process type restarts as the official CLI 11.10 restarts it (DELETE
// /apps/{app}/formations/{type}, Accept version=3.sdk), a dyno by its id;
// a restart is a write, never sent again after a lost answer.
func TestRestarts(t *testing.T) {
	f := setup(t, fast, func(c *emulator.Config) { c.Apps[0].Formation[1].Quantity = 2 })
	ctx := t.Context()
	if err := f.client.RestartDynos(ctx, "demo", "worker"); err != nil {
		t.Fatal(err)
	}
	w := f.em.Writes()
	if len(w) != 1 || w[0].Method != "DELETE" || w[0].Path != "/apps/demo/formations/worker" || w[0].Status != 202 {
		t.Errorf("writes = %+v, want DELETE /apps/demo/formations/worker, 202", w)
	}
	if got := f.spy.headers[len(f.spy.headers)-1].Get("Accept"); got != "application/vnd.heroku+json; version=3.sdk" {
		t.Errorf("Accept = %q, want the official CLI's version=3.sdk", got)
	}
	dynos, err := f.client.Dynos(ctx, "demo")
	if err != nil || len(dynos) != 3 || dynos[1].ID == "" || dynos[1].CreatedAt.IsZero() {
		t.Fatalf("Dynos = %+v, %v; want ids and created_at", dynos, err)
	}
	if err := f.client.RestartDyno(ctx, "demo", dynos[1].ID); err != nil {
		t.Error(err)
	}
	if w := f.em.Writes(); w[len(w)-1].Path != "/apps/demo/dynos/"+dynos[1].ID {
		t.Errorf("last write = %+v, want DELETE /apps/demo/dynos/%s", w[len(w)-1], dynos[1].ID)
	}
	var ae *APIError
	if err := f.client.RestartDyno(ctx, "demo", "01234567-89ab-cdef-0123-456789abcdef"); !errors.Is(err, scaler.ErrNotFound) || !errors.As(err, &ae) || ae.Missing != MissingDyno {
		t.Errorf("restart of a dyno gone: %v, want ErrNotFound, the dyno missing", err)
	}
	// At the first contact with the app, the app is told from the dyno.
	g := setup(t, fast)
	if err := g.client.RestartDyno(ctx, "demo", "01234567-89ab-cdef-0123-456789abcdef"); !errors.As(err, &ae) || ae.Missing != MissingDyno {
		t.Errorf("restart of a dyno gone, first contact: %v, want the dyno missing", err)
	}
	if err := g.client.RestartDyno(ctx, "nope", "01234567-89ab-cdef-0123-456789abcdef"); !errors.As(err, &ae) || ae.Missing != MissingApp {
		t.Errorf("restart of a dyno of an unknown app: %v, want the app missing", err)
	}
	// The answer lost after the restart landed: not sent again.
	before := len(f.em.Requests())
	f.em.Inject(emulatortest.Fault{Method: "DELETE", Status: 503, ID: "service_unavailable", Message: "API unavailable", Times: 1, After: true})
	if err := f.client.RestartDynos(ctx, "demo", "worker"); !errors.Is(err, scaler.ErrUncertain) {
		t.Errorf("a restart whose answer was lost: %v, want ErrUncertain", err)
	}
	if n := len(f.em.Requests()) - before; n != 1 {
		t.Errorf("%d requests, want the restart sent once", n)
	}
}

func TestAccountAndRateLimit(t *testing.T) {
	f := setup(t, fast)
	acc, err := f.client.Account(t.Context())
	if err != nil || acc.Email == "" || !acc.CanWrite() {
		t.Errorf("Account = %+v, %v", acc, err)
	}
	before := len(f.em.Requests())
	n, err := f.client.RateLimitRemaining(t.Context())
	if err != nil || n <= 0 || n > emulator.DefaultRateLimit {
		t.Errorf("RateLimitRemaining = %d, %v", n, err)
	}
	if len(f.em.Requests()) != before+1 {
		t.Errorf("requests = %d, want one more", len(f.em.Requests()))
	}
	if (Account{Scopes: []string{"read", "identity"}}).CanWrite() {
		t.Error("read scope can write")
	}
}

// Each fault, for a read and for the two kinds of write. want is the
// sentinel of the error, or nil for success; writes is how many writes
// reach the emulator's state.
func TestFaults(t *testing.T) {
	html := emulatortest.Fault{Status: 502, Body: emulatortest.HTMLErrorPage}
	unavailable := emulatortest.Fault{Status: 503, ID: "service_unavailable", Message: "API unavailable"}
	with := func(f emulatortest.Fault, times int, after bool) emulatortest.Fault {
		f.Times, f.After = times, after
		return f
	}
	tests := []struct {
		name     string
		fault    emulatortest.Fault
		call     string // read, set, add
		want     error
		requests int
		worker   int
	}{
		{"5xx burst shorter than the budget: read", with(unavailable, 5, false), "read", nil, 6, 0},
		{"5xx burst longer than the budget: read", with(unavailable, 6, false), "read", scaler.ErrUnavailable, 6, 0},
		// Writes are never resent by the client: the service reads back.
		{"5xx before an absolute write: not resent", with(unavailable, 1, false), "set", scaler.ErrUncertain, 1, 0},
		{"5xx after an absolute write landed: not resent", with(unavailable, 1, true), "set", scaler.ErrUncertain, 1, 2},
		{"5xx before a relative write: not resent", with(unavailable, 1, false), "add", scaler.ErrUncertain, 1, 0},
		{"5xx after a relative write landed: not resent", with(unavailable, 1, true), "add", scaler.ErrUncertain, 1, 1},
		{"HTML 502 page: read retried", with(html, 1, false), "read", nil, 2, 0},
		{"HTML 502 page: longer than the budget", with(html, 0, false), "read", scaler.ErrUnavailable, 6, 0},
		{"429 without Retry-After: retried", emulatortest.Fault{Status: 429, ID: "rate_limit", Message: "slow down", Times: 2}, "add", nil, 3, 1},
		{"429 for ever", emulatortest.Fault{Status: 429, ID: "rate_limit", Message: "slow down"}, "add", scaler.ErrRateLimited, 6, 0},
		{"reset: read retried", emulatortest.Fault{Reset: true, Times: 2}, "read", nil, 3, 0},
		{"reset after a relative write landed: not resent", emulatortest.Fault{Reset: true, Times: 1, After: true}, "add", scaler.ErrUncertain, 1, 1},
		{"reset after an absolute write landed: not resent", emulatortest.Fault{Reset: true, Times: 1, After: true}, "set", scaler.ErrUncertain, 1, 2},
		{"200 with an HTML page: read retried", emulatortest.Fault{Status: 200, Body: "<html><title>Down for maintenance</title></html>", Times: 1}, "read", nil, 2, 0},
		{"200 with an empty body: read retried", emulatortest.Fault{Status: 200, Body: " ", Times: 1}, "read", nil, 2, 0},
		{"200 with an HTML page to a write", emulatortest.Fault{Status: 200, Body: "<html><title>Down for maintenance</title></html>", Times: 1}, "add", scaler.ErrUncertain, 1, 0},
		{"truncated body: read retried", emulatortest.Fault{Truncate: true, Times: 1}, "read", nil, 2, 0},
		{"truncated answer to a relative write", emulatortest.Fault{Truncate: true, Times: 1, After: true}, "add", scaler.ErrUncertain, 1, 1},
		// No id tells a refusal during a release phase or Preboot from a
		// lasting one: a 422 is final (see judge).
		{"preboot refusal is final", emulatortest.Fault{Status: 422, ID: "invalid_params", Message: "Cannot change formation for a preboot app until release phase and preboot complete", Times: 2}, "add", scaler.ErrRejected, 1, 0},
		{"401 is not retried", emulatortest.Fault{Status: 401, ID: "unauthorized", Message: "Invalid credentials provided."}, "read", scaler.ErrUnauthorized, 1, 0},
		{"403 two_factor is not retried", emulatortest.Fault{Status: 403, ID: "two_factor", Message: "Invalid two-factor code."}, "set", scaler.ErrForbidden, 1, 0},
		{"422 is not retried", emulatortest.Fault{Status: 422, ID: "invalid_params", Message: "Cannot update to more than 1 Basic size dynos per process type."}, "set", scaler.ErrRejected, 1, 0},
		// The second request asks the rate limit, free, to tell an unknown
		// app from an API URL that reaches no API.
		{"404 is not retried", emulatortest.Fault{Path: "/apps/demo/formation", Status: 404, ID: "not_found", Message: "Couldn't find that app."}, "read", scaler.ErrNotFound, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, fast)
			if tt.fault.Method == "" && tt.call != "read" {
				tt.fault.Method = "PATCH"
			}
			f.em.Inject(tt.fault)
			var err error
			switch tt.call {
			case "read":
				_, err = f.client.Formation(t.Context(), "demo")
			case "set":
				_, err = f.client.UpdateFormation(t.Context(), "demo", []scaler.Spec{{Type: "worker", Op: scaler.Set, N: 2}}, "")
			case "add":
				_, err = f.client.UpdateFormation(t.Context(), "demo", []scaler.Spec{{Type: "worker", Op: scaler.Add, N: 1}}, "")
			}
			noLeak(t, err)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
			if n := len(f.em.Requests()); n != tt.requests {
				t.Errorf("requests = %d, want %d", n, tt.requests)
			}
			if got := f.em.Quantity("demo", "worker"); got != tt.worker {
				t.Errorf("worker = %d, want %d", got, tt.worker)
			}
		})
	}
}

func TestErrorSentences(t *testing.T) {
	f := setup(t, fast)
	f.em.Inject(emulatortest.Fault{Status: 502, Body: emulatortest.HTMLErrorPage})
	_, err := f.client.Formation(t.Context(), "demo")
	if want := `502 Bad Gateway: the API answered with a body that is not JSON ("Application Error") (after 6 attempts)`; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
	f.em.ClearFaults()
	_, err = f.client.Formation(t.Context(), "nope")
	if want := "app nope not found, or the token's account cannot see it: 404 not_found: Couldn't find that app."; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	f := setup(t, fast)
	f.em.Inject(emulatortest.Fault{Status: 429, ID: "rate_limit", Message: "slow down", Times: 1, Header: map[string]string{"Retry-After": "1"}})
	began := time.Now()
	if _, err := f.client.Formation(t.Context(), "demo"); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took < time.Second {
		t.Errorf("retried after %v, before Retry-After's 1s", took)
	}
}

func TestRetryAfterPastTheDeadlineGivesUp(t *testing.T) {
	f := setup(t, fast)
	f.em.Inject(emulatortest.Fault{Status: 429, ID: "rate_limit", Message: "slow down", Header: map[string]string{"Retry-After": "3600"}})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	_, err := f.client.Formation(ctx, "demo")
	if !errors.Is(err, scaler.ErrRateLimited) || ctx.Err() != nil {
		t.Errorf("error = %v (ctx %v), want rate limited before the deadline", err, ctx.Err())
	}
}

func TestSlowAnswerMeetsTheDeadline(t *testing.T) {
	f := setup(t, fast)
	f.em.Inject(emulatortest.Fault{Delay: time.Minute})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := f.client.UpdateFormation(ctx, "demo", []scaler.Spec{{Type: "worker", Op: scaler.Add, N: 1}}, "")
	if !errors.Is(err, scaler.ErrUncertain) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want an uncertain write past the deadline", err)
	}
}

func TestUnreachableAPI(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	c, err := New(Config{URL: "http://" + addr, Token: NewToken(secret), Retry: fast})
	if err != nil {
		t.Fatal(err)
	}
	// Even a relative write is retried: a refused connection sent nothing.
	_, err = c.UpdateFormation(t.Context(), "demo", []scaler.Spec{{Type: "worker", Op: scaler.Add, N: 1}}, "")
	if !errors.Is(err, scaler.ErrUnavailable) || errors.Is(err, scaler.ErrUncertain) {
		t.Errorf("error = %v, want unavailable", err)
	}
}

func TestLowBudgetIsPaced(t *testing.T) {
	f := setup(t, RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 4 * time.Millisecond, LowWater: 50, Refill: 100 * time.Millisecond},
		func(c *emulator.Config) { c.RateLimit = 10 })
	began := time.Now()
	for range 4 {
		if _, err := f.client.Formation(t.Context(), "demo"); err != nil {
			t.Fatal(err)
		}
	}
	// The first request learns the budget is low; the next three are paced.
	if took := time.Since(began); took < 200*time.Millisecond {
		t.Errorf("4 requests on a low budget took %v, want paced at 100ms", took)
	}
	if !strings.Contains(f.logs.String(), "api budget low") {
		t.Errorf("no warning about the budget:\n%s", f.logs)
	}
}

func TestConcurrentUse(t *testing.T) {
	f := setup(t, fast)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := f.client.Formation(t.Context(), "demo"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

func TestDebugTraceHasNoSecrets(t *testing.T) {
	f := setup(t, fast)
	f.em.Inject(emulatortest.Fault{Status: 401, ID: "unauthorized", Message: "Invalid credentials provided."})
	_, err := f.client.Formation(t.Context(), "demo")
	noLeak(t, err)
	if !strings.Contains(f.logs.String(), "msg=\"api request\"") {
		t.Errorf("no debug trace:\n%s", f.logs)
	}
}

// A panic holding the token, or a value that holds it, prints no token.
func TestTokenInAPanic(t *testing.T) {
	if what := os.Getenv("SCALER_TEST_PANIC"); what != "" {
		tok := NewToken(secret)
		switch what {
		case "token":
			panic(tok)
		case "config":
			panic(Config{Token: tok, URL: "https://api.heroku.com"})
		case "error":
			panic(fmt.Errorf("wrapped: %v %+v", tok, Config{Token: tok}))
		}
	}
	for _, what := range []string{"token", "config", "error"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestTokenInAPanic$")
		cmd.Env = append(os.Environ(), "SCALER_TEST_PANIC="+what)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "panic") {
			t.Fatalf("%s: the child did not panic: %s", what, out)
		}
		if strings.Contains(string(out), secret) {
			t.Errorf("a panic with the %s printed the token:\n%s", what, out)
		}
	}
}

// weakener is a proxy that compresses answers, and so weakens their ETags.
type weakener struct{ spy *headerSpy }

func (w weakener) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := w.spy.RoundTrip(r)
	if err == nil && resp.Header.Get("ETag") != "" {
		resp.Header.Set("ETag", "W/"+resp.Header.Get("ETag"))
	}
	return resp, err
}

// A weak ETag never matches If-Match: the write goes without the condition
// rather than be refused for ever.
func TestWeakETagIsNoCondition(t *testing.T) {
	f := setup(t, fast)
	client, err := New(Config{URL: f.url, Token: NewToken(secret), UserAgent: "scaler/test", Transport: weakener{f.spy}, Retry: fast})
	if err != nil {
		t.Fatal(err)
	}
	read, err := client.Formation(t.Context(), "demo")
	if err != nil || read.Version != "" {
		t.Fatalf("Formation() = version %q, %v; want none, for a weak tag", read.Version, err)
	}
	if _, err := client.UpdateFormation(t.Context(), "demo", []scaler.Spec{{Type: "worker", Op: scaler.Set, N: 1}}, read.Version); err != nil {
		t.Fatalf("UpdateFormation: %v", err)
	}
	f.spy.mu.Lock()
	defer f.spy.mu.Unlock()
	if last := f.spy.headers[len(f.spy.headers)-1]; last.Get("If-Match") != "" {
		t.Errorf("the write carried If-Match %q", last.Get("If-Match"))
	}
	if f.em.Quantity("demo", "worker") != 1 {
		t.Error("the write did not land")
	}
}
