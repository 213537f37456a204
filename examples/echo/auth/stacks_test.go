package auth_test

// Every HTTP stack the package serves (net/http, Echo v4, Echo v5) runs the
// same framework-free core (runtime.HTTPAuth), so each must answer every
// request exactly alike: same status, headers and body.

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	echo4 "github.com/labstack/echo/v4"
	echo5 "github.com/labstack/echo/v5"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/runtime"
)

// stack builds a router over svc with the same routes on one HTTP stack:
//
//	/me      authenticated; answers "id=<token id>"
//	/wrapped authenticated; a net/http handler reading auth.FromContext
//	/beta    authenticated and Require(BetaFeatures)
//	/opt     Optional; "id=0" without a token
type stack struct {
	name  string
	build func(t *testing.T, svc *auth.Service) http.Handler
}

// meHTTP answers the id of the token in the request's context.
var meHTTP = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	tok, _ := auth.FromContext(r.Context())
	fmt.Fprintf(w, "id=%d", tok.ID)
})

func beta(t *auth.Token) bool { return t.Context.BetaFeatures }

// cookiesInsecure are the cookie options of every stack (plain-HTTP tests).
var cookiesInsecure = auth.CookieOptions{Insecure: true}

var stacks = []stack{
	{"nethttp", func(t *testing.T, svc *auth.Service) http.Handler {
		mw, err := svc.HandlerWithConfig(auth.HandlerConfig{Cookies: cookiesInsecure})
		if err != nil {
			t.Fatal(err)
		}
		opt, err := svc.HandlerWithConfig(auth.HandlerConfig{Optional: true})
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.Handle("/me", mw(meHTTP))
		mux.Handle("/wrapped", mw(meHTTP))
		mux.Handle("/beta", mw(auth.RequireHTTP(beta)(meHTTP)))
		mux.Handle("/opt", opt(meHTTP))
		return mux
	}},
	{"echo4", func(t *testing.T, svc *auth.Service) http.Handler {
		mw, err := svc.MiddlewareWithConfig(auth.MiddlewareConfig{Cookies: cookiesInsecure})
		if err != nil {
			t.Fatal(err)
		}
		opt, err := svc.MiddlewareWithConfig(auth.MiddlewareConfig{Optional: true})
		if err != nil {
			t.Fatal(err)
		}
		me := func(c echo4.Context) error {
			tok, _ := auth.TokenFrom(c)
			return c.String(http.StatusOK, fmt.Sprintf("id=%d", tok.ID))
		}
		e := echo4.New()
		e.Any("/me", me, mw)
		e.Any("/wrapped", echo4.WrapHandler(meHTTP), mw)
		e.Any("/beta", me, mw, auth.Require(beta))
		e.Any("/opt", me, opt)
		return e
	}},
	{"echo5", func(t *testing.T, svc *auth.Service) http.Handler {
		mw, err := svc.MiddlewareWithConfigEcho5(auth.MiddlewareConfigEcho5{Cookies: cookiesInsecure})
		if err != nil {
			t.Fatal(err)
		}
		opt, err := svc.MiddlewareWithConfigEcho5(auth.MiddlewareConfigEcho5{Optional: true})
		if err != nil {
			t.Fatal(err)
		}
		me := func(c *echo5.Context) error {
			tok, _ := auth.TokenFromEcho5(c)
			return c.String(http.StatusOK, fmt.Sprintf("id=%d", tok.ID))
		}
		e := echo5.New()
		e.Any("/me", me, mw)
		e.Any("/wrapped", echo5.WrapHandler(meHTTP), mw)
		e.Any("/beta", me, mw, auth.RequireEcho5(beta))
		e.Any("/opt", me, opt)
		return e
	}},
}

// TestEveryStackAnswersAlike runs one table of requests against each stack,
// each over its own database, and checks status, headers and body: header
// and cookie credentials, missing, malformed and unknown ones, a
// cross-origin cookie POST (403 before any query), a refused permission, an
// optional route, the access cookie re-sent after an auto-refresh slide, and
// a database outage (503 with Retry-After, never 401).
func TestEveryStackAnswersAlike(t *testing.T) {
	for _, st := range stacks {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			clk := newClock(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC))
			svc, direct, proxy := newProxiedService(t, auth.WithClock(clk.Now), settings(func(s *runtime.Settings) {
				s.AutoRefresh = true
				s.AutoRefreshInterval = 10 * time.Minute
				s.TokenTTL = time.Hour
			}))
			user := addUser(t, pgDB(direct), "stacks")
			hdr, err := svc.GenerateHeaderToken(bgCtx, user, auth.Context{Device: "cli"})
			if err != nil {
				t.Fatal(err)
			}
			ck, err := svc.GenerateCookieToken(bgCtx, user, auth.Context{Device: "browser"})
			if err != nil {
				t.Fatal(err)
			}
			h := st.build(t, svc)
			bearer := func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+hdr.AccessToken.Reveal()) }
			cookie := func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "token", Value: ck.AccessToken.Reveal()}) }
			id := func(tok auth.Token) string { return fmt.Sprintf("id=%d", tok.ID) }
			const bearerRealm = `Bearer realm="api"`
			for _, c := range []struct {
				name         string
				method, path string
				prep         func(*http.Request)
				before       func()
				status       int
				body         string            // exact
				headers      map[string]string // exact values
				resentCookie bool              // a Set-Cookie of the access cookie, expiring an hour from now
			}{
				{name: "header", method: "GET", path: "/me", prep: bearer, status: 200, body: id(hdr.Token)},
				{name: "cookie", method: "GET", path: "/me", prep: cookie, status: 200, body: id(ck.Token)},
				{name: "wrapped net/http handler reads FromContext", method: "GET", path: "/wrapped", prep: bearer, status: 200, body: id(hdr.Token)},
				{name: "missing", method: "GET", path: "/me", status: 401,
					body: `{"message":"authentication required"}` + "\n", headers: map[string]string{"WWW-Authenticate": bearerRealm}},
				{name: "malformed", method: "GET", path: "/me", prep: func(r *http.Request) { r.Header.Set("Authorization", "Bearer a b") }, status: 400,
					body:    `{"message":"malformed authorization header"}` + "\n",
					headers: map[string]string{"WWW-Authenticate": bearerRealm + `, error="invalid_request", error_description="malformed authorization header"`}},
				{name: "unknown token", method: "GET", path: "/me", prep: func(r *http.Request) { r.Header.Set("Authorization", "Bearer demo_at_nope") }, status: 401,
					body:    `{"message":"the token is invalid"}` + "\n",
					headers: map[string]string{"WWW-Authenticate": bearerRealm + `, error="invalid_token", error_description="the token is invalid"`}},
				{name: "cross-origin cookie POST", method: "POST", path: "/me", prep: func(r *http.Request) {
					cookie(r)
					r.Header.Set("Sec-Fetch-Site", "cross-site")
				}, status: 403, body: `{"message":"cross-origin request refused"}` + "\n"},
				{name: "same-origin cookie POST", method: "POST", path: "/me", prep: func(r *http.Request) {
					cookie(r)
					r.Header.Set("Sec-Fetch-Site", "same-origin")
				}, status: 200, body: id(ck.Token)},
				{name: "permission refused", method: "GET", path: "/beta", prep: bearer, status: 403, body: `{"message":"forbidden"}` + "\n"},
				{name: "optional without credential", method: "GET", path: "/opt", status: 200, body: "id=0"},
				{name: "optional with a bad credential", method: "GET", path: "/opt", prep: func(r *http.Request) { r.Header.Set("Authorization", "Bearer demo_at_nope") }, status: 401,
					body: `{"message":"the token is invalid"}` + "\n"},
				{name: "slid cookie is re-sent", method: "GET", path: "/me", prep: cookie, before: func() { clk.Advance(30 * time.Minute) },
					status: 200, body: id(ck.Token), resentCookie: true},
				{name: "slid header token sets no cookie", method: "GET", path: "/me", prep: bearer, status: 200, body: id(hdr.Token)},
				{name: "outage", method: "GET", path: "/me", prep: bearer, before: proxy.Cut, status: 503,
					body: `{"message":"authentication temporarily unavailable"}` + "\n", headers: map[string]string{"Retry-After": runtime.RetryAfterSeconds}},
			} {
				if c.before != nil {
					c.before()
				}
				r := httptest.NewRequest(c.method, c.path, nil)
				if c.prep != nil {
					c.prep(r)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				if rec.Code != c.status || rec.Body.String() != c.body {
					t.Errorf("%s: %d %q, want %d %q", c.name, rec.Code, rec.Body.String(), c.status, c.body)
				}
				for k, v := range c.headers {
					if got := rec.Header().Get(k); got != v {
						t.Errorf("%s: %s = %q, want %q", c.name, k, got, v)
					}
				}
				if c.status >= 400 && !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
					t.Errorf("%s: Content-Type = %q, want application/json", c.name, rec.Header().Get("Content-Type"))
				}
				set := rec.Result().Cookies()
				switch {
				case !c.resentCookie && len(set) > 0:
					t.Errorf("%s: cookies set: %v", c.name, set)
				case c.resentCookie && (len(set) != 1 || set[0].Name != "token" || set[0].Value != ck.AccessToken.Reveal() ||
					!set[0].HttpOnly || set[0].Path != "/" || !set[0].Expires.Equal(clk.Now().Add(time.Hour).Truncate(time.Second))):
					t.Errorf("%s: cookies set %v, want the access cookie expiring at %v", c.name, set, clk.Now().Add(time.Hour))
				}
			}
		})
	}
}
