package scaler

import (
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"7", 7 * time.Second, true},
		{" 0 ", 0, true},
		{"99999999999999", (1 << 20) * time.Second, true}, // no overflow into a negative wait
		{"-1", 0, false},
		{"Mon, 30 Nov 2026 12:00:30 GMT", 30 * time.Second, true},
		{"Monday, 30-Nov-26 12:01:00 GMT", time.Minute, true},
		{"Mon Nov 30 12:00:05 2026", 5 * time.Second, true},
		{"Mon, 30 Nov 2026 11:00:00 GMT", 0, true}, // past: no wait
		{"soon", 0, false},
	}
	for _, tt := range tests {
		if got, ok := RetryAfter(tt.in, now); got != tt.want || ok != tt.ok {
			t.Errorf("RetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
