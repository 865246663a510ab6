package emulator

import (
	"sync"
	"time"
)

// bucket is the account's shared request budget: it holds up to size
// requests and regains perMinute of them a minute, continuously.
type bucket struct {
	mu        sync.Mutex
	size      float64
	perSecond float64
	tokens    float64
	at        time.Time
}

func newBucket(size, perMinute int, now time.Time) *bucket {
	return &bucket{size: float64(size), perSecond: float64(perMinute) / 60, tokens: float64(size), at: now}
}

func (b *bucket) refill(now time.Time) {
	if elapsed := now.Sub(b.at).Seconds(); elapsed > 0 {
		b.tokens = min(b.size, b.tokens+elapsed*b.perSecond)
		b.at = now
	}
}

// take spends one request and returns what is left; ok is false, and
// nothing is spent, when the bucket is empty.
func (b *bucket) take(now time.Time) (left int, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill(now)
	if b.tokens < 1 {
		return int(b.tokens), false
	}
	b.tokens--
	return int(b.tokens), true
}

// level returns what is left without spending anything.
func (b *bucket) level(now time.Time) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill(now)
	return int(b.tokens)
}
