package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/authentify-go/authentify/examples/echo/app"
	"github.com/authentify-go/authentify/internal/pgtest"
	"golang.org/x/crypto/bcrypt"
)

// TestAppRefusesToStartOnDrift: the app migrates at start-up, and when the
// token table has drifted from the generated model (a column dropped by
// hand) app.New fails naming the column, instead of serving 500s.
func TestAppRefusesToStartOnDrift(t *testing.T) {
	e := newEnv(t, nil)
	pgtest.Exec(t, e.pool, `ALTER TABLE auth_tokens DROP COLUMN last_used_ip`)
	_, err := app.New(context.Background(), e.pool, testConfig(), app.WithBcryptCost(bcrypt.MinCost))
	if err == nil || !strings.Contains(err.Error(), "column last_used_ip is missing (added by migration 0001_init.sql)") {
		t.Fatalf("app.New on a drifted table: %v; want it to name the missing column", err)
	}
}
