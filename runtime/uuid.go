package runtime

import (
	"crypto/rand"
	"database/sql/driver"
	"encoding/hex"
	"fmt"
)

// UUID is an RFC 9562 UUID. Its text form is the canonical
// 8-4-4-4-12 lowercase hex string. It implements driver.Valuer and
// sql.Scanner, so it can be stored in a PostgreSQL uuid column through pgx
// or database/sql.
type UUID [16]byte

// uuidLen is the length of the canonical text form.
const uuidLen = 36

// NewUUID returns a random (version 4) UUID.
func NewUUID() (UUID, error) {
	var u UUID
	if _, err := rand.Read(u[:]); err != nil {
		return UUID{}, fmt.Errorf("authentify: reading random bytes for a UUID: %w", err)
	}
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	return u, nil
}

// ParseUUID parses the canonical form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx,
// in upper or lower case. Other forms (braces, urn:uuid:, no dashes) are
// refused.
func ParseUUID(s string) (UUID, error) {
	var u UUID
	if len(s) != uuidLen {
		return UUID{}, fmt.Errorf("authentify: invalid UUID %q: want 36 characters in the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, got %d", truncate(s, 64), len(s))
	}
	j := 0
	for i := 0; i < uuidLen; {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if s[i] != '-' {
				return UUID{}, fmt.Errorf("authentify: invalid UUID %q: want '-' at position %d", s, i)
			}
			i++
			continue
		}
		hi, ok1 := fromHex(s[i])
		lo, ok2 := fromHex(s[i+1])
		if !ok1 || !ok2 {
			return UUID{}, fmt.Errorf("authentify: invalid UUID %q: not a hex digit at position %d", s, i)
		}
		u[j] = hi<<4 | lo
		j++
		i += 2
	}
	return u, nil
}

func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// truncate shortens s for an error message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// String returns the canonical lowercase form.
func (u UUID) String() string {
	var b [uuidLen]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

// IsZero reports whether u is the nil UUID (all zeros).
func (u UUID) IsZero() bool { return u == UUID{} }

// MarshalText implements encoding.TextMarshaler with the canonical form.
func (u UUID) MarshalText() ([]byte, error) { return []byte(u.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; see ParseUUID.
func (u *UUID) UnmarshalText(b []byte) error {
	v, err := ParseUUID(string(b))
	if err != nil {
		return err
	}
	*u = v
	return nil
}

// Value implements driver.Valuer: the canonical string.
func (u UUID) Value() (driver.Value, error) { return u.String(), nil }

// Scan implements sql.Scanner. It accepts the canonical text form as a
// string or []byte, and 16 raw bytes. NULL is an error: scan into a *UUID
// field through sql.Null[UUID] or a pointer instead.
func (u *UUID) Scan(src any) error {
	switch v := src.(type) {
	case string:
		return u.UnmarshalText([]byte(v))
	case []byte:
		if len(v) == len(u) {
			copy(u[:], v)
			return nil
		}
		return u.UnmarshalText(v)
	case nil:
		return fmt.Errorf("authentify: cannot scan NULL into a UUID; use sql.Null[runtime.UUID] or *runtime.UUID")
	default:
		return fmt.Errorf("authentify: cannot scan %T into a UUID; want a string or []byte", src)
	}
}
