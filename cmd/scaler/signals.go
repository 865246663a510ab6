package main

import (
	"os"
	"strings"
	"syscall"
)

// signalName names a signal as logs and the README do: TERM, INT.
func signalName(sig os.Signal) string {
	if s, ok := sig.(syscall.Signal); ok {
		switch s {
		case syscall.SIGTERM:
			return "TERM"
		case syscall.SIGINT:
			return "INT"
		case syscall.SIGKILL:
			return "KILL"
		}
	}
	return strings.ToUpper(sig.String())
}
