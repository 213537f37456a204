package runtime

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"net/netip"
	"time"
)

// The column types of the generated SQLite queries (sqlc's sqlite engine
// over database/sql, the db/sqlite package): sqlc.yaml maps each token
// column whose SQLite form differs from its Go form to one of these. Each
// is a defined type over the Go type the Token holds, so the generated
// conversions are free type conversions: time.Time(r.CreatedAt),
// (*netip.Addr)(r.LastUsedIP). A nil pointer or a nil slice is NULL.

// LiteTime is a time stored as Unix microseconds (INTEGER): the precision
// PostgreSQL keeps.
type LiteTime time.Time

// Value encodes t as Unix microseconds.
func (t LiteTime) Value() (driver.Value, error) { return time.Time(t).UnixMicro(), nil }

// Scan decodes Unix microseconds (a NULL leaves a pointer destination nil:
// database/sql does not call Scan then).
func (t *LiteTime) Scan(src any) error {
	n, ok := src.(int64)
	if !ok {
		return fmt.Errorf("authentify: sqlite: time column holds %T, want INTEGER microseconds", src)
	}
	*t = LiteTime(time.UnixMicro(n))
	return nil
}

// LiteAddr is an IP address stored in its text form.
type LiteAddr netip.Addr

// Value encodes a as text; the zero Addr is NULL.
func (a LiteAddr) Value() (driver.Value, error) {
	if !netip.Addr(a).IsValid() {
		return nil, nil
	}
	return netip.Addr(a).String(), nil
}

// Scan decodes an address from its text form.
func (a *LiteAddr) Scan(src any) error {
	if src == nil {
		*a = LiteAddr{}
		return nil
	}
	v, err := netip.ParseAddr(liteText(src))
	if err != nil {
		return fmt.Errorf("authentify: sqlite: ip column: %w", err)
	}
	*a = LiteAddr(v)
	return nil
}

// LiteBlob is a nullable BLOB: nil is NULL (database/sql would hand a nil
// []byte to the driver, which may bind it as an empty BLOB).
type LiteBlob []byte

// Value returns b, or NULL for nil.
func (b LiteBlob) Value() (driver.Value, error) {
	if b == nil {
		return nil, nil
	}
	return []byte(b), nil
}

// Scan copies a BLOB (NULL is nil).
func (b *LiteBlob) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*b = nil
	case []byte:
		*b = append(LiteBlob{}, v...)
	case string:
		*b = LiteBlob(v)
	default:
		return fmt.Errorf("authentify: sqlite: blob column holds %T", src)
	}
	return nil
}

// LiteJSONText is a JSON document stored as TEXT (a BLOB would be read as
// SQLite's binary JSONB); nil is NULL.
type LiteJSONText []byte

// Value returns the document as text, or NULL for nil.
func (j LiteJSONText) Value() (driver.Value, error) {
	if j == nil {
		return nil, nil
	}
	return string(j), nil
}

// Scan copies the document (NULL is nil).
func (j *LiteJSONText) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*j = nil
	case string:
		*j = LiteJSONText(v)
	case []byte:
		*j = append(LiteJSONText{}, v...)
	default:
		return fmt.Errorf("authentify: sqlite: json column holds %T", src)
	}
	return nil
}

// LiteStrings is a list of strings stored as a JSON array (TEXT); nil is
// NULL.
type LiteStrings []string

// Value encodes the list as a JSON array, or NULL for nil.
func (l LiteStrings) Value() (driver.Value, error) {
	if l == nil {
		return nil, nil
	}
	b, err := json.Marshal([]string(l))
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// Scan decodes a JSON array of strings (NULL is nil, [] is empty, not nil).
func (l *LiteStrings) Scan(src any) error {
	if src == nil {
		*l = nil
		return nil
	}
	var v []string
	if err := json.Unmarshal([]byte(liteText(src)), &v); err != nil {
		return fmt.Errorf("authentify: sqlite: string_list column: %w", err)
	}
	if v == nil {
		v = []string{}
	}
	*l = v
	return nil
}

// LiteAt returns t as a *LiteTime, for a parameter compared with (or
// stored in) a nullable time column.
func LiteAt(t time.Time) *LiteTime {
	v := LiteTime(t)
	return &v
}
