package app_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authentify-go/authentify/examples/echo/app"
	"github.com/authentify-go/authentify/examples/echo/auth"
)

// TestCookieNames: Secure cookies are __Host-token (Secure, Path=/, no
// Domain) and __Secure-refresh_token (Secure); the middleware and the refresh
// endpoint read exactly these names, on every path that sets or clears a
// cookie. The plain names are used only under COOKIE_INSECURE.
func TestCookieNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		insecure        bool
		access, refresh string
		other, otherRT  string // names of the other mode, which the app must not read
	}{
		{"secure", false, "__Host-token", "__Secure-refresh_token", "token", "refresh_token"},
		{"COOKIE_INSECURE", true, "token", "refresh_token", "__Host-token", "__Secure-refresh_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			e := newEnv(t, func(c *app.Config) {
				c.CookieInsecure = tt.insecure
				c.Settings.AutoRefresh, c.Settings.AutoRefreshInterval = true, 0
			}, app.WithAuthOptions(auth.WithClock(clk.Now)))
			e.register("alice", false)
			if got := e.app.Service().Settings().CookieNames; len(got) != 1 || got[0] != tt.access {
				t.Errorf("cookie_names in force = %q, want only %q", got, tt.access)
			}
			// wantCookie checks a Set-Cookie of rec: name, attributes, and
			// no Domain (a __Host- cookie must have none).
			wantCookie := func(rec interface{ Result() *http.Response }, name, path string) *http.Cookie {
				t.Helper()
				var found *http.Cookie
				for _, c := range rec.Result().Cookies() {
					if c.Name == name {
						found = c
					} else if c.Name != tt.access && c.Name != tt.refresh {
						t.Errorf("unexpected cookie %q", c.Name)
					}
				}
				switch {
				case found == nil:
					t.Fatalf("no %s cookie in %v", name, rec.Result().Header["Set-Cookie"])
				case found.Secure == tt.insecure, !found.HttpOnly, found.Path != path, found.Domain != "", found.SameSite != http.SameSiteStrictMode:
					t.Errorf("cookie %s = %+v: want Secure %v, HttpOnly, Path=%s, no Domain, SameSite=Strict", name, found, !tt.insecure, path)
				}
				for _, raw := range rec.Result().Header["Set-Cookie"] {
					if strings.Contains(strings.ToLower(raw), "domain=") {
						t.Errorf("Set-Cookie %q has a Domain", raw)
					}
				}
				return found
			}

			rec := e.do("POST", "/auth/login/cookie", map[string]any{"username": "alice", "password": testPassword, "device": "Firefox"})
			wantStatus(t, rec, http.StatusNoContent)
			access := wantCookie(rec, tt.access, "/")
			refresh := wantCookie(rec, tt.refresh, app.RefreshPath)

			// The middleware reads the access cookie by its name only.
			if got := e.me(withCookies(access)); got != http.StatusOK {
				t.Errorf("/me with %s = %d, want 200", tt.access, got)
			}
			if got := e.me(withCookies(&http.Cookie{Name: tt.other, Value: access.Value})); got != http.StatusUnauthorized {
				t.Errorf("/me with the token in a %s cookie = %d, want 401", tt.other, got)
			}
			// An auto-refresh re-sends the access cookie with the same shape.
			clk.Advance(time.Minute)
			rec = e.do("GET", "/me", nil, withCookies(access))
			wantStatus(t, rec, http.StatusOK)
			wantCookie(rec, tt.access, "/")

			// Refresh reads the refresh cookie by its name only.
			rec = e.do("POST", "/auth/refresh", nil, withCookies(&http.Cookie{Name: tt.otherRT, Value: refresh.Value}), sameOrigin)
			wantStatus(t, rec, http.StatusBadRequest)
			if msg := errorOf(t, rec); !strings.Contains(msg, tt.refresh) {
				t.Errorf("refresh without cookie: %q does not name %s", msg, tt.refresh)
			}
			rec = e.do("POST", "/auth/refresh", nil, withCookies(refresh), sameOrigin)
			wantStatus(t, rec, http.StatusNoContent)
			access = wantCookie(rec, tt.access, "/")
			wantCookie(rec, tt.refresh, app.RefreshPath)

			// Logout clears both under their names; clearing a __Host- or
			// __Secure- cookie needs the same attributes.
			rec = e.do("POST", "/auth/logout", nil, withCookies(access), sameOrigin)
			wantStatus(t, rec, http.StatusNoContent)
			for _, c := range []*http.Cookie{wantCookie(rec, tt.access, "/"), wantCookie(rec, tt.refresh, app.RefreshPath)} {
				if c.Value != "" || c.MaxAge >= 0 {
					t.Errorf("logout cookie %+v: want it cleared", c)
				}
			}
		})
	}
}
