package runtime_test

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"net/netip"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/authentify-go/authentify/litedb"
	"github.com/authentify-go/authentify/runtime"
)

func openLite(t *testing.T) *sql.DB {
	t.Helper()
	db, err := litedb.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestLiteColumnsRoundTrip stores each encoded type in a STRICT column of
// its SQLite type and reads it back through LiteScan.
func TestLiteColumnsRoundTrip(t *testing.T) {
	db := openLite(t)
	ctx := context.Background()
	if _, err := db.Exec(`CREATE TABLE v (i INTEGER, s TEXT, b BLOB) STRICT`); err != nil {
		t.Fatal(err)
	}
	when := time.Date(2031, 3, 4, 5, 6, 7, 123456000, time.UTC)
	zone := netip.MustParseAddr("fe80::1%eth0")
	for _, tc := range []struct {
		name, col string
		in        any // a LiteArg input
		out       any // pointer to a zero destination, read through LiteScan
		want      any // *out after the read
	}{
		{"time", "i", when, new(time.Time), when},
		{"time pointer", "i", &when, new(*time.Time), &when},
		{"nil time pointer", "i", (*time.Time)(nil), new(*time.Time), (*time.Time)(nil)},
		{"ipv4", "s", netip.MustParseAddr("192.0.2.1"), new(netip.Addr), netip.MustParseAddr("192.0.2.1")},
		{"ipv6 zone", "s", &zone, new(*netip.Addr), &zone},
		{"nil ip", "s", (*netip.Addr)(nil), new(*netip.Addr), (*netip.Addr)(nil)},
		{"list", "s", []string{"a", `b "c"`, ""}, new([]string), []string{"a", `b "c"`, ""}},
		{"empty list", "s", []string{}, new([]string), []string{}},
		{"nil list", "s", []string(nil), new([]string), []string(nil)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := db.ExecContext(ctx, `DELETE FROM v`); err != nil {
				t.Fatal(err)
			}
			if _, err := db.ExecContext(ctx, `INSERT INTO v (`+tc.col+`) VALUES (?)`, runtime.LiteArg(tc.in)); err != nil {
				t.Fatalf("insert: %v", err)
			}
			if err := db.QueryRowContext(ctx, `SELECT `+tc.col+` FROM v`).Scan(runtime.LiteScan(tc.out)); err != nil {
				t.Fatalf("scan: %v", err)
			}
			got := reflect.ValueOf(tc.out).Elem().Interface()
			if g, ok := got.(time.Time); ok {
				if !g.Equal(tc.want.(time.Time)) {
					t.Errorf("got %v, want %v", g, tc.want)
				}
				return
			}
			if g, ok := got.(*time.Time); ok && g != nil {
				if !g.Equal(*tc.want.(*time.Time)) {
					t.Errorf("got %v, want %v", g, tc.want)
				}
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %#v, want %#v", got, tc.want)
			}
		})
	}
	// A nil []byte is NULL, not an empty BLOB (the store's CHECKs rely on it).
	if _, err := db.Exec(`DELETE FROM v`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO v (b) VALUES (?)`, runtime.LiteArg([]byte(nil))); err != nil {
		t.Fatal(err)
	}
	var isNull bool
	if err := db.QueryRow(`SELECT b IS NULL FROM v`).Scan(&isNull); err != nil || !isNull {
		t.Errorf("nil []byte stored as non-NULL (%v)", err)
	}
}

// TestLiteBusyIsUnavailable: a write that finds the database locked beyond
// busy_timeout is a 503, never a 500.
func TestLiteBusyIsUnavailable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	ctx := context.Background()
	holder, err := litedb.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	impatient, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer impatient.Close()
	lock, err := holder.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if _, err := lock.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	defer lock.ExecContext(ctx, "ROLLBACK")
	_, err = impatient.ExecContext(ctx, "BEGIN IMMEDIATE")
	if err == nil {
		t.Fatal("a second writer took the lock")
	}
	if !runtime.IsLiteBusy(err) {
		t.Errorf("IsLiteBusy(%v) = false", err)
	}
	c := runtime.LiteStoreError(err)
	if !errors.Is(c, runtime.ErrUnavailable) || runtime.HTTPStatus(c) != http.StatusServiceUnavailable {
		t.Errorf("LiteStoreError(%v) = %v (status %d), want unavailable, 503", err, c, runtime.HTTPStatus(c))
	}
	if got := runtime.LiteStoreError(sql.ErrNoRows); !errors.Is(got, runtime.ErrNotFound) {
		t.Errorf("LiteStoreError(ErrNoRows) = %v", got)
	}
}

// TestLiteWriterQueuesWriters: many read-modify-write transactions at once
// over connections without any busy timeout all succeed and none is lost:
// the writer queues them instead of letting them collide on the lock.
func TestLiteWriterQueuesWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(16)
	ctx := context.Background()
	if _, err := db.Exec(`CREATE TABLE c (n INTEGER NOT NULL); INSERT INTO c VALUES (0)`); err != nil {
		t.Fatal(err)
	}
	w := runtime.NewLiteWriter()
	const writers = 64
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for range writers {
		wg.Go(func() {
			errs <- w.Do(ctx, db, func(q runtime.LiteQuerier) error {
				var n int
				if err := q.QueryRowContext(ctx, `SELECT n FROM c`).Scan(&n); err != nil {
					return err
				}
				_, err := q.ExecContext(ctx, `UPDATE c SET n = ?`, n+1)
				return err
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("write failed: %v", err)
		}
	}
	var n int
	if err := db.QueryRow(`SELECT n FROM c`).Scan(&n); err != nil || n != writers {
		t.Errorf("counter = %d (%v), want %d", n, err, writers)
	}
}
