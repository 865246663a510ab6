package scaler

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryAfter reads the value of a Retry-After header: how long an HTTP
// server asks its clients to wait, in seconds or until an HTTP date. The
// Platform API's client and the webhook sender both read it; it lives in
// the domain, the one package both may import (platform/webhook must not
// depend on platform's heroku-go). It does no I/O: net/http is imported for
// ParseTime alone, the three date layouts HTTP allows.
func RetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		// Capped at 12 days, so that a huge value cannot overflow into a
		// negative wait: a command gives up at its deadline anyway.
		return time.Duration(min(s, 1<<20)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now)), true
	}
	return 0, false
}
