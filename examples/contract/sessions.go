package contract

import (
	"fmt"
	"net/url"
	"regexp"
	"testing"
	"time"
)

// testLogout: POST /auth/logout revokes the current session only.
func testLogout(t *testing.T, st Starter) {
	c := start(t, st, nil, nil)
	c.register("alice", false)
	a, b := c.login("alice", "one"), c.login("alice", "two")
	r := c.do("POST", "/auth/logout", nil, bearer(a.AccessToken))
	wantStatus(t, r, 204)
	if len(r.Cookies()) != 0 {
		t.Error("header logout set cookies")
	}
	if got := c.me(bearer(a.AccessToken)); got != 401 {
		t.Errorf("token after logout = %d, want 401", got)
	}
	wantStatus(t, c.do("POST", "/auth/refresh", map[string]any{"refresh_token": a.refresh(t)}), 401)
	if got := c.me(bearer(b.AccessToken)); got != 200 {
		t.Errorf("other session after logout = %d, want 200", got)
	}
	wantStatus(t, c.do("POST", "/auth/logout", nil), 401)
	wantStatus(t, c.do("POST", "/auth/logout", nil, bearer(a.AccessToken)), 401)
}

// testLogoutAll: POST /auth/logout-all revokes every session of the user,
// header and cookie, and no other user's.
func testLogoutAll(t *testing.T, st Starter) {
	c := start(t, st, nil, nil)
	c.register("alice", false)
	c.register("bob", false)
	a1, a2 := c.login("alice", "one"), c.login("alice", "two")
	ac, _ := c.cookieLogin("alice", "browser")
	b := c.login("bob", "bob's")
	wantStatus(t, c.do("POST", "/auth/logout-all", nil, bearer(a1.AccessToken)), 204)
	for name, opt := range map[string]reqOpt{"caller": bearer(a1.AccessToken), "other header": bearer(a2.AccessToken), "cookie": withCookies(ac)} {
		if got := c.me(opt); got != 401 {
			t.Errorf("%s session after logout-all = %d, want 401", name, got)
		}
	}
	wantStatus(t, c.do("POST", "/auth/refresh", map[string]any{"refresh_token": a2.refresh(t)}), 401)
	if got := c.me(bearer(b.AccessToken)); got != 200 {
		t.Errorf("another user's session after logout-all = %d, want 200", got)
	}
	wantStatus(t, c.do("POST", "/auth/logout-all", nil), 401)
}

// testSessions: GET /auth/sessions lists the caller's sessions, the current
// one marked; DELETE /auth/sessions/{id} revokes one of them (404 for
// another user's, 400 for a bad id).
func testSessions(t *testing.T, st Starter) {
	c := start(t, st, nil, nil)
	c.register("alice", false)
	c.register("bob", false)
	a1, a2, a3 := c.login("alice", "phone"), c.login("alice", "laptop"), c.login("alice", "tablet")
	b := c.login("bob", "bob's")

	r := c.do("GET", "/auth/sessions", nil, bearer(a2.AccessToken))
	wantStatus(t, r, 200)
	list := decodeBody[[]struct {
		ID        int64      `json:"id"`
		Device    string     `json:"device"`
		CreatedAt time.Time  `json:"created_at"`
		ExpiresAt *time.Time `json:"expires_at"`
		Current   bool       `json:"current"`
	}](t, r)
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
			wantStatus(t, c.do("DELETE", "/auth/sessions/"+tt.id, nil, bearer(a2.AccessToken)), tt.status)
		})
	}
	if got := c.me(bearer(a3.AccessToken)); got != 401 {
		t.Errorf("deleted session = %d, want 401", got)
	}
	if got := c.me(bearer(b.AccessToken)); got != 200 {
		t.Errorf("bob's session after alice's 404 = %d, want 200", got)
	}
	wantStatus(t, c.do("DELETE", "/auth/sessions/"+fmt.Sprint(a3.SessionID), nil, bearer(a2.AccessToken)), 404)
	// Deleting the current session logs it out.
	wantStatus(t, c.do("DELETE", "/auth/sessions/"+fmt.Sprint(a1.SessionID), nil, bearer(a1.AccessToken)), 204)
	if got := c.me(bearer(a1.AccessToken)); got != 401 {
		t.Errorf("self-deleted session = %d, want 401", got)
	}
	list2 := decodeBody[[]map[string]any](t, c.do("GET", "/auth/sessions", nil, bearer(a2.AccessToken)))
	if len(list2) != 1 {
		t.Errorf("sessions after deletes = %v, want only the current one", list2)
	}
	wantStatus(t, c.do("GET", "/auth/sessions", nil), 401)
	wantStatus(t, c.do("DELETE", "/auth/sessions/1", nil), 401)

	// Deleting its own session clears a cookie session's cookies.
	ac, _ := c.cookieLogin("alice", "browser")
	id := decodeBody[map[string]any](t, c.do("GET", "/me", nil, withCookies(ac)))["session_id"]
	r = c.do("DELETE", fmt.Sprintf("/auth/sessions/%v", id), nil, withCookies(ac), sameOrigin)
	wantStatus(t, r, 204)
	if n := len(r.Cookies()); n != 2 {
		t.Errorf("deleting the current cookie session cleared %d cookies, want 2", n)
	}
}

var linkNext = regexp.MustCompile(`^<([^>]+)>; rel="next"$`)

// testSessionsPages: GET /auth/sessions takes ?limit= (default 50, 1 to
// 200) and ?cursor=; the body stays a JSON array, the next page is in a
// Link header (RFC 8288), bad values are 400.
func testSessionsPages(t *testing.T, st Starter) {
	c := start(t, st, nil, nil)
	c.register("alice", false)
	var current tokens
	for i := range 5 {
		current = c.login("alice", "device"+string(rune('a'+i)))
	}
	r := c.do("GET", "/auth/sessions", nil, bearer(current.AccessToken))
	wantStatus(t, r, 200)
	if n := len(decodeBody[[]map[string]any](t, r)); n != 5 || r.Header.Get("Link") != "" {
		t.Fatalf("default page: %d sessions, Link %q; want 5 and none", n, r.Header.Get("Link"))
	}
	seen := map[float64]bool{}
	path, pages := "/auth/sessions?limit=2", 0
	for path != "" {
		pages++
		r := c.do("GET", path, nil, bearer(current.AccessToken))
		wantStatus(t, r, 200)
		for _, s := range decodeBody[[]map[string]any](t, r) {
			seen[s["id"].(float64)] = true
		}
		path = ""
		if link := r.Header.Get("Link"); link != "" {
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
		wantStatus(t, c.do("GET", "/auth/sessions?"+q, nil, bearer(current.AccessToken)), 400)
	}
	wantStatus(t, c.do("GET", "/auth/sessions?limit=200", nil, bearer(current.AccessToken)), 200)
}

// testSessionCap: AUTHENTIFY_MAX_SESSIONS_PER_USER=2 keeps the two newest
// logins of a user.
func testSessionCap(t *testing.T, st Starter) {
	c := start(t, st, map[string]string{"AUTHENTIFY_MAX_SESSIONS_PER_USER": "2"}, nil)
	c.register("alice", false)
	first := c.login("alice", "a")
	c.login("alice", "b")
	last := c.login("alice", "c")
	if got := c.me(bearer(first.AccessToken)); got != 401 {
		t.Errorf("oldest session = %d, want 401", got)
	}
	if n := len(decodeBody[[]map[string]any](t, c.do("GET", "/auth/sessions", nil, bearer(last.AccessToken)))); n != 2 {
		t.Errorf("%d sessions, want 2", n)
	}
}
