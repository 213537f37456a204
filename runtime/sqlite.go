package runtime

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// This file holds what generated SQLite stores share: the column encodings
// (times as Unix microseconds, addresses, lists and JSON as text), the
// single-writer discipline and error classification.

// LiteArg converts a value of a Token's Go type to the SQLite value the
// generated schema stores, through the runtime.Lite* column types: time.Time
// as Unix microseconds, netip.Addr and UUID as their text form, []string as
// a JSON array; nil pointers, nil lists and nil []byte as NULL. Other values
// are returned as they are (database/sql converts them). For SQL written by
// hand against the SQLite table; the generated store uses the types.
func LiteArg(v any) any {
	var val driver.Valuer
	switch x := v.(type) {
	case []byte:
		val = LiteBlob(x)
	case time.Time:
		val = LiteTime(x)
	case *time.Time:
		if x == nil {
			return nil
		}
		val = LiteTime(*x)
	case netip.Addr:
		val = LiteAddr(x)
	case *netip.Addr:
		if x == nil {
			return nil
		}
		val = LiteAddr(*x)
	case []string:
		val = LiteStrings(x)
	case *UUID:
		if x == nil {
			return nil
		}
		val = *x
	case UUID:
		val = x
	default:
		return v
	}
	out, _ := val.Value() // these encodings do not fail
	return out
}

// LiteJSON converts JSON bytes to the TEXT a SQLite json column stores (a
// BLOB would be read as SQLite's binary JSONB); nil is NULL.
func LiteJSON(b []byte) any {
	v, _ := LiteJSONText(b).Value()
	return v
}

// LiteScan returns a sql.Scanner that reads a column encoded by LiteArg into
// dst: *time.Time, **time.Time, *netip.Addr, **netip.Addr or *[]string.
func LiteScan(dst any) sql.Scanner { return liteScanner{dst} }

type liteScanner struct{ dst any }

// Scan decodes src into the scanner's destination.
func (s liteScanner) Scan(src any) error {
	switch d := s.dst.(type) {
	case *time.Time:
		return (*LiteTime)(d).Scan(src)
	case **time.Time:
		if src == nil {
			*d = nil
			return nil
		}
		var v LiteTime
		if err := v.Scan(src); err != nil {
			return err
		}
		*d = (*time.Time)(&v)
	case *netip.Addr:
		return (*LiteAddr)(d).Scan(src)
	case **netip.Addr:
		if src == nil {
			*d = nil
			return nil
		}
		var v LiteAddr
		if err := v.Scan(src); err != nil {
			return err
		}
		*d = (*netip.Addr)(&v)
	case *[]string:
		return (*LiteStrings)(d).Scan(src)
	default:
		return fmt.Errorf("authentify: sqlite: cannot scan into %T", s.dst)
	}
	return nil
}

func liteText(src any) string {
	switch v := src.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	}
	return fmt.Sprint(src)
}

// LiteQuerier is what a generated SQLite store runs statements on: a
// *sql.DB, a *sql.Conn or a *sql.Tx.
type LiteQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// LiteWriter is the single-writer discipline of a SQLite store: SQLite
// admits one writer at a time, so instead of letting concurrent writers
// collide on the database lock (SQLITE_BUSY), every write of a process
// waits here for its turn and then runs in a BEGIN IMMEDIATE transaction on
// a connection of its own, which takes the write lock first (other
// processes wait for it through busy_timeout). Reads never wait: WAL lets
// them run beside the writer. The zero value is not usable; see
// NewLiteWriter.
type LiteWriter struct {
	turn chan struct{}
}

// NewLiteWriter returns a LiteWriter. Writers of different stores (or
// processes) on one database take turns through busy_timeout.
func NewLiteWriter() *LiteWriter {
	return &LiteWriter{turn: make(chan struct{}, 1)}
}

// Do runs f in a BEGIN IMMEDIATE transaction on one connection of db,
// after the writes before it: committed when f returns nil, rolled back
// otherwise. Waiting ends with ctx (an Unavailable error).
func (w *LiteWriter) Do(ctx context.Context, db *sql.DB, f func(q LiteQuerier) error) (err error) {
	select {
	case w.turn <- struct{}{}:
	case <-ctx.Done():
		return Unavailable(fmt.Errorf("authentify: sqlite: waiting for the writer: %w", ctx.Err()))
	}
	defer func() { <-w.turn }()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			// The rollback must run even when ctx is done.
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	if err := f(conn); err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, "COMMIT")
	return err
}

// LiteStoreError is StoreError for SQLite: sql.ErrNoRows is ErrNotFound,
// and a busy or locked database (SQLITE_BUSY, SQLITE_LOCKED: another
// process held the write lock beyond busy_timeout), a closed database or a
// done context is Unavailable (503, never a 500).
func LiteStoreError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return ErrNotFound
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrUnavailable), errors.As(err, new(*liteStoreFailure)):
		return err
	case IsLiteBusy(err), errors.Is(err, sql.ErrConnDone), errors.Is(err, driver.ErrBadConn),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		strings.Contains(err.Error(), "sql: database is closed"):
		return Unavailable(err)
	}
	return &liteStoreFailure{err}
}

// liteStoreFailure is a classified permanent store error (a constraint
// violation, a bug), so that classifying it again keeps it as it is.
type liteStoreFailure struct{ err error }

func (e *liteStoreFailure) Error() string { return "authentify: token store: " + e.err.Error() }
func (e *liteStoreFailure) Unwrap() error { return e.err }

// IsLiteBusy reports whether err is SQLite's SQLITE_BUSY or SQLITE_LOCKED
// ("database is locked").
func IsLiteBusy(err error) bool {
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		switch coded.Code() & 0xff {
		case 5, 6: // SQLITE_BUSY, SQLITE_LOCKED
			return true
		}
	}
	return err != nil && (strings.Contains(err.Error(), "database is locked") || strings.Contains(err.Error(), "SQLITE_BUSY"))
}
