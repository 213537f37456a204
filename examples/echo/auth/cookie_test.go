package auth_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/runtime"
)

// TestMiddlewareResendsSlidCookie: when auto-refresh slides a cookie token's
// expiry, the middleware re-sends the access cookie with the new expiry, so
// the browser keeps the session as long as the server does. A header token
// gets no cookie, and a request that slides nothing re-sends nothing.
func TestMiddlewareResendsSlidCookie(t *testing.T) {
	eachEngine(t, func(t *testing.T, eng engine) {
		t.Parallel()
		clk := newClock(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC))
		svc, pool := newEngineService(t, eng, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) {
			s.AutoRefresh = true
			s.AutoRefreshInterval = 10 * time.Minute
			s.TokenTTL = time.Hour
		}))
		user := newUser(t, pool, "cookie-slide")
		iss, err := svc.GenerateCookieToken(t.Context(), user, auth.Context{Device: "browser"})
		if err != nil {
			t.Fatal(err)
		}
		mw, err := svc.MiddlewareWithConfig(auth.MiddlewareConfig{Cookies: auth.CookieOptions{Insecure: true}})
		if err != nil {
			t.Fatal(err)
		}
		e := echo.New()
		e.GET("/me", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }, mw)
		get := func() *http.Response {
			req := httptest.NewRequest(http.MethodGet, "/me", nil)
			req.AddCookie(&http.Cookie{Name: "token", Value: iss.AccessToken.Reveal()})
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			if rec.Code != http.StatusNoContent {
				t.Fatalf("GET /me = %d, want 204", rec.Code)
			}
			return rec.Result()
		}

		if got := get().Cookies(); len(got) != 0 {
			t.Fatalf("no slide due, but cookies were set: %v", got)
		}
		clk.Advance(30 * time.Minute)
		cookies := get().Cookies()
		if len(cookies) != 1 {
			t.Fatalf("after a slide got %d cookies, want the access cookie", len(cookies))
		}
		ck := cookies[0]
		want := clk.Now().Add(time.Hour)
		if ck.Name != "token" || ck.Value != iss.AccessToken.Reveal() || !ck.HttpOnly || ck.Path != "/" {
			t.Errorf("re-sent cookie = %+v, want token, same value, HttpOnly, Path=/", ck)
		}
		if d := ck.Expires.Sub(want); d < -time.Second || d > time.Second {
			t.Errorf("re-sent cookie expires %v, want %v (the slid expiry)", ck.Expires, want)
		}
	})
}

// TestCrossSiteCookieRequestNeverReachesTheStore: a cross-site unsafe request
// carrying only a cookie is refused (403) before any lookup, so it cannot
// even slide the session's expiry; with a header token as well, the header
// authenticates it.
func TestCrossSiteCookieRequestNeverReachesTheStore(t *testing.T) {
	eachEngine(t, func(t *testing.T, eng engine) {
		t.Parallel()
		clk := newClock(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC))
		svc, pool := newEngineService(t, eng, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) {
			s.AutoRefresh = true
			s.AutoRefreshInterval = 0
			s.EnableAuthRestriction = false
		}))
		user := newUser(t, pool, "cross-site")
		iss, err := svc.GenerateCookieToken(t.Context(), user, auth.Context{Device: "browser"})
		if err != nil {
			t.Fatal(err)
		}
		e := echo.New()
		e.POST("/act", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }, svc.Middleware())
		lastRefreshed := func() time.Time {
			var at time.Time
			if err := pool.QueryRow(t.Context(), `SELECT last_refreshed_at FROM auth_tokens WHERE id = $1`, iss.Token.ID).Scan(&at); err != nil {
				t.Fatal(err)
			}
			return at
		}
		before := lastRefreshed()
		clk.Advance(time.Minute)

		req := httptest.NewRequest(http.MethodPost, "/act", nil)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.AddCookie(&http.Cookie{Name: "token", Value: iss.AccessToken.Reveal()})
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code != http.StatusForbidden {
			t.Fatalf("cross-site cookie POST = %d, want 403", rec.Code)
		}
		if got := lastRefreshed(); !got.Equal(before) {
			t.Fatalf("a refused cross-site request slid the session: last_refreshed_at %v → %v", before, got)
		}

		req = httptest.NewRequest(http.MethodPost, "/act", nil)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Authorization", "Bearer "+iss.AccessToken.Reveal())
		req.AddCookie(&http.Cookie{Name: "token", Value: iss.AccessToken.Reveal()})
		rec = httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code != http.StatusNoContent {
			t.Fatalf("cross-site POST with a header token = %d, want 204", rec.Code)
		}
	})
}

// TestSettingsAreCopied: neither the caller's settings nor the ones Settings
// returns share slices with the service, so changing them later (say, from
// another goroutine) changes nothing in force.
func TestSettingsAreCopied(t *testing.T) {
	eachEngine(t, func(t *testing.T, eng engine) {
		t.Parallel()
		s := auth.DefaultSettings()
		svc, _ := newEngineService(t, eng, auth.WithSettings(s))
		s.CookieNames[0] = "changed-by-caller"
		got := svc.Settings()
		got.HeaderPrefixes[0] = "changed-by-reader"
		if now := svc.Settings(); now.CookieNames[0] != "token" || now.HeaderPrefixes[0] != "Bearer" {
			t.Fatalf("settings in force changed through an alias: %v %v", now.CookieNames, now.HeaderPrefixes)
		}
	})
}
