package pgxrow_test

import (
	"context"
	"errors"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/authentify-go/authentify/internal/pgtest"
	"github.com/authentify-go/authentify/runtime/pgxrow"
	"github.com/jackc/pgx/v5"
)

// TestCachePlansScansLikePgx: the wrapped QueryRow returns what pgx's own
// returns, on every call (the first plans, the others reuse), for every
// column type of the token table, NULLs included; no row is pgx.ErrNoRows
// and a query error is returned by Scan.
func TestCachePlansScansLikePgx(t *testing.T) {
	pool := pgtest.NewPool(t)
	ctx := context.Background()
	pgtest.Exec(t, pool, `CREATE TABLE t (id bigint PRIMARY KEY, h bytea, hs bytea[] NOT NULL, at timestamptz, ctx jsonb NOT NULL, reason text, ip inet, ok boolean NOT NULL, n integer)`)
	pgtest.Exec(t, pool, `INSERT INTO t VALUES (1, '\x0102', ARRAY['\x03'::bytea], '2026-12-01 10:00:00+00', '{"device": "a"}', 'why', '10.0.0.1', true, 7),
		(2, NULL, '{}', NULL, '{}', NULL, NULL, false, NULL)`)
	type rowT struct {
		ID     int64
		H      []byte
		Hs     [][]byte
		At     *time.Time
		Ctx    []byte
		Reason *string
		IP     *netip.Addr
		OK     bool
		N      *int32
	}
	const q = `SELECT id, h, hs, at, ctx, reason, ip, ok, n FROM t WHERE id = $1`
	scan := func(db interface {
		QueryRow(context.Context, string, ...any) pgx.Row
	}, id int64) (rowT, error) {
		var r rowT
		err := db.QueryRow(ctx, q, id).Scan(&r.ID, &r.H, &r.Hs, &r.At, &r.Ctx, &r.Reason, &r.IP, &r.OK, &r.N)
		return r, err
	}
	cached := pgxrow.CachePlans(pool)
	for round := range 3 {
		for _, id := range []int64{1, 2, 3} {
			want, wantErr := scan(pool, id)
			got, err := scan(cached, id)
			if !errors.Is(err, wantErr) && (err == nil || wantErr == nil || err.Error() != wantErr.Error()) {
				t.Errorf("round %d, id %d: error %v, pgx's %v", round, id, err, wantErr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("round %d, id %d: got %+v, pgx's %+v", round, id, got, want)
			}
		}
	}
	if _, err := scan(cached, 3); !errors.Is(err, pgx.ErrNoRows) {
		t.Errorf("no row: %v, want pgx.ErrNoRows", err)
	}
	var n int
	if err := cached.QueryRow(ctx, `SELECT nope FROM t`).Scan(&n); err == nil {
		t.Error("a query error: Scan returned nil")
	}
}

// TestCachePlansReplansForOtherDestinations: the same statement scanned
// into destinations of another type is planned again, not scanned with the
// plan of the first types.
func TestCachePlansReplansForOtherDestinations(t *testing.T) {
	pool := pgtest.NewPool(t)
	cached := pgxrow.CachePlans(pool)
	ctx := context.Background()
	const q = `SELECT 42::bigint, 'x'::text`
	var i64 int64
	var s string
	if err := cached.QueryRow(ctx, q).Scan(&i64, &s); err != nil || i64 != 42 || s != "x" {
		t.Fatalf("int64, string: %d %q %v", i64, s, err)
	}
	var f float64
	var b []byte
	if err := cached.QueryRow(ctx, q).Scan(&f, &b); err != nil || f != 42 || string(b) != "x" {
		t.Fatalf("float64, []byte: %v %q %v", f, b, err)
	}
	if err := cached.QueryRow(ctx, q).Scan(&i64, &s); err != nil || i64 != 42 || s != "x" {
		t.Fatalf("int64, string again: %d %q %v", i64, s, err)
	}
	var only int64
	if err := cached.QueryRow(ctx, q).Scan(&only); err == nil {
		t.Error("one destination for two columns: no error")
	}
}

// pair is a pgx.RowScanner.
type pair struct{ a, b int64 }

func (p *pair) ScanRow(rows pgx.Rows) error { return rows.Scan(&p.a, &p.b) }

// TestCachePlansRowScanner: a single pgx.RowScanner destination gets the
// whole row, as with pgx's QueryRow.
func TestCachePlansRowScanner(t *testing.T) {
	pool := pgtest.NewPool(t)
	var p pair
	if err := pgxrow.CachePlans(pool).QueryRow(context.Background(), `SELECT 1::bigint, 2::bigint`).Scan(&p); err != nil || p != (pair{1, 2}) {
		t.Fatalf("ScanRow: %+v %v", p, err)
	}
}
