package runtime_test

import (
	"context"
	"database/sql/driver"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/authentify-go/authentify/runtime"
)

// TestLiteTypesRoundTrip stores each column type of db/sqlite as a
// parameter in a STRICT column of its SQLite type, checks the stored form
// (typeof and text), and scans it back into the same type, as the queries
// that sqlc generates do.
func TestLiteTypesRoundTrip(t *testing.T) {
	db := openLite(t)
	ctx := context.Background()
	if _, err := db.Exec(`CREATE TABLE v (i INTEGER, s TEXT, b BLOB) STRICT`); err != nil {
		t.Fatal(err)
	}
	when := runtime.LiteTime(time.Date(2031, 3, 4, 5, 6, 7, 123456000, time.UTC))
	zone := runtime.LiteAddr(netip.MustParseAddr("fe80::1%eth0"))
	for _, tc := range []struct {
		name, col string
		in        driver.Valuer
		out       any    // pointer to a zero value of the column's Go type
		stored    string // typeof(col) || ':' || col
	}{
		{"time", "i", when, new(runtime.LiteTime), "integer:1930367167123456"},
		{"time pointer", "i", &when, new(*runtime.LiteTime), "integer:1930367167123456"},
		{"nil time pointer", "i", (*runtime.LiteTime)(nil), new(*runtime.LiteTime), "null:"},
		{"ipv4", "s", runtime.LiteAddr(netip.MustParseAddr("192.0.2.1")), new(runtime.LiteAddr), "text:192.0.2.1"},
		{"ipv6 zone", "s", &zone, new(*runtime.LiteAddr), "text:fe80::1%eth0"},
		{"nil ip", "s", (*runtime.LiteAddr)(nil), new(*runtime.LiteAddr), "null:"},
		{"blob", "b", runtime.LiteBlob{0, 1, 2}, new(runtime.LiteBlob), "blob:\x00\x01\x02"},
		{"empty blob", "b", runtime.LiteBlob{}, new(runtime.LiteBlob), "blob:"},
		{"nil blob is NULL", "b", runtime.LiteBlob(nil), new(runtime.LiteBlob), "null:"},
		{"json", "s", runtime.LiteJSONText(`{"a":[1,"x"]}`), new(runtime.LiteJSONText), `text:{"a":[1,"x"]}`},
		{"nil json", "s", runtime.LiteJSONText(nil), new(runtime.LiteJSONText), "null:"},
		{"list", "s", runtime.LiteStrings{"a", `b "c"`, ""}, new(runtime.LiteStrings), `text:["a","b \"c\"",""]`},
		{"empty list", "s", runtime.LiteStrings{}, new(runtime.LiteStrings), "text:[]"},
		{"nil list", "s", runtime.LiteStrings(nil), new(runtime.LiteStrings), "null:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := db.ExecContext(ctx, `DELETE FROM v`); err != nil {
				t.Fatal(err)
			}
			if _, err := db.ExecContext(ctx, `INSERT INTO v (`+tc.col+`) VALUES (?)`, tc.in); err != nil {
				t.Fatalf("insert: %v", err)
			}
			var stored string
			if err := db.QueryRowContext(ctx, `SELECT typeof(`+tc.col+`) || ':' || coalesce(CAST(`+tc.col+` AS TEXT), '') FROM v`).Scan(&stored); err != nil {
				t.Fatal(err)
			}
			if stored != tc.stored {
				t.Errorf("stored %q, want %q", stored, tc.stored)
			}
			if err := db.QueryRowContext(ctx, `SELECT `+tc.col+` FROM v`).Scan(tc.out); err != nil {
				t.Fatalf("scan: %v", err)
			}
			got := reflect.ValueOf(tc.out).Elem().Interface()
			want := any(tc.in)
			if p := reflect.ValueOf(tc.in); p.Kind() == reflect.Pointer && !p.IsNil() {
				// A pointer reads back as a new pointer to an equal value.
				got, want = reflect.ValueOf(got).Elem().Interface(), p.Elem().Interface()
			}
			if w, ok := want.(runtime.LiteTime); ok {
				if !time.Time(got.(runtime.LiteTime)).Equal(time.Time(w)) {
					t.Errorf("got %v, want %v", time.Time(got.(runtime.LiteTime)), time.Time(w))
				}
				return
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %#v, want %#v", got, want)
			}
		})
	}
}

// TestLiteTypesRefuseWrongStorage: a column holding another SQLite type
// than its Go type expects is an error, never a zero value.
func TestLiteTypesRefuseWrongStorage(t *testing.T) {
	for _, tc := range []struct {
		name string
		dst  interface{ Scan(any) error }
		src  any
	}{
		{"time as text", new(runtime.LiteTime), "2031-03-04"},
		{"time NULL into a value", new(runtime.LiteTime), nil},
		{"ip not an address", new(runtime.LiteAddr), "not-an-ip"},
		{"list not an array", new(runtime.LiteStrings), `{"a":1}`},
		{"blob as integer", new(runtime.LiteBlob), int64(1)},
		{"json as integer", new(runtime.LiteJSONText), int64(1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.dst.Scan(tc.src); err == nil {
				t.Errorf("Scan(%#v) = nil error", tc.src)
			}
		})
	}
}
