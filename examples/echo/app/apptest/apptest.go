// Package apptest starts the examples built on package app for the
// contract suite (package examples/contract): configuration from the
// suite's environment, exactly as the examples' main functions read it, the
// app over the database of DATABASE_URL, and the example's router on a
// loopback listener at ADDR.
package apptest

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/authentify-go/authentify/examples/contract"
	"github.com/authentify-go/authentify/examples/echo/app"
	"github.com/authentify-go/authentify/examples/echo/auth"
	"golang.org/x/crypto/bcrypt"
)

// Starter returns the contract.Starter of the example whose router mount
// builds. The app hashes passwords at the lowest bcrypt cost and runs on the
// Setup's clock; its log is discarded.
func Starter(mount app.Mount) contract.Starter {
	return func(t *testing.T, s contract.Setup) contract.Server {
		t.Helper()
		cfg, err := app.ConfigFromEnviron(s.Environ())
		if err != nil {
			t.Fatalf("configuration: %v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		a, closeDB, err := app.Open(ctx, cfg,
			app.WithBcryptCost(bcrypt.MinCost),
			app.WithLogger(slog.New(slog.DiscardHandler)),
			app.WithClock(s.Now),
			app.WithAuthOptions(auth.WithClock(s.Now)),
		)
		if err != nil {
			t.Fatalf("app.Open: %v", err)
		}
		t.Cleanup(closeDB)
		h, err := mount(a)
		if err != nil {
			t.Fatalf("router: %v", err)
		}
		ln, err := net.Listen("tcp", cfg.Addr)
		if err != nil {
			t.Fatalf("listen on ADDR %s: %v", cfg.Addr, err)
		}
		srv := app.NewServer(h)
		done := make(chan error, 1)
		go func() { done <- srv.Serve(ln) }()
		t.Cleanup(func() {
			if err := srv.Close(); err != nil {
				t.Errorf("close server: %v", err)
			}
			if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
				t.Errorf("serve: %v", err)
			}
		})
		return contract.Server{URL: "http://" + ln.Addr().String(), StopDatabase: closeDB}
	}
}
