package auth_test

import (
	"context"
	"testing"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/runtime"
)

type otherKey struct{}

// TestNewContextCarriesTheToken checks the context NewContext returns: the
// token is found through derived contexts, every other key still reaches
// the parent, and cancellation passes through.
func TestNewContextCarriesTheToken(t *testing.T) {
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), otherKey{}, "parent's"))
	tok := auth.Token{Record: runtime.Record{ID: 42}, UserID: 7}
	ctx := context.WithValue(auth.NewContext(parent, tok), otherKey{}, "child's")
	got, ok := auth.FromContext(ctx)
	if !ok || got.ID != 42 || got.UserID != 7 {
		t.Fatalf("FromContext = %+v, %v; want token 42 of user 7", got.Record, ok)
	}
	if v := auth.NewContext(parent, tok).Value(otherKey{}); v != "parent's" {
		t.Errorf("another key through NewContext = %v, want the parent's value", v)
	}
	if _, ok := auth.FromContext(parent); ok {
		t.Error("FromContext of a context without a token: ok")
	}
	cancel()
	if ctx.Err() == nil {
		t.Error("the parent's cancellation did not reach the derived context")
	}
}
