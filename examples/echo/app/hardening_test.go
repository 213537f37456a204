package app_test

// Issue 8 in the example app: refresh over the session's own transport,
// the CSRF check on every endpoint that sets cookies, session pages with a
// Link header, a session cap, and unknown AUTHENTIFY_* variables.

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/authentify-go/authentify/examples/echo/app"
)

// TestRefreshTransportRestriction: with enable_auth_restriction (the
// default) a cookie session's refresh token sent in the body and a header
// session's refresh token sent in the refresh cookie are refused (401);
// each still refreshes through its own transport.
func TestRefreshTransportRestriction(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.register("alice", false)
	_, cookieRefresh := e.cookieLogin("alice", "Firefox")
	rec := e.do("POST", "/auth/refresh", map[string]any{"refresh_token": cookieRefresh.Value})
	wantStatus(t, rec, 401)
	if msg := errorOf(t, rec); !strings.Contains(msg, "wrong transport") {
		t.Errorf("message %q", msg)
	}
	if rec.Header().Get("Set-Cookie") != "" {
		t.Error("a refused refresh set cookies")
	}
	wantStatus(t, e.do("POST", "/auth/refresh", nil, withCookies(cookieRefresh), sameOrigin), 204)

	tk := e.login("alice", "phone")
	stolen := *cookieRefresh
	stolen.Value = tk.refresh(t)
	wantStatus(t, e.do("POST", "/auth/refresh", nil, withCookies(&stolen), sameOrigin), 401)
	wantStatus(t, e.do("POST", "/auth/refresh", map[string]any{"refresh_token": tk.refresh(t)}), 200)
}

// TestRefreshRunsTheCSRFCheck: /auth/refresh may answer with Set-Cookie, so
// a cross-site request is refused whatever carries the refresh token (with
// the restriction off a body token of a cookie session would set cookies).
func TestRefreshRunsTheCSRFCheck(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *app.Config) { c.Settings.EnableAuthRestriction = false })
	e.register("alice", false)
	_, refresh := e.cookieLogin("alice", "Firefox")
	for name, opts := range map[string][]reqOpt{
		"cross-site":     {header("Sec-Fetch-Site", "cross-site")},
		"foreign origin": {header("Origin", "https://evil.example")},
	} {
		rec := e.do("POST", "/auth/refresh", map[string]any{"refresh_token": refresh.Value}, opts...)
		wantStatus(t, rec, 403)
		if rec.Header().Get("Set-Cookie") != "" {
			t.Errorf("%s: cookies set on a refused refresh", name)
		}
	}
	// Non-browser clients send neither header and are not affected.
	wantStatus(t, e.do("POST", "/auth/refresh", map[string]any{"refresh_token": refresh.Value}), 204)
	// The cookie login runs it too.
	wantStatus(t, e.do("POST", "/auth/login/cookie", map[string]any{"username": "alice", "password": testPassword, "device": "d"},
		header("Sec-Fetch-Site", "cross-site")), 403)
}

var linkNext = regexp.MustCompile(`^<([^>]+)>; rel="next"$`)

// TestSessionsPages: GET /auth/sessions takes ?limit= (default 50, 1 to
// 200) and ?cursor=; the body stays a JSON array, the next page is in a
// Link header (RFC 8288), bad values are 400.
func TestSessionsPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.register("alice", false)
	var current tokens
	for i := range 5 {
		current = e.login("alice", "device"+string(rune('a'+i)))
	}
	rec := e.do("GET", "/auth/sessions", nil, bearer(current.AccessToken))
	wantStatus(t, rec, 200)
	if n := len(decodeBody[[]map[string]any](t, rec)); n != 5 || rec.Header().Get("Link") != "" {
		t.Fatalf("default page: %d sessions, Link %q; want 5 and none", n, rec.Header().Get("Link"))
	}
	seen := map[float64]bool{}
	path, pages := "/auth/sessions?limit=2", 0
	for path != "" {
		pages++
		rec := e.do("GET", path, nil, bearer(current.AccessToken))
		wantStatus(t, rec, 200)
		for _, s := range decodeBody[[]map[string]any](t, rec) {
			seen[s["id"].(float64)] = true
		}
		path = ""
		if link := rec.Header().Get("Link"); link != "" {
			m := linkNext.FindStringSubmatch(link)
			if m == nil {
				t.Fatalf("Link %q is not <…>; rel=\"next\"", link)
			}
			u, err := url.Parse(m[1])
			if err != nil || u.Path != "/auth/sessions" || u.Query().Get("limit") != "2" || u.Query().Get("cursor") == "" {
				t.Fatalf("next link %q", m[1])
			}
			path = m[1]
		}
	}
	if pages != 3 || len(seen) != 5 {
		t.Errorf("%d pages with %d distinct sessions, want 3 and 5", pages, len(seen))
	}
	for _, q := range []string{"limit=0", "limit=201", "limit=-1", "limit=x", "limit=2.5", "cursor=nope", "cursor=1_-2"} {
		wantStatus(t, e.do("GET", "/auth/sessions?"+q, nil, bearer(current.AccessToken)), 400)
	}
	wantStatus(t, e.do("GET", "/auth/sessions?limit=200", nil, bearer(current.AccessToken)), 200)
}

// TestSessionCap: AUTHENTIFY_MAX_SESSIONS_PER_USER=2 keeps the two newest
// logins of a user.
func TestSessionCap(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *app.Config) { c.Settings.MaxSessionsPerUser = 2 })
	e.register("alice", false)
	first := e.login("alice", "a")
	e.login("alice", "b")
	last := e.login("alice", "c")
	if got := e.me(bearer(first.AccessToken)); got != 401 {
		t.Errorf("oldest session = %d, want 401", got)
	}
	if n := len(decodeBody[[]map[string]any](t, e.do("GET", "/auth/sessions", nil, bearer(last.AccessToken)))); n != 2 {
		t.Errorf("%d sessions, want 2", n)
	}
}

// TestUnknownAuthentifyVariableStopsTheApp: an AUTHENTIFY_* variable that
// names no setting is a configuration error (main refuses to start).
func TestUnknownAuthentifyVariableStopsTheApp(t *testing.T) {
	t.Parallel()
	_, err := app.ConfigFromEnviron([]string{"AUTHENTIFY_TOKEN_TLL=1h", "ADDR=127.0.0.1:0"})
	if err == nil || !strings.Contains(err.Error(), "AUTHENTIFY_TOKEN_TLL") || !strings.Contains(err.Error(), "AUTHENTIFY_TOKEN_TTL") {
		t.Errorf("ConfigFromEnviron with a typo = %v; want an error naming it and the setting meant", err)
	}
	_, err = app.ConfigFromEnviron([]string{"AUTHENTIFY_TOKEN_TLL=1h", "AUTH_RATE_LIMIT=x"})
	if err == nil || !strings.Contains(err.Error(), "AUTHENTIFY_TOKEN_TLL") || !strings.Contains(err.Error(), "AUTH_RATE_LIMIT") {
		t.Errorf("both problems must be reported: %v", err)
	}
	cfg, err := app.ConfigFromEnviron([]string{"AUTHENTIFY_TOKEN_TTL=1h", "AUTHENTIFY_MAX_SESSIONS_PER_USER=3", "AUTHENTIFY_TEST_DATABASE_URL=x", "PATH=/bin"})
	if err != nil || cfg.Settings.MaxSessionsPerUser != 3 {
		t.Errorf("valid environment = %+v, %v", cfg.Settings, err)
	}
}
