package auth_test

// Refresh: rotation inside the row, windows, TTL overrides, the max lifetime.

import (
	"bytes"
	"net/http"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/runtime"
)

// ---------------------------------------------------------------- refresh

// TestRefreshRotatesInPlace: RefreshToken rotates both tokens inside the
// same row — same session ID, context, custom columns, transport and
// CreatedAt — and the old pair stops working while the new pair works
// (drf-authentify created a new row with a new created_at, §b.1 step 6).
func TestRefreshRotatesInPlace(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		clk := newClock(t0)
		svc, pool := newEngineService(t, e, auth.WithClock(clk.Now))
		user := newUser(t, pool, "alice")
		c := auth.Context{Device: "web", AppVersion: "1.2", IPAddress: netip.MustParseAddr("192.0.2.9"), BetaFeatures: true}
		iss, err := svc.GenerateCookieToken(t.Context(), user, c, auth.WithColumns(auth.Columns{TwoFactorVerified: ptr(true)}))
		if err != nil {
			t.Fatal(err)
		}
		before := readRow(t, pool, iss.Token.ID)
		clk.Advance(3 * time.Hour)
		now := t0.Add(3 * time.Hour)
		ref, err := svc.RefreshToken(t.Context(), iss.RefreshToken.Reveal())
		if err != nil {
			t.Fatalf("RefreshToken: %v", err)
		}
		tok := ref.Token
		if tok.ID != iss.Token.ID || tok.UserID != user || tok.Transport != runtime.TransportCookie || tok.Context != c || !tok.TwoFactorVerified {
			t.Errorf("refreshed token %+v does not keep the session's identity, context and columns", tok)
		}
		if !tok.CreatedAt.Equal(t0) {
			t.Errorf("CreatedAt = %v, want the original %v", tok.CreatedAt, t0)
		}
		wantTime(t, "LastRefreshedAt", &tok.LastRefreshedAt, &now)
		wantTime(t, "RotatedAt", tok.RotatedAt, &now)
		wantTime(t, "ExpiresAt", tok.ExpiresAt, at(27*time.Hour))
		wantTime(t, "RefreshUntil", tok.RefreshUntil, at(171*time.Hour))
		if ref.AccessToken == iss.AccessToken || ref.RefreshToken == iss.RefreshToken {
			t.Error("refresh did not rotate both tokens")
		}
		if !accessRE.MatchString(ref.AccessToken.Reveal()) || !refreshRE.MatchString(ref.RefreshToken.Reveal()) {
			t.Errorf("rotated tokens are not well formed")
		}
		after := readRow(t, pool, iss.Token.ID)
		if bytes.Equal(after.AccessHash, before.AccessHash) || bytes.Equal(after.RefreshHash, before.RefreshHash) {
			t.Error("stored hashes did not rotate")
		}
		if n := countRows(t, pool, "user_id = $1", user); n != 1 {
			t.Errorf("%d rows for the user after refresh, want 1 (rotation inside the row)", n)
		}
		// Old pair: refused. New pair: works.
		_, err = svc.VerifyToken(t.Context(), iss.AccessToken.Reveal(), runtime.TransportCookie)
		wantReason(t, "old access", err, runtime.ReasonInvalid)
		if _, err := svc.RefreshToken(t.Context(), iss.RefreshToken.Reveal()); err == nil || runtime.HTTPStatus(err) != http.StatusUnauthorized {
			t.Errorf("old refresh token: err %v, want a 401 refusal", err)
		}
		if got, err := svc.VerifyToken(t.Context(), ref.AccessToken.Reveal(), runtime.TransportCookie); err != nil || got.ID != tok.ID {
			t.Errorf("new access: %d, %v", got.ID, err)
		}
		// The replay inside the grace window did not hurt the session.
		clk.Advance(time.Hour)
		ref2, err := svc.RefreshToken(t.Context(), ref.RefreshToken.Reveal())
		if err != nil {
			t.Fatalf("second refresh: %v", err)
		}
		if ref2.Token.ID != tok.ID || !ref2.Token.CreatedAt.Equal(t0) {
			t.Errorf("second refresh left the session: %+v", ref2.Token)
		}
		_, err = svc.VerifyToken(t.Context(), ref.AccessToken.Reveal(), runtime.TransportCookie)
		wantReason(t, "first successor access after second refresh", err, runtime.ReasonInvalid)
	})
}

// TestRefreshWindow: a refresh token works until just before refresh_until,
// also after the access token expired, and is ReasonExpired from then on.
func TestRefreshWindow(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		clk := newClock(t0)
		svc, pool := newEngineService(t, e, auth.WithClock(clk.Now))
		user := newUser(t, pool, "alice")
		a := issue(t, svc, user, "a")
		b := issue(t, svc, user, "b")
		clk.Advance(168*time.Hour - time.Microsecond)
		if _, err := svc.RefreshToken(t.Context(), a.RefreshToken.Reveal()); err != nil {
			t.Errorf("refresh 1µs before refresh_until, access long expired: %v", err)
		}
		clk.Advance(time.Microsecond)
		before := readRow(t, pool, b.Token.ID)
		_, err := svc.RefreshToken(t.Context(), b.RefreshToken.Reveal())
		wantReason(t, "refresh at refresh_until", err, runtime.ReasonExpired)
		if after := readRow(t, pool, b.Token.ID); !reflect.DeepEqual(before, after) {
			t.Errorf("a refused refresh changed the row: %+v → %+v", before, after)
		}
	})
}

// TestRefreshTTLOverrides: per-call TTLs apply to the rotated pair; Never
// ends the chain; an inconsistent pair is an error that leaves the session
// untouched.
func TestRefreshTTLOverrides(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		tests := []struct {
			name        string
			opts        []auth.IssueOption
			wantExp     *time.Time
			wantUntil   *time.Time
			wantRefresh bool
			wantErr     string
		}{
			{name: "defaults", wantExp: at(25 * time.Hour), wantUntil: at(169 * time.Hour), wantRefresh: true},
			{name: "access", opts: []auth.IssueOption{auth.WithAccessTTL(2 * time.Hour)}, wantExp: at(3 * time.Hour), wantUntil: at(169 * time.Hour), wantRefresh: true},
			{name: "both", opts: []auth.IssueOption{auth.WithAccessTTL(2 * time.Hour), auth.WithRefreshTTL(72 * time.Hour)}, wantExp: at(3 * time.Hour), wantUntil: at(73 * time.Hour), wantRefresh: true},
			{name: "no more refresh", opts: []auth.IssueOption{auth.WithRefreshTTL(runtime.Never)}, wantExp: at(25 * time.Hour)},
			{name: "refresh shorter than access", opts: []auth.IssueOption{auth.WithAccessTTL(200 * time.Hour)}, wantErr: "must not end before the access token"},
			{name: "negative", opts: []auth.IssueOption{auth.WithRefreshTTL(-time.Minute)}, wantErr: "must be positive"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				clk := newClock(t0)
				svc, pool := newEngineService(t, e, auth.WithClock(clk.Now))
				user := newUser(t, pool, "alice")
				iss := issue(t, svc, user, "phone")
				clk.Advance(time.Hour)
				before := readRow(t, pool, iss.Token.ID)
				ref, err := svc.RefreshToken(t.Context(), iss.RefreshToken.Reveal(), tc.opts...)
				if tc.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
						t.Fatalf("err = %v, want %q", err, tc.wantErr)
					}
					if after := readRow(t, pool, iss.Token.ID); !reflect.DeepEqual(before, after) {
						t.Errorf("a failed refresh changed the row")
					}
					if _, err := svc.RefreshToken(t.Context(), iss.RefreshToken.Reveal()); err != nil {
						t.Errorf("the refresh token no longer works after a failed refresh: %v", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				wantTime(t, "ExpiresAt", ref.Token.ExpiresAt, tc.wantExp)
				wantTime(t, "RefreshUntil", ref.Token.RefreshUntil, tc.wantUntil)
				if ref.RefreshToken.IsZero() == tc.wantRefresh {
					t.Errorf("refresh token present = %v, want %v", !ref.RefreshToken.IsZero(), tc.wantRefresh)
				}
				if r := readRow(t, pool, iss.Token.ID); (r.RefreshHash != nil) != tc.wantRefresh {
					t.Errorf("stored refresh hash present = %v, want %v", r.RefreshHash != nil, tc.wantRefresh)
				}
			})
		}
	})
}

// TestRefreshChainEndsWhenRefreshDisabled: a service started later with
// refresh_token_ttl none over the same database still redeems an existing
// refresh token once, but issues no new refresh token: the chain ends.
func TestRefreshChainEndsWhenRefreshDisabled(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		clk := newClock(t0)
		svc, pool := newEngineService(t, e, auth.WithClock(clk.Now))
		user := newUser(t, pool, "alice")
		iss := issue(t, svc, user, "phone")
		noRefresh, err := pool.newService(auth.WithClock(clk.Now), settings(func(s *runtime.Settings) { s.RefreshTokenTTL = runtime.Never }))
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Hour)
		ref, err := noRefresh.RefreshToken(t.Context(), iss.RefreshToken.Reveal())
		if err != nil {
			t.Fatalf("RefreshToken: %v", err)
		}
		if !ref.RefreshToken.IsZero() || ref.Token.RefreshUntil != nil {
			t.Errorf("a refresh token was issued with refresh_token_ttl none: until %v", ref.Token.RefreshUntil)
		}
		wantTime(t, "ExpiresAt", ref.Token.ExpiresAt, at(25*time.Hour))
		if r := readRow(t, pool, iss.Token.ID); r.RefreshHash != nil || r.RefreshUntil != nil {
			t.Errorf("stored refresh hash %x, until %v; want NULLs", r.RefreshHash, r.RefreshUntil)
		}
		for _, s := range []*auth.Service{svc, noRefresh} {
			if _, err := s.VerifyToken(t.Context(), ref.AccessToken.Reveal(), runtime.TransportHeader); err != nil {
				t.Errorf("new access token: %v", err)
			}
		}
		// Nothing left to refresh with, whichever service is asked.
		clk.Advance(time.Minute)
		_, err = svc.RefreshToken(t.Context(), iss.RefreshToken.Reveal())
		if err == nil {
			t.Error("the old refresh token still works")
		}
	})
}

// TestRefreshCannotPassMaxTTL: auto_refresh_max_ttl counts from the
// session's created_at, and RefreshToken keeps created_at, so rotating never
// extends a session past it (drf-authentify's refresh reset the clock, §e.13).
func TestRefreshCannotPassMaxTTL(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		clk := newClock(t0)
		svc, pool := newEngineService(t, e, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) {
			s.TokenTTL, s.RefreshTokenTTL, s.AutoRefreshMaxTTL = 24*time.Hour, 36*time.Hour, 48*time.Hour
		}))
		user := newUser(t, pool, "alice")
		iss := issue(t, svc, user, "phone")
		clk.Advance(30 * time.Hour)
		ref, err := svc.RefreshToken(t.Context(), iss.RefreshToken.Reveal())
		if err != nil {
			t.Fatal(err)
		}
		wantTime(t, "ExpiresAt capped", ref.Token.ExpiresAt, at(48*time.Hour))
		wantTime(t, "RefreshUntil capped", ref.Token.RefreshUntil, at(48*time.Hour))
		if !ref.Token.CreatedAt.Equal(t0) {
			t.Errorf("CreatedAt moved to %v", ref.Token.CreatedAt)
		}
		clk.Advance(17 * time.Hour) // t0+47h
		ref, err = svc.RefreshToken(t.Context(), ref.RefreshToken.Reveal())
		if err != nil {
			t.Fatal(err)
		}
		wantTime(t, "ExpiresAt capped again", ref.Token.ExpiresAt, at(48*time.Hour))
		clk.Advance(time.Hour) // t0+48h: the session is over
		_, err = svc.VerifyToken(t.Context(), ref.AccessToken.Reveal(), runtime.TransportHeader)
		wantReason(t, "access at max ttl", err, runtime.ReasonExpired)
		_, err = svc.RefreshToken(t.Context(), ref.RefreshToken.Reveal())
		wantReason(t, "refresh at max ttl", err, runtime.ReasonExpired)
	})
}
