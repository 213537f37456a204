package runtime

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const testRawToken = "acme_at_Q2x7sV9pLmN3bR8tY1uW4zA6cE0gH5jK7lM9nP2qS4v1A2b3C"

func TestSecretRedactedForms(t *testing.T) {
	tests := []struct {
		raw  Secret
		want string
	}{
		{testRawToken, "acme_at_…[redacted]"},
		{"acme_rt_xyz", "acme_rt_…[redacted]"},
		{"abcdefghijklmnop_at_x", "abcdefghijklmnop_at_…[redacted]"},
		{"", ""},
		{"hunter2", "[redacted]"},
		{"Acme_at_x", "[redacted]"},          // not a valid prefix
		{"acme_xx_secret", "[redacted]"},     // not a kind
		{"acme_at", "[redacted]"},            // no separator after the kind
		{"secretvalue_secret", "[redacted]"}, // looks like a prefix, no kind
		{"abcdefghijklmnopq_at_x", "[redacted]"},
	}
	for _, tt := range tests {
		if got := tt.raw.String(); got != tt.want {
			t.Errorf("Secret(%q).String() = %q, want %q", string(tt.raw), got, tt.want)
		}
	}
}

type secretHolder struct {
	Name  string
	Token Secret
	Ptr   *Secret
	List  []Secret
	Map   map[string]Secret
}

func TestSecretNeverPrinted(t *testing.T) {
	s := Secret(testRawToken)
	secretPart := testRawToken[len("acme_at_"):]
	holder := secretHolder{Name: "n", Token: s, Ptr: &s, List: []Secret{s}, Map: map[string]Secret{"k": s}}

	for _, format := range []string{"%v", "%s", "%q", "%#v", "%+v", "%x", "%X", "%d", "%10s", "%-40v", "%#q", "% x"} {
		for name, arg := range map[string]any{"direct": s, "pointer": &s, "struct": holder, "struct pointer": &holder, "slice": []Secret{s}} {
			out := fmt.Sprintf(format, arg)
			if strings.Contains(out, secretPart) || strings.Contains(out, secretPart[:10]) {
				t.Errorf("fmt %s of %s leaked the token: %s", format, name, out)
			}
			if !strings.Contains(out, "[redacted]") && format != "%x" && format != "%X" && format != "% x" {
				t.Errorf("fmt %s of %s = %q, want the redacted form", format, name, out)
			}
		}
	}
	if got := fmt.Sprintf("%q", s); got != `"acme_at_…[redacted]"` {
		t.Errorf("%%q = %s", got)
	}
	if got := fmt.Sprintf("%#v", s); got != `runtime.Secret("acme_at_…[redacted]")` {
		t.Errorf("%%#v = %s", got)
	}
	if got := s.GoString(); got != `runtime.Secret("acme_at_…[redacted]")` {
		t.Errorf("GoString = %s", got)
	}
	if got := fmt.Sprint(s); got != "acme_at_…[redacted]" {
		t.Errorf("Sprint = %s", got)
	}
	if got := fmt.Sprintf("%x", s); got != "acme_at_…[redacted]" {
		t.Errorf("%%x = %s, want the redacted form, not hex", got)
	}
	if s.Reveal() != testRawToken {
		t.Error("Reveal does not return the raw token")
	}
}

func TestSecretNeverLogged(t *testing.T) {
	s := Secret(testRawToken)
	secretPart := testRawToken[len("acme_at_"):]
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("issued", "token", s, "holder", secretHolder{Token: s, List: []Secret{s}}, slog.Any("any", s), slog.Group("g", "t", s))
	text := slog.New(slog.NewTextHandler(&buf, nil))
	text.Info("issued", "token", s, "ptr", &s)
	out := buf.String()
	if strings.Contains(out, secretPart) {
		t.Fatalf("slog leaked the token: %s", out)
	}
	if strings.Count(out, "acme_at_…[redacted]") < 6 {
		t.Errorf("slog output lacks the redacted form: %s", out)
	}
}

func TestSecretNeverMarshaled(t *testing.T) {
	s := Secret(testRawToken)
	secretPart := testRawToken[len("acme_at_"):]
	for name, v := range map[string]any{
		"direct": s,
		"struct": secretHolder{Token: s, Ptr: &s, List: []Secret{s}, Map: map[string]Secret{"k": s}},
	} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if strings.Contains(string(b), secretPart) {
			t.Errorf("json.Marshal(%s) leaked the token: %s", name, b)
		}
		if !strings.Contains(string(b), "acme_at_…[redacted]") {
			t.Errorf("json.Marshal(%s) = %s, want the redacted form", name, b)
		}
	}
	b, _ := json.Marshal(s)
	if string(b) != `"acme_at_…[redacted]"` {
		t.Errorf("json.Marshal = %s", b)
	}
	if txt, _ := s.MarshalText(); string(txt) != "acme_at_…[redacted]" {
		t.Errorf("MarshalText = %s", txt)
	}
	if v := s.LogValue(); v.Kind() != slog.KindString || v.String() != "acme_at_…[redacted]" {
		t.Errorf("LogValue = %v", v)
	}
}

func TestSecretIsZero(t *testing.T) {
	if !Secret("").IsZero() || Secret("x").IsZero() {
		t.Error("IsZero is wrong")
	}
}
