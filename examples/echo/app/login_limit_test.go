package app_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/authentify-go/authentify/examples/echo/app"
	"github.com/authentify-go/authentify/examples/echo/auth"
)

// loginAs makes a header login from client ip and returns the answer.
func (e *env) loginAs(user, password, ip string) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.do("POST", "/auth/login", map[string]any{"username": user, "password": password, "device": "d"}, fromIP(ip))
}

// answer is what a client can observe of a refused login.
type answer struct {
	status     int
	retryAfter string
	body       string
}

func answerOf(rec *httptest.ResponseRecorder) answer {
	return answer{rec.Code, rec.Header().Get("Retry-After"), rec.Body.String()}
}

// TestLoginFailureLimitAcrossClients: after LOGIN_FAILURE_LIMIT failures
// for one username, from any clients, the username is answered 429 with
// Retry-After from every client, even with the right password, until the
// window has passed; unknown usernames are answered identically.
func TestLoginFailureLimitAcrossClients(t *testing.T) {
	t.Parallel()
	clk := newClock()
	// AUTH_RATE_LIMIT=0 does not turn the per-username limit off.
	e := newEnv(t, func(c *app.Config) { c.LoginFailureLimit = 3 }, app.WithClock(clk.Now), app.WithAuthOptions(auth.WithClock(clk.Now)))
	e.register("alice", false)
	e.register("bob", false)

	var before [2]answer // the last 401 of alice and of an unknown name
	var locked [2]answer // their first 429
	for i, user := range []string{"alice", "nobody"} {
		for n := range 3 {
			clk.Advance(time.Minute)
			rec := e.loginAs(user, "wrong password", fmt.Sprintf("192.0.2.%d", n+1))
			wantStatus(t, rec, http.StatusUnauthorized)
			before[i] = answerOf(rec)
		}
		// A 4th client, the right password: refused. 15 minutes after the
		// first failure, two minutes ago: 13 minutes to wait.
		rec := e.loginAs(user, testPassword, "198.51.100.1")
		wantStatus(t, rec, http.StatusTooManyRequests)
		locked[i] = answerOf(rec)
		if got := rec.Header().Get("Retry-After"); got != "780" {
			t.Errorf("%s: Retry-After = %q, want 780", user, got)
		}
		// The cookie login and IPv6 clients are refused too.
		rec = e.do("POST", "/auth/login/cookie", map[string]any{"username": user, "password": testPassword, "device": "d"}, fromIP("2001:db8::1"))
		wantStatus(t, rec, http.StatusTooManyRequests)
		if len(rec.Result().Cookies()) != 0 {
			t.Errorf("%s: cookies set while locked", user)
		}
		clk.Advance(-3 * time.Minute) // the second user starts at the same time
	}
	clk.Advance(3 * time.Minute)
	if before[0] != before[1] || locked[0] != locked[1] {
		t.Errorf("a known and an unknown username are answered differently:\n401 %+v\n    %+v\n429 %+v\n    %+v", before[0], before[1], locked[0], locked[1])
	}

	// Other usernames are not affected; successful logins never count.
	for range 5 {
		wantStatus(t, e.loginAs("bob", testPassword, "192.0.2.1"), http.StatusOK)
	}
	// Refused attempts do not extend the lock; the window passing ends it.
	clk.Advance(13*time.Minute - time.Second)
	rec := e.loginAs("alice", testPassword, "192.0.2.1")
	wantStatus(t, rec, http.StatusTooManyRequests)
	if got := rec.Header().Get("Retry-After"); got != "1" {
		t.Errorf("1s before the end: Retry-After = %q, want 1", got)
	}
	clk.Advance(time.Second)
	wantStatus(t, e.loginAs("alice", testPassword, "192.0.2.1"), http.StatusOK)
	// The first failure has left the window, the two others have not: one
	// more failure locks again, until the second one leaves (1 minute).
	wantStatus(t, e.loginAs("alice", "wrong password", "192.0.2.1"), http.StatusUnauthorized)
	rec = e.loginAs("alice", testPassword, "192.0.2.1")
	wantStatus(t, rec, http.StatusTooManyRequests)
	if got := rec.Header().Get("Retry-After"); got != "60" {
		t.Errorf("Retry-After = %q, want 60", got)
	}
}

// TestLoginFailureLimitConfig: the limit defaults to 10 and stays on with
// AUTH_RATE_LIMIT=0; LOGIN_FAILURE_LIMIT=0 turns it off. A malformed
// request (400) does not count.
func TestLoginFailureLimitConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		env   map[string]string
		limit int // 0: off
	}{
		{"default, AUTH_RATE_LIMIT=0", map[string]string{"AUTH_RATE_LIMIT": "0"}, 10},
		{"LOGIN_FAILURE_LIMIT=2", map[string]string{"LOGIN_FAILURE_LIMIT": "2", "AUTH_RATE_LIMIT": "0"}, 2},
		{"LOGIN_FAILURE_LIMIT=0", map[string]string{"LOGIN_FAILURE_LIMIT": "0", "AUTH_RATE_LIMIT": "0"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := app.ConfigFromEnv(func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			if err != nil {
				t.Fatal(err)
			}
			e := newEnv(t, func(c *app.Config) { *c = cfg })
			e.register("alice", false)
			for range 3 {
				wantStatus(t, e.do("POST", "/auth/login", map[string]any{"username": "alice", "password": "wrong password"}), http.StatusBadRequest)
			}
			failures := tt.limit
			if failures == 0 {
				failures = 25
			}
			for n := range failures {
				wantStatus(t, e.loginAs("alice", "wrong password", fmt.Sprintf("192.0.2.%d", n+1)), http.StatusUnauthorized)
			}
			want := http.StatusTooManyRequests
			if tt.limit == 0 {
				want = http.StatusOK
			}
			wantStatus(t, e.loginAs("alice", testPassword, "198.51.100.1"), want)
		})
	}
}

// TestLoginFailureLimitConcurrent: attempts count from the start, so that
// parallel wrong passwords cannot all slip through before the first fails.
func TestLoginFailureLimitConcurrent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *app.Config) { c.LoginFailureLimit = 5 })
	e.register("alice", false)
	var (
		mu    sync.Mutex
		codes = map[int]int{}
		wg    sync.WaitGroup
	)
	for i := range 24 {
		wg.Go(func() {
			rec := e.loginAs("alice", "wrong password", fmt.Sprintf("192.0.2.%d", i+1))
			mu.Lock()
			codes[rec.Code]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if codes[401] != 5 || codes[429] != 19 {
		t.Errorf("statuses %v, want 5 × 401 and 19 × 429", codes)
	}
}
