package gen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/format"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/authentify-go/authentify/internal/spec"
	"github.com/authentify-go/authentify/runtime"
	"github.com/authentify-go/authentify/templates"
)

// The SQLite engine (spec `engines: [..., sqlite]`) gets its own migrations
// folder beside sql/migrations, a store over database/sql (store_sqlite.go)
// and the constructor NewSQLite. Its table is the PostgreSQL model mapped
// to SQLite's STRICT types, with CHECK constraints where SQLite is loose;
// the retired refresh hashes (bytea[] + GIN in PostgreSQL) are a side table.
const liteMigrationsDir = "sql/migrations_sqlite"

// liteInitName is the SQLite migration that creates the table.
const liteInitName = "0001_init.sql"

// uuidGlob matches the canonical lower-case text form of a UUID.
var uuidGlob = func() string {
	hex := "[0-9a-f]"
	var b strings.Builder
	for i, n := range []int{8, 4, 4, 4, 12} {
		if i > 0 {
			b.WriteString("-")
		}
		b.WriteString(strings.Repeat(hex, n))
	}
	return b.String()
}()

// liteColumn is one column of the SQLite table as the store reads it.
type liteColumn struct {
	Name     string // SQL name, unquoted
	Field    string // the db.TokenRow field
	Type     string // declared STRICT type: INTEGER, TEXT, BLOB, REAL
	Nullable bool
	Decl     string // the rest of the column definition: NOT NULL, CHECK, DEFAULT…
	Default  string // the DEFAULT literal of a custom column, or ""
}

// Quoted is the column's quoted name.
func (c liteColumn) Quoted() string { return quoteIdent(c.Name) }

// liteUserID is the column of user ids.
func liteUserID(s *spec.Spec) liteColumn {
	c := liteColumn{Name: "user_id", Field: "UserID", Type: "INTEGER", Decl: "NOT NULL"}
	switch s.User.IDType {
	case spec.IDInt32:
		c.Decl += ` CHECK ("user_id" BETWEEN -2147483648 AND 2147483647)`
	case spec.IDUUID:
		c.Type = "TEXT"
		c.Decl += ` CHECK ("user_id" GLOB '` + uuidGlob + `')`
	case spec.IDString:
		c.Type = "TEXT"
	}
	if r := s.User.References; r != nil {
		c.Decl += fmt.Sprintf(" REFERENCES %s (%s) ON DELETE CASCADE", quoteIdent(r.Table), quoteIdent(r.Column))
	}
	return c
}

// liteField maps a custom column.
func liteField(f spec.Field) (liteColumn, error) {
	q := quoteIdent(f.Name)
	c := liteColumn{Name: f.Name, Field: f.GoName, Nullable: f.Nullable}
	var check string
	switch f.Type {
	case spec.TypeBool:
		c.Type, check = "INTEGER", q+" IN (0, 1)"
	case spec.TypeInt32:
		c.Type, check = "INTEGER", q+" BETWEEN -2147483648 AND 2147483647"
	case spec.TypeInt64:
		c.Type = "INTEGER"
	case spec.TypeFloat64:
		c.Type = "REAL"
	case spec.TypeTime:
		c.Type = "INTEGER"
	case spec.TypeUUID:
		c.Type, check = "TEXT", q+" GLOB '"+uuidGlob+"'"
	case spec.TypeIP:
		// netip.Addr's text form: an IPv4 dotted quad or an IPv6 address
		// (with an optional zone).
		c.Type, check = "TEXT", fmt.Sprintf("length(%s) BETWEEN 2 AND 64 AND (%s GLOB '*.*' OR %s GLOB '*:*')", q, q, q)
	case spec.TypeJSON:
		c.Type, check = "TEXT", "json_valid("+q+")"
	case spec.TypeStringList:
		c.Type, check = "TEXT", fmt.Sprintf("json_valid(%s) AND json_type(%s) = 'array'", q, q)
	case spec.TypeEnum:
		vals := make([]string, len(f.Values))
		for i, v := range f.Values {
			vals[i] = quoteLiteral(v)
		}
		c.Type, check = "TEXT", q+" IN ("+strings.Join(vals, ", ")+")"
	default:
		c.Type = "TEXT"
	}
	var decl []string
	if !f.Nullable {
		decl = append(decl, "NOT NULL")
	}
	if f.Default != nil {
		d, err := liteDefault(f)
		if err != nil {
			return c, err
		}
		decl = append(decl, "DEFAULT "+d)
		c.Default = d
	}
	if check != "" {
		decl = append(decl, "CHECK ("+check+")")
	}
	c.Decl = strings.Join(decl, " ")
	return c, nil
}

// liteDefault renders a spec default as a SQLite literal of the column's
// encoding.
func liteDefault(f spec.Field) (string, error) {
	switch v := f.Default.(type) {
	case bool:
		if v {
			return "1", nil
		}
		return "0", nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), nil
	case []string:
		b, err := json.Marshal(v)
		if err != nil {
			return "", err
		}
		return quoteLiteral(string(b)), nil
	case string:
		if f.Type == spec.TypeTime {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return "", fmt.Errorf("field %s: default: %w", f.Name, err)
			}
			return strconv.FormatInt(t.UnixMicro(), 10), nil
		}
		return quoteLiteral(v), nil
	}
	return "", fmt.Errorf("field %s: unsupported default of type %T", f.Name, f.Default)
}

// liteColumns returns every column the store reads, in table order.
func liteColumns(s *spec.Spec) ([]liteColumn, error) {
	ts := func(name, field string, nullable bool) liteColumn {
		c := liteColumn{Name: name, Field: field, Type: "INTEGER", Nullable: nullable}
		if !nullable {
			c.Decl = "NOT NULL"
		}
		return c
	}
	cols := []liteColumn{
		{Name: "id", Field: "ID", Type: "INTEGER", Decl: "PRIMARY KEY AUTOINCREMENT"},
		liteUserID(s),
		{Name: "auth_type", Field: "AuthType", Type: "TEXT", Decl: `NOT NULL CHECK ("auth_type" IN ('header', 'cookie'))`},
		{Name: "access_hash", Field: "AccessHash", Type: "BLOB", Decl: "NOT NULL UNIQUE"},
		{Name: "refresh_hash", Field: "RefreshHash", Type: "BLOB", Nullable: true, Decl: "UNIQUE"},
		{Name: "prev_refresh_hash", Field: "PrevRefreshHash", Type: "BLOB", Nullable: true},
		ts("rotated_at", "RotatedAt", true),
		{Name: "context", Field: "Context", Type: "TEXT",
			Decl: `NOT NULL DEFAULT '{}' CHECK (json_valid("context") AND json_type("context") = 'object')`},
		ts("created_at", "CreatedAt", false),
		ts("last_refreshed_at", "LastRefreshedAt", false),
		ts("expires_at", "ExpiresAt", true),
		ts("refresh_until", "RefreshUntil", true),
		ts("revoked_at", "RevokedAt", true),
		{Name: "revoke_reason", Field: "RevokeReason", Type: "TEXT", Nullable: true},
		{Name: "access_ttl_ns", Field: "AccessTtlNs", Type: "INTEGER", Nullable: true},
		{Name: "refresh_ttl_ns", Field: "RefreshTtlNs", Type: "INTEGER", Nullable: true},
		{Name: "rotation_salt", Field: "RotationSalt", Type: "BLOB", Nullable: true},
	}
	for _, f := range s.Fields {
		c, err := liteField(f)
		if err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	return cols, nil
}

// liteNames are the SQLite table's objects besides its columns.
type liteNames struct {
	Table, Retired                                          string // quoted
	RetiredRaw                                              string
	UserIdx, ExpiresIdx, PrevIdx, RetiredHashIdx, RetiredID string // unquoted
	Trigger                                                 string // unquoted
}

func newLiteNames(s *spec.Spec) liteNames {
	t := s.Table
	return liteNames{
		Table: quoteIdent(t), Retired: quoteIdent(t + "_retired"), RetiredRaw: t + "_retired",
		UserIdx: t + "_user_id_idx", ExpiresIdx: t + "_expires_at_idx", PrevIdx: t + "_prev_refresh_hash_idx",
		RetiredHashIdx: t + "_retired_hash_idx", RetiredID: t + "_retired_token_id_idx",
		Trigger: t + "_retired_cleanup",
	}
}

// renderLiteInit renders the SQLite migration that creates the table, in
// goose's format.
func renderLiteInit(s *spec.Spec, source string) ([]byte, error) {
	cols, err := liteColumns(s)
	if err != nil {
		return nil, err
	}
	n := newLiteNames(s)
	var b bytes.Buffer
	fmt.Fprintf(&b, "-- %s\n-- source: %s\n--\n-- create table %s (SQLite)\n\n-- +goose Up\n", HeaderText, source, s.Table)
	b.WriteString(`--
-- The SQLite form of the PostgreSQL table: a STRICT table, times as Unix
-- microseconds (INTEGER), json, ip, uuid and string_list as checked TEXT.
-- One row is one login (a session); only hashes of tokens are stored.

`)
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s (\n", n.Table)
	for _, c := range cols {
		line := fmt.Sprintf("    %-19s %s", c.Quoted(), c.Type)
		if c.Decl != "" {
			line += " " + c.Decl
		}
		b.WriteString(line + ",\n")
	}
	b.WriteString(`    CHECK (("refresh_hash" IS NULL) = ("refresh_until" IS NULL)),
    CHECK ("revoked_at" IS NOT NULL OR "revoke_reason" IS NULL)
) STRICT;

`)
	fmt.Fprintf(&b, "CREATE INDEX IF NOT EXISTS %s ON %s (\"user_id\");\n", quoteIdent(n.UserIdx), n.Table)
	fmt.Fprintf(&b, "CREATE INDEX IF NOT EXISTS %s ON %s (\"expires_at\");\n", quoteIdent(n.ExpiresIdx), n.Table)
	fmt.Fprintf(&b, "CREATE INDEX IF NOT EXISTS %s ON %s (\"prev_refresh_hash\") WHERE \"prev_refresh_hash\" IS NOT NULL;\n\n", quoteIdent(n.PrevIdx), n.Table)
	fmt.Fprintf(&b, `-- Refresh tokens retired more than one rotation ago (the last 31 of each
-- row), for reuse detection: PostgreSQL keeps them in a bytea[] column.
CREATE TABLE IF NOT EXISTS %s (
    "seq"      INTEGER PRIMARY KEY,
    "token_id" INTEGER NOT NULL,
    "hash"     BLOB NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS %s ON %s ("hash");
CREATE INDEX IF NOT EXISTS %s ON %s ("token_id");
-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS %s AFTER DELETE ON %s
BEGIN
    DELETE FROM %s WHERE "token_id" = OLD."id";
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE %s;
DROP TABLE %s;
`, n.Retired, quoteIdent(n.RetiredHashIdx), n.Retired, quoteIdent(n.RetiredID), n.Retired,
		quoteIdent(n.Trigger), n.Table, n.Retired, n.Retired, n.Table)
	return b.Bytes(), nil
}

// liteStoreData is what store_sqlite.go.tmpl renders.
type liteStoreData struct {
	Source, Package, DBPath string
	Row                     string // the row struct of db/sqlite
	Custom                  bool   // the spec has custom columns
	Files                   []string
	Model                   runtime.TableModel
}

// renderLiteStore renders store_sqlite.go.
func renderLiteStore(s *spec.Spec, source, dbPath string, files []string, ls *liteSnapshot) ([]byte, error) {
	n := newLiteNames(s)
	d := liteStoreData{Source: source, Package: s.Package, DBPath: dbPath, Row: rowStruct(s), Custom: len(s.Fields) > 0, Files: files}
	d.Model = runtime.TableModel{Table: s.Table, Migration: ls.TableMigration}
	for _, c := range ls.Columns {
		d.Model.Columns = append(d.Model.Columns, runtime.ColumnModel{Name: c.Name, Type: c.Type, Nullable: c.Nullable, Migration: c.Migration})
	}
	for _, ix := range []string{n.UserIdx, n.ExpiresIdx, n.PrevIdx} {
		d.Model.Indexes = append(d.Model.Indexes, runtime.IndexModel{Name: ix, Migration: ls.TableMigration})
	}
	t, err := template.New("store_sqlite.go.tmpl").Funcs(template.FuncMap{
		"quote": strconv.Quote,
	}).ParseFS(templates.FS, "store_sqlite.go.tmpl")
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("render store_sqlite.go: %w", err)
	}
	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("format store_sqlite.go: %w\n%s", err, b.Bytes())
	}
	return src, nil
}

// liteQueriesName is the SQLite queries file beside queries.sql.
const liteQueriesName = "queries_sqlite.sql"

// renderLiteQueries renders sql/queries_sqlite.sql, the queries of sqlc's
// sqlite engine: the same names and parameters as queries.sql.
func renderLiteQueries(s *spec.Spec, source string) ([]byte, error) {
	m, err := newSQLModel(s, source)
	if err != nil {
		return nil, err
	}
	d := struct {
		Source, Table, Retired string
		Columns                []sqlColumn
	}{source, m.Table, newLiteNames(s).Retired, m.Columns}
	t, err := template.ParseFS(templates.FS, "queries_sqlite.sql.tmpl")
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("render %s: %w", liteQueriesName, err)
	}
	return b.Bytes(), nil
}

// liteSqlc is the sqlc.yaml entry of the SQLite engine.
type liteSqlc struct {
	SchemaPath, QueriesPath, Out string
	Overrides                    []liteOverride
}

// liteOverride maps one column of the SQLite table to its Go type in
// db/sqlite: the runtime.Lite* types where the SQLite form differs from
// the Go one, pointers for NULL, so that the rows convert to a Token with
// free type conversions.
type liteOverride struct {
	Column       string // table.column
	Nullable     bool
	Import, Type string
	Pointer      bool
}

// liteGoType is the Go type of a column in db/sqlite: a runtime type
// (Import set) or a predeclared one; "" keeps sqlc's own mapping.
func liteGoType(s *spec.Spec, c liteColumn, f *spec.Field) (typ string, runtimeType bool) {
	if f == nil {
		switch c.Name {
		case "refresh_hash", "prev_refresh_hash", "rotation_salt":
			return "LiteBlob", true
		case "rotated_at", "expires_at", "refresh_until", "revoked_at", "created_at", "last_refreshed_at":
			return "LiteTime", true
		case "context":
			return "LiteJSONText", true
		case "user_id":
			switch s.User.IDType {
			case spec.IDUUID:
				return "UUID", true
			case spec.IDString:
				return "string", false
			case spec.IDInt32:
				return "int32", false
			}
			return "int64", false
		case "revoke_reason":
			return "string", false
		case "access_ttl_ns", "refresh_ttl_ns":
			return "int64", false
		}
		return "", false
	}
	switch f.Type {
	case spec.TypeBool:
		return "bool", false
	case spec.TypeInt32:
		return "int32", false
	case spec.TypeInt64:
		return "int64", false
	case spec.TypeFloat64:
		return "float64", false
	case spec.TypeTime:
		return "LiteTime", true
	case spec.TypeUUID:
		return "UUID", true
	case spec.TypeIP:
		return "LiteAddr", true
	case spec.TypeJSON:
		return "LiteJSONText", true
	case spec.TypeStringList:
		return "LiteStrings", true
	}
	return "string", false // string, enum
}

// liteOverrides lists the sqlc.yaml overrides of the SQLite table.
func liteOverrides(s *spec.Spec) ([]liteOverride, error) {
	cols, err := liteColumns(s)
	if err != nil {
		return nil, err
	}
	fields := map[string]*spec.Field{}
	for i := range s.Fields {
		fields[s.Fields[i].Name] = &s.Fields[i]
	}
	var out []liteOverride
	for _, c := range cols {
		typ, isRuntime := liteGoType(s, c, fields[c.Name])
		if typ == "" {
			continue
		}
		o := liteOverride{Column: s.Table + "." + c.Name, Nullable: c.Nullable, Type: typ}
		if isRuntime {
			o.Import = runtimePath
		}
		// Slices are nil for NULL; other types are pointers.
		o.Pointer = c.Nullable && !strings.HasPrefix(typ, "LiteBlob") && typ != "LiteJSONText" && typ != "LiteStrings"
		out = append(out, o)
	}
	return out, nil
}

// liteDBDir is the folder of sqlc's SQLite output (package sqlite).
const liteDBDir = "db/sqlite"
