package auth_test

// Auto-refresh on use: slides, throttles, caps, never shortens, skips revoked rows.

import (
	"bytes"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/runtime"
	"github.com/jackc/pgx/v5"
)

// ---------------------------------------------------------------- auto-refresh

// autoSettings: 2h access tokens, 48h refresh window, auto-refresh at most
// hourly, sessions of at most 720h.
func autoSettings(mod func(*runtime.Settings)) auth.Option {
	return settings(func(s *runtime.Settings) {
		s.TokenTTL, s.RefreshTokenTTL = 2*time.Hour, 48*time.Hour
		s.AutoRefresh, s.AutoRefreshInterval, s.AutoRefreshMaxTTL = true, time.Hour, 720*time.Hour
		if mod != nil {
			mod(s)
		}
	})
}

func authHeader(t *testing.T, svc *auth.Service, iss auth.Issued) (auth.Token, error) {
	t.Helper()
	tok, _, err := svc.AuthenticateRequest(headerRequest("Bearer", iss.AccessToken.Reveal()))
	return tok, err
}

// TestAutoRefreshSlides: auto-refresh slides the expiry of the same token
// (same row, same hashes, the client keeps its token) at most once per
// auto_refresh_interval, and VerifyToken never slides.
func TestAutoRefreshSlides(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		clk := newClock(t0)
		svc, pool := newEngineService(t, e, auth.WithClock(clk.Now), autoSettings(nil))
		user := newUser(t, pool, "alice")
		iss := issue(t, svc, user, "phone")
		orig := readRow(t, pool, iss.Token.ID)

		clk.Advance(59 * time.Minute) // throttled
		tok, err := authHeader(t, svc, iss)
		if err != nil {
			t.Fatal(err)
		}
		wantTime(t, "ExpiresAt before the interval", tok.ExpiresAt, at(2*time.Hour))
		if r := readRow(t, pool, iss.Token.ID); !reflect.DeepEqual(r, orig) {
			t.Errorf("a throttled request wrote the row")
		}
		clk.Advance(time.Minute) // t0+1h: due
		if _, err := svc.VerifyToken(t.Context(), iss.AccessToken.Reveal(), runtime.TransportHeader); err != nil {
			t.Fatal(err)
		}
		if r := readRow(t, pool, iss.Token.ID); !reflect.DeepEqual(r, orig) {
			t.Errorf("VerifyToken slid the token")
		}
		tok, err = authHeader(t, svc, iss)
		if err != nil {
			t.Fatal(err)
		}
		wantTime(t, "slid ExpiresAt", tok.ExpiresAt, at(3*time.Hour))
		wantTime(t, "slid RefreshUntil", tok.RefreshUntil, at(49*time.Hour))
		wantTime(t, "LastRefreshedAt", &tok.LastRefreshedAt, at(time.Hour))
		r := readRow(t, pool, iss.Token.ID)
		if !bytes.Equal(r.AccessHash, orig.AccessHash) || !bytes.Equal(r.RefreshHash, orig.RefreshHash) {
			t.Error("auto-refresh changed the token hashes")
		}
		wantTime(t, "stored expires_at", r.ExpiresAt, at(3*time.Hour))
		if !r.CreatedAt.Equal(t0) || tok.ID != iss.Token.ID || tok.RotatedAt != nil {
			t.Errorf("auto-refresh is not a slide of the same row: %+v", tok)
		}
		// Throttled again until t0+2h; then it slides again. The original
		// expiry (t0+2h) is passed: the token lives only because it slid.
		clk.Advance(59 * time.Minute)
		if tok, err = authHeader(t, svc, iss); err != nil {
			t.Fatal(err)
		}
		wantTime(t, "ExpiresAt while throttled", tok.ExpiresAt, at(3*time.Hour))
		clk.Advance(time.Minute)
		if tok, err = authHeader(t, svc, iss); err != nil {
			t.Fatalf("at t0+2h: %v", err)
		}
		wantTime(t, "second slide", tok.ExpiresAt, at(4*time.Hour))
		// An idle token still expires.
		clk.Advance(2 * time.Hour)
		_, err = authHeader(t, svc, iss)
		wantReason(t, "idle", err, runtime.ReasonExpired)
		// The refresh token of the same row still works (window slid to t0+50h).
		if _, err := svc.RefreshToken(t.Context(), iss.RefreshToken.Reveal()); err != nil {
			t.Errorf("refresh after slides: %v", err)
		}
	})
}

// TestAutoRefreshIntervalZero: auto_refresh_interval 0 slides on every
// request (drf-authentify refused 0, §e.10).
func TestAutoRefreshIntervalZero(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		clk := newClock(t0)
		svc, pool := newEngineService(t, e, auth.WithClock(clk.Now), autoSettings(func(s *runtime.Settings) { s.AutoRefreshInterval = 0 }))
		user := newUser(t, pool, "alice")
		iss := issue(t, svc, user, "phone")
		for i := 1; i <= 3; i++ {
			clk.Advance(time.Second)
			tok, err := authHeader(t, svc, iss)
			if err != nil {
				t.Fatal(err)
			}
			wantTime(t, fmt.Sprintf("request %d", i), tok.ExpiresAt, at(2*time.Hour+time.Duration(i)*time.Second))
		}
	})
}

// TestAutoRefreshCappedAtMaxTTL: near the end of the session the expiry is
// capped at CreatedAt + auto_refresh_max_ttl rather than not extended at all
// (drf-authentify skipped, §c.2, §e.12), and the session then ends.
func TestAutoRefreshCappedAtMaxTTL(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		clk := newClock(t0)
		svc, pool := newEngineService(t, e, auth.WithClock(clk.Now), autoSettings(func(s *runtime.Settings) { s.AutoRefreshMaxTTL, s.AutoRefreshInterval = 3*time.Hour, 0 }))
		user := newUser(t, pool, "alice")
		iss := issue(t, svc, user, "phone")
		wantTime(t, "RefreshUntil capped at issue", iss.Token.RefreshUntil, at(3*time.Hour))
		clk.Advance(90 * time.Minute)
		tok, err := authHeader(t, svc, iss)
		if err != nil {
			t.Fatal(err)
		}
		wantTime(t, "capped slide", tok.ExpiresAt, at(3*time.Hour)) // not t0+3h30, not t0+2h
		wantTime(t, "LastRefreshedAt", &tok.LastRefreshedAt, at(90*time.Minute))
		clk.Advance(89 * time.Minute)
		if tok, err = authHeader(t, svc, iss); err != nil {
			t.Fatal(err)
		}
		wantTime(t, "at the cap", tok.ExpiresAt, at(3*time.Hour))
		clk.Advance(time.Minute) // t0+3h
		_, err = authHeader(t, svc, iss)
		wantReason(t, "past max ttl", err, runtime.ReasonExpired)
		_, err = svc.RefreshToken(t.Context(), iss.RefreshToken.Reveal())
		wantReason(t, "refresh past max ttl", err, runtime.ReasonExpired)
	})
}

// TestAutoRefreshNeverShortens: a token whose expiry lies beyond what a
// slide would give keeps it; it slides only once sliding would lengthen it
// (drf-authentify shortened it to TOKEN_TTL, §e.14). The row is one from
// before sessions stored their own TTLs (slides use the settings' 2h);
// a session's own TTLs are TestSessionKeepsItsOwnTTLs's.
func TestAutoRefreshNeverShortens(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		clk := newClock(t0)
		var slides atomic.Int32
		svc, pool := newEngineService(t, e, auth.WithClock(clk.Now), autoSettings(func(s *runtime.Settings) { s.AutoRefreshInterval = 0 }),
			auth.WithPostAutoRefresh(func(_ *http.Request, tok auth.Token) (auth.Token, error) { slides.Add(1); return tok, nil }))
		user := newUser(t, pool, "alice")
		iss := issue(t, svc, user, "phone", auth.WithAccessTTL(10*time.Hour))
		pool.mustExec(t, `UPDATE auth_tokens SET access_ttl_ns = NULL WHERE id = $1`, iss.Token.ID)
		orig := readRow(t, pool, iss.Token.ID)
		clk.Advance(time.Hour)
		tok, err := authHeader(t, svc, iss)
		if err != nil {
			t.Fatal(err)
		}
		wantTime(t, "ExpiresAt", tok.ExpiresAt, at(10*time.Hour))
		if r := readRow(t, pool, iss.Token.ID); !reflect.DeepEqual(r, orig) || slides.Load() != 0 {
			t.Errorf("a slide that would shorten the token was written")
		}
		clk.Advance(8 * time.Hour) // t0+9h: now+2h = t0+11h > t0+10h
		if tok, err = authHeader(t, svc, iss); err != nil {
			t.Fatal(err)
		}
		wantTime(t, "lengthening slide", tok.ExpiresAt, at(11*time.Hour))
		if slides.Load() != 1 {
			t.Errorf("PostAutoRefresh ran %d times, want 1", slides.Load())
		}
	})
}

// TestAutoRefreshSkipsNeverExpiring: a token that never expires is never
// made expiring by auto-refresh (drf-authentify did, §e.14) and gets no
// refresh window.
func TestAutoRefreshSkipsNeverExpiring(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		clk := newClock(t0)
		unbounded, pool := newEngineService(t, e, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) { s.AutoRefreshMaxTTL = runtime.Never }))
		user := newUser(t, pool, "alice")
		iss := issue(t, unbounded, user, "kiosk", auth.WithAccessTTL(runtime.Never), auth.WithRefreshTTL(runtime.Never))
		if iss.Token.ExpiresAt != nil {
			t.Fatalf("ExpiresAt = %v, want nil", iss.Token.ExpiresAt)
		}
		var slides atomic.Int32
		svc, err := pool.newService(auth.WithClock(clk.Now), autoSettings(func(s *runtime.Settings) { s.AutoRefreshInterval = 0 }),
			auth.WithPostAutoRefresh(func(_ *http.Request, tok auth.Token) (auth.Token, error) { slides.Add(1); return tok, nil }))
		if err != nil {
			t.Fatal(err)
		}
		orig := readRow(t, pool, iss.Token.ID)
		for _, d := range []time.Duration{time.Hour, 1000 * time.Hour} {
			clk.Advance(d)
			tok, err := authHeader(t, svc, iss)
			if err != nil {
				t.Fatal(err)
			}
			if tok.ExpiresAt != nil || tok.RefreshUntil != nil {
				t.Errorf("never-expiring token got ExpiresAt %v, RefreshUntil %v", fmtTime(tok.ExpiresAt), fmtTime(tok.RefreshUntil))
			}
		}
		if r := readRow(t, pool, iss.Token.ID); !reflect.DeepEqual(r, orig) || slides.Load() != 0 {
			t.Errorf("the never-expiring row was written (%d hook calls)", slides.Load())
		}
	})
}

// TestAutoRefreshSkipsRevoked: a revoked row is refused before any slide and
// is never written (drf-authentify's stale auto-refresh could revive it,
// §e.2); a deleted row is a plain 401 invalid, never a 500 (§e.3).
func TestAutoRefreshSkipsRevoked(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		for _, keep := range []bool{false, true} {
			t.Run(fmt.Sprintf("keep=%v", keep), func(t *testing.T) {
				t.Parallel()
				clk := newClock(t0)
				var slides atomic.Int32
				svc, pool := newEngineService(t, e, auth.WithClock(clk.Now), autoSettings(func(s *runtime.Settings) { s.AutoRefreshInterval = 0; s.KeepExpiredTokens = keep }),
					auth.WithPostAutoRefresh(func(_ *http.Request, tok auth.Token) (auth.Token, error) { slides.Add(1); return tok, nil }))
				user := newUser(t, pool, "alice")
				iss := issue(t, svc, user, "phone")
				clk.Advance(time.Minute)
				if n, err := svc.RevokeAllUserTokens(t.Context(), user); err != nil || n != 1 {
					t.Fatal(n, err)
				}
				orig := readRow(t, pool, iss.Token.ID)
				want := runtime.ReasonInvalid
				if keep {
					want = runtime.ReasonRevoked
				}
				for i := 0; i < 3; i++ {
					clk.Advance(time.Minute)
					_, err := authHeader(t, svc, iss)
					wantReason(t, "revoked", err, want)
					if runtime.HTTPStatus(err) != http.StatusUnauthorized {
						t.Errorf("status %d, want 401", runtime.HTTPStatus(err))
					}
				}
				if r := readRow(t, pool, iss.Token.ID); !reflect.DeepEqual(r, orig) || slides.Load() != 0 {
					t.Errorf("a revoked row was slid: %+v → %+v", orig, r)
				}
			})
		}
	})
}

// TestSchemaIndexes: the table has the indexes every hot or batch query
// needs, including expires_at for cleanup (drf-authentify had none, §e.28).
func TestSchemaIndexes(t *testing.T) {
	t.Parallel()
	_, pool := newService(t)
	rows, err := pool.Query(t.Context(), `SELECT indexdef FROM pg_indexes WHERE tablename = 'auth_tokens'`)
	if err != nil {
		t.Fatal(err)
	}
	defs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(defs, "\n")
	for _, want := range []string{
		"UNIQUE INDEX auth_tokens_access_hash_key ON public.auth_tokens USING btree (access_hash)",
		"UNIQUE INDEX auth_tokens_refresh_hash_key ON public.auth_tokens USING btree (refresh_hash)",
		"USING btree (user_id)",
		"USING btree (expires_at)",
		"USING btree (prev_refresh_hash)",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no index %q in:\n%s", want, all)
		}
	}
}
