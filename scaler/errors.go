package scaler

import (
	"errors"
	"fmt"
)

// Sentinel errors of the domain. Adapters wrap them (with %w) so that callers
// can tell failures apart with errors.Is; cmd/scaler maps them to exit codes.
var (
	// ErrInvalid marks input that is wrong before anything is sent: a bad spec,
	// a bad flag value, a bad schedule.
	ErrInvalid = errors.New("invalid")

	// ErrUnauthorized means the API refused the token (401).
	ErrUnauthorized = errors.New("unauthorized")

	// ErrForbidden means the token is valid but may not do this (403),
	// including a two-factor challenge that an automation token cannot answer.
	ErrForbidden = errors.New("forbidden")

	// ErrNotFound means the app or the process type does not exist, or the
	// token's account cannot see it (404).
	ErrNotFound = errors.New("not found")

	// ErrRejected means the platform understood the request and refused it
	// (422), for example more than one Basic dyno per process type.
	ErrRejected = errors.New("rejected")

	// ErrRateLimited means the account's shared request budget is spent (429)
	// and waiting for it would pass the deadline.
	ErrRateLimited = errors.New("rate limited")

	// ErrUnavailable means the API failed (5xx, a broken answer or a network
	// failure) on every attempt within the deadline.
	ErrUnavailable = errors.New("api unavailable")

	// ErrUncertain means a write may or may not have been applied: its answer
	// was lost (a reset, a 5xx, a timeout after the request was sent). The
	// platform does not resend such a write by itself when resending could
	// apply it twice; [Service.Apply] reads the formation back to decide.
	ErrUncertain = errors.New("outcome unknown")

	// ErrStale means a conditional write was refused, having changed
	// nothing, because the formation changed since it was read (412).
	ErrStale = errors.New("stale")

	// ErrShared means a process type runs more than one dyno, so that
	// scaling it to zero when one job completes would stop the others' work.
	ErrShared = errors.New("shared process type")

	// ErrConflict means the formation kept changing under us: every
	// conditional write of a command was refused (ErrStale), each time
	// after a fresh read.
	ErrConflict = errors.New("conflict")
)

// Errorf formats an error of a kind: errors.Is(err, kind) holds, but the
// message is only the formatted text, so that a person reads "quantity "x"
// is not a number", not "invalid: quantity …". The format may wrap another
// error with %w.
func Errorf(kind error, format string, args ...any) error {
	return &kindError{kind: kind, err: fmt.Errorf(format, args...)}
}

type kindError struct {
	kind error
	err  error
}

func (e *kindError) Error() string   { return e.err.Error() }
func (e *kindError) Unwrap() []error { return []error{e.kind, e.err} }
