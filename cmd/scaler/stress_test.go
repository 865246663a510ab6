package main

import (
	"flag"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

var stopTries = flag.Int("stop-tries", 40, "how many times TestRunStoppedAsItStarts stops scaler run in its first 30ms (a few hundred to hunt a race)")

// startDyno starts scaler as the first process of a dyno: a session of
// its own, whose every process signalSession reaches.
func startDyno(t *testing.T, env map[string]string, args ...string) *process {
	t.Helper()
	return startBinaryWith(t, "", &syscall.SysProcAttr{Setsid: true}, env, args...)
}

// signalSession sends sig to every process of a session, as the platform
// does to every process of a dyno: one by one, from a list of them.
func signalSession(session int, sig syscall.Signal) {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if sid, _, errno := syscall.RawSyscall(syscall.SYS_GETSID, uintptr(pid), 0, 0); errno == 0 && int(sid) == session {
			syscall.Kill(pid, sig)
		}
	}
}

// busyLoops loads every CPU until the test ends: the races of a signal
// that comes while scaler starts its job show under load.
func busyLoops(t *testing.T) {
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Go(func() {
			for !stop.Load() {
			}
		})
	}
	t.Cleanup(func() { stop.Store(true); wg.Wait() })
}

// A dyno stopped as it boots (a scale-down or a deploy right after the
// start): SIGTERM reaches scaler run at any moment of its first 30ms,
// while it reads the API, starts its job, or has just started it. Every
// time: exit 143, no write, and the job either never started, or was
// ended within the grace, nothing of it left. Half the tries signal
// scaler alone, which passes it on (as PID 1 on Fir); the other half
// signal every process of the dyno, as Cedar's platform does, and scaler
// passes nothing on.
func TestRunStoppedAsItStarts(t *testing.T) {
	f := newRunFixture(t, 1)
	dir := t.TempDir()
	const grace = 2 * time.Second
	busyLoops(t)
	started := 0
	for try := range *stopTries {
		pidFile := filepath.Join(dir, strconv.Itoa(try))
		alone := try%2 == 1
		forward := map[bool]string{true: forwardAlways, false: forwardAuto}[alone]
		p := startDyno(t, f.env, "run", "--grace", grace.String(), "--forward-signals", forward, "--", "sh", "-c", `echo $$ > `+pidFile+`; exec sleep 30`)
		time.Sleep(rand.N(30 * time.Millisecond)) // the scenario: the signal's moment, not a synchronisation
		signalled := time.Now()
		if alone {
			p.cmd.Process.Signal(syscall.SIGTERM)
		} else {
			signalSession(p.cmd.Process.Pid, syscall.SIGTERM)
		}
		done := make(chan struct{})
		go func() { defer close(done); io.Copy(io.Discard, p.stdout); p.cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(grace + 10*time.Second):
			p.cmd.Process.Kill()
			<-done
			t.Fatalf("try %d: scaler run did not exit %v after SIGTERM:\n%s", try, grace+10*time.Second, p.stderr)
		}
		took := time.Since(signalled)
		code := p.cmd.ProcessState.ExitCode()
		if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGTERM {
			// SIGTERM before Go's runtime had set scaler's handler, in its
			// first instants: it died of it, which shells and the platform
			// say as 143, before it could send or start anything.
			code = 143
		}
		if code != 143 {
			t.Fatalf("try %d: exit %d, want 143:\n%s", try, code, p.stderr)
		}
		if n := len(f.em.Writes()); n != 0 {
			t.Fatalf("try %d: %d writes: a dyno stopped as it boots changed the formation:\n%s", try, n, p.stderr)
		}
		raw, err := os.ReadFile(pidFile)
		if err != nil {
			continue // the job never started
		}
		started++
		pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
		if err != nil {
			continue // stopped while it wrote its pid: sh died before exec
		}
		if syscall.Kill(pid, 0) == nil && !zombie(pid) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("try %d: the job (pid %d) outlived scaler run:\n%s", try, pid, p.stderr)
		}
		// Its SIGKILL comes at the end of the grace; the group's reaping
		// may take a moment more.
		if took > grace+2*time.Second {
			t.Errorf("try %d: the job ended %v after SIGTERM, past its %v grace:\n%s", try, took, grace, p.stderr)
		}
	}
	t.Logf("%d tries, the job started in %d", *stopTries, started)
}
