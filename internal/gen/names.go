package gen

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dave/jennifer/jen"

	"github.com/authentify-go/authentify/internal/spec"
)

// Import paths used by generated code.
const (
	runtimePath = "github.com/authentify-go/authentify/runtime"
	pgxPath     = "github.com/jackc/pgx/v5"
	echoPath    = "github.com/labstack/echo/v4"
	echoMWPath  = "github.com/labstack/echo/v4/middleware"
	echo5Path   = "github.com/labstack/echo/v5"
	echo5MWPath = "github.com/labstack/echo/v5/middleware"
)

// goModel is what the Go emitters render from. Every Go identifier derived
// from the spec was decided by the spec's namer (spec.Field.GoName,
// EnumType, EnumConsts), which knows spec.GeneratedNames; checkDecls
// verifies the rendered files once more.
type goModel struct {
	spec   *spec.Spec
	source string
	dbPath string // import path of the generated db package (PostgreSQL)
	// litePath is the import path of the generated db/sqlite package.
	litePath string
	// pg and lite are the engines of the spec.
	pg, lite bool
}

func newGoModel(s *spec.Spec, source, dbPath, litePath string) *goModel {
	return &goModel{spec: s, source: source, dbPath: dbPath, litePath: litePath,
		pg: s.Has(spec.EnginePostgreSQL), lite: s.Has(spec.EngineSQLite)}
}

// userIDType is the Go type of user ids.
func (m *goModel) userIDType() jen.Code {
	switch m.spec.User.IDType {
	case spec.IDInt32:
		return jen.Int32()
	case spec.IDUUID:
		return jen.Qual(runtimePath, "UUID")
	case spec.IDString:
		return jen.String()
	default:
		return jen.Int64()
	}
}

// baseType is the non-pointer Go type of a field; kind is "context" or
// "fields".
func (m *goModel) baseType(kind string, f spec.Field) *jen.Statement {
	switch f.Type {
	case spec.TypeBool:
		return jen.Bool()
	case spec.TypeInt32:
		return jen.Int32()
	case spec.TypeInt64:
		return jen.Int64()
	case spec.TypeFloat64:
		return jen.Float64()
	case spec.TypeTime:
		return jen.Qual("time", "Time")
	case spec.TypeUUID:
		return jen.Qual(runtimePath, "UUID")
	case spec.TypeIP:
		return jen.Qual("net/netip", "Addr")
	case spec.TypeJSON:
		return jen.Qual("encoding/json", "RawMessage")
	case spec.TypeEnum:
		return jen.Id(f.EnumType)
	case spec.TypeStringList:
		return jen.Index().String()
	default:
		return jen.String()
	}
}

// selfNullable reports whether the Go type already has a nil value
// (slices, json.RawMessage), so a nullable field needs no pointer.
func selfNullable(t spec.FieldType) bool {
	return t == spec.TypeJSON || t == spec.TypeStringList
}

// fieldType is the Go type of a field in Context or Token.
func (m *goModel) fieldType(kind string, f spec.Field) *jen.Statement {
	if f.Nullable && !selfNullable(f.Type) {
		return jen.Op("*").Add(m.baseType(kind, f))
	}
	return m.baseType(kind, f)
}

// zeroCheck is an expression that is true when v (of the field's base type)
// is unset.
func zeroCheck(f spec.Field, v *jen.Statement) *jen.Statement {
	switch f.Type {
	case spec.TypeString, spec.TypeEnum:
		return v.Op("==").Lit("")
	case spec.TypeTime, spec.TypeUUID:
		return v.Dot("IsZero").Call()
	case spec.TypeIP:
		return jen.Op("!").Add(v).Dot("IsValid").Call()
	case spec.TypeJSON, spec.TypeStringList:
		return jen.Len(v).Op("==").Lit(0)
	case spec.TypeBool:
		return jen.Op("!").Add(v)
	default:
		return v.Op("==").Lit(0)
	}
}

// defaultValue renders a spec default as a Go expression of the field's
// base type.
func (m *goModel) defaultValue(kind string, f spec.Field) (jen.Code, error) {
	switch v := f.Default.(type) {
	case bool:
		return jen.Lit(v), nil
	case int64:
		return jen.Lit(int(v)), nil
	case float64:
		return jen.Lit(v), nil
	case []string:
		vals := make([]jen.Code, len(v))
		for i, s := range v {
			vals[i] = jen.Lit(s)
		}
		return jen.Index().String().Values(vals...), nil
	case string:
		switch f.Type {
		case spec.TypeEnum:
			i := slices.Index(f.Values, v)
			if i < 0 || i >= len(f.EnumConsts) {
				return nil, fmt.Errorf("field %s: default %q is not a value of the enum", f.Name, v)
			}
			return jen.Id(f.EnumConsts[i]), nil
		case spec.TypeIP:
			return jen.Qual("net/netip", "MustParseAddr").Call(jen.Lit(v)), nil
		case spec.TypeJSON:
			return jen.Qual("encoding/json", "RawMessage").Call(jen.Lit(v)), nil
		case spec.TypeUUID:
			// A composite literal: the runtime has no MustParseUUID. The
			// spec has checked and normalized the text form.
			u, err := hex.DecodeString(strings.ReplaceAll(v, "-", ""))
			if err != nil || len(u) != 16 {
				return nil, fmt.Errorf("field %s: default: invalid uuid %q", f.Name, v)
			}
			bytes := make([]jen.Code, len(u))
			for i, b := range u {
				bytes[i] = jen.Op(fmt.Sprintf("0x%02x", b))
			}
			return jen.Qual(runtimePath, "UUID").Values(bytes...), nil
		case spec.TypeTime:
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return nil, fmt.Errorf("field %s: default: %w", f.Name, err)
			}
			t = t.UTC()
			return jen.Qual("time", "Date").Call(jen.Lit(t.Year()), jen.Qual("time", "Month").Call(jen.Lit(int(t.Month()))),
				jen.Lit(t.Day()), jen.Lit(t.Hour()), jen.Lit(t.Minute()), jen.Lit(t.Second()), jen.Lit(t.Nanosecond()),
				jen.Qual("time", "UTC")), nil
		default:
			return jen.Lit(v), nil
		}
	}
	return nil, fmt.Errorf("field %s: unsupported default %T", f.Name, f.Default)
}

// jsonTag is the struct tag of a field serialized under name.
func jsonTag(name string, omit bool) map[string]string {
	if omit {
		return map[string]string{"json": name + ",omitzero"}
	}
	return map[string]string{"json": name}
}

// lowerFirst returns s with its first letter lower-cased.
func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// comment adds a multi-line doc comment to f, one // line per line of text
// (jennifer renders a comment containing newlines as a /* */ block).
func comment(f *jen.File, text string) {
	for _, line := range strings.Split(text, "\n") {
		f.Comment(strings.TrimPrefix(line, "// "))
	}
}
