package ctxfuzz

import (
	"encoding/json"
	"net/netip"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/authentify-go/authentify/runtime"
)

const table = "auth_tokens"

// diff decodes raw with the generated decoder and with runtime.DecodeContext
// (encoding/json) and reports any difference: the Context, the dropped keys,
// the error text.
func diff(t *testing.T, raw []byte) (Context, []string, error) {
	t.Helper()
	var got, want Context
	gotDropped, gotErr := decodeContext(raw, &got)
	wantDropped, wantErr := runtime.DecodeContext(table, raw, &want)
	if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
		t.Fatalf("%q: error %v, encoding/json %v", raw, gotErr, wantErr)
	}
	if !slices.Equal(gotDropped, wantDropped) {
		t.Fatalf("%q: dropped %q, encoding/json %q", raw, gotDropped, wantDropped)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q:\n got %#v\nwant %#v", raw, got, want)
	}
	return got, gotDropped, gotErr
}

// cases are read by TestDecodeContext and seed FuzzDecodeContext. fast says
// whether the reader decodes the input itself (readContext reports true)
// rather than leaving it to encoding/json.
var cases = []struct {
	name, json string
	fast       bool
	dropped    []string
}{
	{"empty object", `{}`, true, nil},
	{"whitespace", " \t\r\n{ \"s\" : \"x\" , \"b\":true }\n ", true, nil},
	{"unknown keys skipped", `{"old":{"a":[1,{"b":null}],"c":"}"},"s":"x","x":[[],{}],"y":-1.5e+3}`, true, nil},
	{"all fields", `{"s":"dev","s_n":"n","b":true,"b_n":false,"i32":-2147483648,"i32_n":2147483647,` +
		`"i64":-9223372036854775808,"i64_n":9223372036854775807,"f":1.5e-3,"f_n":-0,` +
		`"t":"2024-01-02T15:04:05.123+02:00","t_n":"2030-12-31T23:59:59Z",` +
		`"u":"123E4567-E89B-12D3-A456-426614174000","u_n":"00000000-0000-0000-0000-000000000001",` +
		`"ip":"192.0.2.1","ip_n":"2001:DB8::1","j":{"z": [1, 2 ], "s":"<&>"},"j_n":"x",` +
		`"e":"b_c","e_n":"off","l":["a","b c"],"l_n":[]}`, true, nil},
	{"nulls", `{"s":null,"s_n":null,"b":null,"b_n":null,"i32":null,"i32_n":null,"i64":null,"i64_n":null,` +
		`"f":null,"f_n":null,"t":null,"t_n":null,"u":null,"u_n":null,"ip":null,"ip_n":null,` +
		`"j":null,"j_n":null,"e":null,"e_n":null,"l":null,"l_n":null}`, true, nil},
	{"string escapes", `{"s":"a\"b\\c\/d\b\f\n\r\t\u00e9\u20AC\ud83d\ude00","s_n":"\ud800x\udc00"}`, true, nil},
	{"invalid UTF-8 and lone surrogates", "{\"s\":\"a\xffb\xc3\",\"s_n\":\"\\ud83d\\u0041\"}", true, nil},
	{"empty strings", `{"s":"","ip":"","e":"","u":""}`, true, []string{"e", "u"}},
	{"list with null element", `{"l":["a",null,"b"],"l_n":[null]}`, true, nil},
	{"empty list", `{"l":[ ]}`, true, nil},
	{"json field keeps its text", `{"j":[ 1 , {"a" : "<"} ],"j_n":null}`, true, nil},
	{"numbers", `{"i64":0,"f":1E+2,"f_n":123456789012345678901234567890,"i32":-0}`, true, nil},

	// Values that do not fit: dropped, the rest decoded.
	{"mistyped", `{"s":1,"b":"true","i32":"1","f":true,"l":"a","t":5,"u":[],"ip":{},"e":false,"s_n":"kept"}`,
		true, []string{"b", "e", "f", "i32", "ip", "l", "s", "t", "u"}},
	{"removed enum value", `{"e":"gone","e_n":"on","s":"x"}`, true, []string{"e"}},
	{"int range", `{"i32":2147483648,"i64":9223372036854775808,"i32_n":1.0,"i64_n":1e2}`, true, []string{"i32", "i32_n", "i64", "i64_n"}},
	{"float range", `{"f":1e400,"f_n":-1e400}`, true, []string{"f", "f_n"}},
	{"bad time, uuid, ip", `{"t":"2024-01-02","t_n":"x","u":"nope","u_n":"1","ip":"1.2.3","ip_n":"fe80::1%"}`,
		true, []string{"ip", "ip_n", "t", "t_n", "u", "u_n"}},
	{"escaped time", `{"t":"\u0032024-01-02T15:04:05Z"}`, true, []string{"t"}},
	{"list with a number", `{"l":["a",1],"l_n":[["a"]]}`, true, []string{"l", "l_n"}},
	{"nullable mistyped stays nil", `{"b_n":"x","i64_n":"1","f_n":[],"t_n":1,"u_n":2,"ip_n":3,"e_n":"maybe","s_n":4}`,
		true, []string{"b_n", "e_n", "f_n", "i64_n", "ip_n", "s_n", "t_n", "u_n"}},

	// Left to encoding/json.
	{"null", `null`, false, nil},
	{"not an object", `["s"]`, false, nil},
	{"a string", `"x"`, false, nil},
	{"empty input", ``, false, nil},
	{"syntax error in a skipped value", `{"x":[1,}`, false, nil},
	{"syntax error after the object", `{} x`, false, nil},
	{"trailing comma", `{"s":"x",}`, false, nil},
	{"bad escape", `{"s":"\x"}`, false, nil},
	{"control character", "{\"s\":\"a\nb\"}", false, nil},
	{"bad literal", `{"b":tru}`, false, nil},
	{"bad number", `{"x":01}`, false, nil},
	{"escaped key", `{"\u0073":"x"}`, false, nil},
	{"duplicate key", `{"s":"a","s":"b"}`, false, nil},
	{"duplicate key, one mistyped", `{"s":1,"s":"b"}`, false, nil},
	{"key in other case", `{"S":"x"}`, false, nil},
	{"key folding to a declared one", "{\"\u017f\":\"long s\",\"i\u212a\":1}", false, nil},
	{"dropped key next to a json field", `{"j":[1, 2],"b":"x"}`, false, []string{"b"}},
	{"too deep", `{"x":` + nest(600) + `}`, false, nil},
}

func nest(n int) string {
	b := make([]byte, 0, 2*n)
	for range n {
		b = append(b, '[')
	}
	for range n {
		b = append(b, ']')
	}
	return string(b)
}

func TestDecodeContext(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, dropped, _ := diff(t, []byte(c.json))
			var ctx Context
			if _, fast := readContext([]byte(c.json), &ctx); fast != c.fast {
				t.Errorf("read by the fast reader: %v, want %v", fast, c.fast)
			}
			if !slices.Equal(dropped, c.dropped) {
				t.Errorf("dropped %q, want %q", dropped, c.dropped)
			}
		})
	}
}

// TestDecodeContextValues spells out what encoding/json gives for the
// surprising cases, so that a change in either decoder shows.
func TestDecodeContextValues(t *testing.T) {
	c, _, _ := diff(t, []byte(`{"j":null,"j_n":[ 1, 2 ],"l":["a",null],"l_n":[],"s_n":null,"ip":""}`))
	if string(c.J) != "null" || string(c.JN) != "[ 1, 2 ]" {
		t.Errorf("json fields %q %q, want the text null and the value's text", c.J, c.JN)
	}
	if !slices.Equal(c.L, []string{"a", ""}) || c.LN == nil || len(c.LN) != 0 {
		t.Errorf("lists %q %#v, want [a \"\"] and an empty non-nil list", c.L, c.LN)
	}
	if c.SN != nil || c.IP != (netip.Addr{}) {
		t.Errorf("s_n %v ip %v, want nil and the zero address", c.SN, c.IP)
	}
	c, _, _ = diff(t, []byte(`{"t_n":"2024-01-02T15:04:05Z","u":"123E4567-E89B-12D3-A456-426614174000","e_n":"off"}`))
	if c.TN == nil || !c.TN.Equal(time.Date(2024, 1, 2, 15, 4, 5, 0, time.UTC)) || c.U.String() != "123e4567-e89b-12d3-a456-426614174000" || c.EN == nil || *c.EN != ENOff {
		t.Errorf("got %v %v %v", c.TN, c.U, c.EN)
	}
	// The json field re-encoded by encoding/json when another key is dropped.
	c, dropped, _ := diff(t, []byte(`{"j":[1, "<"],"b":"x"}`))
	if string(c.J) != `[1,"\u003c"]` || !slices.Equal(dropped, []string{"b"}) {
		t.Errorf("j %q dropped %q", c.J, dropped)
	}
}

// TestDecodeContextDst checks that the destination is overwritten, as a
// fresh Context would be.
func TestDecodeContextDst(t *testing.T) {
	s := "old"
	c := Context{S: "old", SN: &s, J: json.RawMessage(`1`), L: []string{"a"}}
	if _, err := decodeContext([]byte(`{"b":true}`), &c); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, Context{B: true}) {
		t.Errorf("got %#v, want only B set", c)
	}
}

// FuzzDecodeContext compares the generated decoder with encoding/json
// (runtime.DecodeContext) on any input. Seeds: the cases above and
// testdata/fuzz/FuzzDecodeContext.
func FuzzDecodeContext(f *testing.F) {
	for _, c := range cases {
		f.Add([]byte(c.json))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		diff(t, raw)
	})
}
