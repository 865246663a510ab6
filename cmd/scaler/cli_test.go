package main

// The rough edges a newcomer hit in the first ten minutes (issue 12), each
// tried as a new user would.

import (
	"encoding/json"
	"strings"
	"syscall"
	"testing"
)

// With --json, a failure is JSON on stdout too: a program reading stdout
// always gets JSON.
func TestJSONFailure(t *testing.T) {
	h := newHarness(t, demoConfig())
	for _, args := range [][]string{{"up", "worker=x", "--json"}, {"status", "--json", "-a", "nope-app"}} {
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

func TestHelpForACommand(t *testing.T) {
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
	h := newHarness(t, demoConfig())
	if r := h.run("done"); r.code != 2 || !strings.Contains(r.stderr, "e.g. scaler done worker") {
		t.Errorf("scaler done without DYNO:\n%s", r)
	}
}

// An API URL with a path gets the API's 404 for an unknown endpoint: the
// URL is to blame, not the app's name.
func TestAPIURLWithAPath(t *testing.T) {
	h := newHarness(t, demoConfig())
	h.env[envAPIURL] += "/api/"
	r := h.run("status")
	if r.code != 4 || !strings.Contains(r.stderr, "check HEROKU_API_URL") || strings.Contains(r.stderr, "app demo not found") {
		t.Errorf("HEROKU_API_URL with a path:\n%s", r)
	}
}

// The emulator on every address prints a URL that scaler accepts.
func TestEmulatorOnEveryAddressPrintsAUsableURL(t *testing.T) {
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
