package emulator

import (
	"strings"
	"testing"
)

// The names the schema allows, by the emulator's own reading of it.
func TestNames(t *testing.T) {
	for s, want := range map[string]bool{
		"demo": true, "my-app-1": true, "abc": true, strings.Repeat("a", 30): true,
		"ab": false, strings.Repeat("a", 31): false, "My-app": false, "1app": false, "app-": false,
		"my app": false, "my_app": false, "": false, "../x": false,
	} {
		if got := validAppName(s); got != want {
			t.Errorf("validAppName(%q) = %v, want %v", s, got, want)
		}
	}
	for s, want := range map[string]bool{
		"web": true, "my-worker_2": true, "Clock": true, "-x": true, strings.Repeat("w", 128): true,
		"": false, strings.Repeat("w", 129): false, "my web": false, "web.1": false, "wéb": false,
	} {
		if got := validType(s); got != want {
			t.Errorf("validType(%q) = %v, want %v", s, got, want)
		}
	}
}
