package scaler

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// helperEnv selects what TestHelperProcess does when this test binary runs
// as a job. The cmd/scaler tests run this same binary as their jobs.
const helperEnv = "SCALER_TEST_JOB"

// TestHelperProcess is not a test: it is the job, when the test binary is
// re-executed with SCALER_TEST_JOB set. It says what it does on stdout, so
// that tests synchronise on its words, never on sleeps:
//
//	exit:N     print "job: ready", exit N
//	wait       print "job: ready", wait for SIGTERM or SIGINT, print "job: got TERM" (or INT), exit 0
//	term:N     print "job: ready", wait for SIGTERM, print "job: got TERM", exit N
//	hang       print "job: ready", hang: SIGTERM's default action ends it
//	stubborn   ignore SIGTERM, start a grandchild that ignores it too, print "job: ready grandchild=PID", hang
//	leftover   start a grandchild that hangs, print "job: ready grandchild=PID", exit 0
//	kill-self  print "job: ready", die of SIGKILL
//	echo       print "job: ready", then "job: read LINE" for each line of standard input until EOF, exit 0
//	runid      print "job: ready run=$SCALER_RUN_ID", exit 0
//	count:D    print "job: ready", then "job: got TERM #N" (or INT) for each
//	           signal it gets, counting each kind; exit 0 D after the first
//	           (its cleanup time, in which a second would be counted)
//
// Every "job: ready" line ends with " pid=PID": the job leads its own
// process group, so a test can signal the group as the platform does.
func TestHelperProcess(t *testing.T) {
	mode, ok := os.LookupEnv(helperEnv)
	if !ok {
		return
	}
	helper(mode)
	os.Exit(0)
}

func helper(mode string) {
	hang := func() {
		for {
			time.Sleep(time.Hour)
		}
	}
	ready := func(extra string) { fmt.Printf("job: ready%s pid=%d\n", extra, os.Getpid()) }
	switch {
	case strings.HasPrefix(mode, "exit:"):
		n, _ := strconv.Atoi(strings.TrimPrefix(mode, "exit:"))
		ready("")
		os.Exit(n)
	case mode == "wait", strings.HasPrefix(mode, "term:"):
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
		ready("")
		sig := <-sigs
		fmt.Println("job: got " + SignalName(sig))
		n, _ := strconv.Atoi(strings.TrimPrefix(mode, "term:"))
		os.Exit(n)
	case mode == "hang":
		ready("")
		hang()
	case mode == "stubborn", mode == "leftover":
		if mode == "stubborn" {
			signal.Ignore(syscall.SIGTERM)
		}
		child := exec.Command(os.Args[0], os.Args[1:]...)
		child.Env = append(os.Environ(), helperEnv+"=grandchild")
		if err := child.Start(); err != nil {
			fmt.Println("job: cannot start grandchild:", err)
			os.Exit(99)
		}
		ready(fmt.Sprintf(" grandchild=%d", child.Process.Pid))
		if mode == "leftover" {
			os.Exit(0)
		}
		hang()
	case mode == "grandchild":
		signal.Ignore(syscall.SIGTERM)
		hang()
	case mode == "kill-self":
		ready("")
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		hang()
	case strings.HasPrefix(mode, "count:"):
		cleanup, _ := time.ParseDuration(strings.TrimPrefix(mode, "count:"))
		sigs := make(chan os.Signal, 16)
		signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
		ready("")
		counts := map[os.Signal]int{}
		var end <-chan time.Time
		for {
			select {
			case sig := <-sigs:
				counts[sig]++
				fmt.Printf("job: got %s #%d\n", SignalName(sig), counts[sig])
				if end == nil {
					end = time.After(cleanup)
				}
			case <-end:
				fmt.Println("job: cleaned up")
				os.Exit(0)
			}
		}
	case mode == "runid":
		ready(" run=" + os.Getenv("SCALER_RUN_ID"))
	case mode == "echo":
		ready("")
		lines := bufio.NewScanner(os.Stdin)
		for lines.Scan() {
			fmt.Println("job: read " + lines.Text())
		}
	}
}

// watcher is the job's stdout: it keeps what the job prints and tells who
// waits for a word when it appears.
type watcher struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	waits map[string]chan struct{}
}

func (w *watcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for word, ch := range w.waits {
		if strings.Contains(w.buf.String(), word) {
			close(ch)
			delete(w.waits, word)
		}
	}
	return len(p), nil
}

// await returns a channel closed once the job has printed word.
func (w *watcher) await(word string) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	ch := make(chan struct{})
	if strings.Contains(w.buf.String(), word) {
		close(ch)
		return ch
	}
	if w.waits == nil {
		w.waits = map[string]chan struct{}{}
	}
	w.waits[word] = ch
	return ch
}

func (w *watcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// grandchild reads the grandchild's pid from what the job printed.
func (w *watcher) grandchild(t *testing.T) int {
	t.Helper()
	_, after, ok := strings.Cut(w.String(), "grandchild=")
	pid, err := strconv.Atoi(strings.Fields(after + " ")[0])
	if !ok || err != nil {
		t.Fatalf("no grandchild pid in %q", w.String())
	}
	return pid
}

// Gone reports whether a process no longer runs: it does not exist, or it
// is a zombie waiting for its new parent to reap it.
func gone(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	_, rest, _ := strings.Cut(string(stat), ") ")
	return strings.HasPrefix(rest, "Z")
}

func helperJob(mode string, out *watcher, sigs chan os.Signal) *Job {
	return &Job{
		Path: os.Args[0], Args: []string{"-test.run=^TestHelperProcess$"},
		Env:    append(os.Environ(), helperEnv+"="+mode),
		Stdout: out, Stderr: os.Stderr,
		// A short settle keeps the tests quick; the tests of the settle
		// itself set their own.
		Grace: 5 * time.Second, Settle: 50 * time.Millisecond, Signals: sigs,
	}
}

// runJob runs job, and returns its outcome without its run time (Took),
// which it checks: measured when the job started, none when it did not.
func runJob(t *testing.T, job *Job, ctx context.Context) Outcome {
	t.Helper()
	out := job.Run(ctx)
	if started := out.Took > 0; started == out.NotStarted {
		t.Errorf("Run() = %+v: a run time of %v for a job started: %v", out, out.Took, !out.NotStarted)
	}
	out.Took = 0
	return out
}

// pid reads the job's pid, which is its process group, from its ready line.
func (w *watcher) pid(t *testing.T) int {
	t.Helper()
	_, after, ok := strings.Cut(w.String(), " pid=")
	pid, err := strconv.Atoi(strings.Fields(after + " ")[0])
	if !ok || err != nil {
		t.Fatalf("no pid in %q", w.String())
	}
	return pid
}

func TestJobRunsToCompletion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		mode string
		want Outcome
	}{
		{"exit:0", Outcome{Status: 0, Completed: true}},
		{"exit:3", Outcome{Status: 3, Completed: true}},
		{"kill-self", Outcome{Status: 137, Completed: true}},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			t.Parallel()
			out := &watcher{}
			got := runJob(t, helperJob(tt.mode, out, nil), t.Context())
			if got != tt.want {
				t.Errorf("Run() = %+v, want %+v", got, tt.want)
			}
			if !strings.Contains(out.String(), "job: ready") {
				t.Errorf("the job's output did not come through: %q", out)
			}
		})
	}
}

func TestJobThatCannotStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notExec := dir + "/job"
	os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644)
	for path, want := range map[string]int{"no-such-command-for-scaler": StatusNotFound, dir + "/missing": StatusNotFound, notExec: StatusCannotRun} {
		got := runJob(t, (&Job{Path: path, Grace: time.Second}), t.Context())
		if got.Status != want || !got.Completed || !got.NotStarted {
			t.Errorf("Run(%s) = %+v, want status %d, completed", path, got, want)
		}
	}
}

func TestJobShutdownBeforeCompletion(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(SignalName(sig), func(t *testing.T) {
			t.Parallel()
			out, sigs := &watcher{}, make(chan os.Signal, 4)
			job := helperJob("wait", out, sigs)
			ready := out.await("job: ready")
			go func() { <-ready; sigs <- sig }()
			got := runJob(t, job, t.Context())
			want := Outcome{Status: 128 + int(sig), Signal: sig}
			if got != want {
				t.Errorf("Run() = %+v, want %+v", got, want)
			}
			if !strings.Contains(out.String(), "job: got "+SignalName(sig)) {
				t.Errorf("the job did not get the signal: %q", out)
			}
		})
	}
}

func TestJobIgnoringTermIsKilledWithItsGroup(t *testing.T) {
	t.Parallel()
	out, sigs := &watcher{}, make(chan os.Signal, 4)
	job := helperJob("stubborn", out, sigs)
	job.Grace = 300 * time.Millisecond
	ready := out.await("job: ready")
	go func() {
		<-ready
		sigs <- syscall.SIGTERM
		sigs <- syscall.SIGTERM // platforms repeat it; harmless
	}()
	began := time.Now()
	got := runJob(t, job, t.Context())
	if want := (Outcome{Status: 143, Signal: syscall.SIGTERM}); got != want {
		t.Errorf("Run() = %+v, want %+v", got, want)
	}
	if took := time.Since(began); took < job.Grace {
		t.Errorf("killed after %v, before the grace of %v", took, job.Grace)
	}
	if pid := out.grandchild(t); !gone(pid) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Errorf("grandchild %d outlived the job", pid)
	}
}

func TestJobTimeout(t *testing.T) {
	t.Parallel()
	out, logs := &watcher{}, &watcher{}
	job := helperJob("wait", out, nil)
	job.Timeout = 100 * time.Millisecond
	job.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	got := runJob(t, job, t.Context())
	if want := (Outcome{Status: StatusTimeout, Completed: true, TimedOut: true}); got != want {
		t.Errorf("Run() = %+v, want %+v", got, want)
	}
	// SIGTERM ends the job: caught, when it came after the job set its
	// handler, or by its default action (status 143) when it came before.
	termed := strings.Contains(out.String(), "job: got TERM") || strings.Contains(logs.String(), `msg="job exited" status=143`)
	if !termed || strings.Contains(logs.String(), "job killed") {
		t.Errorf("the job was not stopped by SIGTERM at its timeout:\n%s%s", out, logs)
	}
}

func TestJobLeftoversAreStopped(t *testing.T) {
	t.Parallel()
	out := &watcher{}
	job := helperJob("leftover", out, nil)
	job.Grace = 300 * time.Millisecond
	got := runJob(t, job, t.Context())
	if got.Status != 0 || !got.Completed {
		t.Errorf("Run() = %+v", got)
	}
	if pid := out.grandchild(t); !gone(pid) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Errorf("grandchild %d left running after the job completed", pid)
	}
}

// A stop signal that came before the job's start: the job is not started.
func TestJobNotStartedAfterAStopSignal(t *testing.T) {
	t.Parallel()
	out, sigs := &watcher{}, make(chan os.Signal, 1)
	sigs <- syscall.SIGTERM
	got := runJob(t, helperJob("exit:0", out, sigs), t.Context())
	if want := (Outcome{Status: 143, Signal: syscall.SIGTERM, NotStarted: true}); got != want || out.String() != "" {
		t.Errorf("Run() = %+v, want %+v, and no job (it printed %q)", got, want, out)
	}
}

// A stop signal that reaches scaler while the job is being started may have
// been sent before the job's process existed, so that the platform's missed
// it: it goes on to the job even where PassOn says the platform's signal
// reaches the job itself. Here it comes after Run's last look before the
// start, and before the start.
func TestJobStoppedAsItStartsGetsTheSignal(t *testing.T) {
	out, sigs := &watcher{}, make(chan os.Signal, 1)
	var log bytes.Buffer
	job := helperJob("hang", out, sigs)
	job.Log = slog.New(slog.NewTextHandler(&log, nil))
	job.PassOn = func(os.Signal) bool { return false }
	job.starting = func() { sigs <- syscall.SIGTERM }
	got := runJob(t, job, t.Context())
	if want := (Outcome{Status: 143, Signal: syscall.SIGTERM}); got != want {
		t.Errorf("Run() = %+v, want %+v", got, want)
	}
	// The job ended of the SIGTERM passed on, not of the grace's SIGKILL.
	if !strings.Contains(log.String(), "passed_on=true") || strings.Contains(log.String(), "job killed") {
		t.Errorf("the log:\n%s", log.String())
	}
}

func TestJobCancelledContextStopsIt(t *testing.T) {
	t.Parallel()
	out := &watcher{}
	ctx, cancel := context.WithCancel(t.Context())
	job := helperJob("wait", out, nil)
	ready := out.await("job: ready")
	go func() { <-ready; cancel() }()
	if got := runJob(t, job, ctx); got.Completed || got.Status != 143 {
		t.Errorf("Run() = %+v, want a shutdown", got)
	}
}

// The platform's shutdown sends SIGTERM to every process of the dyno at
// about the same moment: the job may get it first, and exit in any way,
// before scaler gets its own. None of it is a completion. The delays go up
// to 500ms, with a settle period of 1.5s: a margin of a second, however
// loaded the machine.
func TestJobShutdownThatReachesTheJobFirst(t *testing.T) {
	t.Parallel()
	behaviours := []struct {
		mode, does string
	}{
		{"hang", "dies of it"},
		{"wait", "exits 0 after cleanup"},
		{"term:143", "exits 143"},
		{"stubborn", "ignores it until SIGKILL"},
	}
	for _, b := range behaviours {
		for _, delay := range []time.Duration{0, 100 * time.Millisecond, 500 * time.Millisecond} {
			t.Run(fmt.Sprintf("the job %s, scaler's SIGTERM %v later", b.does, delay), func(t *testing.T) {
				t.Parallel()
				out, sigs := &watcher{}, make(chan os.Signal, 4)
				job := helperJob(b.mode, out, sigs)
				job.Settle, job.Grace = 1500*time.Millisecond, 300*time.Millisecond
				ready := out.await("job: ready")
				go func() {
					<-ready
					syscall.Kill(-out.pid(t), syscall.SIGTERM) // the whole group, as the platform does
					time.Sleep(delay)                          // the scenario: scaler's SIGTERM comes later
					sigs <- syscall.SIGTERM
				}()
				got := runJob(t, job, t.Context())
				if want := (Outcome{Status: 143, Signal: syscall.SIGTERM}); got != want {
					t.Errorf("Run() = %+v, want %+v: a shutdown taken for a completion", got, want)
				}
			})
		}
	}
}

// A job ended by a SIGTERM that did not come from the platform (nothing
// stops the dyno) has ended on its own, once the platform's kill window
// has shown nothing: it is done, with its status.
func TestJobStoppedBySigtermWithoutShutdown(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"hang", "term:143"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			out, logs := &watcher{}, &watcher{}
			job := helperJob(mode, out, make(chan os.Signal, 1))
			job.StopWait = 200 * time.Millisecond
			job.Log = slog.New(slog.NewTextHandler(logs, nil))
			ready := out.await("job: ready")
			go func() { <-ready; syscall.Kill(-out.pid(t), syscall.SIGTERM) }()
			began := time.Now()
			got := runJob(t, job, t.Context())
			if want := (Outcome{Status: 143, Completed: true}); got != want {
				t.Errorf("Run() = %+v, want %+v", got, want)
			}
			if took := time.Since(began); took < job.StopWait {
				t.Errorf("decided after %v, before waiting %v for the dyno's SIGTERM", took, job.StopWait)
			}
			if !strings.Contains(logs.String(), `msg="no shutdown followed"`) {
				t.Errorf("logs:\n%s", logs)
			}
		})
	}
}

// A person's Ctrl-C reaches the foreground job, not scaler: the job did
// not complete.
func TestJobInterruptedByAPerson(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"hang", "wait"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			out := &watcher{}
			job := helperJob(mode, out, make(chan os.Signal, 1))
			ready := out.await("job: ready")
			go func() { <-ready; syscall.Kill(-out.pid(t), syscall.SIGINT) }()
			got := runJob(t, job, t.Context())
			if mode == "wait" {
				// It caught SIGINT and exited 0: nothing tells it from a
				// completion, and no stop signal follows.
				if want := (Outcome{Status: 0, Completed: true}); got != want {
					t.Errorf("Run() = %+v, want %+v", got, want)
				}
				return
			}
			if want := (Outcome{Status: 130, Signal: syscall.SIGINT}); got != want {
				t.Errorf("Run() = %+v, want %+v", got, want)
			}
		})
	}
}

// The README promises that the scale-down leaves within a second of a job's
// exit: the settle period, plus scaler's own work (3 ms measured, `go run
// ./cmd/bench -sections run`), plus a read and a write. The settle period must
// leave room for them; the figure itself is the benchmark's.
func TestDefaultSettleLeavesTheScaleDownWithinASecond(t *testing.T) {
	t.Parallel()
	if DefaultSettle > 800*time.Millisecond {
		t.Errorf("DefaultSettle = %v: with the read and the write after it, the scale-down would leave more than 1s after the job's exit", DefaultSettle)
	}
}

// A job that exits on its own is done only once the settle period has
// passed without a stop signal.
func TestJobSettlesBeforeCompletion(t *testing.T) {
	t.Parallel()
	out := &watcher{}
	job := helperJob("exit:0", out, make(chan os.Signal, 1))
	job.Settle = 300 * time.Millisecond
	ready := out.await("job: ready")
	at := make(chan time.Time, 1)
	go func() { <-ready; at <- time.Now() }() // the job exits right after
	got := runJob(t, job, t.Context())
	if want := (Outcome{Status: 0, Completed: true}); got != want {
		t.Errorf("Run() = %+v, want %+v", got, want)
	}
	if took := time.Since(<-at); took < job.Settle {
		t.Errorf("decided %v after the job's exit, before the settle period of %v", took, job.Settle)
	}
}
