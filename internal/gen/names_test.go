package gen

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/authentify-go/authentify/internal/spec"
	"github.com/authentify-go/authentify/runtime"
)

// namesSpec has every kind of spec-derived name: enums in the context and
// the columns, a lenient context (ContextValue, Extra, MarshalJSON).
const namesSpec = `version: 1
package: auth
context:
  strict: false
  fields:
    tier: { type: enum, values: [free, pro], default: free }
    device: { type: string }
fields:
  plan: { type: enum, values: [basic, gold], default: basic }
  note: { type: string, nullable: true }
`

func exported(name string) bool {
	return name != "" && unicode.IsUpper([]rune(name)[0])
}

// TestGeneratedNamesComplete parses what the emitters declare and checks
// that the spec's namer knows every exported name it does not derive from
// the spec: package-level names (spec.GeneratedNames), members of Context
// (spec.ReservedContextNames) and of Token, including those promoted from
// runtime.Record (spec.ReservedTokenNames). A new emitted name missing from
// those lists fails here, before a spec can collide with it.
func TestGeneratedNamesComplete(t *testing.T) {
	for _, http := range []string{"", "http: [nethttp]\n", "http: [echo5]\n", "http: [echo4, nethttp, echo5]\n", "http: [echo5, echo4, nethttp]\n", "http: [nethttp, echo4]\n"} {
		t.Run(strings.TrimSpace(http), func(t *testing.T) { checkGeneratedNames(t, namesSpec+http) })
	}
}

// checkGeneratedNames is TestGeneratedNamesComplete for one spec.
func checkGeneratedNames(t *testing.T, src string) {
	s, err := spec.Load("authentify.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	files, err := renderGo(s, "authentify.yaml", "example.com/app/auth/db", "example.com/app/auth/db/sqlite")
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{Source: "authentify.yaml"}
	_, snap, err := migrations(s, opt)
	if err != nil {
		t.Fatal(err)
	}
	if files["migrate.go"], err = renderMigrateGo(s, opt, snap, []string{"0001_init.sql"}); err != nil {
		t.Fatal(err)
	}
	d, err := parseDecls(files)
	if err != nil {
		t.Fatal(err)
	}
	derived := map[string]bool{}
	for _, f := range append(slices.Clone(s.Context.Fields), s.Fields...) {
		derived[f.EnumType] = true
		for _, c := range f.EnumConsts {
			derived[c] = true
		}
	}
	known := map[string]bool{}
	for _, g := range spec.GeneratedNames() {
		known[g.Name] = true
	}
	declared := map[string]bool{}
	for _, name := range s.DeclaredNames() {
		declared[name] = true
		if !known[name] {
			t.Errorf("Spec.DeclaredNames lists %s, which spec.GeneratedNames lacks", name)
		}
		if len(d.pkg[name]) == 0 {
			t.Errorf("Spec.DeclaredNames lists %s, which the generated package does not declare", name)
		}
	}
	for name := range d.pkg {
		if exported(name) && !derived[name] && !declared[name] {
			t.Errorf("the generated package declares %s (%v), which Spec.DeclaredNames lacks", name, d.pkg[name])
		}
	}

	checkMembers := func(typ string, fields []spec.Field, reserved []string, promoted []string) {
		t.Helper()
		own := map[string]bool{}
		for _, f := range fields {
			own[f.GoName] = true
		}
		for name, where := range d.members[typ] {
			if exported(name) && !own[name] && !slices.Contains(reserved, name) {
				t.Errorf("%s.%s (%v) is missing from the reserved names of %s", typ, name, where, typ)
			}
		}
		for _, name := range promoted {
			if !slices.Contains(reserved, name) {
				t.Errorf("%s.%s (promoted from an embedded type) is missing from the reserved names of %s", typ, name, typ)
			}
		}
	}
	checkMembers("Context", s.Context.Fields, spec.ReservedContextNames(), nil)
	var promoted []string
	rec := reflect.TypeFor[runtime.Record]()
	for i := range rec.NumField() {
		promoted = append(promoted, rec.Field(i).Name)
	}
	for _, typ := range []reflect.Type{rec, reflect.PointerTo(rec)} {
		for i := range typ.NumMethod() {
			promoted = append(promoted, typ.Method(i).Name)
		}
	}
	checkMembers("Token", s.Fields, spec.ReservedTokenNames(), promoted)
	checkMembers("Columns", s.Fields, nil, nil)
}

func TestCheckDecls(t *testing.T) {
	ok := map[string][]byte{
		"a.go": []byte("package p\n\ntype T struct{ A int }\n\nfunc (T) M() {}\n\nconst C = 1\n"),
		"b.go": []byte("package p\n\ntype U struct{ A int }\n\nfunc (*U) M() {}\n\nvar _ = 1\nvar _ = 2\n"),
	}
	if err := checkDecls(ok); err != nil {
		t.Errorf("checkDecls(distinct names) = %v", err)
	}
	for name, files := range map[string]map[string][]byte{
		"package level across files": {"a.go": ok["a.go"], "b.go": []byte("package p\n\nconst T = 2\n")},
		"const and func":             {"a.go": []byte("package p\n\nconst WithSettings = 1\n\nfunc WithSettings() {}\n")},
		"field and method":           {"a.go": []byte("package p\n\ntype T struct{ Valid bool }\n\nfunc (T) Valid() bool { return true }\n")},
		"two fields":                 {"a.go": []byte("package p\n\ntype T struct{ A, A int }\n")},
	} {
		err := checkDecls(files)
		if err == nil || !strings.Contains(err.Error(), "would declare these names twice") {
			t.Errorf("%s: checkDecls = %v, want a duplicate error", name, err)
		}
	}
}
