package runtime

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"time"
)

// redactedKey is how a set SecretKey prints.
const redactedKey = "[redacted]"

// Settings never print their SecretKey: fmt (every verb, %v, %+v and %#v
// included), log/slog (LogValue) and encoding/json (MarshalJSON) show
// "[redacted]" when a key is set and nothing when it is not. As with Secret,
// redaction relies on these methods being called.

// String returns s as fmt's %+v prints it, with SecretKey redacted.
func (s Settings) String() string { return fmt.Sprintf("%+v", s) }

// GoString returns s as %#v prints it, with SecretKey redacted.
func (s Settings) GoString() string { return fmt.Sprintf("%#v", s) }

// Format implements fmt.Formatter: every verb prints the fields as fmt
// would print the struct (%+v and %#v with field names), with SecretKey
// replaced by "[redacted]" when it is set.
func (s Settings) Format(f fmt.State, verb rune) {
	names, goSyntax := f.Flag('+') || f.Flag('#'), verb == 'v' && f.Flag('#')
	var b strings.Builder
	if goSyntax {
		b.WriteString("runtime.Settings")
	}
	b.WriteByte('{')
	v := reflect.ValueOf(s)
	for i := range v.NumField() {
		if i > 0 {
			if goSyntax {
				b.WriteString(", ")
			} else {
				b.WriteByte(' ')
			}
		}
		field := v.Type().Field(i)
		if names {
			b.WriteString(field.Name + ":")
		}
		switch {
		case field.Name == "SecretKey":
			if len(s.SecretKey) > 0 {
				b.WriteString(redactedKey)
			} else if goSyntax {
				b.WriteString("[]byte(nil)")
			} else {
				b.WriteString("[]")
			}
		case goSyntax:
			fmt.Fprintf(&b, "%#v", v.Field(i).Interface())
		default:
			fmt.Fprintf(&b, "%v", v.Field(i).Interface())
		}
	}
	b.WriteByte('}')
	fmt.Fprint(f, b.String())
}

// entries returns every setting as (snake_case key, printable value), in
// SettingsTable order, the secret key last (redacted, or "" when unset).
// Durations print as Go durations, Never as "none".
func (s Settings) entries() []slog.Attr {
	table := SettingsTable()
	attrs := make([]slog.Attr, 0, len(table))
	for _, info := range table {
		var v slog.Value
		switch p := info.Ptr(&s).(type) {
		case *time.Duration:
			v = slog.StringValue(formatTTL(*p))
		case *bool:
			v = slog.BoolValue(*p)
		case *int:
			v = slog.IntValue(*p)
		case *string:
			v = slog.StringValue(*p)
		case *[]string:
			v = slog.AnyValue(append([]string{}, *p...))
		case *[]byte:
			v = slog.StringValue("")
			if len(*p) > 0 {
				v = slog.StringValue(redactedKey)
			}
		default:
			panic(fmt.Sprintf("authentify: setting %s has unsupported type %T", info.Key, p))
		}
		attrs = append(attrs, slog.Attr{Key: info.Key, Value: v})
	}
	return attrs
}

// LogValue implements slog.LogValuer: a group of the snake_case settings,
// durations as text (none for Never), secret_key redacted.
func (s Settings) LogValue() slog.Value { return slog.GroupValue(s.entries()...) }

// MarshalJSON implements json.Marshaler: an object of the snake_case
// settings in SettingsTable order, durations as text (none for Never),
// secret_key "[redacted]" when set and "" otherwise.
func (s Settings) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, a := range s.entries() {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(a.Key)
		v, err := json.Marshal(a.Value.Any())
		if err != nil {
			return nil, fmt.Errorf("authentify: marshal setting %s: %w", a.Key, err)
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}
