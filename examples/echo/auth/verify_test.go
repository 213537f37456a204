package auth_test

// Verifying tokens.

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/runtime"
)

// ---------------------------------------------------------------- verify

// TestVerifyToken covers VerifyToken(ctx, raw, transport): valid, unknown,
// expired at the exact boundary, revoked (soft) or deleted, wrong transport
// with enable_auth_restriction on and off, and runtime.AnyTransport.
func TestVerifyToken(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		clk := newClock(t0)
		svc, pool := newEngineService(t, e, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) { s.KeepExpiredTokens = true }))
		open, err := pool.newService(auth.WithClock(clk.Now), settings(func(s *runtime.Settings) { s.EnableAuthRestriction = false }))
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
	})
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
	user := newUser(t, pgDB(pool), "alice")
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
