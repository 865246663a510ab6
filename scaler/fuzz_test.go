package scaler

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// FuzzParseSpec: whatever the argument, parsing never panics; an error
// wraps ErrInvalid and quotes the argument; an accepted spec prints as a
// spec that parses back to itself.
func FuzzParseSpec(f *testing.F) {
	for _, seed := range []string{
		"worker=1", "web=2:standard-2x", "web+1", "my-worker-1", "web:PERFORMANCE-L", "web:dyno-2c-4gb",
		"", "=", "web=", "web=-1", "web=101", "release=1", "web=1:", "a-b-c-10:eco", "web=1\x00", "ẃeb=1",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		s, err := ParseSpec(raw)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParseSpec(%q) error %v does not wrap ErrInvalid", raw, err)
			}
			if !strings.Contains(err.Error(), strconv.Quote(raw)) {
				t.Fatalf("ParseSpec(%q) error %q does not quote the argument", raw, err)
			}
			return
		}
		back, err := ParseSpec(s.String())
		if err != nil || back != s {
			t.Fatalf("ParseSpec(%q) = %+v, prints as %q, which parses to %+v, %v", raw, s, s.String(), back, err)
		}
		if s.Op == Set && (s.N < 0 || s.N > MaxQuantity) || s.Op == Add && (s.N == 0 || s.N < -MaxQuantity || s.N > MaxQuantity) {
			t.Fatalf("ParseSpec(%q) = %+v: quantity out of bounds", raw, s)
		}
	})
}
