package main

import (
	"testing"

	"github.com/authentify-go/authentify/examples/contract"
	"github.com/authentify-go/authentify/examples/echo/app/apptest"
)

// TestContract runs the contract suite against this example: the app's
// handlers on a ServeMux behind the net/http middleware.
func TestContract(t *testing.T) {
	contract.Run(t, apptest.Starter(router))
}
