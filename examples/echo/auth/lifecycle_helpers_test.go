package auth_test

// Shared helpers of the token lifecycle tests (issue_test.go, verify_test.go,
// refresh_test.go, revoke_test.go, settings_test.go, autorefresh_test.go,
// hooks_test.go, context_test.go).
// Those are behaviour tests of the token lifecycle ("full drf-authentify parity")
// through the generated package, against real PostgreSQL with an injected
// clock. Each test names, in its comment, the drf-authentify flaw
// (DESIGN.md §8, behaviour.md §e) it proves fixed, if any.

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/runtime"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// t0 is the fake clock's start: far from the real time, so that any use of
// the wall clock or of SQL now() instead of the injected clock shows.
var t0 = time.Date(2031, time.March, 4, 5, 6, 7, 0, time.UTC)

var (
	accessRE  = regexp.MustCompile(`^demo_at_[0-9A-Za-z]+$`)
	refreshRE = regexp.MustCompile(`^demo_rt_[0-9A-Za-z]+$`)
)

func ptr[T any](v T) *T { return &v }

// at returns t0+d as a pointer, for expiry comparisons.
func at(d time.Duration) *time.Time { return ptr(t0.Add(d)) }

// sameTime reports whether two optional times are both nil or equal.
func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

func fmtTime(p *time.Time) string {
	if p == nil {
		return "<nil>"
	}
	return p.UTC().Format(time.RFC3339Nano)
}

func wantTime(t *testing.T, what string, got, want *time.Time) {
	t.Helper()
	if !sameTime(got, want) {
		t.Errorf("%s = %s, want %s", what, fmtTime(got), fmtTime(want))
	}
}

func wantReason(t *testing.T, what string, err error, want runtime.Reason) {
	t.Helper()
	if got := runtime.ReasonOf(err); got != want {
		t.Errorf("%s: reason %q (err %v), want %q", what, got, err, want)
	}
}

func issue(t *testing.T, svc *auth.Service, user int64, device string, opts ...auth.IssueOption) auth.Issued {
	t.Helper()
	iss, err := svc.GenerateHeaderToken(t.Context(), user, auth.Context{Device: device}, opts...)
	if err != nil {
		t.Fatalf("GenerateHeaderToken(%s): %v", device, err)
	}
	return iss
}

func issueCookie(t *testing.T, svc *auth.Service, user int64, device string, opts ...auth.IssueOption) auth.Issued {
	t.Helper()
	iss, err := svc.GenerateCookieToken(t.Context(), user, auth.Context{Device: device}, opts...)
	if err != nil {
		t.Fatalf("GenerateCookieToken(%s): %v", device, err)
	}
	return iss
}

// row is a token row read with SQL, bypassing the service.
type row struct {
	Exists          bool
	AccessHash      []byte
	RefreshHash     []byte
	ExpiresAt       *time.Time
	RefreshUntil    *time.Time
	LastRefreshedAt time.Time
	CreatedAt       time.Time
	RevokedAt       *time.Time
	RevokeReason    *string
}

func readRow(t *testing.T, pool *testDB, id int64) row {
	t.Helper()
	var r row
	err := pool.QueryRow(context.Background(), `SELECT access_hash, refresh_hash, expires_at, refresh_until,
		last_refreshed_at, created_at, revoked_at, revoke_reason FROM auth_tokens WHERE id = $1`, id).
		Scan(&r.AccessHash, &r.RefreshHash, &r.ExpiresAt, &r.RefreshUntil, &r.LastRefreshedAt, &r.CreatedAt, &r.RevokedAt, &r.RevokeReason)
	if errors.Is(err, pgx.ErrNoRows) {
		return row{}
	}
	if err != nil {
		t.Fatalf("read row %d: %v", id, err)
	}
	r.Exists = true
	return r
}

func countRows(t *testing.T, pool *testDB, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM auth_tokens WHERE `+where, args...).Scan(&n); err != nil {
		t.Fatalf("count %q: %v", where, err)
	}
	return n
}

func headerRequest(scheme, raw string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/me", nil)
	r.Header.Set("Authorization", scheme+" "+raw)
	return r
}

// countingDB is an auth.DB that counts the statements the service sends.
type countingDB struct {
	*pgxpool.Pool
	n atomic.Int64
}

func (c *countingDB) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	c.n.Add(1)
	return c.Pool.Exec(ctx, sql, args...)
}

func (c *countingDB) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	c.n.Add(1)
	return c.Pool.Query(ctx, sql, args...)
}

func (c *countingDB) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	c.n.Add(1)
	return c.Pool.QueryRow(ctx, sql, args...)
}

func (c *countingDB) Begin(ctx context.Context) (pgx.Tx, error) {
	c.n.Add(1)
	return c.Pool.Begin(ctx)
}
