package auth_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/runtime"
)

// TestReplayOfAnOlderRefreshTokenRevokesTheSession: a refresh token retired
// two or more rotations ago is theft even inside the grace window (only the
// immediately previous token can be a benign race): the session is revoked
// and the reuse hook runs. The history holds 32 generations (the previous
// token plus 31 retired ones); older tokens are merely unknown.
func TestReplayOfAnOlderRefreshTokenRevokesTheSession(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		for _, keep := range []bool{false, true} {
			t.Run(map[bool]string{false: "delete", true: "keep"}[keep], func(t *testing.T) {
				t.Parallel()
				clk := newClock(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC))
				var reused atomic.Int32
				svc, pool := newEngineService(t, e, auth.WithClock(clk.Now),
					auth.WithOnReuseDetected(func(context.Context, auth.Token) { reused.Add(1) }),
					settings(func(s *runtime.Settings) { s.KeepExpiredTokens = keep }))
				user := newUser(t, pool, "older-replay")
				ctx := t.Context()
				r0, err := svc.GenerateHeaderToken(ctx, user, auth.Context{Device: "phone"})
				if err != nil {
					t.Fatal(err)
				}
				r1, err := svc.RefreshToken(ctx, r0.RefreshToken.Reveal())
				if err != nil {
					t.Fatal(err)
				}
				r2, err := svc.RefreshToken(ctx, r1.RefreshToken.Reveal())
				if err != nil {
					t.Fatal(err)
				}
				// Still inside the grace window of the last rotation.
				_, err = svc.RefreshToken(ctx, r0.RefreshToken.Reveal())
				if got := runtime.ReasonOf(err); got != runtime.ReasonRefreshReused {
					t.Fatalf("replaying a token two rotations old: reason %q (%v), want refresh_reused", got, err)
				}
				if reused.Load() != 1 {
					t.Errorf("reuse hook ran %d times, want 1", reused.Load())
				}
				if _, err := svc.VerifyToken(ctx, r2.AccessToken.Reveal(), runtime.TransportHeader); err == nil {
					t.Error("the session's current access token still works after theft was detected")
				}
				if _, err := svc.RefreshToken(ctx, r2.RefreshToken.Reveal()); err == nil {
					t.Error("the session's current refresh token still works after theft was detected")
				}
				if keep {
					var reason string
					if err := pool.QueryRow(ctx, `SELECT revoke_reason FROM auth_tokens WHERE id = $1`, r0.Token.ID).Scan(&reason); err != nil || reason != runtime.RevokedRefreshReuse {
						t.Errorf("revoke_reason = %q (%v), want %q", reason, err, runtime.RevokedRefreshReuse)
					}
				}
			})
		}
	})
}

// TestRefreshHistoryIsBounded: after 33 rotations the first refresh token has
// left the history, so replaying it is "invalid" and does not revoke, while
// the 32nd-newest retired token is still recognised.
func TestRefreshHistoryIsBounded(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		clk := newClock(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC))
		svc, pool := newEngineService(t, e, auth.WithClock(clk.Now))
		user := newUser(t, pool, "bounded-history")
		ctx := t.Context()
		first, err := svc.GenerateHeaderToken(ctx, user, auth.Context{Device: "phone"})
		if err != nil {
			t.Fatal(err)
		}
		tokens := []auth.Issued{first}
		for i := 0; i < 33; i++ {
			next, err := svc.RefreshToken(ctx, tokens[len(tokens)-1].RefreshToken.Reveal())
			if err != nil {
				t.Fatalf("rotation %d: %v", i+1, err)
			}
			tokens = append(tokens, next)
		}
		var n int
		if err := pool.QueryRow(ctx, pool.pick(`SELECT cardinality(retired_refresh_hashes) FROM auth_tokens WHERE id = $1`,
			`SELECT count(*) FROM auth_tokens_retired WHERE token_id = $1`), first.Token.ID).Scan(&n); err != nil || n != 31 {
			t.Fatalf("retired history holds %d hashes (%v), want 31", n, err)
		}
		if _, err := svc.RefreshToken(ctx, tokens[0].RefreshToken.Reveal()); runtime.ReasonOf(err) != runtime.ReasonInvalid {
			t.Fatalf("token 33 rotations old: %v, want invalid", err)
		}
		if _, err := svc.VerifyToken(ctx, tokens[33].AccessToken.Reveal(), runtime.TransportHeader); err != nil {
			t.Fatalf("an unknown old token revoked the session: %v", err)
		}
		if _, err := svc.RefreshToken(ctx, tokens[1].RefreshToken.Reveal()); runtime.ReasonOf(err) != runtime.ReasonRefreshReused {
			t.Fatalf("token 32 rotations old: %v, want refresh_reused", err)
		}
	})
}
