package auth_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/internal/pgtest"
	"github.com/authentify-go/authentify/runtime"
)

// Batched lookups (lookup_batch_size) against PostgreSQL: when every
// connection the pool may give lookups is reading a token, the lookups that
// arrive meanwhile share one statement (TokensByAccessHashes). Each must get
// exactly the answer its own statement would have given, and never a row
// read before it arrived. runtime/lookup_batch_test.go tests the queue's
// rules; these tests run the generated statement.

// statementCounter counts the token lookups a pool sends: single
// (TokenByAccessHash) and batched (TokensByAccessHashes) statements.
type statementCounter struct {
	singles, batches atomic.Int64
	// singleStarted receives once per single lookup statement, when set.
	singleStarted chan struct{}
}

// TraceQueryStart implements pgx.QueryTracer.
func (c *statementCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	switch {
	case strings.Contains(d.SQL, "name: TokenByAccessHash "):
		c.singles.Add(1)
		if c.singleStarted != nil {
			c.singleStarted <- struct{}{}
		}
	case strings.Contains(d.SQL, "name: TokensByAccessHashes "):
		c.batches.Add(1)
	}
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (c *statementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// newBatchService returns a Service over a fresh database whose pool has
// maxConns connections (so lookups batch beyond that many at once), with
// its statements counted, a connection of its own to the database (closed
// when the test ends) and the id of a new user named user.
func newBatchService(t *testing.T, maxConns int32, c *statementCounter, user string, opts ...auth.Option) (*auth.Service, *pgx.Conn, int64) {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = maxConns
	cfg.ConnConfig.Tracer = c
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	pgtest.Exec(t, pool, usersTable)
	svc, err := auth.New(pool, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	admin, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close(context.Background()) })
	var uid int64
	if err := admin.QueryRow(t.Context(), `INSERT INTO users (username) VALUES ($1) RETURNING id`, user).Scan(&uid); err != nil {
		t.Fatal(err)
	}
	return svc, admin, uid
}

func TestBatchedLookupsAnswerEachToken(t *testing.T) {
	counter := &statementCounter{singleStarted: make(chan struct{}, 100)}
	clk := newClock(t0)
	// Revoked rows are kept, so that the batch reads one (revoked_at set).
	svc, admin, uid := newBatchService(t, 2, counter, "batch", auth.WithClock(clk.Now), settings(func(s *runtime.Settings) { s.KeepExpiredTokens = true }))
	ctx := t.Context()
	header := func(device string, opts ...auth.IssueOption) auth.Issued {
		iss, err := svc.GenerateHeaderToken(ctx, uid, auth.Context{Device: device}, opts...)
		if err != nil {
			t.Fatal(err)
		}
		return iss
	}
	valid1, valid2 := header("one"), header("two")
	revoked := header("revoked")
	if err := svc.RevokeToken(ctx, revoked.Token); err != nil {
		t.Fatal(err)
	}
	expired := header("expired", auth.WithAccessTTL(time.Minute))
	cookie, err := svc.GenerateCookieToken(ctx, uid, auth.Context{Device: "cookie"})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Minute)
	counter.singles.Store(0)

	// Hold the table so that the first two lookups take both connections
	// and wait; every lookup after them must queue.
	tx, err := admin.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `LOCK TABLE auth_tokens IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	type result struct {
		tok auth.Token
		err error
	}
	verify := func(raw string) <-chan result {
		ch := make(chan result, 1)
		go func() {
			tok, err := svc.VerifyToken(ctx, raw, runtime.TransportHeader)
			ch <- result{tok, err}
		}()
		return ch
	}
	blocked := []<-chan result{verify(valid1.AccessToken.Reveal()), verify(valid2.AccessToken.Reveal())}
	<-counter.singleStarted
	<-counter.singleStarted
	cases := []struct {
		name   string
		raw    string
		wantID int64
		want   runtime.Reason
	}{
		{"valid", valid1.AccessToken.Reveal(), valid1.Token.ID, ""},
		{"the same token again", valid1.AccessToken.Reveal(), valid1.Token.ID, ""},
		{"another valid", valid2.AccessToken.Reveal(), valid2.Token.ID, ""},
		{"revoked", revoked.AccessToken.Reveal(), 0, runtime.ReasonRevoked},
		{"expired", expired.AccessToken.Reveal(), 0, runtime.ReasonExpired},
		{"cookie token in a header", cookie.AccessToken.Reveal(), 0, runtime.ReasonWrongTransport},
		{"unknown", "demo_at_" + strings.Repeat("x", 49), 0, runtime.ReasonInvalid},
	}
	var waiting []<-chan result
	for _, c := range cases {
		waiting = append(waiting, verify(c.raw))
	}
	// The queue is not observable from here: give the lookups time to
	// reach it. One that comes late reads on its own, which the answers
	// below do not depend on.
	time.Sleep(200 * time.Millisecond)
	if n := counter.singles.Load(); n != 2 {
		t.Fatalf("%d single lookups while both connections wait, want 2: the others must queue", n)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for _, ch := range blocked {
		if r := <-ch; r.err != nil {
			t.Errorf("a lookup that held a connection: %v", r.err)
		}
	}
	for i, c := range cases {
		r := <-waiting[i]
		switch {
		case c.want == "" && r.err != nil:
			t.Errorf("%s: %v, want token %d", c.name, r.err, c.wantID)
		case c.want == "" && r.tok.ID != c.wantID:
			t.Errorf("%s: token %d, want %d", c.name, r.tok.ID, c.wantID)
		case c.want != "":
			wantReason(t, c.name, r.err, c.want)
		}
	}
	if counter.batches.Load() == 0 {
		t.Error("no batched statement: the queued lookups each read alone")
	}
	t.Logf("statements: %d single, %d batched, for %d lookups", counter.singles.Load(), counter.batches.Load(), 2+len(cases))
}

// TestBatchedLookupsNeverServeARevokedToken revokes tokens one by one while
// many clients verify them through a pool of two connections, so that
// most lookups are batched: a verification that starts after a revocation
// returned must refuse the token.
func TestBatchedLookupsNeverServeARevokedToken(t *testing.T) {
	counter := &statementCounter{}
	svc, _, uid := newBatchService(t, 2, counter, "stress")
	ctx := t.Context()
	const tokens = 40
	issued := make([]auth.Issued, tokens)
	revokedDone := make([]atomic.Bool, tokens)
	for i := range issued {
		var err error
		if issued[i], err = svc.GenerateHeaderToken(ctx, uid, auth.Context{Device: "stress"}); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	var (
		wg        sync.WaitGroup
		verified  atomic.Int64
		violation atomic.Pointer[string]
	)
	for w := range 24 {
		wg.Go(func() {
			for n := w; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				i := n % tokens
				wasRevoked := revokedDone[i].Load()
				tok, err := svc.VerifyToken(ctx, issued[i].AccessToken.Reveal(), runtime.TransportHeader)
				var ae *runtime.AuthError
				switch {
				case err == nil && wasRevoked:
					msg := fmt.Sprintf("token %d verified after its revocation returned", issued[i].Token.ID)
					violation.Store(&msg)
				case err == nil && tok.ID != issued[i].Token.ID:
					msg := "a lookup answered with another token's row"
					violation.Store(&msg)
				case err != nil && !errors.As(err, &ae):
					msg := "lookup failed: " + err.Error()
					violation.Store(&msg)
				}
				verified.Add(1)
			}
		})
	}
	for i := range issued {
		time.Sleep(5 * time.Millisecond)
		if err := svc.RevokeToken(ctx, issued[i].Token); err != nil {
			t.Fatal(err)
		}
		revokedDone[i].Store(true)
	}
	time.Sleep(20 * time.Millisecond)
	close(stop)
	wg.Wait()
	if v := violation.Load(); v != nil {
		t.Fatal(*v)
	}
	t.Logf("%d verifications: %d single and %d batched statements", verified.Load(), counter.singles.Load(), counter.batches.Load())
	if counter.batches.Load() == 0 {
		t.Error("no batched statement: 24 clients on 2 connections should have queued")
	}
}

func TestLookupBatchingOff(t *testing.T) {
	counter := &statementCounter{}
	svc, _, uid := newBatchService(t, 2, counter, "off", settings(func(s *runtime.Settings) { s.LookupBatchSize = 0 }))
	ctx := t.Context()
	iss, err := svc.GenerateHeaderToken(ctx, uid, auth.Context{Device: "off"})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 20 {
				if _, err := svc.VerifyToken(ctx, iss.AccessToken.Reveal(), runtime.TransportHeader); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := counter.batches.Load(); n != 0 {
		t.Errorf("%d batched statements with lookup_batch_size 0, want none", n)
	}
	if n := counter.singles.Load(); n != 16*20 {
		t.Errorf("%d single statements, want one per lookup (320)", n)
	}
}
