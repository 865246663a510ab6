package main

// The rough edges a newcomer hit in the first ten minutes (issue 12), each
// tried as a new user would.

import (
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scalerdev/scaler/platform/emulator/emulatortest"
)

// With --json, a failure is JSON on stdout too: a program reading stdout
// always gets JSON.
func TestJSONFailure(t *testing.T) {
	t.Parallel()
	h := newHarness(t, demoConfig())
	for _, args := range [][]string{
		{"up", "worker=x", "--json"}, {"status", "--json", "-a", "nope-app"}, {"status", "-json", "-a", "nope-app"}, {"status", "--json=true", "-a", "nope-app"},
		{"up", "worker=1", "--force", "--json"}, {"up", "worker=1", "--json", "--timeout", "5"},
	} {
		r := h.run(args...)
		var out struct {
			Error struct {
				Message  string `json:"message"`
				ExitCode int    `json:"exit_code"`
			} `json:"error"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || out.Error.ExitCode != r.code || out.Error.Message == "" || r.code == 0 {
			t.Errorf("scaler %v: stdout is not a JSON error (%v):\n%s", args, err, r)
		}
	}
}

// --json is the command's flag, not a word of run's job nor --json=false.
func TestNoJSONUnlessAsked(t *testing.T) {
	t.Parallel()
	h := newHarness(t, demoConfig())
	h.env[envToken] = ""
	for _, args := range [][]string{{"run", "--type", "worker", "--", "echo", "--json"}, {"status", "--json=false"}} {
		if r := h.run(args...); r.code != exitUsage || r.stdout != "" {
			t.Errorf("scaler %v without a token: want exit 2 and nothing on stdout:\n%s", args, r)
		}
	}
}

func TestHelpForACommand(t *testing.T) {
	t.Parallel()
	h := newHarness(t, demoConfig())
	if r := h.run("help", "up"); r.code != 0 || !strings.Contains(r.stdout, "scaler up - start or add dynos") {
		t.Errorf("scaler help up:\n%s", r)
	}
	r := h.run("run", "--help")
	if r.code != 0 || strings.Contains(r.stdout, "(default: none) (default: 0s)") || !strings.Contains(r.stdout, "(default: none)") {
		t.Errorf("scaler run --help shows two defaults for --timeout:\n%s", r.stdout)
	}
}

func TestDoneWithoutADynoSaysHowToNameIt(t *testing.T) {
	t.Parallel()
	h := newHarness(t, demoConfig())
	if r := h.run("done"); r.code != 2 || !strings.Contains(r.stderr, "e.g. scaler done worker") {
		t.Errorf("scaler done without DYNO:\n%s", r)
	}
}

// An API URL with a path gets the API's 404 for an unknown endpoint: the
// URL is to blame, not the app's name.
func TestAPIURLWithAPath(t *testing.T) {
	t.Parallel()
	h := newHarness(t, demoConfig())
	h.env[envAPIURL] += "/api/"
	r := h.run("status")
	if r.code != 4 || !strings.Contains(r.stderr, "check HEROKU_API_URL") || strings.Contains(r.stderr, "app demo not found") {
		t.Errorf("HEROKU_API_URL with a path:\n%s", r)
	}
}

// The emulator on every address prints a URL that scaler accepts.
func TestEmulatorOnEveryAddressPrintsAUsableURL(t *testing.T) {
	t.Parallel()
	p := startBinary(t, nil, "emulator", "--listen", "0.0.0.0:0", "--token", testToken)
	first := p.line(t)
	url, ok := strings.CutPrefix(first, envAPIURL+"=http://127.0.0.1:")
	if !ok {
		t.Fatalf("the emulator printed %q", first)
	}
	r := runBinary(t, map[string]string{envAPIURL: "http://127.0.0.1:" + url, envToken: testToken}, "status", "-a", "demo")
	if r.code != 0 {
		t.Errorf("scaler against the printed URL:\n%s", r)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.wait(t)
}

// A signal during a command that reports its own failures (check's lines,
// apply's apps) still exits 128+N.
func TestSignalDuringAReportingCommand(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		sig  syscall.Signal
		code int
		path string
		args []string
	}{
		{syscall.SIGINT, 130, "/account", []string{"check"}},
		{syscall.SIGTERM, 143, "/apps/other/formation", []string{"apply"}},
	} {
		h := newHarness(t, demoConfig())
		h.env[envSchedule] = "worker default 1; app other; worker default 1"
		h.em.Inject(emulatortest.Fault{Method: "GET", Path: tt.path, Times: 1, Delay: time.Minute, During: func() { h.signals <- tt.sig }})
		if r := h.run(tt.args...); r.code != tt.code {
			t.Errorf("%v during scaler %v: exit %d, want %d:\n%s", tt.sig, tt.args, r.code, tt.code, r)
		}
	}
}
