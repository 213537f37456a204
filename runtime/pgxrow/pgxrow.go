// Package pgxrow keeps pgx's scan plans across queries.
//
// pgx plans how to scan each column into its destination again for every
// query (a type-map lookup and a codec negotiation per column): for the
// token table's 20 columns that is about a fifth of the CPU of an
// uncached authentication. CachePlans wraps the database handle the
// generated sqlc queries run on so that QueryRow reuses the plans of the
// previous identical query on the same connection.
package pgxrow

import (
	"context"
	"reflect"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// DBTX is what sqlc's pgx/v5 queries run on (the generated db.DBTX).
type DBTX interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// maxPlans bounds the cached plan sets: a pool replaces its connections
// (each has its own type map), so entries of closed connections are
// dropped by emptying the cache when it is full.
const maxPlans = 1024

// CachePlans returns db with a QueryRow that caches scan plans per
// connection and statement; Exec and Query are db's own. A plan is reused
// only when the statement, the columns' types and formats and the
// destinations' types are the same as when it was made, so the result is
// what pgx's own QueryRow returns: the row, pgx.ErrNoRows, or the error.
func CachePlans(db DBTX) DBTX {
	return &cachingDB{DBTX: db}
}

type cachingDB struct {
	DBTX
	mu    sync.Mutex
	plans map[planKey]*planSet
}

// planKey is one statement on one connection (its type map): a type map
// is used by one goroutine at a time, like its connection, and so are the
// plans made with it.
type planKey struct {
	m   *pgtype.Map
	sql string
}

type planSet struct {
	oids    []uint32
	formats []int16
	types   []reflect.Type
	plans   []pgtype.ScanPlan
}

// QueryRow runs sql with args; see CachePlans.
func (d *cachingDB) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	rows, err := d.DBTX.Query(ctx, sql, args...)
	return &row{d: d, sql: sql, rows: rows, err: err}
}

type row struct {
	d    *cachingDB
	sql  string
	rows pgx.Rows
	err  error
}

// Scan reads the first row into dest and closes the rows, like pgx's.
func (r *row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	rows := r.rows
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	fds := rows.FieldDescriptions()
	conn := rows.Conn()
	if conn == nil || len(fds) != len(dest) || isRowScanner(dest) {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		rows.Close()
		return rows.Err()
	}
	m := conn.TypeMap()
	set := r.d.planSet(planKey{m, r.sql}, fds, dest)
	values := rows.RawValues()
	for i, p := range set.plans {
		if dest[i] == nil {
			continue
		}
		if err := p.Scan(values[i], dest[i]); err != nil {
			return pgx.ScanArgError{ColumnIndex: i, FieldName: fds[i].Name, Err: err}
		}
	}
	rows.Close()
	return rows.Err()
}

// isRowScanner reports whether dest is one pgx.RowScanner, which pgx's
// Scan hands the whole row to.
func isRowScanner(dest []any) bool {
	if len(dest) != 1 {
		return false
	}
	_, ok := dest[0].(pgx.RowScanner)
	return ok
}

// planSet returns the plans of key for these columns and destinations,
// making them when there are none or they were made for others.
func (d *cachingDB) planSet(key planKey, fds []pgconn.FieldDescription, dest []any) *planSet {
	d.mu.Lock()
	set := d.plans[key]
	d.mu.Unlock()
	if set != nil && set.fits(fds, dest) {
		return set
	}
	set = &planSet{}
	for i, fd := range fds {
		set.oids = append(set.oids, fd.DataTypeOID)
		set.formats = append(set.formats, fd.Format)
		set.types = append(set.types, reflect.TypeOf(dest[i]))
		set.plans = append(set.plans, key.m.PlanScan(fd.DataTypeOID, fd.Format, dest[i]))
	}
	d.mu.Lock()
	if d.plans == nil || len(d.plans) >= maxPlans {
		d.plans = map[planKey]*planSet{}
	}
	d.plans[key] = set
	d.mu.Unlock()
	return set
}

func (s *planSet) fits(fds []pgconn.FieldDescription, dest []any) bool {
	if len(fds) != len(s.oids) {
		return false
	}
	for i, fd := range fds {
		if fd.DataTypeOID != s.oids[i] || fd.Format != s.formats[i] || reflect.TypeOf(dest[i]) != s.types[i] {
			return false
		}
	}
	return true
}
