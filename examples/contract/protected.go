package contract

import (
	"strings"
	"testing"
)

// testMe: GET /me answers the user and session; without or with a bad
// token 401 with an RFC 6750 challenge, a malformed Authorization header
// 400.
func testMe(t *testing.T, st Starter) {
	c := start(t, st, nil, nil)
	id := c.register("alice", false)
	tk := c.login("alice", "iPhone")

	r := c.do("GET", "/me", nil, bearer(tk.AccessToken))
	wantStatus(t, r, 200)
	me := decodeBody[map[string]any](t, r)
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
			r := c.do("GET", "/me", nil, tt.opts...)
			wantStatus(t, r, tt.status)
			if got := r.Header.Get("WWW-Authenticate"); !strings.Contains(got, tt.wwwHas) {
				t.Errorf("WWW-Authenticate = %q, want it to contain %q", got, tt.wwwHas)
			}
		})
	}
}

// testPremium: GET /premium is for beta users only (403 for others, 401
// anonymous), by header or cookie.
func testPremium(t *testing.T, st Starter) {
	c := start(t, st, nil, nil)
	c.register("plain", false)
	c.register("tester", true)
	plain, tester := c.login("plain", "d"), c.login("tester", "d")
	testerCookie, _ := c.cookieLogin("tester", "browser")
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
			r := c.do("GET", "/premium", nil, tt.opts...)
			wantStatus(t, r, tt.status)
			if tt.status == 200 {
				if got := decodeBody[map[string]string](t, r)["message"]; got == "" {
					t.Errorf("body = %s, want a message", r.Body)
				}
			}
		})
	}
}
