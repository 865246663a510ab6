package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/scalerdev/scaler/scaler"
)

// next reads the next signal of a subscription, or fails after a while.
func next(t *testing.T, sigs <-chan os.Signal) os.Signal {
	t.Helper()
	select {
	case sig := <-sigs:
		return sig
	case <-time.After(10 * time.Second):
		t.Fatal("no signal came")
		return nil
	}
}

// none checks that a subscription holds no signal now: every signal sent
// before was delivered (the hub's deliveries are done under its lock, and
// the test waited for a later subscriber to get them).
func none(t *testing.T, sigs <-chan os.Signal) {
	t.Helper()
	select {
	case sig := <-sigs:
		t.Errorf("got %v, want nothing", sig)
	default:
	}
}

// Every subscriber gets every signal, whoever else reads; a subscriber that
// comes later gets the shutdown's first SIGTERM and first SIGINT, in their
// order, and then what follows; an ended subscription gets nothing more.
func TestSignalHub(t *testing.T) {
	t.Parallel()
	src := make(chan os.Signal)
	hub := newSignalHub(src)
	defer hub.close()

	early, endEarly := hub.Subscribe()
	other, _ := hub.Subscribe()
	src <- syscall.SIGTERM
	src <- syscall.SIGTERM // a repeat: every subscriber gets it, a late one does not
	src <- syscall.SIGINT
	for _, sigs := range []<-chan os.Signal{early, other} {
		var got []os.Signal
		for range 3 {
			got = append(got, next(t, sigs))
		}
		if want := []os.Signal{syscall.SIGTERM, syscall.SIGTERM, syscall.SIGINT}; !slices.Equal(got, want) {
			t.Errorf("a subscriber got %v, want %v", got, want)
		}
	}
	endEarly()

	late, _ := hub.Subscribe()
	if got := []os.Signal{next(t, late), next(t, late)}; !slices.Equal(got, []os.Signal{syscall.SIGTERM, syscall.SIGINT}) {
		t.Errorf("a late subscriber got %v first, want the shutdown's TERM then INT", got)
	}
	src <- syscall.SIGTERM
	if got := next(t, late); got != syscall.SIGTERM {
		t.Errorf("a late subscriber then got %v, want TERM", got)
	}
	if got := next(t, other); got != syscall.SIGTERM {
		t.Errorf("an early subscriber then got %v, want TERM", got)
	}
	none(t, early)
}

// A hub without a source, as an App without Signals has, delivers nothing
// and closes.
func TestSignalHubWithoutSource(t *testing.T) {
	t.Parallel()
	hub := newSignalHub(nil)
	sigs, end := hub.Subscribe()
	none(t, sigs)
	end()
	hub.close()
}

// A subscriber that reads nothing does not hold up the others.
func TestSignalHubSlowReader(t *testing.T) {
	t.Parallel()
	src := make(chan os.Signal)
	hub := newSignalHub(src)
	defer hub.close()
	hub.Subscribe() // never read
	sigs, _ := hub.Subscribe()
	for range 2 * subscriptionBuffer {
		src <- syscall.SIGTERM
		if got := next(t, sigs); got != syscall.SIGTERM {
			t.Fatalf("got %v", got)
		}
	}
}

// Exit codes come from the errors' types, in one place: a signal first,
// then a job's status, then a partial failure, then the domain's errors.
func TestExitCodes(t *testing.T) {
	t.Parallel()
	stoppedRead := fmt.Errorf("GET /apps/demo/formation: %w", signalled{syscall.SIGTERM})
	refused := scaler.Errorf(scaler.ErrUnauthorized, "401")
	for _, tt := range []struct {
		name string
		err  error
		want int
	}{
		{"nothing", nil, 0},
		{"a request stopped by SIGTERM", stoppedRead, 143},
		{"Ctrl-C", signalled{syscall.SIGINT}, 130},
		{"the job's status", jobExit{3}, 3},
		{"a job stopped by the platform", jobExit{143}, 143},
		{"a scale-down stopped by Ctrl-C after a failed job", reported{errors.Join(fmt.Errorf("scale: %w", signalled{syscall.SIGINT}), jobExit{3})}, 130},
		{"a scale-down refused after a failed job", reported{errors.Join(refused, jobExit{3})}, 3},
		{"a scale-down refused after the job succeeded", reported{&partial{[]error{refused}}}, 1},
		{"some of several apps refused", reported{&partial{[]error{refused, scaler.Errorf(scaler.ErrNotFound, "404")}}}, 1},
		{"several apps, stopped by SIGTERM", reported{&partial{[]error{refused, stoppedRead}}}, 143},
		{"one app refused, reported", reported{refused}, 3},
		{"a bad spec", scaler.Errorf(scaler.ErrInvalid, "bad"), 2},
		{"not found", scaler.Errorf(scaler.ErrNotFound, "no app"), 4},
		{"anything else", errors.New("boom"), 1},
	} {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("%s: exitCode(%v) = %d, want %d", tt.name, tt.err, got, tt.want)
		}
	}
	if !errors.Is(stoppedRead, context.Canceled) {
		t.Error("a signal's error is not context.Canceled for errors.Is")
	}
}
