package emulator

// The emulator's own checks of names, written from the Platform API's
// schema rather than borrowed from scaler's parser: the emulator is the
// second opinion that scaler's tests run against, and a rule shared by both
// sides would hide a mistake in it from every test.

// validAppName reports whether s is an app name as the schema defines it:
// ^[a-z][a-z0-9-]{1,28}[a-z0-9]$.
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

// validType reports whether s is a process type as the schema defines it:
// ^[-\w]{1,128}$, \w being ASCII letters, digits and '_'.
func validType(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isWordByte(s[i]) && s[i] != '-' {
			return false
		}
	}
	return true
}

// wordOnly reports whether s matches ^\w+$, the schema's pattern for env keys.
func wordOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isWordByte(s[i]) {
			return false
		}
	}
	return s != ""
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
