package runtime

import (
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"strings"
	"testing"
)

var (
	_ driver.Valuer = UUID{}
	_ sql.Scanner   = (*UUID)(nil)
)

const testUUID = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"

var testUUIDBytes = UUID{0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}

func TestParseUUID(t *testing.T) {
	for _, s := range []string{testUUID, strings.ToUpper(testUUID), "6BA7b810-9dAd-11d1-80B4-00c04fd430C8"} {
		u, err := ParseUUID(s)
		if err != nil {
			t.Fatalf("ParseUUID(%q): %v", s, err)
		}
		if u != testUUIDBytes {
			t.Errorf("ParseUUID(%q) = %x", s, u[:])
		}
		if u.String() != testUUID {
			t.Errorf("String() = %q, want lowercase canonical", u.String())
		}
	}
	bad := []struct{ in, msg string }{
		{"", "36 characters"},
		{"6ba7b8109dad11d180b400c04fd430c8", "36 characters"},
		{"{6ba7b810-9dad-11d1-80b4-00c04fd430c8}", "36 characters"},
		{"urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8", "36 characters"},
		{"6ba7b810-9dad-11d1-80b4-00c04fd430c", "36 characters"},
		{"6ba7b810x9dad-11d1-80b4-00c04fd430c8", "'-' at position 8"},
		{"6ba7b8109-dad-11d1-80b4-00c04fd430c8", "'-' at position 8"},
		{"6ba7b810-9dad-11d1-80b4-00c04fd430cg", "hex digit at position 34"},
		{"6ba7b810-9dad-11d1-80b4-00c04fd430c\u00e9"[:36], "hex digit"},
		{strings.Repeat("x", 1000), "got 1000"},
	}
	for _, tt := range bad {
		if _, err := ParseUUID(tt.in); err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("ParseUUID(%q) = %v, want an error mentioning %q", tt.in, err, tt.msg)
		}
	}
}

func TestNewUUID(t *testing.T) {
	seen := map[UUID]bool{}
	for range 100 {
		u, err := NewUUID()
		if err != nil {
			t.Fatal(err)
		}
		if u[6]>>4 != 4 || u[8]>>6 != 2 {
			t.Fatalf("%s is not a version 4, RFC variant UUID", u)
		}
		if seen[u] || u.IsZero() {
			t.Fatalf("repeated or zero UUID %s", u)
		}
		seen[u] = true
		back, err := ParseUUID(u.String())
		if err != nil || back != u {
			t.Fatalf("round trip of %s: %s, %v", u, back, err)
		}
	}
}

func TestUUIDTextAndJSON(t *testing.T) {
	var zero UUID
	if !zero.IsZero() || testUUIDBytes.IsZero() {
		t.Error("IsZero is wrong")
	}
	b, err := json.Marshal(struct{ ID UUID }{testUUIDBytes})
	if err != nil || string(b) != `{"ID":"`+testUUID+`"}` {
		t.Fatalf("json.Marshal = %s, %v", b, err)
	}
	var back struct{ ID UUID }
	if err := json.Unmarshal(b, &back); err != nil || back.ID != testUUIDBytes {
		t.Fatalf("json.Unmarshal = %v, %v", back.ID, err)
	}
	if err := json.Unmarshal([]byte(`{"ID":"nope"}`), &back); err == nil {
		t.Error("json.Unmarshal accepted an invalid UUID")
	}
	var u UUID
	if err := u.UnmarshalText([]byte("bad")); err == nil || u != (UUID{}) {
		t.Errorf("UnmarshalText(bad) = %v and changed u to %s", err, u)
	}
}

func TestUUIDValueScan(t *testing.T) {
	v, err := testUUIDBytes.Value()
	if err != nil || v != testUUID {
		t.Fatalf("Value = %v, %v", v, err)
	}
	if !driver.IsValue(v) {
		t.Errorf("Value %T is not a driver.Value", v)
	}
	for _, src := range []any{testUUID, strings.ToUpper(testUUID), []byte(testUUID), testUUIDBytes[:]} {
		var u UUID
		if err := u.Scan(src); err != nil || u != testUUIDBytes {
			t.Errorf("Scan(%T %v) = %s, %v", src, src, u, err)
		}
	}
	for _, src := range []any{nil, 42, "nope", []byte("short"), make([]byte, 17)} {
		var u UUID
		if err := u.Scan(src); err == nil {
			t.Errorf("Scan(%T %v) succeeded", src, src)
		}
	}
	var n sql.Null[UUID]
	if err := n.Scan(nil); err != nil || n.Valid {
		t.Errorf("sql.Null[UUID].Scan(nil) = %v, valid=%v", err, n.Valid)
	}
	if err := n.Scan(testUUID); err != nil || !n.Valid || n.V != testUUIDBytes {
		t.Errorf("sql.Null[UUID].Scan = %v, %+v", err, n)
	}
}
