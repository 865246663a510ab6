package emulator

import (
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// prSetChildSubreaper is prctl's PR_SET_CHILD_SUBREAPER.
const prSetChildSubreaper = 36

// becomeSubreaper makes this process the parent of the processes its
// children leave behind (a dyno's grandchildren, once the dyno's command
// has exited), instead of init, so that it can reap them: no zombie is
// left, whatever init does with orphans.
func becomeSubreaper() error {
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); errno != 0 {
		return errno
	}
	return nil
}

// procInfo is what /proc/PID/stat says of a process.
type procInfo struct {
	pid, ppid, pgrp, session int
	zombie                   bool
}

// processes lists the machine's processes from /proc.
func processes() []procInfo {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	out := make([]procInfo, 0, len(entries))
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
		s := string(raw)
		i := strings.LastIndexByte(s, ')')
		if i < 0 || i+2 > len(s) {
			continue
		}
		f := strings.Fields(s[i+2:])
		if len(f) < 4 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		pgrp, _ := strconv.Atoi(f[2])
		session, _ := strconv.Atoi(f[3])
		out = append(out, procInfo{pid: pid, ppid: ppid, pgrp: pgrp, session: session, zombie: f[0] == "Z" || f[0] == "X"})
	}
	return out
}

// A dyno is a session of its own (its command is started with setsid):
// every process it starts belongs to it, whatever process group it is put
// in, as every process belongs to a dyno's container on the platform. A
// session's id is the pid of the dyno's command.

// liveDynos returns which of the given dynos (sessions) still hold a
// process that is not a zombie. A zombie has finished: whether its parent
// (init, here, may take seconds) has reaped it yet does not matter.
func liveDynos(sessions map[int]bool) map[int]bool {
	live := map[int]bool{}
	for _, p := range processes() {
		if sessions[p.session] && !p.zombie {
			live[p.session] = true
		}
	}
	return live
}

// signalDyno sends sig to every process of a dyno, in no fixed order: the
// platform signals every process of a dyno at about the same moment, so a
// job that its supervisor runs in a process group of its own may get the
// signal before the supervisor does, or after.
func signalDyno(session int, sig syscall.Signal) {
	var pids []int
	for _, p := range processes() {
		if p.session == session && !p.zombie {
			pids = append(pids, p.pid)
		}
	}
	if pids == nil {
		// Without /proc, or gone: the dyno's own group, at least.
		_ = syscall.Kill(-session, sig)
		return
	}
	rand.Shuffle(len(pids), func(i, j int) { pids[i], pids[j] = pids[j], pids[i] })
	for _, pid := range pids {
		_ = syscall.Kill(pid, sig) // ESRCH when it has just exited
	}
}

// reapOrphans reaps this process's zombie children that are not in skip
// (the dynos' own commands, which os/exec waits for). Only a process whose
// every child is a dyno's may call it.
func reapOrphans(skip map[int]bool) {
	self := os.Getpid()
	for _, p := range processes() {
		if p.ppid == self && p.zombie && !skip[p.pid] {
			var ws syscall.WaitStatus
			syscall.Wait4(p.pid, &ws, syscall.WNOHANG, nil)
		}
	}
}

// killOrphans kills and reaps every child of this process that is not in
// skip: what escaped a dyno's session (setsid) and was left to the
// subreaper. Only a process whose every child is a dyno's may call it. It
// gives the killed 5 seconds to be reaped, never more: a process stuck in
// the kernel (state D) must not hold the emulator's exit for ever.
func killOrphans(skip map[int]bool) {
	self := os.Getpid()
	left := map[int]bool{}
	for _, p := range processes() {
		if p.ppid != self || skip[p.pid] {
			continue
		}
		if !p.zombie {
			syscall.Kill(p.pid, syscall.SIGKILL)
		}
		left[p.pid] = true
	}
	for deadline := time.Now().Add(5 * time.Second); len(left) > 0 && time.Now().Before(deadline); {
		for pid := range left {
			var ws syscall.WaitStatus
			if got, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil); got == pid || err != nil {
				delete(left, pid)
			}
		}
		if len(left) > 0 {
			time.Sleep(10 * time.Millisecond)
		}
	}
}
