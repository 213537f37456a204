package runtime

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// DecodeContext decodes the stored context of a token (a JSON object) into
// v, a pointer to the generated Context.
//
// A row written under an earlier spec may not fit the current one: an enum
// value since removed, a field whose type changed. Such a key is dropped,
// so its field keeps its zero value (the generated code then applies the
// spec's defaults), and the mismatch is logged once per process for each
// table and set of keys (slog, warning level; key names only, never
// values). A field that became required and is missing in the row simply
// stays zero. Only a value that is not a JSON object is an error.
//
// Generated code reads a strict Context without reflection (its
// decodeContext drives a [ContextDecoder] with the same results) and calls
// DecodeContext for the input that reader leaves to encoding/json, and for
// every lenient Context.
func DecodeContext(table string, data []byte, v any) (dropped []string, err error) {
	if err := json.Unmarshal(data, v); err == nil {
		return nil, nil
	} else if !isFieldError(data) {
		return nil, err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return nil, err
	}
	typ := reflect.TypeOf(v).Elem()
	keep := make(map[string]json.RawMessage, len(obj))
	for k, raw := range obj {
		single, err := json.Marshal(map[string]json.RawMessage{k: raw})
		if err != nil {
			return nil, err
		}
		if json.Unmarshal(single, reflect.New(typ).Interface()) != nil {
			dropped = append(dropped, k)
			continue
		}
		keep[k] = raw
	}
	slices.Sort(dropped)
	filtered, err := json.Marshal(keep)
	if err != nil {
		return nil, err
	}
	reflect.ValueOf(v).Elem().SetZero()
	if err := json.Unmarshal(filtered, v); err != nil {
		return nil, err
	}
	warnContextOnce(table, dropped)
	return dropped, nil
}

// isFieldError reports whether data is a JSON object, so that a decoding
// error must come from one of its keys.
func isFieldError(data []byte) bool {
	var obj map[string]json.RawMessage
	return json.Unmarshal(data, &obj) == nil
}

// contextWarned holds the table and key sets already logged by
// DecodeContext. It is process-wide on purpose: the issue asks for one
// log line per process, not one per request.
var contextWarned sync.Map

func warnContextOnce(table string, dropped []string) {
	if len(dropped) == 0 {
		return
	}
	key := table + "\x00" + strings.Join(dropped, ",")
	if _, seen := contextWarned.LoadOrStore(key, true); seen {
		return
	}
	slog.Warn("authentify: stored token contexts do not fit the current spec; the keys take their zero value or default (logged once)",
		slog.String("table", table), slog.String("keys", fmt.Sprint(dropped)))
}
