package spec

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/tools/txtar"
)

// FuzzLoad checks that Load never panics, that every failure is an *Errors
// of well-formed diagnostics whose text carries no control characters, and
// that everything a successful Load returns is safe to generate from.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.txtar")
	for _, file := range files {
		if ar, err := txtar.ParseFile(file); err == nil {
			if src, ok := section(ar, "authentify.yaml"); ok {
				f.Add(src)
			}
		}
	}
	f.Add(Starter())
	f.Add(Minimal())
	f.Fuzz(func(t *testing.T, src []byte) {
		s, err := Load("authentify.yaml", src)
		if err != nil {
			checkErrors(t, err)
			return
		}
		checkSpec(t, s)
	})
}

func checkErrors(t *testing.T, err error) {
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error is %T, not *Errors: %v", err, err)
	}
	if len(errs.Diags) == 0 {
		t.Fatal("*Errors without diagnostics")
	}
	for i, d := range errs.Diags {
		if d.File != "authentify.yaml" || d.Line < 1 || d.Col < 1 || d.Message == "" || d.Excerpt == "" {
			t.Errorf("malformed diagnostic %+v", d)
		}
		if i > 0 {
			p := errs.Diags[i-1]
			if p.Line > d.Line || p.Line == d.Line && p.Col > d.Col {
				t.Errorf("diagnostics out of order: %d:%d before %d:%d", p.Line, p.Col, d.Line, d.Col)
			}
		}
	}
	for _, r := range err.Error() {
		if r != '\n' && r != '\t' && unicode.IsControl(r) {
			t.Fatalf("error text holds control character %U:\n%s", r, err)
		}
	}
}

func checkSpec(t *testing.T, s *Spec) {
	if s.Version != 1 || packageProblem(s.Package) != "" || !ValidName(s.Table) || !ValidPrefix(s.Token.Prefix) {
		t.Fatalf("invalid spec header: %+v", s)
	}
	switch s.User.IDType {
	case IDInt64, IDInt32, IDUUID, IDString:
	default:
		t.Fatalf("id type %q", s.User.IDType)
	}
	if r := s.User.References; r != nil {
		schema, table, qualified := strings.Cut(r.Table, ".")
		if !ValidName(schema) || qualified && !ValidName(table) || !ValidName(r.Column) {
			t.Fatalf("invalid reference %+v", r)
		}
	}
	checkFields(t, s.Context.Fields, ReservedContextNames())
	checkFields(t, s.Fields, ReservedTokenNames())
	for _, f := range s.Fields {
		if slices.Contains(BuiltinColumns(), f.Name) || f.Required || !f.Nullable && f.Default == nil {
			t.Fatalf("invalid custom column %+v", f)
		}
	}
	// The namer: every enum type and constant is a distinct name that the
	// generated package does not declare itself.
	names := map[string]bool{}
	for _, g := range GeneratedNames() {
		names[g.Name] = true
	}
	for _, f := range append(slices.Clone(s.Context.Fields), s.Fields...) {
		if f.Type != TypeEnum {
			continue
		}
		if len(f.EnumConsts) != len(f.Values) {
			t.Fatalf("enum %s: constants %v for values %v", f.Name, f.EnumConsts, f.Values)
		}
		for _, n := range append([]string{f.EnumType}, f.EnumConsts...) {
			if n == "" || names[n] {
				t.Fatalf("enum %s: Go name %q is empty or declared twice", f.Name, n)
			}
			names[n] = true
		}
	}
	if s.Settings.SecretKey != nil {
		t.Fatal("secret key set from the spec")
	}
	if err := s.Settings.Validate(); err != nil {
		t.Fatalf("loaded settings do not validate: %v", err)
	}
}

func checkFields(t *testing.T, fields []Field, reserved []string) {
	goNames := map[string]bool{}
	for _, f := range fields {
		if !ValidName(f.Name) || f.GoName != GoName(f.Name) || goNames[f.GoName] || slices.Contains(reserved, f.GoName) {
			t.Fatalf("invalid field name %+v", f)
		}
		goNames[f.GoName] = true
		if f.Required && (f.Nullable || f.Default != nil) {
			t.Fatalf("invalid field %+v", f)
		}
		if (f.Type == TypeEnum) != (len(f.Values) > 0) {
			t.Fatalf("enum values %+v", f)
		}
		for _, v := range f.Values {
			if !ValidName(v) {
				t.Fatalf("invalid enum value %q", v)
			}
		}
		if f.Default == nil {
			continue
		}
		ok := false
		switch d := f.Default.(type) {
		case string:
			ok = !strings.ContainsRune(d, 0) && (f.Type == TypeString || f.Type == TypeTime || f.Type == TypeUUID ||
				f.Type == TypeIP || f.Type == TypeJSON || f.Type == TypeEnum && slices.Contains(f.Values, d))
		case bool:
			ok = f.Type == TypeBool
		case int64:
			ok = f.Type == TypeInt64 || f.Type == TypeInt32 && d == int64(int32(d))
		case float64:
			ok = f.Type == TypeFloat64
		case []string:
			ok = f.Type == TypeStringList
		}
		if f.Type == TypeJSON {
			d, isString := f.Default.(string)
			ok = ok && isString && json.Valid([]byte(d))
		}
		if !ok {
			t.Fatalf("default %#v does not fit %+v", f.Default, f)
		}
	}
}
