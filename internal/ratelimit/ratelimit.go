// Package ratelimit throttles actions per key (an IP address, an email, a
// member) with token buckets held in memory. Each node limits on its own; a
// cluster of n nodes therefore allows up to n times the rate, which is fine
// for slowing password guessing and spam floods.
package ratelimit

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter allows Burst actions at once per key, refilled at Per.
type Limiter struct {
	mu      sync.Mutex
	every   rate.Limit
	burst   int
	buckets map[string]*rate.Limiter
	now     func() time.Time
}

// New allows burst actions per key at once, then one every interval.
// A zero interval disables the limiter.
func New(interval time.Duration, burst int) *Limiter {
	l := &Limiter{burst: burst, buckets: map[string]*rate.Limiter{}, now: time.Now}
	if interval <= 0 {
		l.every = rate.Inf
	} else {
		l.every = rate.Every(interval)
	}
	return l
}

// maxKeys bounds memory: past it, full (idle) buckets are dropped.
const maxKeys = 50000

// Allow reports whether key may act now, and takes a token if so.
func (l *Limiter) Allow(key string) bool {
	if l == nil || l.every == rate.Inf {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxKeys {
			l.sweep(now)
		}
		b = rate.NewLimiter(l.every, l.burst)
		l.buckets[key] = b
	}
	return b.AllowN(now, 1)
}

// sweep drops buckets that have refilled completely: forgetting them
// changes nothing for their keys.
func (l *Limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.TokensAt(now) >= float64(l.burst) {
			delete(l.buckets, k)
		}
	}
}
