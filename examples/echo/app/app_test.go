package app_test

import (
	"context"
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

// TestPasswordHashCost: passwords are stored as bcrypt hashes at the cost
// of WithBcryptCost. (That the whole of a long password counts is part of
// the contract suite.)
func TestPasswordHashCost(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.register("long", false)
	var hash string
	if err := e.pool.QueryRow(context.Background(), `SELECT password_hash FROM users WHERE username = 'long'`).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if cost, err := bcrypt.Cost([]byte(hash)); err != nil || cost != bcrypt.MinCost {
		t.Errorf("bcrypt cost = %d, %v; want %d", cost, err, bcrypt.MinCost)
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

// TestReuseLogged: a replayed refresh token after the grace window is
// logged as a likely theft, without the token.
func TestReuseLogged(t *testing.T) {
	t.Parallel()
	clk := newClock()
	e := newEnv(t, nil, app.WithAuthOptions(auth.WithClock(clk.Now)))
	e.register("alice", false)
	tk := e.login("alice", "iPad")
	wantStatus(t, e.do("POST", "/auth/refresh", map[string]any{"refresh_token": tk.refresh(t)}), 200)
	clk.Advance(e.app.Service().Settings().RefreshGracePeriod + time.Second)
	wantStatus(t, e.do("POST", "/auth/refresh", map[string]any{"refresh_token": tk.refresh(t)}), 401)
	if got := e.logs.Count("refresh token reuse detected"); got != 1 {
		t.Errorf("%d reuse logs, want 1: %s", got, e.logs.String())
	}
	if strings.Contains(e.logs.String(), tk.refresh(t)) {
		t.Error("a token was logged")
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
	// The middleware reads exactly the access cookie the app sets.
	for _, insecure := range []bool{false, true} {
		cfg := testConfig()
		cfg.CookieInsecure = insecure
		a, err := app.New(ctx, pool, cfg, app.WithBcryptCost(bcrypt.MinCost))
		if err != nil {
			t.Fatal(err)
		}
		access, _ := cfg.CookieNames()
		if got := a.Service().Settings().CookieNames; len(got) != 1 || got[0] != access {
			t.Errorf("COOKIE_INSECURE=%v: cookie_names in force = %q, want only %q", insecure, got, access)
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
