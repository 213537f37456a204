package auth_test

// The SQLite table's own guarantees: SQLite is loose about types, so the
// generated STRICT table and its CHECKs refuse what PostgreSQL's types
// would; Migrate is idempotent and CheckSchema sees drift on SQLite too.

import (
	"context"
	"strings"
	"testing"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/runtime"
)

func TestSQLiteTableRefusesWhatPostgreSQLTypesRefuse(t *testing.T) {
	svc, db := newEngineService(t, engineLite)
	user := newUser(t, db, "alice")
	iss := issue(t, svc, user, "phone")
	for _, tc := range []struct{ name, set string }{
		{"bool out of range", `two_factor_verified = 2`},
		{"ip not an address", `last_used_ip = 'localhost'`},
		{"context not JSON", `context = 'device=phone'`},
		{"context not an object", `context = '[1, 2]'`},
		{"time as text", `expires_at = '2031-01-01T00:00:00Z'`},
		{"unknown transport", `auth_type = 'query'`},
		{"hash as text", `access_hash = 'abc'`},
		{"reason without revocation", `revoke_reason = 'logout'`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := db.Exec(context.Background(), `UPDATE auth_tokens SET `+tc.set+` WHERE id = $1`, iss.Token.ID); err == nil {
				t.Errorf("SET %s was accepted", tc.set)
			}
		})
	}
	// The row is untouched and still authenticates.
	if _, err := svc.VerifyToken(t.Context(), iss.AccessToken.Reveal(), runtime.TransportHeader); err != nil {
		t.Errorf("VerifyToken after the refused updates: %v", err)
	}
}

func TestSQLiteMigrateIsIdempotentAndCheckSchemaSeesDrift(t *testing.T) {
	svc, db := newEngineService(t, engineLite)
	for i := range 2 {
		if err := svc.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate #%d: %v", i+2, err)
		}
	}
	other, err := auth.NewSQLite(db.lite)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.CheckSchema(t.Context()); err != nil {
		t.Fatalf("CheckSchema of a migrated database: %v", err)
	}
	db.mustExec(t, `DROP INDEX auth_tokens_expires_at_idx`)
	err = other.CheckSchema(t.Context())
	if !runtime.IsSchemaError(err) || !strings.Contains(err.Error(), "auth_tokens_expires_at_idx") {
		t.Errorf("CheckSchema after dropping an index: %v", err)
	}
}

func TestNewSQLiteRefusesTheTokenCache(t *testing.T) {
	_, db := newEngineService(t, engineLite)
	_, err := auth.NewSQLite(db.lite, settings(func(s *runtime.Settings) { s.CacheSize = 100 }))
	if err == nil || !strings.Contains(err.Error(), "cache_size") {
		t.Errorf("NewSQLite with cache_size 100: %v, want an error naming cache_size", err)
	}
}
