package lockout_test

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authentify-go/authentify/examples/echo/app/lockout"
)

// clock is a fake clock; safe for concurrent use.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newLimiter(t *testing.T, limit, maxKeys int) (*lockout.Limiter, *clock) {
	t.Helper()
	clk := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l, err := lockout.New(lockout.Config{Limit: limit, Window: 15 * time.Minute, MaxKeys: maxKeys, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return l, clk
}

// fail makes n failed attempts for key, each of which must be allowed.
func fail(t *testing.T, l *lockout.Limiter, key string, n int) {
	t.Helper()
	for i := range n {
		if _, wait, ok := l.Acquire(key); !ok {
			t.Fatalf("%s: attempt %d refused (wait %v)", key, i+1, wait)
		}
	}
}

func TestLockAfterLimitUntilWindowPasses(t *testing.T) {
	t.Parallel()
	l, clk := newLimiter(t, 3, 100)
	fail(t, l, "alice", 1)
	clk.Advance(5 * time.Minute)
	fail(t, l, "alice", 2)
	// Locked: the oldest failure counts for 10 more minutes.
	if _, wait, ok := l.Acquire("alice"); ok || wait != 10*time.Minute {
		t.Fatalf("4th attempt: ok %v, wait %v; want refused for 10m", ok, wait)
	}
	// Another key is independent.
	fail(t, l, "bob", 1)
	clk.Advance(10*time.Minute - time.Second)
	if _, wait, ok := l.Acquire("alice"); ok || wait != time.Second {
		t.Fatalf("1s before: ok %v, wait %v", ok, wait)
	}
	clk.Advance(time.Second)
	// The oldest failure has left the window: one attempt, then locked
	// until the next oldest leaves (5 minutes later).
	fail(t, l, "alice", 1)
	if _, wait, ok := l.Acquire("alice"); ok || wait != 5*time.Minute {
		t.Fatalf("after one slot: ok %v, wait %v; want refused for 5m", ok, wait)
	}
}

func TestCancelledAttemptsDoNotCount(t *testing.T) {
	t.Parallel()
	l, _ := newLimiter(t, 2, 100)
	for range 10 {
		a, _, ok := l.Acquire("alice")
		if !ok {
			t.Fatal("a cancelled attempt counted")
		}
		a.Cancel()
		a.Cancel() // twice is harmless
	}
	if n := l.Len(); n != 0 {
		t.Errorf("Len = %d after only cancelled attempts, want 0", n)
	}
	var zero lockout.Attempt
	zero.Cancel()
	fail(t, l, "alice", 2)
	if _, _, ok := l.Acquire("alice"); ok {
		t.Error("not locked after 2 failures")
	}
}

// TestConcurrentAttemptsNeverExceedTheLimit: attempts are reserved before
// the password check, so parallel attempts cannot all slip through.
func TestConcurrentAttemptsNeverExceedTheLimit(t *testing.T) {
	t.Parallel()
	l, _ := newLimiter(t, 5, 100)
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			if _, _, ok := l.Acquire("alice"); ok {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if n := allowed.Load(); n != 5 {
		t.Errorf("%d attempts allowed, want 5", n)
	}
}

func TestMemoryIsBounded(t *testing.T) {
	t.Parallel()
	l, clk := newLimiter(t, 2, 3)
	fail(t, l, "a", 2) // locked
	for _, k := range []string{"b", "c"} {
		clk.Advance(time.Second)
		fail(t, l, k, 1)
	}
	// A fourth key evicts the least recently attempted one ("a").
	clk.Advance(time.Second)
	fail(t, l, "d", 1)
	if n := l.Len(); n != 3 {
		t.Errorf("Len = %d, want 3", n)
	}
	fail(t, l, "a", 1) // forgotten, so allowed again
	// A long key costs no more than a short one; expired keys go away.
	fail(t, l, strings.Repeat("x", 1<<16), 1)
	clk.Advance(15 * time.Minute)
	fail(t, l, "e", 1)
	if n := l.Len(); n != 1 {
		t.Errorf("Len = %d after the window, want 1", n)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	t.Parallel()
	for _, cfg := range []lockout.Config{
		{Limit: 0, Window: time.Minute, MaxKeys: 1},
		{Limit: 1, Window: 0, MaxKeys: 1},
		{Limit: 1, Window: time.Minute, MaxKeys: 0},
	} {
		if _, err := lockout.New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
	if _, err := lockout.New(lockout.Config{Limit: 1, Window: time.Minute, MaxKeys: 1}); err != nil {
		t.Errorf("default clock: %v", err)
	}
}
