package scaler

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MaxQuantity is the largest quantity, and the largest relative change, a
// spec may ask for. It is the platform's default limit of dynos per app: a
// larger number is a typo, and catching it here costs no request.
const MaxQuantity = 100

// ReleaseType is the process type of the release phase. It is listed in the
// formation when the Procfile has a release line, and is never scaled.
const ReleaseType = "release"

// Op says what a [Spec] does to the quantity of its process type.
type Op int

// The operations of a spec.
const (
	// Set sets the quantity: TYPE=N.
	Set Op = iota + 1
	// Add changes the quantity by a signed amount: TYPE+N, TYPE-N.
	Add
	// Resize keeps the quantity and changes only the size: TYPE:SIZE.
	Resize
	// Start starts one dyno of a job's process type, once per window of a
	// schedule: unless the type runs already, or was changed at or after
	// After (the window opened), when the job has run, or a person decided.
	// Only schedules make it; it is sent as Set 1.
	Start
)

// Spec is one requested change to a process type, in the syntax of
// `heroku ps:scale`: TYPE=N, TYPE=N:SIZE, TYPE+N, TYPE-N (optionally with
// :SIZE) or TYPE:SIZE.
type Spec struct {
	Type string
	Op   Op
	// N is the quantity for Set and the signed change for Add.
	N int
	// Size is the canonical size to switch to, or "" to keep the size.
	Size string
	// After is, for Start, when the window opened; for a Set that Keeps,
	// when the schedule's rule came into force (the edge in force).
	After time.Time
	// Keep, for a Set from a schedule, leaves alone a type changed at or
	// after After to something else: a person's change (or another
	// tool's) holds until the schedule's next edge.
	Keep bool
}

// String returns the spec in the syntax ParseSpec reads: parsing it gives the
// same spec back.
func (s Spec) String() string {
	var b strings.Builder
	b.WriteString(s.Type)
	switch s.Op {
	case Set:
		fmt.Fprintf(&b, "=%d", s.N)
	case Add:
		fmt.Fprintf(&b, "%+d", s.N)
	case Start:
		b.WriteString("=1")
	}
	if s.Size != "" {
		b.WriteString(":" + s.Size)
	}
	return b.String()
}

// ParseSpec parses one spec. Every error wraps ErrInvalid and quotes the
// spec, so that a person can see which argument was wrong.
func ParseSpec(raw string) (Spec, error) {
	s, err := parseSpec(raw)
	if err != nil {
		return Spec{}, Errorf(ErrInvalid, "%q: %w", raw, err)
	}
	return s, nil
}

func parseSpec(raw string) (Spec, error) {
	if strings.TrimSpace(raw) == "" {
		return Spec{}, errors.New("empty spec: want TYPE=N, TYPE+N, TYPE-N or TYPE:SIZE")
	}
	head, size, hasSize := strings.Cut(raw, ":")
	var s Spec
	if hasSize {
		if size == "" {
			return Spec{}, errors.New("missing size after ':'")
		}
		canon, err := CanonicalSize(size)
		if err != nil {
			return Spec{}, err
		}
		s.Size = canon
	}

	var (
		num string
		neg bool
	)
	if i := strings.IndexAny(head, "=+"); i >= 0 {
		s.Type, num = head[:i], head[i+1:]
		s.Op = Set
		if head[i] == '+' {
			s.Op = Add
		}
	} else if i := strings.LastIndexByte(head, '-'); i > 0 && isDigits(head[i+1:]) {
		// A type may itself contain dashes (my-worker-1 is my-worker minus 1);
		// only a trailing run of digits makes a relative change.
		s.Type, num, s.Op, neg = head[:i], head[i+1:], Add, true
	} else {
		s.Type, s.Op = head, Resize
		if !hasSize {
			return Spec{}, errors.New("missing quantity: want TYPE=N, TYPE+N, TYPE-N or TYPE:SIZE")
		}
	}

	if s.Type == "" {
		return Spec{}, errors.New("missing process type before the quantity")
	}
	if !ValidType(s.Type) {
		return Spec{}, fmt.Errorf("process type %q may hold only letters, digits, '-' and '_' (at most 128)", s.Type)
	}
	if s.Type == ReleaseType {
		return Spec{}, errors.New("the release process type runs the release phase and is never scaled")
	}
	if s.Op == Resize {
		return s, nil
	}

	if num == "" {
		return Spec{}, errors.New("missing number after the operator")
	}
	if !isDigits(num) {
		return Spec{}, fmt.Errorf("quantity %q is not a number of dynos (0 to %d)", num, MaxQuantity)
	}
	n, err := strconv.Atoi(num)
	if err != nil || n > MaxQuantity {
		return Spec{}, fmt.Errorf("quantity %s is over the platform's limit of %d dynos", num, MaxQuantity)
	}
	if s.Op == Add {
		if n == 0 {
			return Spec{}, errors.New("a relative change of 0 changes nothing")
		}
		if neg {
			n = -n
		}
	}
	s.N = n
	return s, nil
}

// ParseSpecs parses every argument and refuses a process type named twice.
// All errors are reported at once, joined.
func ParseSpecs(args []string) ([]Spec, error) {
	if len(args) == 0 {
		return nil, Errorf(ErrInvalid, "no spec given: want TYPE=N, TYPE+N, TYPE-N or TYPE:SIZE")
	}
	var (
		specs []Spec
		errs  []error
		seen  = map[string]string{}
	)
	for _, raw := range args {
		s, err := ParseSpec(raw)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if prev, dup := seen[s.Type]; dup {
			errs = append(errs, Errorf(ErrInvalid, "%q: process type %s is already changed by %q", raw, s.Type, prev))
			continue
		}
		seen[s.Type] = raw
		specs = append(specs, s)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return specs, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
