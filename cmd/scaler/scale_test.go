package main

import (
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scalerdev/scaler/platform/emulator/emulatortest"
)

func TestUpSendsAtMostTwoRequests(t *testing.T) {
	t.Parallel()
	h := newHarness(t, demoConfig())
	r := h.run("up", "worker=1")
	if r.code != 0 {
		t.Fatalf("scaler up worker=1:\n%s", r)
	}
	if got := h.em.Quantity("demo", "worker"); got != 1 {
		t.Errorf("worker = %d, want 1", got)
	}
	if n := len(h.em.Requests()); n != 2 {
		t.Errorf("requests = %d, want 2 (read the formation, one batch)", n)
	}
	if want := "scaled demo: worker 0 -> 1\n"; r.stdout != want {
		t.Errorf("stdout = %q, want %q", r.stdout, want)
	}
	if want := "level=info msg=scaled app=demo type=worker from=0 to=1\n"; r.stderr != want {
		t.Errorf("stderr = %q, want %q", r.stderr, want)
	}

	// The same again: already in state, so no write at all.
	r = h.run("up", "worker=1")
	if r.code != 0 || !strings.Contains(r.stdout, "nothing to change") {
		t.Errorf("second up:\n%s", r)
	}
	if n := len(h.em.Writes()); n != 1 {
		t.Errorf("writes = %d after an up with nothing to change, want 1", n)
	}
}

func TestScaleIsOneBatch(t *testing.T) {
	t.Parallel()
	h := newHarness(t, demoConfig())
	r := h.run("scale", "web+1", "worker=2:STANDARD-2X", "--json")
	if r.code != 0 {
		t.Fatalf("scale:\n%s", r)
	}
	writes := h.em.Writes()
	if len(writes) != 1 {
		t.Fatalf("writes = %+v, want one batch", writes)
	}
	for _, want := range []string{`"type":"web","quantity":"+1"`, `"type":"worker","quantity":2,"size":"Standard-2X"`} {
		if !strings.Contains(writes[0].Body, want) {
			t.Errorf("batch %s does not hold %s", writes[0].Body, want)
		}
	}
	var out planDoc
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("--json output %q: %v", r.stdout, err)
	}
	if len(out.Changes) != 2 || out.Changes[0].Sent != "web+1" || out.Changes[1].ToSize != "Standard-2X" {
		t.Errorf("--json = %+v", out)
	}
	form := h.em.Formation("demo")
	if form[0].Quantity != 2 || form[1].Quantity != 2 || form[1].Size != "Standard-2X" {
		t.Errorf("formation = %+v", form)
	}
}

func TestFlagsBeforeOrAfterSpecs(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"up", "worker=1", "-a", "demo", "--dry-run"},
		{"up", "-a", "demo", "worker=1", "--dry-run"},
		{"up", "--app=demo", "--dry-run", "worker=1"},
		{"up", "--dry-run", "worker=1", "--app", "demo"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			h := newHarness(t, demoConfig())
			delete(h.env, envApp)
			r := h.run(args...)
			if r.code != 0 || !strings.Contains(r.stdout, "would scale demo: worker 0 -> 1") {
				t.Errorf("scaler %s:\n%s", strings.Join(args, " "), r)
			}
			if n := len(h.em.Writes()); n != 0 {
				t.Errorf("a dry run wrote %d times", n)
			}
		})
	}
}

func TestDown(t *testing.T) {
	t.Parallel()
	cfg := demoConfig()
	cfg.Apps[0].Formation[1].Quantity = 2
	h := newHarness(t, cfg)
	h.env[envDyno] = "worker.2"
	if r := h.run("down"); r.code != 0 || h.em.Quantity("demo", "worker") != 0 {
		t.Errorf("down in worker.2:\n%s\nworker = %d", r, h.em.Quantity("demo", "worker"))
	}
	if r := h.run("down", "web", "worker"); r.code != 0 || h.em.Quantity("demo", "web") != 0 {
		t.Errorf("down web worker:\n%s", r)
	}
}

// Whatever is wrong with the input exits 2, quotes the offending text, and
// sends nothing.
func TestBadInputSendsNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"bad quantity", nil, []string{"up", "worker=x"}, `"worker=x"`},
		{"negative", nil, []string{"scale", "worker=-1"}, `"worker=-1"`},
		{"absurd", nil, []string{"scale", "worker=5000"}, "over the platform's limit of 100"},
		{"every bad spec", nil, []string{"scale", "web=x", "worker=1", "clock=?"}, `"clock=?"`},
		{"empty type", nil, []string{"scale", "=1"}, "missing process type"},
		{"duplicate type", nil, []string{"scale", "web=1", "web+1"}, "already changed by"},
		{"release", nil, []string{"scale", "release=1"}, "never scaled"},
		{"bad size", nil, []string{"scale", "web=1:giant"}, `unknown dyno size "giant"`},
		{"up to zero", nil, []string{"up", "worker=0"}, "up starts or adds dynos"},
		{"no spec", nil, []string{"up"}, "no spec given"},
		{"down without a dyno", nil, []string{"down"}, `DYNO is not set (scaler is not in a dyno): name the type, e.g. scaler down worker`},
		{"down in a one-off", map[string]string{envDyno: "run.1234"}, []string{"down"}, `DYNO="run.1234"`},
		{"down in a scheduler dyno", map[string]string{envDyno: "scheduler.42"}, []string{"down"}, `DYNO="scheduler.42"`},
		{"down with a spec", nil, []string{"down", "worker=0"}, `"worker=0": down takes process types`},
		{"no token", map[string]string{envToken: ""}, []string{"up", "worker=1"}, "heroku authorizations:create"},
		{"token with a newline", map[string]string{envToken: testToken + "\nx"}, []string{"up", "worker=1"}, "white space or control characters"},
		{"no app", map[string]string{envApp: ""}, []string{"up", "worker=1"}, "HEROKU_APP or HEROKU_APP_NAME"},
		{"bad app", nil, []string{"up", "worker=1", "-a", "My App"}, `app "My App" (from --app)`},
		{"http elsewhere", map[string]string{envAPIURL: "http://api.example.com"}, []string{"status"}, `refusing API URL "http://api.example.com"`},
		{"unknown flag, like none of up's", nil, []string{"up", "worker=1", "--force"}, "flag --force is not one of up's (see scaler up --help)"},
		{"a flag's start", nil, []string{"up", "worker=1", "--dry"}, "flag --dry is not one of up's: did you mean --dry-run?"},
		{"a flag's typo", nil, []string{"up", "worker=1", "--wiat"}, "flag --wiat is not one of up's: did you mean --wait? (see scaler up --help)"},
		{"a short flag that is not one", nil, []string{"down", "-x"}, "flag -x is not one of down's (see scaler down --help)"},
		{"scaler's own flag's typo", nil, []string{"--verison"}, "flag --verison is not one of scaler's: did you mean --version? (see scaler --help)"},
		{"a value for a switch", nil, []string{"up", "worker=1", "--restart=maybe"}, "--restart=maybe: a switch takes no value, or true or false (see scaler up --help)"},
		{"a flag without its value", nil, []string{"up", "worker=1", "--app"}, "flag --app needs a value"},
		{"a flag that took the spec", nil, []string{"up", "--app", "worker=1"}, `--app took "worker=1" as the app's name`},
		{"flag twice", nil, []string{"up", "worker=1", "-a", "demo", "--app", "other"}, "flag --app given twice"},
		{"zero timeout", nil, []string{"up", "worker=1", "--timeout", "0s"}, "--timeout 0s"},
		{"bad timeout", nil, []string{"up", "worker=1", "--timeout", "soon"}, `--timeout "soon" is not a duration: write it with its unit, such as 30s`},
		{"a duration without its unit", nil, []string{"up", "worker=1", "--timeout", "5"}, `--timeout "5" is not a duration`},
		{"unknown command", nil, []string{"upp", "worker=1"}, `unknown command "upp": did you mean up?`},
		{"a command's typo", nil, []string{"donw", "worker"}, `unknown command "donw": did you mean down?`},
		{"a command like none", nil, []string{"deploy"}, `unknown command "deploy" (see scaler --help)`},
		{"a number that is not one", nil, []string{"emulator", "--rate-limit", "many"}, `--rate-limit "many" is not a number (see scaler emulator --help)`},
		{"the heroku CLI's command", nil, []string{"ps:scale", "worker=1"}, `unknown command "ps:scale": that is the heroku CLI's; scaler's is scale`},
		{"status with arguments", nil, []string{"status", "web"}, `status takes no arguments, got "web"`},
		{"bad log level", map[string]string{envLogLevel: "loud"}, []string{"status"}, `SCALER_LOG_LEVEL="loud"`},
		{"impossible port", map[string]string{envAPIURL: "http://127.0.0.1:99999"}, []string{"status"}, "port 99999 is not a port"},
		{"port 0", map[string]string{envAPIURL: "http://127.0.0.1:0"}, []string{"status"}, "port 0 is not a port"},
		{"no host", map[string]string{envAPIURL: "https://:443"}, []string{"status"}, "has no host"},
		{"help on no such topic", nil, []string{"--help", "nosuch"}, "No help topic for 'nosuch'"},
		{"help on a command, with a word more", nil, []string{"run", "--help", "x"}, "No help topic for 'x'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, demoConfig())
			for k, v := range tt.env {
				h.env[k] = v
			}
			r := h.run(tt.args...)
			if r.code != exitUsage {
				t.Errorf("exit %d, want 2:\n%s", r.code, r)
			}
			if !strings.Contains(r.stderr, tt.want) && !strings.Contains(r.stderr, strings.ReplaceAll(tt.want, `"`, `\"`)) {
				t.Errorf("stderr does not say %s:\n%s", tt.want, r.stderr)
			}
			if n := len(h.em.Requests()); n != 0 {
				t.Errorf("%d requests sent for bad input", n)
			}
		})
	}
}

func TestAPIFailuresMapToExitCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault *emulatortest.Fault
		token string
		args  []string
		code  int
		want  string
	}{
		{"unknown type", nil, "", []string{"up", "wrker=1"}, 4, "app demo has no process type wrker (it has: web, worker)"},
		{"unknown app", nil, "", []string{"up", "worker=1", "-a", "nope"}, 4, "app nope not found"},
		{"401", nil, "HRKU-wrong", []string{"up", "worker=1"}, 3, "heroku authorizations:create"},
		{"403 two_factor", &emulatortest.Fault{Status: 403, ID: "two_factor", Message: "Invalid two-factor code."}, "", []string{"up", "worker=1"}, 3, "cannot give"},
		{"403 forbidden", &emulatortest.Fault{Method: "PATCH", Status: 403, ID: "forbidden", Message: "You do not have access to the app demo."}, "", []string{"up", "worker=1"}, 3, "operate (or manage) permission"},
		{"422 Basic limit", nil, "", []string{"scale", "web=1:basic", "worker=2:basic"}, 1, "Cannot update to more than 1 Basic size dynos per process type."},
		{"429 for ever", &emulatortest.Fault{Status: 429, ID: "rate_limit", Message: "Your account reached the API rate limit"}, "", []string{"up", "worker=1"}, 1, "4500 requests"},
		{"5xx for ever", &emulatortest.Fault{Status: 503, ID: "service_unavailable", Message: "down"}, "", []string{"up", "worker=1"}, 1, "status.heroku.com"},
		{"HTML 502", &emulatortest.Fault{Status: 502, Body: emulatortest.HTMLErrorPage}, "", []string{"status"}, 1, "not JSON"},
		{"an absolute write past the deadline", &emulatortest.Fault{Method: "PATCH", Delay: time.Minute}, "", []string{"up", "worker=1", "--timeout", "300ms"}, 1, "may or may not have landed"},
		{"431: a token too large for the headers", &emulatortest.Fault{Status: 431, ID: "request_header_fields_too_large", Message: "Request Header Fields Too Large"}, "", []string{"status"}, 1, "too large (431): the token in HEROKU_API_KEY is 43 bytes long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, demoConfig())
			if tt.fault != nil {
				h.em.Inject(*tt.fault)
			}
			if tt.token != "" {
				h.env[envToken] = tt.token
			}
			r := h.run(tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, want %d saying %q:\n%s", r.code, tt.code, tt.want, r)
			}
			if tt.token != "" && strings.Contains(r.stdout+r.stderr, tt.token) {
				t.Errorf("the wrong token was printed:\n%s", r)
			}
		})
	}
}

func TestWait(t *testing.T) {
	t.Parallel()
	cfg := demoConfig()
	cfg.BootDelay, cfg.StopDelay = 30*time.Millisecond, 30*time.Millisecond
	h := newHarness(t, cfg)
	r := h.run("up", "worker=2", "--wait")
	if r.code != 0 || !strings.Contains(r.stdout, "demo: worker has 2 dynos up") {
		t.Fatalf("up --wait:\n%s", r)
	}
	// Every dyno is up by the time up --wait returns.
	r = h.run("status", "--json")
	var st statusDoc
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatal(err)
	}
	up := 0
	for _, d := range st.Dynos {
		if d.Type == "worker" && d.State == "up" {
			up++
		}
	}
	if up != 2 {
		t.Errorf("after up --wait, %d workers are up: %+v", up, st.Dynos)
	}
	r = h.run("down", "worker", "--wait")
	if r.code != 0 || !strings.Contains(r.stdout, "demo: worker has no dynos") {
		t.Fatalf("down --wait:\n%s", r)
	}
}

func TestWaitTimesOut(t *testing.T) {
	t.Parallel()
	cfg := demoConfig()
	cfg.BootDelay = time.Hour
	h := newHarness(t, cfg)
	// Time for the write and a first read of the dynos, however loaded the
	// machine: the dynos never come up.
	r := h.run("up", "worker=2", "--wait", "--timeout", "2s")
	if r.code != 1 || !strings.Contains(r.stderr, "the change landed, but the dynos were not ready within --timeout 2s: worker: 0 of 2 up (worker.1 starting, worker.2 starting)") ||
		strings.Contains(r.stderr, "context deadline exceeded") || r.stdout != "scaled demo: worker 0 -> 2\n" {
		t.Errorf("up --wait past its timeout: want what landed, and the timeout said in words:\n%s", r)
	}
	// The wait says how the dynos come, a line each time it changes.
	if !strings.Contains(r.stderr, `level=info msg=waiting app=demo pending="worker: 0 of 2 up (worker.1 starting, worker.2 starting)"`) {
		t.Errorf("the wait is silent:\n%s", r.stderr)
	}
	if h.em.Quantity("demo", "worker") != 2 {
		t.Error("the write did not land before the wait")
	}
	// With --json, stdout is one document: the error, with what landed.
	r = h.run("up", "worker=3", "--wait", "--timeout", "2s", "--json")
	var out struct {
		Error struct {
			Message  string `json:"message"`
			ExitCode int    `json:"exit_code"`
		} `json:"error"`
		Result struct {
			Changes []struct {
				Type     string `json:"type"`
				From, To int
			} `json:"changes"`
		} `json:"result"`
	}
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	if err := dec.Decode(&out); err != nil || dec.More() || r.code != 1 || out.Error.ExitCode != 1 ||
		!strings.Contains(out.Error.Message, "not ready within --timeout") || len(out.Result.Changes) != 1 || out.Result.Changes[0].To != 3 {
		t.Errorf("up --wait --json past its timeout: want one JSON document, the error with what landed (%v):\n%s", err, r)
	}
}

// A signal during --wait stops the wait, not the change, which has landed:
// scaler says what landed and what it did not wait for, and exits 128+N.
func TestSignalStopsAWait(t *testing.T) {
	t.Parallel()
	for sig, code := range map[syscall.Signal]int{syscall.SIGINT: 130, syscall.SIGTERM: 143} {
		cfg := demoConfig()
		cfg.BootDelay = time.Hour
		h := newHarness(t, cfg)
		h.em.Inject(emulatortest.Fault{Method: "GET", Path: "/apps/demo/dynos", Times: 1, During: func() { h.signals <- sig }})
		r := h.run("up", "worker=1", "--wait")
		if r.code != code || r.stdout != "scaled demo: worker 0 -> 1\n" || !strings.Contains(r.stderr, "the change landed, but the wait was stopped (not ready: worker: 0 of 1 up") {
			t.Errorf("%v during up --wait: want exit %d, what landed, and what was not waited for:\n%s", sig, code, r)
		}
	}
}

func TestDebugLogsHaveNoToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t, demoConfig())
	h.env[envLogLevel] = "debug"
	r := h.run("up", "worker=1")
	if r.code != 0 || !strings.Contains(r.stderr, `msg="api request" method=PATCH path=/apps/demo/formation attempt=1`) {
		t.Errorf("debug trace:\n%s", r)
	}
}

// BenchmarkUpInProcess is scaler's own work for `scaler up worker=1` (one
// read, one write, against the emulator on loopback), without the cost of
// starting a process, which cmd/bench measures:
//
//	go test ./cmd/scaler -run '^$' -bench BenchmarkUpInProcess
func BenchmarkUpInProcess(b *testing.B) {
	cfg := demoConfig()
	cfg.RefillPerMinute = 60e6 // no pacing: each run finds the bucket full, as a fresh account would
	h := newHarness(b, cfg)
	for b.Loop() {
		h.em.SetQuantity("demo", "worker", 0)
		if r := h.run("up", "worker=1"); r.code != 0 {
			b.Fatalf("up:\n%s", r)
		}
	}
}
