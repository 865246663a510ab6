package main

import (
	"cmp"
	"context"
	"syscall"
	"time"
)

// stops follows the signals of a command that must outlive the platform's
// SIGTERM: run once its job is over, and done. The platform's SIGTERM is
// noted, not obeyed: it is the stop that the command's own scale-down
// brings, or a shutdown that comes while the scale-down is under way. A
// person's SIGINT is obeyed.
type stops struct {
	term chan struct{} // closed at the first SIGTERM
	intr chan struct{} // closed at the first SIGINT
}

// followStops reads the signals until ctx is done, from a subscription of
// its own: a SIGTERM or SIGINT that came before the call counts too.
func (a *App) followStops(ctx context.Context) *stops {
	s := &stops{term: make(chan struct{}), intr: make(chan struct{})}
	sigs, unsubscribe := a.signals.Subscribe()
	go func() {
		defer unsubscribe()
		for {
			select {
			case sig := <-sigs:
				switch {
				case sig == syscall.SIGINT && !closed(s.intr):
					a.log.Warn("stopping", "signal", "INT")
					close(s.intr)
				case sig != syscall.SIGINT && !closed(s.term):
					a.log.Info("stop received", "signal", "TERM")
					close(s.term)
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return s
}

func closed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// awaitStop waits for the platform's SIGTERM after the command scaled the
// type of its own dyno to 0. Heroku restarts a dyno whose command exits,
// and the stop lands about a second after the API accepted the change:
// exiting at once could let the platform start the job again first. A
// person's SIGINT ends the wait; so does App.StopWait (60s by default).
func (a *App) awaitStop(s *stops) {
	wait := cmp.Or(a.StopWait, stopWait)
	a.log.Info("waiting for the platform to stop the dyno", "max", wait)
	select {
	case <-s.term:
	case <-s.intr:
	case <-time.After(wait):
		a.log.Warn("no stop came", "waited", wait, "hint", "the platform stops a dyno whose type is at 0 within seconds; exiting now lets it restart this one")
	}
}
