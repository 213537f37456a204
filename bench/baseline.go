package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
)

// BaselineName is the server name of the baseline in the results.
const BaselineName = "baseline"

// baselineQuery is the one statement of a baseline request: the indexed
// lookup every database-backed token check needs at the least.
const baselineQuery = `SELECT id, user_id, expires_at, revoked_at FROM ` + tokenTable + ` WHERE access_hash = $1`

// serveBaseline runs the baseline server until SIGINT or SIGTERM: bare Echo
// v4 over a pgxpool, answering GET /premium with one SELECT by the SHA-256
// of the bearer token, and GET /healthz. It reads DATABASE_URL and ADDR
// like the example app.
func serveBaseline() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		return fmt.Errorf("baseline: database: %w", err)
	}
	defer pool.Close()
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/healthz", func(c echo.Context) error {
		if err := pool.Ping(c.Request().Context()); err != nil {
			return echo.NewHTTPError(http.StatusServiceUnavailable)
		}
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	})
	e.GET(loadPath, func(c echo.Context) error {
		raw, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
		if !ok {
			return echo.NewHTTPError(http.StatusUnauthorized)
		}
		sum := sha256.Sum256([]byte(raw))
		var (
			id, userID int64
			expires    *time.Time
			revoked    *time.Time
		)
		err := pool.QueryRow(c.Request().Context(), baselineQuery, sum[:]).Scan(&id, &userID, &expires, &revoked)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return echo.NewHTTPError(http.StatusUnauthorized)
		case err != nil:
			return echo.NewHTTPError(http.StatusServiceUnavailable, err.Error())
		case revoked != nil || (expires != nil && !time.Now().Before(*expires)):
			return echo.NewHTTPError(http.StatusUnauthorized)
		}
		return c.JSON(http.StatusOK, map[string]any{"message": "welcome to the beta", "user_id": userID, "session_id": id})
	})
	ln, err := net.Listen("tcp", os.Getenv("ADDR"))
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	e.Listener = ln
	errc := make(chan error, 1)
	go func() { errc <- e.Start("") }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return e.Shutdown(shutdownCtx)
}
