package auth_test

import (
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	echo4 "github.com/labstack/echo/v4"
	echo5 "github.com/labstack/echo/v5"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/internal/pgtest"
	"github.com/authentify-go/authentify/runtime"
)

// BenchmarkMiddleware measures one authenticated GET through each HTTP
// stack: the bare router (no authentication) and the router with the
// package's middleware, with the token cache on (cache) and off (db, every
// request reads PostgreSQL). The middleware's cost on a stack is its
// "cache" (or "db") time minus its "none" time. context measures what every
// adapter adds to make auth.FromContext work: storing the token in the
// request's context (a context value and a shallow copy of the request).
//
//	go test ./examples/echo/auth -run '^$' -bench Middleware -benchmem
func BenchmarkMiddleware(b *testing.B) {
	ok := func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }
	stacks := []struct {
		name  string
		build func(svc *auth.Service, authenticate bool) http.Handler
	}{
		{"nethttp", func(svc *auth.Service, authenticate bool) http.Handler {
			mux := http.NewServeMux()
			h := http.Handler(http.HandlerFunc(ok))
			if authenticate {
				h = svc.Handler(h)
			}
			mux.Handle("GET /me", h)
			return mux
		}},
		{"echo4", func(svc *auth.Service, authenticate bool) http.Handler {
			e := echo4.New()
			var mw []echo4.MiddlewareFunc
			if authenticate {
				mw = append(mw, svc.Middleware())
			}
			e.GET("/me", func(c echo4.Context) error { return c.NoContent(http.StatusNoContent) }, mw...)
			return e
		}},
		{"echo5", func(svc *auth.Service, authenticate bool) http.Handler {
			e := echo5.New()
			var mw []echo5.MiddlewareFunc
			if authenticate {
				mw = append(mw, svc.MiddlewareEcho5())
			}
			e.GET("/me", func(c *echo5.Context) error { return c.NoContent(http.StatusNoContent) }, mw...)
			return e
		}},
	}
	cached, _ := newCachePair(b, func(s *runtime.Settings) { s.CacheSize = 1000 })
	pool := pgtest.NewPool(b)
	pgtest.Exec(b, pool, usersTable)
	direct, err := auth.New(pool) // the cache is off by default
	if err != nil {
		b.Fatal(err)
	}
	if err := direct.Migrate(b.Context()); err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, h http.Handler, raw string) {
		req := httptest.NewRequest(http.MethodGet, "/me", nil)
		req.Header.Set("Authorization", "Bearer "+raw)
		b.ReportAllocs()
		for b.Loop() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusNoContent {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
	}
	issue := func(b *testing.B, svc *auth.Service, pool *pgxpool.Pool, name string) (string, auth.Token) {
		uid := addUser(b, pgDB(pool), name)
		iss, err := svc.GenerateHeaderToken(b.Context(), uid, auth.Context{Device: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		return iss.AccessToken.Reveal(), iss.Token
	}
	cachedRaw, tok := issue(b, cached.svc, cached.pool, "bench-cached")
	directRaw, _ := issue(b, direct, pool, "bench-direct")
	for _, st := range stacks {
		b.Run(st.name+"/none", func(b *testing.B) { run(b, st.build(cached.svc, false), cachedRaw) })
		b.Run(st.name+"/cache", func(b *testing.B) { run(b, st.build(cached.svc, true), cachedRaw) })
		b.Run(st.name+"/db", func(b *testing.B) { run(b, st.build(direct, true), directRaw) })
	}
	// The floor of a database-backed check, as in go run ./bench's baseline:
	// the bare Echo v4 router, the SHA-256 of the bearer token and one
	// 4-column SELECT by it on the same table and pool as echo4/db.
	b.Run("echo4/baseline", func(b *testing.B) {
		e := echo4.New()
		e.GET("/me", func(c echo4.Context) error {
			raw, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
			if !ok {
				return echo4.ErrUnauthorized
			}
			sum := sha256.Sum256([]byte(raw))
			var id, userID int64
			var expires, revoked *time.Time
			err := pool.QueryRow(c.Request().Context(), `SELECT id, user_id, expires_at, revoked_at FROM auth_tokens WHERE access_hash = $1`, sum[:]).Scan(&id, &userID, &expires, &revoked)
			if err != nil || revoked != nil {
				return echo4.ErrUnauthorized
			}
			return c.NoContent(http.StatusNoContent)
		})
		run(b, e, directRaw)
	})
	b.Run("context", func(b *testing.B) {
		req := httptest.NewRequest(http.MethodGet, "/me", nil)
		b.ReportAllocs()
		for b.Loop() {
			r := req.WithContext(auth.NewContext(req.Context(), tok))
			if _, ok := auth.FromContext(r.Context()); !ok {
				b.Fatal("no token")
			}
		}
	})
}
