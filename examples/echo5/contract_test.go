package main

import (
	"testing"

	"github.com/authentify-go/authentify/examples/contract"
	"github.com/authentify-go/authentify/examples/echo/app/apptest"
)

// TestContract runs the contract suite against this example: the app's
// handlers in Echo v5 behind the Echo v5 middleware.
func TestContract(t *testing.T) {
	contract.Run(t, apptest.Starter(router))
}
