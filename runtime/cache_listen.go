package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// ListenConn is a dedicated database connection on which LISTEN is in
// effect for the cache's notification channel. The generated package
// adapts a pgx connection to it.
type ListenConn interface {
	// WaitForNotification blocks until a notification arrives and returns
	// its payload. Any error means the connection is no longer listening.
	WaitForNotification(ctx context.Context) (string, error)
	// Close closes the connection.
	Close(ctx context.Context) error
}

// Listener delays between reconnection attempts: the first retry waits
// listenRetryMin, each failure doubles it up to listenRetryMax.
const (
	listenRetryMin = 50 * time.Millisecond
	listenRetryMax = 5 * time.Second
)

// ListenCache keeps cache in step with the database's notifications until
// ctx is done, and then returns ctx's error. connect opens a connection
// and runs LISTEN on it (it must not return before LISTEN is in effect).
//
// Once connect succeeds the cache is resumed (emptied, then served); each
// notification is applied with [Cache.Notify] (a payload it does not
// understand flushes the cache and is logged). When the connection fails
// the cache is suspended at once, because notifications may be lost from
// then on, and ListenCache reconnects after a short delay (50 ms, doubling
// up to 5 s while it keeps failing). A nil cache (cache_size 0) returns
// nil at once: there is nothing to keep in step.
func ListenCache[V Recorded](ctx context.Context, cache *Cache[V], connect func(context.Context) (ListenConn, error), log *slog.Logger) error {
	if cache == nil {
		return nil
	}
	if log == nil {
		log = slog.Default()
	}
	delay := listenRetryMin
	for {
		err := listenOnce(ctx, cache, connect, log, func() { delay = listenRetryMin })
		cache.Suspend()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		log.WarnContext(ctx, "authentify: cache listener lost its connection; the cache serves nothing until it is back",
			slog.Any("error", err), slog.Duration("retry_in", delay))
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		delay = min(2*delay, listenRetryMax)
	}
}

// listenOnce connects, resumes the cache and applies notifications until
// the connection fails; it returns why. connected runs once LISTEN is in
// effect.
func listenOnce[V Recorded](ctx context.Context, cache *Cache[V], connect func(context.Context) (ListenConn, error), log *slog.Logger, connected func()) error {
	conn, err := connect(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	if conn == nil {
		return errors.New("connect returned no connection")
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	connected()
	cache.Resume()
	for {
		payload, err := conn.WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("wait for notification: %w", err)
		}
		if err := cache.Notify(payload); err != nil {
			log.ErrorContext(ctx, "authentify: cache listener: unexpected notification; cache flushed", slog.Any("error", err))
		}
	}
}
