package emulator

import (
	"os"
	"strconv"
	"strings"
	"syscall"
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
	pid, ppid, pgrp int
	zombie          bool
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
		if len(f) < 3 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		pgrp, _ := strconv.Atoi(f[2])
		out = append(out, procInfo{pid: pid, ppid: ppid, pgrp: pgrp, zombie: f[0] == "Z" || f[0] == "X"})
	}
	return out
}

// liveGroups returns which of the given process groups still hold a
// process that is not a zombie. A zombie has finished: whether its parent
// (init, here, may take seconds) has reaped it yet does not matter.
func liveGroups(groups map[int]bool) map[int]bool {
	live := map[int]bool{}
	maybe := false
	for g := range groups {
		// ESRCH: nothing at all in the group, not even a zombie.
		if syscall.Kill(-g, 0) != syscall.ESRCH {
			maybe = true
		}
	}
	if !maybe {
		return live
	}
	for _, p := range processes() {
		if groups[p.pgrp] && !p.zombie {
			live[p.pgrp] = true
		}
	}
	return live
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
// skip: what escaped a dyno's process group (setsid) and was left to the
// subreaper. Only a process whose every child is a dyno's may call it.
func killOrphans(skip map[int]bool) {
	self := os.Getpid()
	for _, p := range processes() {
		if p.ppid != self || skip[p.pid] {
			continue
		}
		if !p.zombie {
			syscall.Kill(p.pid, syscall.SIGKILL)
		}
		var ws syscall.WaitStatus
		syscall.Wait4(p.pid, &ws, 0, nil)
	}
}
