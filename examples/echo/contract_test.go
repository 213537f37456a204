package main

import (
	"testing"

	"github.com/authentify-go/authentify/examples/contract"
	"github.com/authentify-go/authentify/examples/echo/app/apptest"
)

// TestContract runs the contract suite against this example: the Echo v4
// router of package app.
func TestContract(t *testing.T) {
	contract.Run(t, apptest.Starter(router))
}
