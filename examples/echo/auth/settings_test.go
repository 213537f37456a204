package auth_test

// Settings: validation, run-time overrides, hash algorithms, prefixes and cookies.

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/internal/pgtest"
	"github.com/authentify-go/authentify/runtime"
)

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
	user := newUser(t, pgDB(pool), "alice")
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
			user := newUser(t, pgDB(pool), "alice")
			iss := issue(t, svc, user, "phone")
			r := readRow(t, pgDB(pool), iss.Token.ID)
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
	user := newUser(t, pgDB(pool), "alice")
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
