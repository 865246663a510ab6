package scaler

import "strings"

// These checks are written by hand rather than as regular expressions: they
// run on every start, and compiling expressions at init costs a short-lived
// CLI more than the checks themselves.

// ValidType reports whether s is a process type as the Platform API schema
// defines it (^[-\w]{1,128}$), not starting with a dash so that it cannot be
// taken for a flag.
func ValidType(s string) bool {
	if s == "" || len(s) > 128 || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(isAlnum(c) || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// ValidApp reports whether s names an app as the Platform API accepts it:
// an app name (^[a-z][a-z0-9-]{1,28}[a-z0-9]$) or an app id (a UUID).
func ValidApp(s string) bool {
	return validAppName(s) || validUUID(s)
}

func validAppName(s string) bool {
	if len(s) < 3 || len(s) > 30 || s[0] < 'a' || s[0] > 'z' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'):
			return false
		}
	}
	return true
}

// firSize reports whether s (lowercase) names a size of Heroku's Fir
// generation, named by its shape: dyno-1c-0.5gb, dyno-2c-4gb, …
func firSize(s string) bool {
	rest, ok := strings.CutPrefix(s, "dyno-")
	if !ok {
		return false
	}
	cpus, mem, ok := strings.Cut(rest, "c-")
	if !ok || !isDigits(cpus) || len(cpus) > 3 {
		return false
	}
	mem, ok = strings.CutSuffix(mem, "gb")
	if !ok {
		return false
	}
	whole, frac, dotted := strings.Cut(mem, ".")
	return isDigits(whole) && len(whole) <= 4 && (!dotted || len(frac) == 1 && isDigits(frac))
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
