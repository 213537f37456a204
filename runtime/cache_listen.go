package runtime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
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
//
// A connection can also lag without failing (a stalled network, a
// listener starved of CPU): notifications then arrive late, and the cache
// would serve what another instance already revoked. With hb set, the
// listener sends itself a ping (a "p:" payload) every hb.Every over
// another connection; when a ping has not come back within hb.MaxLag the
// cache is suspended, and once the pings catch up it is resumed (emptied,
// then served). A nil hb turns lag detection off.
func ListenCache[V Recorded](ctx context.Context, cache *Cache[V], connect func(context.Context) (ListenConn, error), log *slog.Logger, hb *Heartbeat) error {
	if cache == nil {
		return nil
	}
	if log == nil {
		log = slog.Default()
	}
	delay := listenRetryMin
	for {
		err := listenOnce(ctx, cache, connect, log, hb, func() { delay = listenRetryMin })
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
func listenOnce[V Recorded](ctx context.Context, cache *Cache[V], connect func(context.Context) (ListenConn, error), log *slog.Logger, hb *Heartbeat, connected func()) error {
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
	var lag *lagWatch[V]
	if hb != nil && hb.Send != nil && hb.Every > 0 && hb.MaxLag > 0 {
		// The watch stops, and its goroutine ends, before this returns:
		// ListenCache then suspends the cache, and no late Resume of this
		// connection's watch may follow.
		var wg sync.WaitGroup
		defer wg.Wait()
		hctx, stop := context.WithCancel(ctx)
		defer stop()
		lag = newLagWatch(cache, *hb, log)
		wg.Go(func() { lag.run(hctx) })
	}
	for {
		payload, err := conn.WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("wait for notification: %w", err)
		}
		if lag != nil && lag.pong(payload) {
			continue
		}
		if err := cache.Notify(payload); err != nil {
			log.ErrorContext(ctx, "authentify: cache listener: unexpected notification; cache flushed", slog.Any("error", err))
		}
	}
}

// Heartbeat configures ListenCache's lag detection.
type Heartbeat struct {
	// Send sends payload as a notification on the cache's channel over a
	// connection other than the listener's (e.g. SELECT pg_notify($1, $2)
	// on the pool).
	Send func(ctx context.Context, payload string) error
	// Every is the interval between pings.
	Every time.Duration
	// MaxLag is how late a ping may come back before the cache stands
	// aside: the longest a revocation can go unseen while the cache serves.
	MaxLag time.Duration
}

// lagWatch sends the pings of one listener connection and suspends or
// resumes the cache by how late they come back.
type lagWatch[V Recorded] struct {
	cache  *Cache[V]
	hb     Heartbeat
	log    *slog.Logger
	prefix string // "p:<random id>:": this listener's pings among other instances'

	mu      sync.Mutex
	seq     uint64
	pending []sentPing // sent, not yet back, oldest first
	lagging bool
}

type sentPing struct {
	seq uint64
	at  time.Time
}

func newLagWatch[V Recorded](cache *Cache[V], hb Heartbeat, log *slog.Logger) *lagWatch[V] {
	id := make([]byte, 8)
	_, _ = rand.Read(id)
	return &lagWatch[V]{cache: cache, hb: hb, log: log, prefix: "p:" + hex.EncodeToString(id) + ":"}
}

// run pings every hb.Every until ctx is done.
func (w *lagWatch[V]) run(ctx context.Context) {
	t := time.NewTicker(w.hb.Every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		w.mu.Lock()
		w.seq++
		seq := w.seq
		w.pending = append(w.pending, sentPing{seq: seq, at: time.Now()})
		w.mu.Unlock()
		if err := w.hb.Send(ctx, w.prefix+strconv.FormatUint(seq, 10)); err != nil {
			// Never sent: it cannot come back, so it proves nothing.
			w.mu.Lock()
			w.pending = slices.DeleteFunc(w.pending, func(p sentPing) bool { return p.seq == seq })
			w.mu.Unlock()
			if ctx.Err() == nil {
				w.log.DebugContext(ctx, "authentify: cache listener: heartbeat not sent", slog.Any("error", err))
			}
		}
		w.check(time.Now())
	}
}

// check suspends the cache when the oldest outstanding ping is overdue.
func (w *lagWatch[V]) check(now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.lagging && len(w.pending) > 0 && now.Sub(w.pending[0].at) > w.hb.MaxLag {
		w.lagging = true
		w.cache.Suspend()
		w.log.Warn("authentify: cache listener lags; the cache serves nothing until it catches up",
			slog.Duration("max_lag", w.hb.MaxLag))
	}
}

// pong handles payload if it is one of this listener's pings: every ping
// up to it is back (notifications arrive in order), and a lagging cache
// resumes once nothing outstanding is overdue.
func (w *lagWatch[V]) pong(payload string) bool {
	rest, ok := strings.CutPrefix(payload, w.prefix)
	if !ok {
		return false
	}
	seq, err := strconv.ParseUint(rest, 10, 64)
	if err != nil {
		return true
	}
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	i := 0
	for i < len(w.pending) && w.pending[i].seq <= seq {
		i++
	}
	w.pending = w.pending[i:]
	if w.lagging && (len(w.pending) == 0 || now.Sub(w.pending[0].at) <= w.hb.MaxLag) {
		w.lagging = false
		w.cache.Resume()
		w.log.Info("authentify: cache listener caught up; the cache serves again (emptied)")
	}
	return true
}
