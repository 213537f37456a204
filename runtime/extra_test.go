package runtime

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"
)

type extraCtx struct {
	Device string `json:"device"`
	Beta   bool   `json:"beta_features,omitempty"`
}

func TestMarshalWithExtra(t *testing.T) {
	tests := []struct {
		name  string
		v     any
		extra map[string]json.RawMessage
		want  string
	}{
		{"no extra", extraCtx{Device: "d"}, nil, `{"device":"d"}`},
		{"sorted extra", extraCtx{Device: "d"}, map[string]json.RawMessage{
			"zeta": json.RawMessage(`1`), "alpha": json.RawMessage(` { "x" : [1, 2] } `), "mid": json.RawMessage(`"s"`),
		}, `{"device":"d","alpha":{"x":[1,2]},"mid":"s","zeta":1}`},
		{"empty object", struct{}{}, map[string]json.RawMessage{"b": json.RawMessage(`2`), "a": json.RawMessage(`1`)}, `{"a":1,"b":2}`},
		{"pointer", &extraCtx{Device: "d"}, map[string]json.RawMessage{"k": nil}, `{"device":"d","k":null}`},
		{"escaped key", struct{}{}, map[string]json.RawMessage{`a"b`: json.RawMessage(`1`)}, `{"a\"b":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MarshalWithExtra(tt.v, tt.extra)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("= %s\nwant %s", got, tt.want)
			}
			if !json.Valid(got) {
				t.Errorf("invalid JSON %s", got)
			}
		})
	}
}

func TestMarshalWithExtraErrors(t *testing.T) {
	if _, err := MarshalWithExtra([]int{1}, nil); err == nil || !strings.Contains(err.Error(), "JSON object") {
		t.Errorf("slice: %v", err)
	}
	if _, err := MarshalWithExtra((*extraCtx)(nil), nil); err == nil {
		t.Error("nil pointer accepted")
	}
	_, err := MarshalWithExtra(extraCtx{}, map[string]json.RawMessage{"bad": json.RawMessage(`{`)})
	if err == nil || !strings.Contains(err.Error(), `"bad"`) {
		t.Errorf("invalid extra value: %v", err)
	}
	if _, err := MarshalWithExtra(make(chan int), nil); err == nil {
		t.Error("unmarshalable value accepted")
	}
}

func TestUnmarshalWithExtra(t *testing.T) {
	known := []string{"device", "beta_features"}
	var c extraCtx
	extra, err := UnmarshalWithExtra([]byte(`{"device":"d","beta_features":true,"z":[1],"a":{"b":null}}`), &c, known)
	if err != nil {
		t.Fatal(err)
	}
	if c != (extraCtx{Device: "d", Beta: true}) {
		t.Errorf("decoded %+v", c)
	}
	want := map[string]json.RawMessage{"z": json.RawMessage(`[1]`), "a": json.RawMessage(`{"b":null}`)}
	if !maps.EqualFunc(extra, want, func(a, b json.RawMessage) bool { return string(a) == string(b) }) {
		t.Errorf("extra = %s", extra)
	}

	extra, err = UnmarshalWithExtra([]byte(`{"device":"d"}`), &c, known)
	if err != nil || extra != nil {
		t.Errorf("no extra keys: %v, %v; want a nil map", extra, err)
	}

	for _, bad := range []string{`[1]`, `"s"`, `{`, `{"device":1}`, ``} {
		if _, err := UnmarshalWithExtra([]byte(bad), &c, known); err == nil {
			t.Errorf("UnmarshalWithExtra(%s) succeeded", bad)
		}
	}
}

func TestExtraRoundTrip(t *testing.T) {
	in := `{"device":"d","x":{"y":1},"a":"b"}`
	var c extraCtx
	extra, err := UnmarshalWithExtra([]byte(in), &c, []string{"device", "beta_features"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := MarshalWithExtra(c, extra)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `{"device":"d","a":"b","x":{"y":1}}` {
		t.Errorf("round trip = %s", out)
	}
}

func TestGetExtra(t *testing.T) {
	extra := map[string]json.RawMessage{"n": json.RawMessage(`42`), "s": json.RawMessage(`"x"`), "l": json.RawMessage(`[1,2]`)}
	if v, ok, err := GetExtra[int](extra, "n"); v != 42 || !ok || err != nil {
		t.Errorf("int = %v, %v, %v", v, ok, err)
	}
	if v, ok, err := GetExtra[[]int](extra, "l"); len(v) != 2 || v[1] != 2 || !ok || err != nil {
		t.Errorf("[]int = %v, %v, %v", v, ok, err)
	}
	if v, ok, err := GetExtra[string](extra, "missing"); v != "" || ok || err != nil {
		t.Errorf("missing = %q, %v, %v", v, ok, err)
	}
	if v, ok, err := GetExtra[string](nil, "n"); v != "" || ok || err != nil {
		t.Errorf("nil map = %q, %v, %v", v, ok, err)
	}
	v, ok, err := GetExtra[int](extra, "s")
	if err == nil || v != 0 || !strings.Contains(err.Error(), `"s"`) {
		t.Errorf("wrong type = %v, %v, %v; want zero and an error naming the key", v, ok, err)
	}
}
