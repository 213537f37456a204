package auth_test

// Guarantees at the HTTP edge: CSRF on cookie-authenticated requests, hostile
// headers and cookies, and secret hygiene in errors, responses and logs (see
// guarantees_test.go for the races).

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/runtime"
	"github.com/labstack/echo/v4"
)

// ---------------------------------------------------------------------------
// 7. CSRF on cookie authentication.

// newEchoApp serves mw and a handler that answers 200 with the authenticated
// token's transport (or "anonymous").
func newEchoApp(mw echo.MiddlewareFunc) *echo.Echo {
	e := echo.New()
	e.Use(mw)
	h := func(c echo.Context) error {
		if tok, ok := auth.TokenFrom(c); ok {
			return c.String(http.StatusOK, string(tok.Transport))
		}
		return c.String(http.StatusOK, "anonymous")
	}
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		e.Add(m, "/*", h)
	}
	return e
}

func serveEcho(e *echo.Echo, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	e.ServeHTTP(w, r)
	return w
}

func TestCookieAuthenticatedUnsafeRequestsAreProtectedAgainstCSRF(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		svc, pool := newEngineService(t, e)
		uid := newUser(t, pool, "csrf")
		cookieTok, err := svc.GenerateCookieToken(bgCtx, uid, auth.Context{Device: "browser"})
		if err != nil {
			t.Fatal(err)
		}
		headerTok, err := svc.GenerateHeaderToken(bgCtx, uid, auth.Context{Device: "app"})
		if err != nil {
			t.Fatal(err)
		}
		ck, hd := cookieTok.AccessToken.Reveal(), headerTok.AccessToken.Reveal()
		app := newEchoApp(svc.Middleware())
		trusted, err := svc.MiddlewareWithConfig(auth.MiddlewareConfig{TrustedOrigins: []string{"https://app.example.com"}})
		if err != nil {
			t.Fatal(err)
		}
		trustedApp := newEchoApp(trusted)
		off, err := svc.MiddlewareWithConfig(auth.MiddlewareConfig{DisableCSRF: true})
		if err != nil {
			t.Fatal(err)
		}
		offApp := newEchoApp(off)

		withHeaders := func(r *http.Request, kv ...string) *http.Request {
			for i := 0; i < len(kv); i += 2 {
				r.Header.Set(kv[i], kv[i+1])
			}
			return r
		}
		type tc struct {
			name string
			app  *echo.Echo
			req  *http.Request
			want int
		}
		var cases []tc
		for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			cases = append(cases,
				tc{m + " cookie Sec-Fetch-Site cross-site", app, withHeaders(cookieAuthRequest(m, "/x", "token", ck), "Sec-Fetch-Site", "cross-site"), 403},
				tc{m + " cookie Sec-Fetch-Site same-site", app, withHeaders(cookieAuthRequest(m, "/x", "token", ck), "Sec-Fetch-Site", "same-site"), 403},
				tc{m + " cookie foreign Origin", app, withHeaders(cookieAuthRequest(m, "/x", "token", ck), "Origin", "https://evil.example"), 403},
				tc{m + " cookie Sec-Fetch-Site same-origin", app, withHeaders(cookieAuthRequest(m, "/x", "token", ck), "Sec-Fetch-Site", "same-origin"), 200},
				tc{m + " cookie Origin matches Host", app, withHeaders(cookieAuthRequest(m, "/x", "token", ck), "Origin", "http://example.com"), 200},
				tc{m + " header cross-site", app, withHeaders(bearerRequest(m, "/x", hd), "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"), 200},
				tc{m + " cookie cross-site, DisableCSRF", offApp, withHeaders(cookieAuthRequest(m, "/x", "token", ck), "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"), 200},
			)
		}
		cases = append(cases,
			tc{"GET cookie cross-site", app, withHeaders(cookieAuthRequest("GET", "/x", "token", ck), "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"), 200},
			tc{"HEAD cookie cross-site", app, withHeaders(cookieAuthRequest("HEAD", "/x", "token", ck), "Sec-Fetch-Site", "cross-site"), 200},
			tc{"POST cookie from a trusted origin", trustedApp, withHeaders(cookieAuthRequest("POST", "/x", "token", ck), "Sec-Fetch-Site", "cross-site", "Origin", "https://app.example.com"), 200},
			tc{"POST cookie from a trusted origin, old browser", trustedApp, withHeaders(cookieAuthRequest("POST", "/x", "token", ck), "Origin", "https://app.example.com"), 200},
			tc{"POST cookie from another origin, trusted list set", trustedApp, withHeaders(cookieAuthRequest("POST", "/x", "token", ck), "Sec-Fetch-Site", "cross-site", "Origin", "https://other.example.com"), 403},
		)
		for _, c := range cases {
			w := serveEcho(c.app, c.req)
			if w.Code != c.want {
				t.Errorf("%s: HTTP %d %q; want %d", c.name, w.Code, w.Body.String(), c.want)
				continue
			}
			want := "cookie"
			if c.req.Header.Get("Authorization") != "" {
				want = "header"
			}
			if c.want == 200 && c.req.Method != http.MethodHead && w.Body.String() != want {
				t.Errorf("%s: handler answered %q; want %q (the token's transport)", c.name, w.Body.String(), want)
			}
			if c.want == 403 && w.Body.String() == "cookie" {
				t.Errorf("%s: the handler ran", c.name)
			}
		}

		for _, bad := range []string{"https://app.example.com/", "*.example.com", "https://*.example.com", "app.example.com", "https://App.example.com", "https://app.example.com:443", ""} {
			if _, err := svc.MiddlewareWithConfig(auth.MiddlewareConfig{TrustedOrigins: []string{bad}}); err == nil {
				t.Errorf("MiddlewareWithConfig accepted the invalid trusted origin %q", bad)
			}
		}
	})
}

// ---------------------------------------------------------------------------
// 8. HTTP edge cases through the middleware.

func TestMiddlewareHTTPEdgeCases(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		svc, pool := newEngineService(t, e, settings(func(s *runtime.Settings) { s.CookieNames = []string{"session", "token"} }))
		uid := newUser(t, pool, "edge")
		hdr, err := svc.GenerateHeaderToken(bgCtx, uid, auth.Context{Device: "app"})
		if err != nil {
			t.Fatal(err)
		}
		ck, err := svc.GenerateCookieToken(bgCtx, uid, auth.Context{Device: "browser"})
		if err != nil {
			t.Fatal(err)
		}
		revoked, err := svc.GenerateCookieToken(bgCtx, uid, auth.Context{Device: "old"})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.RevokeToken(bgCtx, revoked.Token); err != nil {
			t.Fatal(err)
		}
		h, c := hdr.AccessToken.Reveal(), ck.AccessToken.Reveal()
		unknown := wellFormedUnknown(t, svc)
		app := newEchoApp(svc.Middleware())

		optMW, err := svc.MiddlewareWithConfig(auth.MiddlewareConfig{Optional: true})
		if err != nil {
			t.Fatal(err)
		}
		optional := newEchoApp(optMW)
		skipMW, err := svc.MiddlewareWithConfig(auth.MiddlewareConfig{Skipper: func(c echo.Context) bool {
			return strings.HasPrefix(c.Request().URL.Path, "/public")
		}})
		if err != nil {
			t.Fatal(err)
		}
		skipping := newEchoApp(skipMW)

		authz := func(v string) *http.Request {
			r := httptest.NewRequest("GET", "/x", nil)
			r.Header.Set("Authorization", v)
			return r
		}
		withCookies := func(r *http.Request, kv ...string) *http.Request {
			for i := 0; i < len(kv); i += 2 {
				r.AddCookie(&http.Cookie{Name: kv[i], Value: kv[i+1]})
			}
			return r
		}
		cases := []struct {
			name     string
			app      *echo.Echo
			req      *http.Request
			status   int
			body     string // the handler's answer, for 200
			wwwAuth  string // exact WWW-Authenticate, if set
			contains string // substring of WWW-Authenticate, if set
		}{
			{"no credentials", app, httptest.NewRequest("GET", "/x", nil), 401, "", `Bearer realm="api"`, ""},
			{"unknown token", app, authz("Bearer " + unknown), 401, "", "", `error="invalid_token"`},
			{"garbage token", app, authz("Bearer nonsense"), 401, "", "", `error="invalid_token"`},
			{"revoked cookie", app, withCookies(httptest.NewRequest("GET", "/x", nil), "token", revoked.AccessToken.Reveal()), 401, "", "", `error="invalid_token"`},
			{"header token in a cookie (auth restriction)", app, withCookies(httptest.NewRequest("GET", "/x", nil), "token", h), 401, "", "", `error="invalid_token"`},
			{"two words after Bearer", app, authz("Bearer " + h + " extra"), 400, "", "", `error="invalid_request"`},
			{"Bearer without token", app, authz("Bearer"), 400, "", "", `error="invalid_request"`},
			{"valid header", app, authz("Bearer " + h), 200, "header", "", ""},
			{"lower-case bearer", app, authz("bearer " + h), 200, "header", "", ""},
			{"Token scheme, odd case", app, authz("tOKEN " + h), 200, "header", "", ""},
			{"foreign scheme with a valid cookie", app, withCookies(authz("Basic xyz"), "token", c), 200, "cookie", "", ""},
			{"foreign scheme alone", app, authz("Basic xyz"), 401, "", `Bearer realm="api"`, ""},
			{"second cookie name valid", app, withCookies(httptest.NewRequest("GET", "/x", nil), "session", revoked.AccessToken.Reveal(), "token", c), 200, "cookie", "", ""},
			{"first cookie name valid", app, withCookies(httptest.NewRequest("GET", "/x", nil), "session", c, "token", "junk"), 200, "cookie", "", ""},
			{"optional without credentials", optional, httptest.NewRequest("GET", "/x", nil), 200, "anonymous", "", ""},
			{"optional with a bad token", optional, authz("Bearer " + unknown), 401, "", "", `error="invalid_token"`},
			{"optional with a valid token", optional, authz("Bearer " + h), 200, "header", "", ""},
			{"skipped path without credentials", skipping, httptest.NewRequest("GET", "/public/x", nil), 200, "anonymous", "", ""},
			{"skipped path with a bad token", skipping, func() *http.Request {
				r := authz("Bearer " + unknown)
				r.URL.Path = "/public/y"
				return r
			}(), 200, "anonymous", "", ""},
			{"not skipped path with a bad token", skipping, authz("Bearer " + unknown), 401, "", "", `error="invalid_token"`},
		}
		for _, tc := range cases {
			w := serveEcho(tc.app, tc.req)
			if w.Code != tc.status {
				t.Errorf("%s: HTTP %d %q; want %d", tc.name, w.Code, w.Body.String(), tc.status)
				continue
			}
			got := w.Header().Get("WWW-Authenticate")
			if tc.wwwAuth != "" && got != tc.wwwAuth {
				t.Errorf("%s: WWW-Authenticate %q; want %q", tc.name, got, tc.wwwAuth)
			}
			if tc.contains != "" && !strings.Contains(got, tc.contains) {
				t.Errorf("%s: WWW-Authenticate %q; want it to contain %s", tc.name, got, tc.contains)
			}
			if tc.status == 200 && w.Body.String() != tc.body {
				t.Errorf("%s: handler answered %q; want %q", tc.name, w.Body.String(), tc.body)
			}
		}

		// An oversized Authorization header is refused as malformed, quickly.
		huge := "Bearer " + strings.Repeat("A", 10<<10)
		begin := time.Now()
		w := serveEcho(app, authz(huge))
		if took := time.Since(begin); w.Code != http.StatusBadRequest || took > time.Second {
			t.Errorf("10 kB Authorization header: HTTP %d after %v; want 400 quickly", w.Code, took)
		}
		if !strings.Contains(w.Header().Get("WWW-Authenticate"), `error="invalid_request"`) {
			t.Errorf("10 kB Authorization header: WWW-Authenticate %q; want invalid_request", w.Header().Get("WWW-Authenticate"))
		}
		// Also through a real server (its own header limits, real parsing).
		srv := httptest.NewServer(app)
		defer srv.Close()
		req, _ := http.NewRequest("GET", srv.URL+"/x", nil)
		req.Header.Set("Authorization", huge)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("10 kB Authorization header over HTTP: %d; want 400", resp.StatusCode)
		}
	})
}

// wellFormedUnknown returns a token with the right prefix, length and
// checksum that was never issued: it reaches the database and is refused
// there.
func wellFormedUnknown(tb testing.TB, svc *auth.Service) string {
	tb.Helper()
	tokens, err := runtime.NewTokens(auth.Prefix, svc.Settings())
	if err != nil {
		tb.Fatal(err)
	}
	raw, _, err := tokens.Mint(runtime.KindAccess)
	if err != nil {
		tb.Fatal(err)
	}
	return raw.Reveal()
}

// badChecksum returns raw with its last (checksum) character changed.
func badChecksum(raw string) string {
	last := raw[len(raw)-1]
	repl := byte('A')
	if last == 'A' {
		repl = 'B'
	}
	return raw[:len(raw)-1] + string(repl)
}

// ---------------------------------------------------------------------------
// 9. Raw tokens never leak.

func TestRawTokensNeverAppearInErrorsResponsesOrLogs(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		c := newClock(epoch)
		var buf bytes.Buffer
		log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		svc, pool := newEngineService(t, e, auth.WithClock(c.Now), settings(func(s *runtime.Settings) { s.KeepExpiredTokens = true }),
			auth.WithOnReuseDetected(func(ctx context.Context, tok auth.Token) { log.Warn("reuse", "token", tok) }))
		uid := newUser(t, pool, "leak")
		hdr, err := svc.GenerateHeaderToken(bgCtx, uid, auth.Context{Device: "app"})
		if err != nil {
			t.Fatal(err)
		}
		ck, err := svc.GenerateCookieToken(bgCtx, uid, auth.Context{Device: "browser"})
		if err != nil {
			t.Fatal(err)
		}
		var secrets []string // every raw token and its secret part
		addSecret := func(iss auth.Issued) {
			for _, s := range []runtime.Secret{iss.AccessToken, iss.RefreshToken} {
				if raw := s.Reveal(); raw != "" {
					secrets = append(secrets, raw, raw[len(auth.Prefix)+4:], badChecksum(raw)[len(auth.Prefix)+4:])
				}
			}
		}
		addSecret(hdr)
		addSecret(ck)
		leaks := func(where, s string) {
			t.Helper()
			for _, sec := range secrets {
				if strings.Contains(s, sec) {
					t.Errorf("%s contains a raw token: %s", where, s)
					return
				}
			}
		}

		// Errors of every refusal path.
		var errs []error
		collect := func(_ any, err error) {
			if err == nil {
				t.Fatal("expected an error")
			}
			errs = append(errs, err)
		}
		collect(svc.VerifyToken(bgCtx, hdr.AccessToken.Reveal(), runtime.TransportCookie))
		collect(svc.VerifyToken(bgCtx, badChecksum(hdr.AccessToken.Reveal()), runtime.TransportHeader))
		collect(svc.VerifyToken(bgCtx, hdr.RefreshToken.Reveal(), runtime.TransportHeader))
		collect(svc.RefreshToken(bgCtx, hdr.AccessToken.Reveal()))
		collect(svc.RefreshToken(bgCtx, badChecksum(hdr.RefreshToken.Reveal())))
		next, err := svc.RefreshToken(bgCtx, hdr.RefreshToken.Reveal())
		if err != nil {
			t.Fatal(err)
		}
		addSecret(next)
		collect(svc.VerifyToken(bgCtx, hdr.AccessToken.Reveal(), runtime.TransportHeader)) // rotated away: unknown
		collect(svc.VerifyToken(bgCtx, wellFormedUnknown(t, svc), runtime.AnyTransport))
		collect(svc.RefreshToken(bgCtx, hdr.RefreshToken.Reveal())) // race
		c.Advance(time.Minute)
		collect(svc.RefreshToken(bgCtx, hdr.RefreshToken.Reveal())) // reuse
		collect(svc.VerifyToken(bgCtx, next.AccessToken.Reveal(), runtime.TransportHeader))
		_, _, err = svc.AuthenticateRequest(bearerRequest("GET", "/", "x "+hdr.AccessToken.Reveal()))
		collect(nil, err)
		_, _, err = svc.AuthenticateRequest(bearerRequest("GET", "/", next.AccessToken.Reveal()))
		collect(nil, err)
		for _, err := range errs {
			leaks("error string", err.Error())
			leaks("formatted error", fmt.Sprintf("%v %+v %#v %s %q", err, err, err, err, err))
			log.Error("refused", "err", err)
		}

		// Echo's error responses (body and headers), in debug mode too.
		for _, debug := range []bool{false, true} {
			app := newEchoApp(svc.Middleware())
			app.Debug = debug
			for _, r := range []*http.Request{
				bearerRequest("GET", "/", next.AccessToken.Reveal()),
				bearerRequest("GET", "/", badChecksum(ck.AccessToken.Reveal())),
				bearerRequest("GET", "/", ck.AccessToken.Reveal()),
				bearerRequest("GET", "/", hdr.AccessToken.Reveal()+" "+ck.AccessToken.Reveal()),
				cookieAuthRequest("GET", "/", "token", hdr.AccessToken.Reveal()),
				func() *http.Request {
					r := cookieAuthRequest("POST", "/", "token", ck.AccessToken.Reveal())
					r.Header.Set("Sec-Fetch-Site", "cross-site")
					return r
				}(),
			} {
				w := serveEcho(app, r)
				if w.Code < 400 {
					t.Fatalf("debug=%v: request unexpectedly succeeded (%d)", debug, w.Code)
				}
				leaks(fmt.Sprintf("HTTP %d response body (debug=%v)", w.Code, debug), w.Body.String())
				leaks("response headers", fmt.Sprint(w.Header()))
			}
		}

		// slog (JSON) and fmt of the values an app is likely to log.
		ok, err := svc.GenerateCookieToken(bgCtx, uid, auth.Context{Device: "tablet"})
		if err != nil {
			t.Fatal(err)
		}
		addSecret(ok)
		tok, cred, err := svc.AuthenticateRequest(cookieAuthRequest("GET", "/", "token", ok.AccessToken.Reveal()))
		if err != nil {
			t.Fatal(err)
		}
		creds, err := runtime.Extract(cookieAuthRequest("GET", "/", "token", ok.AccessToken.Reveal()), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, iss := range []auth.Issued{hdr, ck, next, ok} {
			log.Info("issued", "issued", iss, "access", iss.AccessToken, "refresh", iss.RefreshToken)
			log.Info("issued (any)", slog.Any("issued", iss), slog.Any("ptr", &iss))
			leaks("fmt of Issued", fmt.Sprintf("%v %+v %#v %s", iss, iss, iss, iss.AccessToken))
		}
		log.Info("credential", "cred", cred, "creds", creds, "token", tok)
		log.Info("credential (group)", slog.Group("req", "cred", cred))
		leaks("fmt of Credential", fmt.Sprintf("%v %+v %#v %s %v", cred, cred, cred, cred, creds))
		leaks("slog JSON", buf.String())
		for _, want := range []string{`"issued"`, `"cred"`, "redacted"} {
			if !strings.Contains(buf.String(), want) {
				t.Errorf("log output lacks %s; the log lines were not written as expected:\n%s", want, buf.String())
			}
		}
	})
}
