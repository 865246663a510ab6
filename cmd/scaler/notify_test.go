package main

// Notifications: every event that needs a person reaches a local webhook
// receiver over real HTTP, in Slack's shape, without the token; a failure
// to notify changes nothing else.

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scalerdev/scaler/platform/emulator/emulatortest"
)

// receiver is a webhook that keeps what it is sent.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []map[string]any
	raw    []string
	status int // answer with this status; 200 when 0
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var body map[string]any
		raw := new(strings.Builder)
		json.NewDecoder(io.TeeReader(req.Body, raw)).Decode(&body)
		r.mu.Lock()
		r.bodies, r.raw = append(r.bodies, body), append(r.raw, raw.String())
		status := r.status
		r.mu.Unlock()
		if status != 0 {
			w.WriteHeader(status)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

// events returns the events received, by kind.
func (r *receiver) events() map[string]map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]map[string]any{}
	for _, b := range r.bodies {
		if kind, ok := b["event"].(string); ok {
			out[kind] = b
		}
	}
	return out
}

func (r *receiver) all() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.raw, "\n")
}

func TestNotifications(t *testing.T) {
	rcv := newReceiver(t)
	withWorker := func() *harness {
		cfg := demoConfig()
		cfg.Apps[0].Formation[1].Quantity = 1
		h := newHarness(t, cfg)
		h.env[envNotify] = rcv.URL + "/services/T000/B000/secret-part-of-the-hook"
		h.env[envDyno] = "worker.1"
		h.stopOnScaleDown("demo", "worker")
		return h
	}
	cases := []struct {
		kind string
		do   func(t *testing.T) result
		code int
	}{
		{"test", func(t *testing.T) result {
			h := withWorker()
			return h.run("notify", "--test")
		}, 0},
		{"scale_down_after_failure", func(t *testing.T) result {
			h := withWorker()
			t.Setenv("SCALER_TEST_JOB", "exit:3")
			return h.run(append([]string{"run"}, jobArgs()...)...)
		}, 3},
		{"job_timeout", func(t *testing.T) result {
			h := withWorker()
			t.Setenv("SCALER_TEST_JOB", "wait")
			return h.run(append([]string{"run", "--timeout", "100ms"}, jobArgs()...)...)
		}, 124},
		{"job_failed_at_start", func(t *testing.T) result {
			h := withWorker()
			return h.run("run", "--", "/no/such/job")
		}, 127},
		{"scale_down_failing", func(t *testing.T) result {
			h := withWorker()
			h.em.Inject(emulatortest.Fault{Method: "PATCH", Status: 503, ID: "service_unavailable", Message: "down"})
			t.Setenv("SCALER_TEST_JOB", "exit:0")
			return h.run(append([]string{"run", "--finish-timeout", "3500ms"}, jobArgs()...)...)
		}, 1},
		{"apply_failed", func(t *testing.T) result {
			h := withWorker()
			h.env[envSchedule] = "worker default 0"
			h.em.Inject(emulatortest.Fault{Status: 401, ID: "unauthorized", Message: "Invalid credentials provided."})
			return h.run("apply")
		}, 3},
		{"window_missed", func(t *testing.T) result {
			h, clock := onceHarness(t, false)
			h.env[envNotify] = rcv.URL + "/hook"
			return h.applyAt(clock, at("05:10"))
		}, 0},
		{"missed_edge_healed", func(t *testing.T) result {
			h, clock := keepHarness(t)
			h.env[envNotify] = rcv.URL + "/hook"
			return h.applyAt(clock, berlin("2026-11-23T08:25"))
		}, 0},
		{"change_kept_long", func(t *testing.T) result {
			h, clock := keepHarness(t)
			h.env[envNotify] = rcv.URL + "/hook"
			h.env[envSchedule] = "timezone Europe/Berlin; web Sat,Sun 2; web default 1"
			h.applyAt(clock, berlin("2026-11-28T00:10")) // Saturday: web to 2
			clock.set(berlin("2026-11-28T01:00"))
			h.em.SetQuantity("demo", "web", 5) // a person
			return h.applyAt(clock, berlin("2026-11-29T02:00"))
		}, 0},
	}
	for _, c := range cases {
		t.Run(c.kind, func(t *testing.T) {
			r := c.do(t)
			if r.code != c.code {
				t.Errorf("exit %d, want %d:\n%s", r.code, c.code, r)
			}
			e, ok := rcv.events()[c.kind]
			if !ok {
				t.Fatalf("no %s notification; received:\n%s\nscaler:\n%s", c.kind, rcv.all(), r)
			}
			text, _ := e["text"].(string)
			if e["app"] != "demo" || !strings.Contains(text, "demo") || e["action"] == "" {
				t.Errorf("the %s notification is not one a person can act on: %v", c.kind, e)
			}
		})
	}
	if body := rcv.all(); strings.Contains(body, testToken) || strings.Contains(body, "secret-part-of-the-hook") {
		t.Errorf("a notification holds a secret:\n%s", body)
	}
}

// A webhook that fails or hangs changes neither what scaler does nor its
// exit code, and holds it up a few seconds at most.
func TestNotificationFailureChangesNothing(t *testing.T) {
	for _, status := range []int{500, 404} {
		rcv := newReceiver(t)
		rcv.status = status
		h, clock := onceHarness(t, false)
		h.env[envNotify] = rcv.URL + "/hook"
		began := time.Now()
		r := h.applyAt(clock, at("05:10"))
		if r.code != 0 || !strings.Contains(r.stderr, `msg="notify failed"`) || time.Since(began) > 10*time.Second {
			t.Errorf("a webhook answering %d: exit %d after %v:\n%s", status, r.code, time.Since(began), r)
		}
	}
	// A URL that cannot be a webhook is a usage error, before any request.
	h := newHarness(t, demoConfig())
	h.env[envNotify] = "http://hooks.example.com/services/x"
	h.env[envSchedule] = "worker default 1"
	if r := h.run("apply"); r.code != 2 || len(h.em.Requests()) != 0 || strings.Contains(r.stderr, "/services/x") {
		t.Errorf("a plain-http webhook elsewhere than loopback:\n%s", r)
	}
	if r := h.run("check"); r.code != 2 || !strings.Contains(r.stdout, "fail  notify") {
		t.Errorf("check with a bad webhook:\n%s", r)
	}
}
