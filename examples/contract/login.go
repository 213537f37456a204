package contract

import (
	"net/http"
	"strings"
	"testing"
)

// testRegister: POST /auth/register answers 201 {id, username}, 400 for
// invalid fields or JSON, 409 for a taken username.
func testRegister(t *testing.T, st Starter) {
	c := start(t, st, nil, nil)
	c.register("taken", false)
	tests := []struct {
		name   string
		body   any
		status int
		errHas string
	}{
		{"ok", map[string]any{"username": "alice", "password": Password}, 201, ""},
		{"ok beta", map[string]any{"username": "bob.b-1_x", "password": Password, "beta": true}, 201, ""},
		{"taken", map[string]any{"username": "taken", "password": Password}, 409, "taken"},
		{"username too short", map[string]any{"username": "ab", "password": Password}, 400, "username"},
		{"username too long", map[string]any{"username": strings.Repeat("a", 65), "password": Password}, 400, "username"},
		{"username 64", map[string]any{"username": strings.Repeat("u", 64), "password": Password}, 201, ""},
		{"username bad char", map[string]any{"username": "al ice", "password": Password}, 400, "username"},
		{"username unicode", map[string]any{"username": "ålice", "password": Password}, 400, "username"},
		{"password too short", map[string]any{"username": "carol", "password": "1234567"}, 400, "password"},
		{"password too long", map[string]any{"username": "carol", "password": strings.Repeat("p", 257)}, 400, "password"},
		{"password 256 (over bcrypt's 72 bytes)", map[string]any{"username": "dave", "password": strings.Repeat("é", 256)}, 201, ""},
		{"missing fields", map[string]any{}, 400, "username"},
		{"unknown field", map[string]any{"username": "erin", "password": Password, "admin": true}, 400, "unknown field"},
		{"wrong type", map[string]any{"username": 5, "password": Password}, 400, "invalid JSON"},
		{"invalid JSON", `{"username":`, 400, "invalid JSON"},
		{"trailing data", `{"username":"frank","password":"correct horse"} {}`, 400, "invalid JSON"},
		{"empty body", "", 400, "JSON object"},
		{"array", `[]`, 400, "invalid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := c.do("POST", "/auth/register", tt.body)
			wantStatus(t, r, tt.status)
			if tt.status == 201 {
				body := decodeBody[map[string]any](t, r)
				if body["id"].(float64) <= 0 || body["username"] != tt.body.(map[string]any)["username"] || len(body) != 2 {
					t.Errorf("body = %v", body)
				}
				return
			}
			if msg := errorOf(t, r); !strings.Contains(msg, tt.errHas) {
				t.Errorf("error = %q, want it to contain %q", msg, tt.errHas)
			}
		})
	}
	// Passwords longer than bcrypt's 72 bytes are pre-hashed: the whole
	// password counts, not only its first 72 bytes.
	long := strings.Repeat("x", 100)
	wantStatus(t, c.do("POST", "/auth/register", map[string]any{"username": "long", "password": long + "A"}), 201)
	login := func(pw string) int {
		return c.do("POST", "/auth/login", map[string]any{"username": "long", "password": pw, "device": "d"}).Code
	}
	if got := login(long + "B"); got != 401 {
		t.Errorf("login with a different suffix after 72 bytes = %d, want 401", got)
	}
	if got := login(long + "A"); got != 200 {
		t.Errorf("login with the password = %d, want 200", got)
	}
}

// testLogin: POST /auth/login answers tokens in JSON (never cached),
// /auth/login/cookie 204 with the cookies; both 401 for bad credentials
// (one message, unknown user or wrong password) and 400 for bad fields.
func testLogin(t *testing.T, st Starter) {
	c := start(t, st, nil, nil)
	c.register("alice", false)
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
		{"ok", "/auth/login", body("alice", Password, "iPhone"), 200, ""},
		{"ok with app_version", "/auth/login", map[string]any{"username": "alice", "password": Password, "device": "iPhone", "app_version": "2.1"}, 200, ""},
		{"wrong password", "/auth/login", body("alice", "wrong password", "iPhone"), 401, "invalid username or password"},
		{"unknown user", "/auth/login", body("nobody", Password, "iPhone"), 401, "invalid username or password"},
		{"device missing", "/auth/login", map[string]any{"username": "alice", "password": Password}, 400, "device"},
		{"device blank", "/auth/login", body("alice", Password, "  "), 400, "device"},
		{"device too long", "/auth/login", body("alice", Password, strings.Repeat("d", 129)), 400, "device"},
		{"app_version too long", "/auth/login", map[string]any{"username": "alice", "password": Password, "device": "d", "app_version": strings.Repeat("v", 65)}, 400, "app_version"},
		{"password missing", "/auth/login", map[string]any{"username": "alice", "device": "d"}, 400, "required"},
		{"unknown field", "/auth/login", map[string]any{"username": "alice", "password": Password, "device": "d", "remember": true}, 400, "unknown field"},
		{"invalid JSON", "/auth/login", `{`, 400, "invalid JSON"},
		{"cookie ok", "/auth/login/cookie", body("alice", Password, "Chrome"), 204, ""},
		{"cookie wrong password", "/auth/login/cookie", body("alice", "wrong password", "Chrome"), 401, "invalid username or password"},
		{"cookie unknown user", "/auth/login/cookie", body("nobody", Password, "Chrome"), 401, "invalid username or password"},
		{"cookie device missing", "/auth/login/cookie", map[string]any{"username": "alice", "password": Password}, 400, "device"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := c.do("POST", tt.path, tt.body)
			wantStatus(t, r, tt.status)
			switch tt.status {
			case 200:
				tk := decodeBody[tokens](t, r)
				if !strings.HasPrefix(tk.AccessToken, "demo_at_") || !strings.HasPrefix(tk.refresh(t), "demo_rt_") ||
					tk.ExpiresAt == nil || tk.RefreshUntil == nil || tk.SessionID <= 0 {
					t.Errorf("tokens = %+v", tk)
				}
				if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
					t.Errorf("Cache-Control = %q, want no-store", cc)
				}
				if c.me(bearer(tk.AccessToken)) != 200 {
					t.Error("the access token does not authenticate")
				}
			case 204:
				c.cookiesOf(t, r)
				if len(r.Body) != 0 {
					t.Errorf("204 body = %q", r.Body)
				}
				if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
					t.Errorf("Cache-Control = %q, want no-store", cc)
				}
			default:
				if msg := errorOf(t, r); !strings.Contains(msg, tt.errHas) {
					t.Errorf("error = %q, want it to contain %q", msg, tt.errHas)
				}
				if len(r.Cookies()) != 0 {
					t.Errorf("cookies set on failure: %v", r.Cookies())
				}
			}
		})
	}
}

// testHealthz: GET /healthz answers 200 {"status": "ok"}.
func testHealthz(t *testing.T, st Starter) {
	c := start(t, st, nil, nil)
	r := c.do("GET", "/healthz", nil)
	wantStatus(t, r, http.StatusOK)
	if got := decodeBody[map[string]string](t, r)["status"]; got != "ok" {
		t.Errorf("status = %q", got)
	}
}
