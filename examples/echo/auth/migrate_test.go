package auth_test

import (
	"io/fs"
	"strings"
	"sync"
	"testing"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/internal/pgtest"
	"github.com/authentify-go/authentify/runtime"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestNewRefusesNilPool: a nil pool, or the typed-nil *pgxpool.Pool that
// pgxpool.New returns with an error, is refused by New with an error
// instead of a nil dereference later.
func TestNewRefusesNilPool(t *testing.T) {
	var typedNil *pgxpool.Pool
	for name, db := range map[string]auth.DB{"nil": nil, "typed nil": typedNil} {
		svc, err := auth.New(db)
		if err == nil || svc != nil || !strings.Contains(err.Error(), "nil database pool") {
			t.Errorf("%s: New = %v, %v; want a nil-pool error", name, svc, err)
		}
	}
}

// TestMigrateOnEmptyDatabase: New does not touch the database (it succeeds
// on one that was never migrated), CheckSchema names the pending migration
// and the missing table, Migrate creates everything, and both are
// idempotent.
func TestMigrateOnEmptyDatabase(t *testing.T) {
	pool := pgtest.NewPool(t)
	pgtest.Exec(t, pool, usersTable)
	svc, err := auth.New(pool)
	if err != nil {
		t.Fatalf("New on an unmigrated database: %v", err)
	}
	err = svc.CheckSchema(bgCtx)
	for _, want := range []string{"pending migrations: 0001_init.sql", "table auth_tokens does not exist (made by migration 0001_init.sql)"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckSchema before Migrate: %v; want it to contain %q", err, want)
		}
	}
	if !runtime.IsSchemaError(err) {
		t.Errorf("CheckSchema error %T is not a *runtime.SchemaError", err)
	}
	for i := range 2 {
		if err := svc.Migrate(bgCtx); err != nil {
			t.Fatalf("Migrate #%d: %v", i+1, err)
		}
	}
	if err := svc.CheckSchema(bgCtx); err != nil {
		t.Fatalf("CheckSchema after Migrate: %v", err)
	}
	var rows int
	if err := pool.QueryRow(bgCtx, `SELECT count(*) FROM `+auth.VersionTable+` WHERE version_id > 0`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if want := migrationCount(t); rows != want {
		t.Errorf("%d rows in %s after two Migrate calls, want %d", rows, auth.VersionTable, want)
	}
}

// TestMigrateConcurrently: instances starting at once (one pool each, as
// separate processes would have) all succeed and apply each migration
// exactly once.
func TestMigrateConcurrently(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	const instances = 8
	var wg sync.WaitGroup
	errs := make([]error, instances)
	var first *pgxpool.Pool
	for i := range instances {
		pool, err := pgxpool.New(bgCtx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		if i == 0 {
			first = pool
			pgtest.Exec(t, pool, usersTable)
		}
		svc, err := auth.New(pool)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() { errs[i] = svc.Migrate(bgCtx) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("instance %d: Migrate: %v", i, err)
		}
	}
	rows, err := first.Query(bgCtx, `SELECT version_id, count(*) FROM `+auth.VersionTable+` GROUP BY version_id ORDER BY version_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var v, n int64
		if err := rows.Scan(&v, &n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("version %d recorded %d times, want once", v, n)
		}
		got = append(got, string(rune('0'+v)))
	}
	want := []string{"0"}
	for v := 1; v <= migrationCount(t); v++ {
		want = append(want, string(rune('0'+v)))
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("recorded versions %v, want 0 (goose's marker) and each migration once: %v", got, want)
	}
}

// migrationCount is the number of embedded migrations.
func migrationCount(t *testing.T) int {
	t.Helper()
	names, err := fs.Glob(auth.Migrations, "sql/migrations/*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("embedded migrations: %v, %v", names, err)
	}
	return len(names)
}

// TestCheckSchemaNamesDrift: a table that lost a column, or an index, and
// an extra NOT NULL column without a default are each named with the
// migration that fixes them; Migrate does not hide the drift either (its
// migrations are applied, so it only checks).
func TestCheckSchemaNamesDrift(t *testing.T) {
	svc, pool := newService(t)
	pgtest.Exec(t, pool, `ALTER TABLE auth_tokens DROP COLUMN two_factor_verified`)
	pgtest.Exec(t, pool, `DROP INDEX auth_tokens_expires_at_idx`)
	pgtest.Exec(t, pool, `ALTER TABLE auth_tokens ADD COLUMN legacy text NOT NULL`)
	for name, f := range map[string]func() error{
		"CheckSchema": func() error { return svc.CheckSchema(bgCtx) },
		"Migrate":     func() error { return svc.Migrate(bgCtx) },
	} {
		err := f()
		for _, want := range []string{
			"column two_factor_verified is missing (added by migration 0001_init.sql)",
			"index auth_tokens_expires_at_idx is missing (made by migration 0001_init.sql)",
			"column legacy is not in the model and is NOT NULL without a default",
		} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %v\nwant it to contain %q", name, err, want)
			}
		}
	}
}
