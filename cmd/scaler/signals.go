package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"sync"
	"syscall"

	"github.com/scalerdev/scaler/scaler"
)

// stopSignals are the signals scaler handles: the platform's SIGTERM, and a
// person's SIGINT (Ctrl-C).
var stopSignals = []os.Signal{syscall.SIGTERM, syscall.SIGINT}

// processSignals is the one call of signal.Notify: the stop signals that
// reach this process, for Main's hub to read. It is buffered, so that a
// signal that comes before the hub reads is kept.
func processSignals() <-chan os.Signal {
	ch := make(chan os.Signal, subscriptionBuffer)
	signal.Notify(ch, stopSignals...)
	return ch
}

// subscriptionBuffer is how many signals a subscriber may leave unread
// before the hub drops the next for it. Signals come a few at a time (the
// platform may repeat SIGTERM): a reader that leaves 16 unread has had
// every one that matters.
const subscriptionBuffer = 16

// signalHub is the one reader of the signals that reach scaler, for one run
// of the command line. Every part of a command that cares subscribes, and
// gets every signal from then on, whoever else reads: no reader depends on
// another having gone. A shutdown is remembered: a subscriber also gets,
// first, the first SIGTERM and the first SIGINT that came before it
// subscribed, so that a signal that came while nobody listened (between
// the read before a job and the job's start) is known to whoever comes
// next.
type signalHub struct {
	mu   sync.Mutex
	subs map[chan os.Signal]struct{}
	// past holds the first SIGTERM and the first SIGINT, in the order
	// they came.
	past []os.Signal

	stop, done chan struct{}
}

// newSignalHub returns a hub that reads src until close; a nil src never
// delivers.
func newSignalHub(src <-chan os.Signal) *signalHub {
	h := &signalHub{subs: map[chan os.Signal]struct{}{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		for {
			select {
			case sig, ok := <-src:
				if !ok {
					return
				}
				h.deliver(sig)
			case <-h.stop:
				return
			}
		}
	}()
	return h
}

func (h *signalHub) deliver(sig os.Signal) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !slices.Contains(h.past, sig) {
		h.past = append(h.past, sig)
	}
	for ch := range h.subs {
		select {
		case ch <- sig:
		default: // see subscriptionBuffer
		}
	}
}

// Subscribe returns a channel of the signals, starting with the shutdown's
// that came before (see signalHub), and a function that ends the
// subscription. The channel is never closed.
func (h *signalHub) Subscribe() (<-chan os.Signal, func()) {
	ch := make(chan os.Signal, subscriptionBuffer)
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, sig := range h.past {
		ch <- sig
	}
	h.subs[ch] = struct{}{}
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.subs, ch)
	}
}

// close stops reading the signals, and returns once the hub reads no more.
func (h *signalHub) close() {
	close(h.stop)
	<-h.done
}

// signalled is the error of a command stopped by a signal: it exits 128+N.
// It is the cause of the context that the signal cancelled, and is
// context.Canceled for errors.Is, so that whoever reads the context's
// cause (the API client's "stopped before the answer came") carries it.
type signalled struct{ sig os.Signal }

func (s signalled) Error() string {
	if s.sig == syscall.SIGINT {
		return "interrupted (SIGINT)"
	}
	return fmt.Sprintf("stopped (SIG%s)", scaler.SignalName(s.sig))
}

func (s signalled) Is(target error) bool { return target == context.Canceled }

// code is 128+N, as shells say: 130 for SIGINT, 143 for SIGTERM.
func (s signalled) code() int {
	if n, ok := s.sig.(syscall.Signal); ok {
		return 128 + int(n)
	}
	return exitFailure
}

// cancelOnSignal returns a context that ends at the first SIGTERM or
// SIGINT, the one before the call included, with the signal as its cause
// (signalled). Its cancel function ends the subscription.
func (a *App) cancelOnSignal(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	sigs, unsubscribe := a.signals.Subscribe()
	go func() {
		select {
		case sig := <-sigs:
			a.log.Warn("stopping", "signal", scaler.SignalName(sig))
			cancel(signalled{sig})
		case <-ctx.Done():
		}
	}()
	return ctx, func() { cancel(nil); unsubscribe() }
}
