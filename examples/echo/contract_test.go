package main

import (
	"context"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authentify-go/authentify/examples/contract"
	"github.com/authentify-go/authentify/examples/echo/app"
	"github.com/authentify-go/authentify/examples/echo/app/apptest"
)

// TestContract runs the contract suite against this example: the Echo v4
// router of package app, on PostgreSQL.
func TestContract(t *testing.T) {
	contract.Run(t, apptest.Starter(router))
}

// TestRun runs this example's main path (app.Run with its router): it
// serves at ADDR over DATABASE_URL, shuts down cleanly and refuses an
// unknown AUTHENTIFY_* variable.
func TestRun(t *testing.T) {
	contract.RunMain(t, func(ctx context.Context, environ []string) error { return app.Run(ctx, environ, router) })
}

// TestContractSQLite runs the same suite against the example on SQLite (its
// default engine): each test's fresh PostgreSQL database becomes a fresh
// SQLite file.
func TestContractSQLite(t *testing.T) {
	start := apptest.Starter(router)
	contract.Run(t, func(t *testing.T, s contract.Setup) contract.Server {
		s.Env = maps.Clone(s.Env)
		if strings.HasPrefix(s.Env["DATABASE_URL"], "postgres") {
			s.Env["DATABASE_URL"] = "sqlite:" + filepath.Join(t.TempDir(), "example.db")
		}
		return start(t, s)
	})
}
