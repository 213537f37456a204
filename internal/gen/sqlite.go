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
	// Enc says how Go values cross: "" as they are, "scan" through
	// runtime.LiteArg and LiteScan (time, ip, string_list), "arg" through
	// runtime.LiteArg only (uuid, which scans itself), "json" through
	// runtime.LiteJSON.
	Enc string
}

// Quoted is the column's quoted name.
func (c liteColumn) Quoted() string { return quoteIdent(c.Name) }

// Arg renders expr (a Go expression of the column's row type) as a
// SQLite argument.
func (c liteColumn) Arg(expr string) string {
	switch c.Enc {
	case "arg", "scan":
		return "runtime.LiteArg(" + expr + ")"
	case "json":
		return "runtime.LiteJSON(" + expr + ")"
	}
	return expr
}

// Dest renders the Scan destination of the column in row r.
func (c liteColumn) Dest(r string) string {
	if c.Enc == "scan" {
		return "runtime.LiteScan(&" + r + "." + c.Field + ")"
	}
	return "&" + r + "." + c.Field
}

// liteUserID is the column of user ids.
func liteUserID(s *spec.Spec) liteColumn {
	c := liteColumn{Name: "user_id", Field: "UserID", Type: "INTEGER", Decl: "NOT NULL"}
	switch s.User.IDType {
	case spec.IDInt32:
		c.Decl += ` CHECK ("user_id" BETWEEN -2147483648 AND 2147483647)`
	case spec.IDUUID:
		c.Type, c.Enc = "TEXT", "arg"
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
		c.Type, c.Enc = "INTEGER", "scan"
	case spec.TypeUUID:
		c.Type, c.Enc, check = "TEXT", "arg", q+" GLOB '"+uuidGlob+"'"
	case spec.TypeIP:
		// netip.Addr's text form: an IPv4 dotted quad or an IPv6 address
		// (with an optional zone).
		c.Type, c.Enc, check = "TEXT", "scan", fmt.Sprintf("length(%s) BETWEEN 2 AND 64 AND (%s GLOB '*.*' OR %s GLOB '*:*')", q, q, q)
	case spec.TypeJSON:
		c.Type, c.Enc, check = "TEXT", "json", "json_valid("+q+")"
	case spec.TypeStringList:
		c.Type, c.Enc, check = "TEXT", "scan", fmt.Sprintf("json_valid(%s) AND json_type(%s) = 'array'", q, q)
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
		c := liteColumn{Name: name, Field: field, Type: "INTEGER", Nullable: nullable, Enc: "scan"}
		if !nullable {
			c.Decl = "NOT NULL"
		}
		return c
	}
	cols := []liteColumn{
		{Name: "id", Field: "ID", Type: "INTEGER", Decl: "PRIMARY KEY AUTOINCREMENT"},
		liteUserID(s),
		{Name: "auth_type", Field: "AuthType", Type: "TEXT", Decl: `NOT NULL CHECK ("auth_type" IN ('header', 'cookie'))`},
		{Name: "access_hash", Field: "AccessHash", Type: "BLOB", Decl: "NOT NULL UNIQUE", Enc: "arg"},
		{Name: "refresh_hash", Field: "RefreshHash", Type: "BLOB", Nullable: true, Decl: "UNIQUE", Enc: "arg"},
		{Name: "prev_refresh_hash", Field: "PrevRefreshHash", Type: "BLOB", Nullable: true, Enc: "arg"},
		ts("rotated_at", "RotatedAt", true),
		{Name: "context", Field: "Context", Type: "TEXT", Enc: "json",
			Decl: `NOT NULL DEFAULT '{}' CHECK (json_valid("context") AND json_type("context") = 'object')`},
		ts("created_at", "CreatedAt", false),
		ts("last_refreshed_at", "LastRefreshedAt", false),
		ts("expires_at", "ExpiresAt", true),
		ts("refresh_until", "RefreshUntil", true),
		ts("revoked_at", "RevokedAt", true),
		{Name: "revoke_reason", Field: "RevokeReason", Type: "TEXT", Nullable: true},
		{Name: "access_ttl_ns", Field: "AccessTtlNs", Type: "INTEGER", Nullable: true},
		{Name: "refresh_ttl_ns", Field: "RefreshTtlNs", Type: "INTEGER", Nullable: true},
		{Name: "rotation_salt", Field: "RotationSalt", Type: "BLOB", Nullable: true, Enc: "arg"},
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
	Names                   liteNames
	Columns                 []liteColumn
	Custom                  []liteColumn
	UserID                  liteColumn
	VersionTable            string
	Files                   []string
	Model                   runtime.TableModel
}

// SelectList is the column list of every read.
func (d liteStoreData) SelectList() string {
	q := make([]string, len(d.Columns))
	for i, c := range d.Columns {
		q[i] = c.Quoted()
	}
	return strings.Join(q, ", ")
}

// renderLiteStore renders store_sqlite.go.
func renderLiteStore(s *spec.Spec, source, dbPath, versionTable string, files []string, ls *liteSnapshot) ([]byte, error) {
	cols, err := liteColumns(s)
	if err != nil {
		return nil, err
	}
	n := newLiteNames(s)
	d := liteStoreData{Source: source, Package: s.Package, DBPath: dbPath, Names: n, Columns: cols,
		Custom: cols[17:], UserID: cols[1], VersionTable: versionTable, Files: files}
	d.Model = runtime.TableModel{Table: s.Table, Migration: ls.TableMigration}
	for _, c := range ls.Columns {
		d.Model.Columns = append(d.Model.Columns, runtime.ColumnModel{Name: c.Name, Type: c.Type, Nullable: c.Nullable, Migration: c.Migration})
	}
	for _, ix := range []string{n.UserIdx, n.ExpiresIdx, n.PrevIdx} {
		d.Model.Indexes = append(d.Model.Indexes, runtime.IndexModel{Name: ix, Migration: ls.TableMigration})
	}
	t, err := template.New("store_sqlite.go.tmpl").Funcs(template.FuncMap{
		"quote": strconv.Quote,
		"last":  func(i int, l []liteColumn) bool { return i == len(l)-1 },
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
