// Package emulatortest provides the Platform API emulator for tests, as
// net/http/httptest provides an HTTP server: the emulator of package
// emulator, wrapped in a handler that injects faults (5xx bursts, 429s,
// slow answers, resets, lost answers), keeps a record of the requests, and
// counts how many it served at once. Serve it with httptest.NewServer.
//
// Tests and cmd/bench use it; scaler's binary must not import it (a test
// checks), so that none of this ships.
package emulatortest

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net"
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
	reword   func(string) string
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
	// The request is recorded before it is answered, and what became of it
	// before its client can see the answer (or the reset): a client that
	// sees it finds it in the record, and the request no longer in flight.
	var left sync.Once
	leave := func() { left.Do(func() { e.inFlight.Add(-1) }) }
	defer leave()
	i := e.record(r)
	e.serve(&noting{ResponseWriter: w, leave: leave, note: func(status int) {
		e.note(i, func(q *Request) { q.Status = status })
	}}, r, i)
}

// serve answers r, the i-th request of the record, and notes in the record
// whether it changed the state.
func (e *Emulator) serve(w http.ResponseWriter, r *http.Request, i int) {
	f := e.take(r)
	if rw := e.rewording(); f != nil && rw != nil {
		g := *f
		g.Message = rw(f.Message)
		f = &g
	}
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
		if f.strike(w, r, wait, nil) {
			return
		}
	}
	real := &capture{header: http.Header{}}
	e.Emulator.ServeHTTP(real, r)
	if rw := e.rewording(); rw != nil && real.status >= 400 {
		real.reword(rw)
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && real.status/100 == 2 {
		e.note(i, func(q *Request) { q.Applied = true })
	}
	if f != nil && f.After {
		// The request was carried out, and the fault replaces its answer:
		// the client cannot know that its write landed.
		real.stamp(w.Header())
		if f.strike(w, r, f.Delay, real.body.Bytes()) {
			return
		}
	}
	real.send(w)
}

// note changes the i-th request of the record.
func (e *Emulator) note(i int, change func(*Request)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	change(&e.requests[i])
}

// noting is a ResponseWriter that notes the answer's status before the
// answer leaves, and calls leave before a fault flushes it early or hangs
// up (an answer otherwise leaves once the handler returns).
type noting struct {
	http.ResponseWriter
	note  func(status int)
	noted bool
	leave func()
}

func (n *noting) WriteHeader(status int) {
	if !n.noted {
		n.noted = true
		n.note(status)
	}
	n.ResponseWriter.WriteHeader(status)
}

func (n *noting) Write(b []byte) (int, error) {
	if !n.noted {
		n.WriteHeader(http.StatusOK)
	}
	return n.ResponseWriter.Write(b)
}

func (n *noting) FlushError() error {
	n.leave()
	return http.NewResponseController(n.ResponseWriter).Flush()
}

func (n *noting) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	n.leave()
	return http.NewResponseController(n.ResponseWriter).Hijack()
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

// Reword makes every error answer, the emulator's and the faults', say
// reword(message) instead of its message. The words of the platform's
// messages are for people, not a contract: a test that rewords them all
// shows that no decision of the client depends on them.
func (e *Emulator) Reword(reword func(message string) string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.reword = reword
}

func (e *Emulator) rewording() func(string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.reword
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
	// Addressed to loopback, as the emulator requires of every request.
	r := httptest.NewRequest(http.MethodPatch, "http://127.0.0.1/apps/"+url.PathEscape(appName)+"/formation", bytes.NewReader(body))
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

// reword replaces the message of an error answer in Heroku's shape; any
// other body is left as it is.
func (c *capture) reword(rw func(string) string) {
	var shape map[string]any
	if json.Unmarshal(c.body.Bytes(), &shape) != nil {
		return
	}
	message, ok := shape["message"].(string)
	if !ok {
		return
	}
	shape["message"] = rw(message)
	body, err := json.Marshal(shape)
	if err != nil {
		return
	}
	c.body.Reset()
	c.body.Write(append(body, '\n'))
	c.header.Del("Content-Length")
}

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

// send passes the answer on to w, if the emulator gave one (its client
// may have gone away meanwhile).
func (c *capture) send(w http.ResponseWriter) {
	if c.status == 0 {
		return
	}
	for k, v := range c.header {
		w.Header()[k] = v
	}
	w.WriteHeader(c.status)
	w.Write(c.body.Bytes())
}
