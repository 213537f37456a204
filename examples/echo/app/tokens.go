package app

import (
	"context"
	"net/http"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/labstack/echo/v4"
)

// tokenKey is the request-context key of the authenticated token.
type tokenKey struct{}

// tokenFrom returns the token the authentication middleware put in ctx.
func tokenFrom(ctx context.Context) (auth.Token, bool) {
	t, ok := ctx.Value(tokenKey{}).(auth.Token)
	return t, ok
}

// echoTokenBridge copies the token of the Echo v4 middleware into the
// request's context, where the net/http handlers read it.
func echoTokenBridge(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if tok, ok := auth.TokenFrom(c); ok {
			c.SetRequest(c.Request().WithContext(context.WithValue(c.Request().Context(), tokenKey{}, tok)))
		}
		return next(c)
	}
}

// writeTokenCookies sets the cookies of an issued cookie session.
func (a *App) writeTokenCookies(w http.ResponseWriter, iss auth.Issued) {
	a.svc.SetTokenCookies(echo.New().NewContext(nil, w), iss, a.cookies)
}

// writeClearCookies expires both token cookies.
func (a *App) writeClearCookies(w http.ResponseWriter) {
	a.svc.ClearTokenCookies(echo.New().NewContext(nil, w), a.cookies)
}
