package runtime

import (
	"encoding/json"
	"strings"
	"testing"
)

// An extra key must never stand in for a declared field, neither when it
// is written (refused) nor when an old row holding one is read (ignored).
// encoding/json folds keys with Unicode simple folding: ſ (U+017F) matches
// s and the Kelvin sign K (U+212A) matches k.
var foldedKeys = []struct {
	name, key, field string
}{
	{"exact declared, omitted from the object", "beta_features", "beta_features"},
	{"exact key of the object", "device", "device"},
	{"upper case", "BETA_FEATURES", "beta_features"},
	{"mixed case", "Device", "device"},
	{"long s", "beta_featureſ", "beta_features"},
	{"Kelvin sign", "K", "k"},
}

type foldCtx struct {
	Device string `json:"device"`
	Beta   bool   `json:"beta_features,omitempty"`
	K      bool   `json:"k,omitempty"`
}

var foldKnown = []string{"device", "beta_features", "k"}

func TestMarshalWithExtraRefusesFoldedKeys(t *testing.T) {
	for _, tt := range foldedKeys {
		t.Run(tt.name, func(t *testing.T) {
			extra := map[string]json.RawMessage{tt.key: json.RawMessage(`true`), "other": json.RawMessage(`1`)}
			b, err := MarshalWithExtra(foldCtx{Device: "d"}, extra, foldKnown...)
			if err == nil {
				t.Fatalf("extra key %q accepted: %s", tt.key, b)
			}
			for _, want := range []string{`"` + tt.key + `"`, `"` + tt.field + `"`} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %s", err, want)
				}
			}
		})
	}
	if _, err := MarshalWithExtra(foldCtx{Device: "d"}, map[string]json.RawMessage{"beta": json.RawMessage(`1`)}, foldKnown...); err != nil {
		t.Errorf("an unrelated extra key was refused: %v", err)
	}
}

func TestUnmarshalWithExtraIgnoresFoldedKeys(t *testing.T) {
	for _, tt := range foldedKeys {
		if tt.key == tt.field {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			data := `{"device":"d","beta_features":false,` + mustQuote(tt.key) + `:true,"x":1}`
			if tt.field == "device" {
				data = `{"device":"d",` + mustQuote(tt.key) + `:"evil","x":1}`
			}
			var c foldCtx
			extra, err := UnmarshalWithExtra([]byte(data), &c, foldKnown)
			if err != nil {
				t.Fatal(err)
			}
			if c != (foldCtx{Device: "d"}) {
				t.Errorf("key %q set a declared field: %+v", tt.key, c)
			}
			if _, ok := extra[tt.key]; ok || len(extra) != 1 || string(extra["x"]) != "1" {
				t.Errorf("extra = %s, want only x", extra)
			}
			// What was read can be written back.
			if _, err := MarshalWithExtra(c, extra, foldKnown...); err != nil {
				t.Errorf("round trip: %v", err)
			}
		})
	}
}

func mustQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
