package spec

import (
	"fmt"
	"math"
	"math/big"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// FieldTypes returns every field type, in documentation order.
func FieldTypes() []FieldType {
	return []FieldType{
		TypeString, TypeBool, TypeInt32, TypeInt64, TypeFloat64, TypeTime,
		TypeUUID, TypeIP, TypeJSON, TypeEnum, TypeStringList,
	}
}

func typeNames() string {
	var s []string
	for _, t := range FieldTypes() {
		s = append(s, string(t))
	}
	return strings.Join(s, ", ")
}

// fields decodes context.fields (isContext) or the custom columns.
func (l *loader) fields(e entry, isContext bool) []Field {
	out := []Field{}
	entries, ok := l.mapping(e.value, e.path, true, "{ device: { type: string } }")
	if !ok {
		return out
	}
	what := "custom column"
	if isContext {
		what = "context field"
	}
	goNames := map[string]entry{}
	for _, fe := range entries {
		f := l.field(fe, isContext)
		if p := nameProblem(fe.key); p != "" {
			l.errorf(fe.keyNode, fe.path, "%s", p)
			continue
		}
		f.Name, f.GoName = fe.key, GoName(fe.key)
		if first, dup := goNames[f.GoName]; dup {
			line, _ := pos(first.keyNode)
			l.errorf(fe.keyNode, fe.path, "%s %q and %q (line %d) both become the Go name %s: rename one", what, fe.key, first.key, line, f.GoName)
			continue
		}
		goNames[f.GoName] = fe
		if isContext {
			if slices.Contains(ReservedContextNames(), f.GoName) {
				l.errorf(fe.keyNode, fe.path, "context field %q becomes the Go name %s, which the generated Context type already uses: rename it", fe.key, f.GoName)
				continue
			}
		} else {
			if slices.Contains(BuiltinColumns(), fe.key) {
				l.errorf(fe.keyNode, fe.path, "custom column %q collides with the built-in column of the same name: rename it", fe.key)
				continue
			}
			if slices.Contains(ReservedTokenNames(), f.GoName) {
				l.errorf(fe.keyNode, fe.path, "custom column %q becomes the Go name %s, which the generated Token type already uses: rename it", fe.key, f.GoName)
				continue
			}
			if b := sameGoName(f.GoName, BuiltinColumns()); b != "" {
				l.errorf(fe.keyNode, fe.path, "custom column %q becomes the Go name %s, as does the built-in column %q: rename it", fe.key, f.GoName, b)
				continue
			}
			if c := sameGoName(f.GoName, QueryResultColumns()); c != "" {
				l.errorf(fe.keyNode, fe.path, "custom column %q becomes the Go name %s, as does the column %q the generated queries add to their results: rename it", fe.key, f.GoName, c)
				continue
			}
			if p := sameGoName(f.GoName, QueryParams()); p != "" && p != fe.key {
				l.errorf(fe.keyNode, fe.path, "custom column %q becomes the Go name %s, as does the parameter %q of the generated queries: rename it", fe.key, f.GoName, p)
				continue
			}
		}
		out = append(out, f)
	}
	return out
}

var fieldKeys = []string{"type", "values", "required", "nullable", "default"}

// field decodes one field definition. Name and GoName are set by the caller.
func (l *loader) field(e entry, isContext bool) Field {
	var f Field
	entries, ok := l.mapping(e.value, e.path, false, "{ type: string }")
	if !ok {
		return f
	}
	l.known(entries, fieldKeys...)
	get := map[string]entry{}
	for _, fe := range entries {
		get[fe.key] = fe
	}

	typeOK := false
	if te, ok := get["type"]; !ok {
		l.errorf(e.keyNode, join(e.path, "type"), "missing required key `type`; expected one of: %s", typeNames())
	} else if v, ok := l.str(te.value, te.path); ok {
		if slices.Contains(FieldTypes(), FieldType(v)) {
			f.Type, typeOK = FieldType(v), true
		} else {
			msg := fmt.Sprintf("unknown type %q", v)
			if s := suggest(v, strings.Split(typeNames(), ", ")); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			l.errorf(te.value, te.path, "%s; expected one of: %s", msg, typeNames())
		}
	}

	// values
	ve, hasValues := get["values"]
	if hasValues {
		f.Values = l.enumValues(ve, e)
		if typeOK && f.Type != TypeEnum {
			l.errorf(ve.keyNode, ve.path, "values applies to type enum only, not %s", f.Type)
		}
	} else if typeOK && f.Type == TypeEnum {
		l.errorf(e.keyNode, join(e.path, "values"), "an enum needs its values, e.g. `values: [free, premium]`")
	}

	// required, nullable
	re, hasRequired := get["required"]
	if hasRequired {
		if v, ok := l.boolean(re.value, re.path); ok {
			f.Required = v
			if !isContext {
				l.errorf(re.keyNode, re.path, "required applies to context fields only; a custom column is NOT NULL unless `nullable: true`")
				f.Required = false
			}
		}
	}
	ne, hasNullable := get["nullable"]
	if hasNullable {
		if v, ok := l.boolean(ne.value, ne.path); ok {
			f.Nullable = v
		}
	}
	if f.Required && f.Nullable {
		l.errorf(ne.keyNode, ne.path, "a field cannot be both required and nullable: remove one")
	}
	if f.Required && typeOK && zeroIsAValue(f.Type) {
		l.errorf(re.keyNode, re.path, "%s fields cannot be required: their zero value (false or 0) is a value, not an absence; drop `required` and use `nullable: true` (nil means unset) or a `default`", f.Type)
		f.Required = false
	}

	// default
	de, hasDefault := get["default"]
	if hasDefault {
		if f.Required {
			l.errorf(de.keyNode, de.path, "a required field has no use for a default: remove `default` or `required`")
		}
		if typeOK && de.value != nil {
			if v, ok := l.defaultValue(f, de.value, de.path); ok {
				f.Default = v
				if isContext && !f.Nullable && zeroIsAValue(f.Type) && !isZeroDefault(v) {
					l.errorf(de.keyNode, de.path, "a non-nullable %s context field cannot tell an unset value from its zero, so a non-zero default would overwrite an explicit false or 0: add `nullable: true` (nil takes the default)", f.Type)
				}
			}
		}
	} else if !isContext && !f.Nullable && typeOK {
		l.errorf(e.keyNode, e.path, "custom column %q is NOT NULL and has no default: add `default:` or `nullable: true`", e.key)
	}
	return f
}

// enumValues decodes and checks an enum's values. field is the entry of
// the field; the namer positions its diagnostics with what is recorded.
func (l *loader) enumValues(e, field entry) []string {
	if e.value == nil {
		return nil
	}
	seq, ok := e.value.(*ast.SequenceNode)
	if !ok {
		l.errorf(e.value, e.path, "expected a list of names such as [free, premium], not %s", describe(e.value))
		return nil
	}
	if len(seq.Values) == 0 {
		l.errorf(e.value, e.path, "an enum needs at least one value")
		return nil
	}
	var out []string
	var nodes []ast.Node
	seen := map[string]bool{}
	goNames := map[string]string{} // GoName → value
	for i, item := range seq.Values {
		p := index(e.path, i)
		n, ok := l.value(item, p)
		if !ok {
			continue
		}
		v, ok := l.str(n, p)
		if !ok {
			continue
		}
		if msg := nameProblem(v); msg != "" {
			l.errorf(n, p, "%s", msg)
			continue
		}
		if seen[v] {
			l.errorf(n, p, "duplicate enum value %q", v)
			continue
		}
		seen[v] = true
		g := GoName(v)
		if first, dup := goNames[g]; dup {
			l.errorf(n, p, "enum values %q and %q both become the Go name %s: rename one", v, first, g)
			continue
		}
		goNames[g] = v
		out = append(out, v)
		nodes = append(nodes, n)
	}
	l.enumSrc[field.path] = enumSource{key: field.keyNode, values: nodes}
	return out
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

var intRE = regexp.MustCompile(`^[-+]?[0-9][0-9_]*$`)

// defaultValue type-checks a default against the field's type and returns
// it in the Go type documented on [Field.Default].
func (l *loader) defaultValue(f Field, n ast.Node, path string) (any, bool) {
	if f.Type == TypeJSON {
		return l.jsonText(n, path)
	}
	if isNull(n) {
		msg := "default is null: write " + article(string(f.Type)) + " value or remove `default`"
		if f.Nullable {
			msg += " (a nullable field already defaults to null)"
		}
		l.errorf(n, path, "%s", msg)
		return nil, false
	}
	switch f.Type {
	case TypeString:
		return l.str(n, path)
	case TypeBool:
		return l.boolean(n, path)
	case TypeInt32, TypeInt64:
		lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
		if f.Type == TypeInt32 {
			lo, hi = math.MinInt32, math.MaxInt32
		}
		var v int64
		switch x := n.(type) {
		case *ast.IntegerNode:
			switch i := x.Value.(type) {
			case int64:
				v = i
			case uint64:
				if i > math.MaxInt64 {
					l.errorf(n, path, "%s is out of range for %s", x.Token.Value, f.Type)
					return nil, false
				}
				v = int64(i)
			default:
				l.errorf(n, path, "expected an integer")
				return nil, false
			}
		case *ast.StringNode:
			if !quoted(n) && intRE.MatchString(x.Value) {
				// goccy leaves integers beyond 64 bits as strings.
				if _, ok := new(big.Int).SetString(strings.ReplaceAll(x.Value, "_", ""), 10); ok {
					l.errorf(n, path, "%s is out of range for %s", x.Value, f.Type)
					return nil, false
				}
			}
			l.errorf(n, path, "expected an integer, not %s%s", describe(n), unquoteHint(n))
			return nil, false
		default:
			l.errorf(n, path, "expected an integer, not %s", describe(n))
			return nil, false
		}
		if v < lo || v > hi {
			l.errorf(n, path, "%d is out of range for %s (%d to %d)", v, f.Type, lo, hi)
			return nil, false
		}
		return v, true
	case TypeFloat64:
		switch x := n.(type) {
		case *ast.IntegerNode:
			switch i := x.Value.(type) {
			case int64:
				return float64(i), true
			case uint64:
				return float64(i), true
			}
		case *ast.FloatNode:
			if !math.IsInf(x.Value, 0) && !math.IsNaN(x.Value) {
				return x.Value, true
			}
		case *ast.InfinityNode, *ast.NanNode:
			l.errorf(n, path, "expected a finite number, not %s", n.GetToken().Value)
			return nil, false
		case *ast.StringNode:
			if !quoted(n) {
				if v, err := strconv.ParseFloat(x.Value, 64); err == nil && !math.IsInf(v, 0) && !math.IsNaN(v) {
					return v, true
				}
			}
		}
		l.errorf(n, path, "expected a finite number, not %s%s", describe(n), unquoteHint(n))
		return nil, false
	case TypeTime:
		s, ok := l.str(n, path)
		if !ok {
			return nil, false
		}
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			l.errorf(n, path, "invalid time %q: write RFC 3339, e.g. 2024-01-02T15:04:05Z", s)
			return nil, false
		}
		return s, true
	case TypeUUID:
		s, ok := l.str(n, path)
		if !ok {
			return nil, false
		}
		if !uuidRE.MatchString(s) {
			l.errorf(n, path, "invalid uuid %q: write 8-4-4-4-12 hex digits, e.g. 123e4567-e89b-12d3-a456-426614174000", s)
			return nil, false
		}
		return strings.ToLower(s), true
	case TypeIP:
		s, ok := l.str(n, path)
		if !ok {
			return nil, false
		}
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			l.errorf(n, path, "invalid IP address %q: write an IPv4 or IPv6 address without zone, e.g. 192.0.2.1 or 2001:db8::1", s)
			return nil, false
		}
		return a.String(), true
	case TypeEnum:
		s, ok := l.str(n, path)
		if !ok {
			return nil, false
		}
		if f.Values != nil && !slices.Contains(f.Values, s) {
			l.errorf(n, path, "default %q is not one of the values: %s", s, strings.Join(f.Values, ", "))
			return nil, false
		}
		return s, true
	case TypeStringList:
		return l.stringList(n, path)
	}
	return nil, false
}

// isScalar reports whether n is a scalar other than a string.
func isScalar(n ast.Node) bool {
	switch n.(type) {
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return true
	}
	return false
}

// article returns "a word" or "an word".
func article(word string) string {
	if word != "" && strings.ContainsRune("aeio", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}

// zeroIsAValue reports whether the Go zero value of t is a meaningful value,
// so that "required" (set to a non-zero value) cannot be checked.
func zeroIsAValue(t FieldType) bool {
	switch t {
	case TypeBool, TypeInt32, TypeInt64, TypeFloat64:
		return true
	}
	return false
}

// isZeroDefault reports whether a decoded default equals the Go zero value.
func isZeroDefault(v any) bool {
	switch x := v.(type) {
	case bool:
		return !x
	case int64:
		return x == 0
	case float64:
		return x == 0
	}
	return false
}

// sameGoName returns the first of names whose GoName is goName, or "". (A
// column named exactly like a query parameter is fine: sqlc tells them
// apart; one that only becomes the same Go name is not.)
func sameGoName(goName string, names []string) string {
	for _, n := range names {
		if GoName(n) == goName {
			return n
		}
	}
	return ""
}
