package scaler

import (
	"io"
	"os"
	"os/signal"
	"syscall"
	"unsafe"
)

// terminal is the controlling terminal that scaler hands to a job for its
// run: a job in a background process group that reads the terminal is
// stopped by SIGTTIN, and hangs for ever.
type terminal struct {
	file  *os.File
	group int // scaler's process group, the foreground one before the job
}

// foreground returns the terminal to hand to the job when r, the job's
// standard input, is scaler's controlling terminal and scaler's group is
// its foreground group (scaler run in a terminal, as in `heroku run bash`).
// Otherwise (a pipe, a file, scaler in the background) it returns nil and
// the terminal is left alone.
func foreground(r io.Reader) *terminal {
	f, ok := r.(*os.File)
	if !ok || f == nil {
		return nil
	}
	// TIOCGPGRP answers only for the caller's controlling terminal.
	group, err := terminalGroup(f)
	if err != nil || group != syscall.Getpgrp() {
		return nil
	}
	return &terminal{file: f, group: group}
}

// IsTerminal reports whether r is this process's controlling terminal:
// scaler runs in a person's terminal session (a shell, heroku run bash).
func IsTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok || f == nil {
		return false
	}
	_, err := terminalGroup(f)
	return err == nil
}

// reclaim makes scaler's group the terminal's foreground group again once
// the job has exited. A process outside the foreground group that sets it
// is sent SIGTTOU, unless it ignores it.
func (t *terminal) reclaim() {
	signal.Ignore(syscall.SIGTTOU)
	defer signal.Reset(syscall.SIGTTOU)
	group := int32(t.group)
	syscall.Syscall(syscall.SYS_IOCTL, t.file.Fd(), syscall.TIOCSPGRP, uintptr(unsafe.Pointer(&group)))
}

func terminalGroup(f *os.File) (int, error) {
	var group int32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), syscall.TIOCGPGRP, uintptr(unsafe.Pointer(&group))); errno != 0 {
		return 0, errno
	}
	return int(group), nil
}
