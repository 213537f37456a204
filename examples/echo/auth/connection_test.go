package auth_test

// Issue 8 item 8: a connection that dies under a request costs the user
// nothing (idempotent reads are retried once on another connection), and a
// statement the server aborts (statement timeout) is a 503, never a 500.
// A database that is really down still answers 503 at once: the outage
// tests in outage_test.go.

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/internal/pgtest"
	"github.com/authentify-go/authentify/runtime"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
)

// newTaggedService returns a Service whose pool connections carry
// application_name appName (so a test can find and kill them), the pool's
// runtime parameters params, and a direct pool to the same database.
func newTaggedService(t *testing.T, appName string, params map[string]string, opts ...auth.Option) (*auth.Service, *pgxpool.Pool) {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	direct, err := pgxpool.New(bgCtx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(direct.Close)
	pgtest.Exec(t, direct, usersTable)
	// Migrate over the direct pool: the tagged pool's parameters (a tight
	// statement_timeout) are for the statements under test.
	migrator, err := auth.New(direct)
	if err != nil {
		t.Fatal(err)
	}
	if err := migrator.Migrate(bgCtx); err != nil {
		t.Fatal(err)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 8
	cfg.ConnConfig.RuntimeParams["application_name"] = appName
	for k, v := range params {
		cfg.ConnConfig.RuntimeParams[k] = v
	}
	pool, err := pgxpool.NewWithConfig(bgCtx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	svc, err := auth.New(pool, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return svc, direct
}

// TestKilledConnectionsCostNothing: 8 clients on a protected route while
// every connection of the service's pool is killed (pg_terminate_backend,
// SQLSTATE 57P01) 5 times: every request answers 200.
func TestKilledConnectionsCostNothing(t *testing.T) {
	const clients, kills, perRound = 8, 5, 400
	svc, direct := newTaggedService(t, "authentify_kill_test", nil)
	user := newUser(t, pgDB(direct), "alice")
	iss, err := svc.GenerateHeaderToken(bgCtx, user, auth.Context{Device: "d"})
	if err != nil {
		t.Fatal(err)
	}
	var errMu sync.Mutex
	failures := map[string]int{}
	mw, err := svc.MiddlewareWithConfig(auth.MiddlewareConfig{ErrorHandler: func(c echo.Context, err error) error {
		errMu.Lock()
		failures[err.Error()]++
		errMu.Unlock()
		return auth.HTTPError(c, "", err)
	}})
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	e.GET("/me", func(c echo.Context) error { return c.NoContent(http.StatusOK) }, mw)

	var total atomic.Int64
	var mu sync.Mutex
	codes := map[int]int{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				rec := httptest.NewRecorder()
				e.ServeHTTP(rec, bearerRequest(http.MethodGet, "/me", iss.AccessToken.Reveal()))
				mu.Lock()
				codes[rec.Code]++
				mu.Unlock()
				total.Add(1)
			}
		}()
	}
	killed := 0
	for round := 1; round <= kills; round++ {
		for total.Load() < int64(round*perRound) {
			time.Sleep(time.Millisecond)
		}
		var n int
		err := direct.QueryRow(context.Background(), `SELECT count(*) FROM (
			SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE application_name = 'authentify_kill_test' AND datname = current_database()) AS k`).Scan(&n)
		if err != nil {
			t.Fatalf("kill round %d: %v", round, err)
		}
		killed += n
	}
	for total.Load() < int64((kills+1)*perRound) {
		time.Sleep(time.Millisecond)
	}
	close(stop)
	wg.Wait()
	t.Logf("%d requests, %d connections killed in %d rounds: status counts %v", total.Load(), killed, kills, codes)
	if killed < kills {
		t.Fatalf("only %d connections were killed; the test did not exercise anything", killed)
	}
	if codes[http.StatusOK] != int(total.Load()) {
		t.Errorf("not every request answered 200: %v; errors %v", codes, failures)
	}
}

// TestStatementTimeoutIsUnavailable: a statement the server cancels
// (statement_timeout, SQLSTATE 57014) is retried once, then answered 503,
// never 500; the middleware says so with Retry-After.
func TestStatementTimeoutIsUnavailable(t *testing.T) {
	svc, direct := newTaggedService(t, "authentify_timeout_test", map[string]string{"statement_timeout": "50ms"})
	user := newUser(t, pgDB(direct), "alice")
	iss, err := svc.GenerateHeaderToken(bgCtx, user, auth.Context{Device: "d"})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := direct.Begin(bgCtx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(bgCtx)
	if _, err := tx.Exec(bgCtx, `LOCK TABLE auth_tokens IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	_, err = svc.VerifyToken(bgCtx, iss.AccessToken.Reveal(), runtime.TransportHeader)
	if got := runtime.HTTPStatus(err); got != http.StatusServiceUnavailable || runtime.ClassifyFailure(err) != runtime.FailureTransient {
		t.Errorf("VerifyToken under a statement timeout = %d (%v), want 503 from a transient failure", got, err)
	}
	_, err = svc.GenerateHeaderToken(bgCtx, user, auth.Context{Device: "d2"})
	if got := runtime.HTTPStatus(err); got != http.StatusServiceUnavailable {
		t.Errorf("GenerateHeaderToken under a statement timeout = %d (%v), want 503", got, err)
	}
	rec := httptest.NewRecorder()
	e := echo.New()
	e.GET("/me", func(c echo.Context) error { return c.NoContent(http.StatusOK) }, svc.Middleware())
	e.ServeHTTP(rec, bearerRequest(http.MethodGet, "/me", iss.AccessToken.Reveal()))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("GET /me under a statement timeout: %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
}
