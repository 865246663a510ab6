package scaler

import (
	"io"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
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
	unix.IoctlSetPointerInt(int(t.file.Fd()), unix.TIOCSPGRP, t.group)
}

// terminalGroup returns the foreground process group of f, the caller's
// controlling terminal. TIOCGPGRP writes a 32-bit pid_t into the int that
// IoctlGetInt reads, whole on the little-endian platforms scaler is built
// for; elsewhere the group would never match scaler's, and the terminal
// would be left alone.
func terminalGroup(f *os.File) (int, error) {
	return unix.IoctlGetInt(int(f.Fd()), unix.TIOCGPGRP)
}
