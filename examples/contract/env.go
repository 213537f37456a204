package contract

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// testEnvOverrides: AUTHENTIFY_<SETTING> variables override the token
// settings of the example.
func testEnvOverrides(t *testing.T, st Starter) {
	t.Run("AUTHENTIFY_TOKEN_TTL=1s", func(t *testing.T) {
		t.Parallel()
		clk := NewClock()
		c := start(t, st, map[string]string{"AUTHENTIFY_TOKEN_TTL": "1s"}, clk.Now)
		c.register("alice", false)
		tk := c.login("alice", "d")
		if got := tk.ExpiresAt.Sub(clk.Now()); got != time.Second {
			t.Errorf("expires in %v, want 1s", got)
		}
		if c.me(bearer(tk.AccessToken)) != 200 {
			t.Fatal("fresh token refused")
		}
		clk.Advance(2 * time.Second)
		r := c.do("GET", "/me", nil, bearer(tk.AccessToken))
		wantStatus(t, r, 401)
		if !strings.Contains(r.Header.Get("WWW-Authenticate"), "expired") {
			t.Errorf("WWW-Authenticate = %q", r.Header.Get("WWW-Authenticate"))
		}
		// The refresh token outlives it.
		wantStatus(t, c.do("POST", "/auth/refresh", map[string]any{"refresh_token": tk.refresh(t)}), 200)
	})

	t.Run("AUTHENTIFY_REFRESH_TOKEN_TTL=none", func(t *testing.T) {
		t.Parallel()
		c := start(t, st, map[string]string{"AUTHENTIFY_REFRESH_TOKEN_TTL": "none"}, nil)
		c.register("alice", false)
		r := c.do("POST", "/auth/login", map[string]any{"username": "alice", "password": Password, "device": "d"})
		wantStatus(t, r, 200)
		body := decodeBody[map[string]any](t, r)
		if v, ok := body["refresh_token"]; !ok || v != nil {
			t.Errorf("refresh_token = %v, want null", v)
		}
		if v, ok := body["refresh_until"]; !ok || v != nil {
			t.Errorf("refresh_until = %v, want null", v)
		}
		// Cookie login sets only the access cookie.
		r = c.do("POST", "/auth/login/cookie", map[string]any{"username": "alice", "password": Password, "device": "d"})
		wantStatus(t, r, 204)
		if cs := r.Cookies(); len(cs) != 1 || cs[0].Name != "__Host-token" {
			t.Errorf("cookies = %v, want only __Host-token", cs)
		}
	})

	t.Run("AUTHENTIFY_AUTO_REFRESH=true", func(t *testing.T) {
		t.Parallel()
		clk := NewClock()
		c := start(t, st, map[string]string{
			"AUTHENTIFY_AUTO_REFRESH": "true", "AUTHENTIFY_AUTO_REFRESH_INTERVAL": "0s", "AUTHENTIFY_TOKEN_TTL": "1h", "COOKIE_INSECURE": "true",
		}, clk.Now)
		c.register("alice", false)
		tk := c.login("alice", "d")
		clk.Advance(30 * time.Minute)
		me := decodeBody[struct {
			ExpiresAt time.Time `json:"expires_at"`
		}](t, c.do("GET", "/me", nil, bearer(tk.AccessToken)))
		if want := clk.Now().Add(time.Hour); !me.ExpiresAt.Equal(want) {
			t.Errorf("expires_at after auto-refresh = %v, want %v", me.ExpiresAt, want)
		}

		// A cookie session gets its access cookie back with the slid
		// expiry, shaped like the login cookie (here: COOKIE_INSECURE).
		access, _ := c.cookieLogin("alice", "browser")
		clk.Advance(30 * time.Minute)
		r := c.do("GET", "/me", nil, withCookies(access))
		wantStatus(t, r, 200)
		var slid *http.Cookie
		for _, ck := range r.Cookies() {
			if ck.Name == "token" { // COOKIE_INSECURE: plain name
				slid = ck
			}
		}
		if slid == nil {
			t.Fatal("no access cookie re-sent after an auto-refresh of a cookie session")
		}
		if want := clk.Now().Add(time.Hour); slid.Value != access.Value || slid.Secure || access.Secure || !slid.HttpOnly || slid.Expires.Unix() != want.Unix() {
			t.Errorf("re-sent cookie = %+v, want the same token, not Secure like the login cookie, HttpOnly, expiring %v", slid, want)
		}
	})
}
