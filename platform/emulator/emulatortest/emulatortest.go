// Package emulatortest provides the Platform API emulator for tests, as
// net/http/httptest provides an HTTP server: the emulator of package
// emulator, wrapped in a handler that injects faults (5xx bursts, 429s,
// slow answers, resets, lost answers), keeps a record of the requests, and
// counts how many it served at once. Serve it with httptest.NewServer.
//
// Tests and bench/ use it; scaler's binary must not import it (a test
// checks), so that none of this ships.
package emulatortest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scalerdev/scaler/platform/emulator"
)

// Emulator is an emulator.Emulator for tests. It is an http.Handler; the
// emulator's own methods (Quantity, Formation, WaitDynos...) are its own.
type Emulator struct {
	*emulator.Emulator
	token   string // for SetQuantity's requests
	latency time.Duration
	now     func() time.Time

	ids       atomic.Int64 // the Request-Id of the answers faults make
	inFlight  atomic.Int64
	maxFlight atomic.Int64

	mu       sync.Mutex
	faults   []*Fault
	requests []Request
}

// Request is one request the emulator received.
type Request struct {
	Method, Path string
	Body         string
	// At is when the request arrived, by the machine's clock (not Config.Now).
	At time.Time
	// Status is the answer's status; 0 while unanswered, or when the
	// connection was dropped instead.
	Status int
	// RequestID is the request's Request-Id header, which heroku-go sets
	// afresh for each request.
	RequestID string
	// Applied is true when the request changed the state: a write that the
	// emulator carried out and answered 2xx, whatever the client was
	// answered (a fault applied after it replaces the answer).
	Applied bool
}

// New returns an emulator holding cfg's apps, as emulator.New does.
func New(cfg emulator.Config) (*Emulator, error) {
	em, err := emulator.New(cfg)
	if err != nil {
		return nil, err
	}
	e := &Emulator{Emulator: em, token: cmp.Or(cfg.Token, "emulatortest"), latency: cfg.Latency, now: cfg.Now}
	if e.now == nil {
		e.now = time.Now
	}
	return e, nil
}

// ServeHTTP answers one request: with the fault that matches it, if any,
// and else as the emulator does. Every request is recorded, those that a
// fault answers before they reach the emulator included.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for n := e.inFlight.Add(1); ; {
		if m := e.maxFlight.Load(); n <= m || e.maxFlight.CompareAndSwap(m, n) {
			break
		}
	}
	defer e.inFlight.Add(-1)
	// The request is recorded before it is answered, so that a client that
	// sees the answer (or the reset) finds it in the record.
	i := e.record(r)
	var out outcome
	defer func() {
		e.mu.Lock()
		e.requests[i].Status, e.requests[i].Applied = out.status, out.applied
		e.mu.Unlock()
	}()
	e.serve(w, r, &out)
}

// outcome is what the record keeps of an answer.
type outcome struct {
	status  int  // sent to the client; 0 for none
	applied bool // see Request.Applied
}

// serve answers r, and notes in out what became of it.
func (e *Emulator) serve(w http.ResponseWriter, r *http.Request, out *outcome) {
	f := e.take(r)
	if f != nil && !f.After {
		// The fault strikes before the request reaches the emulator. Its
		// answer comes as late as any (Config.Latency), and carries what
		// every answer of the platform carries.
		wait := f.Delay
		if f.answers() {
			wait += e.latency
			w.Header().Set("Request-Id", fmt.Sprintf("emulatortest-%d", e.ids.Add(1)))
			w.Header().Set("Date", e.now().UTC().Format(http.TimeFormat))
		}
		if status, done := f.strike(w, r, wait, nil); done {
			out.status = status
			return
		}
	}
	real := &capture{header: http.Header{}}
	e.Emulator.ServeHTTP(real, r)
	out.applied = r.Method != http.MethodGet && r.Method != http.MethodHead && real.status/100 == 2
	if f != nil && f.After {
		// The request was carried out, and the fault replaces its answer:
		// the client cannot know that its write landed.
		real.stamp(w.Header())
		if status, done := f.strike(w, r, f.Delay, real.body.Bytes()); done {
			out.status = status
			return
		}
	}
	out.status = real.send(w)
}

// record notes the request, and returns its index in the record. It reads
// the body, and puts it back for the emulator.
func (e *Emulator) record(r *http.Request) int {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.requests = append(e.requests, Request{Method: r.Method, Path: r.URL.Path, Body: string(body), At: time.Now(), RequestID: r.Header.Get("Request-Id")})
	return len(e.requests) - 1
}

// Requests returns the requests received so far, oldest first.
func (e *Emulator) Requests() []Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Request(nil), e.requests...)
}

// Writes returns the requests received so far that could change state
// (neither GET nor HEAD), oldest first.
func (e *Emulator) Writes() []Request {
	var w []Request
	for _, r := range e.Requests() {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w = append(w, r)
		}
	}
	return w
}

// MaxInFlight returns the most requests the emulator has served at once.
func (e *Emulator) MaxInFlight() int { return int(e.maxFlight.Load()) }

// SetQuantity sets a process type's quantity as another client of the API
// would: with a formation update of its own, which goes to the emulator
// directly (no fault applies to it, and it is not recorded) and spends one
// request of the account's rate limit. It returns the API's refusal, if
// any.
func (e *Emulator) SetQuantity(appName, typ string, n int) error {
	type update struct {
		Type     string `json:"type"`
		Quantity int    `json:"quantity"`
	}
	body, err := json.Marshal(map[string][]update{"updates": {{typ, n}}})
	if err != nil {
		return err
	}
	r := httptest.NewRequest(http.MethodPatch, "/apps/"+url.PathEscape(appName)+"/formation", bytes.NewReader(body))
	r.Header.Set("Accept", emulator.AcceptHeader)
	r.Header.Set("Authorization", "Bearer "+e.token)
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	e.Emulator.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		return fmt.Errorf("emulatortest: set %s %s=%d: %d %s", appName, typ, n, w.Code, strings.TrimSpace(w.Body.String()))
	}
	return nil
}

// capture holds the emulator's answer, for a fault that may replace it.
type capture struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (c *capture) Header() http.Header { return c.header }

func (c *capture) Write(b []byte) (int, error) {
	c.status = cmp.Or(c.status, http.StatusOK)
	return c.body.Write(b)
}

func (c *capture) WriteHeader(status int) { c.status = cmp.Or(c.status, status) }

// stamp copies to h the headers of the answer that do not describe its
// body (Request-Id, Date, RateLimit-Remaining, Oauth-Scope), for a fault
// that replaces the body.
func (c *capture) stamp(h http.Header) {
	for k, v := range c.header {
		switch k {
		case "Etag", "Content-Type", "Content-Length":
		default:
			h[k] = v
		}
	}
}

// send passes the answer on to w, and returns its status: 0 when the
// emulator gave none (its client went away meanwhile).
func (c *capture) send(w http.ResponseWriter) int {
	if c.status == 0 {
		return 0
	}
	for k, v := range c.header {
		w.Header()[k] = v
	}
	w.WriteHeader(c.status)
	w.Write(c.body.Bytes())
	return c.status
}
