package schedules

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/scalerdev/scaler/scaler"
)

// ParseError is one mistake in a schedule, at the line and column (both
// 1-based, the column counted in characters) of the token that is wrong, so
// that an editor or a person can go straight to it.
type ParseError struct {
	Line, Col int
	Msg       string
	// Err is the mistake as the domain types it, when it does (a
	// [scaler.UnknownError]: a word none of those its place takes); Msg
	// is its message.
	Err error
}

// Error returns "LINE:COL: message".
func (e *ParseError) Error() string { return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg) }

// Is makes every schedule error a [scaler.ErrInvalid]: nothing is sent for
// a schedule that does not parse.
func (e *ParseError) Is(target error) bool { return target == scaler.ErrInvalid }

// Unwrap returns Err, or nil.
func (e *ParseError) Unwrap() error { return e.Err }

// ErrorList is every mistake of a schedule, sorted by position. Parse
// returns them all at once, so that a person fixes a file in one round.
type ErrorList []*ParseError

// Error returns the errors one per line.
func (l ErrorList) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Is reports a list as a [scaler.ErrInvalid], even an empty one.
func (l ErrorList) Is(target error) bool { return target == scaler.ErrInvalid }

// Unwrap lets errors.As find each [ParseError].
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

func (l *ErrorList) add(line, col int, format string, args ...any) {
	*l = append(*l, &ParseError{Line: line, Col: col, Msg: fmt.Sprintf(format, args...)})
}

// addErr adds a mistake the domain types (see ParseError.Err).
func (l *ErrorList) addErr(line, col int, err error) {
	*l = append(*l, &ParseError{Line: line, Col: col, Msg: err.Error(), Err: err})
}

// sort orders the errors by position; errors at one position keep the order
// they were found in.
func (l ErrorList) sort() {
	slices.SortStableFunc(l, func(a, b *ParseError) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
}
