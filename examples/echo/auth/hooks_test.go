package auth_test

// Hooks: PostAuth, PostAutoRefresh, OnRevoke.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/runtime"
)

// ---------------------------------------------------------------- hooks

// TestPostAuthEnriches: a PostAuth hook receives the request and the token
// and may replace it — here it records the client's IP with UpdateColumns,
// which both the returned token and the row reflect.
func TestPostAuthEnriches(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		var svc *auth.Service
		var calls atomic.Int32
		svc, pool := newEngineService(t, e, auth.WithPostAuth(func(r *http.Request, tok auth.Token) (auth.Token, error) {
			calls.Add(1)
			ap, err := netip.ParseAddrPort(r.RemoteAddr)
			if err != nil {
				return tok, err
			}
			ip := ap.Addr()
			return svc.UpdateColumns(r.Context(), tok.ID, auth.Columns{LastUsedIP: &ip})
		}))
		user := newUser(t, pool, "alice")
		iss := issue(t, svc, user, "phone", auth.WithColumns(auth.Columns{TwoFactorVerified: ptr(true)}))
		req := headerRequest("Bearer", iss.AccessToken.Reveal())
		req.RemoteAddr = "203.0.113.5:4431"
		tok, _, err := svc.AuthenticateRequest(req)
		if err != nil {
			t.Fatal(err)
		}
		want := netip.MustParseAddr("203.0.113.5")
		if tok.LastUsedIP == nil || *tok.LastUsedIP != want || !tok.TwoFactorVerified || tok.Context.Device != "phone" {
			t.Errorf("enriched token = %+v", tok)
		}
		if got := mustVerify(t, svc, iss); got.LastUsedIP == nil || *got.LastUsedIP != want || !got.TwoFactorVerified {
			t.Errorf("stored token = %+v", got)
		}
		// VerifyToken runs no hooks; RefreshToken neither.
		if _, err := svc.RefreshToken(t.Context(), iss.RefreshToken.Reveal()); err != nil {
			t.Fatal(err)
		}
		if calls.Load() != 1 {
			t.Errorf("PostAuth ran %d times, want 1", calls.Load())
		}
	})
}

// TestPostAuthRejects: a hook error refuses the request as a 401 with
// ReasonRejected, keeping the hook's error in the chain; an *AuthError from
// the hook keeps its own reason.
func TestPostAuthRejects(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		errNo2FA := errors.New("second factor required")
		svc, pool := newEngineService(t, e, auth.WithPostAuth(func(r *http.Request, tok auth.Token) (auth.Token, error) {
			switch {
			case !tok.TwoFactorVerified:
				return tok, errNo2FA
			case tok.Context.Device == "expired-elsewhere":
				return tok, &runtime.AuthError{Reason: runtime.ReasonExpired}
			}
			return tok, nil
		}))
		user := newUser(t, pool, "alice")
		plain := issue(t, svc, user, "phone")
		verified := issue(t, svc, user, "laptop", auth.WithColumns(auth.Columns{TwoFactorVerified: ptr(true)}))
		other := issue(t, svc, user, "expired-elsewhere", auth.WithColumns(auth.Columns{TwoFactorVerified: ptr(true)}))

		tok, _, err := svc.AuthenticateRequest(headerRequest("Bearer", plain.AccessToken.Reveal()))
		wantReason(t, "rejected", err, runtime.ReasonRejected)
		if !errors.Is(err, errNo2FA) || runtime.HTTPStatus(err) != http.StatusUnauthorized || tok.ID != 0 {
			t.Errorf("err %v (status %d), token %d; want the hook's error, 401, no token", err, runtime.HTTPStatus(err), tok.ID)
		}
		if ch := runtime.ChallengeFor(err, ""); !strings.Contains(ch.Headers["WWW-Authenticate"], `error="invalid_token"`) {
			t.Errorf("challenge = %+v", ch)
		}
		_, _, err = svc.AuthenticateRequest(headerRequest("Bearer", other.AccessToken.Reveal()))
		wantReason(t, "hook's own AuthError", err, runtime.ReasonExpired)
		if _, _, err := svc.AuthenticateRequest(headerRequest("Bearer", verified.AccessToken.Reveal())); err != nil {
			t.Errorf("verified: %v", err)
		}
		// The rejection is per request; the token itself is untouched.
		if _, err := svc.VerifyToken(t.Context(), plain.AccessToken.Reveal(), runtime.TransportHeader); err != nil {
			t.Errorf("VerifyToken after a hook rejection: %v", err)
		}
	})
}

// TestPostAutoRefreshHook: PostAutoRefresh runs only when a slide happened,
// receives the slid token, and runs before PostAuth, which receives what it
// returned; its error refuses the request.
func TestPostAutoRefreshHook(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		clk := newClock(t0)
		var mu sync.Mutex
		var calls []string
		rejectSlide := false
		svc, pool := newEngineService(t, e, auth.WithClock(clk.Now), autoSettings(nil),
			auth.WithPostAutoRefresh(func(_ *http.Request, tok auth.Token) (auth.Token, error) {
				mu.Lock()
				defer mu.Unlock()
				calls = append(calls, "auto:"+fmtTime(tok.ExpiresAt))
				if rejectSlide {
					return tok, errors.New("slid on a blocked device")
				}
				tok.Context.AppVersion = "marked-by-auto-refresh"
				return tok, nil
			}),
			auth.WithPostAuth(func(_ *http.Request, tok auth.Token) (auth.Token, error) {
				mu.Lock()
				defer mu.Unlock()
				calls = append(calls, "auth:"+tok.Context.AppVersion)
				return tok, nil
			}))
		user := newUser(t, pool, "alice")
		iss := issue(t, svc, user, "phone")
		take := func() []string {
			mu.Lock()
			defer mu.Unlock()
			c := calls
			calls = nil
			return c
		}
		clk.Advance(30 * time.Minute)
		if _, err := authHeader(t, svc, iss); err != nil {
			t.Fatal(err)
		}
		if got, want := take(), []string{"auth:"}; !slices.Equal(got, want) {
			t.Errorf("no slide: hooks %v, want %v", got, want)
		}
		clk.Advance(30 * time.Minute)
		tok, err := authHeader(t, svc, iss)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := take(), []string{"auto:" + fmtTime(at(3*time.Hour)), "auth:marked-by-auto-refresh"}; !slices.Equal(got, want) {
			t.Errorf("slide: hooks %v, want %v", got, want)
		}
		if tok.Context.AppVersion != "marked-by-auto-refresh" {
			t.Errorf("the token returned is not the hooks' result: %+v", tok.Context)
		}
		mu.Lock()
		rejectSlide = true
		mu.Unlock()
		clk.Advance(time.Hour)
		_, err = authHeader(t, svc, iss)
		wantReason(t, "PostAutoRefresh rejection", err, runtime.ReasonRejected)
		if got := take(); len(got) != 1 || !strings.HasPrefix(got[0], "auto:") {
			t.Errorf("after a PostAutoRefresh rejection hooks %v, want PostAuth skipped", got)
		}
	})
}

// TestOnRevokeEvents: OnRevoke reports each revocation that touched rows,
// with scope, reason, mode and count; revocations that touched nothing are
// silent.
func TestOnRevokeEvents(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		for _, keep := range []bool{false, true} {
			t.Run(fmt.Sprintf("keep=%v", keep), func(t *testing.T) {
				t.Parallel()
				clk := newClock(t0)
				var mu sync.Mutex
				var events []runtime.RevokeEvent
				svc, pool := newEngineService(t, e, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) { s.KeepExpiredTokens = keep }),
					auth.WithOnRevoke(func(_ context.Context, ev runtime.RevokeEvent) {
						mu.Lock()
						defer mu.Unlock()
						events = append(events, ev)
					}))
				single, err := pool.newService(auth.WithClock(clk.Now), settings(func(s *runtime.Settings) {
					s.KeepExpiredTokens, s.EnforceSingleLogin = keep, true
				}), auth.WithOnRevoke(func(_ context.Context, ev runtime.RevokeEvent) {
					mu.Lock()
					defer mu.Unlock()
					events = append(events, ev)
				}))
				if err != nil {
					t.Fatal(err)
				}
				alice := newUser(t, pool, "alice")
				a := issue(t, svc, alice, "a")
				b := issue(t, svc, alice, "b")
				issueCookie(t, svc, alice, "c")
				issue(t, svc, alice, "d")
				if err := svc.RevokeToken(t.Context(), a.Token); err != nil {
					t.Fatal(err)
				}
				if err := svc.RevokeToken(t.Context(), a.Token); !errors.Is(err, runtime.ErrNotFound) {
					t.Fatal(err)
				}
				if err := svc.RevokeSession(t.Context(), alice, b.Token.ID); err != nil {
					t.Fatal(err)
				}
				n, err := svc.RevokeAllUserTokens(t.Context(), alice)
				if err != nil || n != 2 {
					t.Fatal(n, err)
				}
				if _, err := svc.RevokeAllUserTokens(t.Context(), alice); err != nil {
					t.Fatal(err)
				}
				issue(t, svc, alice, "e")
				issue(t, svc, alice, "f")
				login := issueCookie(t, single, alice, "g")
				if _, err := svc.RevokeOtherSessions(t.Context(), alice, login.Token.ID); err != nil { // nothing left
					t.Fatal(err)
				}
				want := []runtime.RevokeEvent{
					{Scope: runtime.ScopeToken, TokenID: a.Token.ID, Reason: runtime.RevokedLogout, Soft: keep, Count: 1},
					{Scope: runtime.ScopeSession, TokenID: b.Token.ID, Reason: runtime.RevokedLogout, Soft: keep, Count: 1},
					{Scope: runtime.ScopeUser, Reason: runtime.RevokedLogoutAll, Soft: keep, Count: 2},
					{Scope: runtime.ScopeUserOthers, TokenID: login.Token.ID, Reason: runtime.RevokedSingleLogin, Soft: keep, Count: 2},
				}
				mu.Lock()
				defer mu.Unlock()
				if !slices.Equal(events, want) {
					t.Errorf("events:\n got %+v\nwant %+v", events, want)
				}
			})
		}
	})
}
