package spec

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestHTTPKey: the `http` list decodes in spec order, defaults to [echo4],
// and every mistake is reported at its position.
func TestHTTPKey(t *testing.T) {
	const head = "version: 1\npackage: auth\n"
	for _, c := range []struct {
		name string
		http string // the line(s) after head
		want []Adapter
		err  string // the whole first diagnostic line, when an error
	}{
		{name: "absent: the default", http: "", want: []Adapter{AdapterEcho4}},
		{name: "one", http: "http: [nethttp]", want: []Adapter{AdapterNetHTTP}},
		{name: "all, order kept", http: "http: [echo5, nethttp, echo4]", want: []Adapter{AdapterEcho5, AdapterNetHTTP, AdapterEcho4}},
		{name: "block list", http: "http:\n  - echo4\n  - echo5", want: []Adapter{AdapterEcho4, AdapterEcho5}},
		{name: "typo", http: "http: [nethtp]",
			err: `authentify.yaml:3:8: http[0]: unknown HTTP stack "nethtp" (did you mean "nethttp"?); expected one or more of: nethttp, echo4, echo5`},
		{name: "case", http: "http: [Echo5]",
			err: `authentify.yaml:3:8: http[0]: unknown HTTP stack "Echo5" (did you mean "echo5"?); expected one or more of: nethttp, echo4, echo5`},
		{name: "far off", http: "http: [gin]",
			err: `authentify.yaml:3:8: http[0]: unknown HTTP stack "gin"; expected one or more of: nethttp, echo4, echo5`},
		{name: "duplicate", http: "http: [echo4, nethttp, echo4]",
			err: `authentify.yaml:3:24: http[2]: duplicate HTTP stack "echo4": list each once`},
		{name: "empty", http: "http: []",
			err: `authentify.yaml:3:7: http: the list of HTTP stacks is empty: list at least one (nethttp, echo4, echo5), or remove the key for the default [echo4]`},
		{name: "not a list", http: "http: echo4",
			err: `authentify.yaml:3:7: http: expected a list of HTTP stacks such as [echo4] or [nethttp, echo5], not a string; expected one or more of: nethttp, echo4, echo5`},
		{name: "not a string", http: "http: [4]",
			err: `authentify.yaml:3:8: http[0]: expected a string, not`},
	} {
		s, err := Load("authentify.yaml", []byte(head+c.http+"\n"))
		if c.err != "" {
			var errs *Errors
			if !errors.As(err, &errs) {
				t.Errorf("%s: Load = %v, want a positioned error", c.name, err)
				continue
			}
			if first := strings.SplitN(err.Error(), "\n", 2)[0]; !strings.HasPrefix(first, c.err) {
				t.Errorf("%s: error\n%s\nwant\n%s", c.name, first, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := s.HTTPAdapters(); !slices.Equal(got, c.want) {
			t.Errorf("%s: HTTPAdapters = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestAdapterNames: the first adapter listed owns the plain names; a later
// one gets its suffix on exactly the names taken before it.
func TestAdapterNames(t *testing.T) {
	for _, c := range []struct {
		http    []Adapter
		adapter Adapter
		base    string
		want    string
	}{
		{nil, AdapterEcho4, "Require", "Require"},
		{[]Adapter{AdapterEcho5}, AdapterEcho5, "MiddlewareConfig", "MiddlewareConfig"},
		{[]Adapter{AdapterEcho4, AdapterEcho5}, AdapterEcho5, "MiddlewareConfig", "MiddlewareConfigEcho5"},
		{[]Adapter{AdapterEcho4, AdapterEcho5}, AdapterEcho5, "ClearTokenCookies", "ClearTokenCookiesEcho5"},
		{[]Adapter{AdapterEcho4, AdapterEcho5}, AdapterEcho4, "MiddlewareConfig", "MiddlewareConfig"},
		{[]Adapter{AdapterEcho4, AdapterNetHTTP}, AdapterNetHTTP, "Require", "RequireHTTP"},
		{[]Adapter{AdapterEcho4, AdapterNetHTTP}, AdapterNetHTTP, "Handler", "Handler"},
		{[]Adapter{AdapterNetHTTP, AdapterEcho4}, AdapterEcho4, "Require", "RequireEcho4"},
		{[]Adapter{AdapterNetHTTP, AdapterEcho4}, AdapterEcho4, "TokenFrom", "TokenFrom"},
		{[]Adapter{AdapterNetHTTP, AdapterEcho5, AdapterEcho4}, AdapterEcho4, "TokenFrom", "TokenFromEcho4"},
	} {
		s := &Spec{HTTP: c.http}
		if got := s.AdapterName(c.adapter, c.base); got != c.want {
			t.Errorf("http %v: %s's %s = %s, want %s", c.http, c.adapter, c.base, got, c.want)
		}
	}
}

// TestEnumNamesDoNotDependOnHTTP: every adapter name, plain or suffixed, is
// reserved whatever the `http` list says, so adding an adapter never
// renames an enum type.
func TestEnumNamesDoNotDependOnHTTP(t *testing.T) {
	const src = "version: 1\npackage: auth\ncontext:\n  fields:\n    handler: { type: enum, values: [a] }\n    require_http: { type: enum, values: [b] }\n"
	for _, http := range []string{"", "http: [nethttp]\n", "http: [echo5, nethttp]\n"} {
		s, err := Load("authentify.yaml", []byte(src+http))
		if err != nil {
			t.Fatal(err)
		}
		got := []string{s.Context.Fields[0].EnumType, s.Context.Fields[1].EnumType}
		if want := []string{"Handler", "RequireHTTPValue"}; !slices.Equal(got, want) {
			t.Errorf("%q: enum types %v, want %v", http, got, want)
		}
	}
}
