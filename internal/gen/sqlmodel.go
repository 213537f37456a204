package gen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/template"

	"github.com/authentify-go/authentify/internal/spec"
	"github.com/authentify-go/authentify/templates"
)

// sqlModel is the data the SQL and sqlc templates render from.
type sqlModel struct {
	Source      string
	SchemaPath  string // paths in sqlc.yaml, relative to it
	QueriesPath string
	Out         string
	Table       string // quoted identifier
	TableRaw    string
	UserIDType  string
	References  string // `"users" ("id")` or ""
	Columns     []sqlColumn
	// TokenColumns is the select list of every query that returns a token:
	// the columns a Token holds (built-in and custom), never the hashes
	// (tokenColumns).
	TokenColumns string
	Renames      []rename
	// Postgres is true when sqlc.yaml has the PostgreSQL entry (pgx/v5, db/).
	Postgres bool
	// Lite is the sqlc.yaml entry of the SQLite engine (database/sql,
	// db/sqlite), or nil.
	Lite *liteSqlc
	// VersionTable is the migrations' version table (named after the first
	// table, never renamed): the cache trigger's channel and function are
	// named after it, so a rename of the token table changes neither.
	VersionTable string
}

type sqlColumn struct {
	Name    string // quoted identifier
	Raw     string // as in the spec; also the sqlc parameter name
	Type    string
	NotNull bool
	Default string // SQL literal or ""
	Check   string // CHECK expression of an enum, or ""
	// CheckName is the quoted name of the enum's CHECK constraint: named
	// explicitly so that migrations can replace it.
	CheckName string
	Values    []string // enum values
}

type rename struct{ Column, GoName string }

// rowStructDefault is the sqlc model of the token table: sqlc.yaml renames
// the table to it.
const rowStructDefault = "TokenRow"

// sqlcParams are the query parameter names of queries.sql.tmpl besides the
// columns: spec.QueryParams, which the spec's namer checks custom columns
// against; TestSqlcParamNames keeps the list in sync with the template.
var sqlcParams = spec.QueryParams()

// renamesTable reports whether sqlc.yaml can rename the token table to
// rowStructDefault. sqlc's rename map is keyed by SQL name and applies alike
// to tables, columns and query parameters, so a table named like one of
// them (table: context, table: order with a column order) cannot be renamed
// without renaming that field too.
func renamesTable(s *spec.Spec) bool {
	names := append(spec.BuiltinColumns(), sqlcParams...)
	for _, f := range s.Fields {
		names = append(names, f.Name)
	}
	for _, n := range names {
		if n == s.Table {
			return false
		}
	}
	return true
}

// rowStruct is the Go name of the token table's model in the db package:
// rowStructDefault, or sqlc's own name for a table that cannot be renamed
// (the column's rename, else sqlc's default naming, which for the built-in
// and parameter names is what spec.GoName gives).
func rowStruct(s *spec.Spec) string {
	if renamesTable(s) {
		return rowStructDefault
	}
	for _, f := range s.Fields {
		if f.Name == s.Table {
			return f.GoName
		}
	}
	return spec.GoName(s.Table)
}

// Index returns a quoted index name for column, shortened to PostgreSQL's
// 63-byte identifier limit.
func (m sqlModel) Index(column string) string {
	suffix := "_" + column + "_idx"
	base := m.TableRaw
	if len(base)+len(suffix) > 63 {
		base = base[:63-len(suffix)]
	}
	return quoteIdent(base + suffix)
}

// quoteIdent quotes a PostgreSQL identifier. Spec names are already
// restricted to [a-z][a-z0-9_]*; quoting makes reserved words legal.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// quoteLiteral renders a PostgreSQL string literal.
func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func userIDSQLType(t spec.IDType) string {
	switch t {
	case spec.IDInt32:
		return "integer"
	case spec.IDUUID:
		return "uuid"
	case spec.IDString:
		return "text"
	default:
		return "bigint"
	}
}

func fieldSQLType(t spec.FieldType) string {
	switch t {
	case spec.TypeBool:
		return "boolean"
	case spec.TypeInt32:
		return "integer"
	case spec.TypeInt64:
		return "bigint"
	case spec.TypeFloat64:
		return "double precision"
	case spec.TypeTime:
		return "timestamptz"
	case spec.TypeUUID:
		return "uuid"
	case spec.TypeIP:
		return "inet"
	case spec.TypeJSON:
		return "jsonb"
	case spec.TypeStringList:
		return "text[]"
	default: // string, enum
		return "text"
	}
}

// sqlDefault renders a spec default as a SQL literal.
func sqlDefault(f spec.Field) (string, error) {
	if f.Default == nil {
		return "", nil
	}
	switch v := f.Default.(type) {
	case bool:
		return strconv.FormatBool(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), nil
	case []string:
		quoted := make([]string, len(v))
		for i, s := range v {
			quoted[i] = quoteLiteral(s)
		}
		return "ARRAY[" + strings.Join(quoted, ", ") + "]::text[]", nil
	case string:
		switch f.Type {
		case spec.TypeJSON:
			if !json.Valid([]byte(v)) {
				return "", fmt.Errorf("field %s: default is not valid JSON", f.Name)
			}
			return quoteLiteral(v) + "::jsonb", nil
		case spec.TypeTime:
			return quoteLiteral(v) + "::timestamptz", nil
		case spec.TypeUUID:
			return quoteLiteral(v) + "::uuid", nil
		case spec.TypeIP:
			return quoteLiteral(v) + "::inet", nil
		default:
			return quoteLiteral(v), nil
		}
	default:
		return "", fmt.Errorf("field %s: unsupported default of type %T", f.Name, f.Default)
	}
}

func newSQLModel(s *spec.Spec, source string) (sqlModel, error) {
	m := sqlModel{
		Source:     source,
		Table:      quoteIdent(s.Table),
		TableRaw:   s.Table,
		UserIDType: userIDSQLType(s.User.IDType),
		// A package with a model.json keeps the one recorded there
		// (migrations sets it).
		VersionTable: versionTableName(s.Table),
	}
	if r := s.User.References; r != nil {
		table := quoteIdent(r.Table)
		if schema, name, ok := strings.Cut(r.Table, "."); ok {
			table = quoteIdent(schema) + "." + quoteIdent(name)
		}
		m.References = table + " (" + quoteIdent(r.Column) + ")"
	}
	if renamesTable(s) {
		m.Renames = append(m.Renames, rename{Column: s.Table, GoName: rowStructDefault})
	}
	m.TokenColumns = tokenColumns(s)
	for _, f := range s.Fields {
		def, err := sqlDefault(f)
		if err != nil {
			return m, err
		}
		c := sqlColumn{
			Name:    quoteIdent(f.Name),
			Raw:     f.Name,
			Type:    fieldSQLType(f.Type),
			NotNull: !f.Nullable,
			Default: def,
		}
		if f.Type == spec.TypeEnum {
			vals := make([]string, len(f.Values))
			for i, v := range f.Values {
				vals[i] = quoteLiteral(v)
			}
			c.Check = c.Name + " IN (" + strings.Join(vals, ", ") + ")"
			c.CheckName = quoteIdent(m.CheckName(f.Name))
			c.Values = f.Values
		}
		m.Columns = append(m.Columns, c)
		m.Renames = append(m.Renames, rename{Column: f.Name, GoName: f.GoName})
	}
	return m, nil
}

// hashColumns are the built-in columns a token read never returns: the
// credential hashes and the rotation salt. Only the WHERE clauses use them,
// so they never leave the database on a read; a Token has no field for them.
var hashColumns = []string{"access_hash", "refresh_hash", "prev_refresh_hash", "retired_refresh_hashes", "rotation_salt"}

// tokenColumns is the quoted select list of the PostgreSQL queries that
// return a token: the built-in columns but hashColumns, then the custom
// columns. Every such query selects exactly this list, so sqlc's row types
// of those queries are identical and convert to one another (tokenRow).
func tokenColumns(s *spec.Spec) string {
	var cols []string
	for _, c := range spec.BuiltinColumns() {
		if !slices.Contains(hashColumns, c) {
			cols = append(cols, quoteIdent(c))
		}
	}
	for _, f := range s.Fields {
		cols = append(cols, quoteIdent(f.Name))
	}
	return strings.Join(cols, ", ")
}

// sqlPaths are the locations sqlc.yaml refers to, relative to itself; the
// Lite ones only for a spec with the sqlite engine.
type sqlPaths struct{ Schema, Queries, Out, LiteSchema, LiteQueries, LiteOut string }

// renderSQL renders schema.sql, queries.sql and sqlc.yaml for s; sqlc.yaml
// refers to the other two and to the Go output through p.
func renderSQL(s *spec.Spec, source string, p sqlPaths) (FileSet, error) {
	m, err := newSQLModel(s, source)
	if err != nil {
		return nil, err
	}
	m.SchemaPath, m.QueriesPath, m.Out = p.Schema, p.Queries, p.Out
	m.Postgres = s.Has(spec.EnginePostgreSQL)
	if s.Has(spec.EngineSQLite) {
		ov, err := liteOverrides(s)
		if err != nil {
			return nil, err
		}
		m.Lite = &liteSqlc{SchemaPath: p.LiteSchema, QueriesPath: p.LiteQueries, Out: p.LiteOut, Overrides: ov}
	}
	out := FileSet{}
	for name, tmpl := range map[string]string{
		"schema.sql":  "schema.sql.tmpl",
		"queries.sql": "queries.sql.tmpl",
		"sqlc.yaml":   "sqlc.yaml.tmpl",
	} {
		t, err := template.ParseFS(templates.FS, tmpl)
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", tmpl, err)
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, m); err != nil {
			return nil, fmt.Errorf("render %s: %w", tmpl, err)
		}
		out[name] = buf.Bytes()
	}
	if m.Lite != nil {
		b, err := renderLiteQueries(s, source)
		if err != nil {
			return nil, err
		}
		out[liteQueriesName] = b
	}
	if !m.Postgres {
		delete(out, "queries.sql")
	}
	return out, nil
}
