package emulatortest_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"

	"github.com/scalerdev/scaler/platform/emulator"
	"github.com/scalerdev/scaler/platform/emulator/emulatortest"
)

func start(t *testing.T) (*emulatortest.Emulator, string) {
	t.Helper()
	em, err := emulatortest.New(emulator.Config{Apps: []emulator.App{{Name: "demo", Formation: []emulator.Process{{Type: "web", Quantity: 1}, {Type: "worker"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(em)
	t.Cleanup(srv.Close)
	return em, srv.URL
}

// do sends a request as a Platform API client does; it returns the answer,
// or the error of a connection that broke.
func do(t *testing.T, url, method, path, body string) (*http.Response, string, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", emulator.AcceptHeader)
	req.Header.Set("Authorization", "Bearer test-token")
	req.Header.Set("Request-Id", method+" "+path)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

func status(t *testing.T, url, method, path, body string) int {
	t.Helper()
	resp, b, err := do(t, url, method, path, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if !strings.HasPrefix(b, "{") && !strings.HasPrefix(b, "[") {
		t.Errorf("%s %s answered %d with a body that is not JSON: %q", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode
}

func TestFaults(t *testing.T) {
	em, url := start(t)

	// A burst of two 503s, then normal answers.
	em.Inject(emulatortest.Fault{Path: "/apps/demo/formation", Times: 2, Status: 503, ID: "service_unavailable", Message: "down"})
	for i, want := range []int{503, 503, 200} {
		if got := status(t, url, "GET", "/apps/demo/formation", ""); got != want {
			t.Errorf("request %d = %d, want %d", i, got, want)
		}
	}

	// A write that lands but whose answer is lost.
	em.Inject(emulatortest.Fault{Method: "PATCH", Times: 1, After: true, Status: 503, ID: "service_unavailable", Message: "lost"})
	if got := status(t, url, "PATCH", "/apps/demo/formation", `{"updates":[{"type":"worker","quantity":"+1"}]}`); got != 503 {
		t.Errorf("PATCH with a lost answer = %d, want 503", got)
	}
	if got := em.Quantity("demo", "worker"); got != 1 {
		t.Errorf("worker = %d after a landed write, want 1", got)
	}

	// Not JSON at all.
	em.Inject(emulatortest.Fault{Times: 1, Status: 502, Body: emulatortest.HTMLErrorPage})
	if resp, b, err := do(t, url, "GET", "/apps/demo", ""); err != nil || resp.StatusCode != 502 || !strings.HasPrefix(b, "<!DOCTYPE html>") {
		t.Errorf("HTML fault = %v %q", err, b)
	}

	// A reset, and a truncated body.
	// (PATCH, because Go's client resends an idempotent request once when a
	// reused connection breaks.)
	em.Inject(emulatortest.Fault{Times: 1, Reset: true})
	if _, _, err := do(t, url, "PATCH", "/apps/demo/formation", `{}`); err == nil {
		t.Error("reset: the request succeeded")
	}
	em.Inject(emulatortest.Fault{Times: 1, Truncate: true})
	if _, _, err := do(t, url, "GET", "/apps/demo/formation", ""); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated body: err = %v, want unexpected EOF", err)
	}

	// The faults are used up: the API answers normally again.
	if got := status(t, url, "GET", "/apps/demo/formation", ""); got != 200 {
		t.Errorf("after the faults = %d", got)
	}
	if n := len(em.Writes()); n != 2 {
		t.Errorf("writes = %d, want 2", n)
	}
}

// The record has every request as its client saw it: those a fault answered
// before they reached the emulator, and whether a write changed the state
// whatever its client was answered.
func TestRecord(t *testing.T) {
	em, url := start(t)
	em.Inject(emulatortest.Fault{Method: "GET", Times: 1, Status: 503, ID: "service_unavailable", Message: "down"})
	em.Inject(emulatortest.Fault{Method: "PATCH", Times: 1, Status: 503, ID: "service_unavailable", Message: "down"})
	em.Inject(emulatortest.Fault{Method: "PATCH", Times: 1, After: true, Reset: true})
	const up = `{"updates":[{"type":"worker","quantity":"+1"}]}`
	// A fault's own answer carries what every answer of the platform does.
	resp, _, err := do(t, url, "GET", "/apps/demo/formation", "")
	if err != nil || resp.Header.Get("Request-Id") == "" || resp.Header.Get("Date") == "" {
		t.Errorf("a fault's answer: %v, headers %v", err, resp.Header)
	}
	do(t, url, "PATCH", "/apps/demo/formation", up)
	do(t, url, "PATCH", "/apps/demo/formation", up)
	do(t, url, "PATCH", "/apps/demo/formation", `{"updates":[{"type":"clock","quantity":1}]}`)
	do(t, url, "PATCH", "/apps/demo/formation", up)

	type seen struct {
		Method  string
		Status  int
		Applied bool
	}
	want := []seen{
		{"GET", 503, false},   // answered before the emulator
		{"PATCH", 503, false}, // answered before the emulator
		{"PATCH", 0, true},    // carried out, then the connection reset
		{"PATCH", 404, false}, // refused by the emulator
		{"PATCH", 200, true},
	}
	got := em.Requests()
	if len(got) != len(want) {
		t.Fatalf("requests = %+v, want %d", got, len(want))
	}
	for i, r := range got {
		if s := (seen{r.Method, r.Status, r.Applied}); s != want[i] || r.RequestID != r.Method+" "+r.Path || r.At.IsZero() || (r.Method == "PATCH") != (r.Body != "") {
			t.Errorf("request %d = %+v, want %+v", i, r, want[i])
		}
	}
	if n := em.Quantity("demo", "worker"); n != 2 {
		t.Errorf("worker = %d, want 2: two writes applied", n)
	}
	if n := len(em.Writes()); n != 4 {
		t.Errorf("writes = %d, want 4", n)
	}
	if n := em.MaxInFlight(); n != 1 {
		t.Errorf("MaxInFlight = %d after requests one at a time", n)
	}
}

// SetQuantity is another client's write: it changes the formation and its
// dynos, and is not in the record.
func TestSetQuantity(t *testing.T) {
	em, url := start(t)
	if err := em.SetQuantity("demo", "worker", 3); err != nil || em.Quantity("demo", "worker") != 3 {
		t.Errorf("SetQuantity: %v, worker %d", err, em.Quantity("demo", "worker"))
	}
	_, dynos, err := do(t, url, "GET", "/apps/demo/dynos", "")
	if err != nil || strings.Count(dynos, `"type":"worker"`) != 3 {
		t.Errorf("dynos after worker=3: %v %s", err, dynos)
	}
	if err := em.SetQuantity("demo", "clock", 1); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("SetQuantity of an unknown type: %v", err)
	}
	if n := len(em.Requests()); n != 1 {
		t.Errorf("requests = %+v, want only the test's own", em.Requests())
	}
}

// What tests use does not ship: scaler's binary does not import this
// package.
func TestNotInTheBinary(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/scalerdev/scaler/cmd/scaler").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasSuffix(dep, "/emulatortest") {
			t.Errorf("cmd/scaler depends on %s", dep)
		}
	}
}

// Reword changes the message of every error answer, the emulator's and the
// faults', and nothing else: not the status, the id, or a 2xx answer.
func TestReword(t *testing.T) {
	em, url := start(t)
	em.Reword(func(m string) string { return "reworded: " + strings.ToUpper(m) })
	em.Inject(emulatortest.Fault{Path: "/apps/demo/dynos", Status: 503, ID: "service_unavailable", Message: "down", Times: 1})
	for _, tt := range []struct {
		method, path string
		status       int
		body         string
	}{
		{"GET", "/apps/nope/formation", 404, `{"id":"not_found","message":"reworded: COULDN'T FIND THAT APP."}` + "\n"},
		{"GET", "/apps/demo/dynos", 503, `{"id":"service_unavailable","message":"reworded: DOWN"}` + "\n"},
		{"GET", "/nowhere", 404, `{"id":"not_found","message":"reworded: THE REQUESTED API ENDPOINT WAS NOT FOUND. ARE YOU USING THE RIGHT HTTP VERB (I.E. ` + "`GET` VS. `POST`), AND DID YOU SPECIFY YOUR INTENDED VERSION WITH THE `ACCEPT` HEADER?\"}\n"},
	} {
		resp, body, err := do(t, url, tt.method, tt.path, "")
		if err != nil {
			t.Fatalf("%s %s: %v", tt.method, tt.path, err)
		}
		if resp.StatusCode != tt.status || body != tt.body {
			t.Errorf("%s %s = %d %q, want %d %q", tt.method, tt.path, resp.StatusCode, body, tt.status, tt.body)
		}
	}
	if _, body, err := do(t, url, "GET", "/apps/demo/formation", ""); err != nil || strings.Contains(body, "reworded") {
		t.Errorf("GET /apps/demo/formation = %q, %v", body, err)
	}
}
