package ratelimit

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	l := New(time.Minute, 3)
	l.now = func() time.Time { return now }
	for i := range 3 {
		if !l.Allow("a") {
			t.Fatalf("attempt %d refused within burst", i+1)
		}
	}
	if l.Allow("a") {
		t.Fatal("4th attempt allowed past burst")
	}
	if !l.Allow("b") {
		t.Fatal("another key refused")
	}
	now = now.Add(time.Minute)
	if !l.Allow("a") {
		t.Fatal("refused after refill interval")
	}
}

func TestLimiterDisabled(t *testing.T) {
	l := New(0, 1)
	for range 100 {
		if !l.Allow("a") {
			t.Fatal("disabled limiter refused")
		}
	}
	var nilL *Limiter
	if !nilL.Allow("x") {
		t.Fatal("nil limiter refused")
	}
}

func TestLimiterSweep(t *testing.T) {
	now := time.Unix(1000, 0)
	l := New(time.Second, 1)
	l.now = func() time.Time { return now }
	for i := range maxKeys {
		l.Allow(string(rune(i)))
	}
	now = now.Add(time.Hour)
	l.Allow("new")
	if len(l.buckets) != 1 {
		t.Fatalf("after sweep %d buckets remain, want 1", len(l.buckets))
	}
}
