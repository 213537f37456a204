package app

import (
	"context"
	"net/http"

	"github.com/authentify-go/authentify/examples/echo/auth"
)

// tokenFrom returns the token the authentication middleware of the router
// put in the request's context: each generated adapter (Echo v4, net/http,
// Echo v5) stores it there with auth.NewContext.
func tokenFrom(ctx context.Context) (auth.Token, bool) { return auth.FromContext(ctx) }

// writeTokenCookies sets the cookies of an issued cookie session.
func (a *App) writeTokenCookies(w http.ResponseWriter, iss auth.Issued) {
	a.svc.WriteTokenCookies(w, iss, a.cookies)
}

// writeClearCookies expires both token cookies.
func (a *App) writeClearCookies(w http.ResponseWriter) {
	a.svc.WriteClearTokenCookies(w, a.cookies)
}

// Require is auth.RequireHTTP answering with the app's error body: it lets a
// request through only when the authentication middleware put a token in
// its context (else 401) and allow accepts it (else 403). The net/http
// example uses it; auth.RequireHTTP writes its refusals itself, in the shape
// of Echo's default error handler ({"message": "..."}), while the Echo
// examples' auth.Require and auth.RequireEcho5 return errors that their
// routers' error handlers answer.
func (a *App) Require(allow func(*auth.Token) bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tok, err := current(r)
			if err != nil {
				a.WriteError(w, r, err)
				return
			}
			if !allow(&tok) {
				a.WriteError(w, r, &Error{Status: http.StatusForbidden, Message: "forbidden"})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
