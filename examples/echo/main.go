// Command echo runs the authentify example app: token authentication for an
// Echo v4 API over SQLite (the default: nothing to install) or PostgreSQL.
// The handlers are those of package app, written once over net/http and
// shared with examples/nethttp and examples/echo5; this example serves them
// on app.Echo, the Echo v4 router.
//
//	COOKIE_INSECURE=true go run ./examples/echo
//
// uses the SQLite file authentify-example.db in the working folder
// (DATABASE_URL=sqlite:PATH for another one), and
//
//	DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable \
//	ADDR=127.0.0.1:8080 COOKIE_INSECURE=true go run ./examples/echo
//
// uses PostgreSQL.
//
// Open http://127.0.0.1:8080/ for the page (register, log in, sessions). See
// package app for the routes and the environment variables
// (AUTHENTIFY_<SETTING> overrides every token setting, and an AUTHENTIFY_*
// variable that names no setting stops it at start; behind a reverse
// proxy, set TRUSTED_PROXIES to its addresses so that rate limits see each
// client). It stops gracefully
// on SIGINT or SIGTERM.
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/authentify-go/authentify/examples/echo/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := app.Run(ctx, os.Environ(), router); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// router is the app's Echo v4 router.
func router(a *app.App) (http.Handler, error) { return a.Echo(), nil }
