package auth_test

import (
	"testing"
	"time"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/runtime"
)

// TestPurgeTokens: the retention job deletes audit rows (soft-revoked, or
// sessions over) older than the cutoff, keeps younger ones and live
// sessions, and works in keep_expired_tokens mode where nothing else deletes.
func TestPurgeTokens(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		clk := newClock(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
		svc, pool := newEngineService(t, e, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) {
			s.KeepExpiredTokens = true
			s.TokenTTL = time.Hour
			s.RefreshTokenTTL = 2 * time.Hour
		}))
		user := newUser(t, pool, "purge")
		ctx := t.Context()
		issue := func(device string, opts ...auth.IssueOption) auth.Issued {
			iss, err := svc.GenerateHeaderToken(ctx, user, auth.Context{Device: device}, opts...)
			if err != nil {
				t.Fatal(err)
			}
			return iss
		}
		// Revoked long ago but still unexpired: only revoked_at makes it old.
		oldRevoked := issue("old-revoked", auth.WithAccessTTL(20*24*time.Hour), auth.WithRefreshTTL(25*24*time.Hour))
		if err := svc.RevokeToken(ctx, oldRevoked.Token); err != nil {
			t.Fatal(err)
		}
		oldOver := issue("old-over") // its session is over after 2h
		clk.Advance(10 * 24 * time.Hour)
		newRevoked := issue("new-revoked")
		if err := svc.RevokeToken(ctx, newRevoked.Token); err != nil {
			t.Fatal(err)
		}
		live := issue("live")

		n, err := svc.PurgeTokens(ctx, 7*24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Errorf("PurgeTokens deleted %d rows, want 2 (old revoked, old over)", n)
		}
		for _, tc := range []struct {
			name string
			id   int64
			want int64
		}{
			{"old revoked", oldRevoked.Token.ID, 0},
			{"old over", oldOver.Token.ID, 0},
			{"new revoked", newRevoked.Token.ID, 1},
			{"live", live.Token.ID, 1},
		} {
			var got int64
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM auth_tokens WHERE id = $1`, tc.id).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("%s: %d rows left, want %d", tc.name, got, tc.want)
			}
		}
		if _, err := svc.VerifyToken(ctx, live.AccessToken.Reveal(), runtime.TransportHeader); err != nil {
			t.Errorf("live token after purge: %v", err)
		}
	})
}
