package auth_test

// Issuing tokens, and single login.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/runtime"
)

// ---------------------------------------------------------------- issue

// TestIssue covers GenerateHeaderToken / GenerateCookieToken with the
// settings' TTLs, per-call overrides (runtime.Never included) and the token
// format, checking the returned Token against the stored row.
func TestIssue(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		clk := newClock(t0)
		svc, pool := newEngineService(t, e, auth.WithClock(clk.Now))
		// A service with unbounded sessions, for truly never-expiring tokens.
		unbounded, err := pool.newService(auth.WithClock(clk.Now), settings(func(s *runtime.Settings) { s.AutoRefreshMaxTTL = runtime.Never }))
		if err != nil {
			t.Fatal(err)
		}
		user := newUser(t, pool, "alice")
		tests := []struct {
			name        string
			svc         *auth.Service
			cookie      bool
			opts        []auth.IssueOption
			wantExp     *time.Time
			wantUntil   *time.Time
			wantRefresh bool
		}{
			{name: "header defaults", svc: svc, wantExp: at(24 * time.Hour), wantUntil: at(168 * time.Hour), wantRefresh: true},
			{name: "cookie defaults", svc: svc, cookie: true, wantExp: at(24 * time.Hour), wantUntil: at(168 * time.Hour), wantRefresh: true},
			{name: "access override", svc: svc, opts: []auth.IssueOption{auth.WithAccessTTL(time.Hour)},
				wantExp: at(time.Hour), wantUntil: at(168 * time.Hour), wantRefresh: true},
			{name: "both overrides", svc: svc, cookie: true, opts: []auth.IssueOption{auth.WithAccessTTL(2 * time.Hour), auth.WithRefreshTTL(3 * time.Hour)},
				wantExp: at(2 * time.Hour), wantUntil: at(3 * time.Hour), wantRefresh: true},
			{name: "equal windows", svc: svc, opts: []auth.IssueOption{auth.WithAccessTTL(5 * time.Hour), auth.WithRefreshTTL(5 * time.Hour)},
				wantExp: at(5 * time.Hour), wantUntil: at(5 * time.Hour), wantRefresh: true},
			{name: "no refresh token", svc: svc, opts: []auth.IssueOption{auth.WithRefreshTTL(runtime.Never)},
				wantExp: at(24 * time.Hour)},
			{name: "never expires, unbounded session", svc: unbounded, opts: []auth.IssueOption{auth.WithAccessTTL(runtime.Never), auth.WithRefreshTTL(runtime.Never)}},
			// refresh_token_ttl does not apply to a token that never expires.
			{name: "never expires, default refresh ttl", svc: unbounded, opts: []auth.IssueOption{auth.WithAccessTTL(runtime.Never)}},
			// auto_refresh_max_ttl (720h) is the absolute session lifetime: a
			// per-call Never is capped to it.
			{name: "never expires, capped by session lifetime", svc: svc, opts: []auth.IssueOption{auth.WithAccessTTL(runtime.Never), auth.WithRefreshTTL(runtime.Never)},
				wantExp: at(720 * time.Hour)},
			{name: "access beyond session lifetime is capped", svc: svc, opts: []auth.IssueOption{auth.WithAccessTTL(1000 * time.Hour), auth.WithRefreshTTL(2000 * time.Hour)},
				wantExp: at(720 * time.Hour), wantUntil: at(720 * time.Hour), wantRefresh: true},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				gen, transport := tc.svc.GenerateHeaderToken, runtime.TransportHeader
				if tc.cookie {
					gen, transport = tc.svc.GenerateCookieToken, runtime.TransportCookie
				}
				iss, err := gen(t.Context(), user, auth.Context{Device: tc.name}, tc.opts...)
				if err != nil {
					t.Fatalf("issue: %v", err)
				}
				if !accessRE.MatchString(iss.AccessToken.Reveal()) {
					t.Errorf("access token %q does not read demo_at_…", iss.AccessToken.Reveal())
				}
				if tc.wantRefresh != !iss.RefreshToken.IsZero() {
					t.Errorf("refresh token present = %v, want %v", !iss.RefreshToken.IsZero(), tc.wantRefresh)
				}
				if tc.wantRefresh && !refreshRE.MatchString(iss.RefreshToken.Reveal()) {
					t.Errorf("refresh token %q does not read demo_rt_…", iss.RefreshToken.Reveal())
				}
				if len(iss.AccessToken.Reveal()) != len(iss.RefreshToken.Reveal()) && tc.wantRefresh {
					t.Errorf("access and refresh tokens differ in length")
				}
				tok := iss.Token
				if tok.ID == 0 || tok.UserID != user || tok.Transport != transport || tok.Context.Device != tc.name {
					t.Errorf("token = %+v, want user %d transport %s device %q", tok, user, transport, tc.name)
				}
				if !tok.CreatedAt.Equal(t0) || !tok.LastRefreshedAt.Equal(t0) {
					t.Errorf("created %v, last refreshed %v, want both %v", tok.CreatedAt, tok.LastRefreshedAt, t0)
				}
				if tok.RevokedAt != nil || tok.RotatedAt != nil || tok.RevokeReason != "" {
					t.Errorf("a new token is revoked or rotated: %+v", tok)
				}
				wantTime(t, "ExpiresAt", tok.ExpiresAt, tc.wantExp)
				wantTime(t, "RefreshUntil", tok.RefreshUntil, tc.wantUntil)
				// The stored row agrees, and holds hashes, not tokens.
				r := readRow(t, pool, tok.ID)
				wantTime(t, "stored expires_at", r.ExpiresAt, tc.wantExp)
				wantTime(t, "stored refresh_until", r.RefreshUntil, tc.wantUntil)
				if len(r.AccessHash) != 32 || (r.RefreshHash != nil) != tc.wantRefresh {
					t.Errorf("stored hashes: access %d bytes, refresh %x; want 32 bytes and refresh present=%v", len(r.AccessHash), r.RefreshHash, tc.wantRefresh)
				}
				if bytes.Contains(r.AccessHash, []byte(iss.AccessToken.Reveal())) {
					t.Error("the raw access token is stored")
				}
				// And it authenticates over its transport.
				got, err := tc.svc.VerifyToken(t.Context(), iss.AccessToken.Reveal(), transport)
				if err != nil || got.ID != tok.ID {
					t.Errorf("VerifyToken = %d, %v; want token %d", got.ID, err, tok.ID)
				}
			})
		}
	})
}

// TestIssueRefreshDisabledBySettings: refresh_token_ttl none issues no
// refresh token (zero Secret, no refresh window, NULL hash).
func TestIssueRefreshDisabledBySettings(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		clk := newClock(t0)
		svc, pool := newEngineService(t, e, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) { s.RefreshTokenTTL = runtime.Never }))
		user := newUser(t, pool, "alice")
		for _, cookie := range []bool{false, true} {
			var iss auth.Issued
			if cookie {
				iss = issueCookie(t, svc, user, "web")
			} else {
				iss = issue(t, svc, user, "phone")
			}
			if !iss.RefreshToken.IsZero() || iss.RefreshToken.Reveal() != "" {
				t.Errorf("cookie=%v: refresh token issued with refresh_token_ttl none", cookie)
			}
			if iss.Token.RefreshUntil != nil {
				t.Errorf("cookie=%v: RefreshUntil = %v, want nil", cookie, iss.Token.RefreshUntil)
			}
			if r := readRow(t, pool, iss.Token.ID); r.RefreshHash != nil || r.RefreshUntil != nil {
				t.Errorf("cookie=%v: stored refresh hash %x until %v", cookie, r.RefreshHash, r.RefreshUntil)
			}
			wantTime(t, "ExpiresAt", iss.Token.ExpiresAt, at(24*time.Hour))
		}
	})
}

// TestNeverExpiringTokensFromSettings: token_ttl none (drf-authentify's
// TOKEN_TTL None) issues tokens that never expire — capped only by
// auto_refresh_max_ttl when that is set — and no refresh tokens, even with
// refresh_token_ttl left at its default. Before the fix in
// runtime/policy.go windowTimes, these settings passed validation but every
// GenerateHeaderToken failed with "refresh TTL (168h0m0s) must not end
// before the access token (TTL none)".
func TestNeverExpiringTokensFromSettings(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		tests := []struct {
			name    string
			maxTTL  time.Duration
			wantExp *time.Time
		}{
			{"unbounded sessions", runtime.Never, nil},
			{"bounded sessions", 720 * time.Hour, at(720 * time.Hour)},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				clk := newClock(t0)
				svc, pool := newEngineService(t, e, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) {
					s.TokenTTL, s.AutoRefreshMaxTTL = runtime.Never, tc.maxTTL
				}))
				user := newUser(t, pool, "alice")
				for _, cookie := range []bool{false, true} {
					gen := svc.GenerateHeaderToken
					if cookie {
						gen = svc.GenerateCookieToken
					}
					iss, err := gen(t.Context(), user, auth.Context{Device: "kiosk"})
					if err != nil {
						t.Fatalf("cookie=%v: %v", cookie, err)
					}
					wantTime(t, "ExpiresAt", iss.Token.ExpiresAt, tc.wantExp)
					if !iss.RefreshToken.IsZero() || iss.Token.RefreshUntil != nil {
						t.Errorf("a never-expiring token got a refresh token (until %s)", fmtTime(iss.Token.RefreshUntil))
					}
					// An explicit refresh window is still refused.
					if _, err := gen(t.Context(), user, auth.Context{Device: "kiosk"}, auth.WithRefreshTTL(time.Hour)); err == nil {
						t.Error("a refresh window ending before a never-expiring access token was accepted")
					}
				}
				clk.Advance(719 * time.Hour)
				sessions, _, err := svc.ListSessions(t.Context(), user, 0, runtime.SessionCursor{})
				if err != nil || len(sessions) != 2 {
					t.Errorf("ListSessions after 719h = %d, %v; want 2", len(sessions), err)
				}
			})
		}
	})
}

// TestIssueColumns: custom columns take WithColumns values or the spec's
// defaults (last_used_ip NULL, two_factor_verified false).
func TestIssueColumns(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		svc, pool := newEngineService(t, e)
		user := newUser(t, pool, "alice")
		ip := netip.MustParseAddr("198.51.100.7")
		tests := []struct {
			name    string
			opts    []auth.IssueOption
			wantIP  *netip.Addr
			want2FA bool
		}{
			{name: "defaults"},
			{name: "empty Columns", opts: []auth.IssueOption{auth.WithColumns(auth.Columns{})}},
			{name: "both set", opts: []auth.IssueOption{auth.WithColumns(auth.Columns{LastUsedIP: &ip, TwoFactorVerified: ptr(true)})}, wantIP: &ip, want2FA: true},
			{name: "explicit false", opts: []auth.IssueOption{auth.WithColumns(auth.Columns{TwoFactorVerified: ptr(false)})}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				iss := issue(t, svc, user, tc.name, tc.opts...)
				for _, tok := range []auth.Token{iss.Token, mustVerify(t, svc, iss)} {
					if !reflect.DeepEqual(tok.LastUsedIP, tc.wantIP) || tok.TwoFactorVerified != tc.want2FA {
						t.Errorf("columns = %v, %v; want %v, %v", tok.LastUsedIP, tok.TwoFactorVerified, tc.wantIP, tc.want2FA)
					}
				}
				var storedIP *netip.Addr
				var stored2FA bool
				if err := pool.QueryRow(t.Context(), `SELECT last_used_ip, two_factor_verified FROM auth_tokens WHERE id = $1`, iss.Token.ID).Scan(&storedIP, &stored2FA); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(storedIP, tc.wantIP) || stored2FA != tc.want2FA {
					t.Errorf("stored columns = %v, %v; want %v, %v", storedIP, stored2FA, tc.wantIP, tc.want2FA)
				}
			})
		}
	})
}

func mustVerify(t *testing.T, svc *auth.Service, iss auth.Issued) auth.Token {
	t.Helper()
	tok, err := svc.VerifyToken(t.Context(), iss.AccessToken.Reveal(), runtime.AnyTransport)
	if err != nil {
		t.Fatalf("VerifyToken: %v", err)
	}
	return tok
}

// TestIssueRequiresDevice: the required context field is enforced before
// anything is stored (drf-authentify stored any context unvalidated, §e.27).
func TestIssueRequiresDevice(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		svc, pool := newEngineService(t, e)
		user := newUser(t, pool, "alice")
		for _, c := range []auth.Context{{}, {AppVersion: "2.1", BetaFeatures: true, IPAddress: netip.MustParseAddr("192.0.2.1")}} {
			for _, gen := range []func(context.Context, int64, auth.Context, ...auth.IssueOption) (auth.Issued, error){svc.GenerateHeaderToken, svc.GenerateCookieToken} {
				iss, err := gen(t.Context(), user, c)
				if err == nil || !strings.Contains(err.Error(), "device is required") {
					t.Errorf("issue with %+v: err %v, want 'device is required'", c, err)
				}
				if !iss.AccessToken.IsZero() || !iss.RefreshToken.IsZero() || iss.Token.ID != 0 {
					t.Errorf("a refused issue returned %+v", iss)
				}
			}
		}
		if n := countRows(t, pool, "true"); n != 0 {
			t.Errorf("%d rows stored after refused issues, want 0", n)
		}
	})
}

// TestIssueRejectsBadTTLOverrides: per-call overrides whose refresh window
// would end before the access token, or negative TTLs, are a clear error and
// store nothing (drf-authentify accepted them, §e.31).
func TestIssueRejectsBadTTLOverrides(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		svc, pool := newEngineService(t, e)
		user := newUser(t, pool, "alice")
		tests := []struct {
			name string
			opts []auth.IssueOption
			want string
		}{
			{"refresh shorter than access", []auth.IssueOption{auth.WithAccessTTL(48 * time.Hour), auth.WithRefreshTTL(24 * time.Hour)}, "refresh TTL (24h0m0s) must not end before the access token (TTL 48h0m0s)"},
			{"access longer than default refresh", []auth.IssueOption{auth.WithAccessTTL(30 * 24 * time.Hour)}, "refresh TTL (168h0m0s) must not end before the access token"},
			{"refresh shorter than default access", []auth.IssueOption{auth.WithRefreshTTL(time.Hour)}, "refresh TTL (1h0m0s) must not end before the access token (TTL 24h0m0s)"},
			{"never-expiring access with a refresh window", []auth.IssueOption{auth.WithAccessTTL(runtime.Never), auth.WithRefreshTTL(48 * time.Hour)}, "refresh TTL (48h0m0s) must not end before the access token (TTL none)"},
			{"negative access", []auth.IssueOption{auth.WithAccessTTL(-time.Hour)}, "access TTL must be positive"},
			{"negative refresh", []auth.IssueOption{auth.WithRefreshTTL(-2 * time.Second)}, "refresh TTL must be positive"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				_, err := svc.GenerateHeaderToken(t.Context(), user, auth.Context{Device: "x"}, tc.opts...)
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("err = %v, want it to contain %q", err, tc.want)
				}
				if runtime.HTTPStatus(err) != http.StatusInternalServerError || errors.Is(err, runtime.ErrUnavailable) {
					t.Errorf("a programming error must not look like a refusal or an outage: %v", err)
				}
			})
		}
		if n := countRows(t, pool, "true"); n != 0 {
			t.Errorf("%d rows stored, want 0", n)
		}
	})
}

// TestIssueUnknownUser: the users(id) foreign key refuses a token for a
// missing user; the error is not mistaken for an outage (503).
func TestIssueUnknownUser(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		svc, _ := newEngineService(t, e)
		_, err := svc.GenerateHeaderToken(t.Context(), 424242, auth.Context{Device: "x"})
		if err == nil {
			t.Fatal("issued a token for a user that does not exist")
		}
		if errors.Is(err, runtime.ErrUnavailable) {
			t.Errorf("foreign-key violation classified as unavailable: %v", err)
		}
	})
}

// TestSecretsNeverPrinted: raw tokens never appear when Issued, Token, the
// Secrets or errors are printed with fmt or logged with slog's JSON handler
// (drf-authentify put them in IssuedTokens' repr, §e.24).
func TestSecretsNeverPrinted(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		clk := newClock(t0)
		svc, pool := newEngineService(t, e, auth.WithClock(clk.Now))
		user := newUser(t, pool, "alice")
		iss := issue(t, svc, user, "phone")
		refreshed, err := svc.RefreshToken(t.Context(), iss.RefreshToken.Reveal())
		if err != nil {
			t.Fatal(err)
		}
		secrets := []string{iss.AccessToken.Reveal(), iss.RefreshToken.Reveal(), refreshed.AccessToken.Reveal(), refreshed.RefreshToken.Reveal()}
		// Errors produced while handling the raw tokens.
		_, errOld := svc.VerifyToken(t.Context(), iss.AccessToken.Reveal(), runtime.TransportHeader)
		_, errReplay := svc.RefreshToken(t.Context(), iss.RefreshToken.Reveal())
		_, errKind := svc.VerifyToken(t.Context(), refreshed.RefreshToken.Reveal(), runtime.TransportHeader)
		_, _, errReq := svc.AuthenticateRequest(headerRequest("Bearer", iss.AccessToken.Reveal()))
		for _, e := range []error{errOld, errReplay, errKind, errReq} {
			if e == nil {
				t.Fatal("expected a refusal")
			}
		}
		values := map[string]any{
			"issued": iss, "refreshed": refreshed, "token": iss.Token, "access": iss.AccessToken, "refresh": refreshed.RefreshToken,
			"issued ptr": &iss, "errOld": errOld, "errReplay": errReplay, "errKind": errKind, "errReq": errReq,
		}
		var out strings.Builder
		for name, v := range values {
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
				fmt.Fprintf(&out, "%s %s: "+verb+"\n", name, verb, v)
			}
		}
		var logged bytes.Buffer
		log := slog.New(slog.NewJSONHandler(&logged, nil))
		log.Info("issued", "issued", iss, "refreshed", refreshed, "access", iss.AccessToken, "token", iss.Token, "err", errReplay)
		log.Info("group", slog.Group("g", slog.Any("issued", &iss), slog.Any("refresh", iss.RefreshToken)))
		out.WriteString(logged.String())
		js, err := json.Marshal(iss)
		if err != nil {
			t.Fatal(err)
		}
		out.Write(js)
		all := out.String()
		for _, s := range secrets {
			// The secret part (after demo_at_) must not appear, even partly.
			if strings.Contains(all, s) || strings.Contains(all, s[8:24]) {
				t.Errorf("raw token %s… leaked in:\n%s", s[:12], all)
			}
		}
		if !strings.Contains(all, "demo_at_…[redacted]") || !strings.Contains(all, "demo_rt_…[redacted]") {
			t.Errorf("redacted forms missing from output:\n%s", all)
		}
	})
}

// ---------------------------------------------------------------- single login

// TestSingleLogin: under enforce_single_login a new login of either
// transport revokes every other session of the user, of both transports,
// soft or hard, and leaves other users alone; an already revoked row keeps
// its reason (drf-authentify re-stamped it, §e.7).
func TestSingleLogin(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		for _, keep := range []bool{false, true} {
			t.Run(fmt.Sprintf("keep=%v", keep), func(t *testing.T) {
				t.Parallel()
				clk := newClock(t0)
				var events []runtime.RevokeEvent
				multi, pool := newEngineService(t, e, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) { s.KeepExpiredTokens = keep }))
				single, err := pool.newService(auth.WithClock(clk.Now), settings(func(s *runtime.Settings) {
					s.KeepExpiredTokens, s.EnforceSingleLogin = keep, true
				}), auth.WithOnRevoke(func(_ context.Context, ev runtime.RevokeEvent) { events = append(events, ev) }))
				if err != nil {
					t.Fatal(err)
				}
				alice, bob := newUser(t, pool, "alice"), newUser(t, pool, "bob")
				h1, c1 := issue(t, multi, alice, "h1"), issueCookie(t, multi, alice, "c1")
				gone := issue(t, multi, alice, "logged out")
				if err := multi.RevokeToken(t.Context(), gone.Token); err != nil {
					t.Fatal(err)
				}
				b1, b2 := issue(t, multi, bob, "b1"), issueCookie(t, multi, bob, "b2")
				clk.Advance(time.Minute)

				login := issue(t, single, alice, "new phone")
				for _, iss := range []auth.Issued{h1, c1} {
					checkRevoked(t, pool, iss.Token.ID, keep, runtime.RevokedSingleLogin, t0.Add(time.Minute))
				}
				if keep {
					checkRevoked(t, pool, gone.Token.ID, true, runtime.RevokedLogout, t0)
				}
				wantEv := runtime.RevokeEvent{Scope: runtime.ScopeUserOthers, TokenID: login.Token.ID, Reason: runtime.RevokedSingleLogin, Soft: keep, Count: 2}
				if len(events) != 1 || events[0] != wantEv {
					t.Errorf("events = %+v, want [%+v]", events, wantEv)
				}
				for _, iss := range []auth.Issued{login, b1, b2} {
					if _, err := single.VerifyToken(t.Context(), iss.AccessToken.Reveal(), runtime.AnyTransport); err != nil {
						t.Errorf("%s: %v", iss.Token.Context.Device, err)
					}
				}
				// A cookie login now evicts the header session just made.
				clk.Advance(time.Minute)
				web := issueCookie(t, single, alice, "browser")
				checkRevoked(t, pool, login.Token.ID, keep, runtime.RevokedSingleLogin, t0.Add(2*time.Minute))
				if s, _, _ := single.ListSessions(t.Context(), alice, 0, runtime.SessionCursor{}); len(s) != 1 || s[0].ID != web.Token.ID {
					t.Errorf("alice's sessions = %v, want only the browser", s)
				}
				if s, _, _ := single.ListSessions(t.Context(), bob, 0, runtime.SessionCursor{}); len(s) != 2 {
					t.Errorf("bob's sessions = %d, want 2", len(s))
				}
			})
		}
	})
}
