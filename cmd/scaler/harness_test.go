package main

import (
	"bytes"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/scalerdev/scaler/platform"
	"github.com/scalerdev/scaler/platform/emulator"
	"github.com/scalerdev/scaler/platform/emulator/emulatortest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testToken is the token every test uses: no output may ever contain it.
const testToken = "HRKU-aaaaaaaa-bbbb-cccc-dddd-test-token-xyz"

// fastRetry keeps fault tests to milliseconds; the policy's shape is the
// default's.
var fastRetry = platform.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 4 * time.Millisecond}

// harness runs the CLI in-process against an emulator served over real
// HTTP on loopback.
type harness struct {
	t   testing.TB
	em  *emulatortest.Emulator
	url string
	env map[string]string
	now time.Time
	// dyno, when set, is the command's clock (the dyno's), which may be
	// skewed from the emulator's (the platform's); now, when set, fixes it.
	dyno func() time.Time
	// finish, when set, bounds run's final scale-down instead of 20s.
	finish time.Duration
	// signals lets a test deliver SIGTERM/SIGINT to the command.
	signals chan os.Signal
	// transport, when set, carries the command's requests.
	transport http.RoundTripper
}

// demoConfig is an app demo with web=1 and worker=0.
func demoConfig() emulator.Config {
	return emulator.Config{Apps: []emulator.App{{Name: "demo", Formation: []emulator.Process{{Type: "web", Quantity: 1}, {Type: "worker"}}}}}
}

func newHarness(t testing.TB, cfg emulator.Config) *harness {
	t.Helper()
	if cfg.Token == "" {
		cfg.Token = testToken
	}
	em, err := emulatortest.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(em)
	t.Cleanup(srv.Close)
	return &harness{
		t: t, em: em, url: srv.URL,
		env:     map[string]string{envToken: testToken, envAPIURL: srv.URL, envApp: "demo"},
		signals: make(chan os.Signal, 4),
	}
}

type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return "exit " + strconv.Itoa(r.code) + "\nstdout:\n" + r.stdout + "stderr:\n" + r.stderr
}

// says reports each of wants that text, what a command or a report (what)
// said, does not contain.
func says(t testing.TB, what, text string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(text, want) {
			t.Errorf("%s does not say %q:\n%s", what, want, text)
		}
	}
}

// wantAll reports a run of command that failed, and each of wants that its
// stdout does not contain.
func wantAll(t testing.TB, command string, r result, wants ...string) {
	t.Helper()
	if r.code != 0 {
		t.Errorf("%s exited %d, want 0:\n%s", command, r.code, r)
	}
	for _, want := range wants {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("%s does not say %q:\n%s", command, want, r)
		}
	}
}

var sigterm os.Signal = syscall.SIGTERM

// syncBuffer is a bytes.Buffer safe for the logger and a reader at once,
// which tells a reader waiting for a word when it comes.
type syncBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed at the next write
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
	return s.buf.Write(p)
}

// waitFor waits until word has been written, or within reports false.
func (s *syncBuffer) waitFor(word string, within time.Duration) bool {
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if strings.Contains(s.buf.String(), word) {
			s.mu.Unlock()
			return true
		}
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			return false
		}
	}
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// app returns the CLI wired to the harness's environment and streams.
func (h *harness) app(stdout, stderr *syncBuffer) *App {
	a := &App{
		Stdin: strings.NewReader(""), Stdout: stdout, Stderr: stderr,
		Getenv: func(k string) string { return h.env[k] },
		// The job sees what scaler sees, over this process's environment
		// (PATH, HOME): SCALER_TEST_JOB selects the job's mode, per test.
		Environ:      h.environ,
		Signals:      h.signals,
		Transport:    h.transport,
		Retry:        fastRetry,
		PollInterval: 5 * time.Millisecond, FinishTimeout: h.finish,
		// No platform stops the dyno of an in-process command unless a
		// test plays its part (stopOnScaleDown): run and done wait briefly.
		StopWait: 100 * time.Millisecond,
		// A short settle period keeps completions quick; the tests of
		// shutdowns set a long one.
		Settle:        50 * time.Millisecond,
		NotifyTimeout: 500 * time.Millisecond,
	}
	switch {
	case !h.now.IsZero():
		a.Now = func() time.Time { return h.now }
	case h.dyno != nil:
		a.Now = h.dyno
	}
	return a
}

// environ is the environment of a job that the harness's command runs:
// this process's, with the harness's own over it.
func (h *harness) environ() []string {
	env := os.Environ()
	for k, v := range h.env {
		env = append(env, k+"="+v)
	}
	return env
}

// run runs `scaler args...` and checks that nothing it printed holds the
// token.
func (h *harness) run(args ...string) result {
	h.t.Helper()
	var stdout, stderr syncBuffer
	code := h.app(&stdout, &stderr).Main(h.t.Context(), append([]string{"scaler"}, args...))
	r := result{code, stdout.String(), stderr.String()}
	if strings.Contains(r.stdout+r.stderr, testToken) {
		h.t.Errorf("scaler %s printed the token:\n%s", strings.Join(args, " "), r)
	}
	return r
}

// stopOnScaleDown plays the platform's part for a command that runs "in" a
// dyno of typ: once typ is at 0, it sends the command SIGTERM, as Heroku
// does to every process of a dyno whose type was scaled away.
func (h *harness) stopOnScaleDown(app, typ string) {
	go func() {
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-h.t.Context().Done():
				return
			case <-tick.C:
				if h.em.Quantity(app, typ) == 0 {
					h.signals <- syscall.SIGTERM
					return
				}
			}
		}
	}()
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}
