package runtime

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const printKey = "PRINT-ME-NOT-0123456789abcdefghijklmnop"

// leaks reports which encodings of the key appear in out.
func leaks(out string) []string {
	k := []byte(printKey)
	var found []string
	for name, enc := range map[string]string{
		"raw": printKey, "hex": hex.EncodeToString(k), "base64": base64.StdEncoding.EncodeToString(k)[:40],
		"bytes": strings.Trim(fmt.Sprint(k), "[]")[:40], "byte literal": fmt.Sprintf("%#v", k)[:40],
	} {
		if strings.Contains(out, enc) {
			found = append(found, name)
		}
	}
	return found
}

func TestSettingsNeverPrintTheSecretKey(t *testing.T) {
	s := DefaultSettings()
	s.SecretKey = []byte(printKey)
	type wrapper struct{ Settings Settings }
	var text, js bytes.Buffer
	outputs := map[string]string{
		"%v": fmt.Sprintf("%v", s), "%+v": fmt.Sprintf("%+v", s), "%#v": fmt.Sprintf("%#v", s),
		"%s": fmt.Sprintf("%s", s), "%x": fmt.Sprintf("%x", s), "%q": fmt.Sprintf("%q", s),
		"pointer %+v": fmt.Sprintf("%+v", &s), "nested %+v": fmt.Sprintf("%+v", wrapper{s}),
		"String": s.String(), "Println": fmt.Sprintln(s),
	}
	slog.New(slog.NewTextHandler(&text, nil)).Info("settings", "s", s, "p", &s)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("settings", "s", s, "w", wrapper{s})
	outputs["slog text"], outputs["slog JSON"] = text.String(), js.String()
	for name, v := range map[string]any{"value": s, "pointer": &s, "nested": wrapper{s}} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("json %s: %v", name, err)
		}
		outputs["json "+name] = string(b)
	}
	for name, out := range outputs {
		if l := leaks(out); len(l) > 0 {
			t.Errorf("%s shows the secret key (%v): %s", name, l, out)
		}
		if !strings.Contains(out, "[redacted]") {
			t.Errorf("%s does not say the key is redacted: %s", name, out)
		}
		if !strings.Contains(out, "24h") && !strings.Contains(out, "86400000000000") {
			t.Errorf("%s does not show the other settings: %s", name, out)
		}
	}
}

func TestSettingsPrintEveryKey(t *testing.T) {
	s := DefaultSettings()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range settableKeys() {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %s: %s", k, b)
		}
	}
	if len(m) != len(settableKeys()) {
		t.Errorf("JSON has %d keys, want %d: %s", len(m), len(settableKeys()), b)
	}
	if m["secret_key"] != "" {
		t.Errorf("unset secret_key prints %v", m["secret_key"])
	}
	if got := fmt.Sprintf("%+v", s); !strings.Contains(got, "TokenTTL:24h0m0s") || !strings.Contains(got, "MaxSessionsPerUser:0") {
		t.Errorf("%%+v = %s", got)
	}
}
