package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scalerdev/scaler/scaler"
)

// hookPath is the receiver's path: like a Slack webhook's, its last segment
// is the secret, and it must never show in an error or a log line.
const hookPath = "/services/T0123ABCD/B0123ABCD/SECRETSECRETSECRETSECRET"

// request is what a receiver got.
type request struct {
	method string
	header http.Header
	body   []byte
}

// receiver is a webhook on 127.0.0.1 that answers with respond; n counts
// the requests from 1.
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []request
}

func newReceiver(t *testing.T, respond func(n int, w http.ResponseWriter, r *http.Request)) *receiver {
	t.Helper()
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, request{r.Method, r.Header.Clone(), body})
		n := len(rc.reqs)
		rc.mu.Unlock()
		if respond != nil {
			respond(n, w, r)
		}
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.reqs...)
}

// hook is the receiver's webhook URL.
func (rc *receiver) hook() string { return rc.URL + hookPath }

func newNotifier(t *testing.T, cfg Config) *Notifier {
	t.Helper()
	n, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%q) error = %v", cfg.URL, err)
	}
	return n
}

var jobTimeout = scaler.Event{
	Kind:     scaler.KindJobTimeout,
	App:      "demo",
	Type:     "worker",
	ExitCode: 143,
	Detail:   "the job ran 2h0m5s, past --timeout 2h",
	Action:   "read the job's log",
}

func TestBody(t *testing.T) {
	tests := []struct {
		name string
		e    scaler.Event
		want map[string]any
	}{{
		name: "every field",
		e:    jobTimeout,
		want: map[string]any{
			"text":      "scaler, app demo: the job of worker ran past its --timeout and was stopped (exit 143): the job ran 2h0m5s, past --timeout 2h. To do: read the job's log.",
			"event":     "job_timeout",
			"app":       "demo",
			"type":      "worker",
			"exit_code": float64(143),
			"detail":    "the job ran 2h0m5s, past --timeout 2h",
			"action":    "read the job's log",
		},
	}, {
		name: "empty fields left out, the kind's action sent",
		e:    scaler.Event{Kind: scaler.KindApplyFailed, App: "demo"},
		want: map[string]any{
			"text":   "scaler, app demo: scaler apply failed. To do: run scaler check for this app and read scaler's log.",
			"event":  "apply_failed",
			"app":    "demo",
			"action": "run scaler check for this app and read scaler's log",
		},
	}, {
		name: "no kind",
		e:    scaler.Event{},
		want: map[string]any{
			"text":   "scaler: event. To do: read scaler's log.",
			"event":  "",
			"action": "read scaler's log",
		},
	}, {
		name: "Slack markup escaped in text only, lines joined",
		e:    scaler.Event{Kind: scaler.KindJobFailedAtStart, App: "demo", Type: "worker", ExitCode: 127, Detail: "<!channel> sh: 1: jobs & more:\n\tnot found"},
		want: map[string]any{
			"text":      "scaler, app demo: the job of worker failed at start and worker was scaled down (exit 127): &lt;!channel&gt; sh: 1: jobs &amp; more: not found. To do: check the job's command and the latest release, then scale worker up again.",
			"event":     "job_failed_at_start",
			"app":       "demo",
			"type":      "worker",
			"exit_code": float64(127),
			"detail":    "<!channel> sh: 1: jobs & more: not found",
			"action":    "check the job's command and the latest release, then scale worker up again",
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := newReceiver(t, nil)
			n := newNotifier(t, Config{URL: rc.hook(), UserAgent: "scaler/test"})
			if err := n.Notify(t.Context(), tt.e); err != nil {
				t.Fatalf("Notify(%+v) = %v, want nil", tt.e, err)
			}
			reqs := rc.requests()
			if len(reqs) != 1 {
				t.Fatalf("the receiver got %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.method != http.MethodPost || r.header.Get("Content-Type") != "application/json" || r.header.Get("User-Agent") != "scaler/test" {
				t.Errorf("request = %s, Content-Type %q, User-Agent %q, want POST, application/json, scaler/test", r.method, r.header.Get("Content-Type"), r.header.Get("User-Agent"))
			}
			var got map[string]any
			if err := json.Unmarshal(r.body, &got); err != nil {
				t.Fatalf("body %s is not JSON: %v", r.body, err)
			}
			if maps.Equal(got, tt.want) {
				return
			}
			for k, want := range tt.want {
				if got[k] != want {
					t.Errorf("body[%q] = %#v, want %#v", k, got[k], want)
				}
			}
			for k := range got {
				if _, ok := tt.want[k]; !ok {
					t.Errorf("body has %q = %#v, want no such field", k, got[k])
				}
			}
		})
	}
}

func TestFailures(t *testing.T) {
	const timeout = 200 * time.Millisecond
	// other is where redirects point: it must get nothing.
	other := newReceiver(t, nil)
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) }) // runs before the receivers close
	type failure struct {
		name    string
		respond func(n int, w http.ResponseWriter, r *http.Request)
		want    string // in the error; "" for none
		calls   int
	}
	tests := []failure{{
		name: "500 then 200: one retry, delivered",
		respond: func(n int, w http.ResponseWriter, r *http.Request) {
			if n == 1 {
				w.WriteHeader(http.StatusInternalServerError)
			}
		},
		calls: 2,
	}, {
		name: "500 twice: gives up",
		respond: func(n int, w http.ResponseWriter, r *http.Request) {
			http.Error(w, "<html><body>\n<h1>Application error</h1>", http.StatusInternalServerError)
		},
		want:  "answered 500 Internal Server Error: <html><body> <h1>Application error</h1> (2 attempts)",
		calls: 2,
	}, {
		name: "503 then 204",
		respond: func(n int, w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(map[int]int{1: http.StatusServiceUnavailable, 2: http.StatusNoContent}[n])
		},
		calls: 2,
	}, {
		name: "404: no retry, the receiver's reason and no secret",
		respond: func(n int, w http.ResponseWriter, r *http.Request) {
			http.Error(w, "no_service: no hook at "+r.URL.Path, http.StatusNotFound)
		},
		want:  "answered 404 Not Found: no_service: no hook at …",
		calls: 1,
	}, {
		name: "404 whose page is cut through the secret",
		respond: func(n int, w http.ResponseWriter, r *http.Request) {
			http.Error(w, strings.Repeat("x", 145)+" Cannot POST "+r.URL.Path, http.StatusNotFound)
		},
		want:  "answered 404 Not Found: xxxx",
		calls: 1,
	}, {
		name: "400: no retry",
		respond: func(n int, w http.ResponseWriter, r *http.Request) {
			http.Error(w, "invalid_payload", http.StatusBadRequest)
		},
		want:  "answered 400 Bad Request: invalid_payload",
		calls: 1,
	}, {
		name: "429 then 200",
		respond: func(n int, w http.ResponseWriter, r *http.Request) {
			if n == 1 {
				w.WriteHeader(http.StatusTooManyRequests)
			}
		},
		calls: 2,
	}, {
		name: "429 with a short Retry-After is honoured",
		respond: func(n int, w http.ResponseWriter, r *http.Request) {
			if n == 1 {
				w.Header().Set("Retry-After", "0")
				w.WriteHeader(http.StatusTooManyRequests)
			}
		},
		calls: 2,
	}, {
		name: "429 with a long Retry-After: no retry",
		respond: func(n int, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "60")
			w.WriteHeader(http.StatusTooManyRequests)
		},
		want:  "answered 429 Too Many Requests, to try again after 1m0s",
		calls: 1,
	}, {
		name: "a reason phrase of the receiver's is not quoted",
		respond: func(n int, w http.ResponseWriter, r *http.Request) {
			hj, _ := w.(http.Hijacker)
			conn, buf, _ := hj.Hijack()
			defer conn.Close()
			fmt.Fprintf(buf, "HTTP/1.1 403 %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", hookPath)
			buf.Flush()
		},
		want:  "answered 403 Forbidden",
		calls: 1,
	}, {
		name: "a receiver that hangs: bounded by Timeout, twice",
		respond: func(n int, w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-hang:
			}
		},
		want:  "no answer within 200ms (2 attempts)",
		calls: 2,
	}, {
		name: "a receiver that hangs after its headers: bounded too",
		respond: func(n int, w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadGateway)
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-hang:
			}
		},
		want:  "answered 502 Bad Gateway (2 attempts)",
		calls: 2,
	}}
	// A redirect to another host is not followed, whichever its code.
	for _, redirect := range []struct {
		code   int
		status string
	}{
		{http.StatusTemporaryRedirect, "307 Temporary Redirect"},
		{http.StatusPermanentRedirect, "308 Permanent Redirect"},
		{http.StatusFound, "302 Found"},
	} {
		tests = append(tests, failure{
			name: strconv.Itoa(redirect.code) + " to another host: not followed",
			respond: func(n int, w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other.hook(), redirect.code)
			},
			want:  "answered " + redirect.status + ": a redirect, not followed",
			calls: 1,
		})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rc := newReceiver(t, tt.respond)
			var logs syncBuffer
			n := newNotifier(t, Config{URL: rc.hook(), Timeout: timeout, Log: testLogger(&logs)})
			start := time.Now()
			err := n.Notify(t.Context(), jobTimeout)
			took := time.Since(start)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Notify() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Notify() = %v, want an error saying %q", err, tt.want)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "notify job_timeout to "+rc.URL+"/…: ") {
				t.Errorf("Notify() = %v, want it to name the event and the webhook without its path", err)
			}
			if got := len(rc.requests()); got != tt.calls {
				t.Errorf("the receiver got %d requests, want %d", got, tt.calls)
			}
			reqs := rc.requests()
			for _, r := range reqs[1:] {
				if !bytes.Equal(r.body, reqs[0].body) {
					t.Errorf("a retry sent %q, want the first body %q", r.body, reqs[0].body)
				}
			}
			if got := len(other.requests()); got != 0 {
				t.Errorf("the redirect's target got %d requests, want none", got)
			}
			if limit := 10 * timeout; took > limit {
				t.Errorf("Notify took %s, want under %s", took, limit)
			}
			switch {
			case err == nil && logs.String() != "":
				t.Errorf("a delivery logged %q, want nothing at info", logs.String())
			case err != nil && !strings.HasPrefix(logs.String(), `level=WARN msg="notify failed" event=job_timeout app=demo type=worker err=`):
				t.Errorf("a failure logged %q, want a warning", logs.String())
			}
			for _, s := range []string{fmt.Sprint(err), logs.String()} {
				if strings.Contains(s, "SECRET") {
					t.Errorf("the webhook's secret leaked: %s", s)
				}
			}
		})
	}
}

func TestReceiverDown(t *testing.T) {
	rc := newReceiver(t, nil)
	hook := rc.hook()
	rc.Close()
	n := newNotifier(t, Config{URL: hook, Timeout: 200 * time.Millisecond})
	err := n.Notify(t.Context(), jobTimeout)
	if err == nil || !strings.Contains(err.Error(), "connection refused (2 attempts)") {
		t.Errorf("Notify() = %v, want connection refused, twice", err)
	}
	if err != nil && strings.Contains(err.Error(), "SECRET") {
		t.Errorf("the webhook's secret leaked: %v", err)
	}
}

func TestContext(t *testing.T) {
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	hangs := func(arrived chan<- struct{}) func(int, http.ResponseWriter, *http.Request) {
		return func(_ int, w http.ResponseWriter, r *http.Request) {
			arrived <- struct{}{}
			select {
			case <-r.Context().Done():
			case <-hang:
			}
		}
	}
	fails := func(arrived chan<- struct{}) func(int, http.ResponseWriter, *http.Request) {
		return func(_ int, w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
			arrived <- struct{}{}
		}
	}
	// cancelOnArrival is cancelled once the request has reached the receiver.
	cancelOnArrival := func(t *testing.T, arrived <-chan struct{}) context.Context {
		ctx, cancel := context.WithCancel(t.Context())
		go func() {
			<-arrived
			cancel()
		}()
		return ctx
	}
	tests := []struct {
		name    string
		respond func(arrived chan<- struct{}) func(int, http.ResponseWriter, *http.Request)
		ctx     func(t *testing.T, arrived <-chan struct{}) context.Context
		want    error
		calls   int
	}{{
		name:    "cancelled before",
		respond: hangs,
		ctx: func(t *testing.T, _ <-chan struct{}) context.Context {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			return ctx
		},
		want: context.Canceled,
	}, {
		name:    "cancelled while the receiver holds the request",
		respond: hangs,
		ctx:     cancelOnArrival,
		want:    context.Canceled,
		calls:   1,
	}, {
		name:    "cancelled after a failure: no retry",
		respond: fails,
		ctx:     cancelOnArrival,
		want:    context.Canceled,
		calls:   1,
	}, {
		name:    "a deadline shorter than Timeout",
		respond: hangs,
		ctx: func(t *testing.T, arrived <-chan struct{}) context.Context {
			ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
			t.Cleanup(cancel)
			return ctx
		},
		want:  context.DeadlineExceeded,
		calls: 1,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			arrived := make(chan struct{}, 2)
			rc := newReceiver(t, tt.respond(arrived))
			// A Timeout far longer than the test's bound: only ctx can end
			// these calls in time.
			n := newNotifier(t, Config{URL: rc.hook(), Timeout: time.Minute})
			ctx := tt.ctx(t, arrived)
			start := time.Now()
			err := n.Notify(ctx, jobTimeout)
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("Notify took %s after ctx ended", took)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("Notify() = %v, want %v", err, tt.want)
			}
			if got := len(rc.requests()); got != tt.calls {
				t.Errorf("the receiver got %d requests, want %d", got, tt.calls)
			}
		})
	}
}

// token stands for the API token; tokenEscaped is it as a JSON writer may
// echo it.
const (
	token        = "HRKU-0123456789abcdef0123456789abcdef"
	tokenEscaped = `\u0048RKU-0123456789abcdef0123456789abcdef`
)

var redact = strings.NewReplacer(token, "[redacted]", tokenEscaped, "[redacted]").Replace

func TestTokenNeverSent(t *testing.T) {
	tests := []struct {
		name string
		e    scaler.Event
	}{
		{"in every field", scaler.Event{Kind: scaler.KindApplyFailed + token, App: "demo" + token, Type: token, Detail: "the API echoed " + token + " and " + tokenEscaped, Action: "revoke " + token}},
		{"in a Slack escape", scaler.Event{Kind: scaler.KindApplyFailed, App: "demo", Detail: "<" + token + ">&" + token}},
		{"at the cut of a long Detail", scaler.Event{Kind: scaler.KindApplyFailed, App: "demo", Detail: strings.Repeat("x", scaler.MaxEventField-10) + token}},
		{"in an Action over lines", scaler.Event{Kind: scaler.KindApplyFailed, App: "demo", Action: "see\n" + token + "\n" + tokenEscaped}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := newReceiver(t, nil)
			n := newNotifier(t, Config{URL: rc.hook(), Redact: redact})
			if err := n.Notify(t.Context(), tt.e); err != nil {
				t.Fatalf("Notify() = %v, want nil", err)
			}
			reqs := rc.requests()
			if len(reqs) != 1 {
				t.Fatalf("the receiver got %d requests, want 1", len(reqs))
			}
			body := reqs[0].body
			if redact(string(body)) != string(body) {
				t.Errorf("the body holds what Redact removes: %s", body)
			}
			var got map[string]any
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("body %s is not JSON: %v", body, err)
			}
			for k, v := range got {
				s, ok := v.(string)
				if !ok {
					continue
				}
				if redact(s) != s || strings.Contains(s, token[:8]) || strings.Contains(s, tokenEscaped[:8]) {
					t.Errorf("body[%q] = %q holds the token", k, s)
				}
			}
			if !strings.Contains(got["text"].(string), "[redacted]") {
				t.Errorf("text = %q, want the token's place marked", got["text"])
			}
		})
	}
}

func TestBodyStillSecret(t *testing.T) {
	rc := newReceiver(t, nil)
	// A Redact that finds something only in the encoded body: the body is
	// withheld rather than sent.
	var logs syncBuffer
	n := newNotifier(t, Config{
		URL:    rc.hook(),
		Redact: strings.NewReplacer(`"event":`, "[redacted]").Replace,
		Log:    testLogger(&logs),
	})
	err := n.Notify(t.Context(), jobTimeout)
	if err == nil || !strings.Contains(err.Error(), "not sent") {
		t.Errorf("Notify() = %v, want not sent", err)
	}
	if got := len(rc.requests()); got != 0 {
		t.Errorf("the receiver got %d requests, want none", got)
	}
	if !strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("log = %q, want a warning", logs.String())
	}
}

func TestErrorsRedacted(t *testing.T) {
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad token "+token, http.StatusUnauthorized)
	})
	n := newNotifier(t, Config{URL: rc.hook(), Redact: redact})
	err := n.Notify(t.Context(), jobTimeout)
	if err == nil || strings.Contains(err.Error(), token) || !strings.Contains(err.Error(), "bad token [redacted]") {
		t.Errorf("Notify() = %v, want the receiver's answer, redacted", err)
	}
}

func TestNilNotifier(t *testing.T) {
	for _, url := range []string{"", "  \n"} {
		n, err := New(Config{URL: url})
		if n != nil || err != nil {
			t.Errorf("New(Config{URL: %q}) = %v, %v, want nil, nil", url, n, err)
		}
	}
	var n *Notifier
	if err := n.Notify(t.Context(), jobTimeout); err != nil {
		t.Errorf("(*Notifier)(nil).Notify() = %v, want nil", err)
	}
	if got := n.String(); got != "no notifications" {
		t.Errorf("(*Notifier)(nil).String() = %q", got)
	}
}

func TestNotifierPrintsNoSecret(t *testing.T) {
	n := newNotifier(t, Config{URL: "https://hooks.slack.com" + hookPath + "?token=SECRETSECRETSECRETSECRET"})
	var logs bytes.Buffer
	testLogger(&logs).Info("x", "notifier", n)
	for _, s := range []string{fmt.Sprint(n), fmt.Sprintf("%v %s %+v", n, n, n), logs.String()} {
		if strings.Contains(s, "SECRET") || !strings.Contains(s, "https://hooks.slack.com/…") {
			t.Errorf("a Notifier printed as %q", s)
		}
	}
}

func TestClientNotChanged(t *testing.T) {
	// The caller's client follows redirects; the Notifier's copy does not,
	// and the caller's is left as it was.
	other := newReceiver(t, nil)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.hook(), http.StatusTemporaryRedirect)
	})
	client := &http.Client{}
	n := newNotifier(t, Config{URL: rc.hook(), Client: client})
	if err := n.Notify(t.Context(), jobTimeout); err == nil {
		t.Errorf("Notify() = nil, want the redirect refused")
	}
	if client.CheckRedirect != nil {
		t.Errorf("the caller's client was changed")
	}
	if got := len(other.requests()); got != 0 {
		t.Errorf("the redirect's target got %d requests, want none", got)
	}
}

func TestConcurrent(t *testing.T) {
	rc := newReceiver(t, nil)
	n := newNotifier(t, Config{URL: rc.hook(), Redact: redact})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() { errs <- n.Notify(t.Context(), jobTimeout) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Notify() = %v", err)
		}
	}
	if got := len(rc.requests()); got != 8 {
		t.Errorf("the receiver got %d requests, want 8", got)
	}
}

// testLogger logs as scaler does: logfmt, no time.
func testLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		},
	}))
}

// syncBuffer is a bytes.Buffer for a logger that a server's goroutine may
// write to while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestNewRefusesBadURL(t *testing.T) {
	for _, in := range []string{"http://hooks.example.com/SECRET", "https://user:SECRET@hooks.example.com/", "hooks.slack.com/services/SECRET"} {
		n, err := New(Config{URL: in})
		if n != nil || !errors.Is(err, scaler.ErrInvalid) || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("New(Config{URL: %q}) = %v, %v, want ErrInvalid without the secret", in, n, err)
		}
	}
}
