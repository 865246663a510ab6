package scaler

import (
	"strconv"
	"strings"
	"time"
)

// RetryAfter reads the value of a Retry-After header: how long an HTTP
// server asks its clients to wait, in seconds or until an HTTP date. The
// Platform API's client and the webhooks' both read it.
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
	// The layouts of net/http's ParseTime.
	for _, layout := range []string{"Mon, 02 Jan 2006 15:04:05 GMT", time.RFC850, time.ANSIC} {
		if t, err := time.Parse(layout, v); err == nil {
			return max(0, t.Sub(now)), true
		}
	}
	return 0, false
}
