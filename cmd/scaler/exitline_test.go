package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// The dyno manager's `Process exited with status N` reports the dyno's
// command, scaler run, as the platform's does: it comes once the job has
// cleaned up after the platform's SIGTERM and scaler has said what the
// end means, never while the job still works. The log, as a person reads
// it: the stop, the job's cleanup, scaler's warning that this is no
// completion, then the dyno's exit. (A scale-down would do the same, but
// run's line, which says what it read, would say nightly is left at 1.)
func TestTheDynosExitComesAfterTheJobsCleanup(t *testing.T) {
	t.Parallel()
	em := startDynoEmulator(t, `
nightly: scaler run -- sh -c 'trap "echo job cleaning; while [ ! -e released ]; do sleep 0.01; done; echo job cleaned; exit 0" TERM; echo job working; while :; do sleep 0.05; done'
`, "--formation", "nightly=0", "--env", envToken+"="+testToken, "--boot-delay", "50ms", "--stop-latency", "100ms", "--kill-after", "10s")
	if r := runBinary(t, em.env, "up", "nightly=1"); r.code != 0 {
		t.Fatalf("up:\n%s", r)
	}
	_, pid, _ := strings.Cut(em.log.next(t, `app\[nightly\.1\]: level=info msg="job started" command=sh pid=\d+$`), " pid=")
	job := atoi(pid)
	// The job may print before scaler says it started it.
	em.log.rewind()
	em.log.next(t, `app\[nightly\.1\]: job working$`)
	// scaler run is the dyno's process (the session the emulator started),
	// not a child of a shell that the SIGTERM ends at once: the order below
	// is the emulator's, not luck's.
	if run := procStat(t, job)[1]; procStat(t, run)[3] != run {
		t.Errorf("scaler run (pid %d) is not the dyno's process: its session is %d", run, procStat(t, run)[3])
	}
	em.api(t, "DELETE", "/apps/demo/dynos/nightly.1") // a restart
	em.log.next(t, `heroku\[nightly\.1\]: Restarting$`)
	em.log.next(t, `heroku\[nightly\.1\]: Stopping all processes with SIGTERM$`)
	em.log.next(t, `app\[nightly\.1\]: job cleaning$`)
	if em.log.has(`heroku\[nightly\.1\]: Process exited`) {
		t.Fatalf("the dyno's exit was said while its job cleaned up:\n%s", em.log)
	}
	if err := os.WriteFile(filepath.Join(em.dir, "released"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	em.log.next(t, `app\[nightly\.1\]: job cleaned$`)
	em.log.next(t, `app\[nightly\.1\]: level=warn msg="job stopped by the platform" app=demo type=nightly status=143 took=\S+ signal=TERM next="not a completion; nightly left as it was \(1\), and the platform starts the job again, unless this stop is nightly's scale-down"$`)
	em.log.next(t, `heroku\[nightly\.1\]: Process exited with status 143$`)
	// The dyno that replaced it is stopped with the emulator: its job,
	// released already, cleans up at once.
	em.log.waitCount(t, `app\[nightly\.1\]: job working$`, 2)
	if code, _ := em.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("the emulator exited %d:\n%s", code, em.p.stderr)
	}
	if n := em.log.count(`heroku\[nightly\.1\]: Process exited`); n != 2 {
		t.Errorf("%d exits said for nightly.1, want one for each of its two dynos:\n%s", n, em.log)
	}
}

// procStat reads a process's pid, ppid, process group and session from
// /proc/PID/stat.
func procStat(t *testing.T, pid int) [4]int {
	t.Helper()
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatalf("process %d: %v", pid, err)
	}
	_, rest, _ := strings.Cut(string(stat), ") ")
	f := strings.Fields(rest) // state ppid pgrp session ...
	if len(f) < 4 {
		t.Fatalf("process %d: /proc stat %q", pid, stat)
	}
	return [4]int{pid, atoi(f[1]), atoi(f[2]), atoi(f[3])}
}
