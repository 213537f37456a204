// Command echo runs the authentify example app: token authentication for an
// Echo API over SQLite (the default, nothing to install) or PostgreSQL.
//
//	COOKIE_INSECURE=true go run ./examples/echo
//
// uses the SQLite file authentify-example.db in the working folder
// (DATABASE_URL=sqlite:PATH for another file);
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
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/authentify-go/authentify/examples/echo/app"
	"github.com/authentify-go/authentify/litedb"
	"github.com/jackc/pgx/v5/pgxpool"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// open opens the database DATABASE_URL names, says which in the first log
// line, and builds the app over it (creating the tables).
func open(ctx context.Context, cfg app.Config) (*app.App, func(), error) {
	initCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	path, sqlite, err := cfg.SQLitePath()
	if err != nil {
		return nil, nil, err
	}
	if sqlite {
		slog.Info("database: SQLite file "+path+" (set DATABASE_URL=postgres://… to use PostgreSQL)", "engine", "sqlite", "path", path)
		db, err := litedb.Open(initCtx, path)
		if err != nil {
			return nil, nil, fmt.Errorf("database: %w", err)
		}
		a, err := app.NewSQLite(initCtx, db, cfg)
		if err != nil {
			db.Close()
			return nil, nil, err
		}
		return a, func() { db.Close() }, nil
	}
	slog.Info("database: PostgreSQL", "engine", "postgresql")
	pool, err := pgxpool.New(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, nil, fmt.Errorf("database: %w", err)
	}
	a, err := app.New(initCtx, pool, cfg)
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	return a, pool.Close, nil
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := app.ConfigFromEnviron(os.Environ())
	if err != nil {
		return err
	}
	a, closeDB, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeDB()
	// With the token cache on (AUTHENTIFY_CACHE_SIZE), its listener keeps it in
	// step with every instance's changes; until it listens the cache serves
	// nothing, so starting it in the background is safe.
	listenCtx, stopListen := context.WithCancel(ctx)
	defer stopListen()
	if a.Service().Cache() != nil {
		go func() {
			if err := a.Service().ListenCache(listenCtx); err != nil && !errors.Is(err, context.Canceled) {
				slog.Error("token cache listener stopped", "error", err)
			}
		}()
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	e := a.Echo()
	e.Listener = ln
	errc := make(chan error, 1)
	go func() { errc <- e.Start("") }()
	slog.Info("listening on http://"+ln.Addr().String(), "cookie_insecure", cfg.CookieInsecure, "rate_limit", cfg.RateLimit,
		"trusted_proxies", fmt.Sprint(cfg.TrustedProxies), "login_failure_limit", cfg.LoginFailureLimit,
		"cache_size", a.Service().Settings().CacheSize)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	stop()
	slog.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
