package scaler

import (
	"fmt"
	"slices"
	"strings"
)

// sizes are the dyno sizes the Platform API accepts today, spelled the way it
// answers them. Input is matched case-insensitively (`standard-2x`), as the
// heroku CLI does. The retired Free, Hobby, 1X, 2X and PX sizes are left out:
// the API refuses them now, and catching that before a request is kinder.
var sizes = []string{
	"Eco", "Basic",
	"Standard-1X", "Standard-2X",
	"Performance-M", "Performance-L", "Performance-L-RAM", "Performance-XL", "Performance-2XL",
	"Private-S", "Private-M", "Private-L",
	"Private-Memory-L", "Private-Memory-XL", "Private-Memory-2XL",
	"Shield-S", "Shield-M", "Shield-L",
	"Shield-Memory-L", "Shield-Memory-XL", "Shield-Memory-2XL",
}

// Sizes returns the sizes CanonicalSize knows by name, in the API's
// spelling; Fir's, which it matches by their shape, are not listed.
func Sizes() []string { return slices.Clone(sizes) }

// CanonicalSize returns the API's spelling of a dyno size given in any case,
// or an [UnknownError] that quotes it and lists the known sizes.
func CanonicalSize(s string) (string, error) {
	for _, known := range sizes {
		if strings.EqualFold(s, known) {
			return known, nil
		}
	}
	// Fir sizes are a family that grows: matched by form, not listed.
	if lower := strings.ToLower(s); firSize(lower) {
		return lower, nil
	}
	return "", &UnknownError{Word: s, Known: Sizes(),
		Msg: fmt.Sprintf("unknown dyno size %q (known sizes: %s, or dyno-Nc-Ngb)", s, strings.Join(sizes, ", "))}
}

// SameSize reports whether two size names denote the same size; the API
// accepts and answers them in any case.
func SameSize(a, b string) bool { return strings.EqualFold(a, b) }
