package auth_test

// Behaviour tests of the token lifecycle ("full drf-authentify parity")
// through the generated package, against real PostgreSQL with an injected
// clock. Each test names, in its comment, the drf-authentify flaw
// (DESIGN.md §8, behaviour.md §e) it proves fixed, if any.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/internal/pgtest"
	"github.com/authentify-go/authentify/runtime"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// t0 is the fake clock's start: far from the real time, so that any use of
// the wall clock or of SQL now() instead of the injected clock shows.
var t0 = time.Date(2031, time.March, 4, 5, 6, 7, 0, time.UTC)

var (
	accessRE  = regexp.MustCompile(`^demo_at_[0-9A-Za-z]+$`)
	refreshRE = regexp.MustCompile(`^demo_rt_[0-9A-Za-z]+$`)
)

func ptr[T any](v T) *T { return &v }

// at returns t0+d as a pointer, for expiry comparisons.
func at(d time.Duration) *time.Time { return ptr(t0.Add(d)) }

// sameTime reports whether two optional times are both nil or equal.
func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

func fmtTime(p *time.Time) string {
	if p == nil {
		return "<nil>"
	}
	return p.UTC().Format(time.RFC3339Nano)
}

func wantTime(t *testing.T, what string, got, want *time.Time) {
	t.Helper()
	if !sameTime(got, want) {
		t.Errorf("%s = %s, want %s", what, fmtTime(got), fmtTime(want))
	}
}

func wantReason(t *testing.T, what string, err error, want runtime.Reason) {
	t.Helper()
	if got := runtime.ReasonOf(err); got != want {
		t.Errorf("%s: reason %q (err %v), want %q", what, got, err, want)
	}
}

func issue(t *testing.T, svc *auth.Service, user int64, device string, opts ...auth.IssueOption) auth.Issued {
	t.Helper()
	iss, err := svc.GenerateHeaderToken(t.Context(), user, auth.Context{Device: device}, opts...)
	if err != nil {
		t.Fatalf("GenerateHeaderToken(%s): %v", device, err)
	}
	return iss
}

func issueCookie(t *testing.T, svc *auth.Service, user int64, device string, opts ...auth.IssueOption) auth.Issued {
	t.Helper()
	iss, err := svc.GenerateCookieToken(t.Context(), user, auth.Context{Device: device}, opts...)
	if err != nil {
		t.Fatalf("GenerateCookieToken(%s): %v", device, err)
	}
	return iss
}

// row is a token row read with SQL, bypassing the service.
type row struct {
	Exists          bool
	AccessHash      []byte
	RefreshHash     []byte
	ExpiresAt       *time.Time
	RefreshUntil    *time.Time
	LastRefreshedAt time.Time
	CreatedAt       time.Time
	RevokedAt       *time.Time
	RevokeReason    *string
}

func readRow(t *testing.T, pool *pgxpool.Pool, id int64) row {
	t.Helper()
	var r row
	err := pool.QueryRow(context.Background(), `SELECT access_hash, refresh_hash, expires_at, refresh_until,
		last_refreshed_at, created_at, revoked_at, revoke_reason FROM auth_tokens WHERE id = $1`, id).
		Scan(&r.AccessHash, &r.RefreshHash, &r.ExpiresAt, &r.RefreshUntil, &r.LastRefreshedAt, &r.CreatedAt, &r.RevokedAt, &r.RevokeReason)
	if errors.Is(err, pgx.ErrNoRows) {
		return row{}
	}
	if err != nil {
		t.Fatalf("read row %d: %v", id, err)
	}
	r.Exists = true
	return r
}

func countRows(t *testing.T, pool *pgxpool.Pool, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM auth_tokens WHERE `+where, args...).Scan(&n); err != nil {
		t.Fatalf("count %q: %v", where, err)
	}
	return n
}

func headerRequest(scheme, raw string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/me", nil)
	r.Header.Set("Authorization", scheme+" "+raw)
	return r
}

// countingDB is an auth.DB that counts the statements the service sends.
type countingDB struct {
	*pgxpool.Pool
	n atomic.Int64
}

func (c *countingDB) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	c.n.Add(1)
	return c.Pool.Exec(ctx, sql, args...)
}

func (c *countingDB) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	c.n.Add(1)
	return c.Pool.Query(ctx, sql, args...)
}

func (c *countingDB) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	c.n.Add(1)
	return c.Pool.QueryRow(ctx, sql, args...)
}

func (c *countingDB) Begin(ctx context.Context) (pgx.Tx, error) {
	c.n.Add(1)
	return c.Pool.Begin(ctx)
}

// ---------------------------------------------------------------- issue

// TestIssue covers GenerateHeaderToken / GenerateCookieToken with the
// settings' TTLs, per-call overrides (runtime.Never included) and the token
// format, checking the returned Token against the stored row.
func TestIssue(t *testing.T) {
	t.Parallel()
	clk := newClock(t0)
	svc, pool := newService(t, auth.WithClock(clk.Now))
	// A service with unbounded sessions, for truly never-expiring tokens.
	unbounded, err := auth.New(pool, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) { s.AutoRefreshMaxTTL = runtime.Never }))
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
}

// TestIssueRefreshDisabledBySettings: refresh_token_ttl none issues no
// refresh token (zero Secret, no refresh window, NULL hash).
func TestIssueRefreshDisabledBySettings(t *testing.T) {
	t.Parallel()
	clk := newClock(t0)
	svc, pool := newService(t, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) { s.RefreshTokenTTL = runtime.Never }))
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
}

// TestNeverExpiringTokensFromSettings: token_ttl none (drf-authentify's
// TOKEN_TTL None) issues tokens that never expire — capped only by
// auto_refresh_max_ttl when that is set — and no refresh tokens, even with
// refresh_token_ttl left at its default. Before the fix in
// runtime/policy.go windowTimes, these settings passed validation but every
// GenerateHeaderToken failed with "refresh TTL (168h0m0s) must not end
// before the access token (TTL none)".
func TestNeverExpiringTokensFromSettings(t *testing.T) {
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
			svc, pool := newService(t, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) {
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
}

// TestIssueColumns: custom columns take WithColumns values or the spec's
// defaults (last_used_ip NULL, two_factor_verified false).
func TestIssueColumns(t *testing.T) {
	t.Parallel()
	svc, pool := newService(t)
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
	t.Parallel()
	svc, pool := newService(t)
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
}

// TestIssueRejectsBadTTLOverrides: per-call overrides whose refresh window
// would end before the access token, or negative TTLs, are a clear error and
// store nothing (drf-authentify accepted them, §e.31).
func TestIssueRejectsBadTTLOverrides(t *testing.T) {
	t.Parallel()
	svc, pool := newService(t)
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
}

// TestIssueUnknownUser: the users(id) foreign key refuses a token for a
// missing user; the error is not mistaken for an outage (503).
func TestIssueUnknownUser(t *testing.T) {
	t.Parallel()
	svc, _ := newService(t)
	_, err := svc.GenerateHeaderToken(t.Context(), 424242, auth.Context{Device: "x"})
	if err == nil {
		t.Fatal("issued a token for a user that does not exist")
	}
	if errors.Is(err, runtime.ErrUnavailable) {
		t.Errorf("foreign-key violation classified as unavailable: %v", err)
	}
}

// TestSecretsNeverPrinted: raw tokens never appear when Issued, Token, the
// Secrets or errors are printed with fmt or logged with slog's JSON handler
// (drf-authentify put them in IssuedTokens' repr, §e.24).
func TestSecretsNeverPrinted(t *testing.T) {
	t.Parallel()
	clk := newClock(t0)
	svc, pool := newService(t, auth.WithClock(clk.Now))
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
}

// ---------------------------------------------------------------- verify

// TestVerifyToken covers VerifyToken(ctx, raw, transport): valid, unknown,
// expired at the exact boundary, revoked (soft) or deleted, wrong transport
// with enable_auth_restriction on and off, and runtime.AnyTransport.
func TestVerifyToken(t *testing.T) {
	t.Parallel()
	clk := newClock(t0)
	svc, pool := newService(t, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) { s.KeepExpiredTokens = true }))
	open, err := auth.New(pool, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) { s.EnableAuthRestriction = false }))
	if err != nil {
		t.Fatal(err)
	}
	user := newUser(t, pool, "alice")
	hdr := issue(t, svc, user, "phone")
	ck := issueCookie(t, svc, user, "web")
	short := issue(t, svc, user, "short", auth.WithAccessTTL(time.Hour))
	revoked := issue(t, svc, user, "revoked")
	if err := svc.RevokeToken(t.Context(), revoked.Token); err != nil {
		t.Fatal(err)
	}
	deleted := issue(t, open, user, "deleted") // open: keep_expired_tokens false
	if err := open.RevokeToken(t.Context(), deleted.Token); err != nil {
		t.Fatal(err)
	}
	// Well formed, right prefix, never stored.
	other, _ := newServiceTokens(t)
	clk.Advance(time.Hour - time.Microsecond)

	tests := []struct {
		name      string
		svc       *auth.Service
		raw       string
		transport runtime.Transport
		wantID    int64
		want      runtime.Reason
	}{
		{"header over header", svc, hdr.AccessToken.Reveal(), runtime.TransportHeader, hdr.Token.ID, ""},
		{"cookie over cookie", svc, ck.AccessToken.Reveal(), runtime.TransportCookie, ck.Token.ID, ""},
		{"header over cookie, restricted", svc, hdr.AccessToken.Reveal(), runtime.TransportCookie, 0, runtime.ReasonWrongTransport},
		{"cookie over header, restricted", svc, ck.AccessToken.Reveal(), runtime.TransportHeader, 0, runtime.ReasonWrongTransport},
		{"header over cookie, unrestricted", open, hdr.AccessToken.Reveal(), runtime.TransportCookie, hdr.Token.ID, ""},
		{"cookie over header, unrestricted", open, ck.AccessToken.Reveal(), runtime.TransportHeader, ck.Token.ID, ""},
		{"header, any transport", svc, hdr.AccessToken.Reveal(), runtime.AnyTransport, hdr.Token.ID, ""},
		{"cookie, any transport", svc, ck.AccessToken.Reveal(), runtime.AnyTransport, ck.Token.ID, ""},
		{"one microsecond before expiry", svc, short.AccessToken.Reveal(), runtime.TransportHeader, short.Token.ID, ""},
		{"unknown", svc, other, runtime.TransportHeader, 0, runtime.ReasonInvalid},
		{"revoked (kept row)", svc, revoked.AccessToken.Reveal(), runtime.TransportHeader, 0, runtime.ReasonRevoked},
		{"revoked (kept row), any transport", open, revoked.AccessToken.Reveal(), runtime.AnyTransport, 0, runtime.ReasonRevoked},
		{"deleted", svc, deleted.AccessToken.Reveal(), runtime.TransportHeader, 0, runtime.ReasonInvalid},
		{"refresh token as access token", svc, hdr.RefreshToken.Reveal(), runtime.TransportHeader, 0, runtime.ReasonInvalid},
	}
	for _, tc := range tests {
		tok, err := tc.svc.VerifyToken(t.Context(), tc.raw, tc.transport)
		if tc.want == "" {
			if err != nil || tok.ID != tc.wantID {
				t.Errorf("%s: got %d, %v; want token %d", tc.name, tok.ID, err, tc.wantID)
			}
			continue
		}
		wantReason(t, tc.name, err, tc.want)
		if tok.ID != 0 {
			t.Errorf("%s: a refused token was returned: %+v", tc.name, tok)
		}
		if runtime.HTTPStatus(err) != http.StatusUnauthorized {
			t.Errorf("%s: HTTP status %d, want 401", tc.name, runtime.HTTPStatus(err))
		}
	}
	// Exactly at expires_at the token has expired.
	clk.Advance(time.Microsecond)
	_, err = svc.VerifyToken(t.Context(), short.AccessToken.Reveal(), runtime.TransportHeader)
	wantReason(t, "at expires_at", err, runtime.ReasonExpired)
	_, err = open.VerifyToken(t.Context(), short.AccessToken.Reveal(), runtime.AnyTransport)
	wantReason(t, "at expires_at, any transport", err, runtime.ReasonExpired)
	// The other tokens expire at 24h.
	clk.Advance(23 * time.Hour)
	for _, iss := range []auth.Issued{hdr, ck} {
		_, err := svc.VerifyToken(t.Context(), iss.AccessToken.Reveal(), runtime.AnyTransport)
		wantReason(t, "after 24h", err, runtime.ReasonExpired)
	}
}

// newServiceTokens mints a well-formed demo access token that no database
// holds, and its refresh twin.
func newServiceTokens(t *testing.T) (string, string) {
	t.Helper()
	toks, err := runtime.NewTokens(auth.Prefix, auth.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	a, _, err := toks.Mint(runtime.KindAccess)
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := toks.Mint(runtime.KindRefresh)
	if err != nil {
		t.Fatal(err)
	}
	return a.Reveal(), r.Reveal()
}

// TestMalformedTokensSkipTheDatabase: a string that is not a well-formed demo
// access (or refresh) token is refused with ReasonInvalid before any query;
// a well-formed one costs exactly one SELECT and no write.
func TestMalformedTokensSkipTheDatabase(t *testing.T) {
	t.Parallel()
	base, pool := newService(t)
	user := newUser(t, pool, "alice")
	iss := issue(t, base, user, "phone")
	cdb := &countingDB{Pool: pool}
	svc, err := auth.New(cdb)
	if err != nil {
		t.Fatal(err)
	}
	good := iss.AccessToken.Reveal()
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	malformed := map[string]string{
		"empty":               "",
		"garbage":             "not-a-token",
		"bad checksum":        flip(good, len(good)-1),
		"bad body":            flip(good, 12),
		"truncated":           good[:len(good)-1],
		"extended":            good + "a",
		"other prefix":        "acme" + good[4:],
		"refresh kind":        strings.Replace(good, "_at_", "_rt_", 1),
		"non-base62":          good[:10] + "-" + good[11:],
		"upper-cased":         strings.ToUpper(good),
		"with spaces":         " " + good,
		"refresh as access":   iss.RefreshToken.Reveal(),
		"very long":           strings.Repeat("x", 1<<16),
		"drf-authentify-like": "Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg",
	}
	for name, raw := range malformed {
		before := cdb.n.Load()
		_, err := svc.VerifyToken(t.Context(), raw, runtime.TransportHeader)
		wantReason(t, name, err, runtime.ReasonInvalid)
		if n := cdb.n.Load() - before; n != 0 {
			t.Errorf("%s: %d database statements for a malformed token, want 0", name, n)
		}
	}
	// Malformed refresh tokens are refused the same way.
	for name, raw := range map[string]string{"access as refresh": good, "garbage": "x", "bad checksum": flip(iss.RefreshToken.Reveal(), len(good)-1)} {
		before := cdb.n.Load()
		_, err := svc.RefreshToken(t.Context(), raw)
		wantReason(t, "refresh "+name, err, runtime.ReasonInvalid)
		if n := cdb.n.Load() - before; n != 0 {
			t.Errorf("refresh %s: %d statements, want 0", name, n)
		}
	}
	// The control: a well-formed token does reach the database, once.
	for name, f := range map[string]func() error{
		"verify": func() error { _, err := svc.VerifyToken(t.Context(), good, runtime.TransportHeader); return err },
		"authenticate": func() error {
			_, _, err := svc.AuthenticateRequest(headerRequest("Bearer", good))
			return err
		},
	} {
		before := cdb.n.Load()
		if err := f(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n := cdb.n.Load() - before; n != 1 {
			t.Errorf("%s of a valid token: %d statements, want exactly 1 (one indexed SELECT, no write)", name, n)
		}
	}
}

// ---------------------------------------------------------------- refresh

// TestRefreshRotatesInPlace: RefreshToken rotates both tokens inside the
// same row — same session ID, context, custom columns, transport and
// CreatedAt — and the old pair stops working while the new pair works
// (drf-authentify created a new row with a new created_at, §b.1 step 6).
func TestRefreshRotatesInPlace(t *testing.T) {
	t.Parallel()
	clk := newClock(t0)
	svc, pool := newService(t, auth.WithClock(clk.Now))
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
}

// TestRefreshWindow: a refresh token works until just before refresh_until,
// also after the access token expired, and is ReasonExpired from then on.
func TestRefreshWindow(t *testing.T) {
	t.Parallel()
	clk := newClock(t0)
	svc, pool := newService(t, auth.WithClock(clk.Now))
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
}

// TestRefreshTTLOverrides: per-call TTLs apply to the rotated pair; Never
// ends the chain; an inconsistent pair is an error that leaves the session
// untouched.
func TestRefreshTTLOverrides(t *testing.T) {
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
			svc, pool := newService(t, auth.WithClock(clk.Now))
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
}

// TestRefreshChainEndsWhenRefreshDisabled: a service started later with
// refresh_token_ttl none over the same database still redeems an existing
// refresh token once, but issues no new refresh token: the chain ends.
func TestRefreshChainEndsWhenRefreshDisabled(t *testing.T) {
	t.Parallel()
	clk := newClock(t0)
	svc, pool := newService(t, auth.WithClock(clk.Now))
	user := newUser(t, pool, "alice")
	iss := issue(t, svc, user, "phone")
	noRefresh, err := auth.New(pool, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) { s.RefreshTokenTTL = runtime.Never }))
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
}

// TestRefreshCannotPassMaxTTL: auto_refresh_max_ttl counts from the
// session's created_at, and RefreshToken keeps created_at, so rotating never
// extends a session past it (drf-authentify's refresh reset the clock, §e.13).
func TestRefreshCannotPassMaxTTL(t *testing.T) {
	t.Parallel()
	clk := newClock(t0)
	svc, pool := newService(t, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) {
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
}

// ---------------------------------------------------------------- revoke

// TestRevokeToken: logout of one token, soft or hard per
// keep_expired_tokens (drf-authentify always hard-deleted, §e.7), and
// ErrNotFound for a token already gone.
func TestRevokeToken(t *testing.T) {
	t.Parallel()
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprintf("keep=%v", keep), func(t *testing.T) {
			t.Parallel()
			clk := newClock(t0)
			svc, pool := newService(t, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) { s.KeepExpiredTokens = keep }))
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
}

// checkRevoked asserts how row id was revoked: kept with revoked_at = when
// and revoke_reason = reason (keep), or deleted.
func checkRevoked(t *testing.T, pool *pgxpool.Pool, id int64, keep bool, reason string, when time.Time) {
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
	t.Parallel()
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprintf("keep=%v", keep), func(t *testing.T) {
			t.Parallel()
			clk := newClock(t0)
			svc, pool := newService(t, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) { s.KeepExpiredTokens = keep }))
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
}

// TestRevokeAllExpiredUserTokens: only the user's sessions that are over
// (access expired and no open refresh window) are revoked; in keep mode a
// row already revoked keeps its original reason (drf-authentify deleted the
// audit rows, §e.7).
func TestRevokeAllExpiredUserTokens(t *testing.T) {
	t.Parallel()
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprintf("keep=%v", keep), func(t *testing.T) {
			t.Parallel()
			clk := newClock(t0)
			svc, pool := newService(t, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) { s.KeepExpiredTokens = keep }))
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
}

// TestRevokeExpiredTokensBatched: the cleanup revokes every session that is
// over, across users, in batches of 1000 until done, returns the total, and
// never touches a live session or a session with an open refresh window.
func TestRevokeExpiredTokensBatched(t *testing.T) {
	t.Parallel()
	const copies = 2496 // + 4 issued = 2500 over, more than two batches
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprintf("keep=%v", keep), func(t *testing.T) {
			t.Parallel()
			clk := newClock(t0)
			var events []runtime.RevokeEvent
			svc, pool := newService(t, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) { s.KeepExpiredTokens = keep }),
				auth.WithOnRevoke(func(_ context.Context, ev runtime.RevokeEvent) { events = append(events, ev) }))
			alice, bob := newUser(t, pool, "alice"), newUser(t, pool, "bob")
			src := issue(t, svc, alice, "src", auth.WithAccessTTL(time.Hour), auth.WithRefreshTTL(runtime.Never))
			issue(t, svc, alice, "a2", auth.WithAccessTTL(time.Hour), auth.WithRefreshTTL(2*time.Hour))
			issueCookie(t, svc, bob, "b1", auth.WithAccessTTL(time.Hour), auth.WithRefreshTTL(runtime.Never))
			issue(t, svc, bob, "b2", auth.WithAccessTTL(2*time.Hour), auth.WithRefreshTTL(3*time.Hour))
			refreshable := issue(t, svc, bob, "refreshable", auth.WithAccessTTL(time.Hour), auth.WithRefreshTTL(48*time.Hour))
			pgtest.Exec(t, pool, `INSERT INTO auth_tokens (user_id, auth_type, access_hash, context, created_at, last_refreshed_at, expires_at)
				SELECT t.user_id, t.auth_type, sha256(t.access_hash || int4send(g)), t.context, t.created_at, t.last_refreshed_at, t.expires_at
				FROM auth_tokens t CROSS JOIN generate_series(1, $2::int) g WHERE t.id = $1`, src.Token.ID, copies)
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
}

// TestListSessions: only live sessions (not revoked; access valid, never
// expiring, or refresh window still open), newest first, with typed context,
// and only the caller's.
func TestListSessions(t *testing.T) {
	t.Parallel()
	clk := newClock(t0)
	svc, pool := newService(t, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) { s.KeepExpiredTokens = true }))
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
}

// TestRevokeSession: a user revokes one of their own sessions; another
// user's session, an unknown id or a revoked one is ErrNotFound (HTTP 404 in
// the app) and nothing changes.
func TestRevokeSession(t *testing.T) {
	t.Parallel()
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprintf("keep=%v", keep), func(t *testing.T) {
			t.Parallel()
			clk := newClock(t0)
			svc, pool := newService(t, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) { s.KeepExpiredTokens = keep }))
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
}

// TestRevokeOtherSessions: "log out other devices" keeps one session and
// revokes the user's others, returning the count, leaving other users alone.
func TestRevokeOtherSessions(t *testing.T) {
	t.Parallel()
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprintf("keep=%v", keep), func(t *testing.T) {
			t.Parallel()
			clk := newClock(t0)
			svc, pool := newService(t, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) { s.KeepExpiredTokens = keep }))
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
}

// TestRevocationModeOnEveryPath: keep_expired_tokens true keeps the row with
// revoked_at and revoke_reason on every revocation path, false deletes it on
// every path (drf-authentify applied the setting to two paths only, §c.4,
// §e.7). Either way the token never works again.
func TestRevocationModeOnEveryPath(t *testing.T) {
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
				svc, pool := newService(t, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) {
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
}

// TestRevokedRowNeverAuthenticates: revocation does not depend on
// expires_at. A soft-revoked row whose expires_at and refresh_until are moved
// far into the future (or cleared) by hand never authenticates, never
// refreshes, is never auto-refreshed and is not listed (drf-authentify's
// revoked_at was write-only, §e.6).
func TestRevokedRowNeverAuthenticates(t *testing.T) {
	t.Parallel()
	for _, expires := range []string{"'9999-01-01'::timestamptz", "NULL"} {
		t.Run(expires, func(t *testing.T) {
			t.Parallel()
			clk := newClock(t0)
			svc, pool := newService(t, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) {
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
				pgtest.Exec(t, pool, `UPDATE auth_tokens SET expires_at = `+expires+`, refresh_until = '9999-01-01' WHERE id = $1`, x.Token.ID)
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
}

// ---------------------------------------------------------------- settings

// TestSettingsValidation: auth.New refuses bad settings with a
// *runtime.SettingsError naming every bad key (drf-authentify: §c.1, and it
// rejected interval 0 with auto_refresh, §e.10, accepted md5/sha1 and shake,
// §e.17, and auto_refresh without token_ttl, §e.11).
func TestSettingsValidation(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewPool(t)
	tests := []struct {
		name     string
		mod      func(*runtime.Settings)
		wantKeys []string // nil: valid
		wantMsg  string
	}{
		{name: "defaults"},
		{name: "auto refresh every request", mod: func(s *runtime.Settings) { s.AutoRefresh, s.AutoRefreshInterval = true, 0 }},
		{name: "never-expiring tokens without refresh", mod: func(s *runtime.Settings) { s.TokenTTL, s.RefreshTokenTTL = runtime.Never, runtime.Never }},
		{name: "every algorithm", mod: func(s *runtime.Settings) { s.HashAlgorithm = "sha3_256" }},
		{name: "zero token_ttl", mod: func(s *runtime.Settings) { s.TokenTTL = 0 }, wantKeys: []string{"token_ttl"}, wantMsg: "positive duration or none"},
		{name: "negative token_ttl", mod: func(s *runtime.Settings) { s.TokenTTL = -time.Second }, wantKeys: []string{"token_ttl"}},
		{name: "refresh not longer", mod: func(s *runtime.Settings) { s.RefreshTokenTTL = s.TokenTTL }, wantKeys: []string{"refresh_token_ttl"}, wantMsg: "must be longer than token_ttl"},
		{name: "zero refresh", mod: func(s *runtime.Settings) { s.RefreshTokenTTL = 0 }, wantKeys: []string{"refresh_token_ttl"}},
		{name: "md5", mod: func(s *runtime.Settings) { s.HashAlgorithm = "md5" }, wantKeys: []string{"hash_algorithm"}, wantMsg: "too weak"},
		{name: "sha1", mod: func(s *runtime.Settings) { s.HashAlgorithm = "sha1" }, wantKeys: []string{"hash_algorithm"}, wantMsg: "too weak"},
		{name: "shake", mod: func(s *runtime.Settings) { s.HashAlgorithm = "shake_256" }, wantKeys: []string{"hash_algorithm"}, wantMsg: "extendable-output"},
		{name: "upper-case", mod: func(s *runtime.Settings) { s.HashAlgorithm = "SHA256" }, wantKeys: []string{"hash_algorithm"}, wantMsg: "did you mean sha256"},
		{name: "empty algorithm", mod: func(s *runtime.Settings) { s.HashAlgorithm = "" }, wantKeys: []string{"hash_algorithm"}},
		{name: "no prefixes", mod: func(s *runtime.Settings) { s.HeaderPrefixes = nil }, wantKeys: []string{"header_prefixes"}},
		{name: "blank prefix", mod: func(s *runtime.Settings) { s.HeaderPrefixes = []string{""} }, wantKeys: []string{"header_prefixes"}},
		{name: "duplicate prefix", mod: func(s *runtime.Settings) { s.HeaderPrefixes = []string{"Bearer", "bearer"} }, wantKeys: []string{"header_prefixes"}, wantMsg: "case-insensitive"},
		{name: "no cookies", mod: func(s *runtime.Settings) { s.CookieNames = []string{} }, wantKeys: []string{"cookie_names"}},
		{name: "bad cookie", mod: func(s *runtime.Settings) { s.CookieNames = []string{"my token"} }, wantKeys: []string{"cookie_names"}},
		{name: "auto refresh without expiry", mod: func(s *runtime.Settings) {
			s.AutoRefresh, s.TokenTTL, s.RefreshTokenTTL = true, runtime.Never, runtime.Never
		}, wantKeys: []string{"auto_refresh"}, wantMsg: "needs token_ttl"},
		{name: "auto refresh without max", mod: func(s *runtime.Settings) { s.AutoRefresh, s.AutoRefreshMaxTTL = true, runtime.Never }, wantKeys: []string{"auto_refresh"}},
		{name: "negative interval", mod: func(s *runtime.Settings) { s.AutoRefreshInterval = -time.Minute }, wantKeys: []string{"auto_refresh_interval"}},
		{name: "max below token", mod: func(s *runtime.Settings) { s.AutoRefreshMaxTTL = time.Hour }, wantKeys: []string{"auto_refresh_max_ttl"}},
		{name: "negative grace", mod: func(s *runtime.Settings) { s.RefreshGracePeriod = -time.Second }, wantKeys: []string{"refresh_grace_period"}},
		{name: "short secret", mod: func(s *runtime.Settings) { s.SecretKey = []byte("hunter2-hunter2") }, wantKeys: []string{"secret_key"}},
		{name: "all at once", mod: func(s *runtime.Settings) {
			s.TokenTTL, s.HashAlgorithm, s.CookieNames, s.AutoRefreshInterval = 0, "md5", nil, -1
		}, wantKeys: []string{"token_ttl", "auto_refresh_interval", "hash_algorithm", "cookie_names"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svc, err := auth.New(pool, settings(tc.mod))
			if tc.wantKeys == nil {
				if err != nil || svc == nil {
					t.Fatalf("New = %v, %v; want a service", svc, err)
				}
				return
			}
			if svc != nil {
				t.Error("New returned a service with invalid settings")
			}
			var se *runtime.SettingsError
			if !errors.As(err, &se) {
				t.Fatalf("err = %T %v, want *runtime.SettingsError", err, err)
			}
			var keys []string
			for _, p := range se.Problems {
				keys = append(keys, p.Key)
				if !strings.Contains(err.Error(), p.Key+": "+p.Message) {
					t.Errorf("Error() %q does not name %s", err, p.Key)
				}
			}
			if !slices.Equal(keys, tc.wantKeys) {
				t.Errorf("keys = %v, want %v (%v)", keys, tc.wantKeys, err)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("err %q, want it to contain %q", err, tc.wantMsg)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Error("the error prints the secret key")
			}
		})
	}
}

// TestSettingsRuntimeOverride: the spec's settings are the defaults, and
// WithSettings overrides them at run time for every flow.
func TestSettingsRuntimeOverride(t *testing.T) {
	t.Parallel()
	clk := newClock(t0)
	def, pool := newService(t, auth.WithClock(clk.Now))
	want := auth.DefaultSettings()
	if got := def.Settings(); !reflect.DeepEqual(got, want) {
		t.Errorf("Settings() = %+v, want the spec's %+v", got, want)
	}
	if want.TokenTTL != 24*time.Hour || want.RefreshTokenTTL != 168*time.Hour || want.AutoRefreshMaxTTL != 720*time.Hour || want.AutoRefresh {
		t.Errorf("DefaultSettings do not match authentify.yaml: %+v", want)
	}
	svc, err := auth.New(pool, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) {
		s.TokenTTL, s.RefreshTokenTTL = 15*time.Minute, 2*time.Hour
	}))
	if err != nil {
		t.Fatal(err)
	}
	if got := svc.Settings(); got.TokenTTL != 15*time.Minute || got.RefreshTokenTTL != 2*time.Hour {
		t.Errorf("Settings() = %+v", got)
	}
	user := newUser(t, pool, "alice")
	iss := issue(t, svc, user, "phone")
	wantTime(t, "ExpiresAt", iss.Token.ExpiresAt, at(15*time.Minute))
	wantTime(t, "RefreshUntil", iss.Token.RefreshUntil, at(2*time.Hour))
	clk.Advance(15 * time.Minute)
	_, err = svc.VerifyToken(t.Context(), iss.AccessToken.Reveal(), runtime.TransportHeader)
	wantReason(t, "after overridden ttl", err, runtime.ReasonExpired)
	ref, err := svc.RefreshToken(t.Context(), iss.RefreshToken.Reveal())
	if err != nil {
		t.Fatal(err)
	}
	wantTime(t, "refreshed ExpiresAt", ref.Token.ExpiresAt, at(30*time.Minute))
}

// TestHashAlgorithms: every accepted hash_algorithm works end to end (issue,
// verify, authenticate, refresh) and stores digests of its size; a token
// minted under one algorithm fails under another.
func TestHashAlgorithms(t *testing.T) {
	t.Parallel()
	sizes := map[string]int{"sha256": 32, "sha384": 48, "sha512": 64, "sha512_256": 32, "sha3_256": 32}
	for _, alg := range runtime.HashAlgorithms() {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			clk := newClock(t0)
			svc, pool := newService(t, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) { s.HashAlgorithm = alg }))
			user := newUser(t, pool, "alice")
			iss := issue(t, svc, user, "phone")
			r := readRow(t, pool, iss.Token.ID)
			if want, ok := sizes[alg]; !ok || len(r.AccessHash) != want || len(r.RefreshHash) != want {
				t.Errorf("digest sizes %d/%d, want %d", len(r.AccessHash), len(r.RefreshHash), want)
			}
			if _, err := svc.VerifyToken(t.Context(), iss.AccessToken.Reveal(), runtime.TransportHeader); err != nil {
				t.Fatalf("verify: %v", err)
			}
			if _, _, err := svc.AuthenticateRequest(headerRequest("Token", iss.AccessToken.Reveal())); err != nil {
				t.Fatalf("authenticate: %v", err)
			}
			ref, err := svc.RefreshToken(t.Context(), iss.RefreshToken.Reveal())
			if err != nil {
				t.Fatalf("refresh: %v", err)
			}
			if _, err := svc.VerifyToken(t.Context(), ref.AccessToken.Reveal(), runtime.TransportHeader); err != nil {
				t.Fatalf("verify refreshed: %v", err)
			}
			// The same database under another algorithm knows none of these tokens.
			otherAlg := "sha512"
			if alg == "sha512" {
				otherAlg = "sha256"
			}
			other, err := auth.New(pool, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) { s.HashAlgorithm = otherAlg }))
			if err != nil {
				t.Fatal(err)
			}
			_, err = other.VerifyToken(t.Context(), ref.AccessToken.Reveal(), runtime.TransportHeader)
			wantReason(t, "verify under "+otherAlg, err, runtime.ReasonInvalid)
			_, err = other.RefreshToken(t.Context(), ref.RefreshToken.Reveal())
			wantReason(t, "refresh under "+otherAlg, err, runtime.ReasonInvalid)
			back := issue(t, other, user, "other")
			_, err = svc.VerifyToken(t.Context(), back.AccessToken.Reveal(), runtime.TransportHeader)
			wantReason(t, otherAlg+" token under "+alg, err, runtime.ReasonInvalid)
		})
	}
}

// TestAuthenticateRequestPrefixesAndCookies: header_prefixes and
// cookie_names drive AuthenticateRequest. Schemes match case-insensitively,
// a foreign scheme is "not attempted" so a cookie can still authenticate,
// and every configured cookie is tried (drf-authentify: case-sensitive
// prefixes and hard-failing foreign schemes §e.20, first cookie only §e.21).
func TestAuthenticateRequestPrefixesAndCookies(t *testing.T) {
	t.Parallel()
	svc, pool := newService(t, settings(func(s *runtime.Settings) {
		s.HeaderPrefixes = []string{"Token", "JWT"}
		s.CookieNames = []string{"sid", "token"}
	}))
	user := newUser(t, pool, "alice")
	hdr := issue(t, svc, user, "phone")
	ck := issueCookie(t, svc, user, "web")
	h, c := hdr.AccessToken.Reveal(), ck.AccessToken.Reveal()
	junk, _ := newServiceTokens(t)
	type cookie struct{ name, value string }
	tests := []struct {
		name       string
		auth       string
		cookies    []cookie
		wantID     int64
		wantSource string
		want       runtime.Reason
	}{
		{name: "first prefix", auth: "Token " + h, wantID: hdr.Token.ID, wantSource: "Authorization"},
		{name: "second prefix, lower case", auth: "jwt " + h, wantID: hdr.Token.ID, wantSource: "Authorization"},
		{name: "tab separator", auth: "TOKEN\t" + h, wantID: hdr.Token.ID, wantSource: "Authorization"},
		{name: "unconfigured Bearer is not ours", auth: "Bearer " + h, want: runtime.ReasonMissing},
		{name: "foreign scheme then cookie", auth: "Basic dXNlcjpwYXNz", cookies: []cookie{{"sid", c}}, wantID: ck.Token.ID, wantSource: "sid"},
		{name: "second cookie name", cookies: []cookie{{"token", c}}, wantID: ck.Token.ID, wantSource: "token"},
		{name: "invalid first cookie, valid second", cookies: []cookie{{"sid", "garbage"}, {"token", c}}, wantID: ck.Token.ID, wantSource: "token"},
		{name: "unknown first cookie, valid second", cookies: []cookie{{"sid", junk}, {"token", c}}, wantID: ck.Token.ID, wantSource: "token"},
		{name: "unconfigured cookie", cookies: []cookie{{"session", c}}, want: runtime.ReasonMissing},
		{name: "bad header, valid cookie", auth: "Token " + junk, cookies: []cookie{{"sid", c}}, wantID: ck.Token.ID, wantSource: "sid"},
		{name: "header token in a cookie", cookies: []cookie{{"sid", h}}, want: runtime.ReasonWrongTransport},
		{name: "cookie token in the header", auth: "Token " + c, want: runtime.ReasonWrongTransport},
		{name: "scheme without token", auth: "Token", cookies: []cookie{{"sid", c}}, want: runtime.ReasonMalformed},
		{name: "two words", auth: "Token " + h + " extra", want: runtime.ReasonMalformed},
		{name: "nothing", want: runtime.ReasonMissing},
		{name: "first failure is reported", auth: "Token " + junk, cookies: []cookie{{"sid", h}}, want: runtime.ReasonInvalid},
	}
	for _, tc := range tests {
		r := httptest.NewRequest(http.MethodGet, "/me", nil)
		if tc.auth != "" {
			r.Header.Set("Authorization", tc.auth)
		}
		for _, k := range tc.cookies {
			r.AddCookie(&http.Cookie{Name: k.name, Value: k.value})
		}
		tok, cred, err := svc.AuthenticateRequest(r)
		if tc.want != "" {
			wantReason(t, tc.name, err, tc.want)
			continue
		}
		if err != nil || tok.ID != tc.wantID || cred.Source != tc.wantSource {
			t.Errorf("%s: token %d via %q, err %v; want %d via %q", tc.name, tok.ID, cred.Source, err, tc.wantID, tc.wantSource)
		}
	}
}

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
	t.Parallel()
	clk := newClock(t0)
	svc, pool := newService(t, auth.WithClock(clk.Now), autoSettings(nil))
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
}

// TestAutoRefreshIntervalZero: auto_refresh_interval 0 slides on every
// request (drf-authentify refused 0, §e.10).
func TestAutoRefreshIntervalZero(t *testing.T) {
	t.Parallel()
	clk := newClock(t0)
	svc, pool := newService(t, auth.WithClock(clk.Now), autoSettings(func(s *runtime.Settings) { s.AutoRefreshInterval = 0 }))
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
}

// TestAutoRefreshCappedAtMaxTTL: near the end of the session the expiry is
// capped at CreatedAt + auto_refresh_max_ttl rather than not extended at all
// (drf-authentify skipped, §c.2, §e.12), and the session then ends.
func TestAutoRefreshCappedAtMaxTTL(t *testing.T) {
	t.Parallel()
	clk := newClock(t0)
	svc, pool := newService(t, auth.WithClock(clk.Now), autoSettings(func(s *runtime.Settings) { s.AutoRefreshMaxTTL, s.AutoRefreshInterval = 3*time.Hour, 0 }))
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
}

// TestAutoRefreshNeverShortens: a token whose expiry lies beyond what a
// slide would give keeps it; it slides only once sliding would lengthen it
// (drf-authentify shortened it to TOKEN_TTL, §e.14). The row is one from
// before sessions stored their own TTLs (slides use the settings' 2h);
// a session's own TTLs are TestSessionKeepsItsOwnTTLs's.
func TestAutoRefreshNeverShortens(t *testing.T) {
	t.Parallel()
	clk := newClock(t0)
	var slides atomic.Int32
	svc, pool := newService(t, auth.WithClock(clk.Now), autoSettings(func(s *runtime.Settings) { s.AutoRefreshInterval = 0 }),
		auth.WithPostAutoRefresh(func(_ *http.Request, tok auth.Token) (auth.Token, error) { slides.Add(1); return tok, nil }))
	user := newUser(t, pool, "alice")
	iss := issue(t, svc, user, "phone", auth.WithAccessTTL(10*time.Hour))
	pgtest.Exec(t, pool, `UPDATE auth_tokens SET access_ttl_ns = NULL WHERE id = $1`, iss.Token.ID)
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
}

// TestAutoRefreshSkipsNeverExpiring: a token that never expires is never
// made expiring by auto-refresh (drf-authentify did, §e.14) and gets no
// refresh window.
func TestAutoRefreshSkipsNeverExpiring(t *testing.T) {
	t.Parallel()
	clk := newClock(t0)
	unbounded, pool := newService(t, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) { s.AutoRefreshMaxTTL = runtime.Never }))
	user := newUser(t, pool, "alice")
	iss := issue(t, unbounded, user, "kiosk", auth.WithAccessTTL(runtime.Never), auth.WithRefreshTTL(runtime.Never))
	if iss.Token.ExpiresAt != nil {
		t.Fatalf("ExpiresAt = %v, want nil", iss.Token.ExpiresAt)
	}
	var slides atomic.Int32
	svc, err := auth.New(pool, auth.WithClock(clk.Now), autoSettings(func(s *runtime.Settings) { s.AutoRefreshInterval = 0 }),
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
}

// TestAutoRefreshSkipsRevoked: a revoked row is refused before any slide and
// is never written (drf-authentify's stale auto-refresh could revive it,
// §e.2); a deleted row is a plain 401 invalid, never a 500 (§e.3).
func TestAutoRefreshSkipsRevoked(t *testing.T) {
	t.Parallel()
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprintf("keep=%v", keep), func(t *testing.T) {
			t.Parallel()
			clk := newClock(t0)
			var slides atomic.Int32
			svc, pool := newService(t, auth.WithClock(clk.Now), autoSettings(func(s *runtime.Settings) { s.AutoRefreshInterval = 0; s.KeepExpiredTokens = keep }),
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

// ---------------------------------------------------------------- single login

// TestSingleLogin: under enforce_single_login a new login of either
// transport revokes every other session of the user, of both transports,
// soft or hard, and leaves other users alone; an already revoked row keeps
// its reason (drf-authentify re-stamped it, §e.7).
func TestSingleLogin(t *testing.T) {
	t.Parallel()
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprintf("keep=%v", keep), func(t *testing.T) {
			t.Parallel()
			clk := newClock(t0)
			var events []runtime.RevokeEvent
			multi, pool := newService(t, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) { s.KeepExpiredTokens = keep }))
			single, err := auth.New(pool, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) {
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
}

// ---------------------------------------------------------------- hooks

// TestPostAuthEnriches: a PostAuth hook receives the request and the token
// and may replace it — here it records the client's IP with UpdateColumns,
// which both the returned token and the row reflect.
func TestPostAuthEnriches(t *testing.T) {
	t.Parallel()
	var svc *auth.Service
	var calls atomic.Int32
	svc, pool := newService(t, auth.WithPostAuth(func(r *http.Request, tok auth.Token) (auth.Token, error) {
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
}

// TestPostAuthRejects: a hook error refuses the request as a 401 with
// ReasonRejected, keeping the hook's error in the chain; an *AuthError from
// the hook keeps its own reason.
func TestPostAuthRejects(t *testing.T) {
	t.Parallel()
	errNo2FA := errors.New("second factor required")
	svc, pool := newService(t, auth.WithPostAuth(func(r *http.Request, tok auth.Token) (auth.Token, error) {
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
}

// TestPostAutoRefreshHook: PostAutoRefresh runs only when a slide happened,
// receives the slid token, and runs before PostAuth, which receives what it
// returned; its error refuses the request.
func TestPostAutoRefreshHook(t *testing.T) {
	t.Parallel()
	clk := newClock(t0)
	var mu sync.Mutex
	var calls []string
	rejectSlide := false
	svc, pool := newService(t, auth.WithClock(clk.Now), autoSettings(nil),
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
}

// TestOnRevokeEvents: OnRevoke reports each revocation that touched rows,
// with scope, reason, mode and count; revocations that touched nothing are
// silent.
func TestOnRevokeEvents(t *testing.T) {
	t.Parallel()
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprintf("keep=%v", keep), func(t *testing.T) {
			t.Parallel()
			clk := newClock(t0)
			var mu sync.Mutex
			var events []runtime.RevokeEvent
			svc, pool := newService(t, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) { s.KeepExpiredTokens = keep }),
				auth.WithOnRevoke(func(_ context.Context, ev runtime.RevokeEvent) {
					mu.Lock()
					defer mu.Unlock()
					events = append(events, ev)
				}))
			single, err := auth.New(pool, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) {
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
}

// ---------------------------------------------------------------- context

// TestContextRoundTrip: the typed Context survives the jsonb column —
// netip addresses (v4 and v6), strings, bools, and omitted zero fields —
// through issue, verify, refresh, authenticate and ListSessions.
func TestContextRoundTrip(t *testing.T) {
	t.Parallel()
	clk := newClock(t0)
	svc, pool := newService(t, auth.WithClock(clk.Now))
	user := newUser(t, pool, "alice")
	tests := []struct {
		c    auth.Context
		json map[string]any
	}{
		{auth.Context{Device: "iPhone", IPAddress: netip.MustParseAddr("2001:db8::1"), AppVersion: "2.1", BetaFeatures: true},
			map[string]any{"device": "iPhone", "ip_address": "2001:db8::1", "app_version": "2.1", "beta_features": true}},
		{auth.Context{Device: "Chrome", IPAddress: netip.MustParseAddr("192.0.2.44")},
			map[string]any{"device": "Chrome", "ip_address": "192.0.2.44"}},
		{auth.Context{Device: "mapped", IPAddress: netip.MustParseAddr("::ffff:192.0.2.1")},
			map[string]any{"device": "mapped", "ip_address": "::ffff:192.0.2.1"}},
		{auth.Context{Device: "ünïcode \"quoted\" 📱"}, map[string]any{"device": "ünïcode \"quoted\" 📱"}},
	}
	var ids []int64
	for _, tc := range tests {
		clk.Advance(time.Second)
		iss, err := svc.GenerateHeaderToken(t.Context(), user, tc.c)
		if err != nil {
			t.Fatal(err)
		}
		ids = append([]int64{iss.Token.ID}, ids...)
		var raw []byte
		if err := pool.QueryRow(t.Context(), `SELECT context FROM auth_tokens WHERE id = $1`, iss.Token.ID).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		var stored map[string]any
		if err := json.Unmarshal(raw, &stored); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(stored, tc.json) {
			t.Errorf("stored context %s, want %v", raw, tc.json)
		}
		got := []auth.Context{iss.Token.Context, mustVerify(t, svc, iss).Context}
		tok, _, err := svc.AuthenticateRequest(headerRequest("Bearer", iss.AccessToken.Reveal()))
		if err != nil {
			t.Fatal(err)
		}
		ref, err := svc.RefreshToken(t.Context(), iss.RefreshToken.Reveal())
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, tok.Context, ref.Token.Context)
		for i, c := range got {
			if c != tc.c {
				t.Errorf("path %d: context %+v, want %+v", i, c, tc.c)
			}
		}
	}
	sessions, _, err := svc.ListSessions(t.Context(), user, 0, runtime.SessionCursor{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sessions) != len(tests) {
		t.Fatalf("%d sessions, want %d", len(sessions), len(tests))
	}
	for i, s := range sessions {
		want := tests[len(tests)-1-i].c
		if s.ID != ids[i] || s.Context != want {
			t.Errorf("session %d = %d %+v, want %d %+v", i, s.ID, s.Context, ids[i], want)
		}
	}
}

// TestContextIsStrict: the example spec's context is strict: Context has
// exactly the declared fields with their Go types, so an undeclared key is a
// compile error (drf-authentify's context_obj answered None or raised at
// run time, §a.5).
func TestContextIsStrict(t *testing.T) {
	t.Parallel()
	want := map[string]reflect.Type{
		"Device":       reflect.TypeFor[string](),
		"IPAddress":    reflect.TypeFor[netip.Addr](),
		"AppVersion":   reflect.TypeFor[string](),
		"BetaFeatures": reflect.TypeFor[bool](),
	}
	ct := reflect.TypeFor[auth.Context]()
	if ct.NumField() != len(want) {
		t.Errorf("Context has %d fields, want %d", ct.NumField(), len(want))
	}
	for i := range ct.NumField() {
		f := ct.Field(i)
		if want[f.Name] != f.Type {
			t.Errorf("Context.%s is %v, want %v", f.Name, f.Type, want[f.Name])
		}
	}
	if _, ok := ct.FieldByName("Extra"); ok {
		t.Error("a strict Context has a catch-all field")
	}
}
