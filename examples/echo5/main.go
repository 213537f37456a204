// Command echo5 runs the authentify example app on Echo v5
// (github.com/labstack/echo/v5): the handlers of package app
// (examples/echo/app), written once over net/http, mounted with
// echo.WrapHandler behind the generated Echo v5 middleware. It serves the
// HTTP contract of examples/echo (every route, the page at / included) and
// reads the same environment variables: ADDR, DATABASE_URL,
// COOKIE_INSECURE, AUTH_RATE_LIMIT, TRUSTED_PROXIES, LOGIN_FAILURE_LIMIT and
// AUTHENTIFY_<SETTING>.
//
//	DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable \
//	ADDR=127.0.0.1:8080 COOKIE_INSECURE=true go run ./examples/echo5
//
// Open http://127.0.0.1:8080/ for the page. It stops gracefully on SIGINT
// or SIGTERM.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/authentify-go/authentify/examples/echo/app"
	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := app.Run(ctx, os.Environ(), router); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// router mounts the app's routes in Echo v5: each net/http handler with
// echo.WrapHandler (which also hands it the path parameters), the
// authenticated ones behind the generated middleware, the beta ones also
// behind auth.RequireEcho5(app.IsBeta). Every error, Echo's own included,
// is answered with the app's JSON error body (echoError).
func router(a *app.App) (http.Handler, error) {
	e := echo.New()
	e.HTTPErrorHandler = echoError(a)
	e.Use(middleware.Recover())
	authn, err := a.Service().MiddlewareWithConfigEcho5(auth.MiddlewareConfigEcho5{Cookies: a.Cookies()})
	if err != nil {
		return nil, err
	}
	access := map[app.Access][]echo.MiddlewareFunc{
		app.Authenticated: {authn},
		app.Beta:          {authn, auth.RequireEcho5(app.IsBeta)},
	}
	for _, rt := range a.Routes() {
		e.Add(rt.Method, app.EchoPath(rt.Path), echo.WrapHandler(rt.Handler), access[rt.Access]...)
	}
	return e, nil
}

// echoError answers the errors that reach Echo (its 404 and 405, the
// middleware's refusals, a recovered panic) with the app's error body; the
// handlers answer their own.
func echoError(a *app.App) echo.HTTPErrorHandler {
	return func(c *echo.Context, err error) {
		if resp, uerr := echo.UnwrapResponse(c.Response()); uerr == nil && resp.Committed {
			return
		}
		w, r := c.Response(), c.Request()
		var he *echo.HTTPError
		var sc echo.HTTPStatusCoder
		switch {
		case errors.As(err, &he):
			msg := he.Message
			if msg == "" {
				msg = http.StatusText(he.Code)
			}
			if he.Code >= http.StatusInternalServerError {
				slog.Error("request failed", "method", r.Method, "path", r.URL.Path, "status", he.Code, "err", err)
			}
			app.WriteErrorStatus(w, r, he.Code, msg)
		case errors.As(err, &sc) && sc.StatusCode() < http.StatusInternalServerError:
			app.WriteErrorStatus(w, r, sc.StatusCode(), http.StatusText(sc.StatusCode()))
		default:
			a.WriteError(w, r, err)
		}
	}
}
