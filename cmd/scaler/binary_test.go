package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the scaler binary built from this package for the tests that
// need a real process: signals, exit codes, the emulator as users run it.
// jobBinary is the scaler package's test binary, whose TestHelperProcess
// is the job that `scaler run` runs in the tests.
var binary, jobBinary string

func TestMain(m *testing.M) {
	flag.Parse()
	// The tests of this package mostly wait: on child processes, signals,
	// timers and settle periods, far more than they compute. Unless
	// -parallel says otherwise, four times as many as the CPUs run at once
	// (go test's default is as many as the CPUs).
	parallel := false
	flag.Visit(func(f *flag.Flag) { parallel = parallel || f.Name == "test.parallel" })
	if !parallel {
		flag.Set("test.parallel", strconv.Itoa(4*runtime.GOMAXPROCS(0)))
	}
	dir, err := os.MkdirTemp("", "scaler-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "scaler")
	jobBinary = filepath.Join(dir, "scaler.test")
	builds := [][]string{{"build", "-o", binary, "."}, {"test", "-c", "-o", jobBinary, "../../scaler"}}
	failed := make([]error, len(builds))
	var wg sync.WaitGroup
	for i, build := range builds {
		wg.Go(func() {
			if out, err := exec.Command("go", build...).CombinedOutput(); err != nil {
				failed[i] = fmt.Errorf("go %v: %v\n%s", build, err, out)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(failed...); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// process is a scaler child process whose output the test reads.
type process struct {
	cmd    *exec.Cmd
	stdout *bufio.Reader
	stderr *syncBuffer
	ready  string // the job's first line, for `scaler run`
}

// startBinary starts scaler with args and env (added to a minimal
// environment, so that the developer's own HEROKU_* never leaks in).
func startBinary(t *testing.T, env map[string]string, args ...string) *process {
	t.Helper()
	return startBinaryIn(t, "", env, args...)
}

// startBinaryIn starts scaler in dir (the test's own directory when empty).
func startBinaryIn(t *testing.T, dir string, env map[string]string, args ...string) *process {
	t.Helper()
	return startBinaryWith(t, dir, nil, env, args...)
}

// startBinaryWith starts scaler in dir with the given process attributes.
func startBinaryWith(t *testing.T, dir string, attr *syscall.SysProcAttr, env map[string]string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir, cmd.SysProcAttr = dir, attr
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, stdout: bufio.NewReader(out), stderr: &syncBuffer{}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return p
}

// line reads the next line the process prints on stdout.
func (p *process) line(t *testing.T) string {
	t.Helper()
	l, err := p.stdout.ReadString('\n')
	if err != nil {
		t.Fatalf("reading the child's stdout: %v (stderr: %s)", err, p.stderr)
	}
	return strings.TrimSuffix(l, "\n")
}

// wait waits for the process and returns its exit code and the rest of its
// stdout.
func (p *process) wait(t *testing.T) (int, string) {
	t.Helper()
	rest, _ := io.ReadAll(p.stdout)
	err := p.cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return p.cmd.ProcessState.ExitCode(), string(rest)
}

// runBinary runs scaler to the end.
func runBinary(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	p := startBinary(t, env, args...)
	code, out := p.wait(t)
	r := result{code, out, p.stderr.String()}
	if tok := env[envToken]; tok != "" && strings.Contains(r.stdout+r.stderr, tok) {
		t.Errorf("scaler %s printed the token:\n%s", strings.Join(args, " "), r)
	}
	return r
}

// startEmulatorProcess runs `scaler emulator` and returns the environment
// that points scaler at it.
func startEmulatorProcess(t *testing.T, args ...string) (*process, map[string]string) {
	t.Helper()
	p := startBinary(t, nil, append([]string{"emulator", "--listen", "127.0.0.1:0", "--token", testToken}, args...)...)
	first := p.line(t)
	url, ok := strings.CutPrefix(first, envAPIURL+"=")
	if !ok {
		t.Fatalf("the emulator's first line is %q, want %s=...", first, envAPIURL)
	}
	return p, map[string]string{envAPIURL: url, envToken: testToken}
}

// The README's quick start, as a user runs it: the emulator in one
// process, scaler in others.
func TestEmulatorProcessWithBinary(t *testing.T) {
	t.Parallel()
	em, env := startEmulatorProcess(t, "--app", "demo", "--formation", "web=1,worker=0", "--boot-delay", "50ms", "--stop-delay", "50ms")

	r := runBinary(t, env, "up", "worker=1", "--wait", "-a", "demo")
	if r.code != 0 || r.stdout != "scaled demo: worker 0 -> 1\ndemo: worker has 1 dyno up\n" {
		t.Errorf("up --wait:\n%s", r)
	}
	r = runBinary(t, env, "status", "-a", "demo")
	if r.code != 0 || !strings.Contains(r.stdout, "worker.1: up for") {
		t.Errorf("status:\n%s", r)
	}
	env[envToken] = "HRKU-not-the-token"
	if r = runBinary(t, env, "status", "-a", "demo"); r.code != 3 {
		t.Errorf("status with a wrong token:\n%s", r)
	}

	// The emulator stops cleanly on SIGTERM, and logged every request
	// without a token.
	if err := em.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code, _ := em.wait(t); code != 0 {
		t.Errorf("emulator exit %d after SIGTERM:\n%s", code, em.stderr)
	}
	logs := em.stderr.String()
	if !strings.Contains(logs, "msg=request method=PATCH path=/apps/demo/formation status=200") || strings.Contains(logs, testToken) {
		t.Errorf("emulator logs:\n%s", logs)
	}
}

// The demo tells the whole story in the log stream, in order: Scheduler
// starts the nightly dyno, the job prints as it works and completes, scaler
// scales nightly back to 0, and the platform stops the dyno.
func TestDemoRunsEndToEnd(t *testing.T) {
	t.Parallel()
	began := time.Now()
	r := runBinary(t, nil, "demo")
	took := time.Since(began)
	if r.code != 0 {
		t.Fatalf("scaler demo:\n%s", r)
	}
	story := []string{
		"#   nightly: bin/scaler run -- sh -c ",
		" heroku[web.1]: Starting process with command `",
		" heroku[web.1]: State changed from starting to up\n",
		" heroku[scheduler.1]: Starting process with command `scaler up nightly=1`\n",
		" heroku[nightly.1]: Starting process with command `bin/scaler run -- sh -c ",
		" app[nightly.1]: nightly report: started\n",
		" app[nightly.1]: nightly report: 42 rows written\n",
		" heroku[nightly.1]: State changed from up to down\n",
		" heroku[nightly.1]: Stopping all processes with SIGTERM\n",
		" heroku[nightly.1]: Process exited with status ",
		"# Done: ",
	}
	rest := r.stdout
	for _, want := range story {
		i := strings.Index(rest, want)
		if i < 0 {
			t.Fatalf("scaler demo does not show %q (in this order):\n%s", want, r.stdout)
		}
		rest = rest[i+len(want):]
	}
	for _, want := range []string{" app[scheduler.1]: scaled demo: nightly 0 -> 1\n", " app[nightly.1]: level=info msg=scaled app=demo type=nightly from=1 to=0\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("scaler demo does not show %q:\n%s", want, r.stdout)
		}
	}
	// The job ran once: scaler run waited for the platform's stop instead
	// of exiting into a restart.
	if n := strings.Count(r.stdout, " app[nightly.1]: nightly report: started\n"); n != 1 {
		t.Errorf("the nightly job started %d times, want once:\n%s", n, r.stdout)
	}
	if took > 30*time.Second {
		t.Errorf("scaler demo took %v; it is the first thing a newcomer runs", took)
	}
}

func TestEmulatorListensOnLoopbackByDefault(t *testing.T) {
	t.Parallel()
	r := runBinary(t, nil, "emulator", "--help")
	if r.code != 0 || !strings.Contains(r.stdout, `(default: "`+defaultListen+`")`) || !strings.HasPrefix(defaultListen, "127.0.0.1:") {
		t.Errorf("emulator --help:\n%s", r)
	}
	r = runBinary(t, nil, "emulator", "--listen", "127.0.0.1:0", "--app", "demo", "--formation", "web=1", "--app", "two")
	if r.code != 2 || !strings.Contains(r.stderr, "2 --app and 1 --formation") {
		t.Errorf("unpaired --app:\n%s", r)
	}
	r = runBinary(t, nil, "emulator", "--listen", "127.0.0.1:0", "--app", "demo", "--formation", "web=1:giant")
	if r.code != 2 || !strings.Contains(r.stderr, `unknown dyno size \"giant\"`) {
		t.Errorf("a formation of an unknown size:\n%s", r)
	}
}

// A panic must not print the token either: the environment is not in a
// Go stack trace, and no value of the token's type prints it.
func TestNoTokenInAnyOutputOfTheBinary(t *testing.T) {
	t.Parallel()
	_, env := startEmulatorProcess(t)
	env[envApp] = "demo"
	env[envLogLevel] = "debug"
	var all bytes.Buffer
	for _, args := range [][]string{
		{"up", "worker=1"}, {"status"}, {"scale", "web=x"}, {"up", "wrker=1"}, {"down", "worker", "--json"},
	} {
		r := runBinary(t, env, args...)
		all.WriteString(r.stdout + r.stderr)
	}
	if strings.Contains(all.String(), testToken) || !strings.Contains(all.String(), "api request") {
		t.Errorf("outputs:\n%s", all.String())
	}
}
