package app

import (
	"testing"
	"time"
)

// TestRateLimiterBuckets: each client has its own bucket of burst requests
// refilled at the rate, and a bucket idle longer than rateLimitIdle is
// dropped, so memory follows the active clients.
func TestRateLimiterBuckets(t *testing.T) {
	t.Parallel()
	l := newRateLimiter(0.5, 2) // a request every 2s, bursts of 2
	if l.retry != "2" {
		t.Errorf("Retry-After = %q, want 2", l.retry)
	}
	t0 := time.Unix(1_000_000, 0)
	steps := []struct {
		client string
		at     time.Duration
		want   bool
	}{
		{"a", 0, true},
		{"a", 0, true},
		{"a", 0, false}, // burst used up
		{"b", 0, true},  // own bucket
		{"a", time.Second, false},
		{"a", 2 * time.Second, true}, // one token back
		{"a", 2 * time.Second, false},
	}
	for i, s := range steps {
		if got := l.allow(s.client, t0.Add(s.at)); got != s.want {
			t.Errorf("step %d (%s at %v): allow = %v, want %v", i, s.client, s.at, got, s.want)
		}
	}
	if n := len(l.clients); n != 2 {
		t.Fatalf("%d buckets, want 2", n)
	}
	// Past the idle time, the next request sweeps the idle buckets.
	l.allow("c", t0.Add(2*time.Second+rateLimitIdle+time.Second))
	if _, ok := l.clients["a"]; ok || len(l.clients) != 1 {
		t.Errorf("buckets after the idle time: %v, want only c", l.clients)
	}
}
