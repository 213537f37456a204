package spec

import (
	"fmt"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// The namer: every Go identifier the generator derives from the spec is
// decided here, at load time, where a collision can be reported at its
// position in authentify.yaml.
//
//   - Context fields become fields of Context, custom columns fields of
//     Token, Columns and the sqlc row: GoName. Two that share a GoName, or
//     one that takes a name the type already has (ReservedContextNames,
//     ReservedTokenNames), or a custom column named like a built-in column
//     or a query parameter in Go (access__hash → AccessHash), are refused.
//   - An enum field declares a package-level type, EnumType: its GoName, or
//     GoName+"Value" (then GoName+"Value2", …) if the generated package
//     already declares that name (GeneratedNames) or an earlier enum took
//     it; context fields come first, then custom columns, each in file
//     order. This renaming is deterministic and documented in the README.
//   - Each enum value declares a constant EnumType+GoName(value). A constant
//     that equals a generated name, an enum type or another constant is
//     refused at the value, naming both sources.

// GeneratedName is an exported package-level identifier that the generated
// package declares whatever the spec says.
type GeneratedName struct {
	Name string // e.g. "WithSettings"
	What string // e.g. "the option function WithSettings"
}

// GeneratedNames returns the exported package-level identifiers of the
// generated package that do not come from the spec. internal/gen checks,
// by parsing what it emits, that this list is complete.
func GeneratedNames() []GeneratedName {
	var out []GeneratedName
	add := func(what string, names ...string) {
		for _, n := range names {
			out = append(out, GeneratedName{n, what + " " + n})
		}
	}
	add("the type", "Context", "Token", "Columns", "Service", "Option", "IssueOption", "Issued", "UserID",
		"DB", "CookieOptions", "PostAuthFunc")
	add("the function", "New", "DefaultSettings", "ContextValue", "FromContext", "NewContext")
	add("the option function", "WithSettings", "WithClock", "WithPostAuth", "WithPostAutoRefresh",
		"WithOnRevoke", "WithOnReuseDetected", "WithAccessTTL", "WithRefreshTTL", "WithColumns", "WithLogger")
	add("the constant", "Prefix", "VersionTable", "CacheChannel")
	add("the variable", "Migrations")
	return append(out, adapterGeneratedNames()...)
}

// QueryParams returns the parameter names of the generated SQL queries
// besides the columns. sqlc turns each into a Go field of a query's
// parameter struct, so no custom column may take the same Go name.
func QueryParams() []string {
	return []string{
		"hash", "now", "seen_refreshed_at", "old_refresh_hash", "at", "reason", "keep_id", "batch", "lock_key",
		"keep", "prev_hash", "salt", "after_created_at", "after_id", "max_rows", "kept", "revoked", "hashes",
	}
}

// QueryResultColumns returns the columns the generated SQL queries add to
// the token columns in their results. sqlc turns each into a Go field of a
// row struct beside the custom columns, so no custom column may take the
// same Go name (not even under the same name).
func QueryResultColumns() []string {
	return []string{"lookup_position"}
}

// enumSource is where an enum field and its values are in the file.
type enumSource struct {
	key    ast.Node
	values []ast.Node // parallel to Field.Values
}

// nameEnums assigns EnumType and EnumConsts of every enum field of s and
// reports constants that collide.
func (l *loader) nameEnums(s *Spec) {
	type owner struct {
		what string   // for messages
		at   ast.Node // nil for generated names
	}
	taken := map[string]owner{}
	for _, g := range GeneratedNames() {
		taken[g.Name] = owner{what: g.What + " of the generated package"}
	}
	type enum struct {
		f    *Field
		path string
	}
	var enums []enum
	for i := range s.Context.Fields {
		if f := &s.Context.Fields[i]; f.Type == TypeEnum {
			enums = append(enums, enum{f, join("context.fields", f.Name)})
		}
	}
	for i := range s.Fields {
		if f := &s.Fields[i]; f.Type == TypeEnum {
			enums = append(enums, enum{f, join("fields", f.Name)})
		}
	}
	// Types first: a constant never renames a type.
	for _, e := range enums {
		name := e.f.GoName
		for i := 1; ; i++ {
			if _, ok := taken[name]; !ok {
				break
			}
			name = e.f.GoName + "Value"
			if i > 1 {
				name += fmt.Sprint(i)
			}
		}
		e.f.EnumType = name
		taken[name] = owner{what: fmt.Sprintf("the enum type %s of %s", name, e.path), at: l.enumSrc[e.path].key}
	}
	for _, e := range enums {
		src := l.enumSrc[e.path]
		consts := make([]string, 0, len(e.f.Values))
		values := e.f.Values[:0:0]
		for i, v := range e.f.Values {
			c := e.f.EnumType + GoName(v)
			var at ast.Node
			if i < len(src.values) {
				at = src.values[i]
			}
			if first, dup := taken[c]; dup {
				where := ""
				if first.at != nil {
					line, _ := pos(first.at)
					where = fmt.Sprintf(" (line %d)", line)
				}
				l.errorf(at, index(e.path+".values", i), "enum value %q becomes the Go constant %s, which is also %s%s: rename the value or the field", v, c, first.what, where)
				continue
			}
			taken[c] = owner{what: fmt.Sprintf("the constant of value %q of %s", v, e.path), at: at}
			consts = append(consts, c)
			values = append(values, v)
		}
		if len(values) == len(e.f.Values) {
			e.f.EnumConsts = consts
		}
	}
}

// sqlcNames are the package-level names sqlc declares in the db package
// whatever the queries are, besides the <Query>Params types.
var sqlcNames = []string{"Queries", "DBTX", "New"}

// checkTableModel refuses a table whose sqlc model would take a name sqlc
// already declares. sqlc's rename map is keyed by SQL name for tables and
// columns alike, so a table named like a column or a query parameter keeps
// sqlc's own model name, the Go name of that column (table: queries beside
// a column queries → db.Queries).
func (l *loader) checkTableModel(s *Spec, e entry) {
	names := append(BuiltinColumns(), QueryParams()...)
	for _, f := range s.Fields {
		names = append(names, f.Name)
	}
	if !slices.Contains(names, s.Table) {
		return // renamed to TokenRow
	}
	model := GoName(s.Table)
	if slices.Contains(sqlcNames, model) || strings.HasSuffix(model, "Params") {
		l.errorf(e.value, e.path, "table %q is also the name of a column or query parameter, so sqlc names its Go model %s, which sqlc's db package already declares: rename the table", s.Table, model)
	}
}
