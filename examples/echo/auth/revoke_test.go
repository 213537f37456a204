package auth_test

// Revocation on every path, sessions, cleanup.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/runtime"
)

// ---------------------------------------------------------------- revoke

// TestRevokeToken: logout of one token, soft or hard per
// keep_expired_tokens (drf-authentify always hard-deleted, §e.7), and
// ErrNotFound for a token already gone.
func TestRevokeToken(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		for _, keep := range []bool{false, true} {
			t.Run(fmt.Sprintf("keep=%v", keep), func(t *testing.T) {
				t.Parallel()
				clk := newClock(t0)
				svc, pool := newEngineService(t, e, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) { s.KeepExpiredTokens = keep }))
				user := newUser(t, pool, "alice")
				a := issue(t, svc, user, "a")
				b := issueCookie(t, svc, user, "b")
				clk.Advance(time.Minute)
				if err := svc.RevokeToken(t.Context(), a.Token); err != nil {
					t.Fatalf("RevokeToken: %v", err)
				}
				checkRevoked(t, pool, a.Token.ID, keep, runtime.RevokedLogout, t0.Add(time.Minute))
				if err := svc.RevokeToken(t.Context(), a.Token); !errors.Is(err, runtime.ErrNotFound) {
					t.Errorf("second RevokeToken: %v, want ErrNotFound", err)
				}
				if _, err := svc.VerifyToken(t.Context(), b.AccessToken.Reveal(), runtime.TransportCookie); err != nil {
					t.Errorf("the other token was touched: %v", err)
				}
				if _, err := svc.RefreshToken(t.Context(), a.RefreshToken.Reveal()); err == nil {
					t.Error("the revoked token's refresh token still works")
				}
			})
		}
	})
}

// checkRevoked asserts how row id was revoked: kept with revoked_at = when
// and revoke_reason = reason (keep), or deleted.
func checkRevoked(t *testing.T, pool *testDB, id int64, keep bool, reason string, when time.Time) {
	t.Helper()
	r := readRow(t, pool, id)
	if !keep {
		if r.Exists {
			t.Errorf("row %d kept (revoked_at %v), want deleted", id, fmtTime(r.RevokedAt))
		}
		return
	}
	if !r.Exists {
		t.Errorf("row %d deleted, want kept with revoked_at", id)
		return
	}
	if r.RevokedAt == nil || !r.RevokedAt.Equal(when) || r.RevokeReason == nil || *r.RevokeReason != reason {
		var got string
		if r.RevokeReason != nil {
			got = *r.RevokeReason
		}
		t.Errorf("row %d: revoked_at %s reason %q, want %s %q", id, fmtTime(r.RevokedAt), got, when.Format(time.RFC3339Nano), reason)
	}
}

// TestRevokeAllUserTokens: logout everywhere revokes both transports of the
// user, returns the count, and leaves other users alone.
func TestRevokeAllUserTokens(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		for _, keep := range []bool{false, true} {
			t.Run(fmt.Sprintf("keep=%v", keep), func(t *testing.T) {
				t.Parallel()
				clk := newClock(t0)
				svc, pool := newEngineService(t, e, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) { s.KeepExpiredTokens = keep }))
				alice, bob := newUser(t, pool, "alice"), newUser(t, pool, "bob")
				mine := []auth.Issued{issue(t, svc, alice, "a1"), issueCookie(t, svc, alice, "a2"), issue(t, svc, alice, "a3")}
				theirs := []auth.Issued{issue(t, svc, bob, "b1"), issueCookie(t, svc, bob, "b2")}
				n, err := svc.RevokeAllUserTokens(t.Context(), alice)
				if err != nil || n != 3 {
					t.Fatalf("RevokeAllUserTokens = %d, %v; want 3", n, err)
				}
				for _, iss := range mine {
					checkRevoked(t, pool, iss.Token.ID, keep, runtime.RevokedLogoutAll, t0)
					_, err := svc.VerifyToken(t.Context(), iss.AccessToken.Reveal(), runtime.AnyTransport)
					if err == nil {
						t.Errorf("token %d still authenticates", iss.Token.ID)
					}
				}
				for _, iss := range theirs {
					if _, err := svc.VerifyToken(t.Context(), iss.AccessToken.Reveal(), runtime.AnyTransport); err != nil {
						t.Errorf("bob's token %d: %v", iss.Token.ID, err)
					}
				}
				if n, err := svc.RevokeAllUserTokens(t.Context(), alice); err != nil || n != 0 {
					t.Errorf("second RevokeAllUserTokens = %d, %v; want 0, nil", n, err)
				}
				if n, err := svc.RevokeAllUserTokens(t.Context(), 987654); err != nil || n != 0 {
					t.Errorf("RevokeAllUserTokens(unknown user) = %d, %v; want 0, nil", n, err)
				}
			})
		}
	})
}

// TestRevokeAllExpiredUserTokens: only the user's sessions that are over
// (access expired and no open refresh window) are revoked; in keep mode a
// row already revoked keeps its original reason (drf-authentify deleted the
// audit rows, §e.7).
func TestRevokeAllExpiredUserTokens(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		for _, keep := range []bool{false, true} {
			t.Run(fmt.Sprintf("keep=%v", keep), func(t *testing.T) {
				t.Parallel()
				clk := newClock(t0)
				svc, pool := newEngineService(t, e, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) { s.KeepExpiredTokens = keep }))
				alice, bob := newUser(t, pool, "alice"), newUser(t, pool, "bob")
				over1 := issue(t, svc, alice, "over1", auth.WithAccessTTL(time.Hour), auth.WithRefreshTTL(runtime.Never))
				over2 := issueCookie(t, svc, alice, "over2", auth.WithAccessTTL(time.Hour), auth.WithRefreshTTL(90*time.Minute))
				refreshable := issue(t, svc, alice, "refreshable", auth.WithAccessTTL(time.Hour))
				live := issue(t, svc, alice, "live")
				loggedOut := issue(t, svc, alice, "logged out", auth.WithAccessTTL(time.Hour), auth.WithRefreshTTL(runtime.Never))
				bobs := issue(t, svc, bob, "bob", auth.WithAccessTTL(time.Hour), auth.WithRefreshTTL(runtime.Never))
				if err := svc.RevokeToken(t.Context(), loggedOut.Token); err != nil {
					t.Fatal(err)
				}
				clk.Advance(2 * time.Hour)
				n, err := svc.RevokeAllExpiredUserTokens(t.Context(), alice)
				// over1 and over2; the logged-out row is already revoked (or gone).
				if err != nil || n != 2 {
					t.Fatalf("RevokeAllExpiredUserTokens = %d, %v; want 2", n, err)
				}
				for _, iss := range []auth.Issued{over1, over2} {
					checkRevoked(t, pool, iss.Token.ID, keep, runtime.RevokedExpired, t0.Add(2*time.Hour))
				}
				if keep {
					checkRevoked(t, pool, loggedOut.Token.ID, true, runtime.RevokedLogout, t0)
				}
				for _, iss := range []auth.Issued{refreshable, live, bobs} {
					if r := readRow(t, pool, iss.Token.ID); !r.Exists || r.RevokedAt != nil {
						t.Errorf("row %q touched: %+v", iss.Token.Context.Device, r)
					}
				}
				if _, err := svc.RefreshToken(t.Context(), refreshable.RefreshToken.Reveal()); err != nil {
					t.Errorf("refreshable session: %v", err)
				}
				if n, err := svc.RevokeAllExpiredUserTokens(t.Context(), alice); err != nil || n != 0 {
					t.Errorf("second call = %d, %v; want 0", n, err)
				}
			})
		}
	})
}

// TestRevokeExpiredTokensBatched: the cleanup revokes every session that is
// over, across users, in batches of 1000 until done, returns the total, and
// never touches a live session or a session with an open refresh window.
func TestRevokeExpiredTokensBatched(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		const copies = 2496 // + 4 issued = 2500 over, more than two batches
		for _, keep := range []bool{false, true} {
			t.Run(fmt.Sprintf("keep=%v", keep), func(t *testing.T) {
				t.Parallel()
				clk := newClock(t0)
				var events []runtime.RevokeEvent
				svc, pool := newEngineService(t, e, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) { s.KeepExpiredTokens = keep }),
					auth.WithOnRevoke(func(_ context.Context, ev runtime.RevokeEvent) { events = append(events, ev) }))
				alice, bob := newUser(t, pool, "alice"), newUser(t, pool, "bob")
				src := issue(t, svc, alice, "src", auth.WithAccessTTL(time.Hour), auth.WithRefreshTTL(runtime.Never))
				issue(t, svc, alice, "a2", auth.WithAccessTTL(time.Hour), auth.WithRefreshTTL(2*time.Hour))
				issueCookie(t, svc, bob, "b1", auth.WithAccessTTL(time.Hour), auth.WithRefreshTTL(runtime.Never))
				issue(t, svc, bob, "b2", auth.WithAccessTTL(2*time.Hour), auth.WithRefreshTTL(3*time.Hour))
				refreshable := issue(t, svc, bob, "refreshable", auth.WithAccessTTL(time.Hour), auth.WithRefreshTTL(48*time.Hour))
				pool.mustExec(t, pool.pick(`INSERT INTO auth_tokens (user_id, auth_type, access_hash, context, created_at, last_refreshed_at, expires_at)
					SELECT t.user_id, t.auth_type, sha256(t.access_hash || int4send(g)), t.context, t.created_at, t.last_refreshed_at, t.expires_at
					FROM auth_tokens t CROSS JOIN generate_series(1, $2::int) g WHERE t.id = $1`,
					`WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ?2)
					INSERT INTO auth_tokens (user_id, auth_type, access_hash, context, created_at, last_refreshed_at, expires_at)
					SELECT t.user_id, t.auth_type, CAST(hex(t.access_hash) || '-' || g.n AS BLOB), t.context, t.created_at, t.last_refreshed_at, t.expires_at
					FROM auth_tokens t CROSS JOIN g WHERE t.id = ?1`), src.Token.ID, copies)
				clk.Advance(3 * time.Hour)
				live := issue(t, svc, alice, "live")
				n, err := svc.RevokeExpiredTokens(t.Context())
				if err != nil || n != copies+4 {
					t.Fatalf("RevokeExpiredTokens = %d, %v; want %d", n, err, copies+4)
				}
				if len(events) != 1 || events[0].Count != n || events[0].Reason != runtime.RevokedExpired || events[0].Soft != keep || events[0].Scope != runtime.ScopeExpired {
					t.Errorf("OnRevoke events = %+v, want one expired event with count %d", events, n)
				}
				if keep {
					if got := countRows(t, pool, "revoked_at = $1 AND revoke_reason = 'expired'", t0.Add(3*time.Hour)); got != n {
						t.Errorf("%d rows soft-revoked as expired, want %d", got, n)
					}
					if got := countRows(t, pool, "true"); got != n+2 {
						t.Errorf("%d rows in all, want %d (all kept)", got, n+2)
					}
				} else if got := countRows(t, pool, "true"); got != 2 {
					t.Errorf("%d rows left, want 2 (live and refreshable)", got)
				}
				for _, iss := range []auth.Issued{live, refreshable} {
					if r := readRow(t, pool, iss.Token.ID); !r.Exists || r.RevokedAt != nil {
						t.Errorf("session %q touched by cleanup", iss.Token.Context.Device)
					}
				}
				if n, err := svc.RevokeExpiredTokens(t.Context()); err != nil || n != 0 {
					t.Errorf("second cleanup = %d, %v; want 0", n, err)
				}
			})
		}
	})
}

// TestListSessions: only live sessions (not revoked; access valid, never
// expiring, or refresh window still open), newest first, with typed context,
// and only the caller's.
func TestListSessions(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		clk := newClock(t0)
		svc, pool := newEngineService(t, e, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) { s.KeepExpiredTokens = true }))
		alice, bob := newUser(t, pool, "alice"), newUser(t, pool, "bob")
		ip := netip.MustParseAddr("2001:db8::7")
		over := issue(t, svc, alice, "over", auth.WithAccessTTL(time.Hour), auth.WithRefreshTTL(runtime.Never))
		clk.Advance(time.Minute)
		refreshable, err := svc.GenerateCookieToken(t.Context(), alice, auth.Context{Device: "laptop", IPAddress: ip, AppVersion: "3.0", BetaFeatures: true},
			auth.WithAccessTTL(time.Hour), auth.WithRefreshTTL(48*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Minute)
		revoked := issue(t, svc, alice, "revoked")
		if err := svc.RevokeToken(t.Context(), revoked.Token); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Minute)
		phone := issue(t, svc, alice, "phone")
		issue(t, svc, bob, "bob's")
		clk.Advance(time.Minute)
		tablet := issue(t, svc, alice, "tablet")
		clk.Advance(2 * time.Hour) // over and refreshable's access tokens have expired

		got, _, err := svc.ListSessions(t.Context(), alice, 0, runtime.SessionCursor{})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, s := range got {
			ids = append(ids, s.Context.Device)
		}
		if want := []string{"tablet", "phone", "laptop"}; !slices.Equal(ids, want) {
			t.Fatalf("ListSessions = %v, want %v (newest first, live only)", ids, want)
		}
		laptop := got[2]
		if laptop.ID != refreshable.Token.ID || laptop.Context.IPAddress != ip || laptop.Context.AppVersion != "3.0" || !laptop.Context.BetaFeatures || laptop.Transport != runtime.TransportCookie {
			t.Errorf("typed session = %+v", laptop)
		}
		if got[0].ID != tablet.Token.ID || got[1].ID != phone.Token.ID {
			t.Errorf("ids = %d, %d; want %d, %d", got[0].ID, got[1].ID, tablet.Token.ID, phone.Token.ID)
		}
		_ = over
		if got, _, err := svc.ListSessions(t.Context(), 987654, 0, runtime.SessionCursor{}); err != nil || len(got) != 0 {
			t.Errorf("ListSessions(unknown) = %v, %v", got, err)
		}
	})
}

// TestRevokeSession: a user revokes one of their own sessions; another
// user's session, an unknown id or a revoked one is ErrNotFound (HTTP 404 in
// the app) and nothing changes.
func TestRevokeSession(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		for _, keep := range []bool{false, true} {
			t.Run(fmt.Sprintf("keep=%v", keep), func(t *testing.T) {
				t.Parallel()
				clk := newClock(t0)
				svc, pool := newEngineService(t, e, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) { s.KeepExpiredTokens = keep }))
				alice, bob := newUser(t, pool, "alice"), newUser(t, pool, "bob")
				a1, a2 := issue(t, svc, alice, "a1"), issueCookie(t, svc, alice, "a2")
				b1 := issue(t, svc, bob, "b1")
				if err := svc.RevokeSession(t.Context(), alice, b1.Token.ID); !errors.Is(err, runtime.ErrNotFound) {
					t.Errorf("revoking bob's session as alice: %v, want ErrNotFound", err)
				}
				if r := readRow(t, pool, b1.Token.ID); !r.Exists || r.RevokedAt != nil {
					t.Errorf("bob's session was touched")
				}
				if err := svc.RevokeSession(t.Context(), alice, 1<<40); !errors.Is(err, runtime.ErrNotFound) {
					t.Errorf("unknown id: %v, want ErrNotFound", err)
				}
				if err := svc.RevokeSession(t.Context(), alice, a2.Token.ID); err != nil {
					t.Fatalf("RevokeSession: %v", err)
				}
				checkRevoked(t, pool, a2.Token.ID, keep, runtime.RevokedLogout, t0)
				if err := svc.RevokeSession(t.Context(), alice, a2.Token.ID); !errors.Is(err, runtime.ErrNotFound) {
					t.Errorf("revoking twice: %v, want ErrNotFound", err)
				}
				if _, err := svc.VerifyToken(t.Context(), a1.AccessToken.Reveal(), runtime.TransportHeader); err != nil {
					t.Errorf("a1: %v", err)
				}
				if s, _, _ := svc.ListSessions(t.Context(), alice, 0, runtime.SessionCursor{}); len(s) != 1 || s[0].ID != a1.Token.ID {
					t.Errorf("sessions after revoke = %v", s)
				}
			})
		}
	})
}

// TestRevokeOtherSessions: "log out other devices" keeps one session and
// revokes the user's others, returning the count, leaving other users alone.
func TestRevokeOtherSessions(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		for _, keep := range []bool{false, true} {
			t.Run(fmt.Sprintf("keep=%v", keep), func(t *testing.T) {
				t.Parallel()
				clk := newClock(t0)
				svc, pool := newEngineService(t, e, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) { s.KeepExpiredTokens = keep }))
				alice, bob := newUser(t, pool, "alice"), newUser(t, pool, "bob")
				current := issue(t, svc, alice, "current")
				others := []auth.Issued{issueCookie(t, svc, alice, "o1"), issue(t, svc, alice, "o2"), issue(t, svc, alice, "o3")}
				b1 := issue(t, svc, bob, "b1")
				n, err := svc.RevokeOtherSessions(t.Context(), alice, current.Token.ID)
				if err != nil || n != 3 {
					t.Fatalf("RevokeOtherSessions = %d, %v; want 3", n, err)
				}
				for _, o := range others {
					checkRevoked(t, pool, o.Token.ID, keep, runtime.RevokedLogoutAll, t0)
				}
				for _, iss := range []auth.Issued{current, b1} {
					if _, err := svc.VerifyToken(t.Context(), iss.AccessToken.Reveal(), runtime.TransportHeader); err != nil {
						t.Errorf("%s: %v", iss.Token.Context.Device, err)
					}
				}
				if n, err := svc.RevokeOtherSessions(t.Context(), alice, current.Token.ID); err != nil || n != 0 {
					t.Errorf("second call = %d, %v; want 0", n, err)
				}
				// Bob cannot use alice's id to keep: nothing is revoked (issue 8).
				if n, err := svc.RevokeOtherSessions(t.Context(), bob, current.Token.ID); !errors.Is(err, runtime.ErrNotFound) || n != 0 {
					t.Errorf("RevokeOtherSessions(bob, alice's id) = %d, %v; want 0, ErrNotFound", n, err)
				}
				if _, err := svc.VerifyToken(t.Context(), b1.AccessToken.Reveal(), runtime.TransportHeader); err != nil {
					t.Errorf("bob's session was revoked by a refused call: %v", err)
				}
				if _, err := svc.VerifyToken(t.Context(), current.AccessToken.Reveal(), runtime.TransportHeader); err != nil {
					t.Errorf("alice's current session was touched by bob: %v", err)
				}
			})
		}
	})
}

// TestRevocationModeOnEveryPath: keep_expired_tokens true keeps the row with
// revoked_at and revoke_reason on every revocation path, false deletes it on
// every path (drf-authentify applied the setting to two paths only, §c.4,
// §e.7). Either way the token never works again.
func TestRevocationModeOnEveryPath(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		type env struct {
			svc    *auth.Service
			clk    *clock
			user   int64
			target auth.Issued
			// current is the session's access token, if act rotated it.
			current *string
		}
		paths := []struct {
			name   string
			reason string
			mod    func(*runtime.Settings)
			opts   []auth.IssueOption // for the target token
			act    func(t *testing.T, e env)
		}{
			{name: "RevokeToken", reason: runtime.RevokedLogout, act: func(t *testing.T, e env) {
				if err := e.svc.RevokeToken(t.Context(), e.target.Token); err != nil {
					t.Fatal(err)
				}
			}},
			{name: "RevokeSession", reason: runtime.RevokedLogout, act: func(t *testing.T, e env) {
				if err := e.svc.RevokeSession(t.Context(), e.user, e.target.Token.ID); err != nil {
					t.Fatal(err)
				}
			}},
			{name: "RevokeAllUserTokens", reason: runtime.RevokedLogoutAll, act: func(t *testing.T, e env) {
				if n, err := e.svc.RevokeAllUserTokens(t.Context(), e.user); err != nil || n != 1 {
					t.Fatal(n, err)
				}
			}},
			{name: "RevokeOtherSessions", reason: runtime.RevokedLogoutAll, act: func(t *testing.T, e env) {
				keep := issue(t, e.svc, e.user, "kept")
				if n, err := e.svc.RevokeOtherSessions(t.Context(), e.user, keep.Token.ID); err != nil || n != 1 {
					t.Fatal(n, err)
				}
			}},
			{name: "RevokeAllExpiredUserTokens", reason: runtime.RevokedExpired,
				opts: []auth.IssueOption{auth.WithAccessTTL(time.Minute), auth.WithRefreshTTL(runtime.Never)},
				act: func(t *testing.T, e env) {
					if n, err := e.svc.RevokeAllExpiredUserTokens(t.Context(), e.user); err != nil || n != 1 {
						t.Fatal(n, err)
					}
				}},
			{name: "RevokeExpiredTokens", reason: runtime.RevokedExpired,
				opts: []auth.IssueOption{auth.WithAccessTTL(time.Minute), auth.WithRefreshTTL(2 * time.Minute)},
				act: func(t *testing.T, e env) {
					if n, err := e.svc.RevokeExpiredTokens(t.Context()); err != nil || n != 1 {
						t.Fatal(n, err)
					}
				}},
			{name: "single login", reason: runtime.RevokedSingleLogin, mod: func(s *runtime.Settings) { s.EnforceSingleLogin = true },
				act: func(t *testing.T, e env) { issueCookie(t, e.svc, e.user, "new login") }},
			{name: "refresh reuse", reason: runtime.RevokedRefreshReuse, act: func(t *testing.T, e env) {
				ref, err := e.svc.RefreshToken(t.Context(), e.target.RefreshToken.Reveal())
				if err != nil {
					t.Fatal(err)
				}
				*e.current = ref.AccessToken.Reveal() // the session's access token now
				e.clk.Advance(e.svc.Settings().RefreshGracePeriod + time.Microsecond)
				_, err = e.svc.RefreshToken(t.Context(), e.target.RefreshToken.Reveal())
				wantReason(t, "replay", err, runtime.ReasonRefreshReused)
			}},
		}
		for _, p := range paths {
			for _, keep := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/keep=%v", p.name, keep), func(t *testing.T) {
					t.Parallel()
					clk := newClock(t0)
					svc, pool := newEngineService(t, e, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) {
						s.KeepExpiredTokens = keep
						if p.mod != nil {
							p.mod(s)
						}
					}))
					user := newUser(t, pool, "alice")
					target := issue(t, svc, user, "target", p.opts...)
					clk.Advance(5 * time.Minute)
					current := target.AccessToken.Reveal()
					p.act(t, env{svc: svc, clk: clk, user: user, target: target, current: &current})
					checkRevoked(t, pool, target.Token.ID, keep, p.reason, clk.Now())
					_, err := svc.VerifyToken(t.Context(), current, runtime.AnyTransport)
					if keep {
						wantReason(t, "verify kept row", err, runtime.ReasonRevoked)
					} else if err == nil {
						t.Error("a deleted token authenticates")
					}
				})
			}
		}
	})
}

// TestRevokedRowNeverAuthenticates: revocation does not depend on
// expires_at. A soft-revoked row whose expires_at and refresh_until are moved
// far into the future (or cleared) by hand never authenticates, never
// refreshes, is never auto-refreshed and is not listed (drf-authentify's
// revoked_at was write-only, §e.6).
func TestRevokedRowNeverAuthenticates(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		for _, expires := range []string{"'9999-01-01'::timestamptz", "NULL"} {
			t.Run(expires, func(t *testing.T) {
				t.Parallel()
				clk := newClock(t0)
				svc, pool := newEngineService(t, e, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) {
					s.KeepExpiredTokens = true
					s.AutoRefresh, s.AutoRefreshInterval = true, 0
				}))
				user := newUser(t, pool, "alice")
				iss := issue(t, svc, user, "phone")
				ck := issueCookie(t, svc, user, "web")
				for _, x := range []auth.Issued{iss, ck} {
					if err := svc.RevokeToken(t.Context(), x.Token); err != nil {
						t.Fatal(err)
					}
					// On SQLite, times are Unix microseconds.
					liteExpires := map[string]string{"NULL": "NULL"}[expires]
					if liteExpires == "" {
						liteExpires = "253370764800000000"
					}
					pool.mustExec(t, pool.pick(`UPDATE auth_tokens SET expires_at = `+expires+`, refresh_until = '9999-01-01' WHERE id = $1`,
						`UPDATE auth_tokens SET expires_at = `+liteExpires+`, refresh_until = 253370764800000000 WHERE id = $1`), x.Token.ID)
				}
				clk.Advance(time.Hour)
				before := readRow(t, pool, iss.Token.ID)
				_, err := svc.VerifyToken(t.Context(), iss.AccessToken.Reveal(), runtime.TransportHeader)
				wantReason(t, "VerifyToken", err, runtime.ReasonRevoked)
				_, _, err = svc.AuthenticateRequest(headerRequest("Bearer", iss.AccessToken.Reveal()))
				wantReason(t, "AuthenticateRequest", err, runtime.ReasonRevoked)
				r := httptest.NewRequest(http.MethodGet, "/", nil)
				r.AddCookie(&http.Cookie{Name: "token", Value: ck.AccessToken.Reveal()})
				_, _, err = svc.AuthenticateRequest(r)
				wantReason(t, "AuthenticateRequest cookie", err, runtime.ReasonRevoked)
				_, err = svc.RefreshToken(t.Context(), iss.RefreshToken.Reveal())
				wantReason(t, "RefreshToken", err, runtime.ReasonRevoked)
				if _, err := svc.UpdateColumns(t.Context(), iss.Token.ID, auth.Columns{TwoFactorVerified: ptr(true)}); !errors.Is(err, runtime.ErrNotFound) {
					t.Errorf("UpdateColumns on a revoked row: %v, want ErrNotFound", err)
				}
				if after := readRow(t, pool, iss.Token.ID); !reflect.DeepEqual(before, after) {
					t.Errorf("the revoked row changed: %+v → %+v", before, after)
				}
				if s, _, err := svc.ListSessions(t.Context(), user, 0, runtime.SessionCursor{}); err != nil || len(s) != 0 {
					t.Errorf("ListSessions = %v, %v; want none", s, err)
				}
			})
		}
	})
}
