package main

import (
	"context"
	"testing"

	"github.com/authentify-go/authentify/examples/contract"
	"github.com/authentify-go/authentify/examples/echo/app"
	"github.com/authentify-go/authentify/examples/echo/app/apptest"
)

// TestContract runs the contract suite against this example: the Echo v4
// router of package app.
func TestContract(t *testing.T) {
	contract.Run(t, apptest.Starter(router))
}

// TestRun runs this example's main path (app.Run with its router): it
// serves at ADDR over DATABASE_URL, shuts down cleanly and refuses an
// unknown AUTHENTIFY_* variable.
func TestRun(t *testing.T) {
	contract.RunMain(t, func(ctx context.Context, environ []string) error { return app.Run(ctx, environ, router) })
}
