package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	goruntime "runtime"
	"testing"
	"time"

	"github.com/authentify-go/authentify/examples/echo/app"
	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"
)

// benchServer is the app behind a real loopback HTTP server, with a
// keep-alive client.
type benchServer struct {
	*env
	url    string
	client *http.Client
}

// newBenchServer starts the app (plus the trivial routes /bench/noop and
// /bench/authed, the same behind the authentication middleware, which exist
// only here) on a loopback httptest.Server.
func newBenchServer(b *testing.B, mod func(*app.Config), opts ...app.Option) *benchServer {
	b.Helper()
	e := newEnv(b, mod, opts...)
	noop := func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	}
	e.app.Echo().GET("/bench/noop", noop)
	e.app.Echo().GET("/bench/authed", noop, e.app.Service().Middleware())
	srv := httptest.NewServer(e.app.Handler())
	b.Cleanup(srv.Close)
	n := 4 * goruntime.GOMAXPROCS(0)
	tr := &http.Transport{MaxIdleConns: n, MaxIdleConnsPerHost: n}
	b.Cleanup(tr.CloseIdleConnections)
	return &benchServer{env: e, url: srv.URL, client: &http.Client{Transport: tr}}
}

// call sends one request and returns the status and, if out is non-nil,
// decodes the body into it. The body is always drained so the connection
// is reused.
func (s *benchServer) call(b *testing.B, method, path string, body any, bearerToken string, out any) int {
	var r io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, s.url+path, r)
	if err != nil {
		b.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearerToken != "" {
		req.Header.Set("Authorization", "Bearer "+bearerToken)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		b.Error(err)
		return 0
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode < 300 {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			b.Error(err)
		}
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// sessions logs alice in n times over HTTP and returns the tokens.
func (s *benchServer) sessions(b *testing.B, n int) chan tokens {
	b.Helper()
	s.register("alice", false)
	ch := make(chan tokens, n)
	for range n {
		var tk tokens
		if got := s.call(b, "POST", "/auth/login", map[string]any{"username": "alice", "password": testPassword, "device": "bench"}, "", &tk); got != 200 {
			b.Fatalf("login = %d", got)
		}
		ch <- tk
	}
	return ch
}

// runGet measures GET path with token (may be empty) expecting 200.
func (s *benchServer) runGet(b *testing.B, path string, next func() string) {
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		token := next()
		for pb.Next() {
			if got := s.call(b, "GET", path, nil, token, nil); got != 200 {
				b.Errorf("GET %s = %d", path, got)
				return
			}
		}
	})
}

// BenchmarkBaseline is the floor: an unauthenticated route doing nothing.
func BenchmarkBaseline(b *testing.B) {
	s := newBenchServer(b, nil)
	s.runGet(b, "/bench/noop", func() string { return "" })
}

// BenchmarkHealthz is an unauthenticated route with one database round trip.
func BenchmarkHealthz(b *testing.B) {
	s := newBenchServer(b, nil)
	s.runGet(b, "/healthz", func() string { return "" })
}

// BenchmarkAuthOnly is BenchmarkBaseline behind the middleware: the cost of
// authentication alone (parse, hash, one indexed SELECT).
func BenchmarkAuthOnly(b *testing.B) {
	s := newBenchServer(b, nil, app.WithBcryptCost(bcrypt.MinCost))
	tk := <-s.sessions(b, 1)
	s.runGet(b, "/bench/authed", func() string { return tk.AccessToken })
}

// BenchmarkAuthOnlyCached is BenchmarkAuthOnly with the token cache on and
// its listener running: after the first request the token is verified
// without a database read (the CPU profile of the cached hot path).
func BenchmarkAuthOnlyCached(b *testing.B) {
	s := newBenchServer(b, func(c *app.Config) {
		c.Settings.CacheSize, c.Settings.CacheMaxAge = 1000, time.Hour
	}, app.WithBcryptCost(bcrypt.MinCost))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = s.app.Service().ListenCache(ctx) }()
	b.Cleanup(func() { cancel(); <-done })
	for start := time.Now(); !s.app.Service().Cache().Serving(); time.Sleep(time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			b.Fatal("the cache listener did not start")
		}
	}
	tk := <-s.sessions(b, 1)
	s.runGet(b, "/bench/authed", func() string { return tk.AccessToken })
}

// BenchmarkMe is an authenticated read: token lookup (one indexed SELECT)
// plus the user lookup of the handler.
func BenchmarkMe(b *testing.B) {
	s := newBenchServer(b, nil, app.WithBcryptCost(bcrypt.MinCost))
	tk := <-s.sessions(b, 1)
	s.runGet(b, "/me", func() string { return tk.AccessToken })
}

// BenchmarkMeAutoRefresh is BenchmarkMe with auto-refresh on every request
// (interval 0): one conditional UPDATE per request. Each goroutine has its
// own session.
func BenchmarkMeAutoRefresh(b *testing.B) {
	s := newBenchServer(b, func(c *app.Config) {
		c.Settings.AutoRefresh = true
		c.Settings.AutoRefreshInterval = 0
	}, app.WithBcryptCost(bcrypt.MinCost))
	ch := s.sessions(b, 4*goruntime.GOMAXPROCS(0))
	s.runGet(b, "/me", func() string { return (<-ch).AccessToken })
}

// BenchmarkLogin is a header login at the production bcrypt cost (10): it
// measures bcrypt, mostly.
func BenchmarkLogin(b *testing.B) {
	s := newBenchServer(b, nil, app.WithBcryptCost(bcrypt.DefaultCost))
	s.register("alice", false)
	body := map[string]any{"username": "alice", "password": testPassword, "device": "bench"}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if got := s.call(b, "POST", "/auth/login", body, "", nil); got != 200 {
				b.Errorf("login = %d", got)
				return
			}
		}
	})
}

// BenchmarkRefresh rotates a session per goroutine, each refresh using the
// refresh token the previous one returned.
func BenchmarkRefresh(b *testing.B) {
	s := newBenchServer(b, nil, app.WithBcryptCost(bcrypt.MinCost))
	ch := s.sessions(b, 4*goruntime.GOMAXPROCS(0))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		tk := <-ch
		for pb.Next() {
			var next tokens
			if got := s.call(b, "POST", "/auth/refresh", map[string]any{"refresh_token": tk.refresh(b)}, "", &next); got != 200 {
				b.Errorf("refresh = %d", got)
				return
			}
			tk = next
		}
	})
}
