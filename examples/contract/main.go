package contract

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authentify-go/authentify/internal/pgtest"
)

// RunFunc runs an example as its main does, with environ as its
// environment, until ctx ends; it returns nil after a graceful shutdown.
type RunFunc func(ctx context.Context, environ []string) error

// RunMain checks an example's main path end to end: run with only ADDR
// and DATABASE_URL set serves the contract there (a user registers, logs
// in and reads /me), stops cleanly when its context ends, and refuses to
// start on an AUTHENTIFY_* variable that names no setting.
func RunMain(t *testing.T, run RunFunc) {
	t.Helper()
	t.Run("serves at ADDR over DATABASE_URL", func(t *testing.T) {
		t.Parallel()
		addr := freeAddr(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, []string{"ADDR=" + addr, "DATABASE_URL=" + pgtest.NewDatabase(t)})
		}()
		c := &client{t: t, srv: Server{URL: "http://" + addr}, env: map[string]string{}, http: &http.Client{Timeout: time.Minute}}
		waitUp(t, c, done)
		c.register("alice", false)
		tk := c.login("alice", "cli")
		if got := c.me(bearer(tk.AccessToken)); got != http.StatusOK {
			t.Errorf("/me = %d, want 200", got)
		}
		c.http.CloseIdleConnections()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run after its context ended = %v, want nil (graceful shutdown)", err)
		}
	})
	t.Run("unknown AUTHENTIFY_ variable", func(t *testing.T) {
		t.Parallel()
		// The configuration is refused before any connection is made; were
		// it not, the example would serve until the context ends.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := run(ctx, []string{"ADDR=" + freeAddr(t), "DATABASE_URL=postgres://127.0.0.1:1/none", "AUTHENTIFY_TOKEN_TLL=1h"})
		if err == nil || !strings.Contains(err.Error(), "AUTHENTIFY_TOKEN_TLL") {
			t.Errorf("run with AUTHENTIFY_TOKEN_TLL = %v, want an error naming it", err)
		}
	})
}

// freeAddr returns a loopback address with a port that was free a moment
// ago, for an example that listens at ADDR itself.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// waitUp waits until the example answers /healthz with 200, or fails the
// test if run returned first or the example does not come up within a
// minute.
func waitUp(t *testing.T, c *client, done <-chan error) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		select {
		case err := <-done:
			t.Fatalf("run returned before serving: %v", err)
		default:
		}
		resp, err := c.http.Get(c.srv.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the example did not come up at %s: %v", c.srv.URL, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
