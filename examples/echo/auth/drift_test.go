package auth_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/internal/pgtest"
	"github.com/authentify-go/authentify/runtime"
	"github.com/labstack/echo/v4"
)

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// captureLog sends the default slog logger to a buffer for the test.
func captureLog(t *testing.T) *syncBuffer {
	buf := &syncBuffer{}
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(buf, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })
	return buf
}

// me serves GET /me behind the middleware.
func me(svc *auth.Service) *echo.Echo {
	e := echo.New()
	e.GET("/me", func(c echo.Context) error {
		tok, _ := auth.TokenFrom(c)
		return c.JSON(http.StatusOK, tok.Context)
	}, svc.Middleware())
	return e
}

func get(e *echo.Echo, access string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "/me", nil)
	req.Header.Set("Authorization", "Bearer "+access)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

// TestContextFromOlderSpecStillAuthenticates: a row whose context was
// written under an earlier spec (device, now required, missing; a value
// that no longer fits its field's type; a key since removed) still
// authenticates, through the service and the middleware, with the zero
// values, and the mismatch is logged once, naming the keys.
func TestContextFromOlderSpecStillAuthenticates(t *testing.T) {
	logs := captureLog(t)
	svc, pool := newService(t)
	uid := newUser(t, pgDB(pool), "old")
	is, err := svc.GenerateHeaderToken(bgCtx, uid, auth.Context{Device: "phone"})
	if err != nil {
		t.Fatal(err)
	}
	pgtest.Exec(t, pool, `UPDATE auth_tokens SET context = '{"ip_address": "gold", "beta_features": "yes", "removed": 1}'`)
	access := is.AccessToken.Reveal()
	for i := range 3 {
		tok, err := svc.VerifyToken(bgCtx, access, runtime.AnyTransport)
		if err != nil {
			t.Fatalf("verify #%d: %v", i+1, err)
		}
		if tok.Context != (auth.Context{}) {
			t.Errorf("context %+v, want the zero values", tok.Context)
		}
		if rec := get(me(svc), access); rec.Code != http.StatusOK {
			t.Errorf("GET /me #%d: %d %s", i+1, rec.Code, rec.Body)
		}
	}
	if _, err := svc.RefreshToken(bgCtx, is.RefreshToken.Reveal()); err != nil {
		t.Errorf("refresh: %v", err)
	}
	out := logs.String()
	if n := strings.Count(out, "do not fit the current spec"); n != 1 {
		t.Errorf("the mismatch was logged %d times, want once:\n%s", n, out)
	}
	if !strings.Contains(out, "keys=\"[beta_features ip_address]\"") || strings.Contains(out, "gold") {
		t.Errorf("the log must name the keys and no value:\n%s", out)
	}
}

// TestDatabaseErrorIsLogged: a table that drifted (a column the code
// needs was dropped) makes requests fail with 500, never 401, and the
// cause (SQLSTATE 42703 and the column) is logged by the service and the
// middleware, without the token.
func TestDatabaseErrorIsLogged(t *testing.T) {
	logs := captureLog(t)
	svc, pool := newService(t)
	uid := newUser(t, pgDB(pool), "drift")
	is, err := svc.GenerateHeaderToken(bgCtx, uid, auth.Context{Device: "phone"})
	if err != nil {
		t.Fatal(err)
	}
	pgtest.Exec(t, pool, `ALTER TABLE auth_tokens DROP COLUMN two_factor_verified`)
	access := is.AccessToken.Reveal()
	rec := get(me(svc), access)
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("GET /me on a drifted table: %d, want 500", rec.Code)
	}
	if _, err := svc.GenerateHeaderToken(bgCtx, uid, auth.Context{Device: "phone"}); err == nil {
		t.Error("login on a drifted table: no error")
	}
	out := logs.String()
	for _, want := range []string{
		"authentify: database error", "sqlstate=42703", "two_factor_verified",
		"authentify: internal error", "path=/me",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, access) || strings.Contains(out, is.RefreshToken.Reveal()) {
		t.Errorf("the log holds a token:\n%s", out)
	}
}
