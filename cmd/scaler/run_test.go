package main

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/scalerdev/scaler/platform/emulator"
	"github.com/scalerdev/scaler/platform/emulator/emulatortest"
)

// jobArgs is the job that `scaler run` runs in these tests: the scaler
// package's test binary, acting as selected by SCALER_TEST_JOB.
func jobArgs() []string { return []string{"--", jobBinary, "-test.run=^TestHelperProcess$"} }

// runFixture is an emulator in this process, served over HTTP, and the
// environment of a worker dyno that points scaler at it.
type runFixture struct {
	em  *emulatortest.Emulator
	env map[string]string
}

func newRunFixture(t *testing.T, workers int) *runFixture {
	t.Helper()
	em, err := emulatortest.New(emulator.Config{
		Token: testToken,
		Apps:  []emulator.App{{Name: "demo", Formation: []emulator.Process{{Type: "web", Quantity: 1}, {Type: "worker", Quantity: workers}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(em)
	t.Cleanup(srv.Close)
	return &runFixture{em: em, env: map[string]string{
		envAPIURL: srv.URL, envToken: testToken, envApp: "demo", envDyno: "worker.1",
	}}
}

// start runs `scaler run [flags] -- JOB` with the job in the given mode, and
// waits until the job says it is ready.
func (f *runFixture) start(t *testing.T, mode string, flags ...string) *process {
	t.Helper()
	f.env["SCALER_TEST_JOB"] = mode
	p := startBinary(t, f.env, append(append([]string{"run"}, flags...), jobArgs()...)...)
	if p.ready = p.line(t); !strings.HasPrefix(p.ready, "job: ready") {
		t.Fatalf("the job printed %q first", p.ready)
	}
	return p
}

// stopOnScaleDown plays the platform's part after a scale-down: once the
// worker type is at 0, it sends SIGTERM to the scaler process, as Heroku
// does to every process of a dyno whose type was scaled away. (The dyno
// manager of `scaler emulator --procfile` does this for real; these tests
// drive scaler alone.)
func (f *runFixture) stopOnScaleDown(t *testing.T, p *process) {
	t.Helper()
	go func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-t.Context().Done():
				return
			case <-tick.C:
				if f.em.Quantity("demo", "worker") == 0 {
					p.cmd.Process.Signal(syscall.SIGTERM)
					return
				}
			}
		}
	}()
}

func (f *runFixture) finish(t *testing.T, p *process) result {
	t.Helper()
	code, out := p.wait(t)
	r := result{code, out, p.stderr.String()}
	if strings.Contains(r.stdout+r.stderr, testToken) {
		t.Errorf("the token was printed:\n%s", r)
	}
	return r
}

func TestRunCompletionScalesToZero(t *testing.T) {
	t.Parallel()
	for _, status := range []int{0, 3} {
		t.Run("exit "+strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			f := newRunFixture(t, 1)
			p := f.start(t, "exit:"+strconv.Itoa(status))
			f.stopOnScaleDown(t, p)
			r := f.finish(t, p)
			if r.code != status {
				t.Errorf("exit %d, want the job's %d:\n%s", r.code, status, r)
			}
			if q := f.em.Quantity("demo", "worker"); q != 0 {
				t.Errorf("worker = %d after the job completed, want 0", q)
			}
			// It did not exit before the platform stopped its dyno: the
			// platform would have started the job again.
			for _, want := range []string{"level=info msg=scaled app=demo type=worker from=1 to=0", `msg="waiting for the platform to stop the dyno"`, `msg="stop received" signal=TERM`} {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr does not say %s:\n%s", want, r.stderr)
				}
			}
		})
	}
}

// A platform shutdown sends SIGTERM to every process of the dyno at about
// the same moment, in any order: the job first (by up to 500ms), scaler
// first, or both at once. Whatever the job does with it, the formation
// stays as it is, so that Heroku starts the job again. In-process, with a
// settle period of 1.5s: a margin of a second over the widest gap, however
// loaded the machine. (scaler.DefaultSettle's length has tests of its
// own, in the scaler package.)
func TestRunPlatformShutdownInAnyOrder(t *testing.T) {
	t.Parallel()
	behaviours := []struct{ mode, does string }{
		{"hang", "dies of it"},
		{"wait", "exits 0 after cleanup"},
		{"term:143", "exits 143"},
		{"stubborn", "ignores it until SIGKILL"},
	}
	orders := []struct {
		name string
		// first and second are "job" or "scaler"; between is the delay.
		first, second string
		between       time.Duration
	}{
		{"together", "job", "scaler", 0},
		{"the job's 5ms first", "job", "scaler", 5 * time.Millisecond},
		{"the job's 500ms first", "job", "scaler", 500 * time.Millisecond},
		{"scaler's 5ms first", "scaler", "job", 5 * time.Millisecond},
	}
	for _, b := range behaviours {
		for _, o := range orders {
			t.Run(b.does+", "+o.name, func(t *testing.T) {
				t.Parallel()
				cfg := demoConfig()
				cfg.Apps[0].Formation[1].Quantity = 1
				h := newHarness(t, cfg)
				h.env[envDyno] = "worker.1"
				h.env["SCALER_TEST_JOB"] = b.mode
				var stdout, stderr syncBuffer
				app := h.app(&stdout, &stderr)
				app.Settle = 1500 * time.Millisecond
				go func() {
					if !stdout.waitFor("job: ready", time.Minute) {
						return
					}
					_, after, _ := strings.Cut(stdout.String(), " pid=")
					group, err := strconv.Atoi(strings.Fields(after + " ")[0])
					if err != nil {
						t.Errorf("no pid in the job's output %q", stdout.String())
						h.signals <- syscall.SIGTERM
						return
					}
					send := map[string]func(){
						"job":    func() { syscall.Kill(-group, syscall.SIGTERM) },
						"scaler": func() { h.signals <- syscall.SIGTERM },
					}
					send[o.first]()
					time.Sleep(o.between) // the scenario's gap between the two signals, not a synchronisation
					send[o.second]()
				}()
				code := app.Main(t.Context(), append([]string{"scaler", "run", "--grace", "300ms"}, jobArgs()...))
				r := result{code, stdout.String(), stderr.String()}
				if r.code != 143 {
					t.Errorf("exit %d, want 143:\n%s", r.code, r)
				}
				if q := h.em.Quantity("demo", "worker"); q != 1 || len(h.em.Writes()) != 0 {
					t.Errorf("worker = %d after %d writes: a platform shutdown was taken for a completion:\n%s", q, len(h.em.Writes()), r)
				}
				if !strings.Contains(r.stderr, `msg="shutdown before completion"`) {
					t.Errorf("stderr does not say why the formation was kept:\n%s", r.stderr)
				}
			})
		}
	}
}

func TestRunSignalledJobStatus(t *testing.T) {
	t.Parallel()
	f := newRunFixture(t, 1)
	p := f.start(t, "kill-self")
	f.stopOnScaleDown(t, p)
	r := f.finish(t, p)
	if r.code != 137 || f.em.Quantity("demo", "worker") != 0 {
		t.Errorf("a job killed by SIGKILL: exit %d, worker %d; want 137 and 0:\n%s", r.code, f.em.Quantity("demo", "worker"), r)
	}
}

// A stop signal that reaches scaler alone (where the platform signals only
// scaler, or a person does) goes on to the job, and is no completion.
func TestRunShutdownBeforeCompletion(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			f := newRunFixture(t, 1)
			p := f.start(t, "wait", "--forward-signals", "always")
			p.cmd.Process.Signal(sig)
			r := f.finish(t, p)
			name := map[syscall.Signal]string{syscall.SIGTERM: "TERM", syscall.SIGINT: "INT"}[sig]
			if r.code != 128+int(sig) {
				t.Errorf("exit %d, want %d:\n%s", r.code, 128+int(sig), r)
			}
			if !strings.Contains(r.stdout, "job: got "+name) {
				t.Errorf("the job did not get %s:\n%s", name, r)
			}
			if !strings.Contains(r.stderr, `level=warn msg="shutdown before completion" signal=`+name) {
				t.Errorf("no warning:\n%s", r.stderr)
			}
			if q := f.em.Quantity("demo", "worker"); q != 1 || len(f.em.Writes()) != 0 {
				t.Errorf("worker = %d after %d writes: a shutdown must leave the formation alone", q, len(f.em.Writes()))
			}
		})
	}
}

func TestRunStubbornJobIsKilledWithinGrace(t *testing.T) {
	t.Parallel()
	f := newRunFixture(t, 1)
	p := f.start(t, "stubborn", "--grace", "500ms")
	began := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.cmd.Process.Signal(syscall.SIGTERM) // a second SIGTERM during the grace changes nothing
	r := f.finish(t, p)
	took := time.Since(began)
	if r.code != 143 || took < 500*time.Millisecond {
		t.Errorf("exit %d after %v, want 143 after the 500ms grace:\n%s", r.code, took, r)
	}
	if !strings.Contains(r.stderr, `msg="job killed" signal=KILL`) {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	_, pid, _ := strings.Cut(p.ready, "grandchild=")
	pid, _, _ = strings.Cut(pid, " ")
	if n, err := strconv.Atoi(pid); err != nil || syscall.Kill(n, 0) == nil && !zombie(n) {
		t.Errorf("grandchild %q outlived the job", pid)
	}
	if f.em.Quantity("demo", "worker") != 1 {
		t.Error("a shutdown scaled the worker down")
	}
}

func TestRunTimeout(t *testing.T) {
	t.Parallel()
	f := newRunFixture(t, 1)
	f.env["SCALER_TEST_JOB"] = "wait"
	f.env[envLogLevel] = "debug" // the job's own exit status
	p := startBinary(t, f.env, append([]string{"run", "--timeout", "200ms"}, jobArgs()...)...)
	f.stopOnScaleDown(t, p)
	r := f.finish(t, p)
	// SIGTERM ends the job: caught, or by its default action (143) when it
	// came before the job set its handler; never SIGKILL.
	termed := strings.Contains(r.stdout, "job: got TERM") || strings.Contains(r.stderr, `msg="job exited" status=143`)
	if r.code != 124 || !termed || strings.Contains(r.stderr, "job killed") || f.em.Quantity("demo", "worker") != 0 {
		t.Errorf("exit %d, worker %d; want 124, the job stopped with TERM, and 0:\n%s", r.code, f.em.Quantity("demo", "worker"), r)
	}
}

func TestRunKeepOnFailure(t *testing.T) {
	t.Parallel()
	f := newRunFixture(t, 1)
	r := f.finish(t, f.start(t, "exit:3", "--keep-on-failure"))
	if r.code != 3 || f.em.Quantity("demo", "worker") != 1 || len(f.em.Writes()) != 0 {
		t.Errorf("exit %d, worker %d: want 3, and the formation kept:\n%s", r.code, f.em.Quantity("demo", "worker"), r)
	}
	// A success still scales down.
	p := f.start(t, "exit:0", "--keep-on-failure")
	f.stopOnScaleDown(t, p)
	r = f.finish(t, p)
	if r.code != 0 || f.em.Quantity("demo", "worker") != 0 {
		t.Errorf("exit %d, worker %d after a success with --keep-on-failure", r.code, f.em.Quantity("demo", "worker"))
	}
}

func TestRunSeveralDynosOfTheType(t *testing.T) {
	t.Parallel()
	f := newRunFixture(t, 2)
	r := f.finish(t, f.start(t, "exit:0"))
	if r.code != 0 || f.em.Quantity("demo", "worker") != 2 || len(f.em.Writes()) != 0 {
		t.Errorf("exit %d, worker %d: want 0 and the formation left at 2:\n%s", r.code, f.em.Quantity("demo", "worker"), r)
	}
	if !strings.Contains(r.stderr, "level=warn msg=\"formation kept\"") || !strings.Contains(r.stderr, "its own process type") {
		t.Errorf("no warning saying what to do:\n%s", r.stderr)
	}
}

// inItsDyno is the in-process harness of scaler in the dyno worker.1 of
// demo, whose worker type runs that one dyno; the platform stops the dyno
// once worker is at 0.
func inItsDyno(t *testing.T) *harness {
	cfg := demoConfig()
	cfg.Apps[0].Formation[1].Quantity = 1
	h := newHarness(t, cfg)
	h.env[envDyno] = "worker.1"
	h.stopOnScaleDown("demo", "worker")
	return h
}

// After a completed job, run does not exit until its scale-down lands: the
// platform would start the job again. It retries, logging each failure,
// for --finish-timeout; once the platform's SIGTERM has come, only for the
// grace.
func TestRunScaleDownFailures(t *testing.T) {
	t.Parallel()
	down := func(times int) emulatortest.Fault {
		return emulatortest.Fault{Method: "PATCH", Times: times, Status: 503, ID: "service_unavailable", Message: "down"}
	}
	tests := []struct {
		name     string
		fault    emulatortest.Fault
		job      string
		code     int
		worker   int
		attempts int // "scale-down failed" lines, at least
	}{
		{"5xx burst, retried", down(2), "exit:0", 0, 0, 0},
		{"5xx for longer than one attempt, retried until it lands", down(14), "exit:0", 0, 0, 2},
		{"5xx for ever, job succeeded", down(0), "exit:0", 1, 1, 2},
		{"5xx for ever, job failed", down(0), "exit:3", 3, 1, 2},
		{"401 on the write", emulatortest.Fault{Method: "PATCH", Status: 401, ID: "unauthorized", Message: "Invalid credentials provided."}, "exit:0", 1, 1, 2},
		{"answer lost after the write landed", emulatortest.Fault{Method: "PATCH", Times: 1, After: true, Reset: true}, "exit:0", 0, 0, 0},
	}
	// In-process, with fast retries: the retry policy's timing is the
	// platform package's to test.
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := inItsDyno(t)
			h.em.Inject(tt.fault)
			h.env["SCALER_TEST_JOB"] = tt.job
			limit := "30s" // time enough to land, after four attempts or so
			if tt.worker == 1 {
				// Two attempts at least (the pauses between attempts are
				// 1 s, then 2 s), however slow each is on a loaded machine.
				limit = "5s"
			}
			r := h.run(append([]string{"run", "--finish-timeout", limit}, jobArgs()...)...)
			if r.code != tt.code || h.em.Quantity("demo", "worker") != tt.worker {
				t.Errorf("exit %d, worker %d; want %d and %d:\n%s", r.code, h.em.Quantity("demo", "worker"), tt.code, tt.worker, r)
			}
			if n := strings.Count(r.stderr, `level=error msg="scale-down failed"`); n < tt.attempts {
				t.Errorf("%d failed attempts logged, want at least %d:\n%s", n, tt.attempts, r.stderr)
			}
			if tt.worker == 1 && !strings.Contains(r.stderr, "scale worker to 0 after the job") {
				t.Errorf("the failed scale-down is not reported:\n%s", r.stderr)
			}
		})
	}
}

// The platform's SIGTERM while the scale-down keeps failing (a deploy, or
// the stop of a write whose answer was lost): run keeps trying for the
// grace only, then exits before the platform's SIGKILL.
func TestRunStopsRetryingWithinTheGraceAfterSigterm(t *testing.T) {
	t.Parallel()
	cfg := demoConfig()
	cfg.Apps[0].Formation[1].Quantity = 1
	h := newHarness(t, cfg)
	h.env[envDyno] = "worker.1"
	h.em.Inject(emulatortest.Fault{Method: "PATCH", Status: 503, ID: "service_unavailable", Message: "down"})
	h.env["SCALER_TEST_JOB"] = "exit:0"
	var stdout, stderr syncBuffer
	go func() {
		if stderr.waitFor("scale-down failed", time.Minute) {
			h.signals <- syscall.SIGTERM
		}
	}()
	began := time.Now()
	code := h.app(&stdout, &stderr).Main(t.Context(), append([]string{"scaler", "run", "--grace", "500ms", "--finish-timeout", "1m"}, jobArgs()...))
	if took := time.Since(began); code != 1 || took > 30*time.Second {
		t.Errorf("exit %d after %v; want 1, well before --finish-timeout 1m:\n%s", code, took, stderr.String())
	}
	if !strings.Contains(stderr.String(), `msg="stop received" signal=TERM`) {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}

// The SIGTERM that Heroku sends because scaler itself scaled the type to 0
// is expected: scaler exits with the job's status, without alarm.
func TestRunExpectedTermAfterCompletion(t *testing.T) {
	t.Parallel()
	f := newRunFixture(t, 1)
	var p atomic.Pointer[process]
	f.em.Inject(emulatortest.Fault{Method: "PATCH", Times: 1, After: true, Delay: 50 * time.Millisecond,
		During: func() { p.Load().cmd.Process.Signal(syscall.SIGTERM) }})
	f.env["SCALER_TEST_JOB"] = "exit:0"
	p.Store(startBinary(t, f.env, append([]string{"run"}, jobArgs()...)...))
	r := f.finish(t, p.Load())
	if r.code != 0 || f.em.Quantity("demo", "worker") != 0 {
		t.Errorf("exit %d, worker %d:\n%s", r.code, f.em.Quantity("demo", "worker"), r)
	}
	if strings.Contains(r.stderr, "level=warn") || strings.Contains(r.stderr, "level=error") {
		t.Errorf("alarming logs after a completed job:\n%s", r.stderr)
	}
}

func TestRunOutsideAFormationDyno(t *testing.T) {
	t.Parallel()
	for _, dyno := range []string{"", "run.1234", "scheduler.42"} {
		t.Run("DYNO="+dyno, func(t *testing.T) {
			t.Parallel()
			f := newRunFixture(t, 1)
			f.env[envDyno] = dyno
			r := f.finish(t, f.start(t, "exit:0"))
			if r.code != 0 || len(f.em.Requests()) != 0 {
				t.Errorf("exit %d after %d requests, want 0 and none:\n%s", r.code, len(f.em.Requests()), r)
			}
			if strings.Count(r.stderr, "the formation will not be changed") != 1 {
				t.Errorf("it must say once that it will not scale:\n%s", r.stderr)
			}
		})
	}
	// Outside a dyno, --app and --type say what to scale.
	f := newRunFixture(t, 1)
	f.env[envDyno], f.env[envApp] = "", ""
	r := f.finish(t, f.start(t, "exit:0", "--app", "demo", "--type", "worker"))
	if r.code != 0 || f.em.Quantity("demo", "worker") != 0 {
		t.Errorf("run --app demo --type worker: exit %d, worker %d:\n%s", r.code, f.em.Quantity("demo", "worker"), r)
	}
}

// Bad flags exit 2, and the job never starts.
func TestRunBadInputStartsNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"grace of 30s", nil, []string{"--grace", "30s"}, "--grace 30s"},
		{"grace of 0", nil, []string{"--grace", "0s"}, "--grace 0s"},
		{"negative timeout", nil, []string{"--timeout", "-1s"}, "--timeout -1s"},
		{"bad type", nil, []string{"--type", "my type"}, `process type \"my type\"`},
		{"release type", nil, []string{"--type", "release"}, "never scaled"},
		{"no token", map[string]string{envToken: ""}, nil, "heroku authorizations:create"},
		{"plain http elsewhere", map[string]string{envAPIURL: "http://example.com"}, nil, "clear text"},
		{"unknown flag", nil, []string{"--force"}, "flag --force is not one of run's"},
		{"forward-signals sometimes", nil, []string{"--forward-signals", "sometimes"}, `--forward-signals \"sometimes\": want auto, always or never`},
		{"a flag without its value", nil, []string{"--grace"}, "flag --grace needs a value (--grace 30s, 5m)"},
		{"a switch with a value", nil, []string{"--keep-on-failure=maybe"}, "--keep-on-failure=maybe: a switch takes no value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newRunFixture(t, 1)
			for k, v := range tt.env {
				f.env[k] = v
			}
			f.env["SCALER_TEST_JOB"] = "exit:0"
			r := runBinary(t, f.env, append(append([]string{"run"}, tt.args...), jobArgs()...)...)
			if r.code != 2 || strings.Contains(r.stdout, "job: ready") || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("want exit 2 saying %s, and no job:\n%s", tt.want, r)
			}
			if len(f.em.Requests()) != 0 {
				t.Errorf("%d requests sent", len(f.em.Requests()))
			}
		})
	}
	f := newRunFixture(t, 1)
	if r := runBinary(t, f.env, "run"); r.code != 2 || !strings.Contains(r.stderr, "no command to run") {
		t.Errorf("run without a command:\n%s", r)
	}
}

func TestDone(t *testing.T) {
	t.Parallel()
	f := newRunFixture(t, 1)
	p := startBinary(t, f.env, "done")
	f.stopOnScaleDown(t, p)
	r := f.finish(t, p)
	if r.code != 0 || f.em.Quantity("demo", "worker") != 0 || r.stdout != "scaled demo: worker 1 -> 0\n" {
		t.Errorf("done in worker.1: exit %d, worker %d:\n%s", r.code, f.em.Quantity("demo", "worker"), r)
	}
	if !strings.Contains(r.stderr, `msg="stop received" signal=TERM`) {
		t.Errorf("done in worker.1 exited before the platform stopped its dyno:\n%s", r.stderr)
	}
	f = newRunFixture(t, 2)
	if r = runBinary(t, f.env, "done", "worker"); r.code != 0 || f.em.Quantity("demo", "worker") != 2 || !strings.Contains(r.stderr, "formation kept") {
		t.Errorf("done with 2 workers: exit %d, worker %d:\n%s", r.code, f.em.Quantity("demo", "worker"), r)
	}
	if r = runBinary(t, f.env, "done", "worker", "--json"); r.code != 0 || !strings.Contains(r.stdout, `"kept": "worker runs 2 dynos`) || !json.Valid([]byte(r.stdout)) {
		t.Errorf("done --json with 2 workers: want a JSON document that says why nothing changed:\n%s", r)
	}
	f.env[envDyno] = "run.7"
	if r = runBinary(t, f.env, "done"); r.code != 2 || !strings.Contains(r.stderr, "name the type") {
		t.Errorf("done in a one-off dyno without a type:\n%s", r)
	}
	// Another type than its own dyno's: nothing to wait for.
	f = newRunFixture(t, 1)
	f.env[envDyno] = "web.1"
	if r = runBinary(t, f.env, "done", "worker"); r.code != 0 || f.em.Quantity("demo", "worker") != 0 || strings.Contains(r.stderr, "waiting for the platform") {
		t.Errorf("done worker in web.1:\n%s", r)
	}
}

// done stops its own dyno: the platform's SIGTERM, which may come while the
// write's answer is on its way, must not stop it from finishing.
func TestDoneSurvivesItsOwnSigterm(t *testing.T) {
	t.Parallel()
	f := newRunFixture(t, 1)
	var p atomic.Pointer[process]
	f.em.Inject(emulatortest.Fault{Method: "PATCH", Times: 1, After: true, Delay: 100 * time.Millisecond,
		During: func() { p.Load().cmd.Process.Signal(syscall.SIGTERM) }})
	p.Store(startBinary(t, f.env, "done"))
	r := f.finish(t, p.Load())
	if r.code != 0 || f.em.Quantity("demo", "worker") != 0 || !strings.Contains(r.stdout, "scaled demo: worker 1 -> 0") {
		t.Errorf("exit %d, worker %d:\n%s", r.code, f.em.Quantity("demo", "worker"), r)
	}
}

func TestUpRestart(t *testing.T) {
	t.Parallel()
	cfg := demoConfig()
	cfg.Apps[0].Formation[1].Quantity = 1
	h := newHarness(t, cfg)
	r := h.run("up", "worker=1", "--restart")
	if r.code != 0 || !strings.Contains(r.stdout, "restarted demo: worker") {
		t.Errorf("up --restart of a running worker:\n%s", r)
	}
	writes := h.em.Writes()
	if len(writes) != 1 || writes[0].Method != "DELETE" || writes[0].Path != "/apps/demo/formations/worker" {
		t.Errorf("writes = %+v, want one restart of worker", writes)
	}
	// A type that starts from zero starts fresh: nothing to restart.
	h.em.SetQuantity("demo", "worker", 0)
	r = h.run("up", "worker=1", "--restart")
	if r.code != 0 || strings.Contains(r.stdout, "restarted") || len(h.em.Writes()) != 2 {
		t.Errorf("up --restart from zero:\n%s", r)
	}
}

// zombie reports whether a process has exited and waits to be reaped by
// its new parent.
func zombie(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	_, rest, _ := strings.Cut(string(stat), ") ")
	return err != nil || strings.HasPrefix(rest, "Z")
}

// A person's Ctrl-C stops done; the platform's SIGTERM does not.
func TestDoneStopsOnInterrupt(t *testing.T) {
	t.Parallel()
	cfg := demoConfig()
	cfg.Apps[0].Formation[1].Quantity = 1
	h := newHarness(t, cfg)
	h.em.Inject(emulatortest.Fault{Method: "PATCH", Delay: time.Minute, During: func() {
		h.signals <- syscall.SIGTERM // let pass
		h.signals <- syscall.SIGINT
	}})
	r := h.run("done", "worker")
	if r.code != 130 || !strings.Contains(r.stderr, "msg=stopping signal=INT") || strings.Contains(r.stderr, "msg=stopping signal=TERM") {
		t.Errorf("done interrupted: want exit 130:\n%s", r)
	}
}

// In a terminal (heroku run bash), the job is given the terminal's
// foreground: in a background process group, a job that reads the terminal
// would be stopped by SIGTTIN, for ever.
func TestRunInATerminal(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("opens a pseudo-terminal the Linux way")
	}
	cmd, master, out := startInPTY(t, []string{"SCALER_TEST_JOB=echo"}, "run")
	if !out.waitFor("job: ready", 20*time.Second) {
		t.Fatalf("the job did not start:\n%s", out)
	}
	io.WriteString(master, "hello\n\x04")
	if !out.waitFor("job: read hello", 20*time.Second) {
		t.Fatalf("the job could not read its terminal (stopped by SIGTTIN?):\n%s", out)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("scaler run in a terminal: %v\n%s", err, out)
	}
}

// startInPTY starts scaler with args (then the test job's arguments) in a
// pseudo-terminal, with env added to a bare PATH and HOME: the terminal's
// master side, for the test to type into, and what scaler and its job
// write to the terminal. The process is killed at the end of the test if
// the test did not wait for it.
func startInPTY(t *testing.T, env []string, args ...string) (cmd *exec.Cmd, master *os.File, out *syncBuffer) {
	t.Helper()
	master, slave := openPTY(t)
	cmd = exec.Command(binary, append(args, jobArgs()...)...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	// A session of its own, with the terminal as its controlling terminal,
	// as a login shell has.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	out = &syncBuffer{}
	go io.Copy(out, master) // ends with EIO once the terminal's last user exits
	return cmd, master, out
}

// openPTY opens a pseudo-terminal pair.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetUint32(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	slave, err = os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return master, slave
}

// The job's run has an identity, from the platform's state: the type and
// when its formation was last changed, which it was for this run.
func TestRunGivesTheJobItsRunID(t *testing.T) {
	t.Parallel()
	f := newRunFixture(t, 1)
	p := f.start(t, "runid")
	f.stopOnScaleDown(t, p)
	r := f.finish(t, p)
	if !regexp.MustCompile(` run=worker-\d{8}T\d{6}Z pid=`).MatchString(p.ready) {
		t.Fatalf("the job's ready line %q has no run identity", p.ready)
	}
	_, run, _ := strings.Cut(p.ready, " run=")
	run, _, _ = strings.Cut(run, " ")
	if r.code != 0 || !strings.Contains(r.stderr, "run_id="+run) {
		t.Errorf("want the run %s in the log:\n%s", run, r)
	}
}

// A dyno whose type is at 0 is being stopped: if the platform restarts it
// meanwhile, the job must not run again.
func TestRunDoesNotStartAJobWhoseTypeIsAtZero(t *testing.T) {
	t.Parallel()
	f := newRunFixture(t, 0)
	f.env["SCALER_TEST_JOB"] = "exit:0"
	p := startBinary(t, f.env, append([]string{"run"}, jobArgs()...)...)
	if !p.stderr.waitFor(`msg="waiting for the platform to stop the dyno"`, 20*time.Second) {
		t.Fatalf("stderr:\n%s", p.stderr)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	r := f.finish(t, p)
	if r.code != 0 || strings.Contains(r.stdout, "job: ready") || !strings.Contains(r.stderr, `msg="job not started"`) || len(f.em.Writes()) != 0 {
		t.Errorf("exit %d; want 0, no job, no write:\n%s", r.code, r)
	}
}

// Before its job, run reads the formation (the run's identity). An API
// that fails is waited for, in the dyno, so that the job starts as soon as
// it is back (exiting would have the platform start the dyno again after a
// growing crash back-off); a refusal, which will not pass, exits at once.
// Either way the job does not start until the read is done.
func TestRunWaitsForTheAPIBeforeItsJob(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault emulatortest.Fault
		code  int
		ran   bool
	}{
		{"5xx for longer than one attempt, then back", emulatortest.Fault{Method: "GET", Times: 8, Status: 503, ID: "service_unavailable", Message: "down"}, 0, true},
		{"401", emulatortest.Fault{Method: "GET", Status: 401, ID: "unauthorized", Message: "Invalid credentials provided."}, 3, false},
		{"the type is gone", emulatortest.Fault{Method: "GET", Status: 404, ID: "not_found", Message: "Couldn't find that process type (worker)."}, 4, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := inItsDyno(t)
			h.em.Inject(tt.fault)
			h.env["SCALER_TEST_JOB"] = "exit:0"
			r := h.run(append([]string{"run"}, jobArgs()...)...)
			ran := strings.Contains(r.stderr, `msg="job completed"`)
			if r.code != tt.code || ran != tt.ran {
				t.Errorf("exit %d, the job ran: %v; want %d and %v:\n%s", r.code, ran, tt.code, tt.ran, r)
			}
			if retried := strings.Contains(r.stderr, `msg="job not started yet"`); retried != tt.ran {
				t.Errorf("the wait for the API logged: %v, want %v:\n%s", retried, tt.ran, r.stderr)
			}
			if want := map[bool]int{true: 0, false: 1}[tt.ran]; h.em.Quantity("demo", "worker") != want {
				t.Errorf("worker = %d, want %d", h.em.Quantity("demo", "worker"), want)
			}
		})
	}
}

// The platform's SIGTERM while run waits for the API before its job: a
// shutdown. The job never started, the formation is left alone, and scaler
// exits 143 at once, not at --finish-timeout.
func TestRunStoppedWhileItWaitsForTheAPI(t *testing.T) {
	t.Parallel()
	f := newRunFixture(t, 1)
	f.em.Inject(emulatortest.Fault{Method: "GET", Status: 503, ID: "service_unavailable", Message: "down"})
	f.env["SCALER_TEST_JOB"] = "exit:0"
	p := startBinary(t, f.env, append([]string{"run"}, jobArgs()...)...)
	if !p.stderr.waitFor(`msg="job not started yet"`, time.Minute) {
		t.Fatalf("no word of the wait:\n%s", p.stderr)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	r := f.finish(t, p)
	if r.code != 143 || strings.Contains(r.stdout, "job: ready") || f.em.Quantity("demo", "worker") != 1 {
		t.Errorf("exit %d, worker %d; want 143, the job never started and worker left at 1:\n%s", r.code, f.em.Quantity("demo", "worker"), r)
	}
	if !strings.Contains(r.stderr, "the job was not started") {
		t.Errorf("it does not say the job was not started:\n%s", r.stderr)
	}
}
