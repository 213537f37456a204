package contract

import (
	"strings"
	"testing"
	"time"
)

// testRefresh: POST /auth/refresh rotates the tokens of a header session
// inside the session; a replay inside the grace window is refused and keeps
// the session, a replay after it revokes the session.
func testRefresh(t *testing.T, st Starter) {
	clk := NewClock()
	const grace = 30 * time.Second
	c := start(t, st, map[string]string{"AUTHENTIFY_REFRESH_GRACE_PERIOD": grace.String()}, clk.Now)
	c.register("alice", false)

	t.Run("rotates inside the session", func(t *testing.T) {
		tk := c.login("alice", "iPhone")
		r := c.do("POST", "/auth/refresh", map[string]any{"refresh_token": tk.refresh(t)})
		wantStatus(t, r, 200)
		nt := decodeBody[tokens](t, r)
		if nt.SessionID != tk.SessionID || nt.AccessToken == tk.AccessToken || nt.refresh(t) == tk.refresh(t) {
			t.Errorf("refresh = %+v, want new tokens of session %d", nt, tk.SessionID)
		}
		if r.Header.Get("Cache-Control") != "no-store" || len(r.Cookies()) != 0 {
			t.Errorf("header refresh: Cache-Control %q, cookies %v", r.Header.Get("Cache-Control"), r.Cookies())
		}
		if c.me(bearer(tk.AccessToken)) != 401 || c.me(bearer(nt.AccessToken)) != 200 {
			t.Error("old access token still works or new one does not")
		}
		// Replayed inside the grace window: refused, session kept.
		r = c.do("POST", "/auth/refresh", map[string]any{"refresh_token": tk.refresh(t)})
		wantStatus(t, r, 401)
		if c.me(bearer(nt.AccessToken)) != 200 {
			t.Error("a replay inside the grace window killed the session")
		}
	})

	t.Run("reuse after the grace window revokes the session", func(t *testing.T) {
		tk := c.login("alice", "iPad")
		r := c.do("POST", "/auth/refresh", map[string]any{"refresh_token": tk.refresh(t)})
		wantStatus(t, r, 200)
		nt := decodeBody[tokens](t, r)
		// Sub-tests share the clock: this is the only one that moves it
		// (and it runs before the parallel ones).
		clk.Advance(grace + time.Second)
		r = c.do("POST", "/auth/refresh", map[string]any{"refresh_token": tk.refresh(t)})
		wantStatus(t, r, 401)
		if msg := errorOf(t, r); !strings.Contains(msg, "already used") {
			t.Errorf("reuse error = %q", msg)
		}
		if c.me(bearer(nt.AccessToken)) != 401 {
			t.Error("session survived refresh-token reuse")
		}
		wantStatus(t, c.do("POST", "/auth/refresh", map[string]any{"refresh_token": nt.refresh(t)}), 401)
	})

	valid := c.login("alice", "web")
	tests := []struct {
		name   string
		body   any
		opts   []reqOpt
		status int
		errHas string
	}{
		{"missing", map[string]any{}, nil, 400, "refresh_token is required"},
		{"empty body", nil, nil, 400, "refresh_token is required"},
		{"garbage", map[string]any{"refresh_token": "nope"}, nil, 401, "invalid refresh token"},
		{"access token instead", map[string]any{"refresh_token": valid.AccessToken}, nil, 401, "invalid refresh token"},
		{"unknown field", map[string]any{"refresh_token": valid.refresh(t), "x": 1}, nil, 400, "unknown field"},
		{"wrong content type", `refresh_token=x`, []reqOpt{header("Content-Type", "application/x-www-form-urlencoded")}, 415, "application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := c.do("POST", "/auth/refresh", tt.body, tt.opts...)
			wantStatus(t, r, tt.status)
			if msg := errorOf(t, r); !strings.Contains(msg, tt.errHas) {
				t.Errorf("error = %q, want it to contain %q", msg, tt.errHas)
			}
		})
	}
}

// testRefreshExpired: a refresh token past refresh_token_ttl is refused
// with a message saying so.
func testRefreshExpired(t *testing.T, st Starter) {
	clk := NewClock()
	c := start(t, st, map[string]string{"AUTHENTIFY_REFRESH_TOKEN_TTL": "168h"}, clk.Now)
	c.register("alice", false)
	tk := c.login("alice", "iPhone")
	clk.Advance(168*time.Hour + time.Second)
	r := c.do("POST", "/auth/refresh", map[string]any{"refresh_token": tk.refresh(t)})
	wantStatus(t, r, 401)
	if msg := errorOf(t, r); !strings.Contains(msg, "expired") {
		t.Errorf("error = %q", msg)
	}
}

// testRefreshFollowsSessionTransport: with enable_auth_restriction off, a
// cookie session's refresh token sent in a body is answered with cookies,
// never with tokens in JSON.
func testRefreshFollowsSessionTransport(t *testing.T, st Starter) {
	c := start(t, st, map[string]string{"AUTHENTIFY_ENABLE_AUTH_RESTRICTION": "false"}, nil)
	c.register("alice", false)
	_, refresh := c.cookieLogin("alice", "Firefox")
	r := c.do("POST", "/auth/refresh", map[string]any{"refresh_token": refresh.Value})
	wantStatus(t, r, 204)
	access2, _ := c.cookiesOf(t, r)
	if len(r.Body) != 0 {
		t.Errorf("body = %q, want none", r.Body)
	}
	if got := c.me(withCookies(access2)); got != 200 {
		t.Errorf("new cookie = %d", got)
	}
}

// testRefreshTransportRestriction: with enable_auth_restriction (the
// default) a cookie session's refresh token sent in the body and a header
// session's refresh token sent in the refresh cookie are refused (401);
// each still refreshes through its own transport.
func testRefreshTransportRestriction(t *testing.T, st Starter) {
	c := start(t, st, nil, nil)
	c.register("alice", false)
	_, cookieRefresh := c.cookieLogin("alice", "Firefox")
	r := c.do("POST", "/auth/refresh", map[string]any{"refresh_token": cookieRefresh.Value})
	wantStatus(t, r, 401)
	if msg := errorOf(t, r); !strings.Contains(msg, "wrong transport") {
		t.Errorf("message %q", msg)
	}
	if r.Header.Get("Set-Cookie") != "" {
		t.Error("a refused refresh set cookies")
	}
	wantStatus(t, c.do("POST", "/auth/refresh", nil, withCookies(cookieRefresh), sameOrigin), 204)

	tk := c.login("alice", "phone")
	stolen := *cookieRefresh
	stolen.Value = tk.refresh(t)
	wantStatus(t, c.do("POST", "/auth/refresh", nil, withCookies(&stolen), sameOrigin), 401)
	wantStatus(t, c.do("POST", "/auth/refresh", map[string]any{"refresh_token": tk.refresh(t)}), 200)
}

// testRefreshRunsTheCSRFCheck: /auth/refresh may answer with Set-Cookie, so
// a cross-site request is refused (403) whatever carries the refresh token.
func testRefreshRunsTheCSRFCheck(t *testing.T, st Starter) {
	c := start(t, st, map[string]string{"AUTHENTIFY_ENABLE_AUTH_RESTRICTION": "false"}, nil)
	c.register("alice", false)
	_, refresh := c.cookieLogin("alice", "Firefox")
	for name, opts := range map[string][]reqOpt{
		"cross-site":     {header("Sec-Fetch-Site", "cross-site")},
		"foreign origin": {header("Origin", "https://evil.example")},
	} {
		r := c.do("POST", "/auth/refresh", map[string]any{"refresh_token": refresh.Value}, opts...)
		wantStatus(t, r, 403)
		if r.Header.Get("Set-Cookie") != "" {
			t.Errorf("%s: cookies set on a refused refresh", name)
		}
	}
	// Non-browser clients send neither header and are not affected.
	wantStatus(t, c.do("POST", "/auth/refresh", map[string]any{"refresh_token": refresh.Value}), 204)
	// The cookie login runs it too.
	wantStatus(t, c.do("POST", "/auth/login/cookie", map[string]any{"username": "alice", "password": Password, "device": "d"},
		header("Sec-Fetch-Site", "cross-site")), 403)
}
