package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authentify-go/authentify/examples/echo/app"
	"github.com/authentify-go/authentify/internal/pgtest"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/bcrypt"
)

// testPassword is the password of every test user.
const testPassword = "correct horse battery"

// clock is a fake clock for expiry rules; safe for concurrent use.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Now().UTC().Truncate(time.Second)} }

// Now returns the clock's time.
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// logBuffer collects log output; safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything logged so far.
func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Count returns how many log lines contain s.
func (b *logBuffer) Count(s string) int { return strings.Count(b.String(), s) }

// env is a test app over its own database.
type env struct {
	t    testing.TB
	app  *app.App
	cfg  app.Config
	pool *pgxpool.Pool
	logs *logBuffer
}

// testConfig is the default config without rate limiting.
func testConfig() app.Config {
	cfg := app.DefaultConfig()
	cfg.RateLimit, cfg.RateBurst = 0, 0
	return cfg
}

// newEnv builds an app over a fresh database with a low bcrypt cost, no
// rate limit (unless mod sets one) and a captured log.
func newEnv(t testing.TB, mod func(*app.Config), opts ...app.Option) *env {
	t.Helper()
	pool := pgtest.NewPool(t)
	cfg := testConfig()
	if mod != nil {
		mod(&cfg)
	}
	logs := &logBuffer{}
	opts = append([]app.Option{
		app.WithBcryptCost(bcrypt.MinCost),
		app.WithLogger(slog.New(slog.NewJSONHandler(logs, nil))),
	}, opts...)
	a, err := app.New(context.Background(), pool, cfg, opts...)
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	return &env{t: t, app: a, cfg: cfg, pool: pool, logs: logs}
}

// reqOpt adjusts a test request.
type reqOpt func(*http.Request)

// bearer authenticates with an access token in the Authorization header.
func bearer(tok string) reqOpt {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

// fromIP makes the request come from ip.
func fromIP(ip string) reqOpt {
	return func(r *http.Request) {
		if strings.Contains(ip, ":") {
			r.RemoteAddr = "[" + ip + "]:40000"
		} else {
			r.RemoteAddr = ip + ":40000"
		}
	}
}

// header sets a request header.
func header(k, v string) reqOpt { return func(r *http.Request) { r.Header.Set(k, v) } }

// do serves one request. body is nil (no body), a string (sent as is) or a
// value marshalled to JSON; a body is sent as application/json.
func (e *env) do(method, path string, body any, opts ...reqOpt) *httptest.ResponseRecorder {
	e.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			e.t.Fatalf("marshal body: %v", err)
		}
		r = bytes.NewReader(data)
	}
	req := httptest.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, o := range opts {
		o(req)
	}
	rec := httptest.NewRecorder()
	e.app.Handler().ServeHTTP(rec, req)
	return rec
}

// decodeBody decodes the JSON body of rec into a T.
func decodeBody[T any](t testing.TB, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %q: %v", rec.Body.String(), err)
	}
	return v
}

// wantStatus fails unless rec has status; an error status must come with a
// JSON {"error": "..."} body.
func wantStatus(t testing.TB, rec *httptest.ResponseRecorder, status int) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status = %d, want %d; body %s", rec.Code, status, rec.Body.String())
	}
	if status >= 400 {
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("error Content-Type = %q, want application/json", ct)
		}
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("error body %q is not JSON: %v", rec.Body.String(), err)
		}
		if msg, ok := body["error"].(string); !ok || msg == "" || len(body) != 1 {
			t.Errorf("error body = %s, want {\"error\": \"...\"}", rec.Body.String())
		}
	}
}

// tokens is the body of a header login or refresh.
type tokens struct {
	AccessToken  string     `json:"access_token"`
	RefreshToken *string    `json:"refresh_token"`
	ExpiresAt    *time.Time `json:"expires_at"`
	RefreshUntil *time.Time `json:"refresh_until"`
	SessionID    int64      `json:"session_id"`
}

// refresh returns the refresh token or fails.
func (tk tokens) refresh(t testing.TB) string {
	t.Helper()
	if tk.RefreshToken == nil {
		t.Fatal("no refresh token")
	}
	return *tk.RefreshToken
}

// register creates a user and returns its id.
func (e *env) register(username string, beta bool) int64 {
	e.t.Helper()
	rec := e.do("POST", "/auth/register", map[string]any{"username": username, "password": testPassword, "beta": beta})
	wantStatus(e.t, rec, http.StatusCreated)
	return int64(decodeBody[map[string]any](e.t, rec)["id"].(float64))
}

// login logs username in with a header token from device.
func (e *env) login(username, device string, opts ...reqOpt) tokens {
	e.t.Helper()
	rec := e.do("POST", "/auth/login", map[string]any{"username": username, "password": testPassword, "device": device}, opts...)
	wantStatus(e.t, rec, http.StatusOK)
	return decodeBody[tokens](e.t, rec)
}

// me calls GET /me with opts and returns the status.
func (e *env) me(opts ...reqOpt) int {
	e.t.Helper()
	return e.do("GET", "/me", nil, opts...).Code
}
