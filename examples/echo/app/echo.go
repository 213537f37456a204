package app

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// echoRouter mounts the routes in Echo v4: the handlers are the net/http
// handlers of Routes, wrapped by EchoHandler; the authenticated ones sit
// behind the generated Echo v4 middleware (auth.Require(IsBeta) for the
// beta ones), and every error, Echo's own included, is answered by
// WriteError's body.
func (a *App) echoRouter() (*echo.Echo, error) {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = a.echoError
	// c.RealIP sees the client behind the trusted proxies only, as the
	// handlers do (clientIP).
	e.IPExtractor = a.ipExtractor
	e.Server.ReadHeaderTimeout = ReadHeaderTimeout
	e.Server.ReadTimeout = ReadTimeout
	e.Server.WriteTimeout = WriteTimeout
	e.Server.IdleTimeout = IdleTimeout
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			a.log.Error("panic", "method", c.Request().Method, "route", c.Path(), "err", err, "stack", string(stack))
			return err
		},
	}))
	// The middleware re-sends the access cookie after an auto-refresh; it
	// must shape it like the cookies set at login.
	authn, err := a.svc.MiddlewareWithConfig(auth.MiddlewareConfig{Cookies: a.cookies})
	if err != nil {
		return nil, err
	}
	access := map[Access][]echo.MiddlewareFunc{
		Authenticated: {authn},
		Beta:          {authn, auth.Require(IsBeta)},
	}
	for _, rt := range a.Routes() {
		e.Add(rt.Method, EchoPath(rt.Path), EchoHandler(rt.Handler), access[rt.Access]...)
	}
	return e, nil
}

// echoError answers every error of the Echo router with the app's error
// body: Echo's own (404, 405, the middleware's 401…) with their status and
// message, the others through WriteError.
func (a *App) echoError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var he *echo.HTTPError
	if !errors.As(err, &he) {
		a.WriteError(c.Response(), c.Request(), err)
		return
	}
	if inner, ok := he.Internal.(*echo.HTTPError); ok {
		he = inner
	}
	msg, ok := he.Message.(string)
	if !ok {
		msg = fmt.Sprint(he.Message)
	}
	if he.Code >= http.StatusInternalServerError {
		a.log.Error("request failed", "method", c.Request().Method, "route", c.Path(), "status", he.Code, "err", err)
	}
	WriteErrorStatus(c.Response(), c.Request(), he.Code, msg)
}

// pathParam matches a {name} segment of a ServeMux pattern.
var pathParam = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// EchoPath turns the path of a Route into an Echo path: {id} becomes :id.
// Echo v4 and v5 share the syntax.
func EchoPath(p string) string { return pathParam.ReplaceAllString(p, ":$1") }

// EchoHandler mounts a net/http handler in Echo v4, as echo.WrapHandler
// does, and also hands it Echo's path parameters through r.SetPathValue, so
// that it reads them with r.PathValue as under ServeMux.
func EchoHandler(h http.Handler) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		for i, name := range c.ParamNames() {
			r.SetPathValue(name, c.ParamValues()[i])
		}
		h.ServeHTTP(c.Response(), r)
		return nil
	}
}
