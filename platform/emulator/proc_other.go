//go:build !linux

package emulator

import (
	"errors"
	"syscall"
)

// becomeSubreaper is Linux's alone: elsewhere the orphans of dynos go to
// init (launchd on macOS), which reaps them.
func becomeSubreaper() error { return errors.ErrUnsupported }

// liveDynos returns which of the given dynos still hold a process.
// Without /proc, a dyno is its command's process group, and a zombie
// waiting for init to reap it counts as a process: init (launchd) reaps
// at once.
func liveDynos(sessions map[int]bool) map[int]bool {
	live := map[int]bool{}
	for g := range sessions {
		if syscall.Kill(-g, 0) != syscall.ESRCH {
			live[g] = true
		}
	}
	return live
}

// signalDyno sends sig to a dyno's processes: without /proc to find every
// process of its session, to its command's process group.
func signalDyno(session int, sig syscall.Signal) {
	_ = syscall.Kill(-session, sig)
	_ = syscall.Kill(session, sig)
}

func reapOrphans(skip map[int]bool) {}

func killOrphans(skip map[int]bool) {}
