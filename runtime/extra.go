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
// struct or a pointer to one), and appends the keys of extra that the
// object does not already have, in sorted order. The fields of v win over
// extra keys of the same name. It is used by lenient generated Context types
// to keep keys that the spec does not declare.
func MarshalWithExtra(v any, extra map[string]json.RawMessage) ([]byte, error) {
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
	keys := make([]string, 0, len(extra))
	for k := range extra {
		if _, dup := have[k]; !dup {
			keys = append(keys, k)
		}
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

// UnmarshalWithExtra decodes the JSON object data into v (a pointer to a
// struct) and returns the keys of data that are not in known, with their
// raw values; the map is nil when there are none. Keys are compared with
// known case-insensitively, the way encoding/json matches keys to struct
// fields, so a key that v's fields consume is never also an extra key.
func UnmarshalWithExtra(data []byte, v any, known []string) (map[string]json.RawMessage, error) {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("authentify: UnmarshalWithExtra: want a JSON object, got %s", te.Value)
		}
		return nil, fmt.Errorf("authentify: UnmarshalWithExtra: %w", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return nil, err
	}
	var extra map[string]json.RawMessage
	for k, val := range all {
		if slices.ContainsFunc(known, func(n string) bool { return strings.EqualFold(n, k) }) {
			continue
		}
		if extra == nil {
			extra = make(map[string]json.RawMessage)
		}
		extra[k] = val
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
