package auth_test

import (
	"context"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/runtime"
)

// TestCacheRevokeOnAIsRefusedOnB: a token cached on both instances and
// revoked on A is refused on A at once (local invalidation) and on B as soon
// as the notification arrives. The latencies are logged, never asserted.
func TestCacheRevokeOnAIsRefusedOnB(t *testing.T) {
	a, b := newCachePair(t, nil)
	user := newUser(t, pgDB(a.pool), "ann")
	var lat []time.Duration
	for range 50 {
		iss := issue(t, a.svc, user, "laptop")
		raw := iss.AccessToken.Reveal()
		if !b.cached(t, raw) {
			t.Fatal("B read the database for a token it had just cached")
		}
		if !a.cached(t, raw) {
			t.Fatal("A read the database for a token it had just cached")
		}
		if err := a.svc.RevokeToken(t.Context(), iss.Token); err != nil {
			t.Fatal(err)
		}
		lat = append(lat, b.waitRefused(t, "the revocation", raw))
	}
	t.Logf("revoke on A, refused on B after: %s", latencies(lat))
}

// TestCacheLocalInvalidation: with no listener (a single instance that
// trusts its own writes), every write path of the Engine forgets what it
// changed before it returns, so the writing instance never serves its own
// stale entry.
func TestCacheLocalInvalidation(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*runtime.Settings)
		// change changes the session of iss on svc and returns the access
		// token that must now be refused.
		change func(t *testing.T, svc *auth.Service, user int64, iss auth.Issued) string
	}{
		{"revoke", nil, func(t *testing.T, svc *auth.Service, _ int64, iss auth.Issued) string {
			if err := svc.RevokeToken(t.Context(), iss.Token); err != nil {
				t.Fatal(err)
			}
			return iss.AccessToken.Reveal()
		}},
		{"revoke session", nil, func(t *testing.T, svc *auth.Service, user int64, iss auth.Issued) string {
			if err := svc.RevokeSession(t.Context(), user, iss.Token.ID); err != nil {
				t.Fatal(err)
			}
			return iss.AccessToken.Reveal()
		}},
		{"logout everywhere", nil, func(t *testing.T, svc *auth.Service, user int64, iss auth.Issued) string {
			if _, err := svc.RevokeAllUserTokens(t.Context(), user); err != nil {
				t.Fatal(err)
			}
			return iss.AccessToken.Reveal()
		}},
		{"other sessions", nil, func(t *testing.T, svc *auth.Service, user int64, iss auth.Issued) string {
			keep := issue(t, svc, user, "phone")
			if _, err := svc.RevokeOtherSessions(t.Context(), user, keep.Token.ID); err != nil {
				t.Fatal(err)
			}
			return iss.AccessToken.Reveal()
		}},
		{"single login", func(s *runtime.Settings) { s.EnforceSingleLogin = true }, func(t *testing.T, svc *auth.Service, user int64, iss auth.Issued) string {
			issue(t, svc, user, "phone")
			return iss.AccessToken.Reveal()
		}},
		{"session cap", func(s *runtime.Settings) { s.MaxSessionsPerUser = 1 }, func(t *testing.T, svc *auth.Service, user int64, iss auth.Issued) string {
			issue(t, svc, user, "phone")
			return iss.AccessToken.Reveal()
		}},
		{"rotation", nil, func(t *testing.T, svc *auth.Service, _ int64, iss auth.Issued) string {
			if _, err := svc.RefreshToken(t.Context(), iss.RefreshToken.Reveal()); err != nil {
				t.Fatal(err)
			}
			return iss.AccessToken.Reveal()
		}},
		{"reuse detection", func(s *runtime.Settings) { s.RefreshGracePeriod = 0 }, func(t *testing.T, svc *auth.Service, _ int64, iss auth.Issued) string {
			next, err := svc.RefreshToken(t.Context(), iss.RefreshToken.Reveal())
			if err != nil {
				t.Fatal(err)
			}
			raw := next.AccessToken.Reveal()
			if _, err := svc.VerifyToken(t.Context(), raw, runtime.AnyTransport); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.VerifyToken(t.Context(), raw, runtime.AnyTransport); err != nil { // now cached
				t.Fatal(err)
			}
			_, err = svc.RefreshToken(t.Context(), iss.RefreshToken.Reveal())
			wantReason(t, "replay", err, runtime.ReasonRefreshReused)
			return raw
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, pool := newService(t, settings(func(s *runtime.Settings) {
				s.CacheSize, s.CacheMaxAge = 100, time.Hour
				if tt.mod != nil {
					tt.mod(s)
				}
			}))
			svc.Cache().Resume() // no listener: local invalidation only
			user := newUser(t, pgDB(pool), "ann")
			iss := issue(t, svc, user, "laptop")
			for range 2 {
				if _, err := svc.VerifyToken(t.Context(), iss.AccessToken.Reveal(), runtime.AnyTransport); err != nil {
					t.Fatal(err)
				}
			}
			if svc.Cache().Len() == 0 {
				t.Fatal("nothing cached")
			}
			raw := tt.change(t, svc, user, iss)
			if _, err := svc.VerifyToken(t.Context(), raw, runtime.AnyTransport); err == nil {
				t.Fatal("the instance that made the change served its own stale entry")
			}
		})
	}
}

// TestCacheLocalInvalidationUpdateColumns: UpdateColumns is the one write
// outside the Engine; its instance serves the new values at once.
func TestCacheLocalInvalidationUpdateColumns(t *testing.T) {
	svc, pool := newService(t, settings(func(s *runtime.Settings) { s.CacheSize, s.CacheMaxAge = 100, time.Hour }))
	svc.Cache().Resume()
	iss := issue(t, svc, newUser(t, pgDB(pool), "ann"), "laptop")
	raw := iss.AccessToken.Reveal()
	for range 2 {
		if _, err := svc.VerifyToken(t.Context(), raw, runtime.AnyTransport); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.UpdateColumns(t.Context(), iss.Token.ID, auth.Columns{TwoFactorVerified: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	tok, err := svc.VerifyToken(t.Context(), raw, runtime.AnyTransport)
	if err != nil {
		t.Fatal(err)
	}
	if !tok.TwoFactorVerified {
		t.Fatal("the instance that updated the columns served its stale entry")
	}
}

// TestCachePathsReachB: every path that ends a session on A reaches B's
// cache through the trigger's notification: B cached the token before the
// change and refuses it after.
func TestCachePathsReachB(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*runtime.Settings)
		// prepare returns the access token B caches (nil: the issued one).
		prepare func(t *testing.T, a *instance, iss auth.Issued) string
		change  func(t *testing.T, a *instance, user int64, iss auth.Issued)
	}{
		{"logout everywhere", nil, nil, func(t *testing.T, a *instance, user int64, _ auth.Issued) {
			if _, err := a.svc.RevokeAllUserTokens(t.Context(), user); err != nil {
				t.Fatal(err)
			}
		}},
		{"single login", func(s *runtime.Settings) { s.EnforceSingleLogin = true }, nil, func(t *testing.T, a *instance, user int64, _ auth.Issued) {
			issue(t, a.svc, user, "phone")
		}},
		{"session cap", func(s *runtime.Settings) { s.MaxSessionsPerUser = 1 }, nil, func(t *testing.T, a *instance, user int64, _ auth.Issued) {
			issue(t, a.svc, user, "phone")
		}},
		{"soft revoke", func(s *runtime.Settings) { s.KeepExpiredTokens = true }, nil, func(t *testing.T, a *instance, _ int64, iss auth.Issued) {
			if err := a.svc.RevokeToken(t.Context(), iss.Token); err != nil {
				t.Fatal(err)
			}
		}},
		{"rotation", nil, nil, func(t *testing.T, a *instance, _ int64, iss auth.Issued) {
			if _, err := a.svc.RefreshToken(t.Context(), iss.RefreshToken.Reveal()); err != nil {
				t.Fatal(err)
			}
		}},
		{"reuse detection", func(s *runtime.Settings) { s.RefreshGracePeriod = 0 }, func(t *testing.T, a *instance, iss auth.Issued) string {
			next, err := a.svc.RefreshToken(t.Context(), iss.RefreshToken.Reveal())
			if err != nil {
				t.Fatal(err)
			}
			return next.AccessToken.Reveal()
		}, func(t *testing.T, a *instance, _ int64, iss auth.Issued) {
			_, err := a.svc.RefreshToken(t.Context(), iss.RefreshToken.Reveal())
			wantReason(t, "replay", err, runtime.ReasonRefreshReused)
		}},
		{"manual SQL", nil, nil, func(t *testing.T, a *instance, _ int64, iss auth.Issued) {
			if _, err := a.pool.Exec(t.Context(), `UPDATE auth_tokens SET revoked_at = now(), revoke_reason = 'manual' WHERE id = $1`, iss.Token.ID); err != nil {
				t.Fatal(err)
			}
		}},
		{"manual delete", nil, nil, func(t *testing.T, a *instance, _ int64, iss auth.Issued) {
			if _, err := a.pool.Exec(t.Context(), `DELETE FROM auth_tokens WHERE id = $1`, iss.Token.ID); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := newCachePair(t, tt.mod)
			user := newUser(t, pgDB(a.pool), "ann")
			iss := issue(t, a.svc, user, "laptop")
			raw := iss.AccessToken.Reveal()
			if tt.prepare != nil {
				raw = tt.prepare(t, a, iss)
			}
			// A notification of a change just before (the rotation that
			// prepare made) refuses puts until it arrives.
			waitUntil(t, "B to cache the token", func() bool { return b.cached(t, raw) })
			tt.change(t, a, user, iss)
			t.Logf("reached B after %s", b.waitRefused(t, tt.name, raw))
		})
	}
}

// TestCacheCleanupReachesB: B never serves a cached token past its
// expires_at, and a cleanup on A (which deletes only rows no cache may
// serve) leaves B refusing it.
func TestCacheCleanupReachesB(t *testing.T) {
	a, b := newCachePair(t, nil)
	user := newUser(t, pgDB(a.pool), "ann")
	iss := issue(t, a.svc, user, "laptop", auth.WithAccessTTL(time.Second), auth.WithRefreshTTL(runtime.Never))
	raw := iss.AccessToken.Reveal()
	if !b.cached(t, raw) {
		t.Fatal("B did not cache the token")
	}
	time.Sleep(time.Until(*iss.Token.ExpiresAt))
	if _, err := b.verify(t, raw); err == nil {
		t.Fatal("B served a cached token past its expires_at")
	}
	if n, err := a.svc.RevokeExpiredTokens(t.Context()); err != nil || n != 1 {
		t.Fatalf("RevokeExpiredTokens: %d, %v; want 1", n, err)
	}
	_, err := b.verify(t, raw)
	wantReason(t, "B after the cleanup", err, runtime.ReasonInvalid)
}

// TestCacheUpdateColumnsReachesB: a column update on A replaces B's cached
// copy.
func TestCacheUpdateColumnsReachesB(t *testing.T) {
	a, b := newCachePair(t, nil)
	iss := issue(t, a.svc, newUser(t, pgDB(a.pool), "ann"), "laptop")
	raw := iss.AccessToken.Reveal()
	if !b.cached(t, raw) {
		t.Fatal("B did not cache the token")
	}
	if _, err := a.svc.UpdateColumns(t.Context(), iss.Token.ID, auth.Columns{TwoFactorVerified: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	d := waitUntil(t, "the column update to reach B", func() bool {
		tok, err := b.verify(t, raw)
		if err != nil {
			t.Fatal(err)
		}
		return tok.TwoFactorVerified
	})
	t.Logf("reached B after %s", d)
}

// TestCacheSlideOncePerInterval: with auto-refresh on, a token cached on
// both instances still slides when due, and requests racing on both
// instances write it once per interval (one notification per slide: a lost
// conditional UPDATE changes no row and sends none).
func TestCacheSlideOncePerInterval(t *testing.T) {
	clk := newClock(time.Now().UTC().Truncate(time.Microsecond))
	mod := func(s *runtime.Settings) {
		s.AutoRefresh, s.AutoRefreshInterval = true, time.Minute
	}
	a, b := newCachePairClock(t, mod, clk)
	got := notifications(t, a.pool)
	iss := issue(t, a.svc, newUser(t, pgDB(a.pool), "ann"), "laptop")
	raw := iss.AccessToken.Reveal()
	authn := func(in *instance) auth.Token {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+raw)
		tok, _, err := in.svc.AuthenticateRequest(r)
		if err != nil {
			t.Fatalf("%s: authenticate: %v", in.name, err)
		}
		return tok
	}
	authn(a)
	authn(b)
	if !a.cached(t, raw) || !b.cached(t, raw) {
		t.Fatal("the token is not cached on both instances")
	}
	if p := got(); len(p) != 0 {
		t.Fatalf("notifications before any slide: %q", p)
	}
	for interval := 1; interval <= 3; interval++ {
		clk.Advance(time.Minute + time.Second)
		done := make(chan auth.Token, 20)
		for i := range 20 {
			in := a
			if i%2 == 1 {
				in = b
			}
			go func() { done <- authn(in) }()
		}
		for range 20 {
			if tok := <-done; !tok.LastRefreshedAt.Equal(clk.Now()) {
				t.Errorf("interval %d: a request saw last_refreshed_at %s, want the slide at %s", interval, tok.LastRefreshedAt, clk.Now())
			}
		}
		if p := got(); len(p) != 1 {
			t.Fatalf("interval %d: %d notifications %q, want one slide", interval, len(p), p)
		}
	}
}

// TestCacheSlideWithoutListener: on one instance with no listener (its own
// writes only), concurrent requests that lose the slide to another request
// re-read the database, not their stale cached row: every one sees the slide.
func TestCacheSlideWithoutListener(t *testing.T) {
	clk := newClock(time.Now().UTC().Truncate(time.Microsecond))
	svc, pool := newService(t, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) {
		s.CacheSize, s.CacheMaxAge = 100, time.Hour
		s.AutoRefresh, s.AutoRefreshInterval = true, time.Minute
	}))
	svc.Cache().Resume()
	got := notifications(t, pool)
	raw := issue(t, svc, newUser(t, pgDB(pool), "ann"), "laptop").AccessToken.Reveal()
	authn := func() (auth.Token, error) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+raw)
		tok, _, err := svc.AuthenticateRequest(r)
		return tok, err
	}
	for range 2 {
		if _, err := authn(); err != nil {
			t.Fatal(err)
		}
	}
	for interval := 1; interval <= 3; interval++ {
		clk.Advance(time.Minute + time.Second)
		type result struct {
			tok auth.Token
			err error
		}
		done := make(chan result, 20)
		for range 20 {
			go func() { tok, err := authn(); done <- result{tok, err} }()
		}
		for range 20 {
			r := <-done
			if r.err != nil {
				t.Fatal(r.err)
			}
			if !r.tok.LastRefreshedAt.Equal(clk.Now()) {
				t.Errorf("interval %d: a request saw last_refreshed_at %s, want the slide at %s", interval, r.tok.LastRefreshedAt, clk.Now())
			}
		}
		if p := got(); len(p) != 1 {
			t.Fatalf("interval %d: %d notifications %q, want one slide", interval, len(p), p)
		}
	}
}

// TestCacheRenamedTableKeepsNotifying: the trigger follows the table through
// a rename, and its channel (fixed at creation, CacheChannel) does not move.
func TestCacheRenamedTableKeepsNotifying(t *testing.T) {
	svc, pool := newService(t)
	iss := issue(t, svc, newUser(t, pgDB(pool), "ann"), "laptop")
	got := notifications(t, pool)
	for _, q := range []string{
		`ALTER TABLE auth_tokens RENAME TO sessions`,
		`UPDATE sessions SET revoked_at = now(), revoke_reason = 'manual' WHERE id = ` + itoa(iss.Token.ID),
		`ALTER TABLE sessions RENAME TO auth_tokens`,
	} {
		if _, err := pool.Exec(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	if p := got(); len(p) != 1 || p[0] != "t:"+itoa(iss.Token.ID) {
		t.Fatalf("notifications %q, want [t:%d]", p, iss.Token.ID)
	}
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }
