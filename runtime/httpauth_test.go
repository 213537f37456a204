package runtime

// The pure parts of the framework-free HTTP core: cookie options and
// builders, and the net/http answer to an error. The request flow over a
// real database is tested once per stack in examples/echo/auth
// (TestEveryStackAnswersAlike).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// cookieTok is the smallest Recorded type.
type cookieTok struct{ Record }

func TestCookieOptionsWithDefaults(t *testing.T) {
	s := DefaultSettings()
	s.CookieNames = []string{"sid", "legacy"}
	for _, c := range []struct {
		name string
		in   CookieOptions
		want CookieOptions
	}{
		{"zero", CookieOptions{}, CookieOptions{AccessName: "sid", RefreshName: "refresh_token", RefreshPath: "/auth/refresh", SameSite: http.SameSiteStrictMode}},
		{"all set", CookieOptions{AccessName: "a", RefreshName: "r", RefreshPath: "/r", Domain: "example.com", Insecure: true, SameSite: http.SameSiteLaxMode},
			CookieOptions{AccessName: "a", RefreshName: "r", RefreshPath: "/r", Domain: "example.com", Insecure: true, SameSite: http.SameSiteLaxMode}},
		{"some set", CookieOptions{RefreshPath: "/api/refresh", Insecure: true},
			CookieOptions{AccessName: "sid", RefreshName: "refresh_token", RefreshPath: "/api/refresh", Insecure: true, SameSite: http.SameSiteStrictMode}},
	} {
		if got := c.in.WithDefaults(&s); got != c.want {
			t.Errorf("%s: WithDefaults = %+v, want %+v", c.name, got, c.want)
		}
	}
	none := DefaultSettings()
	none.CookieNames = nil
	if got := (CookieOptions{}).WithDefaults(&none); got.AccessName != "" {
		t.Errorf("without cookie names AccessName = %q, want empty", got.AccessName)
	}
}

// setCookies returns the Set-Cookie lines write puts on a response.
func setCookies(write func(http.ResponseWriter)) []string {
	rec := httptest.NewRecorder()
	write(rec)
	return rec.Result().Header.Values("Set-Cookie")
}

func TestTokenCookies(t *testing.T) {
	exp := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	until := exp.Add(24 * time.Hour)
	s := DefaultSettings()
	o := CookieOptions{Domain: "example.com"}.WithDefaults(&s)
	for _, c := range []struct {
		name  string
		o     CookieOptions
		iss   Issued[cookieTok]
		write func(http.ResponseWriter, CookieOptions, Issued[cookieTok])
		want  []string
	}{
		{"access and refresh", o,
			Issued[cookieTok]{AccessToken: "at", RefreshToken: "rt", Token: cookieTok{Record{ExpiresAt: &exp, RefreshUntil: &until}}},
			WriteTokenCookies[cookieTok],
			[]string{
				"token=at; Path=/; Domain=example.com; Expires=Fri, 02 Jan 2026 03:04:05 GMT; HttpOnly; Secure; SameSite=Strict",
				"refresh_token=rt; Path=/auth/refresh; Domain=example.com; Expires=Sat, 03 Jan 2026 03:04:05 GMT; HttpOnly; Secure; SameSite=Strict",
			}},
		{"no refresh token, no expiry: a session cookie", CookieOptions{Insecure: true, SameSite: http.SameSiteLaxMode}.WithDefaults(&s),
			Issued[cookieTok]{AccessToken: "at"},
			WriteTokenCookies[cookieTok],
			[]string{"token=at; Path=/; HttpOnly; SameSite=Lax"}},
		{"clear", o, Issued[cookieTok]{},
			func(w http.ResponseWriter, o CookieOptions, _ Issued[cookieTok]) { WriteClearCookies(w, o) },
			[]string{
				"token=; Path=/; Domain=example.com; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Secure; SameSite=Strict",
				"refresh_token=; Path=/auth/refresh; Domain=example.com; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Secure; SameSite=Strict",
			}},
	} {
		got := setCookies(func(w http.ResponseWriter) { c.write(w, c.o, c.iss) })
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("%s: Set-Cookie\n%s\nwant\n%s", c.name, strings.Join(got, "\n"), strings.Join(c.want, "\n"))
		}
	}
}

func TestWriteChallenge(t *testing.T) {
	const realm = `Bearer realm="api"`
	for _, c := range []struct {
		err     error
		status  int
		message string
		headers map[string]string
	}{
		{&AuthError{Reason: ReasonMissing}, 401, "authentication required", map[string]string{"WWW-Authenticate": realm}},
		{&AuthError{Reason: ReasonMalformed}, 400, "malformed authorization header",
			map[string]string{"WWW-Authenticate": realm + `, error="invalid_request", error_description="malformed authorization header"`}},
		{&AuthError{Reason: ReasonExpired}, 401, "the token is expired",
			map[string]string{"WWW-Authenticate": realm + `, error="invalid_token", error_description="the token is expired"`}},
		{fmt.Errorf("verify: %w", ErrUnavailable), 503, "authentication temporarily unavailable", map[string]string{"Retry-After": RetryAfterSeconds}},
		{fmt.Errorf("%w: cross-site", ErrCrossOrigin), 403, "cross-origin request refused", nil},
		{errors.New("boom"), 500, "Internal Server Error", nil},
	} {
		rec := httptest.NewRecorder()
		WriteChallenge(rec, ChallengeFor(c.err, ""))
		var body map[string]string
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body) != 1 || body["message"] != c.message {
			t.Errorf("%v: body %q (%v), want {\"message\": %q}", c.err, rec.Body.String(), err, c.message)
		}
		if rec.Code != c.status {
			t.Errorf("%v: status %d, want %d", c.err, rec.Code, c.status)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("%v: Content-Type %q", c.err, ct)
		}
		for _, k := range []string{"WWW-Authenticate", "Retry-After"} {
			if got := rec.Header().Get(k); got != c.headers[k] {
				t.Errorf("%v: %s = %q, want %q", c.err, k, got, c.headers[k])
			}
		}
	}
}

// TestChallengeLoggedLogs500s: an error that is neither a refusal nor an
// outage is logged with its cause through the given logger, never through
// slog.Default(); a refusal or an outage is not logged.
func TestChallengeLoggedLogs500s(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	r := httptest.NewRequest("POST", "/api/things?secret=no", nil)
	for _, c := range []struct {
		err    error
		logged bool
	}{
		{errors.New("decode row: boom"), true},
		{&AuthError{Reason: ReasonRevoked}, false},
		{ErrUnavailable, false},
		{ErrCrossOrigin, false},
	} {
		buf.Reset()
		ch := ChallengeLogged(r, "", c.err, logger)
		got := buf.String()
		if !c.logged {
			if got != "" {
				t.Errorf("%v (%d) was logged: %s", c.err, ch.Status, got)
			}
			continue
		}
		for _, want := range []string{"level=ERROR", "authentify: internal error", "method=POST", "path=/api/things", "decode row: boom"} {
			if !strings.Contains(got, want) {
				t.Errorf("%v: log %q lacks %q", c.err, got, want)
			}
		}
		if strings.Contains(got, "secret") {
			t.Errorf("the log holds the query string: %s", got)
		}
	}
}

// fakeAuthenticator is an Authenticator other than an Engine: it finds the
// token of ID 7 for any credential and, when slide is set, runs the
// PostAutoRefresh hook as an Engine does after sliding its expiry.
type fakeAuthenticator struct{ slide bool }

func (fakeAuthenticator) Extract(r *http.Request) ([]Credential, error) { return Extract(r, nil) }

func (f fakeAuthenticator) AuthenticateAny(ctx context.Context, creds []Credential, h AuthHooks[cookieTok]) (cookieTok, Credential, error) {
	if len(creds) == 0 {
		return cookieTok{}, Credential{}, refused(ReasonMissing)
	}
	tok := cookieTok{Record{ID: 7}}
	var err error
	if f.slide && h.PostAutoRefresh != nil {
		if tok, err = h.PostAutoRefresh(ctx, tok); err != nil {
			return cookieTok{}, Credential{}, err
		}
	}
	if h.PostAuth != nil {
		if tok, err = h.PostAuth(ctx, tok); err != nil {
			return cookieTok{}, Credential{}, err
		}
	}
	return tok, creds[0], nil
}

// TestAuthenticateRequestOtherAuthenticator: with an Authenticator that is
// not an Engine, AuthenticateRequest sees a slide through the
// PostAutoRefresh hook (slid only when the token returned is the one that
// slid) and runs the request's hooks with the request.
func TestAuthenticateRequestOtherAuthenticator(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer abc")
	var seen []string
	hook := func(name string, id int64) func(*http.Request, cookieTok) (cookieTok, error) {
		return func(got *http.Request, tok cookieTok) (cookieTok, error) {
			if got != r {
				t.Errorf("%s hook got another request", name)
			}
			seen = append(seen, name)
			if id != 0 {
				tok.ID = id
			}
			return tok, nil
		}
	}
	for _, c := range []struct {
		name     string
		slide    bool
		hooks    RequestHooks[cookieTok]
		wantSlid bool
		wantSeen string
	}{
		{"no slide, no hooks", false, RequestHooks[cookieTok]{}, false, ""},
		{"slide, no hooks", true, RequestHooks[cookieTok]{}, true, ""},
		{"slide, hooks", true, RequestHooks[cookieTok]{PostAutoRefresh: hook("refresh", 0), PostAuth: hook("auth", 0)}, true, "refresh auth"},
		{"no slide, hooks", false, RequestHooks[cookieTok]{PostAutoRefresh: hook("refresh", 0), PostAuth: hook("auth", 0)}, false, "auth"},
		{"slide, PostAuth swaps the token", true, RequestHooks[cookieTok]{PostAuth: hook("auth", 8)}, false, "auth"},
	} {
		seen = nil
		tok, cred, slid, err := AuthenticateRequest[cookieTok](fakeAuthenticator{c.slide}, r, nil, c.hooks)
		if err != nil || cred.Raw != "abc" {
			t.Fatalf("%s: AuthenticateRequest = %+v, %v", c.name, cred, err)
		}
		if slid != c.wantSlid || strings.Join(seen, " ") != c.wantSeen {
			t.Errorf("%s: slid %v, hooks [%s] (token %d), want slid %v, hooks [%s]", c.name, slid, strings.Join(seen, " "), tok.ID, c.wantSlid, c.wantSeen)
		}
	}
	if _, _, _, err := AuthenticateRequest[cookieTok](fakeAuthenticator{}, httptest.NewRequest("GET", "/", nil), nil, RequestHooks[cookieTok]{}); ReasonOf(err) != ReasonMissing {
		t.Errorf("no credential: err %v, want ReasonMissing", err)
	}
}
