package runtime

import (
	"fmt"
	"log/slog"
	"strconv"
)

// Secret is a raw token as handed to a client. It keeps the token out of
// logs: fmt (every verb, including %v, %+v, %#v, %s, %q and %x), String,
// GoString, log/slog (LogValue), encoding/json (MarshalJSON) and every
// encoding.TextMarshaler user print a redacted form such as
// "acme_at_…[redacted]", keeping only the prefix and kind.
//
// Reveal is the only way to get the token out, e.g. to write it into a
// response body or a cookie.
//
// Redaction relies on these methods being called, so it does not apply when
// a Secret is read by reflection without them: fmt printing an unexported
// struct field, encoding/gob, encoding/json using it as a map key, or an
// explicit string(s) conversion.
type Secret string

// redactedMark replaces the secret part of a token.
const redactedMark = "…[redacted]"

// Reveal returns the raw token. It is the only way to get it out of a
// Secret; call it only to hand the token to its owner.
func (s Secret) Reveal() string { return string(s) }

// IsZero reports whether s is empty.
func (s Secret) IsZero() bool { return s == "" }

// redacted returns the printable form of s: "" for an empty Secret,
// "<prefix>_<kind>_…[redacted]" when s starts like a token, and
// "[redacted]" otherwise.
func (s Secret) redacted() string {
	if s == "" {
		return ""
	}
	for i := 1; i <= maxPrefixLen && i < len(s); i++ {
		if s[i] != '_' {
			continue
		}
		head := string(s[:i])
		if ValidPrefix(head) == nil && len(s) >= i+4 && s[i+3] == '_' {
			if k := Kind(s[i+1 : i+3]); k.valid() {
				return string(s[:i+4]) + redactedMark
			}
		}
		break
	}
	return "[redacted]"
}

// String returns the redacted form of s.
func (s Secret) String() string { return s.redacted() }

// GoString returns the redacted form of s as a Go expression, for %#v.
func (s Secret) GoString() string { return "runtime.Secret(" + strconv.Quote(s.redacted()) + ")" }

// Format implements fmt.Formatter so that every verb prints the redacted
// form: %q quotes it, %#v prints GoString, and every other verb (%v, %s, %x,
// %d…) prints it as %s would, honouring width and flags.
func (s Secret) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		fmt.Fprint(f, s.GoString())
	case verb == 'q':
		fmt.Fprintf(f, fmt.FormatString(f, 'q'), s.redacted())
	default:
		fmt.Fprintf(f, fmt.FormatString(f, 's'), s.redacted())
	}
}

// LogValue implements slog.LogValuer: slog records the redacted form.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.redacted()) }

// MarshalText implements encoding.TextMarshaler with the redacted form.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.redacted()), nil }

// MarshalJSON implements json.Marshaler with the redacted form, as a JSON
// string. To send a token in a JSON body, marshal s.Reveal() instead.
func (s Secret) MarshalJSON() ([]byte, error) {
	return []byte(strconv.Quote(s.redacted())), nil
}
