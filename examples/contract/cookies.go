package contract

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// refreshPath is the refresh endpoint, the only path the refresh cookie is
// sent to.
const refreshPath = "/auth/refresh"

// testCookieFlow: a cookie session logs in, authenticates, is refused
// cross-site for unsafe methods (403), refreshes through its cookie and logs
// out, its cookies cleared.
func testCookieFlow(t *testing.T, st Starter) {
	clk := NewClock()
	c := start(t, st, nil, clk.Now)
	c.register("alice", false)
	access, refresh := c.cookieLogin("alice", "Firefox")

	for _, ck := range []*http.Cookie{access, refresh} {
		if !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteStrictMode || ck.Value == "" || ck.Expires.IsZero() {
			t.Errorf("cookie %s = %+v: want HttpOnly, Secure, SameSite=Strict, an expiry", ck.Name, ck)
		}
	}
	if access.Path != "/" || refresh.Path != refreshPath {
		t.Errorf("paths = %q, %q; want / and %s", access.Path, refresh.Path, refreshPath)
	}

	// The cookie authenticates, for safe methods even without fetch metadata.
	if got := c.me(withCookies(access), sameOrigin); got != 200 {
		t.Fatalf("/me with cookie = %d", got)
	}
	if got := c.me(withCookies(access)); got != 200 {
		t.Fatalf("/me with cookie, no Sec-Fetch-Site = %d", got)
	}
	// A cookie token is refused in the Authorization header (auth restriction).
	if got := c.me(bearer(access.Value)); got != 401 {
		t.Errorf("cookie token as bearer = %d, want 401", got)
	}
	// Cross-site unsafe requests with the cookie are refused (CSRF).
	r := c.do("POST", "/auth/logout", nil, withCookies(access), header("Sec-Fetch-Site", "cross-site"))
	wantStatus(t, r, 403)
	r = c.do("POST", "/auth/refresh", nil, withCookies(refresh), header("Sec-Fetch-Site", "cross-site"))
	wantStatus(t, r, 403)
	r = c.do("POST", "/auth/login/cookie", map[string]any{"username": "alice", "password": Password, "device": "x"},
		header("Origin", "https://evil.example"), header("Sec-Fetch-Site", "cross-site"))
	wantStatus(t, r, 403)
	if len(r.Cookies()) != 0 {
		t.Errorf("a refused cookie login set cookies: %v", r.Cookies())
	}

	// Refresh through the cookie: 204 and new cookies; the old access cookie dies.
	clk.Advance(time.Minute)
	r = c.do("POST", "/auth/refresh", nil, withCookies(access, refresh), sameOrigin)
	wantStatus(t, r, 204)
	access2, refresh2 := c.cookiesOf(t, r)
	if access2.Value == access.Value || refresh2.Value == refresh.Value {
		t.Fatal("refresh did not rotate the cookies")
	}
	if got := c.me(withCookies(access), sameOrigin); got != 401 {
		t.Errorf("old access cookie = %d, want 401", got)
	}
	if got := c.me(withCookies(access2), sameOrigin); got != 200 {
		t.Errorf("new access cookie = %d, want 200", got)
	}
	// The session is the same one.
	sessions := decodeBody[[]map[string]any](t, c.do("GET", "/auth/sessions", nil, withCookies(access2)))
	if len(sessions) != 1 || sessions[0]["current"] != true || sessions[0]["device"] != "Firefox" {
		t.Errorf("sessions = %v", sessions)
	}

	// Logout with the cookie: 204, cookies cleared, token dead.
	r = c.do("POST", "/auth/logout", nil, withCookies(access2), sameOrigin)
	wantStatus(t, r, 204)
	for _, ck := range r.Cookies() {
		if ck.MaxAge >= 0 || ck.Value != "" {
			t.Errorf("logout cookie %+v: want it cleared", ck)
		}
	}
	if len(r.Cookies()) != 2 {
		t.Errorf("logout cleared %d cookies, want 2", len(r.Cookies()))
	}
	if got := c.me(withCookies(access2), sameOrigin); got != 401 {
		t.Errorf("access cookie after logout = %d, want 401", got)
	}
	wantStatus(t, c.do("POST", "/auth/refresh", nil, withCookies(refresh2), sameOrigin), 401)
}

// testCookieNames: Secure cookies are __Host-token (Secure, Path=/, no
// Domain) and __Secure-refresh_token (Secure); the middleware and the refresh
// endpoint read exactly these names, on every path that sets or clears a
// cookie. The plain names are used only under COOKIE_INSECURE.
func testCookieNames(t *testing.T, st Starter) {
	tests := []struct {
		name            string
		insecure        string
		access, refresh string
		other, otherRT  string // names of the other mode, which the app must not read
	}{
		{"secure", "false", "__Host-token", "__Secure-refresh_token", "token", "refresh_token"},
		{"COOKIE_INSECURE", "true", "token", "refresh_token", "__Host-token", "__Secure-refresh_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clk := NewClock()
			c := start(t, st, map[string]string{
				"COOKIE_INSECURE": tt.insecure, "AUTHENTIFY_AUTO_REFRESH": "true", "AUTHENTIFY_AUTO_REFRESH_INTERVAL": "0s",
			}, clk.Now)
			insecure := c.insecure()
			c.register("alice", false)
			// wantCookie checks a Set-Cookie of r: name, attributes, and no
			// Domain (a __Host- cookie must have none).
			wantCookie := func(r *response, name, path string) *http.Cookie {
				t.Helper()
				var found *http.Cookie
				for _, ck := range r.Cookies() {
					if ck.Name == name {
						found = ck
					} else if ck.Name != tt.access && ck.Name != tt.refresh {
						t.Errorf("unexpected cookie %q", ck.Name)
					}
				}
				switch {
				case found == nil:
					t.Fatalf("no %s cookie in %v", name, r.Header["Set-Cookie"])
				case found.Secure == insecure, !found.HttpOnly, found.Path != path, found.Domain != "", found.SameSite != http.SameSiteStrictMode:
					t.Errorf("cookie %s = %+v: want Secure %v, HttpOnly, Path=%s, no Domain, SameSite=Strict", name, found, !insecure, path)
				}
				for _, raw := range r.Header["Set-Cookie"] {
					if strings.Contains(strings.ToLower(raw), "domain=") {
						t.Errorf("Set-Cookie %q has a Domain", raw)
					}
				}
				return found
			}

			r := c.do("POST", "/auth/login/cookie", map[string]any{"username": "alice", "password": Password, "device": "Firefox"})
			wantStatus(t, r, http.StatusNoContent)
			access := wantCookie(r, tt.access, "/")
			refresh := wantCookie(r, tt.refresh, refreshPath)

			// The middleware reads the access cookie by its name only.
			if got := c.me(withCookies(access)); got != http.StatusOK {
				t.Errorf("/me with %s = %d, want 200", tt.access, got)
			}
			if got := c.me(withCookies(&http.Cookie{Name: tt.other, Value: access.Value})); got != http.StatusUnauthorized {
				t.Errorf("/me with the token in a %s cookie = %d, want 401", tt.other, got)
			}
			// An auto-refresh re-sends the access cookie with the same shape
			// and the slid expiry.
			clk.Advance(time.Minute)
			r = c.do("GET", "/me", nil, withCookies(access))
			wantStatus(t, r, http.StatusOK)
			slid := wantCookie(r, tt.access, "/")
			if want := clk.Now().Add(24 * time.Hour); slid.Value != access.Value || slid.Expires.Unix() != want.Unix() {
				t.Errorf("re-sent cookie = %+v, want the same token expiring %v", slid, want)
			}

			// Refresh reads the refresh cookie by its name only.
			r = c.do("POST", "/auth/refresh", nil, withCookies(&http.Cookie{Name: tt.otherRT, Value: refresh.Value}), sameOrigin)
			wantStatus(t, r, http.StatusBadRequest)
			if msg := errorOf(t, r); !strings.Contains(msg, tt.refresh) {
				t.Errorf("refresh without cookie: %q does not name %s", msg, tt.refresh)
			}
			r = c.do("POST", "/auth/refresh", nil, withCookies(refresh), sameOrigin)
			wantStatus(t, r, http.StatusNoContent)
			access = wantCookie(r, tt.access, "/")
			wantCookie(r, tt.refresh, refreshPath)

			// Logout clears both under their names; clearing a __Host- or
			// __Secure- cookie needs the same attributes.
			r = c.do("POST", "/auth/logout", nil, withCookies(access), sameOrigin)
			wantStatus(t, r, http.StatusNoContent)
			for _, ck := range []*http.Cookie{wantCookie(r, tt.access, "/"), wantCookie(r, tt.refresh, refreshPath)} {
				if ck.Value != "" || ck.MaxAge >= 0 {
					t.Errorf("logout cookie %+v: want it cleared", ck)
				}
			}
		})
	}
}
