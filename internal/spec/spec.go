// Package spec loads and validates authentify.yaml into a [Spec].
//
// Decoding is strict (unknown keys are errors) and every problem, of shape or
// of meaning, is reported with its position as
// "authentify.yaml:LINE:COL: path: message" followed by a source excerpt with
// a caret. All problems are reported at once.
package spec

import (
	"strings"

	"github.com/authentify-go/authentify/runtime"
)

// Spec is a validated authentify.yaml.
type Spec struct {
	Version int    // always 1
	Package string // Go package name of the generated code
	// Engines are the database engines the package supports, in spec
	// order: one store, schema and migrations folder each. Nil (no
	// `engines` key) means DefaultEngines; use Has or EngineList.
	Engines []Engine `json:",omitempty"`
	Table   string   // SQL table name
	// RenamedFrom is the table's previous name (top-level `renamed_from`),
	// or "": the generated migration renames the table instead of
	// creating a new one. Renames are explicit, never guessed.
	RenamedFrom string
	User        User
	Token       Token
	Context     Context
	Fields      []Field          // custom token columns, in file order
	Settings    runtime.Settings // spec values over runtime.DefaultSettings()
	// HTTP lists the HTTP stacks the generated package serves, in spec
	// order (top-level `http`); nil when the spec has no such key, which
	// means DefaultAdapters (see HTTPAdapters).
	HTTP []Adapter `json:",omitempty"`

	// src locates keys for diagnostics raised after loading (see At).
	src *source
}

// source is what At needs to position a diagnostic: the file name, its
// lines and the position of every key path the loader read.
type source struct {
	file  string
	lines []string
	keys  map[string][2]int // key path → line, col of the key
}

// At returns a diagnostic with message at the key path (for example
// "fields.plan.values" or "user.id_type"), or at the nearest enclosing key
// that exists in the file (the parent of a removed key), or at 1:1. It lets
// later stages (the migration planner) report problems the way Load does.
func (s *Spec) At(path, message string) Diagnostic {
	d := Diagnostic{File: "authentify.yaml", Line: 1, Col: 1, Path: path, Message: message}
	if s.src == nil {
		return d
	}
	d.File = s.src.file
	for p := path; ; {
		if lc, ok := s.src.keys[p]; ok {
			d.Line, d.Col = lc[0], lc[1]
			break
		}
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			break
		}
		p = p[:i]
	}
	d.Excerpt = excerpt(s.src.lines, d.Line, d.Col)
	return d
}

// IDType is the Go/SQL type of user ids.
type IDType string

// The user id types.
const (
	IDInt64  IDType = "int64"  // bigint
	IDInt32  IDType = "int32"  // integer
	IDUUID   IDType = "uuid"   // uuid (runtime.UUID in Go)
	IDString IDType = "string" // text
)

// User describes the owner of tokens.
type User struct {
	IDType IDType
	// References is the optional foreign key target, e.g. users(id).
	// Nil when the spec has no `references`.
	References *Reference
}

// Reference is a foreign key target: Table(Column). Table is either a name
// or schema-qualified (schema.table); each part is a validated name
// (^[a-z][a-z0-9_]*$, at most 63 bytes), so the generator quotes each one
// separately: "schema"."table" ("column").
type Reference struct {
	Table  string
	Column string
}

// String returns the reference as written in the spec: [schema.]table(column).
func (r Reference) String() string { return r.Table + "(" + r.Column + ")" }

// Token holds token format options.
type Token struct {
	// Prefix starts every token: <prefix>_at_… and <prefix>_rt_….
	Prefix string
}

// Context is the typed per-token context.
type Context struct {
	// Strict: only declared fields exist (an undeclared key is a compile
	// error). When false, the generated Context also preserves extra keys.
	Strict bool
	Fields []Field
}

// FieldType is the type of a context field or custom column.
type FieldType string

// The field types.
const (
	TypeString     FieldType = "string"      // text / string
	TypeBool       FieldType = "bool"        // boolean / bool
	TypeInt32      FieldType = "int32"       // integer / int32
	TypeInt64      FieldType = "int64"       // bigint / int64
	TypeFloat64    FieldType = "float64"     // double precision / float64
	TypeTime       FieldType = "time"        // timestamptz / time.Time
	TypeUUID       FieldType = "uuid"        // uuid / runtime.UUID
	TypeIP         FieldType = "ip"          // inet / netip.Addr
	TypeJSON       FieldType = "json"        // jsonb / json.RawMessage
	TypeEnum       FieldType = "enum"        // text with CHECK / generated string type
	TypeStringList FieldType = "string_list" // text[] / []string
)

// Field is a context field or a custom column.
type Field struct {
	Name   string    // as written in the spec: snake_case; the SQL column and JSON key
	GoName string    // exported Go identifier derived from Name (ip_addr → IPAddr)
	Type   FieldType // one of the Type* constants
	Values []string  // enum values, in order (TypeEnum only)
	// EnumType is the Go type of an enum (TypeEnum only): GoName, or
	// GoName+"Value" (then "Value2", …) when that name is already declared
	// by the generated package or an earlier enum. See [Spec.GoNames].
	EnumType string `json:",omitempty"`
	// EnumConsts are the Go constants of the values, parallel to Values:
	// EnumType + GoName(value).
	EnumConsts []string `json:",omitempty"`
	// Required: a context field that must be set when a token is issued.
	// Custom columns are NOT NULL unless Nullable.
	Required bool
	// Nullable: the Go type is a pointer and the column accepts NULL.
	Nullable bool
	// Default is the value used when none is given, or nil. Its dynamic type
	// follows Type: string (string, enum, time as RFC 3339, uuid, ip),
	// bool, int64 (int32 and int64), float64, []string (string_list), or
	// string holding JSON text (json).
	Default any
}
