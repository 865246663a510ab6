//go:build !linux

package emulator

import (
	"errors"
	"syscall"
)

// becomeSubreaper is Linux's alone: elsewhere the orphans of dynos go to
// init (launchd on macOS), which reaps them.
func becomeSubreaper() error { return errors.ErrUnsupported }

// liveGroups returns which of the given process groups still hold a
// process. Without /proc, a zombie waiting for init to reap it counts as
// a process: init (launchd) reaps at once.
func liveGroups(groups map[int]bool) map[int]bool {
	live := map[int]bool{}
	for g := range groups {
		if syscall.Kill(-g, 0) != syscall.ESRCH {
			live[g] = true
		}
	}
	return live
}

func reapOrphans(skip map[int]bool) {}

func killOrphans(skip map[int]bool) {}
