package runtime

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// This file holds what generated SQLite stores share: the column encodings
// (times as Unix microseconds, addresses, lists and JSON as text), the
// single-writer discipline and error classification.

// LiteArg converts a value of a generated row field to the SQLite value the
// generated schema stores: time.Time as Unix microseconds (INTEGER, the
// precision PostgreSQL keeps), netip.Addr and UUID as their text form,
// []string as a JSON array; nil pointers, nil lists and nil []byte as NULL
// (a driver may bind a nil []byte as an empty BLOB). Other values are
// returned as they are (database/sql converts them).
func LiteArg(v any) any {
	switch x := v.(type) {
	case []byte:
		if x == nil {
			return nil
		}
		return x
	case time.Time:
		return x.UnixMicro()
	case *time.Time:
		if x == nil {
			return nil
		}
		return x.UnixMicro()
	case netip.Addr:
		if !x.IsValid() {
			return nil
		}
		return x.String()
	case *netip.Addr:
		if x == nil || !x.IsValid() {
			return nil
		}
		return x.String()
	case []string:
		if x == nil {
			return nil
		}
		b, _ := json.Marshal(x) // a []string always encodes
		return string(b)
	case *UUID:
		if x == nil {
			return nil
		}
		return x.String()
	case UUID:
		return x.String()
	}
	return v
}

// LiteJSON converts JSON bytes to the TEXT a SQLite json column stores (a
// BLOB would be read as SQLite's binary JSONB); nil is NULL.
func LiteJSON(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// LiteScan returns a sql.Scanner that reads a column encoded by LiteArg into
// dst: *time.Time, **time.Time, *netip.Addr, **netip.Addr or *[]string.
func LiteScan(dst any) sql.Scanner { return liteScanner{dst} }

type liteScanner struct{ dst any }

// Scan decodes src into the scanner's destination.
func (s liteScanner) Scan(src any) error {
	switch d := s.dst.(type) {
	case *time.Time:
		n, ok := src.(int64)
		if !ok {
			return fmt.Errorf("authentify: sqlite: time column holds %T, want INTEGER microseconds", src)
		}
		*d = time.UnixMicro(n)
	case **time.Time:
		if src == nil {
			*d = nil
			return nil
		}
		var t time.Time
		if err := (liteScanner{&t}).Scan(src); err != nil {
			return err
		}
		*d = &t
	case *netip.Addr:
		if src == nil {
			*d = netip.Addr{}
			return nil
		}
		a, err := netip.ParseAddr(liteText(src))
		if err != nil {
			return fmt.Errorf("authentify: sqlite: ip column: %w", err)
		}
		*d = a
	case **netip.Addr:
		if src == nil {
			*d = nil
			return nil
		}
		var a netip.Addr
		if err := (liteScanner{&a}).Scan(src); err != nil {
			return err
		}
		*d = &a
	case *[]string:
		if src == nil {
			*d = nil
			return nil
		}
		var l []string
		if err := json.Unmarshal([]byte(liteText(src)), &l); err != nil {
			return fmt.Errorf("authentify: sqlite: string_list column: %w", err)
		}
		if l == nil {
			l = []string{}
		}
		*d = l
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
