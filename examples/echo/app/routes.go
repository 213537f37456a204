package app

import (
	"net/http"

	"github.com/authentify-go/authentify/examples/echo/auth"
)

// Access says who may call a route; the router puts the framework's
// authentication middleware in front of the routes that need it.
type Access int

// The access levels of the routes.
const (
	// Public routes need no token.
	Public Access = iota
	// Authenticated routes need a valid token (header or cookie).
	Authenticated
	// Beta routes need a valid token of a beta user (IsBeta).
	Beta
)

// Route is one route of the HTTP contract, its handler written once over
// net/http. Path is a path of Go's ServeMux patterns: a {name} segment is
// a path parameter, read with r.PathValue (the Echo routers set it), and
// "/" means the path "/" only.
type Route struct {
	Method  string
	Path    string
	Access  Access
	Handler http.Handler
}

// IsBeta is the permission of the Beta routes: the token's context says the
// user takes part in the beta.
func IsBeta(t *auth.Token) bool { return t.Context.BetaFeatures }

// Routes returns every route of the HTTP contract (the package
// documentation). Its handlers write their own errors with WriteError; the
// login, refresh and register handlers carry their per-client rate limits
// (login and cookie login share a bucket).
func (a *App) Routes() []Route {
	registerLimit, loginLimit, refreshLimit := a.rateLimit(), a.rateLimit(), a.rateLimit()
	h := a.handle
	routes := []Route{
		{http.MethodPost, "/auth/register", Public, registerLimit(h(a.register))},
		{http.MethodPost, "/auth/login", Public, loginLimit(h(a.loginHeader))},
		{http.MethodPost, "/auth/login/cookie", Public, loginLimit(h(a.loginCookie))},
		{http.MethodPost, RefreshPath, Public, refreshLimit(h(a.refresh))},
		{http.MethodPost, "/auth/logout", Authenticated, h(a.logout)},
		{http.MethodPost, "/auth/logout-all", Authenticated, h(a.logoutAll)},
		{http.MethodGet, "/auth/sessions", Authenticated, h(a.sessions)},
		{http.MethodDelete, "/auth/sessions/{id}", Authenticated, h(a.deleteSession)},
		{http.MethodGet, "/me", Authenticated, h(a.me)},
		{http.MethodGet, "/premium", Beta, h(a.premium)},
		{http.MethodGet, "/healthz", Public, h(a.healthz)},
	}
	for _, f := range a.page {
		routes = append(routes, Route{http.MethodGet, f.route, Public, f})
	}
	return routes
}

// handle turns a handler returning an error into an http.Handler that
// answers the error with WriteError.
func (a *App) handle(f func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := f(w, r); err != nil {
			a.WriteError(w, r, err)
		}
	})
}
