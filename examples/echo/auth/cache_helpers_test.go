package auth_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/internal/pgtest"
	"github.com/authentify-go/authentify/runtime"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// cacheWait bounds every wait for a notification to reach an instance. It is
// a deadline against hangs, never a latency assertion: the tests log the
// latencies they see.
const cacheWait = 10 * time.Second

// instance is one service instance of a two-instance test: its own pool (with
// a tracer counting token reads) and its own cache.
type instance struct {
	name  string
	svc   *auth.Service
	pool  *pgxpool.Pool
	reads atomic.Int64 // TokenByAccessHash queries
	// afterRead, when set, runs once after a TokenByAccessHash read returned
	// and before the engine offers the row to the cache.
	afterRead atomic.Pointer[func()]
	// slowReads, when set, delays every TokenByAccessHash read by up to
	// this many microseconds after it returned: it widens the window
	// between a read and its put, for the stress test.
	slowReads atomic.Int64
}

// TraceQueryStart implements pgx.QueryTracer.
func (in *instance) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if strings.Contains(d.SQL, "name: TokenByAccessHash ") {
		in.reads.Add(1)
		return context.WithValue(ctx, byAccessHashKey{}, true)
	}
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer: it runs the afterRead hook.
func (in *instance) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryEndData) {
	if ctx.Value(byAccessHashKey{}) == nil {
		return
	}
	if f := in.afterRead.Swap(nil); f != nil {
		(*f)()
	}
	if us := in.slowReads.Load(); us > 0 {
		time.Sleep(time.Duration(rand.Int64N(us)) * time.Microsecond)
	}
}

type byAccessHashKey struct{}

// newCachePair returns two instances, A and B, on one fresh database, each
// with its own cache (cache_size 1000, cache_max_age 1h unless mod changes
// them) and its listener running until the test ends. Both caches serve when
// it returns.
func newCachePair(t testing.TB, mod func(*runtime.Settings)) (a, b *instance) {
	t.Helper()
	return newCachePairClock(t, mod, nil)
}

// newCachePairClock is newCachePair with both instances on clk (nil: the
// real clock).
func newCachePairClock(t testing.TB, mod func(*runtime.Settings), clk *clock) (a, b *instance) {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	s := auth.DefaultSettings()
	s.CacheSize, s.CacheMaxAge = 1000, time.Hour
	if mod != nil {
		mod(&s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stops []chan error
	t.Cleanup(func() {
		cancel()
		for _, c := range stops {
			if err := <-c; !errors.Is(err, context.Canceled) {
				t.Errorf("ListenCache returned %v, want context.Canceled", err)
			}
		}
	})
	newInstance := func(name string) *instance {
		in := &instance{name: name}
		cfg, err := pgxpool.ParseConfig(dsn)
		if err != nil {
			t.Fatal(err)
		}
		cfg.ConnConfig.Tracer = in
		if in.pool, err = pgxpool.NewWithConfig(context.Background(), cfg); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(in.pool.Close)
		opts := []auth.Option{auth.WithSettings(s)}
		if clk != nil {
			opts = append(opts, auth.WithClock(clk.Now))
		}
		if in.svc, err = auth.New(in.pool, opts...); err != nil {
			t.Fatal(err)
		}
		if name == "A" {
			pgtest.Exec(t, in.pool, usersTable)
		}
		if err := in.svc.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		stop := make(chan error, 1)
		stops = append(stops, stop)
		go func() { stop <- in.svc.ListenCache(ctx) }()
		return in
	}
	a = newInstance("A")
	b = newInstance("B")
	waitServing(t, a)
	waitServing(t, b)
	return a, b
}

// waitServing waits until in's cache serves (its listener listens).
func waitServing(t testing.TB, in *instance) time.Duration {
	t.Helper()
	return waitUntil(t, in.name+"'s cache to serve", in.svc.Cache().Serving)
}

// waitUntil polls cond every 200µs until it holds, failing the test after
// cacheWait; it returns how long it took.
func waitUntil(t testing.TB, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > cacheWait {
			t.Fatalf("still waiting after %s for %s", cacheWait, what)
		}
		time.Sleep(200 * time.Microsecond)
	}
	return time.Since(start)
}

// verify verifies raw on in over any transport.
func (in *instance) verify(t testing.TB, raw string) (auth.Token, error) {
	t.Helper()
	return in.svc.VerifyToken(t.Context(), raw, runtime.AnyTransport)
}

// cached verifies raw on in twice and reports whether the second verify was
// served from the cache (read nothing). Both must succeed.
func (in *instance) cached(t testing.TB, raw string) bool {
	t.Helper()
	if _, err := in.verify(t, raw); err != nil {
		t.Fatalf("%s: verify: %v", in.name, err)
	}
	before := in.reads.Load()
	if _, err := in.verify(t, raw); err != nil {
		t.Fatalf("%s: verify again: %v", in.name, err)
	}
	return in.reads.Load() == before
}

// waitRefused polls verify of raw on in until it is refused (not a database
// error) and returns how long that took.
func (in *instance) waitRefused(t testing.TB, what, raw string) time.Duration {
	t.Helper()
	return waitUntil(t, what+" to reach "+in.name, func() bool {
		_, err := in.verify(t, raw)
		var ae *runtime.AuthError
		if err != nil && !errors.As(err, &ae) {
			t.Fatalf("%s: verify: %v", in.name, err)
		}
		return err != nil
	})
}

// latencies summarizes durations as p50/p99/max for the test log.
func latencies(ds []time.Duration) string {
	if len(ds) == 0 {
		return "none"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	q := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))] }
	return fmt.Sprintf("n=%d p50=%s p99=%s max=%s", len(s), q(0.50), q(0.99), s[len(s)-1])
}

// notifications listens on the cache channel of pool's database on a
// connection of its own and returns a function that returns the payloads
// received so far once a marker it sends itself comes back (so that every
// notification committed before the call is in).
func notifications(t *testing.T, pool *pgxpool.Pool) func() []string {
	t.Helper()
	conn, err := pgx.ConnectConfig(t.Context(), pool.Config().ConnConfig.Copy())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	if _, err := conn.Exec(t.Context(), "LISTEN "+pgx.Identifier{auth.CacheChannel}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	marker := 0
	return func() []string {
		t.Helper()
		marker++
		m := fmt.Sprintf("p:marker %d", marker)
		if _, err := pool.Exec(t.Context(), "SELECT pg_notify($1, $2)", auth.CacheChannel, m); err != nil {
			t.Fatal(err)
		}
		var got []string
		for {
			ctx, cancel := context.WithTimeout(t.Context(), cacheWait)
			n, err := conn.WaitForNotification(ctx)
			cancel()
			if err != nil {
				t.Fatalf("waiting for notifications: %v", err)
			}
			if n.Payload == m {
				return got
			}
			if strings.HasPrefix(n.Payload, "p:") {
				continue // a listener's heartbeat ping, not a change
			}
			got = append(got, n.Payload)
		}
	}
}
