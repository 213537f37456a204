package spec

import (
	"fmt"
	"slices"
	"strings"
)

// Adapter is an HTTP stack the generated package serves: one generated
// file each (top-level key `http`).
type Adapter string

// The HTTP adapters.
const (
	AdapterNetHTTP Adapter = "nethttp" // the standard library: func(http.Handler) http.Handler
	AdapterEcho4   Adapter = "echo4"   // github.com/labstack/echo/v4
	AdapterEcho5   Adapter = "echo5"   // github.com/labstack/echo/v5
)

// Adapters returns every adapter, in documentation order.
func Adapters() []Adapter { return []Adapter{AdapterNetHTTP, AdapterEcho4, AdapterEcho5} }

// DefaultAdapters is the `http` list of a spec without one: Echo v4, what
// authentify-gen generated before the key existed.
func DefaultAdapters() []Adapter { return []Adapter{AdapterEcho4} }

// Suffix is appended to a name of a that an adapter listed before it
// already took (see [Spec.AdapterName]).
func (a Adapter) Suffix() string {
	switch a {
	case AdapterNetHTTP:
		return "HTTP"
	case AdapterEcho4:
		return "Echo4"
	case AdapterEcho5:
		return "Echo5"
	}
	return ""
}

// adapterName is one name an adapter declares.
type adapterName struct {
	name   string
	method bool   // a method of Service (else package level)
	what   string // for GeneratedNames: "the type", "the function"
}

// Names returns the names a declares at package level or as methods of
// Service, before any collision suffix.
func (a Adapter) names() []adapterName {
	switch a {
	case AdapterNetHTTP:
		return []adapterName{
			{"HandlerConfig", false, "the type"}, {"Require", false, "the function"}, {"WriteError", false, "the function"},
			{"Handler", true, ""}, {"HandlerWithConfig", true, ""}, {"WriteTokenCookies", true, ""}, {"WriteClearTokenCookies", true, ""},
		}
	case AdapterEcho4, AdapterEcho5:
		return []adapterName{
			{"MiddlewareConfig", false, "the type"}, {"HTTPError", false, "the function"}, {"TokenFrom", false, "the function"}, {"Require", false, "the function"},
			{"Middleware", true, ""}, {"MiddlewareWithConfig", true, ""}, {"SetTokenCookies", true, ""}, {"ClearTokenCookies", true, ""},
		}
	}
	return nil
}

// HTTPAdapters returns the adapters of s in spec order: the `http` list, or
// DefaultAdapters when the spec has none.
func (s *Spec) HTTPAdapters() []Adapter {
	if len(s.HTTP) == 0 {
		return DefaultAdapters()
	}
	return s.HTTP
}

// AdapterName returns the Go name under which adapter a declares base (one
// of its names, e.g. "Require"): base itself, or base+a.Suffix() when an
// adapter listed before a in s already declares base. The first adapter
// listed owns every plain name.
func (s *Spec) AdapterName(a Adapter, base string) string {
	for _, b := range s.HTTPAdapters() {
		if b == a {
			return base
		}
		if slices.ContainsFunc(b.names(), func(n adapterName) bool { return n.name == base }) {
			return base + a.Suffix()
		}
	}
	return base
}

// adapterGeneratedNames returns the package-level names of every adapter
// under every spelling (plain and suffixed): the namer reserves them all,
// so an enum's Go name never depends on the `http` list.
func adapterGeneratedNames() []GeneratedName {
	var out []GeneratedName
	seen := map[string]bool{}
	for _, a := range Adapters() {
		for _, n := range a.names() {
			if n.method {
				continue
			}
			for _, name := range []string{n.name, n.name + a.Suffix()} {
				if !seen[name] {
					seen[name] = true
					out = append(out, GeneratedName{name, n.what + " " + name})
				}
			}
		}
	}
	return out
}

// DeclaredNames returns the exported package-level names that the package
// generated from s declares besides those derived from its fields:
// GeneratedNames without the adapter names s does not use. internal/gen
// checks it against what it emits.
func (s *Spec) DeclaredNames() []string {
	adapter := map[string]bool{}
	for _, g := range adapterGeneratedNames() {
		adapter[g.Name] = true
	}
	var out []string
	for _, g := range GeneratedNames() {
		if !adapter[g.Name] {
			out = append(out, g.Name)
		}
	}
	return append(out, s.declaredAdapterNames()...)
}

// declaredAdapterNames returns the package-level names the adapters of s
// declare.
func (s *Spec) declaredAdapterNames() []string {
	var out []string
	for _, a := range s.HTTPAdapters() {
		for _, n := range a.names() {
			if !n.method {
				out = append(out, s.AdapterName(a, n.name))
			}
		}
	}
	return out
}

// httpAdapters decodes the top-level `http` list: at least one stack, each
// known and listed once, kept in the spec's order. On any problem it
// returns nil (the default).
func (l *loader) httpAdapters(e entry) []Adapter {
	all := make([]string, 0, 3)
	for _, a := range Adapters() {
		all = append(all, string(a))
	}
	expected := "expected one or more of: " + strings.Join(all, ", ")
	names := l.choices(e, choiceList{
		valid: all,
		notList: func(got string) string {
			return fmt.Sprintf("expected a list of HTTP stacks such as [echo4] or [nethttp, echo5], not %s; %s", got, expected)
		},
		empty: fmt.Sprintf("the list of HTTP stacks is empty: list at least one (%s), or remove the key for the default [echo4]", strings.Join(all, ", ")),
		unknown: func(name, hint string) string {
			return fmt.Sprintf("unknown HTTP stack %q%s; %s", name, didYouMean(hint), expected)
		},
		twice: func(name string) string {
			return fmt.Sprintf("duplicate HTTP stack %q: list each once", name)
		},
	})
	var out []Adapter
	for _, n := range names {
		out = append(out, Adapter(n))
	}
	return out
}
