package contract

import (
	"fmt"
	"strings"
	"testing"
)

// testRateLimit: AUTH_RATE_LIMIT limits each client (here told apart by
// X-Forwarded-For from a TRUSTED_PROXIES peer) on the login endpoints,
// which share a bucket, and on refresh, which has its own: 429 with
// Retry-After. Other routes are not limited; AUTH_RATE_LIMIT=0 turns it off.
func testRateLimit(t *testing.T, st Starter) {
	// 0.1 request per second, a burst of 1: the bucket does not refill
	// during the test; Retry-After is 1/rate.
	c := start(t, st, map[string]string{
		"AUTH_RATE_LIMIT": "0.1", "TRUSTED_PROXIES": "127.0.0.1,::1", "LOGIN_FAILURE_LIMIT": "0",
	}, nil)
	from := func(ip string) reqOpt { return header("X-Forwarded-For", ip) }
	login := func(path, ip string) *response {
		return c.do("POST", path, map[string]any{"username": "x", "password": "wrong password", "device": "d"}, from(ip))
	}
	wantStatus(t, login("/auth/login", "192.0.2.1"), 401)
	r := login("/auth/login", "192.0.2.1")
	wantStatus(t, r, 429)
	if got := r.Header.Get("Retry-After"); got != "10" {
		t.Errorf("Retry-After = %q, want 10", got)
	}
	if got := login("/auth/login/cookie", "192.0.2.1").Code; got != 429 {
		t.Errorf("cookie login shares the login bucket: got %d, want 429", got)
	}
	if got := login("/auth/login", "192.0.2.2").Code; got != 401 {
		t.Errorf("another client = %d, want 401 (own bucket)", got)
	}
	// Refresh has its own bucket.
	for i, want := range []int{400, 429} {
		if got := c.do("POST", "/auth/refresh", nil, from("192.0.2.1")).Code; got != want {
			t.Errorf("refresh %d = %d, want %d", i, got, want)
		}
	}
	// So has register.
	for i, want := range []int{400, 429} {
		if got := c.do("POST", "/auth/register", map[string]any{}, from("192.0.2.1")).Code; got != want {
			t.Errorf("register %d = %d, want %d", i, got, want)
		}
	}
	// Other routes are not limited.
	for range 5 {
		if got := c.do("GET", "/healthz", nil, from("192.0.2.1")).Code; got != 200 {
			t.Fatalf("healthz = %d", got)
		}
	}

	t.Run("off", func(t *testing.T) {
		t.Parallel()
		c := start(t, st, map[string]string{"AUTH_RATE_LIMIT": "0"}, nil)
		for i := range 30 { // a username each: the per-username limit is not turned off
			if got := c.do("POST", "/auth/login", map[string]any{"username": fmt.Sprint("x", i), "password": "y", "device": "d"}).Code; got != 401 {
				t.Fatalf("login %d = %d, want 401", i, got)
			}
		}
	})
}

// testDatabaseDown: an outage is a 503 with Retry-After, never a 401 that
// would log clients out.
func testDatabaseDown(t *testing.T, st Starter) {
	c := start(t, st, nil, nil)
	c.register("alice", false)
	tk := c.login("alice", "iPhone")
	c.srv.StopDatabase()
	tests := []struct {
		name   string
		method string
		path   string
		body   any
		opts   []reqOpt
	}{
		{"healthz", "GET", "/healthz", nil, nil},
		{"me", "GET", "/me", nil, []reqOpt{bearer(tk.AccessToken)}},
		{"refresh", "POST", "/auth/refresh", map[string]any{"refresh_token": tk.refresh(t)}, nil},
		{"login", "POST", "/auth/login", map[string]any{"username": "alice", "password": Password, "device": "d"}, nil},
		{"register", "POST", "/auth/register", map[string]any{"username": "bob", "password": Password}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := c.do(tt.method, tt.path, tt.body, tt.opts...)
			wantStatus(t, r, 503)
			if r.Header.Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
		})
	}
}

// testErrorsAreJSON: the router's own errors (unknown route, wrong method,
// body too large, wrong content type) have the error body of the handlers.
func testErrorsAreJSON(t *testing.T, st Starter) {
	c := start(t, st, nil, nil)
	tests := []struct {
		name   string
		method string
		path   string
		body   any
		opts   []reqOpt
		status int
	}{
		{"unknown route", "GET", "/nope", nil, nil, 404},
		{"unknown route under /auth", "POST", "/auth/nope", nil, nil, 404},
		{"wrong method", "GET", "/auth/login", nil, nil, 405},
		{"body too large", "POST", "/auth/register", `{"username":"` + strings.Repeat("a", 70<<10) + `"}`, nil, 413},
		{"not JSON content type", "POST", "/auth/register", `username=a`, []reqOpt{header("Content-Type", "text/plain")}, 415},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wantStatus(t, c.do(tt.method, tt.path, tt.body, tt.opts...), tt.status)
		})
	}
}
