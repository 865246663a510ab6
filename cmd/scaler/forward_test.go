package main

import (
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scalerdev/scaler/platform/emulator"
)

// Which stop signals run passes on to its job, by where it runs.
func TestSignalPolicy(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		mode     string
		pid      int
		dyno     string
		terminal bool
		term     bool // SIGTERM passed on
	}{
		{forwardAuto, 4242, "worker.1", false, false},    // Cedar: the platform signals every process
		{forwardAuto, 4242, "scheduler.7", false, false}, // a one-off dyno too
		{forwardAuto, 1, "worker.1", false, true},        // PID 1: Fir, a container
		{forwardAuto, 4242, "", false, true},             // outside a dyno
		{forwardAuto, 4242, "run.1234", true, true},      // heroku run bash: a person
		{forwardAlways, 4242, "worker.1", false, true},   // overridden
		{forwardNever, 1, "", true, false},               // overridden
	} {
		passOn, why, err := signalPolicy(tt.mode, tt.pid, tt.dyno, tt.terminal)
		if err != nil {
			t.Fatalf("signalPolicy(%q, %d, %q, %v): %v", tt.mode, tt.pid, tt.dyno, tt.terminal, err)
		}
		if got := passOn(syscall.SIGTERM); got != tt.term || why == "" {
			t.Errorf("signalPolicy(%q, %d, %q, %v) passes SIGTERM on: %v (%q), want %v", tt.mode, tt.pid, tt.dyno, tt.terminal, got, why, tt.term)
		}
		// The platform never sends SIGINT: it comes from a person, and
		// goes on, unless never.
		if got := passOn(syscall.SIGINT); got != (tt.mode != forwardNever) {
			t.Errorf("signalPolicy(%q, %d, %q, %v) passes SIGINT on: %v", tt.mode, tt.pid, tt.dyno, tt.terminal, got)
		}
	}
	if _, _, err := signalPolicy("sometimes", 4242, "worker.1", false); err == nil || exitCode(err) != exitUsage {
		t.Errorf("signalPolicy(\"sometimes\") = %v, want a usage error", err)
	}
}

// countJob is the Procfile command of a job that counts the signals it
// gets (the scaler package's helper, "count" mode), under scaler run.
func countJob(flags string) string {
	return "exec scaler run " + flags + " -- " + jobBinary + " -test.run=^TestHelperProcess$"
}

// waitCount waits until n lines of the stream match pattern.
func (s *logStream) waitCount(t *testing.T, pattern string, n int) {
	t.Helper()
	re := regexp.MustCompile(pattern)
	deadline := time.Now().Add(logWait)
	seen := 0
	for {
		lines, _ := s.wait(seen, time.Until(deadline))
		count := 0
		for _, l := range lines {
			if re.MatchString(l) {
				count++
			}
		}
		if count >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d lines match %q after %v, want %d; the stream:\n%s", count, pattern, logWait, n, s)
		}
		seen = len(lines)
	}
}

func (s *logStream) count(pattern string) int {
	return len(regexp.MustCompile(`(?m)`+pattern).FindAllString(s.String(), -1))
}

// api sends the Platform API request that a person's heroku command sends.
func (em *dynoEmulator) api(t *testing.T, method, path string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), method, em.env[envAPIURL]+path, nil)
	req.Header.Set("Accept", emulator.AcceptHeader)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %s", method, path, resp.Status)
	}
}

// Under the dyno manager, whose platform sends SIGTERM to every process of
// a dyno as Heroku's Cedar does, the job gets each stop signal once, the
// platform's, whatever stops the dyno: a restart, a deploy (every dyno
// restarted), a stop, a scale-down, cycling, the platform's own shutdown.
// scaler does not add its own.
func TestRunJobGetsThePlatformsSignalOnce(t *testing.T) {
	t.Parallel()
	em := startDynoEmulator(t, "nightly: "+countJob("--grace 5s")+"\n",
		"--formation", "nightly=0", "--env", envToken+"="+testToken, "--env", "SCALER_TEST_JOB=count:700ms",
		"--boot-delay", "50ms", "--stop-latency", "100ms", "--kill-after", "10s")
	const ready, term = `app\[nightly\.1\]: job: ready`, `app\[nightly\.1\]: job: got TERM #1$`
	if r := runBinary(t, em.env, "up", "nightly=1"); r.code != 0 {
		t.Fatalf("up:\n%s", r)
	}
	em.log.waitCount(t, ready, 1)
	stops := []struct {
		name string
		do   func()
	}{
		{"restart", func() { em.api(t, "DELETE", "/apps/demo/dynos/nightly.1") }},
		{"deploy", func() { em.api(t, "DELETE", "/apps/demo/dynos") }},
		{"stop", func() { em.api(t, "POST", "/apps/demo/dynos/nightly.1/actions/stop") }},
		{"scale-down", func() {
			if r := runBinary(t, em.env, "down", "nightly"); r.code != 0 {
				t.Fatalf("down:\n%s", r)
			}
		}},
	}
	for i, stop := range stops {
		stop.do()
		em.log.waitCount(t, term, i+1)
		if i+1 < len(stops) {
			em.log.waitCount(t, ready, i+2) // the dyno that replaces it
		}
	}
	em.log.waitCount(t, `heroku\[nightly\.1\]: Process exited with status`, len(stops))
	if code, _ := em.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("the emulator exited %d", code)
	}
	for pattern, want := range map[string]int{
		term:                                  len(stops),
		`app\[nightly\.1\]: job: got TERM #2`: 0,
		`app\[nightly\.1\]: level=warn msg="shutdown before completion" signal=TERM passed_on=false`: len(stops),
		`passed_on=true`: 0,
	} {
		if n := em.log.count(pattern); n != want {
			t.Errorf("%d lines match %s, want %d:\n%s", n, pattern, want, em.log)
		}
	}
}

// Daily cycling, and the platform's own shutdown (the emulator stopping):
// each one SIGTERM for the job.
func TestRunJobGetsCyclingsSignalOnce(t *testing.T) {
	t.Parallel()
	em := startDynoEmulator(t, "nightly: "+countJob("--grace 5s")+"\n",
		"--formation", "nightly=1", "--env", envToken+"="+testToken, "--env", "SCALER_TEST_JOB=count:700ms",
		"--boot-delay", "50ms", "--cycle", "2s", "--kill-after", "10s")
	em.log.next(t, `heroku\[nightly\.1\]: Cycling$`)
	em.log.waitCount(t, `app\[nightly\.1\]: job: got TERM #1$`, 1)
	em.log.waitCount(t, `app\[nightly\.1\]: job: ready`, 2)
	if code, _ := em.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("the emulator exited %d", code)
	}
	if n, m := em.log.count(`app\[nightly\.1\]: job: got TERM #1$`), em.log.count(`job: got TERM #2`); n < 2 || m != 0 {
		t.Errorf("%d first and %d second SIGTERMs, want one for each stop (cycling, then the shutdown):\n%s", n, m, em.log)
	}
}

// Where the platform signals only the first process of the container
// (Fir, a plain container), scaler is PID 1 and passes the signal on, once
// per signal it gets.
func TestRunAsPID1PassesSignalsOn(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("PID namespaces are Linux's")
	}
	f := newRunFixture(t, 1)
	f.env["SCALER_TEST_JOB"] = "count:500ms"
	cmd := exec.Command(binary, append([]string{"run", "--grace", "5s"}, jobArgs()...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for k, v := range f.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	cmd.Stderr = stderr
	// As `unshare --pid --fork` does: scaler is PID 1 of a new PID
	// namespace; without the privilege, in a new user namespace too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
	if err := cmd.Start(); errors.Is(err, syscall.EPERM) {
		cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWUSER,
			UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
			GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}}
		err = cmd.Start()
		if err != nil {
			t.Skipf("this machine allows no new PID namespace, privileged or in a user namespace (%v): scaler as PID 1 is not tested here", err)
		}
	} else if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	copied := make(chan struct{})
	go func() { io.Copy(stdout, out); close(copied) }()
	if !stdout.waitFor("job: ready", logWait) {
		t.Fatalf("the job did not start:\n%s%s", stdout, stderr)
	}
	// NSpid: its pid here, then in its own namespace.
	status, _ := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/status")
	if !regexp.MustCompile(`(?m)^NSpid:\s+\d+\s+1$`).Match(status) {
		t.Fatalf("scaler is not PID 1 of a namespace of its own:\n%s", status)
	}
	cmd.Process.Signal(syscall.SIGTERM) // the platform's, to the first process only
	if !stdout.waitFor("job: cleaned up", logWait) {
		t.Fatalf("the job did not end:\n%s%s", stdout, stderr)
	}
	<-copied
	err = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 143 {
		t.Errorf("exit %d (%v), want 143:\n%s", code, err, stderr)
	}
	if got := stdout.String(); strings.Count(got, "job: got TERM #1") != 1 || strings.Contains(got, "#2") {
		t.Errorf("the job did not get SIGTERM once:\n%s", got)
	}
	if !strings.Contains(stderr.String(), `msg="shutdown before completion" signal=TERM passed_on=true`) || len(f.em.Writes()) != 0 {
		t.Errorf("stderr, after %d writes:\n%s", len(f.em.Writes()), stderr)
	}
}

// In a terminal (heroku run bash, a shell), a person's kill of scaler
// reaches scaler alone, and goes on to the job once; a person's Ctrl-C
// reaches the job, which has the terminal, and nothing adds to it.
func TestRunInATerminalSignalsTheJobOnce(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("opens a pseudo-terminal the Linux way")
	}
	for _, tt := range []struct {
		name, want string
		send       func(cmd *exec.Cmd, master *os.File)
	}{
		{"kill", "job: got TERM #1", func(cmd *exec.Cmd, _ *os.File) { cmd.Process.Signal(syscall.SIGTERM) }},
		{"Ctrl-C", "job: got INT #1", func(_ *exec.Cmd, master *os.File) { io.WriteString(master, "\x03") }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cmd, master, out := startInPTY(t, []string{"SCALER_TEST_JOB=count:500ms", envDyno + "=run.1234"}, "run", "--grace", "5s")
			if !out.waitFor("job: ready", logWait) {
				t.Fatalf("the job did not start:\n%s", out)
			}
			tt.send(cmd, master)
			if !out.waitFor("job: cleaned up", logWait) {
				t.Fatalf("the job did not end:\n%s", out)
			}
			cmd.Wait()
			if got := out.String(); strings.Count(got, tt.want) != 1 || strings.Contains(got, "#2") || strings.Count(got, "job: got") != 1 {
				t.Errorf("the job did not get one signal, %s:\n%s", tt.want, got)
			}
		})
	}
}

// The platform's SIGTERM to the job lost or late (the job started as the
// platform listed the dyno's processes): in a formation dyno, scaler does
// not pass its own on, and the grace ends the job, with SIGKILL, well
// before the platform's.
func TestRunJobThatTheStopMissedEndsWithinTheGrace(t *testing.T) {
	t.Parallel()
	f := newRunFixture(t, 1)
	p := f.start(t, "count:100ms", "--grace", "500ms")
	began := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM) // scaler's only: the job's is lost
	r := f.finish(t, p)
	took := time.Since(began)
	if r.code != 143 || took < 500*time.Millisecond || took > 10*time.Second {
		t.Errorf("exit %d after %v, want 143 after the grace of 500ms:\n%s", r.code, took, r)
	}
	if strings.Contains(r.stdout, "job: got") || !strings.Contains(r.stderr, `passed_on=false`) || !strings.Contains(r.stderr, `msg="job killed" signal=KILL`) {
		t.Errorf("the job must get no signal from scaler, and be killed at the grace's end:\n%s", r)
	}
	if len(f.em.Writes()) != 0 {
		t.Errorf("%d writes after a shutdown", len(f.em.Writes()))
	}
}

// docBlock returns the code block that follows marker in a page of docs/.
func docBlock(t *testing.T, page, marker string) string {
	t.Helper()
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), marker+"\n```")
	if !ok {
		t.Fatalf("%s has no block after %s", page, marker)
	}
	_, after, _ = strings.Cut(after, "\n")
	block, _, ok := strings.Cut(after, "\n```\n")
	if !ok {
		t.Fatalf("%s: the block after %s does not end", page, marker)
	}
	return block
}

// The TERM handlers that docs/run.md advises clean up once, however many
// SIGTERMs come: here two, the platform's to the job and scaler's passed
// on.
func TestTermHandlerExamples(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ marker, interpreter, flag string }{
		{"<!-- term-handler.sh -->", "sh", "-c"},
		{"<!-- term-handler.rb -->", "ruby", "-e"},
	} {
		t.Run(tt.interpreter, func(t *testing.T) {
			t.Parallel()
			if _, err := exec.LookPath(tt.interpreter); err != nil {
				t.Skipf("%s is not installed here: the example is not run", tt.interpreter)
			}
			script := docBlock(t, "../../docs/run.md", tt.marker)
			f := newRunFixture(t, 1)
			p := startBinary(t, f.env, "run", "--forward-signals", "always", "--", tt.interpreter, tt.flag, script)
			if line := p.line(t); line != "nightly: working" {
				t.Fatalf("the job printed %q first:\n%s", line, p.stderr)
			}
			if !p.stderr.waitFor(`msg="job started"`, logWait) {
				t.Fatalf("stderr:\n%s", p.stderr)
			}
			_, after, _ := strings.Cut(p.stderr.String(), `msg="job started" command=`+tt.interpreter+" pid=")
			group, err := strconv.Atoi(strings.Fields(after + " ")[0])
			if err != nil {
				t.Fatalf("no pid of the job in:\n%s", p.stderr)
			}
			syscall.Kill(-group, syscall.SIGTERM) // the platform's
			p.cmd.Process.Signal(syscall.SIGTERM) // scaler's, passed on
			r := f.finish(t, p)
			if r.code != 143 || strings.Count(r.stdout, "nightly: saving progress") != 1 || len(f.em.Writes()) != 0 {
				t.Errorf("exit %d after %d writes; want 143, one cleanup, no write:\n%s", r.code, len(f.em.Writes()), r)
			}
		})
	}
}
