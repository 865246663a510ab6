package main

// Notifications: every event that needs a person reaches a local webhook
// receiver over real HTTP, in Slack's shape, without the token; a failure
// to notify changes nothing else.

import (
	"encoding/json"
	"fmt"
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
	t.Parallel()
	// Each case has a receiver of its own, at hook: what it gets came from
	// the case.
	withWorker := func(t *testing.T, hook string) *harness {
		h := inItsDyno(t)
		h.env[envNotify] = hook + "/services/T000/B000/secret-part-of-the-hook"
		return h
	}
	cases := []struct {
		kind string
		do   func(t *testing.T, hook string) result
		code int
		// typ and exit are the event's type and exit status (the job's,
		// or apply's), when it has them.
		typ  string
		exit int
	}{
		{"test", func(t *testing.T, hook string) result {
			return withWorker(t, hook).run("notify", "--test")
		}, 0, "", 0},
		{"scale_down_after_failure", func(t *testing.T, hook string) result {
			h := withWorker(t, hook)
			h.env["SCALER_TEST_JOB"] = "exit:3"
			return h.run(append([]string{"run"}, jobArgs()...)...)
		}, 3, "worker", 3},
		{"job_timeout", func(t *testing.T, hook string) result {
			h := withWorker(t, hook)
			h.env["SCALER_TEST_JOB"] = "wait"
			return h.run(append([]string{"run", "--timeout", "100ms"}, jobArgs()...)...)
		}, 124, "worker", 124},
		{"job_failed_at_start", func(t *testing.T, hook string) result {
			return withWorker(t, hook).run("run", "--", "/no/such/job")
		}, 127, "worker", 127},
		{"scale_down_failing", func(t *testing.T, hook string) result {
			h := withWorker(t, hook)
			h.em.Inject(emulatortest.Fault{Method: "PATCH", Status: 503, ID: "service_unavailable", Message: "down"})
			h.env["SCALER_TEST_JOB"] = "exit:0"
			// The third failed attempt is news: the pauses between are 1 s
			// and 2 s, and each attempt may be slow on a loaded machine.
			return h.run(append([]string{"run", "--finish-timeout", "10s"}, jobArgs()...)...)
		}, 1, "worker", 0},
		{"apply_failed", func(t *testing.T, hook string) result {
			h := withWorker(t, hook)
			h.env[envSchedule] = "worker default 0"
			h.em.Inject(emulatortest.Fault{Status: 401, ID: "unauthorized", Message: "Invalid credentials provided."})
			return h.run("apply")
		}, 3, "", 3},
		{"window_missed", func(t *testing.T, hook string) result {
			h, clock := onceHarness(t, false)
			h.env[envNotify] = hook + "/hook"
			return h.applyAt(clock, at("05:15")) // the run after the interval of the close (05:00-05:10)
		}, 0, "nightly", 0},
		{"restart_missed", func(t *testing.T, hook string) result {
			h, clock := restartHarness(t)
			h.env[envNotify] = hook + "/hook"
			return h.applyAt(clock, at("01:45"))
		}, 0, "worker", 0},
		{"missed_edge_healed", func(t *testing.T, hook string) result {
			h, clock := keepHarness(t)
			h.env[envNotify] = hook + "/hook"
			return h.applyAt(clock, berlin("2026-11-23T08:25"))
		}, 0, "web", 0},
		{"change_kept_long", func(t *testing.T, hook string) result {
			h, clock := keepHarness(t)
			h.env[envNotify] = hook + "/hook"
			h.env[envSchedule] = "timezone Europe/Berlin; web Sat,Sun 2; web default 1"
			h.applyAt(clock, berlin("2026-11-28T00:05")) // Saturday: web to 2, on time
			clock.set(berlin("2026-11-28T01:00"))
			h.em.SetQuantity("demo", "web", 5)                  // a person
			return h.applyAt(clock, berlin("2026-11-29T01:15")) // the run after the interval of the day's age (01:00-01:10)
		}, 0, "web", 0},
	}
	for _, c := range cases {
		t.Run(c.kind, func(t *testing.T) {
			t.Parallel()
			rcv := newReceiver(t)
			r := c.do(t, rcv.URL)
			if r.code != c.code {
				t.Errorf("exit %d, want %d:\n%s", r.code, c.code, r)
			}
			events := rcv.events()
			e, ok := events[c.kind]
			if !ok || len(events) != 1 {
				t.Fatalf("received %d kinds of event, want one %s:\n%s\nscaler:\n%s", len(events), c.kind, rcv.all(), r)
			}
			text, _ := e["text"].(string)
			action, _ := e["action"].(string)
			detail, _ := e["detail"].(string)
			if e["app"] != "demo" || !strings.Contains(text, "demo") || action == "" || !strings.Contains(text, action) {
				t.Errorf("the %s notification does not name the app and say what to do: %v", c.kind, e)
			}
			if c.kind != "test" && (detail == "" || !strings.Contains(text, detail)) {
				t.Errorf("the %s notification does not say what happened: %v", c.kind, e)
			}
			if typ, _ := e["type"].(string); typ != c.typ || !strings.Contains(text, c.typ) {
				t.Errorf("the %s notification's type is %q, want %q, named in its text: %v", c.kind, typ, c.typ, e)
			}
			if code, _ := e["exit_code"].(float64); int(code) != c.exit {
				t.Errorf("the %s notification's exit_code is %v, want %d: %v", c.kind, e["exit_code"], c.exit, e)
			}
			if body := rcv.all(); strings.Contains(body, testToken) || strings.Contains(body, "secret-part-of-the-hook") {
				t.Errorf("a notification holds a secret:\n%s", body)
			}
		})
	}
}

// check says whether the webhook is set and well-formed, and sends it
// nothing.
func TestCheckReportsTheWebhookWithoutSending(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	for _, tt := range []struct{ url, say string }{
		{"", "not set"},
		{rcv.URL + "/services/T000/B000/secret", "ok    notify"},
		{"http://hooks.example.com/services/x", "fail  notify"},
	} {
		h := newHarness(t, demoConfig())
		if tt.url != "" {
			h.env[envNotify] = tt.url
		}
		r := h.run("check")
		if !strings.Contains(r.stdout, tt.say) || strings.Contains(r.stdout+r.stderr, "/services/") {
			t.Errorf("check with %s=%q does not say %q, or shows the URL's path:\n%s", envNotify, tt.url, tt.say, r)
		}
	}
	if body := rcv.all(); body != "" {
		t.Errorf("check sent the webhook:\n%s", body)
	}
}

// A webhook that fails or hangs changes neither what scaler does nor its
// exit code, and holds it up a few seconds at most.
func TestNotificationFailureChangesNothing(t *testing.T) {
	t.Parallel()
	for _, status := range []int{500, 404} {
		rcv := newReceiver(t)
		rcv.status = status
		h, clock := onceHarness(t, false)
		h.env[envNotify] = rcv.URL + "/hook"
		began := time.Now()
		r := h.applyAt(clock, at("05:15"))
		if r.code != 0 || !strings.Contains(r.stderr, `msg="notify failed"`) || time.Since(began) > 10*time.Second {
			t.Errorf("a webhook answering %d: exit %d after %v:\n%s", status, r.code, time.Since(began), r)
		}
	}
	// run: a failed job's scale-down is notified; the webhook fails; the
	// exit is still the job's, and the type is at 0.
	rcv := newReceiver(t)
	rcv.status = 500
	h := inItsDyno(t)
	h.env[envNotify] = rcv.URL + "/hook"
	h.env["SCALER_TEST_JOB"] = "exit:3"
	if r := h.run(append([]string{"run"}, jobArgs()...)...); r.code != 3 || h.em.Quantity("demo", "worker") != 0 || !strings.Contains(r.stderr, `msg="notify failed"`) {
		t.Errorf("run, with a webhook answering 500: exit %d, worker %d; want 3 and 0:\n%s", r.code, h.em.Quantity("demo", "worker"), r)
	}
	// notify --test, whose whole point the notification is: its failure is
	// the command's, said once.
	if r := h.run("notify", "--test"); r.code != 1 || strings.Count(r.stderr, "level=") != 1 || !strings.Contains(r.stderr, "level=error") {
		t.Errorf("notify --test to a webhook answering 500: want exit 1 and one error line:\n%s", r)
	}
}

// notify --test to a webhook that does not answer in time: the hint is the
// webhook's, never the API's (which notify does not reach), even where
// HEROKU_API_URL names an API.
func TestNotifyTestTimeoutBlamesTheWebhook(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) }) // first: the receiver gives up too
	h := inItsDyno(t)
	h.env[envNotify] = hang.URL + "/hook"
	r := h.run("notify", "--test", "--timeout", "500ms")
	if r.code != 1 || !strings.Contains(r.stderr, `hint="the webhook in SCALER_NOTIFY_URL did not take the notification`) || strings.Contains(r.stderr, "no answer from") {
		t.Errorf("want exit 1 and the webhook's hint:\n%s", r)
	}
}

// A notification setting never changes what scaler does: with a
// SCALER_NOTIFY_URL that cannot be used, run still runs its job and apply
// still applies, each saying once, at error level, why notifications are
// off; check fails on it, and so does notify --test, whose whole point it is.
func TestUnusableWebhookTurnsNotificationsOff(t *testing.T) {
	t.Parallel()
	const bad = "http://hooks.example.com/services/x"
	offOnce := func(t *testing.T, r result) {
		t.Helper()
		// Beside the job's own failure, which run says at error level too.
		n := strings.Count(r.stderr, "level=error") - strings.Count(r.stderr, `level=error msg="job failed"`)
		if n != 1 || !strings.Contains(r.stderr, `level=error msg="notifications off"`) {
			t.Errorf("want one error line, notifications off; got %d:\n%s", n, r)
		}
		if !strings.Contains(r.stderr, `must use https`) && !strings.Contains(r.stderr, "plain http") {
			t.Errorf("the error does not say why the URL cannot be used:\n%s", r)
		}
		if strings.Contains(r.stdout+r.stderr, "/services/x") {
			t.Errorf("the URL's path is shown:\n%s", r)
		}
	}
	t.Run("apply", func(t *testing.T) {
		h := newHarness(t, demoConfig())
		h.env[envNotify] = bad
		h.env[envSchedule] = "worker default 1"
		r := h.run("apply")
		if r.code != 0 || h.em.Quantity("demo", "worker") != 1 {
			t.Errorf("apply with an unusable webhook: exit %d, worker %d; want 0 and 1:\n%s", r.code, h.em.Quantity("demo", "worker"), r)
		}
		offOnce(t, r)
	})
	t.Run("run", func(t *testing.T) {
		h := inItsDyno(t)
		h.env[envNotify] = bad
		h.env["SCALER_TEST_JOB"] = "exit:3"
		r := h.run(append([]string{"run"}, jobArgs()...)...)
		if r.code != 3 || h.em.Quantity("demo", "worker") != 0 {
			t.Errorf("run with an unusable webhook: exit %d, worker %d; want the job's 3, and 0:\n%s", r.code, h.em.Quantity("demo", "worker"), r)
		}
		offOnce(t, r)
	})
	t.Run("check", func(t *testing.T) {
		h := newHarness(t, demoConfig())
		h.env[envNotify] = bad
		if r := h.run("check"); r.code != 2 || !strings.Contains(r.stdout, "fail  notify") || len(h.em.Requests()) != 0 {
			t.Errorf("check with an unusable webhook:\n%s", r)
		}
	})
	t.Run("notify --test", func(t *testing.T) {
		h := newHarness(t, demoConfig())
		h.env[envNotify] = bad
		if r := h.run("notify", "--test"); r.code != 2 || strings.Count(r.stderr, "level=error") != 1 || strings.Contains(r.stderr, "/services/x") {
			t.Errorf("notify --test with an unusable webhook:\n%s", r)
		}
	})
}

// kinds counts the events received, by kind.
func (r *receiver) kinds() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for _, b := range r.bodies {
		kind, _ := b["event"].(string)
		out[kind]++
	}
	return out
}

// A person reads each post: over a weekend of applies every 10 minutes (in
// process, on clocks the test moves), a change kept against the schedule
// is posted once a day, not by every apply (after a day, 144 a day), and a
// window whose every Scheduler run was skipped by the one apply whose
// interval holds its close; nothing else.
func TestNotificationsOncePerCondition(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	h, clock := keepHarness(t)
	h.dyno = clock.Now
	h.env[envNotify] = rcv.URL + "/hook"
	h.env[envSchedule] = officeWeb + "; worker daily 02:00-03:00 once"
	start := berlin("2026-11-28T00:05") // a Saturday
	for now := start; !now.After(berlin("2026-11-30T08:05")); now = now.Add(10 * time.Minute) {
		clock.set(now)
		if now.Equal(berlin("2026-11-28T10:05")) {
			h.em.SetQuantity("demo", "web", 5) // a person
		}
		if now.Weekday() == time.Sunday && now.Hour() == 2 {
			continue // Scheduler skips every run of Sunday's window
		}
		if r := h.run("apply"); r.code != 0 {
			t.Fatalf("apply at %v:\n%s", now, r)
		}
		if h.em.Quantity("demo", "worker") == 1 {
			clock.set(now.Add(50 * time.Second)) // the job's run
			h.em.SetQuantity("demo", "worker", 0)
		}
	}
	if got, want := fmt.Sprint(rcv.kinds()), fmt.Sprint(map[string]int{"change_kept_long": 1, "window_missed": 1}); got != want {
		t.Errorf("posts %s, want %s:\n%s", got, want, rcv.all())
	}
	if h.em.Quantity("demo", "web") != 3 {
		t.Errorf("on Monday at 08:05, the schedule did not take over again: web %d", h.em.Quantity("demo", "web"))
	}
	// The words a person reads: when the schedule takes over, in the rule's
	// zone, and what it will do.
	if body := rcv.all(); !strings.Contains(body, "the schedule takes over again at Mon 2026-11-30 08:00 CET (line 2: 3 dynos)") ||
		!strings.Contains(body, "the window from Sun 2026-11-29 02:00 CET to 03:00 CET (line 4: worker daily 02:00-03:00 once) closed") {
		t.Errorf("posts:\n%s", body)
	}
}
