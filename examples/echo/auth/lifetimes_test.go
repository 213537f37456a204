package auth_test

// Issue 8 items 3, 4 and 6: a session keeps its own lifetimes through every
// refresh and slide, a refresh token is redeemed only over its session's
// transport, and each rotation draws a salt so that the secret key and an
// old refresh token cannot compute later tokens.

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/runtime"
)

// TestSessionKeepsItsOwnTTLs: a session issued with WithAccessTTL(5m) and
// WithRefreshTTL(1h) refreshes and slides by 5m and 1h, not by the
// settings' 1h and 2h; still capped by auto_refresh_max_ttl.
func TestSessionKeepsItsOwnTTLs(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		clk := newClock(start)
		svc, pool := newEngineService(t, e, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) {
			s.TokenTTL, s.RefreshTokenTTL = time.Hour, 2*time.Hour
			s.AutoRefresh, s.AutoRefreshInterval, s.AutoRefreshMaxTTL = true, time.Minute, 3*time.Hour
		}))
		user := newUser(t, pool, "alice")
		ctx := context.Background()
		iss, err := svc.GenerateHeaderToken(ctx, user, auth.Context{Device: "d"}, auth.WithAccessTTL(5*time.Minute), auth.WithRefreshTTL(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		wantTime(t, "issued expires_at", iss.Token.ExpiresAt, ptr(start.Add(5*time.Minute)))
		if iss.Token.AccessTTL != 5*time.Minute || iss.Token.RefreshTTL != time.Hour {
			t.Errorf("stored TTLs = %v, %v", iss.Token.AccessTTL, iss.Token.RefreshTTL)
		}

		clk.Advance(2 * time.Minute)
		ref, err := svc.RefreshToken(ctx, iss.RefreshToken.Reveal())
		if err != nil {
			t.Fatal(err)
		}
		wantTime(t, "refreshed expires_at", ref.Token.ExpiresAt, ptr(start.Add(7*time.Minute)))
		wantTime(t, "refreshed refresh_until", ref.Token.RefreshUntil, ptr(start.Add(62*time.Minute)))

		// Auto-refresh slides by the session's own 5m and 1h.
		clk.Advance(4 * time.Minute)
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Authorization", "Bearer "+ref.AccessToken.Reveal())
		slid, _, err := svc.AuthenticateRequest(req)
		if err != nil {
			t.Fatal(err)
		}
		wantTime(t, "slid expires_at", slid.ExpiresAt, ptr(start.Add(11*time.Minute)))
		wantTime(t, "slid refresh_until", slid.RefreshUntil, ptr(start.Add(66*time.Minute)))

		// Near the absolute end, both are capped at created_at + 3h.
		for i := 0; i < 43; i++ { // up to start+178m
			clk.Advance(4 * time.Minute)
			if _, _, err := svc.AuthenticateRequest(req); err != nil {
				t.Fatalf("slide %d: %v", i, err)
			}
		}
		tok, err := svc.VerifyToken(ctx, ref.AccessToken.Reveal(), runtime.TransportHeader)
		if err != nil {
			t.Fatal(err)
		}
		wantTime(t, "capped expires_at", tok.ExpiresAt, ptr(start.Add(3*time.Hour)))

		// A session issued without overrides (or a row from before they were
		// stored) follows the settings.
		old, err := svc.GenerateHeaderToken(ctx, user, auth.Context{Device: "old"})
		if err != nil {
			t.Fatal(err)
		}
		if old.Token.AccessTTL != 0 || old.Token.RefreshTTL != 0 {
			t.Errorf("a session without overrides stored own TTLs %v, %v", old.Token.AccessTTL, old.Token.RefreshTTL)
		}
		pool.mustExec(t, `UPDATE auth_tokens SET access_ttl_ns = NULL, refresh_ttl_ns = NULL WHERE id = $1`, old.Token.ID)
		clk.Advance(time.Minute)
		ref2, err := svc.RefreshToken(ctx, old.RefreshToken.Reveal(), auth.WithAccessTTL(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if ref2.Token.AccessTTL != time.Hour || ref2.Token.RefreshTTL != 0 {
			t.Errorf("legacy row refreshed with own TTLs %v, %v; want 1h (the override, kept) and none (the settings)", ref2.Token.AccessTTL, ref2.Token.RefreshTTL)
		}
		wantTime(t, "legacy row refreshed refresh_until", ref2.Token.RefreshUntil, ptr(clk.Now().Add(2*time.Hour)))
	})
}

// TestRefreshHonoursTheTransportRestriction: with enable_auth_restriction a
// cookie session's refresh token is refused over the header flow and a
// header session's over the cookie flow (401 wrong_transport, session left
// as it was); each refreshes through its own transport; without the
// restriction, and through RefreshToken (transport unknown), both work.
func TestRefreshHonoursTheTransportRestriction(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		for _, restrict := range []bool{true, false} {
			t.Run(map[bool]string{true: "restricted", false: "unrestricted"}[restrict], func(t *testing.T) {
				svc, pool := newEngineService(t, e, settings(func(s *runtime.Settings) { s.EnableAuthRestriction = restrict }))
				user := newUser(t, pool, "alice")
				ctx := context.Background()
				for _, tc := range []struct {
					own, other runtime.Transport
				}{{runtime.TransportCookie, runtime.TransportHeader}, {runtime.TransportHeader, runtime.TransportCookie}} {
					var iss auth.Issued
					var err error
					if tc.own == runtime.TransportCookie {
						iss, err = svc.GenerateCookieToken(ctx, user, auth.Context{Device: "d"})
					} else {
						iss, err = svc.GenerateHeaderToken(ctx, user, auth.Context{Device: "d"})
					}
					if err != nil {
						t.Fatal(err)
					}
					_, err = svc.RefreshTokenFrom(ctx, iss.RefreshToken.Reveal(), tc.other)
					if restrict {
						if runtime.ReasonOf(err) != runtime.ReasonWrongTransport || runtime.HTTPStatus(err) != http.StatusUnauthorized {
							t.Fatalf("%s session refreshed over %s: %v; want 401 wrong_transport", tc.own, tc.other, err)
						}
						// Nothing changed: the same token still refreshes over its own transport.
						if iss, err = svc.RefreshTokenFrom(ctx, iss.RefreshToken.Reveal(), tc.own); err != nil {
							t.Fatalf("%s session over its own transport: %v", tc.own, err)
						}
					} else if err != nil {
						t.Fatalf("unrestricted %s session over %s: %v", tc.own, tc.other, err)
					} else {
						continue
					}
					if _, err := svc.RefreshToken(ctx, iss.RefreshToken.Reveal()); err != nil {
						t.Errorf("RefreshToken (transport unknown) of a %s session: %v", tc.own, err)
					}
				}
			})
		}
	})
}

// TestRotationSaltDefeatsKeyPlusOldToken: with a secret key, the successors
// of a refresh token depend on a random salt drawn at each rotation and
// stored in the row, so the key and an old refresh token are not enough to
// compute them. (Racing refreshes inside the grace window still receive the
// same pair: TestConcurrentRefreshWithSecretKey… in guarantees_test.go.)
func TestRotationSaltDefeatsKeyPlusOldToken(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		key := []byte("0123456789abcdef0123456789abcdef")
		svc, pool := newEngineService(t, e, settings(func(s *runtime.Settings) { s.SecretKey = key }))
		user := newUser(t, pool, "alice")
		ctx := context.Background()
		iss, err := svc.GenerateHeaderToken(ctx, user, auth.Context{Device: "d"})
		if err != nil {
			t.Fatal(err)
		}
		tokens, err := runtime.NewTokens(auth.Prefix, svc.Settings())
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		cur := iss
		for i := 0; i < 3; i++ {
			next, err := svc.RefreshToken(ctx, cur.RefreshToken.Reveal())
			if err != nil {
				t.Fatal(err)
			}
			var salt []byte
			if err := pool.QueryRow(ctx, `SELECT rotation_salt FROM auth_tokens WHERE id = $1`, next.Token.ID).Scan(&salt); err != nil {
				t.Fatal(err)
			}
			if len(salt) != runtime.SaltLen || seen[string(salt)] {
				t.Fatalf("rotation %d stored salt %x; want %d fresh random bytes", i, salt, runtime.SaltLen)
			}
			seen[string(salt)] = true
			// What an attacker with the key and the old token can compute.
			for _, guess := range [][]byte{nil, {}, make([]byte, runtime.SaltLen)} {
				if a, _, _ := tokens.Successor(cur.RefreshToken.Reveal(), guess, runtime.KindAccess); a.Reveal() == next.AccessToken.Reveal() {
					t.Fatalf("rotation %d: the key and the old refresh token give the new access token", i)
				}
				if r, _, _ := tokens.Successor(cur.RefreshToken.Reveal(), guess, runtime.KindRefresh); r.Reveal() == next.RefreshToken.Reveal() {
					t.Fatalf("rotation %d: the key and the old refresh token give the new refresh token", i)
				}
			}
			// With the row's salt (which only the database holds) the
			// derivation is reproducible: that is how racers rejoin.
			if a, _, _ := tokens.Successor(cur.RefreshToken.Reveal(), salt, runtime.KindAccess); a.Reveal() != next.AccessToken.Reveal() {
				t.Fatalf("rotation %d: successor with the stored salt differs", i)
			}
			cur = next
		}
	})
}
