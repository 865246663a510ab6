package main

// Writes under concurrent writers and lost answers: a command that exits 0
// applied its change exactly once; no change is ever applied twice; where
// the outcome cannot be proven, the command exits 1 and says the change may
// or may not have landed. Each case runs with a platform that honours
// If-Match and with one that ignores it (which the formation endpoints do
// is unconfirmed).

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scalerdev/scaler/platform/emulator"
	"github.com/scalerdev/scaler/platform/emulator/emulatortest"
)

// requestIDs records the Request-Id of every request one client sends, so
// that the emulator's record tells its writes from other clients'.
type requestIDs struct {
	mu  sync.Mutex
	ids map[string]bool
}

func (r *requestIDs) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	if r.ids == nil {
		r.ids = map[string]bool{}
	}
	r.ids[req.Header.Get("Request-Id")] = true
	r.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

// applied counts the requests of this client that changed the emulator's
// state.
func (r *requestIDs) applied(em *emulatortest.Emulator) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, req := range em.Requests() {
		if req.Applied && r.ids[req.RequestID] {
			n++
		}
	}
	return n
}

func TestWritesUnderLostAnswersAndOtherWriters(t *testing.T) {
	t.Parallel()
	// other is another client of the API, writing while scaler's request
	// is under way (the fault's During runs at that moment).
	other := func(h *harness, spec string) func() {
		return func() {
			var stdout, stderr syncBuffer
			a := h.app(&stdout, &stderr)
			a.Transport = nil // not scaler's requests
			if code := a.Main(h.t.Context(), []string{"scaler", "scale", spec}); code != 0 {
				h.t.Errorf("the other client's scale %s: exit %d\n%s", spec, code, stderr.String())
			}
		}
	}
	tests := []struct {
		name string
		// frozen stops the emulator's clock in the second the formation
		// was last changed: the worst case for one-second timestamps.
		frozen bool
		start  int // web's quantity
		fault  func(h *harness) emulatortest.Fault
		spec   string
		code   int
		web    int
		ours   int    // writes of scaler's that changed the state
		say    string // in stderr
	}{
		{
			name: "the answer is lost after the write landed", start: 1, spec: "web+1",
			fault: func(h *harness) emulatortest.Fault {
				return emulatortest.Fault{Method: "PATCH", Times: 1, After: true, Status: 503, ID: "service_unavailable", Message: "lost"}
			},
			code: 1, web: 2, ours: 1, say: "may or may not have landed",
		},
		{
			name: "answered 503 and never landed: sent again", start: 1, spec: "web+1",
			fault: func(h *harness) emulatortest.Fault {
				return emulatortest.Fault{Method: "PATCH", Times: 1, Status: 503, ID: "service_unavailable", Message: "lost"}
			},
			code: 0, web: 2, ours: 1,
		},
		{
			// The lost update: the read-back finds the planned quantity,
			// but it is the other client's +1.
			name: "answered 503 and never landed, while another client's +1 landed", start: 1, spec: "web+1",
			fault: func(h *harness) emulatortest.Fault {
				return emulatortest.Fault{Method: "PATCH", Times: 1, Status: 503, ID: "service_unavailable", Message: "lost", During: other(h, "web+1")}
			},
			code: 1, web: 2, ours: 0, say: "may or may not have landed",
		},
		{
			// Applied twice: the write landed, its answer was lost, and
			// another client's -1 in the same second put the quantity and
			// updated_at back as they were.
			name: "landed, answer lost, another client's -1 in the same second", frozen: true, start: 1, spec: "web+1",
			fault: func(h *harness) emulatortest.Fault {
				return emulatortest.Fault{Method: "PATCH", Times: 1, After: true, Reset: true, During: other(h, "web-1")}
			},
			code: 1, web: 1, ours: 1, say: "may or may not have landed",
		},
		{
			name: "landed, answer lost, another client's -1 a second later", start: 1, spec: "web+1",
			fault: func(h *harness) emulatortest.Fault {
				return emulatortest.Fault{Method: "PATCH", Times: 1, After: true, Reset: true, During: other(h, "web-1")}
			},
			code: 1, web: 1, ours: 1, say: "may or may not have landed",
		},
		{
			// Another client writes between scaler's read and its write.
			name: "another client's +1 between the read and the write: both count", start: 1, spec: "web+1",
			fault: func(h *harness) emulatortest.Fault {
				return emulatortest.Fault{Method: "PATCH", Times: 1, During: other(h, "web+1")}
			},
			code: 0, web: 3, ours: 1,
		},
		{
			// Sent as =0 from the read, it would erase the other's +10.
			name: "a relative spec below zero, with another client's +10 in between", start: 2, spec: "web-5",
			fault: func(h *harness) emulatortest.Fault {
				return emulatortest.Fault{Method: "PATCH", Times: 1, During: other(h, "web+10")}
			},
			code: 0, web: 7, ours: 1,
		},
	}
	for _, ignore := range []bool{false, true} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s, If-Match ignored: %v", tt.name, ignore), func(t *testing.T) {
				cfg := demoConfig()
				cfg.IgnoreIfMatch = ignore
				cfg.Apps[0].Formation[0].Quantity = tt.start
				if tt.frozen {
					at := time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC)
					cfg.Now = func() time.Time { return at }
				}
				h := newHarness(t, cfg)
				if tt.frozen {
					h.em.SetQuantity("demo", "web", tt.start) // changed in the frozen second
				}
				mine := &requestIDs{}
				h.transport = mine
				h.em.Inject(tt.fault(h))
				r := h.run("scale", tt.spec)
				if r.code != tt.code || h.em.Quantity("demo", "web") != tt.web || !strings.Contains(r.stderr, tt.say) {
					t.Errorf("exit %d, web %d; want %d, %d, saying %q:\n%s", r.code, h.em.Quantity("demo", "web"), tt.code, tt.web, tt.say, r)
				}
				if n := mine.applied(h.em); n != tt.ours {
					t.Errorf("scaler's change landed %d times, want %d:\n%s", n, tt.ours, r)
				}
			})
		}
	}
}

// chaos stands in front of the emulator, for clients that each reach it
// under their own path prefix (/c3/apps/...). It notes which client sent
// each request (by its Request-Id), and, for a share of requests chosen by
// a seeded random source, fails them: a 503 before the request reaches the
// API, or after the API carried it out (the answer is lost), or a
// connection reset before or after.
type chaos struct {
	next http.Handler
	p    float64
	// down, when set and true, fails every request with a 503: the API is
	// down.
	down func() bool

	mu     sync.Mutex
	rng    *rand.Rand
	client map[string]string // Request-Id -> client
	faults int               // requests failed
}

// failed returns how many requests the faults failed.
func (c *chaos) failed() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.faults
}

func (c *chaos) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	client, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	r.URL.Path, r.URL.RawPath = "/"+rest, ""
	c.mu.Lock()
	c.client[r.Header.Get("Request-Id")] = client
	fault := -1
	if c.rng.Float64() < c.p {
		fault = c.rng.IntN(4)
	}
	if c.down != nil && c.down() {
		fault = 0
	}
	if fault >= 0 {
		c.faults++
	}
	c.mu.Unlock()
	switch fault {
	case 0: // 503 before
		w.WriteHeader(http.StatusServiceUnavailable)
	case 1: // reset before
		hangUp(w)
	case 2, 3: // carried out, then the answer is lost
		c.next.ServeHTTP(httptest.NewRecorder(), r)
		if fault == 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
		} else {
			hangUp(w)
		}
	default:
		c.next.ServeHTTP(w, r)
	}
}

// applied counts, per client, the requests that changed the state.
func (c *chaos) applied(em *emulatortest.Emulator) map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := map[string]int{}
	for _, r := range em.Requests() {
		if r.Applied {
			n[c.client[r.RequestID]]++
		}
	}
	return n
}

func hangUp(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

// Many scaler processes scale one type by relative specs at once, over
// many seeds of random faults. Whatever the interleaving: a command that
// exits 0 applied its change exactly once; none applied it twice; one that
// failed without saying its change may have landed applied nothing; and the
// final quantity is the start plus what landed. Without faults, every
// change counts.
func TestConcurrentRelativeWritersWithRandomFaults(t *testing.T) {
	t.Parallel()
	const clients, seeds, start = 8, 12, 20
	for _, ignore := range []bool{false, true} {
		for seed := range seeds {
			p := 0.25
			if seed == 0 {
				p = 0 // without faults
			}
			t.Run(fmt.Sprintf("If-Match ignored %v, seed %d", ignore, seed), func(t *testing.T) {
				t.Parallel()
				// Every answer takes 25ms, so that the clients' reads and
				// writes interleave.
				em, err := emulatortest.New(emulator.Config{Token: testToken, IgnoreIfMatch: ignore, Latency: 25 * time.Millisecond,
					Apps: []emulator.App{{Name: "demo", Formation: []emulator.Process{{Type: "worker", Quantity: start}}}}})
				if err != nil {
					t.Fatal(err)
				}
				front := &chaos{next: em, p: p, rng: rand.New(rand.NewPCG(uint64(seed), 9)), client: map[string]string{}}
				srv := httptest.NewServer(front)
				t.Cleanup(srv.Close)
				deltas := map[string]int{}
				procs := map[string]*process{}
				for i := range clients {
					name := fmt.Sprintf("c%d", i)
					deltas[name] = []int{1, -1, 2}[i%3]
					env := map[string]string{envToken: testToken, envAPIURL: srv.URL + "/" + name, envApp: "demo"}
					procs[name] = startBinary(t, env, "scale", fmt.Sprintf("worker%+d", deltas[name]))
				}
				results := map[string]result{}
				for name, p := range procs {
					code, out := p.wait(t)
					results[name] = result{code, out, p.stderr.String()}
				}
				landed := front.applied(em)
				want := start
				for name, r := range results {
					n := landed[name]
					want += n * deltas[name]
					switch {
					case n > 1:
						t.Errorf("%s's worker%+d landed %d times (exit %d):\n%s", name, deltas[name], n, r.code, r.stderr)
					case r.code == 0 && n != 1:
						t.Errorf("%s exited 0 but its change landed %d times:\n%s", name, n, r.stderr)
					case r.code != 0 && n == 1 && !strings.Contains(r.stderr, "may or may not have landed"):
						t.Errorf("%s failed (exit %d) without saying its change may have landed, and it did:\n%s", name, r.code, r.stderr)
					case p == 0 && r.code != 0:
						t.Errorf("%s failed without any fault:\n%s", name, r.stderr)
					}
				}
				if got := em.Quantity("demo", "worker"); got != want {
					t.Errorf("worker = %d, want %d: the start plus every change that landed", got, want)
				}
				codes := map[int]int{}
				for _, r := range results {
					codes[r.code]++
				}
				stale := 0
				for _, r := range em.Requests() {
					if r.Status == http.StatusPreconditionFailed {
						stale++
					}
				}
				t.Logf("exit codes %v; %d requests, %d refused as stale", codes, len(em.Requests()), stale)
			})
		}
	}
}
