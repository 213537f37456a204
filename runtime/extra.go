package runtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// MarshalWithExtra marshals v, which must marshal to a JSON object (a
// struct or a pointer to one), and appends the keys of extra in sorted
// order. It is used by lenient generated Context types to keep keys that the
// spec does not declare.
//
// An extra key may never stand in for a declared field: a key equal to one
// of known (the declared JSON keys) or to a key of v's object, or equal to
// one under Unicode case folding (the way encoding/json matches keys to
// fields, so "BETA_FEATURES", "beta_featureſ" and a Kelvin sign K all match
// "beta_features"), is refused with an error naming both keys.
func MarshalWithExtra(v any, extra map[string]json.RawMessage, known ...string) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' {
		return nil, fmt.Errorf("authentify: MarshalWithExtra: %T does not marshal to a JSON object", v)
	}
	if len(extra) == 0 {
		return b, nil
	}
	var have map[string]json.RawMessage
	if err := json.Unmarshal(b, &have); err != nil {
		return nil, fmt.Errorf("authentify: MarshalWithExtra: %w", err)
	}
	declared := slices.Clone(known)
	for k := range have {
		declared = append(declared, k)
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		if d, ok := foldedKey(k, declared); ok {
			if d == k {
				return nil, fmt.Errorf("authentify: context: extra key %q is a declared field; set the field instead", k)
			}
			return nil, fmt.Errorf("authentify: context: extra key %q matches the declared field %q case-insensitively; JSON readers would take it for that field, so it is refused", k, d)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)

	var out bytes.Buffer
	out.Write(b[:len(b)-1])
	first := len(have) == 0
	for _, k := range keys {
		if !first {
			out.WriteByte(',')
		}
		first = false
		name, _ := json.Marshal(k) // a string never fails
		out.Write(name)
		out.WriteByte(':')
		val := extra[k]
		if len(val) == 0 {
			out.WriteString("null")
			continue
		}
		if err := json.Compact(&out, val); err != nil {
			return nil, fmt.Errorf("authentify: MarshalWithExtra: extra key %q is not valid JSON: %w", k, err)
		}
	}
	out.WriteByte('}')
	return out.Bytes(), nil
}

// foldedKey returns the key of declared that k equals under Unicode simple
// case folding (strings.EqualFold, which is how encoding/json matches object
// keys to struct fields), preferring an exact match.
func foldedKey(k string, declared []string) (string, bool) {
	if slices.Contains(declared, k) {
		return k, true
	}
	for _, d := range declared {
		if strings.EqualFold(d, k) {
			return d, true
		}
	}
	return "", false
}

// UnmarshalWithExtra decodes the JSON object data into v (a pointer to a
// struct whose JSON keys are known) and returns the keys of data that are
// not in known, with their raw values; the map is nil when there are none.
//
// Declared fields are decoded from their exact key only: a key that merely
// case-folds to a declared key ("BETA_FEATURES", "beta_featureſ") never sets
// that field, unlike plain encoding/json, and is dropped rather than kept as
// an extra key (MarshalWithExtra would refuse to write it back), so an old
// row holding such a key cannot override a typed field.
func UnmarshalWithExtra(data []byte, v any, known []string) (map[string]json.RawMessage, error) {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("authentify: UnmarshalWithExtra: want a JSON object, got %s", te.Value)
		}
		return nil, fmt.Errorf("authentify: UnmarshalWithExtra: %w", err)
	}
	declared := make(map[string]json.RawMessage, len(known))
	var extra map[string]json.RawMessage
	for k, val := range all {
		switch _, folded := foldedKey(k, known); {
		case slices.Contains(known, k):
			declared[k] = val
		case folded:
			// Neither the field nor an extra key.
		default:
			if extra == nil {
				extra = make(map[string]json.RawMessage)
			}
			extra[k] = val
		}
	}
	only, err := json.Marshal(declared)
	if err != nil {
		return nil, fmt.Errorf("authentify: UnmarshalWithExtra: %w", err)
	}
	if err := json.Unmarshal(only, v); err != nil {
		return nil, err
	}
	return extra, nil
}

// GetExtra decodes extra[key] into a T. It returns (value, true, nil) when
// the key is present, (zero, false, nil) when it is absent, and
// (zero, true, err) when it is present but does not decode into a T.
func GetExtra[T any](extra map[string]json.RawMessage, key string) (T, bool, error) {
	var v T
	raw, ok := extra[key]
	if !ok {
		return v, false, nil
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		var zero T
		return zero, true, fmt.Errorf("authentify: context key %q: %w", key, err)
	}
	return v, true, nil
}
