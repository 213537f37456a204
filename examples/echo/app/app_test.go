package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authentify-go/authentify/examples/echo/app"
	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/internal/pgtest"
	"github.com/authentify-go/authentify/runtime"
	"golang.org/x/crypto/bcrypt"
)

func TestRegister(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.register("taken", false)
	tests := []struct {
		name   string
		body   any
		status int
		errHas string
	}{
		{"ok", map[string]any{"username": "alice", "password": testPassword}, 201, ""},
		{"ok beta", map[string]any{"username": "bob.b-1_x", "password": testPassword, "beta": true}, 201, ""},
		{"taken", map[string]any{"username": "taken", "password": testPassword}, 409, "taken"},
		{"username too short", map[string]any{"username": "ab", "password": testPassword}, 400, "username"},
		{"username too long", map[string]any{"username": strings.Repeat("a", 65), "password": testPassword}, 400, "username"},
		{"username 64", map[string]any{"username": strings.Repeat("u", 64), "password": testPassword}, 201, ""},
		{"username bad char", map[string]any{"username": "al ice", "password": testPassword}, 400, "username"},
		{"username unicode", map[string]any{"username": "ålice", "password": testPassword}, 400, "username"},
		{"password too short", map[string]any{"username": "carol", "password": "1234567"}, 400, "password"},
		{"password too long", map[string]any{"username": "carol", "password": strings.Repeat("p", 257)}, 400, "password"},
		{"password 256 (over bcrypt's 72 bytes)", map[string]any{"username": "dave", "password": strings.Repeat("é", 256)}, 201, ""},
		{"missing fields", map[string]any{}, 400, "username"},
		{"unknown field", map[string]any{"username": "erin", "password": testPassword, "admin": true}, 400, "unknown field"},
		{"wrong type", map[string]any{"username": 5, "password": testPassword}, 400, "invalid JSON"},
		{"invalid JSON", `{"username":`, 400, "invalid JSON"},
		{"trailing data", `{"username":"frank","password":"correct horse"} {}`, 400, "invalid JSON"},
		{"empty body", "", 400, "JSON object"},
		{"array", `[]`, 400, "invalid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := e.do("POST", "/auth/register", tt.body)
			wantStatus(t, rec, tt.status)
			if tt.status == 201 {
				body := decodeBody[map[string]any](t, rec)
				if body["id"].(float64) <= 0 || body["username"] != tt.body.(map[string]any)["username"] || len(body) != 2 {
					t.Errorf("body = %v", body)
				}
				return
			}
			if msg := errorOf(t, rec); !strings.Contains(msg, tt.errHas) {
				t.Errorf("error = %q, want it to contain %q", msg, tt.errHas)
			}
		})
	}
}

func TestRegisteredPasswordWorks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	// Passwords longer than bcrypt's 72 bytes are pre-hashed: the whole
	// password counts, not only its first 72 bytes.
	long := strings.Repeat("x", 100)
	wantStatus(t, e.do("POST", "/auth/register", map[string]any{"username": "long", "password": long + "A"}), 201)
	login := func(pw string) int {
		return e.do("POST", "/auth/login", map[string]any{"username": "long", "password": pw, "device": "d"}).Code
	}
	if got := login(long + "B"); got != 401 {
		t.Errorf("login with a different suffix after 72 bytes = %d, want 401", got)
	}
	if got := login(long + "A"); got != 200 {
		t.Errorf("login with the password = %d, want 200", got)
	}
	var hash string
	if err := e.pool.QueryRow(context.Background(), `SELECT password_hash FROM users WHERE username = 'long'`).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if cost, err := bcrypt.Cost([]byte(hash)); err != nil || cost != bcrypt.MinCost {
		t.Errorf("bcrypt cost = %d, %v; want %d", cost, err, bcrypt.MinCost)
	}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.register("alice", false)
	body := func(user, pw, device string) map[string]any {
		return map[string]any{"username": user, "password": pw, "device": device}
	}
	tests := []struct {
		name   string
		path   string
		body   any
		status int
		errHas string
	}{
		{"ok", "/auth/login", body("alice", testPassword, "iPhone"), 200, ""},
		{"ok with app_version", "/auth/login", map[string]any{"username": "alice", "password": testPassword, "device": "iPhone", "app_version": "2.1"}, 200, ""},
		{"wrong password", "/auth/login", body("alice", "wrong password", "iPhone"), 401, "invalid username or password"},
		{"unknown user", "/auth/login", body("nobody", testPassword, "iPhone"), 401, "invalid username or password"},
		{"device missing", "/auth/login", map[string]any{"username": "alice", "password": testPassword}, 400, "device"},
		{"device blank", "/auth/login", body("alice", testPassword, "  "), 400, "device"},
		{"device too long", "/auth/login", body("alice", testPassword, strings.Repeat("d", 129)), 400, "device"},
		{"app_version too long", "/auth/login", map[string]any{"username": "alice", "password": testPassword, "device": "d", "app_version": strings.Repeat("v", 65)}, 400, "app_version"},
		{"password missing", "/auth/login", map[string]any{"username": "alice", "device": "d"}, 400, "required"},
		{"unknown field", "/auth/login", map[string]any{"username": "alice", "password": testPassword, "device": "d", "remember": true}, 400, "unknown field"},
		{"invalid JSON", "/auth/login", `{`, 400, "invalid JSON"},
		{"cookie ok", "/auth/login/cookie", body("alice", testPassword, "Chrome"), 204, ""},
		{"cookie wrong password", "/auth/login/cookie", body("alice", "wrong password", "Chrome"), 401, "invalid username or password"},
		{"cookie unknown user", "/auth/login/cookie", body("nobody", testPassword, "Chrome"), 401, "invalid username or password"},
		{"cookie device missing", "/auth/login/cookie", map[string]any{"username": "alice", "password": testPassword}, 400, "device"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := e.do("POST", tt.path, tt.body)
			wantStatus(t, rec, tt.status)
			switch tt.status {
			case 200:
				tk := decodeBody[tokens](t, rec)
				if !strings.HasPrefix(tk.AccessToken, "demo_at_") || !strings.HasPrefix(tk.refresh(t), "demo_rt_") ||
					tk.ExpiresAt == nil || tk.RefreshUntil == nil || tk.SessionID <= 0 {
					t.Errorf("tokens = %+v", tk)
				}
				if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
					t.Errorf("Cache-Control = %q, want no-store", cc)
				}
				if e.me(bearer(tk.AccessToken)) != 200 {
					t.Error("the access token does not authenticate")
				}
			case 204:
				e.cookiesOf(t, rec)
				if rec.Body.Len() != 0 {
					t.Errorf("204 body = %q", rec.Body.String())
				}
			default:
				if msg := errorOf(t, rec); !strings.Contains(msg, tt.errHas) {
					t.Errorf("error = %q, want it to contain %q", msg, tt.errHas)
				}
				if len(rec.Result().Cookies()) != 0 {
					t.Errorf("cookies set on failure: %v", rec.Result().Cookies())
				}
			}
		})
	}
}

func TestLoginContext(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.register("plain", false)
	e.register("tester", true)
	for _, tt := range []struct {
		user, ip string
		beta     bool
	}{
		{"plain", "192.0.2.10", false},
		{"tester", "2001:db8::7", true},
	} {
		rec := e.do("POST", "/auth/login", map[string]any{
			"username": tt.user, "password": testPassword, "device": "Pixel", "app_version": "3.4.5",
		}, fromIP(tt.ip))
		wantStatus(t, rec, 200)
		tk := decodeBody[tokens](t, rec)
		tok, err := e.app.Service().VerifyToken(context.Background(), tk.AccessToken, runtime.TransportHeader)
		if err != nil {
			t.Fatal(err)
		}
		want := auth.Context{Device: "Pixel", IPAddress: netip.MustParseAddr(tt.ip), AppVersion: "3.4.5", BetaFeatures: tt.beta}
		if tok.Context != want {
			t.Errorf("%s: context = %+v, want %+v", tt.user, tok.Context, want)
		}
		if tok.LastUsedIP == nil || *tok.LastUsedIP != want.IPAddress {
			t.Errorf("%s: last_used_ip = %v, want %v", tt.user, tok.LastUsedIP, want.IPAddress)
		}
		if tok.ID != tk.SessionID || !tok.ExpiresAt.Equal(*tk.ExpiresAt) {
			t.Errorf("%s: token %+v does not match response %+v", tt.user, tok, tk)
		}
	}
}

// TestLoginTiming checks that an unknown user costs a bcrypt comparison
// too, so that response times do not reveal which usernames exist.
func TestLoginTiming(t *testing.T) {
	t.Parallel()
	// A cost high enough that one bcrypt comparison dwarfs a database query.
	e := newEnv(t, nil, app.WithBcryptCost(bcrypt.MinCost+4))
	e.register("alice", false)
	measure := func(user string) time.Duration {
		best := time.Duration(1 << 62)
		for range 3 {
			start := time.Now()
			rec := e.do("POST", "/auth/login", map[string]any{"username": user, "password": "wrong password", "device": "d"})
			wantStatus(t, rec, 401)
			best = min(best, time.Since(start))
		}
		return best
	}
	wrong, unknown := measure("alice"), measure("nobody")
	t.Logf("wrong password %v, unknown user %v", wrong, unknown)
	if unknown < wrong/3 {
		t.Errorf("unknown user took %v, wrong password %v: the unknown-user path skips bcrypt", unknown, wrong)
	}
}

func TestCookieFlow(t *testing.T) {
	t.Parallel()
	clk := newClock()
	e := newEnv(t, nil, app.WithAuthOptions(auth.WithClock(clk.Now)))
	e.register("alice", false)
	access, refresh := e.cookieLogin("alice", "Firefox")

	for _, c := range []*http.Cookie{access, refresh} {
		if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Value == "" || c.Expires.IsZero() {
			t.Errorf("cookie %s = %+v: want HttpOnly, Secure, SameSite=Strict, an expiry", c.Name, c)
		}
	}
	if access.Path != "/" || refresh.Path != app.RefreshPath {
		t.Errorf("paths = %q, %q; want / and %s", access.Path, refresh.Path, app.RefreshPath)
	}

	// The cookie authenticates, for safe methods even without fetch metadata.
	if got := e.me(withCookies(access), sameOrigin); got != 200 {
		t.Fatalf("/me with cookie = %d", got)
	}
	if got := e.me(withCookies(access)); got != 200 {
		t.Fatalf("/me with cookie, no Sec-Fetch-Site = %d", got)
	}
	// A cookie token is refused in the Authorization header (auth restriction).
	if got := e.me(bearer(access.Value)); got != 401 {
		t.Errorf("cookie token as bearer = %d, want 401", got)
	}
	// Cross-site unsafe requests with the cookie are refused (CSRF).
	rec := e.do("POST", "/auth/logout", nil, withCookies(access), header("Sec-Fetch-Site", "cross-site"))
	wantStatus(t, rec, 403)
	rec = e.do("POST", "/auth/refresh", nil, withCookies(refresh), header("Sec-Fetch-Site", "cross-site"))
	wantStatus(t, rec, 403)
	rec = e.do("POST", "/auth/login/cookie", map[string]any{"username": "alice", "password": testPassword, "device": "x"},
		header("Origin", "https://evil.example"), header("Sec-Fetch-Site", "cross-site"))
	wantStatus(t, rec, 403)

	// Refresh through the cookie: 204 and new cookies; the old access cookie dies.
	clk.Advance(time.Minute)
	rec = e.do("POST", "/auth/refresh", nil, withCookies(access, refresh), sameOrigin)
	wantStatus(t, rec, 204)
	access2, refresh2 := e.cookiesOf(t, rec)
	if access2.Value == access.Value || refresh2.Value == refresh.Value {
		t.Fatal("refresh did not rotate the cookies")
	}
	if got := e.me(withCookies(access), sameOrigin); got != 401 {
		t.Errorf("old access cookie = %d, want 401", got)
	}
	if got := e.me(withCookies(access2), sameOrigin); got != 200 {
		t.Errorf("new access cookie = %d, want 200", got)
	}
	// The session is the same one.
	sessions := decodeBody[[]map[string]any](t, e.do("GET", "/auth/sessions", nil, withCookies(access2)))
	if len(sessions) != 1 || sessions[0]["current"] != true || sessions[0]["device"] != "Firefox" {
		t.Errorf("sessions = %v", sessions)
	}

	// Logout with the cookie: 204, cookies cleared, token dead.
	rec = e.do("POST", "/auth/logout", nil, withCookies(access2), sameOrigin)
	wantStatus(t, rec, 204)
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge >= 0 || c.Value != "" {
			t.Errorf("logout cookie %+v: want it cleared", c)
		}
	}
	if len(rec.Result().Cookies()) != 2 {
		t.Errorf("logout cleared %d cookies, want 2", len(rec.Result().Cookies()))
	}
	if got := e.me(withCookies(access2), sameOrigin); got != 401 {
		t.Errorf("access cookie after logout = %d, want 401", got)
	}
	rec = e.do("POST", "/auth/refresh", nil, withCookies(refresh2), sameOrigin)
	wantStatus(t, rec, 401)
}

// TestRefreshFollowsSessionTransport: with enable_auth_restriction off, a
// cookie session's refresh token sent in a body is answered with cookies,
// never with tokens in JSON (with it on, the default, it is refused:
// TestRefreshTransportRestriction).
func TestRefreshFollowsSessionTransport(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *app.Config) { c.Settings.EnableAuthRestriction = false })
	e.register("alice", false)
	_, refresh := e.cookieLogin("alice", "Firefox")
	rec := e.do("POST", "/auth/refresh", map[string]any{"refresh_token": refresh.Value})
	wantStatus(t, rec, 204)
	access2, _ := e.cookiesOf(t, rec)
	if rec.Body.Len() != 0 {
		t.Errorf("body = %q, want none", rec.Body.String())
	}
	if got := e.me(withCookies(access2)); got != 200 {
		t.Errorf("new cookie = %d", got)
	}
}

func TestCookieInsecure(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *app.Config) { c.CookieInsecure = true })
	e.register("alice", false)
	access, refresh := e.cookieLogin("alice", "Firefox")
	if access.Secure || refresh.Secure {
		t.Error("COOKIE_INSECURE: cookies still Secure")
	}
	if !access.HttpOnly || !refresh.HttpOnly {
		t.Error("cookies not HttpOnly")
	}
}

func TestRefresh(t *testing.T) {
	t.Parallel()
	clk := newClock()
	e := newEnv(t, nil, app.WithAuthOptions(auth.WithClock(clk.Now)))
	e.register("alice", false)
	grace := e.app.Service().Settings().RefreshGracePeriod

	t.Run("rotates inside the session", func(t *testing.T) {
		tk := e.login("alice", "iPhone")
		rec := e.do("POST", "/auth/refresh", map[string]any{"refresh_token": tk.refresh(t)})
		wantStatus(t, rec, 200)
		nt := decodeBody[tokens](t, rec)
		if nt.SessionID != tk.SessionID || nt.AccessToken == tk.AccessToken || nt.refresh(t) == tk.refresh(t) {
			t.Errorf("refresh = %+v, login = %+v", nt, tk)
		}
		if rec.Header().Get("Cache-Control") != "no-store" || len(rec.Result().Cookies()) != 0 {
			t.Errorf("header refresh: Cache-Control %q, cookies %v", rec.Header().Get("Cache-Control"), rec.Result().Cookies())
		}
		if e.me(bearer(tk.AccessToken)) != 401 || e.me(bearer(nt.AccessToken)) != 200 {
			t.Error("old access token still works or new one does not")
		}
		// Replayed inside the grace window: refused (no secret key), session kept.
		rec = e.do("POST", "/auth/refresh", map[string]any{"refresh_token": tk.refresh(t)})
		wantStatus(t, rec, 401)
		if e.me(bearer(nt.AccessToken)) != 200 {
			t.Error("a replay inside the grace window killed the session")
		}
	})

	t.Run("reuse after the grace window revokes the session", func(t *testing.T) {
		tk := e.login("alice", "iPad")
		rec := e.do("POST", "/auth/refresh", map[string]any{"refresh_token": tk.refresh(t)})
		wantStatus(t, rec, 200)
		nt := decodeBody[tokens](t, rec)
		// Sub-tests share the clock: this is the only one that moves it
		// (and it runs before the parallel ones).
		clk.Advance(grace + time.Second)
		rec = e.do("POST", "/auth/refresh", map[string]any{"refresh_token": tk.refresh(t)})
		wantStatus(t, rec, 401)
		if msg := errorOf(t, rec); !strings.Contains(msg, "already used") {
			t.Errorf("reuse error = %q", msg)
		}
		if e.me(bearer(nt.AccessToken)) != 401 {
			t.Error("session survived refresh-token reuse")
		}
		rec = e.do("POST", "/auth/refresh", map[string]any{"refresh_token": nt.refresh(t)})
		wantStatus(t, rec, 401)
		if e.logs.Count("refresh token reuse detected") != 1 {
			t.Errorf("reuse not logged: %s", e.logs.String())
		}
	})

	valid := e.login("alice", "web")
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
			rec := e.do("POST", "/auth/refresh", tt.body, tt.opts...)
			wantStatus(t, rec, tt.status)
			if msg := errorOf(t, rec); !strings.Contains(msg, tt.errHas) {
				t.Errorf("error = %q, want it to contain %q", msg, tt.errHas)
			}
		})
	}
}

func TestRefreshExpired(t *testing.T) {
	t.Parallel()
	clk := newClock()
	e := newEnv(t, nil, app.WithAuthOptions(auth.WithClock(clk.Now)))
	e.register("alice", false)
	tk := e.login("alice", "iPhone")
	clk.Advance(e.app.Service().Settings().RefreshTokenTTL + time.Second)
	rec := e.do("POST", "/auth/refresh", map[string]any{"refresh_token": tk.refresh(t)})
	wantStatus(t, rec, 401)
	if msg := errorOf(t, rec); !strings.Contains(msg, "expired") {
		t.Errorf("error = %q", msg)
	}
}

func TestLogout(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.register("alice", false)
	a, b := e.login("alice", "one"), e.login("alice", "two")
	rec := e.do("POST", "/auth/logout", nil, bearer(a.AccessToken))
	wantStatus(t, rec, 204)
	if len(rec.Result().Cookies()) != 0 {
		t.Error("header logout set cookies")
	}
	if got := e.me(bearer(a.AccessToken)); got != 401 {
		t.Errorf("token after logout = %d, want 401", got)
	}
	wantStatus(t, e.do("POST", "/auth/refresh", map[string]any{"refresh_token": a.refresh(t)}), 401)
	if got := e.me(bearer(b.AccessToken)); got != 200 {
		t.Errorf("other session after logout = %d, want 200", got)
	}
	wantStatus(t, e.do("POST", "/auth/logout", nil), 401)
	wantStatus(t, e.do("POST", "/auth/logout", nil, bearer(a.AccessToken)), 401)
}

func TestLogoutAll(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.register("alice", false)
	e.register("bob", false)
	a1, a2 := e.login("alice", "one"), e.login("alice", "two")
	ac, _ := e.cookieLogin("alice", "browser")
	b := e.login("bob", "bob's")
	wantStatus(t, e.do("POST", "/auth/logout-all", nil, bearer(a1.AccessToken)), 204)
	for name, opt := range map[string]reqOpt{"caller": bearer(a1.AccessToken), "other header": bearer(a2.AccessToken), "cookie": withCookies(ac)} {
		if got := e.me(opt); got != 401 {
			t.Errorf("%s session after logout-all = %d, want 401", name, got)
		}
	}
	wantStatus(t, e.do("POST", "/auth/refresh", map[string]any{"refresh_token": a2.refresh(t)}), 401)
	if got := e.me(bearer(b.AccessToken)); got != 200 {
		t.Errorf("another user's session after logout-all = %d, want 200", got)
	}
	wantStatus(t, e.do("POST", "/auth/logout-all", nil), 401)
}

func TestSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.register("alice", false)
	e.register("bob", false)
	a1, a2, a3 := e.login("alice", "phone"), e.login("alice", "laptop"), e.login("alice", "tablet")
	b := e.login("bob", "bob's")

	rec := e.do("GET", "/auth/sessions", nil, bearer(a2.AccessToken))
	wantStatus(t, rec, 200)
	list := decodeBody[[]struct {
		ID        int64      `json:"id"`
		Device    string     `json:"device"`
		CreatedAt time.Time  `json:"created_at"`
		ExpiresAt *time.Time `json:"expires_at"`
		Current   bool       `json:"current"`
	}](t, rec)
	if len(list) != 3 {
		t.Fatalf("sessions = %+v, want 3", list)
	}
	devices := map[int64]string{a1.SessionID: "phone", a2.SessionID: "laptop", a3.SessionID: "tablet"}
	for _, s := range list {
		if devices[s.ID] != s.Device || s.Current != (s.ID == a2.SessionID) || s.CreatedAt.IsZero() || s.ExpiresAt == nil {
			t.Errorf("session %+v", s)
		}
	}

	tests := []struct {
		name   string
		id     string
		status int
	}{
		{"other user's session", fmt.Sprint(b.SessionID), 404},
		{"unknown", "999999", 404},
		{"not a number", "abc", 400},
		{"zero", "0", 400},
		{"negative", "-3", 400},
		{"overflow", "99999999999999999999", 400},
		{"own other session", fmt.Sprint(a3.SessionID), 204},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantStatus(t, e.do("DELETE", "/auth/sessions/"+tt.id, nil, bearer(a2.AccessToken)), tt.status)
		})
	}
	if got := e.me(bearer(a3.AccessToken)); got != 401 {
		t.Errorf("deleted session = %d, want 401", got)
	}
	if got := e.me(bearer(b.AccessToken)); got != 200 {
		t.Errorf("bob's session after alice's 404 = %d, want 200", got)
	}
	wantStatus(t, e.do("DELETE", "/auth/sessions/"+fmt.Sprint(a3.SessionID), nil, bearer(a2.AccessToken)), 404)
	// Deleting the current session logs it out.
	wantStatus(t, e.do("DELETE", "/auth/sessions/"+fmt.Sprint(a1.SessionID), nil, bearer(a1.AccessToken)), 204)
	if got := e.me(bearer(a1.AccessToken)); got != 401 {
		t.Errorf("self-deleted session = %d, want 401", got)
	}
	list2 := decodeBody[[]map[string]any](t, e.do("GET", "/auth/sessions", nil, bearer(a2.AccessToken)))
	if len(list2) != 1 {
		t.Errorf("sessions after deletes = %v, want only the current one", list2)
	}
	wantStatus(t, e.do("GET", "/auth/sessions", nil), 401)
	wantStatus(t, e.do("DELETE", "/auth/sessions/1", nil), 401)
}

func TestMe(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	id := e.register("alice", false)
	tk := e.login("alice", "iPhone")

	rec := e.do("GET", "/me", nil, bearer(tk.AccessToken))
	wantStatus(t, rec, 200)
	me := decodeBody[map[string]any](t, rec)
	if me["user_id"] != float64(id) || me["username"] != "alice" || me["device"] != "iPhone" ||
		me["session_id"] != float64(tk.SessionID) || me["created_at"] == nil || me["expires_at"] == nil || len(me) != 6 {
		t.Errorf("/me = %v", me)
	}

	tests := []struct {
		name   string
		opts   []reqOpt
		status int
		wwwHas string
	}{
		{"no credentials", nil, 401, `Bearer realm="api"`},
		{"invalid token", []reqOpt{bearer("demo_at_invalid")}, 401, `error="invalid_token"`},
		{"refresh token as access", []reqOpt{bearer(tk.refresh(t))}, 401, `error="invalid_token"`},
		{"malformed header", []reqOpt{header("Authorization", "Bearer a b")}, 400, `error="invalid_request"`},
		{"foreign scheme", []reqOpt{header("Authorization", "Basic YWxpY2U6cHc=")}, 401, `Bearer realm="api"`},
		{"token scheme, any case", []reqOpt{header("Authorization", "tOkEn "+tk.AccessToken)}, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := e.do("GET", "/me", nil, tt.opts...)
			wantStatus(t, rec, tt.status)
			if got := rec.Header().Get("WWW-Authenticate"); !strings.Contains(got, tt.wwwHas) {
				t.Errorf("WWW-Authenticate = %q, want it to contain %q", got, tt.wwwHas)
			}
		})
	}
}

func TestPremium(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.register("plain", false)
	e.register("tester", true)
	plain, tester := e.login("plain", "d"), e.login("tester", "d")
	testerCookie, _ := e.cookieLogin("tester", "browser")
	tests := []struct {
		name   string
		opts   []reqOpt
		status int
	}{
		{"beta user", []reqOpt{bearer(tester.AccessToken)}, 200},
		{"beta user by cookie", []reqOpt{withCookies(testerCookie)}, 200},
		{"regular user", []reqOpt{bearer(plain.AccessToken)}, 403},
		{"anonymous", nil, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wantStatus(t, e.do("GET", "/premium", nil, tt.opts...), tt.status)
		})
	}
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	rec := e.do("GET", "/healthz", nil)
	wantStatus(t, rec, 200)
	if got := decodeBody[map[string]string](t, rec)["status"]; got != "ok" {
		t.Errorf("status = %q", got)
	}
}

// TestDatabaseDown checks that an outage is a 503 with Retry-After, never a
// 401 that would log clients out.
func TestDatabaseDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.register("alice", false)
	tk := e.login("alice", "iPhone")
	e.pool.Close()
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
		{"login", "POST", "/auth/login", map[string]any{"username": "alice", "password": testPassword, "device": "d"}, nil},
		{"register", "POST", "/auth/register", map[string]any{"username": "bob", "password": testPassword}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := e.do(tt.method, tt.path, tt.body, tt.opts...)
			wantStatus(t, rec, 503)
			if rec.Header().Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	// 0.1 request per second: the bucket does not refill during the test.
	e := newEnv(t, func(c *app.Config) { c.RateLimit, c.RateBurst = 0.1, 2 })
	login := func(path, ip string) int {
		return e.do("POST", path, map[string]any{"username": "x", "password": "wrong password", "device": "d"}, fromIP(ip)).Code
	}
	for i := range 2 {
		if got := login("/auth/login", "192.0.2.1"); got != 401 {
			t.Fatalf("login %d = %d, want 401", i, got)
		}
	}
	rec := e.do("POST", "/auth/login", map[string]any{"username": "x", "password": "y", "device": "d"}, fromIP("192.0.2.1"))
	wantStatus(t, rec, 429)
	if got := rec.Header().Get("Retry-After"); got != "10" {
		t.Errorf("Retry-After = %q, want 10", got)
	}
	if got := login("/auth/login/cookie", "192.0.2.1"); got != 429 {
		t.Errorf("cookie login shares the login bucket: got %d, want 429", got)
	}
	if got := login("/auth/login", "192.0.2.2"); got != 401 {
		t.Errorf("another client IP = %d, want 401 (own bucket)", got)
	}
	// Refresh has its own bucket.
	for i, want := range []int{400, 400, 429} {
		if got := e.do("POST", "/auth/refresh", nil, fromIP("192.0.2.1")).Code; got != want {
			t.Errorf("refresh %d = %d, want %d", i, got, want)
		}
	}
	// Other routes are not limited.
	for range 5 {
		if got := e.do("GET", "/healthz", nil, fromIP("192.0.2.1")).Code; got != 200 {
			t.Fatalf("healthz = %d", got)
		}
	}

	t.Run("off", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil) // RateLimit 0
		for i := range 30 { // a username each: the per-username limit is not turned off
			if got := e.do("POST", "/auth/login", map[string]any{"username": fmt.Sprint("x", i), "password": "y", "device": "d"}).Code; got != 401 {
				t.Fatalf("login %d = %d, want 401", i, got)
			}
		}
	})
}

func TestErrorsAreJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tests := []struct {
		name   string
		method string
		path   string
		body   any
		opts   []reqOpt
		status int
	}{
		{"unknown route", "GET", "/nope", nil, nil, 404},
		{"wrong method", "GET", "/auth/login", nil, nil, 405},
		{"body too large", "POST", "/auth/register", `{"username":"` + strings.Repeat("a", 70<<10) + `"}`, nil, 413},
		{"not JSON content type", "POST", "/auth/register", `username=a`, []reqOpt{header("Content-Type", "text/plain")}, 415},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wantStatus(t, e.do(tt.method, tt.path, tt.body, tt.opts...), tt.status)
		})
	}
}

// TestPostAuthRecordsIP checks the PostAuth hook: last_used_ip is written
// only when the request comes from another IP, and the change is logged.
func TestPostAuthRecordsIP(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.register("alice", false)
	tk := e.login("alice", "iPhone", fromIP("192.0.2.1"))
	ctx := context.Background()
	// xmin changes with every UPDATE of the row.
	state := func() (ip string, xmin uint32) {
		t.Helper()
		if err := e.pool.QueryRow(ctx, `SELECT host(last_used_ip), xmin::text::bigint FROM auth_tokens WHERE id = $1`, tk.SessionID).Scan(&ip, &xmin); err != nil {
			t.Fatal(err)
		}
		return ip, xmin
	}
	const changed = "session used from a new IP address"
	steps := []struct {
		ip      string
		write   bool
		changes int
	}{
		{"192.0.2.1", false, 0}, // the login IP: already recorded
		{"192.0.2.1", false, 0},
		{"198.51.100.7", true, 1},
		{"198.51.100.7", false, 1},
		{"2001:db8::1", true, 2},
		{"::ffff:198.51.100.7", true, 3}, // an IPv4-mapped address is the IPv4 address
		{"198.51.100.7", false, 3},
	}
	for i, s := range steps {
		_, before := state()
		if got := e.me(bearer(tk.AccessToken), fromIP(s.ip)); got != 200 {
			t.Fatalf("step %d: /me = %d", i, got)
		}
		ip, after := state()
		want := netip.MustParseAddr(s.ip).Unmap().String()
		if ip != want {
			t.Errorf("step %d: last_used_ip = %s, want %s", i, ip, want)
		}
		if wrote := after != before; wrote != s.write {
			t.Errorf("step %d (%s): wrote = %v, want %v", i, s.ip, wrote, s.write)
		}
		if got := e.logs.Count(changed); got != s.changes {
			t.Errorf("step %d: %d change logs, want %d", i, got, s.changes)
		}
	}
	logs := e.logs.String()
	if !strings.Contains(logs, `"previous_ip":"192.0.2.1","ip":"198.51.100.7"`) {
		t.Errorf("change log lacks the addresses: %s", logs)
	}
	if strings.Contains(logs, tk.AccessToken) || strings.Contains(logs, tk.refresh(t)) {
		t.Error("a token was logged")
	}
}

func TestEnvOverrides(t *testing.T) {
	t.Parallel()
	cfgFrom := func(t *testing.T, vars map[string]string) app.Config {
		t.Helper()
		cfg, err := app.ConfigFromEnv(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
		if err != nil {
			t.Fatal(err)
		}
		cfg.RateLimit = 0
		return cfg
	}

	t.Run("AUTHENTIFY_TOKEN_TTL=1s", func(t *testing.T) {
		t.Parallel()
		clk := newClock()
		cfg := cfgFrom(t, map[string]string{"AUTHENTIFY_TOKEN_TTL": "1s"})
		e := newEnv(t, func(c *app.Config) { *c = cfg }, app.WithAuthOptions(auth.WithClock(clk.Now)))
		e.register("alice", false)
		tk := e.login("alice", "d")
		if got := tk.ExpiresAt.Sub(clk.Now()); got != time.Second {
			t.Errorf("expires in %v, want 1s", got)
		}
		if e.me(bearer(tk.AccessToken)) != 200 {
			t.Fatal("fresh token refused")
		}
		clk.Advance(2 * time.Second)
		rec := e.do("GET", "/me", nil, bearer(tk.AccessToken))
		wantStatus(t, rec, 401)
		if !strings.Contains(rec.Header().Get("WWW-Authenticate"), "expired") {
			t.Errorf("WWW-Authenticate = %q", rec.Header().Get("WWW-Authenticate"))
		}
		// The refresh token outlives it.
		wantStatus(t, e.do("POST", "/auth/refresh", map[string]any{"refresh_token": tk.refresh(t)}), 200)
	})

	t.Run("AUTHENTIFY_REFRESH_TOKEN_TTL=none", func(t *testing.T) {
		t.Parallel()
		cfg := cfgFrom(t, map[string]string{"AUTHENTIFY_REFRESH_TOKEN_TTL": "none"})
		e := newEnv(t, func(c *app.Config) { *c = cfg })
		e.register("alice", false)
		rec := e.do("POST", "/auth/login", map[string]any{"username": "alice", "password": testPassword, "device": "d"})
		wantStatus(t, rec, 200)
		body := decodeBody[map[string]any](t, rec)
		if v, ok := body["refresh_token"]; !ok || v != nil {
			t.Errorf("refresh_token = %v, want null", v)
		}
		if v, ok := body["refresh_until"]; !ok || v != nil {
			t.Errorf("refresh_until = %v, want null", v)
		}
		// Cookie login sets only the access cookie.
		rec = e.do("POST", "/auth/login/cookie", map[string]any{"username": "alice", "password": testPassword, "device": "d"})
		wantStatus(t, rec, 204)
		if cs := rec.Result().Cookies(); len(cs) != 1 || cs[0].Name != app.AccessCookie { // Secure: __Host-token
			t.Errorf("cookies = %v, want only %s", cs, app.AccessCookie)
		}
	})

	t.Run("AUTHENTIFY_AUTO_REFRESH=true", func(t *testing.T) {
		t.Parallel()
		clk := newClock()
		cfg := cfgFrom(t, map[string]string{"AUTHENTIFY_AUTO_REFRESH": "true", "AUTHENTIFY_AUTO_REFRESH_INTERVAL": "0s", "AUTHENTIFY_TOKEN_TTL": "1h", "COOKIE_INSECURE": "true"})
		e := newEnv(t, func(c *app.Config) { *c = cfg }, app.WithAuthOptions(auth.WithClock(clk.Now)))
		e.register("alice", false)
		tk := e.login("alice", "d")
		clk.Advance(30 * time.Minute)
		me := decodeBody[struct {
			ExpiresAt time.Time `json:"expires_at"`
		}](t, e.do("GET", "/me", nil, bearer(tk.AccessToken)))
		if want := clk.Now().Add(time.Hour); !me.ExpiresAt.Equal(want) {
			t.Errorf("expires_at after auto-refresh = %v, want %v", me.ExpiresAt, want)
		}

		// A cookie session gets its access cookie back with the slid
		// expiry, shaped like the login cookie (here: COOKIE_INSECURE).
		access, _ := e.cookieLogin("alice", "browser")
		clk.Advance(30 * time.Minute)
		rec := e.do("GET", "/me", nil, withCookies(access))
		wantStatus(t, rec, 200)
		var slid *http.Cookie
		for _, c := range rec.Result().Cookies() {
			if c.Name == app.InsecureAccessCookie { // COOKIE_INSECURE: plain name
				slid = c
			}
		}
		if slid == nil {
			t.Fatal("no access cookie re-sent after an auto-refresh of a cookie session")
		}
		if want := clk.Now().Add(time.Hour); slid.Value != access.Value || slid.Secure != access.Secure || access.Secure || !slid.HttpOnly || slid.Expires.Unix() != want.Unix() {
			t.Errorf("re-sent cookie = %+v, want the same token, not Secure like the login cookie, HttpOnly, expiring %v", slid, want)
		}
	})
}

func TestNew(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewPool(t)
	ctx := context.Background()
	bad := testConfig()
	bad.Settings.TokenTTL = 0
	if _, err := app.New(ctx, pool, bad); err == nil || !strings.Contains(err.Error(), "token_ttl") {
		t.Errorf("invalid settings: err = %v", err)
	}
	for _, names := range [][]string{{"session"}, {app.AccessCookie, "token"}} {
		other := testConfig()
		other.Settings.CookieNames = names
		if _, err := app.New(ctx, pool, other); err == nil || !strings.Contains(err.Error(), "cookie_names") {
			t.Errorf("cookie_names %q: err = %v, want the app to refuse names it does not set", names, err)
		}
	}
	if _, err := app.New(ctx, pool, testConfig(), app.WithBcryptCost(99)); err == nil {
		t.Error("bcrypt cost 99 accepted")
	}
	badRate := testConfig()
	badRate.RateLimit = -1
	if _, err := app.New(ctx, pool, badRate); err == nil {
		t.Error("negative rate accepted")
	}
	if _, err := app.New(ctx, nil, testConfig()); err == nil {
		t.Error("nil pool accepted")
	}

	// Migrations are idempotent and safe to run concurrently.
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			_, err := app.New(ctx, pool, testConfig(), app.WithBcryptCost(bcrypt.MinCost))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent New: %v", err)
		}
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM app_migrations`).Scan(&n); err != nil || n != 1 {
		t.Errorf("app_migrations rows = %d, %v; want 1", n, err)
	}
}
