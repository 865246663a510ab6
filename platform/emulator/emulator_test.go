package emulator

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a manual clock: time moves only when a test says so.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func start(t *testing.T, cfg Config) (*Emulator, string) {
	t.Helper()
	em, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(em)
	t.Cleanup(srv.Close)
	return em, srv.URL
}

type herokuError struct {
	ID      string `json:"id"`
	Message string `json:"message"`
}

func wantError(t *testing.T, status int, body []byte, wantStatus int, wantID, wantMessage string) {
	t.Helper()
	var e herokuError
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %q is not Heroku's shape: %v", body, err)
	}
	if status != wantStatus || e.ID != wantID || !strings.Contains(e.Message, wantMessage) {
		t.Errorf("got %d %+v, want %d %s %q", status, e, wantStatus, wantID, wantMessage)
	}
}

func demo() Config {
	return Config{Apps: []App{{Name: "demo", Formation: []Process{{Type: "web", Quantity: 1}, {Type: "worker"}}}}}
}

func TestAcceptAndToken(t *testing.T) {
	cfg := demo()
	cfg.Token = "secret-token"
	_, url := start(t, cfg)

	send := func(accept, auth string) (int, []byte) {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", url+"/apps/demo/formation", nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	status, body := send("application/json", "Bearer secret-token")
	wantError(t, status, body, 406, "not_acceptable", "version=3")
	status, body = send(AcceptHeader, "")
	wantError(t, status, body, 401, "unauthorized", "Invalid credentials")
	status, body = send(AcceptHeader, "Bearer wrong")
	wantError(t, status, body, 401, "unauthorized", "Invalid credentials")
	status, body = send(AcceptHeader, "Basic c2VjcmV0LXRva2Vu")
	wantError(t, status, body, 401, "unauthorized", "Invalid credentials")
	if status, body = send(AcceptHeader, "Bearer secret-token"); status != 200 {
		t.Errorf("with the right token: %d %s", status, body)
	}
}

func TestAnyTokenWhenNoneConfigured(t *testing.T) {
	_, url := start(t, demo())
	if status, body := do(t, url, "GET", "/apps/demo/formation", ""); status != 200 {
		t.Errorf("GET formation = %d %s", status, body)
	}
}

func TestUnknownAppTypeAndPath(t *testing.T) {
	_, url := start(t, demo())
	status, body := do(t, url, "GET", "/apps/nope/formation", "")
	wantError(t, status, body, 404, "not_found", "Couldn't find that app.")
	status, body = do(t, url, "PATCH", "/apps/demo/formation", `{"updates":[{"type":"clock","quantity":1}]}`)
	wantError(t, status, body, 404, "not_found", "Couldn't find that process type (clock).")
	status, body = do(t, url, "PATCH", "/apps/demo/formation/clock", `{"quantity":1}`)
	wantError(t, status, body, 404, "not_found", "Couldn't find that process type (clock).")
	status, body = do(t, url, "POST", "/apps/demo/formation", `{}`)
	wantError(t, status, body, 404, "not_found", "endpoint was not found")
}

func TestQuantitiesAsClientsSendThem(t *testing.T) {
	em, url := start(t, demo())
	steps := []struct {
		body string
		want int
	}{
		{`{"updates":[{"type":"web","quantity":3}]}`, 3},
		{`{"updates":[{"type":"web","quantity":"2"}]}`, 2},
		{`{"updates":[{"type":"web","quantity":"+2"}]}`, 4},
		{`{"updates":[{"type":"web","quantity":"-1"}]}`, 3},
		{`{"updates":[{"type":"web","quantity":"-9"}]}`, 0},
		{`{"updates":[{"type":"web","size":"standard-2x"}]}`, 0},
	}
	for _, s := range steps {
		if status, body := do(t, url, "PATCH", "/apps/demo/formation", s.body); status != 200 {
			t.Fatalf("PATCH %s = %d %s", s.body, status, body)
		}
		if got := em.Quantity("demo", "web"); got != s.want {
			t.Errorf("after %s web = %d, want %d", s.body, got, s.want)
		}
	}
	if got := em.Formation("demo")[0].Size; got != "Standard-2X" {
		t.Errorf("size = %q, want Standard-2X", got)
	}
	for _, bad := range []string{
		`{"updates":[{"type":"web","quantity":"two"}]}`,
		`{"updates":[{"type":"web","quantity":1.5}]}`,
		`{"updates":[{"type":"web","quantity":-1}]}`,
		`{"updates":[{"type":"web","size":"huge"}]}`,
		`{"updates":[]}`,
	} {
		status, body := do(t, url, "PATCH", "/apps/demo/formation", bad)
		wantError(t, status, body, 422, "invalid_params", "")
	}
	status, body := do(t, url, "PATCH", "/apps/demo/formation", `{"updates":[{"type":"web","quantity":1,"color":"red"}]}`)
	wantError(t, status, body, 400, "bad_request", "")
}

func TestBatchIsAllOrNothing(t *testing.T) {
	em, url := start(t, demo())
	status, body := do(t, url, "PATCH", "/apps/demo/formation", `{"updates":[{"type":"worker","quantity":2},{"type":"clock","quantity":1}]}`)
	wantError(t, status, body, 404, "not_found", "(clock)")
	if got := em.Quantity("demo", "worker"); got != 0 {
		t.Errorf("worker = %d after a refused batch, want 0", got)
	}
}

func TestEcoAndBasicLimits(t *testing.T) {
	_, url := start(t, Config{Apps: []App{{Name: "hobby", Formation: []Process{{Type: "web", Quantity: 1, Size: "basic"}, {Type: "worker", Size: "basic"}}}}})
	status, body := do(t, url, "PATCH", "/apps/hobby/formation", `{"updates":[{"type":"web","quantity":2}]}`)
	wantError(t, status, body, 422, "invalid_params", "Cannot update to more than 1 Basic size dynos per process type.")
	status, body = do(t, url, "PATCH", "/apps/hobby/formation", `{"updates":[{"type":"worker","quantity":1,"size":"standard-1x"}]}`)
	wantError(t, status, body, 422, "invalid_params", "Cannot use the following dyno types in the same app: Basic and Standard-1X")
	if status, body = do(t, url, "PATCH", "/apps/hobby/formation", `{"updates":[{"type":"worker","quantity":1}]}`); status != 200 {
		t.Errorf("one Basic worker = %d %s", status, body)
	}
}

func TestUndeployedApp(t *testing.T) {
	_, url := start(t, Config{Apps: []App{{Name: "empty"}}})
	status, body := do(t, url, "PATCH", "/apps/empty/formation", `{"updates":[{"type":"web","quantity":1}]}`)
	wantError(t, status, body, 422, "invalid_params", "App must be deployed before dynos can be scaled.")
}

func TestRateLimit(t *testing.T) {
	clk := newClock()
	cfg := demo()
	cfg.RateLimit, cfg.RefillPerMinute, cfg.Now = 3, 60, clk.Now
	_, url := start(t, cfg)
	remaining := func() string {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", url+"/apps/demo/formation", nil)
		req.Header.Set("Accept", AcceptHeader)
		req.Header.Set("Authorization", "Bearer x")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Status + " " + resp.Header.Get("RateLimit-Remaining")
	}
	for _, want := range []string{"200 OK 2", "200 OK 1", "200 OK 0", "429 Too Many Requests 0"} {
		if got := remaining(); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	// Asking what is left is free, and the bucket refills with time.
	for range 3 {
		if _, body := do(t, url, "GET", "/account/rate-limits", ""); string(body) != "{\"remaining\":0}\n" {
			t.Errorf("rate-limits = %s", body)
		}
	}
	clk.Advance(2 * time.Second)
	if got := remaining(); got != "200 OK 1" {
		t.Errorf("after 2s at 1/s: %q, want 200 OK 1", got)
	}
}

type dynoView struct {
	ID, Name, Type, State, Size, CreatedAt, UpdatedAt string
}

func dynos(t *testing.T, url string) []dynoView {
	t.Helper()
	_, body := do(t, url, "GET", "/apps/demo/dynos", "")
	var list []struct {
		ID        string `json:"id"`
		Name      string `json:"name"`
		Type      string `json:"type"`
		State     string `json:"state"`
		Size      string `json:"size"`
		CreatedAt string `json:"created_at"`
		UpdatedAt string `json:"updated_at"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	var out []dynoView
	for _, d := range list {
		out = append(out, dynoView{d.ID, d.Name, d.Type, d.State, d.Size, d.CreatedAt, d.UpdatedAt})
	}
	return out
}

func names(ds []dynoView) string {
	var s []string
	for _, d := range ds {
		s = append(s, d.Name+":"+d.State)
	}
	return strings.Join(s, " ")
}

func TestDynosBootAndStop(t *testing.T) {
	clk := newClock()
	cfg := demo()
	cfg.Now, cfg.BootDelay, cfg.StopDelay = clk.Now, 10*time.Second, 5*time.Second
	_, url := start(t, cfg)

	if got := names(dynos(t, url)); got != "web.1:up" {
		t.Fatalf("at start: %s, want web.1:up", got)
	}
	do(t, url, "PATCH", "/apps/demo/formation", `{"updates":[{"type":"worker","quantity":3}]}`)
	if got := names(dynos(t, url)); got != "web.1:up worker.1:starting worker.2:starting worker.3:starting" {
		t.Errorf("after scaling up: %s", got)
	}
	clk.Advance(10 * time.Second)
	if got := names(dynos(t, url)); got != "web.1:up worker.1:up worker.2:up worker.3:up" {
		t.Errorf("after the boot delay: %s", got)
	}

	// Scaling down removes the highest-numbered dynos.
	do(t, url, "PATCH", "/apps/demo/formation", `{"updates":[{"type":"worker","quantity":"-2"}]}`)
	if got := names(dynos(t, url)); got != "web.1:up worker.1:up worker.2:down worker.3:down" {
		t.Errorf("while stopping: %s", got)
	}
	clk.Advance(5 * time.Second)
	if got := names(dynos(t, url)); got != "web.1:up worker.1:up" {
		t.Errorf("after the stop delay: %s", got)
	}

	// A size change restarts the type's dynos in the new size.
	do(t, url, "PATCH", "/apps/demo/formation/worker", `{"size":"Standard-2X"}`)
	got := dynos(t, url)
	if names(got) != "web.1:up worker.1:starting" || got[1].Size != "Standard-2X" {
		t.Errorf("after resizing: %+v", got)
	}
}

// startTwoWorkers serves the demo app with two workers, on a manual clock,
// its dynos taking 10 s to boot.
func startTwoWorkers(t *testing.T) (clk *clock, url string) {
	t.Helper()
	clk = newClock()
	cfg := demo()
	cfg.Now, cfg.BootDelay = clk.Now, 10*time.Second
	cfg.Apps[0].Formation[1].Quantity = 2
	_, url = start(t, cfg)
	return clk, url
}

func TestRestartAndStop(t *testing.T) {
	clk, url := startTwoWorkers(t)
	for _, c := range []struct{ method, path, want string }{
		{"DELETE", "/apps/demo/dynos/worker", "web.1:up worker.1:starting worker.2:starting"},
		{"DELETE", "/apps/demo/dynos/web.1", "web.1:starting worker.1:up worker.2:up"},
		{"POST", "/apps/demo/dynos/worker.2/actions/stop", "web.1:up worker.1:up worker.2:starting"},
		{"DELETE", "/apps/demo/dynos", "web.1:starting worker.1:starting worker.2:starting"},
	} {
		if status, body := do(t, url, c.method, c.path, ""); status != 202 {
			t.Fatalf("%s %s = %d %s", c.method, c.path, status, body)
		}
		if got := names(dynos(t, url)); got != c.want {
			t.Errorf("after %s %s: %s, want %s", c.method, c.path, got, c.want)
		}
		clk.Advance(10 * time.Second)
	}
	status, body := do(t, url, "DELETE", "/apps/demo/dynos/clock.1", "")
	wantError(t, status, body, 404, "not_found", "Couldn't find that dyno.")
}

// DELETE /apps/{app}/formations/{type}, with the official CLI's Accept,
// restarts the type's dynos. Without a dyno manager a restart keeps a
// dyno's id and created_at, and renews its updated_at (the side of the
// platform that is unconfirmed).
func TestRestartFormation(t *testing.T) {
	clk, url := startTwoWorkers(t)
	clk.Advance(time.Hour)
	before := dynos(t, url)
	if status, body := doAccept(t, url, SDKAccept, "DELETE", "/apps/demo/formations/worker", ""); status != 202 {
		t.Fatalf("DELETE /apps/demo/formations/worker = %d %s", status, body)
	}
	after := dynos(t, url)
	if got := names(after); got != "web.1:up worker.1:starting worker.2:starting" {
		t.Errorf("after the restart of worker: %s", got)
	}
	for i := range after {
		if after[i].ID != before[i].ID || after[i].CreatedAt != before[i].CreatedAt {
			t.Errorf("%s: id %s created %s, was %s %s", after[i].Name, after[i].ID, after[i].CreatedAt, before[i].ID, before[i].CreatedAt)
		}
		if restarted := after[i].Type == "worker"; restarted != (after[i].UpdatedAt != before[i].UpdatedAt) {
			t.Errorf("%s: updated_at %s, was %s", after[i].Name, after[i].UpdatedAt, before[i].UpdatedAt)
		}
	}
	status, body := do(t, url, "DELETE", "/apps/demo/formations/worker", "")
	wantError(t, status, body, 404, "not_found", "The requested API endpoint was not found. Are you using the right HTTP verb (i.e. `GET` vs. `POST`), and did you specify your intended version with the `Accept` header?")
	status, body = doAccept(t, url, SDKAccept, "DELETE", "/apps/demo/formations/clock", "")
	wantError(t, status, body, 404, "not_found", "Couldn't find that process type (clock).")
}

func TestScope(t *testing.T) {
	cfg := demo()
	cfg.Scope = "read"
	em, url := start(t, cfg)
	if status, body := do(t, url, "GET", "/apps/demo/formation", ""); status != 200 {
		t.Errorf("read with read scope = %d %s", status, body)
	}
	status, body := do(t, url, "PATCH", "/apps/demo/formation", `{"updates":[{"type":"worker","quantity":1}]}`)
	wantError(t, status, body, 403, "forbidden", "scope (read)")
	if em.Quantity("demo", "worker") != 0 {
		t.Error("a refused write changed the formation")
	}
}

func TestParseFormation(t *testing.T) {
	got, err := ParseFormation("web=1, worker=0:basic,clock=100:PERFORMANCE-l")
	if err != nil {
		t.Fatal(err)
	}
	want := []Process{{"web", 1, ""}, {"worker", 0, "Basic"}, {"clock", 100, "Performance-L"}}
	if !slices.Equal(got, want) {
		t.Errorf("ParseFormation = %+v, want %+v", got, want)
	}
	for _, bad := range []string{
		"", "web", "web+1", "web=+1", "web=-1", "web=1,,worker=0", "web=x", "web=", "web=101", "my web=1",
		"web=1:", "web=1:huge", "web=1:hobby", "web=1:dyno-2c-4gb",
	} {
		if _, err := ParseFormation(bad); err == nil {
			t.Errorf("ParseFormation(%q) accepted", bad)
		}
	}
}

// The emulator keeps its own rules for what the API accepts, so that no
// rule of scaler's can be wrong on both sides at once: of the project it
// uses only the domain's Procfile reader (shared on purpose, so that scaler
// check reads a Procfile as the dyno manager does), and nothing else.
func TestOwnRules(t *testing.T) {
	const module = "github.com/scalerdev/scaler/"
	allowed := map[string]bool{"ParseProcfile": true, "ProcfileLine": true}
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, module) && dep != module+"platform/emulator" && dep != module+"scaler" {
			t.Errorf("the emulator depends on %s", dep)
		}
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		local := ""
		for _, imp := range f.Imports {
			if imp.Path.Value == `"`+module+`scaler"` {
				local = "scaler"
				if imp.Name != nil {
					local = imp.Name.Name
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok && local != "" && id.Name == local && !allowed[sel.Sel.Name] {
					t.Errorf("%s: the emulator uses scaler.%s: its rules must be its own", fset.Position(sel.Pos()), sel.Sel.Name)
				}
			}
			return true
		})
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:5000": true, "127.1.2.3:0": true, "localhost:80": true, "[::1]:5000": true,
		"0.0.0.0:5000": false, ":5000": false, "10.0.0.1:5000": false, "example.com:80": false, "nonsense": false,
	} {
		if got := IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}
