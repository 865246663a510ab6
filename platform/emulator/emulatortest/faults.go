package emulatortest

import (
	"cmp"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Fault is a misbehaviour of the API. A fault matches requests by method
// and path; each matching request uses up one of its Times, and the first
// active fault that matches is the one applied.
type Fault struct {
	// Method and Path select the requests; empty matches any.
	Method, Path string
	// Times is how many matching requests the fault affects; 0 means all.
	Times int
	// Skip lets the first Skip matching requests through untouched: a fault
	// that starts in the middle of a command.
	Skip int

	// After carries the request out first and then answers with the fault,
	// so that the client cannot know its write landed.
	After bool
	// Delay holds the answer back; alone, the request then goes on normally.
	Delay time.Duration

	// Status, with ID and Message, answers with a Heroku-shaped error.
	Status      int
	ID, Message string
	// Body answers with these bytes instead (an HTML 502 page), with
	// ContentType (text/html when empty).
	Body, ContentType string
	// Header is added to the answer (Retry-After, RateLimit-Remaining).
	Header map[string]string

	// Reset closes the connection without answering.
	Reset bool
	// Truncate sends the headers and only part of the body, then closes.
	Truncate bool

	// During runs when the fault strikes, after the request was carried out
	// for an After fault: another client acting while this answer is lost.
	During func()

	left int // Times still to go; -1 for unlimited
}

// HTMLErrorPage is what a router in front of the API answers when the API
// is down: not JSON at all.
const HTMLErrorPage = `<!DOCTYPE html>
<html><head><title>Application Error</title></head>
<body><h1>502 Bad Gateway</h1><p>The server returned an invalid or incomplete response.</p></body></html>
`

// Inject adds a fault. Faults are matched in the order they were added.
func (e *Emulator) Inject(f Fault) {
	e.mu.Lock()
	defer e.mu.Unlock()
	f.left = f.Times
	if f.Times == 0 {
		f.left = -1
	}
	e.faults = append(e.faults, &f)
}

// ClearFaults removes every fault.
func (e *Emulator) ClearFaults() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults = nil
}

// take returns the fault that applies to r, using up one of its times.
func (e *Emulator) take(r *http.Request) *Fault {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, f := range e.faults {
		if f.left == 0 || (f.Method != "" && f.Method != r.Method) || (f.Path != "" && f.Path != r.URL.Path) {
			continue
		}
		if f.Skip > 0 {
			f.Skip--
			continue
		}
		if f.left > 0 {
			f.left--
		}
		return f
	}
	return nil
}

// answers reports whether the fault answers the request itself; a
// delay-only fault does not, and the request goes on.
func (f *Fault) answers() bool {
	return f.Reset || f.Truncate || f.Body != "" || f.Status != 0
}

// strike carries out the fault on w, after wait. It reports whether the
// request is done with: answered by the fault, or abandoned by its client
// during the wait. real is the answer the request would have had, for a
// fault applied after it.
func (f *Fault) strike(w http.ResponseWriter, r *http.Request, wait time.Duration, real []byte) bool {
	if f.During != nil {
		f.During()
	}
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return true
		}
	}
	for k, v := range f.Header {
		w.Header().Set(k, v)
	}
	switch {
	case f.Reset:
		hangUp(w, true)
	case f.Truncate:
		body := real
		if len(body) < 2 {
			body = []byte(`[{"app":{"id":"01234567-89ab-cdef-0123-456789abcdef","name":"example"},"quantity":1}]`)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(cmp.Or(f.Status, http.StatusOK))
		w.Write(body[:len(body)/2])
		hangUp(w, false)
	case f.Body != "":
		w.Header().Set("Content-Type", cmp.Or(f.ContentType, "text/html"))
		w.WriteHeader(cmp.Or(f.Status, http.StatusBadGateway))
		io.WriteString(w, f.Body)
	case f.Status != 0:
		body, _ := json.Marshal(map[string]string{"id": f.ID, "message": f.Message})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.Status)
		w.Write(append(body, '\n'))
	default:
		return false
	}
	return true
}

// hangUp drops the connection under w after sending what was written so
// far: with a TCP reset when rst is set, else with a plain close.
func hangUp(w http.ResponseWriter, rst bool) {
	rc := http.NewResponseController(w)
	if !rst {
		rc.Flush()
	}
	conn, _, err := rc.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // HTTP/2: abort the stream instead
	}
	if tcp, ok := conn.(*net.TCPConn); ok && rst {
		tcp.SetLinger(0)
	}
	conn.Close()
}
