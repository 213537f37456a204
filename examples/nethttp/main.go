// Command nethttp runs the authentify example app on the standard library
// alone: the handlers of package app (examples/echo/app), written once over
// net/http, on a Go 1.22+ http.ServeMux behind the generated net/http
// middleware. It serves exactly the HTTP contract of examples/echo (routes,
// bodies, status codes, headers, cookies) and reads the same environment
// variables: ADDR, DATABASE_URL, COOKIE_INSECURE, AUTH_RATE_LIMIT,
// TRUSTED_PROXIES, LOGIN_FAILURE_LIMIT and AUTHENTIFY_<SETTING>.
//
//	DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable \
//	ADDR=127.0.0.1:8080 COOKIE_INSECURE=true go run ./examples/nethttp
//
// Open http://127.0.0.1:8080/ for the page. It stops gracefully on SIGINT
// or SIGTERM.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/authentify-go/authentify/examples/echo/app"
	"github.com/authentify-go/authentify/examples/echo/auth"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := app.Run(ctx, os.Environ(), router); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// router mounts the app's routes on a ServeMux: the authenticated ones
// behind the generated middleware (svc.HandlerWithConfig), the beta ones also
// behind a.Require(app.IsBeta), which is auth.RequireHTTP answering with the
// app's error body. The middleware's refusals are answered by
// app.WriteError, as the handlers' errors are, and so are the mux's own 404
// and 405 (jsonErrors).
func router(a *app.App) (http.Handler, error) {
	authn, err := a.Service().HandlerWithConfig(auth.HandlerConfig{
		Cookies:      a.Cookies(),
		ErrorHandler: a.WriteError,
	})
	if err != nil {
		return nil, err
	}
	beta := a.Require(app.IsBeta)
	mux := http.NewServeMux()
	for _, rt := range a.Routes() {
		h := rt.Handler
		switch rt.Access {
		case app.Authenticated:
			h = authn(h)
		case app.Beta:
			h = authn(beta(h))
		}
		mux.Handle(pattern(rt), h)
	}
	return recoverPanics(jsonErrors(mux)), nil
}

// pattern is the ServeMux pattern of a route: its method and path, "/"
// matching only "/" itself.
func pattern(rt app.Route) string {
	p := rt.Path
	if p == "/" {
		p = "/{$}"
	}
	return rt.Method + " " + p
}

// jsonErrors answers the requests that match no route (404) or none for
// their method (405, with its Allow header) with the app's JSON error body
// instead of the mux's plain text.
func jsonErrors(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, pat := mux.Handler(r); pat == "" {
			rec := &statusRecorder{header: http.Header{}}
			h.ServeHTTP(rec, r)
			if rec.status >= http.StatusBadRequest {
				if allow := rec.header.Get("Allow"); allow != "" {
					w.Header().Set("Allow", allow)
				}
				app.WriteErrorStatus(w, r, rec.status, http.StatusText(rec.status))
				return
			}
		}
		mux.ServeHTTP(w, r)
	})
}

// statusRecorder keeps the status and headers of the mux's own answers
// and drops their plain-text body.
type statusRecorder struct {
	header http.Header
	status int
}

func (s *statusRecorder) Header() http.Header { return s.header }

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
}

func (s *statusRecorder) Write(p []byte) (int, error) {
	s.WriteHeader(http.StatusOK)
	return len(p), nil
}

// recoverPanics answers a panicking handler with a 500 and logs the panic,
// as Echo's Recover middleware does, instead of dropping the connection.
func recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			slog.Error("panic", "method", r.Method, "path", r.URL.Path, "err", v)
			app.WriteErrorStatus(w, r, http.StatusInternalServerError, http.StatusText(http.StatusInternalServerError))
		}()
		next.ServeHTTP(w, r)
	})
}
