package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/scalerdev/scaler/platform/emulator"
)

// logWait bounds every wait on an emulator's log stream: generous, for a
// loaded machine; a passing test waits far less.
const logWait = 20 * time.Second

// logStream is a dyno manager's log stream (what `scaler emulator
// --procfile` prints on stdout after its first line, or what the emulator
// writes to its Log), kept as lines as it comes, with a cursor for reading
// it in order.
type logStream struct {
	mu      sync.Mutex
	lines   []string
	partial string // a line not yet ended
	eof     bool
	changed chan struct{} // closed, and made anew, at each change
	pos     int
}

func newLogStream() *logStream { return &logStream{changed: make(chan struct{})} }

func (s *logStream) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	parts := strings.Split(s.partial+string(p), "\n")
	s.partial = parts[len(parts)-1]
	s.lines = append(s.lines, parts[:len(parts)-1]...)
	s.wake()
	return len(p), nil
}

// end marks the end of the stream, after its last line.
func (s *logStream) end() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.partial != "" {
		s.lines, s.partial = append(s.lines, s.partial), ""
	}
	s.eof = true
	s.wake()
}

// wake tells the waiters of a change; s.mu is held.
func (s *logStream) wake() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// wait returns the lines once there are more than after, or once within
// has passed or the stream ended; more is false when it returned for that.
func (s *logStream) wait(after int, within time.Duration) (lines []string, more bool) {
	deadline := time.NewTimer(max(within, 0))
	defer deadline.Stop()
	for {
		s.mu.Lock()
		n, ch, eof := len(s.lines), s.changed, s.eof
		s.mu.Unlock()
		if n > after || eof {
			return s.snapshot(), n > after
		}
		select {
		case <-ch:
		case <-deadline.C:
			return s.snapshot(), false
		}
	}
}

// snapshot returns the lines so far.
func (s *logStream) snapshot() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.lines)
}

// until follows the stream until the emulated clock reaches end, or the
// stream ends or falls silent for the real time left to end (the
// emulated time left over rate).
func (s *logStream) until(clock func() time.Time, end time.Time, rate float64) {
	for cursor := 0; clock().Before(end); {
		lines, more := s.wait(cursor, time.Duration(float64(end.Sub(clock()))/rate))
		cursor = len(lines)
		if !more {
			break
		}
	}
}

func (s *logStream) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.lines, "\n")
}

// next waits for the first line after the cursor that matches pattern,
// and moves the cursor past it.
func (s *logStream) next(t *testing.T, pattern string) string {
	t.Helper()
	re := regexp.MustCompile(pattern)
	deadline := time.NewTimer(logWait)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		for i := s.pos; i < len(s.lines); i++ {
			if re.MatchString(s.lines[i]) {
				s.pos = i + 1
				line := s.lines[i]
				s.mu.Unlock()
				return line
			}
		}
		ch, eof := s.changed, s.eof
		s.mu.Unlock()
		if eof {
			t.Fatalf("the emulator ended without a line matching %q; its stream:\n%s", pattern, s)
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("no line matching %q within %v; the stream:\n%s", pattern, logWait, s)
		}
	}
}

// rewind moves the cursor back to the first line.
func (s *logStream) rewind() { s.rewindTo(0) }

// mark returns the cursor, for rewindTo.
func (s *logStream) mark() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pos
}

// rewindTo moves the cursor back to a mark: the lines after it are read
// again, in whatever order two processes printed them.
func (s *logStream) rewindTo(pos int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pos = pos
}

func (s *logStream) has(pattern string) bool {
	re := regexp.MustCompile(pattern)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.lines {
		if re.MatchString(l) {
			return true
		}
	}
	return false
}

// dynoEmulator is `scaler emulator --procfile` running as a user runs it.
type dynoEmulator struct {
	p      *process
	env    map[string]string // points scaler at it
	log    *logStream
	dir    string
	closed chan struct{} // its stdout has ended
}

// startDynoEmulator writes procfile into a new directory, with bin/scaler
// (this binary, as the Go buildpack installs it), and runs the emulator
// there with args, on loopback, with the test's token.
func startDynoEmulator(t *testing.T, procfile string, args ...string) *dynoEmulator {
	t.Helper()
	return startDynoEmulatorAs(t, procfile, append([]string{"--listen", "127.0.0.1:0", "--token", testToken, "--procfile", "Procfile"}, args...)...)
}

// startDynoEmulatorAs is startDynoEmulator with all the emulator's flags
// in args (--procfile Procfile included).
func startDynoEmulatorAs(t *testing.T, procfile string, args ...string) *dynoEmulator {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(binary, filepath.Join(dir, "bin", "scaler")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Procfile"), []byte(procfile), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startBinaryIn(t, dir, nil, append([]string{"emulator"}, args...)...)
	first := p.line(t)
	url, ok := strings.CutPrefix(first, envAPIURL+"=")
	if !ok {
		t.Fatalf("the emulator's first line is %q, want %s=...", first, envAPIURL)
	}
	em := &dynoEmulator{p: p, env: map[string]string{envAPIURL: url, envToken: testToken, envApp: "demo"},
		log: newLogStream(), dir: dir, closed: make(chan struct{})}
	go func() {
		defer close(em.closed)
		io.Copy(em.log, p.stdout)
		em.log.end()
	}()
	// A test that ends before it stopped the emulator stops it as a person
	// does, so that its dynos end with it: the SIGKILL that ends any other
	// child process would leave them running. A second SIGINT kills them at
	// once.
	t.Cleanup(func() {
		for _, within := range []time.Duration{2 * time.Second, logWait} {
			if p.cmd.ProcessState != nil || p.cmd.Process.Signal(syscall.SIGINT) != nil {
				return
			}
			select {
			case <-em.closed:
				return
			case <-time.After(within):
			}
		}
	})
	return em
}

// stop sends sig and waits for the emulator to exit; it returns the exit
// code and how long the exit took.
func (em *dynoEmulator) stop(t *testing.T, sig syscall.Signal) (int, time.Duration) {
	t.Helper()
	began := time.Now()
	if err := em.p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	return em.wait(t), time.Since(began)
}

// restartAll restarts every dyno of the app, as a deploy does to running
// dynos: DELETE /apps/{app}/dynos.
func (em *dynoEmulator) restartAll(t *testing.T) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "DELETE", em.env[envAPIURL]+"/apps/demo/dynos", nil)
	req.Header.Set("Accept", emulator.AcceptHeader)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 202 {
		t.Fatalf("restart: %s", resp.Status)
	}
}

func (em *dynoEmulator) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-em.closed:
	case <-time.After(2 * logWait):
		t.Fatalf("the emulator did not exit; its stream:\n%s", em.log)
	}
	err := em.p.cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	all := em.log.String() + em.p.stderr.String()
	if strings.Contains(all, testToken) {
		t.Errorf("the emulator printed the token:\n%s", all)
	}
	return em.p.cmd.ProcessState.ExitCode()
}

// The dyno manager through the binary: dynos get the platform's
// environment and the --env values, scaler inside a dyno reaches the
// emulator, a job under `scaler run` ends with its dyno stopped by the
// platform, and a supervisor that exits right after scaling itself down
// is restarted within the stop latency.
func TestDynoManagerRunsScalerInDynos(t *testing.T) {
	t.Parallel()
	em := startDynoEmulator(t, `
web: echo "web $DYNO port=$PORT app=$HEROKU_APP_NAME greeting=$GREETING key=$HEROKU_API_KEY"; exec sleep 60
nightly: scaler run -- sh -c 'echo "nightly working in $DYNO"; sleep 1.2; echo "nightly done"'
supervisor: echo "supervisor started"; scaler down; echo "supervisor exits"
`, "--formation", "web=1,nightly=0,supervisor=0", "--env", "GREETING=hello, world", "--env", envToken+"="+testToken,
		"--boot-delay", "50ms", "--stop-latency", "1s", "--kill-after", "5s", "--restart-delay", "1m")
	line := em.log.next(t, `app\[web\.1\]: web `)
	if !regexp.MustCompile(`^\S+ app\[web\.1\]: web web\.1 port=\d+ app=demo greeting=hello, world key=\[redacted\]$`).MatchString(line) {
		t.Errorf("web.1 printed %q", line)
	}

	r := runBinary(t, em.env, "up", "nightly=1", "supervisor=1")
	if r.code != 0 {
		t.Fatalf("up:\n%s", r)
	}
	// The job runs, completes, its type goes back to 0, the platform stops it.
	em.log.next(t, `heroku\[nightly\.1\]: Starting process with command `+"`"+regexp.QuoteMeta(`scaler run -- sh -c`))
	em.log.next(t, `app\[nightly\.1\]: nightly working in nightly\.1$`)
	em.log.next(t, `app\[nightly\.1\]: nightly done$`)
	em.log.next(t, `heroku\[nightly\.1\]: State changed from up to down$`)
	em.log.next(t, `heroku\[nightly\.1\]: Stopping all processes with SIGTERM$`)
	em.log.next(t, `heroku\[nightly\.1\]: Process exited with status \d+$`)
	if !em.log.has(`app\[nightly\.1\]: level=info msg=scaled app=demo type=nightly from=1 to=0$`) {
		t.Errorf("scaler run did not scale nightly down:\n%s", em.log)
	}

	// The supervisor exits within the stop latency of its own scale-down:
	// the platform restarts it.
	em.log.rewind()
	em.log.next(t, `app\[supervisor\.1\]: supervisor started$`)
	em.log.next(t, `heroku\[supervisor\.1\]: State changed from (starting|up) to down$`)
	em.log.next(t, `app\[supervisor\.1\]: supervisor exits$`)
	em.log.next(t, `heroku\[supervisor\.1\]: Process exited with status 0$`)
	em.log.next(t, `heroku\[supervisor\.1\]: State changed from down to crashed$`)
	em.log.next(t, `heroku\[supervisor\.1\]: Starting process`)
	em.log.next(t, `app\[supervisor\.1\]: supervisor started$`)

	r = runBinary(t, em.env, "status")
	if r.code != 0 || !strings.Contains(r.stdout, "=== nightly (Standard-1X): 0") || !strings.Contains(r.stdout, "web.1: up for") {
		t.Errorf("status:\n%s", r)
	}
	// scaler run waited for the platform's stop: its dyno was never
	// restarted, and the job ran once.
	log := em.log.String()
	for pattern, want := range map[string]int{
		`app\[nightly\.1\]: nightly working`:                            1,
		`heroku\[nightly\.1\]: Starting process`:                        1,
		`app\[nightly\.1\]: .*msg="shutdown before completion"`:         0,
		`app\[nightly\.1\]: level=info msg="stop received" signal=TERM`: 1,
	} {
		if n := len(regexp.MustCompile(pattern).FindAllString(log, -1)); n != want {
			t.Errorf("%d lines match %s, want %d:\n%s", n, pattern, want, log)
		}
	}
	if code, _ := em.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("the emulator exited %d after SIGTERM:\n%s", code, em.p.stderr)
	}
	em.log.next(t, `heroku\[web\.1\]: Stopping all processes with SIGTERM$`)
}

// SIGINT stops every dyno, their process groups whole; a second SIGINT
// kills at once instead of waiting for the kill-after time; nothing is left
// behind, not even a zombie, nor what left its dyno's process group.
func TestEmulatorShutdownLeavesNothing(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("orphans are reaped by a child subreaper, which is Linux's")
	}
	t.Parallel()
	em := startDynoEmulator(t, `
web: echo "main $$"; sh -c 'echo "child $$"; exec sleep 60' & wait
stubborn: trap '' TERM; echo "main $$"; sh -c 'trap "" TERM; echo "child $$"; exec sleep 60' & (setsid sh -c 'echo "escaped $$"; exec sleep 60' &); while :; do sleep 0.05; done
`, "--formation", "web=1,stubborn=1", "--kill-after", "1m")
	var pids []int
	for _, pattern := range []string{`app\[web\.1\]: main \d+$`, `app\[web\.1\]: child \d+$`, `app\[stubborn\.1\]: main \d+$`, `app\[stubborn\.1\]: child \d+$`, `app\[stubborn\.1\]: escaped \d+$`} {
		em.log.rewind()
		f := strings.Fields(em.log.next(t, pattern))
		pid, err := strconv.Atoi(f[len(f)-1])
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	groups := []int{pids[0], pids[2]} // each dyno's command leads its group

	began := time.Now()
	if err := em.p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	em.log.rewind()
	em.log.next(t, `heroku\[stubborn\.1\]: Stopping all processes with SIGTERM$`)
	em.log.rewind()
	// Any status: the signals reach web's processes in no fixed order, and
	// its shell, in `wait`, may see its child die first and exit 0.
	em.log.next(t, `heroku\[web\.1\]: Process exited with status \d+$`)
	if err := em.p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	code := em.wait(t)
	if took := time.Since(began); code != 0 || took > logWait {
		t.Errorf("exit %d after %v; want 0, well before the kill-after minute:\n%s", code, took, em.p.stderr)
	}
	em.log.rewind()
	em.log.next(t, `heroku\[stubborn\.1\]: Stopping process with SIGKILL$`)
	if !strings.Contains(em.p.stderr.String(), `msg="stopping dynos at once" signal=INT`) {
		t.Errorf("stderr:\n%s", em.p.stderr)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Errorf("process %d is left behind (kill -0: %v)", pid, err)
		}
	}
	for _, g := range groups {
		if err := syscall.Kill(-g, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("process group %d is left behind (kill -0: %v)", g, err)
		}
	}
}

// Heroku Scheduler through the binary: the flags, a duplicate run with a
// seed, and the seed said when it is random.
func TestEmulatorScheduler(t *testing.T) {
	t.Parallel()
	em := startDynoEmulator(t, "web: exec sleep 60\n", "--formation", "web=0",
		"--scheduler", `200ms echo "tick $DYNO, with a comma"`, "--scheduler-dup", "1", "--seed", "3", "--boot-delay", "0s")
	em.log.next(t, `heroku\[scheduler\.1\]: Starting process with command `+"`"+`echo "tick \$DYNO, with a comma"`+"`$")
	em.log.next(t, `heroku\[scheduler\.2\]: Starting process`)
	em.log.rewind()
	em.log.next(t, `app\[scheduler\.2\]: tick scheduler\.2, with a comma$`)
	if code, _ := em.stop(t, syscall.SIGTERM); code != 0 || !strings.Contains(em.p.stderr.String(), `msg="scheduler run started twice"`) {
		t.Errorf("exit %d:\n%s", code, em.p.stderr)
	}

	em = startDynoEmulator(t, "web: exec sleep 60\n", "--scheduler", "1h true", "--scheduler-skip", "0.5")
	if code, _ := em.stop(t, syscall.SIGTERM); code != 0 || !regexp.MustCompile(`msg="scheduler seed" seed=\d+ hint=`).MatchString(em.p.stderr.String()) {
		t.Errorf("a random seed is not said, or exit %d:\n%s", code, em.p.stderr)
	}
}

// The dyno manager's flags are checked before anything starts; a value
// given to --env is never repeated in an error.
func TestEmulatorDynoFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Procfile"), []byte("web: exec sleep 60\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--cycle", "1m"}, "--cycle runs dynos: it needs --procfile"},
		{[]string{"--env", "A=b"}, "--env runs dynos: it needs --procfile"},
		{[]string{"--procfile", "nope"}, "procfile: open nope"},
		{[]string{"--procfile", "Procfile", "--formation", "worker=1"}, "process type worker is not in the Procfile"},
		{[]string{"--procfile", "Procfile", "--scheduler", "soon true"}, "want EVERY COMMAND"},
		{[]string{"--procfile", "Procfile", "--env", "secret-value-xyz"}, "--env number 1 is not KEY=VALUE"},
		{[]string{"--procfile", "Procfile", "--scheduler-skip", "2"}, "are probabilities"},
		{[]string{"--procfile", "Procfile", "--kill-after", "0s"}, "must be positive"},
		{[]string{"--cycle-jitter", "216m"}, "--cycle-jitter runs dynos: it needs --procfile"},
		{[]string{"--procfile", "Procfile", "--cycle-jitter", "216m"}, "--cycle-jitter 3h36m0s is added to --cycle, which is not set"},
		{[]string{"--procfile", "Procfile", "--cycle", "24h", "--cycle-jitter", "-1m"}, "--cycle-jitter not negative"},
	} {
		p := startBinaryIn(t, dir, nil, append([]string{"emulator", "--listen", "127.0.0.1:0"}, tt.args...)...)
		code, out := p.wait(t)
		stderr := p.stderr.String()
		if code != 2 || out != "" || !strings.Contains(stderr, tt.want) || strings.Contains(stderr, "secret-value-xyz") {
			t.Errorf("emulator %v: exit %d, want 2 saying %q:\n%s%s", tt.args, code, tt.want, out, stderr)
		}
	}
}

// A deploy restarts every dyno while the job runs: the platform's SIGTERM
// reaches every process of the dyno, and the job, which catches it, cleans
// up and exits 0, as Sidekiq does. (Its work, a sleep, ignores SIGTERM, and
// says the job started once it does: the platform signals the dyno's
// processes in any order, and a work that died first would end the shell's
// wait, and the shell, before its own SIGTERM came.) That is no completion: the formation
// stays, the platform starts the job again in the new dyno, and only that
// run's completion scales the type to 0.
func TestRunThroughADeployRestart(t *testing.T) {
	t.Parallel()
	em := startDynoEmulator(t, `
nightly: scaler run -- sh -c 'trap "echo job cleanup; kill -9 \$w; exit 0" TERM; (trap "" TERM; echo "job start $SCALER_RUN_ID"; exec sleep 1.5) & w=$!; if wait $w; then echo "job finished"; fi'
`, "--formation", "nightly=0", "--env", envToken+"="+testToken, "--boot-delay", "50ms", "--stop-latency", "300ms", "--kill-after", "5s")
	if r := runBinary(t, em.env, "up", "nightly=1"); r.code != 0 {
		t.Fatalf("up:\n%s", r)
	}
	first := em.log.next(t, `app\[nightly\.1\]: job start nightly-\d{8}T\d{6}Z$`)
	em.restartAll(t)
	em.log.next(t, `app\[nightly\.1\]: job cleanup$`)
	em.log.next(t, `app\[nightly\.1\]: job finished$`)
	em.log.next(t, `heroku\[nightly\.1\]: Stopping all processes with SIGTERM$`)
	if code, _ := em.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("the emulator exited %d:\n%s", code, em.p.stderr)
	}
	// The log says, in order, as a person reads it: the shutdown, the old
	// job's end as no completion, then the new run's completion and the
	// scale-down.
	em.log.rewind()
	em.log.next(t, `app\[nightly\.1\]: level=warn msg="shutdown before completion" signal=TERM`)
	em.log.next(t, `app\[nightly\.1\]: level=warn msg="job stopped by the platform" app=demo type=nightly status=143 took=\S+ signal=TERM next="not a completion; nightly left as it was \(1\), and the platform starts the job again, unless this stop is nightly's scale-down"$`)
	em.log.next(t, `app\[nightly\.1\]: level=info msg="job completed" app=demo type=nightly status=0 took=\S+ next="scaling nightly to 0"$`)
	em.log.next(t, `app\[nightly\.1\]: level=info msg=scaled app=demo type=nightly from=1 to=0$`)
	if em.log.has(`app\[nightly\.1\]: level=info msg="job exited"`) {
		t.Errorf("a line says the job exited, as if it were news:\n%s", em.log)
	}
	// The job got the platform's SIGTERM, once: scaler did not add its
	// own.
	if n := em.log.count(`app\[nightly\.1\]: job cleanup$`); n != 1 {
		t.Errorf("the job cleaned up %d times, want once:\n%s", n, em.log)
	}
	// The job started again within the same run: the same identity.
	_, run, _ := strings.Cut(first, "job start ")
	log := em.log.String()
	for pattern, want := range map[string]int{
		`app\[nightly\.1\]: job start ` + run + `$`:                                  2, // the first start, and the start after the restart
		`app\[nightly\.1\]: job finished`:                                            1,
		`app\[nightly\.1\]: level=warn msg="shutdown before completion"`:             1,
		`app\[nightly\.1\]: level=info msg=scaled app=demo type=nightly from=1 to=0`: 1,
	} {
		if n := len(regexp.MustCompile(`(?m)`+pattern).FindAllString(log, -1)); n != want {
			t.Errorf("%d lines match %s, want %d:\n%s", n, pattern, want, log)
		}
	}
}

// The emulated clock: it starts where it is told and runs faster than real
// time, in the log's stamps and in what every dyno is told of it.
func TestEmulatorClock(t *testing.T) {
	t.Parallel()
	em := startDynoEmulator(t, "web: echo \"now=$"+emulator.EnvNow+"\"; exec sleep 60\n",
		"--clock-start", "2026-12-01T01:55:00+01:00", "--clock-rate", "60", "--boot-delay", "50ms")
	line := em.log.next(t, `app\[web\.1\]: now=`)
	if !regexp.MustCompile(`^2026-12-01T00:5[5-9]:\S+ app\[web\.1\]: now=2026-12-01T00:5[5-9]:\d\dZ$`).MatchString(line) {
		t.Errorf("the dyno printed %q, want the emulated time near 00:55 UTC", line)
	}
	if code, _ := em.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("the emulator exited %d", code)
	}
	r := runBinary(t, nil, "emulator", "--clock-rate", "0.5")
	if r.code != 2 || !strings.Contains(r.stderr, "--clock-rate 0.5") {
		t.Errorf("a clock slower than real time:\n%s", r)
	}
}

// apiProxy stands between a dyno's scaler and the emulator: it passes every
// request on, and answers the formation's writes 503 while failing is set.
type apiProxy struct {
	target  atomic.Pointer[url.URL]
	failing atomic.Bool
	failed  atomic.Int64
}

func newAPIProxy(t *testing.T) (*apiProxy, string) {
	p := &apiProxy{}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return p, srv.URL
}

func (p *apiProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == "PATCH" && p.failing.Load() {
		p.failed.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"id":"service_unavailable","message":"down"}`)
		return
	}
	httputil.NewSingleHostReverseProxy(p.target.Load()).ServeHTTP(w, r)
}

// A completed job whose scale-down keeps failing, under the dyno manager
// with real processes and the platform's own signals. scaler does not exit
// while it retries (the platform would start the job again at once); when
// the writes come back, the scale-down lands and the platform stops the
// dyno. When a deploy's SIGTERM comes first, scaler tries for --grace only
// and exits; the platform starts the job again in the new dyno, in the same
// run, and that run's scale-down lands.
func TestRunKeepsItsScaleDownUntilItLands(t *testing.T) {
	t.Parallel()
	for _, deploy := range []bool{false, true} {
		t.Run(fmt.Sprintf("deploy=%v", deploy), func(t *testing.T) {
			t.Parallel()
			proxy, proxyURL := newAPIProxy(t)
			proxy.failing.Store(true)
			// The dyno's scaler reaches the API through the proxy.
			em := startDynoEmulator(t, `
nightly: HEROKU_API_URL=$SCALER_TEST_PROXY exec scaler run --grace 1s -- sh -c 'echo "job start $SCALER_RUN_ID"; sleep 0.5; echo "job finished"'
`, "--formation", "nightly=0", "--env", envToken+"="+testToken, "--env", "SCALER_TEST_PROXY="+proxyURL,
				"--boot-delay", "50ms", "--stop-latency", "300ms", "--kill-after", "5s")
			target, err := url.Parse(em.env[envAPIURL])
			if err != nil {
				t.Fatal(err)
			}
			proxy.target.Store(target)
			if r := runBinary(t, em.env, "up", "nightly=1"); r.code != 0 {
				t.Fatalf("up:\n%s", r)
			}
			first := em.log.next(t, `app\[nightly\.1\]: job start `)
			em.log.next(t, `app\[nightly\.1\]: job finished$`)
			em.log.next(t, `app\[nightly\.1\]: level=error msg="scale-down failed" app=demo type=nightly attempt=1 `)
			if em.log.has(`heroku\[nightly\.1\]: Process exited`) {
				t.Fatalf("scaler exited while its scale-down had not landed:\n%s", em.log)
			}
			if deploy {
				em.restartAll(t)
				em.log.next(t, `app\[nightly\.1\]: level=info msg="stop received" signal=TERM`)
				em.log.next(t, `heroku\[nightly\.1\]: Process exited with status 1$`)
			}
			proxy.failing.Store(false)
			// The scale-down lands once: the new dyno's, or, after a deploy,
			// the old dyno's last write, cut by its grace while the proxy
			// passed it on (its answer lost, as a platform's may be), which
			// the new dyno then finds in place.
			landed := `app\[nightly\.1\]: level=info msg=scaled app=demo type=nightly from=1 to=0`
			if deploy {
				landed = `app\[nightly\.1\]: level=info (msg=scaled app=demo type=nightly from=1 to=0|msg="no change" app=demo)`
			}
			em.log.next(t, landed)
			em.log.next(t, `heroku\[nightly\.1\]: Stopping all processes with SIGTERM$`)
			em.log.next(t, `heroku\[nightly\.1\]: Process exited with status 0$`)
			if r := runBinary(t, em.env, "status", "--json"); r.code != 0 || !strings.Contains(r.stdout, `"quantity": 0`) {
				t.Errorf("status after the scale-down landed:\n%s", r)
			}
			if code, _ := em.stop(t, syscall.SIGTERM); code != 0 {
				t.Errorf("the emulator exited %d", code)
			}
			// Without a deploy the job ran once; with one, once more, in
			// the same run. The scale-down landed once.
			_, run, _ := strings.Cut(first, "job start ")
			starts := 1
			if deploy {
				starts = 2
			}
			log := em.log.String()
			for pattern, want := range map[string]int{
				`app\[nightly\.1\]: job start ` + regexp.QuoteMeta(run) + `$`: starts,
				`app\[nightly\.1\]: job start `:                               starts,
				landed:                                                        1,
			} {
				if n := len(regexp.MustCompile(`(?m)`+pattern).FindAllString(log, -1)); n != want {
					t.Errorf("%d lines match %s, want %d:\n%s", n, pattern, want, log)
				}
			}
			if proxy.failed.Load() < 2 {
				t.Errorf("%d writes failed: the proxy was not in the way", proxy.failed.Load())
			}
		})
	}
}

// dynoFolder is a folder for a dyno manager's processes, with scaler on
// their PATH (bin/scaler, as the buildpack installs it), and procfile
// parsed to run there.
func dynoFolder(tb testing.TB, procfile string) (dir string, p *emulator.Procfile) {
	tb.Helper()
	dir = tb.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "bin"), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.Symlink(binary, filepath.Join(dir, "bin", "scaler")); err != nil {
		tb.Fatal(err)
	}
	p, err := emulator.ParseProcfile(strings.NewReader(procfile))
	if err != nil {
		tb.Fatal(err)
	}
	p.Dir = dir
	return dir, p
}

// startDynos starts an emulator of cfg served over HTTP, and its dynos
// (cfg.Dynos), which reach it there: stop stops the dynos, and if the test
// ends without calling it, they are stopped then.
func startDynos(t *testing.T, cfg emulator.Config) (em *emulator.Emulator, stop func() error) {
	t.Helper()
	em, err := emulator.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(em)
	t.Cleanup(srv.Close)
	if err := em.StartDynos(srv.URL); err != nil {
		t.Fatal(err)
	}
	var stopped atomic.Bool
	t.Cleanup(func() {
		if !stopped.Load() {
			em.StopDynos(context.Background()) // the test's context is done by now
		}
	})
	return em, func() error {
		stopped.Store(true)
		return em.StopDynos(t.Context())
	}
}
