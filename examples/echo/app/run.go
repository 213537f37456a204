package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/authentify-go/authentify/examples/echo/auth"
)

// Mount builds an example's HTTP handler over the app: its router, which
// mounts Routes with the authentication middleware of its framework.
type Mount func(*App) (http.Handler, error)

// Run runs an example until ctx ends: the configuration from environ
// (ConfigFromEnviron: ADDR, DATABASE_URL, AUTHENTIFY_<SETTING>…), the app
// over its database (Open), the token cache's listener when the cache is on,
// and the router of mount served at ADDR (NewServer), then a graceful
// shutdown. The mains of examples/nethttp and examples/echo5 are Run with
// their router.
func Run(ctx context.Context, environ []string, mount Mount) error {
	cfg, err := ConfigFromEnviron(environ)
	if err != nil {
		return err
	}
	initCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	a, closeDB, err := Open(initCtx, cfg)
	cancel()
	if err != nil {
		return err
	}
	defer closeDB()
	h, err := mount(a)
	if err != nil {
		return fmt.Errorf("router: %w", err)
	}
	// With the token cache on (AUTHENTIFY_CACHE_SIZE), its listener keeps it in
	// step with every instance's changes; until it listens the cache serves
	// nothing, so starting it in the background is safe.
	listenCtx, stopListen := context.WithCancel(ctx)
	defer stopListen()
	if a.Service().Cache() != nil {
		go listenCache(listenCtx, a.Service())
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	srv := NewServer(h)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	slog.Info("listening on http://"+ln.Addr().String(), "cookie_insecure", cfg.CookieInsecure, "rate_limit", cfg.RateLimit,
		"trusted_proxies", fmt.Sprint(cfg.TrustedProxies), "login_failure_limit", cfg.LoginFailureLimit,
		"cache_size", a.Service().Settings().CacheSize)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	slog.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// listenCache runs the token cache's listener until ctx ends.
func listenCache(ctx context.Context, svc *auth.Service) {
	if err := svc.ListenCache(ctx); err != nil && !errors.Is(err, context.Canceled) {
		slog.Error("token cache listener stopped", "error", err)
	}
}
