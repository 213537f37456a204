package runtime

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// fakeListenConn delivers the payloads sent on ch; a closed ch or a value
// on fail ends the connection with an error.
type fakeListenConn struct {
	ch   chan string
	fail chan error
}

func (c *fakeListenConn) WaitForNotification(ctx context.Context) (string, error) {
	select {
	case p, ok := <-c.ch:
		if !ok {
			return "", io.EOF
		}
		return p, nil
	case err := <-c.fail:
		return "", err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (c *fakeListenConn) Close(context.Context) error { return nil }

// TestListenCacheHealth walks a listener through connect, a notification, a
// dropped connection, a failed reconnect and a reconnect: the cache serves
// only while a connection listens, and a reconnect starts from an empty
// cache.
func TestListenCacheHealth(t *testing.T) {
	c := newTestCache(t, 100, time.Hour)
	c.Suspend()
	conns := make(chan *fakeListenConn)
	connectErr := make(chan error)
	connect := func(ctx context.Context) (ListenConn, error) {
		select {
		case conn := <-conns:
			return conn, nil
		case err := <-connectErr:
			return nil, err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- ListenCache(ctx, c, connect, slog.New(slog.NewTextHandler(io.Discard, nil)), nil) }()
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !cond(); {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(time.Millisecond)
		}
	}
	if c.Serving() {
		t.Fatal("serving before the listener connected")
	}
	conn := &fakeListenConn{ch: make(chan string), fail: make(chan error)}
	conns <- conn
	waitFor("resume after connect", c.Serving)
	if !put(c, cacheRow(1, "u1", nil), cacheT0) || !put(c, cacheRow(2, "u2", nil), cacheT0) {
		t.Fatal("put refused while serving")
	}
	conn.ch <- "t:1"
	conn.ch <- "p:heartbeat" // a rendezvous: t:1 was applied before this returns
	if hit(c, 1, cacheT0) || !hit(c, 2, cacheT0) {
		t.Fatalf("after t:1: hit(1)=%v hit(2)=%v, want false true", hit(c, 1, cacheT0), hit(c, 2, cacheT0))
	}
	conn.fail <- errors.New("connection reset")
	waitFor("suspend after the connection dropped", func() bool { return !c.Serving() })
	if hit(c, 2, cacheT0) {
		t.Fatal("a suspended cache served an entry")
	}
	connectErr <- errors.New("connection refused")
	if c.Serving() {
		t.Fatal("serving after a failed reconnect")
	}
	conns <- &fakeListenConn{ch: make(chan string), fail: make(chan error)}
	waitFor("resume after reconnect", c.Serving)
	if hit(c, 2, cacheT0) {
		t.Fatal("an entry from before the outage survived the reconnect")
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("ListenCache returned %v, want context.Canceled", err)
	}
	if c.Serving() {
		t.Fatal("serving after the listener stopped")
	}
}

// TestListenCacheNilCache: with the cache off there is nothing to listen for.
func TestListenCacheNilCache(t *testing.T) {
	var c *Cache[cacheTok]
	err := ListenCache(t.Context(), c, func(context.Context) (ListenConn, error) {
		t.Fatal("connect called with the cache off")
		return nil, nil
	}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
}

// TestListenCacheLagStandsAside: a connection that stays up but delivers
// late must not let the cache serve. While the listener's own pings come
// back in time the cache serves; when they are held back longer than
// MaxLag it stands aside; when the backlog arrives it serves again,
// emptied (an entry cached before the lag is gone).
func TestListenCacheLagStandsAside(t *testing.T) {
	c := newTestCache(t, 100, time.Hour)
	c.Suspend()
	conn := &fakeListenConn{ch: make(chan string, 1024), fail: make(chan error)}
	var mu sync.Mutex
	hold := false
	var held []string
	send := func(_ context.Context, p string) error {
		mu.Lock()
		defer mu.Unlock()
		if hold {
			held = append(held, p)
			return nil
		}
		conn.ch <- p
		return nil
	}
	release := func() {
		mu.Lock()
		defer mu.Unlock()
		hold = false
		for _, p := range held {
			conn.ch <- p
		}
		held = nil
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	hb := &Heartbeat{Send: send, Every: 5 * time.Millisecond, MaxLag: 50 * time.Millisecond}
	go func() {
		done <- ListenCache(ctx, c, func(context.Context) (ListenConn, error) { return conn, nil },
			slog.New(slog.NewTextHandler(io.Discard, nil)), hb)
	}()
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !cond(); {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitFor("resume after connect", c.Serving)
	if !put(c, cacheRow(1, "u1", nil), cacheT0) {
		t.Fatal("put refused while serving")
	}
	time.Sleep(100 * time.Millisecond) // pings come back in time: still serving
	if !c.Serving() || !hit(c, 1, cacheT0) {
		t.Fatal("the cache stood aside although every ping came back")
	}
	mu.Lock()
	hold = true
	mu.Unlock()
	waitFor("standing aside while pings are late", func() bool { return !c.Serving() })
	if hit(c, 1, cacheT0) {
		t.Fatal("a lagging listener's cache served an entry")
	}
	release()
	waitFor("serving again once the pings caught up", c.Serving)
	if hit(c, 1, cacheT0) {
		t.Fatal("an entry from before the lag survived")
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("ListenCache returned %v, want context.Canceled", err)
	}
}
