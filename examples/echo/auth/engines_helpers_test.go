package auth_test

// The engines the guarantee tests run on: every such test is table-driven
// over engines (eachEngine), with a Service and raw SQL access (testDB) per
// engine: a PostgreSQL database of its own, or a SQLite file in t.TempDir().

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/internal/pgtest"
	"github.com/authentify-go/authentify/litedb"
	"github.com/authentify-go/authentify/runtime"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// engine names a database engine of the generated package.
type engine string

// The engines of authentify.yaml.
const (
	enginePG   engine = "postgresql"
	engineLite engine = "sqlite"
)

// engines lists every engine the guarantee tests run on.
var engines = []engine{enginePG, engineLite}

// eachEngine runs f as one subtest per engine.
func eachEngine(t *testing.T, f func(t *testing.T, e engine)) {
	t.Helper()
	for _, e := range engines {
		t.Run(string(e), func(t *testing.T) { f(t, e) })
	}
}

// testDB is the raw SQL a test runs beside the Service, on either engine.
// On SQLite, arguments are encoded as the generated store encodes them
// (times as Unix microseconds…) and time and address destinations decoded
// likewise, so that one test reads both engines.
type testDB struct {
	engine engine
	pg     *pgxpool.Pool
	lite   *sql.DB
}

// pgDB wraps a PostgreSQL pool.
func pgDB(pool *pgxpool.Pool) *testDB { return &testDB{engine: enginePG, pg: pool} }

// pick returns the statement for the test's engine.
func (d *testDB) pick(pg, lite string) string {
	if d.engine == engineLite {
		return lite
	}
	return pg
}

// Exec runs a statement.
func (d *testDB) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	if d.engine == enginePG {
		tag, err := d.pg.Exec(ctx, query, args...)
		return tag.RowsAffected(), err
	}
	res, err := d.lite.ExecContext(ctx, query, liteArgs(args)...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// mustExec runs a statement and fails the test on error.
func (d *testDB) mustExec(tb testing.TB, query string, args ...any) {
	tb.Helper()
	if _, err := d.Exec(context.Background(), query, args...); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
}

// testRow is one row of QueryRow.
type testRow struct {
	pg   pgx.Row
	lite *sql.Row
}

// Scan reads the row; no row is pgx.ErrNoRows on both engines.
func (r testRow) Scan(dest ...any) error {
	if r.pg != nil {
		return r.pg.Scan(dest...)
	}
	for i, d := range dest {
		switch d.(type) {
		case *time.Time, **time.Time, *netip.Addr, **netip.Addr, *[]string:
			dest[i] = runtime.LiteScan(d)
		case *bool:
			dest[i] = &liteBool{d.(*bool)}
		}
	}
	err := r.lite.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return pgx.ErrNoRows
	}
	return err
}

// liteBool scans SQLite's 0/1 integers.
type liteBool struct{ b *bool }

func (l *liteBool) Scan(src any) error {
	n, ok := src.(int64)
	if !ok {
		return fmt.Errorf("bool column holds %T", src)
	}
	*l.b = n != 0
	return nil
}

// QueryRow runs a query returning at most one row.
func (d *testDB) QueryRow(ctx context.Context, query string, args ...any) testRow {
	if d.engine == enginePG {
		return testRow{pg: d.pg.QueryRow(ctx, query, args...)}
	}
	return testRow{lite: d.lite.QueryRowContext(ctx, query, liteArgs(args)...)}
}

func liteArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = runtime.LiteArg(a)
	}
	return out
}

// liteUsersTable is usersTable on SQLite.
const liteUsersTable = `CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, username TEXT UNIQUE NOT NULL)`

// newEngineDB returns an empty database of engine e with the users table:
// a PostgreSQL database of its own (a pool of maxConns connections, 0 for
// the default) or a SQLite file in tb.TempDir().
func newEngineDB(tb testing.TB, e engine, maxConns int32) *testDB {
	tb.Helper()
	if e == engineLite {
		db, err := litedb.Open(context.Background(), filepath.Join(tb.TempDir(), "auth.db"))
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { db.Close() })
		d := &testDB{engine: engineLite, lite: db}
		d.mustExec(tb, liteUsersTable)
		return d
	}
	cfg, err := pgxpool.ParseConfig(pgtest.NewDatabase(tb))
	if err != nil {
		tb.Fatalf("parse dsn: %v", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("pool: %v", err)
	}
	tb.Cleanup(pool.Close)
	d := pgDB(pool)
	d.mustExec(tb, usersTable)
	return d
}

// serviceOn returns a migrated Service of engine e over d.
func serviceOn(tb testing.TB, d *testDB, opts ...auth.Option) *auth.Service {
	tb.Helper()
	var svc *auth.Service
	var err error
	if d.engine == engineLite {
		svc, err = auth.NewSQLite(d.lite, opts...)
	} else {
		svc, err = auth.New(d.pg, opts...)
	}
	if err != nil {
		tb.Fatalf("new %s service: %v", d.engine, err)
	}
	if err := svc.Migrate(context.Background()); err != nil {
		tb.Fatalf("Migrate (%s): %v", d.engine, err)
	}
	return svc
}

// newEngineService returns a Service over a fresh database of engine e with
// the users table and the token schema created.
func newEngineService(tb testing.TB, e engine, opts ...auth.Option) (*auth.Service, *testDB) {
	tb.Helper()
	d := newEngineDB(tb, e, 0)
	return serviceOn(tb, d, opts...), d
}

// newService returns another Service over d (not migrated again).
func (d *testDB) newService(opts ...auth.Option) (*auth.Service, error) {
	if d.engine == engineLite {
		return auth.NewSQLite(d.lite, opts...)
	}
	return auth.New(d.pg, opts...)
}
