package runtime

import (
	"context"
	"errors"
	"io"
	"log/slog"
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
	go func() { done <- ListenCache(ctx, c, connect, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
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
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
}
