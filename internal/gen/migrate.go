package gen

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"go/format"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/template"

	"github.com/authentify-go/authentify/internal/spec"
	"github.com/authentify-go/authentify/runtime"
	"github.com/authentify-go/authentify/templates"
)

// Migrations live in <package>/sql/migrations: NNNN_<slug>.sql files in
// goose's format, which goose applies, sqlc reads as the schema and the
// generated Service.Migrate embeds, plus model.json, the snapshot of the
// model the last migration produced. Generation diffs the snapshot against
// the model of the spec and appends exactly one migration when they differ;
// existing migrations are never changed (model.json keeps their SHA-256, so
// an edited one is an error).
const (
	migrationsDir = "sql/migrations"
	snapshotName  = "model.json"
	snapshotPath  = migrationsDir + "/" + snapshotName
)

// snapshotFormat is the version of model.json's layout.
const snapshotFormat = 1

// snapshot is model.json: the model as of the last migration. It is
// deterministic (fields in a fixed order, lists in spec order) and meant to
// be read in code review.
type snapshot struct {
	Format int `json:"format"`
	// BaseVersion is the version of the generator's own base model (the
	// built-in columns and indexes); see baseVersions.
	BaseVersion int `json:"base_version"`
	// BaseMigrations[i] is the migration that brought the base model to
	// version i+1.
	BaseMigrations []string `json:"base_migrations"`
	Table          string   `json:"table"`
	// RenamedIn is the migration that last renamed the table (and the
	// indexes the generator owns), or "".
	RenamedIn string `json:"renamed_in,omitempty"`
	// VersionTable records applied migrations (goose's layout). It is named
	// after the first table and never renamed.
	VersionTable string          `json:"version_table"`
	UserIDType   string          `json:"user_id_type"`
	References   string          `json:"references,omitempty"`
	Columns      []snapColumn    `json:"columns"`
	Migrations   []snapMigration `json:"migrations"`
	// SQLite is the SQLite table and migrations (sql/migrations_sqlite)
	// of a spec that lists the sqlite engine.
	SQLite *liteSnapshot `json:"sqlite,omitempty"`

	// planned are the changes of the migration this run added (named
	// plannedIn), for the SQLite planner; not part of model.json.
	planned   []change
	plannedIn string
}

// snapColumn is a custom column as of the last migration.
type snapColumn struct {
	Name     string   `json:"name"`
	Type     string   `json:"type"` // SQL type
	Nullable bool     `json:"nullable"`
	Default  string   `json:"default,omitempty"` // SQL literal
	Values   []string `json:"values,omitempty"`  // enum values
	Check    string   `json:"check,omitempty"`   // name of the enum's CHECK constraint
	// Migration is the migration that last added or changed the column.
	Migration string `json:"migration"`
}

// snapMigration is a migration file and the SHA-256 of its content.
type snapMigration struct {
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
}

func (s *snapshot) column(name string) (snapColumn, bool) {
	for _, c := range s.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return snapColumn{}, false
}

func (s *snapshot) marshal() []byte {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		panic(err) // plain data: cannot fail
	}
	return append(b, '\n')
}

// baseVersion is one version of the generator's own base model.
//
// The base model is schema.sql.tmpl (version 1) followed by the Up
// statements of every later version. To change it in a future authentify
// version (say, per-session TTL columns):
//
//  1. append a baseVersion to baseVersions whose Up adds the columns to a
//     table of the previous version (ALTER TABLE … ADD COLUMN, nullable or
//     with a default so live rows stay valid) and whose Down removes them;
//     list the new columns and indexes so the drift check knows them;
//  2. use the columns in queries.sql.tmpl and the emitters;
//  3. regenerate the goldens: go test ./internal/gen -run
//     'TestScenarios|TestStockModelUpToDate|TestExampleUpToDate' -update
//     (the stock model's schema.sql appends the Up statements too).
//
// An index the generator owns is removed the same way: Up drops it, Down
// recreates it, and DropIndexes names it, so that the drift check stops
// expecting it (TestBaseModelAddsAndRemovesOwnedIndexes).
//
// Never edit the columns of schema.sql.tmpl: it is version 1, which the
// 0001_init.sql of existing apps was generated from (baseV1Columns must
// keep matching it; the generated Migrate's drift check in TestCompile
// fails otherwise). testBaseV2 in walk_test.go is a worked example.
//
// Up must be idempotent (ADD COLUMN IF NOT EXISTS, CREATE INDEX IF NOT
// EXISTS): a new package's 0001_init.sql runs every version's Up after
// CREATE TABLE IF NOT EXISTS, which may find a table that an older
// authentify created (CreateSchema before migrations existed) and that the
// Up statements must bring to the whole model
// (TestInitAdoptsTablesFromEveryBaseVersion).
//
// New apps get the whole model in 0001_init.sql; an app generated by an
// older authentify gets one NNNN_authentify_base_vN.sql on its next go
// generate, which Migrate (or the app's migrator) applies.
type baseVersion struct {
	Up, Down func(m sqlModel) []string
	// Drop, if set, undoes what DROP TABLE leaves behind of Up (a function):
	// the Down of a 0001_init.sql that holds this version runs it after
	// DROP TABLE.
	Drop        func(m sqlModel) []string
	Columns     []liveColumn // columns this version adds
	Indexes     []string     // index suffixes (sqlModel.Index) this version adds
	DropIndexes []string     // index suffixes an earlier version added that this one drops
	Triggers    []string     // names of the triggers this version creates on the token table
}

// ownedIndex is an index of the base model and the version that added it.
type ownedIndex struct {
	Suffix  string // for sqlModel.Index
	Version int    // 1-based base model version that added it
}

// baseIndexes returns the indexes the base model has at version n: those
// the versions up to n added, less those they dropped, in order.
func baseIndexes(bases []baseVersion, n int) []ownedIndex {
	var out []ownedIndex
	for v, b := range bases[:n] {
		out = slices.DeleteFunc(out, func(ix ownedIndex) bool { return slices.Contains(b.DropIndexes, ix.Suffix) })
		for _, ix := range b.Indexes {
			out = append(out, ownedIndex{Suffix: ix, Version: v + 1})
		}
	}
	return out
}

// liveColumn is a column of the expected live table.
type liveColumn struct {
	Name     string
	Type     string // SQL type as format_type prints it
	Nullable bool
}

// baseV1Columns are the columns of schema.sql.tmpl.
var baseV1Columns = []liveColumn{
	{"id", "bigint", false},
	{"user_id", "", false}, // type from the spec
	{"auth_type", "text", false},
	{"access_hash", "bytea", false},
	{"refresh_hash", "bytea", true},
	{"prev_refresh_hash", "bytea", true},
	{"retired_refresh_hashes", "bytea[]", false},
	{"rotated_at", "timestamp with time zone", true},
	{"context", "jsonb", false},
	{"created_at", "timestamp with time zone", false},
	{"last_refreshed_at", "timestamp with time zone", false},
	{"expires_at", "timestamp with time zone", true},
	{"refresh_until", "timestamp with time zone", true},
	{"revoked_at", "timestamp with time zone", true},
	{"revoke_reason", "text", true},
}

// baseV1Indexes are the index suffixes of schema.sql.tmpl.
var baseV1Indexes = []string{"user_id", "expires_at", "prev_refresh_hash", "retired_refresh_hashes"}

// baseVersions is the history of the base model; version i+1 is
// baseVersions[i]. Version 1 is schema.sql.tmpl and has no Up of its own.
var baseVersions = []baseVersion{
	{Columns: baseV1Columns, Indexes: baseV1Indexes},
	baseV2,
	baseV3,
}

// baseV2 adds the session's own lifetimes and the rotation salt.
//
//   - access_ttl_ns, refresh_ttl_ns: the lifetimes given explicitly at issue
//     (WithAccessTTL, WithRefreshTTL) in nanoseconds (-1: none), used for
//     every slide and refresh of the session; NULL means the settings'
//     token_ttl and refresh_token_ttl.
//   - rotation_salt: a random value drawn at each rotation and mixed into the
//     derivation of its successor tokens when a secret key is set, so that
//     the key and an old refresh token are not enough to compute them.
//
// All three are nullable, so live rows stay valid.
var baseV2 = baseVersion{
	Up: func(m sqlModel) []string {
		return []string{fmt.Sprintf(`ALTER TABLE %s ADD COLUMN IF NOT EXISTS "access_ttl_ns" bigint, ADD COLUMN IF NOT EXISTS "refresh_ttl_ns" bigint, ADD COLUMN IF NOT EXISTS "rotation_salt" bytea`, m.Table)}
	},
	Down: func(m sqlModel) []string {
		return []string{fmt.Sprintf(`ALTER TABLE %s DROP COLUMN "access_ttl_ns", DROP COLUMN "refresh_ttl_ns", DROP COLUMN "rotation_salt"`, m.Table)}
	},
	Columns: []liveColumn{
		{"access_ttl_ns", "bigint", true},
		{"refresh_ttl_ns", "bigint", true},
		{"rotation_salt", "bytea", true},
	},
}

// cacheChannel is the PostgreSQL notification channel of the token cache of
// the package whose version table is versionTable: fixed when the package's
// first table is created, like the version table, so that renaming the
// token table neither breaks the trigger nor moves the listener.
func cacheChannel(versionTable string) string {
	return strings.TrimSuffix(versionTable, "_schema_version") + "_cache"
}

// CacheNotifyFunc is the quoted name of the trigger function of the cache
// (see baseV3).
func (m sqlModel) CacheNotifyFunc() string {
	return quoteIdent(strings.TrimSuffix(m.VersionTable, "_schema_version") + "_cache_notify")
}

// cacheNotifyMargin is how long after its expires_at a row still counts as
// servable for the trigger: it covers clock skew between the database and
// the instances, whose caches drop an entry at expires_at by their own
// clock.
const cacheNotifyMargin = "5 minutes"

// cachePayloadMax is the longest "t:" list the trigger sends; PostgreSQL
// refuses payloads of 8000 bytes and more.
const cachePayloadMax = 7900

// baseV3 adds the notifications of the token cache (cache_size): after
// every UPDATE or DELETE statement on the token table, one pg_notify on the
// package's cache channel (see cacheChannel) in the same transaction, so
// that every instance's listener learns of every change that can end or
// alter a cached token, whichever path made it (manual SQL included):
//
//   - "t:<id>,…" with the ids of the rows that were still servable (not
//     revoked, expires_at not long past) when the list fits in 7900 bytes;
//   - else "u:<user_id::text>" when they all belong to one user;
//   - else "*" (a flush).
//
// A statement that changed no servable row (a cleanup of expired or
// revoked rows) sends nothing; inserts send nothing (a new row is in no
// cache). TRUNCATE sends "*". PostgreSQL allows transition tables only on
// single-event triggers, hence one trigger for UPDATE and one for DELETE,
// sharing the function.
var baseV3 = baseVersion{
	Triggers: []string{"authentify_cache_update", "authentify_cache_delete", "authentify_cache_truncate"},
	Up: func(m sqlModel) []string {
		channel := quoteLiteral(cacheChannel(m.VersionTable))
		fn := fmt.Sprintf(`CREATE OR REPLACE FUNCTION %[1]s() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
  users bigint;
  one_user text;
  ids text;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM pg_notify(%[2]s, '*');
    RETURN NULL;
  END IF;
  SELECT count(*), count(DISTINCT user_id), min(user_id::text) INTO n, users, one_user
    FROM authentify_old_rows
   WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now() - interval '%[3]s');
  IF n = 0 THEN
    RETURN NULL;
  END IF;
  IF n <= %[4]d / 2 THEN
    SELECT 't:' || string_agg(id::text, ',') INTO ids
      FROM authentify_old_rows
     WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now() - interval '%[3]s');
    IF octet_length(ids) <= %[4]d THEN
      PERFORM pg_notify(%[2]s, ids);
      RETURN NULL;
    END IF;
  END IF;
  IF users = 1 AND octet_length(one_user) <= %[4]d THEN
    PERFORM pg_notify(%[2]s, 'u:' || one_user);
  ELSE
    PERFORM pg_notify(%[2]s, '*');
  END IF;
  RETURN NULL;
END
$$`, m.CacheNotifyFunc(), channel, cacheNotifyMargin, cachePayloadMax)
		return []string{
			fn,
			fmt.Sprintf(`CREATE OR REPLACE TRIGGER "authentify_cache_update" AFTER UPDATE ON %s REFERENCING OLD TABLE AS authentify_old_rows FOR EACH STATEMENT EXECUTE FUNCTION %s()`, m.Table, m.CacheNotifyFunc()),
			fmt.Sprintf(`CREATE OR REPLACE TRIGGER "authentify_cache_delete" AFTER DELETE ON %s REFERENCING OLD TABLE AS authentify_old_rows FOR EACH STATEMENT EXECUTE FUNCTION %s()`, m.Table, m.CacheNotifyFunc()),
			fmt.Sprintf(`CREATE OR REPLACE TRIGGER "authentify_cache_truncate" AFTER TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION %s()`, m.Table, m.CacheNotifyFunc()),
		}
	},
	Down: func(m sqlModel) []string {
		return []string{
			fmt.Sprintf(`DROP TRIGGER "authentify_cache_truncate" ON %s`, m.Table),
			fmt.Sprintf(`DROP TRIGGER "authentify_cache_delete" ON %s`, m.Table),
			fmt.Sprintf(`DROP TRIGGER "authentify_cache_update" ON %s`, m.Table),
			fmt.Sprintf(`DROP FUNCTION %s()`, m.CacheNotifyFunc()),
		}
	},
	Drop: func(m sqlModel) []string {
		return []string{fmt.Sprintf(`DROP FUNCTION %s()`, m.CacheNotifyFunc())}
	},
}

// formatType is the type name PostgreSQL's format_type prints for a type
// as the templates write it.
func formatType(t string) string {
	switch t {
	case "timestamptz":
		return "timestamp with time zone"
	case "text[]":
		return "text[]"
	}
	return t
}

// planInput is what the planner compares: the previous snapshot (nil for a
// new package) and the spec's model.
type planInput struct {
	prev   *snapshot
	spec   *spec.Spec
	m      sqlModel
	bases  []baseVersion
	source string
	// allowDestructive turns refusals of destructive changes into
	// migrations that say so at their top.
	allowDestructive bool
}

// change is one step of a migration.
type change struct {
	slug        string   // for the file name
	summary     string   // for the comment at the top
	up, down    []string // statements, without the final ";"
	destructive string   // what would be lost, or ""
	at          string   // spec key path to report a refusal at
	// kind and column say what changed, for the SQLite planner
	// (sqlite_migrate.go): one of the change* kinds, and the custom column.
	kind, column string
	// removed and added are the enum values a changeValues removes and
	// adds.
	removed, added []string
}

// The kinds of change.
const (
	changeRename   = "rename"
	changeBase     = "base"
	changeUserID   = "user_id"
	changeDrop     = "drop"
	changeAdd      = "add"
	changeRetype   = "retype"
	changeDefault  = "default"
	changeNullable = "nullable"
	changeNotNull  = "not_null"
	changeValues   = "values"
)

// versionTableName is the name of the table that records applied
// migrations for a package whose first table is table.
func versionTableName(table string) string {
	const suffix = "_schema_version"
	if len(table)+len(suffix) > 63 {
		table = table[:63-len(suffix)]
	}
	return table + suffix
}

// CheckName is the quoted name of the CHECK constraint of an enum column.
func (m sqlModel) CheckName(column string) string {
	return strings.Trim(m.Constraint(column, "check"), `"`)
}

// Constraint returns a quoted constraint or index name <table>_<column>_<kind>
// shortened to PostgreSQL's 63-byte identifier limit.
func (m sqlModel) Constraint(column, kind string) string {
	suffix := "_" + column + "_" + kind
	base := m.TableRaw
	if len(base)+len(suffix) > 63 {
		base = base[:max(0, 63-len(suffix))]
	}
	name := base + suffix
	if len(name) > 63 {
		name = name[:63]
	}
	return quoteIdent(name)
}

// newSnapshot returns the snapshot of the spec's model, with the migration
// history of prev (nil for a new package).
func newSnapshot(in planInput) *snapshot {
	s := &snapshot{
		Format:      snapshotFormat,
		BaseVersion: len(in.bases),
		Table:       in.spec.Table,
		UserIDType:  in.m.UserIDType,
		Columns:     []snapColumn{},
		Migrations:  []snapMigration{},
	}
	if r := in.spec.User.References; r != nil {
		s.References = r.String()
	}
	if in.prev != nil {
		s.VersionTable = in.prev.VersionTable
		s.RenamedIn = in.prev.RenamedIn
		s.BaseMigrations = slices.Clone(in.prev.BaseMigrations)
		s.Migrations = slices.Clone(in.prev.Migrations)
		s.SQLite = in.prev.SQLite
	} else {
		s.VersionTable = versionTableName(in.spec.Table)
	}
	for _, c := range in.m.Columns {
		sc := snapColumn{Name: c.Raw, Type: c.Type, Nullable: !c.NotNull, Default: c.Default, Values: c.Values}
		if c.Check != "" {
			sc.Check = in.m.CheckName(c.Raw)
			if in.prev != nil {
				if old, ok := in.prev.column(c.Raw); ok && old.Check != "" {
					sc.Check = old.Check // names are kept across renames
				}
			}
		}
		s.Columns = append(s.Columns, sc)
	}
	return s
}

// plan returns the changes from in.prev to the spec's model, and the
// refusals (destructive changes without allowDestructive, unsupported
// changes) as diagnostics positioned in the spec.
func plan(in planInput) ([]change, []spec.Diagnostic) {
	prev, s, m := in.prev, in.spec, in.m
	var out []change
	var refused []spec.Diagnostic
	refuse := func(at, msg string) { refused = append(refused, s.At(at, msg)) }
	table := m.Table

	// The table's name.
	if prev.Table != s.Table {
		switch s.RenamedFrom {
		case prev.Table:
			old := sqlModel{TableRaw: prev.Table}
			c := change{
				kind:    changeRename,
				slug:    "rename_" + prev.Table,
				summary: fmt.Sprintf("rename table %s to %s", prev.Table, s.Table),
				up:      []string{fmt.Sprintf("ALTER TABLE %s RENAME TO %s", quoteIdent(prev.Table), table)},
				down:    []string{fmt.Sprintf("ALTER TABLE %s RENAME TO %s", table, quoteIdent(prev.Table))},
			}
			for _, ix := range baseIndexes(in.bases, min(prev.BaseVersion, len(in.bases))) {
				c.up = append(c.up, fmt.Sprintf("ALTER INDEX %s RENAME TO %s", old.Index(ix.Suffix), m.Index(ix.Suffix)))
				c.down = append(c.down, fmt.Sprintf("ALTER INDEX %s RENAME TO %s", m.Index(ix.Suffix), old.Index(ix.Suffix)))
			}
			out = append(out, c)
		case "":
			refuse("table", fmt.Sprintf("the table was %q in the last migration: to rename it and keep every session, add `renamed_from: %s` beside `table:`", prev.Table, prev.Table))
			return nil, refused
		default:
			refuse("renamed_from", fmt.Sprintf("the table was %q in the last migration, not %q: set `renamed_from: %s`", prev.Table, s.RenamedFrom, prev.Table))
			return nil, refused
		}
	}

	// The base model.
	if prev.BaseVersion > len(in.bases) {
		refuse("version", fmt.Sprintf("model.json was written by a newer authentify (base model version %d; this one knows %d): upgrade authentify-gen", prev.BaseVersion, len(in.bases)))
		return nil, refused
	}
	for v := prev.BaseVersion + 1; v <= len(in.bases); v++ {
		b := in.bases[v-1]
		out = append(out, change{
			kind:    changeBase,
			slug:    fmt.Sprintf("authentify_base_v%d", v),
			summary: fmt.Sprintf("upgrade authentify's base model from version %d to %d", v-1, v),
			up:      b.Up(m),
			down:    b.Down(m),
		})
	}

	// user.id_type
	if prev.UserIDType != m.UserIDType {
		out = append(out, change{
			kind:    changeUserID,
			slug:    "user_id_" + strings.ReplaceAll(m.UserIDType, " ", "_"),
			summary: fmt.Sprintf("change user_id from %s to %s", prev.UserIDType, m.UserIDType),
			up: []string{
				"DELETE FROM " + table,
				fmt.Sprintf(`ALTER TABLE %s ALTER COLUMN "user_id" TYPE %s USING NULL`, table, m.UserIDType),
			},
			down: []string{
				"DELETE FROM " + table,
				fmt.Sprintf(`ALTER TABLE %s ALTER COLUMN "user_id" TYPE %s USING NULL`, table, prev.UserIDType),
			},
			destructive: fmt.Sprintf("changing user.id_type from %s deletes every session (every user is logged out): existing user ids cannot become %s", sqlToIDType(prev.UserIDType), s.User.IDType),
			at:          "user.id_type",
		})
	}

	// user.references
	refs := ""
	if r := s.User.References; r != nil {
		refs = r.String()
	}
	if prev.References != refs {
		refuse("user.references", fmt.Sprintf("user.references changed from %q to %q: generated migrations cannot change the foreign key yet; restore it, or write that migration yourself in your own migrator", prev.References, refs))
	}

	// Custom columns.
	next := newSnapshot(in)
	for _, old := range prev.Columns {
		if _, ok := next.column(old.Name); ok {
			continue
		}
		out = append(out, change{
			kind:        changeDrop,
			column:      old.Name,
			slug:        "drop_" + old.Name,
			summary:     fmt.Sprintf("drop column %s", old.Name),
			up:          []string{fmt.Sprintf("ALTER TABLE %s DROP COLUMN %s", table, quoteIdent(old.Name))},
			down:        addColumn(table, old),
			destructive: fmt.Sprintf("removing custom column %q drops it: its value in every row is lost", old.Name),
			at:          "fields." + old.Name,
		})
	}
	for _, c := range next.Columns {
		old, ok := prev.column(c.Name)
		at := "fields." + c.Name
		if !ok {
			out = append(out, change{
				kind:    changeAdd,
				column:  c.Name,
				slug:    "add_" + c.Name,
				summary: fmt.Sprintf("add column %s", c.Name),
				up:      addColumn(table, c),
				down:    []string{fmt.Sprintf("ALTER TABLE %s DROP COLUMN %s", table, quoteIdent(c.Name))},
			})
			continue
		}
		col := quoteIdent(c.Name)
		alter := func(format string, args ...any) string {
			return fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s ", table, col) + fmt.Sprintf(format, args...)
		}
		if old.Type != c.Type || (old.Values == nil) != (c.Values == nil) {
			ch := change{
				kind:        changeRetype,
				column:      c.Name,
				slug:        "retype_" + c.Name,
				summary:     fmt.Sprintf("change the type of column %s from %s to %s", c.Name, old.Type, c.Type),
				up:          append([]string{fmt.Sprintf("ALTER TABLE %s DROP COLUMN %s", table, col)}, addColumn(table, c)...),
				down:        append([]string{fmt.Sprintf("ALTER TABLE %s DROP COLUMN %s", table, col)}, addColumn(table, old)...),
				destructive: fmt.Sprintf("changing the type of custom column %q recreates it: its value in every row is lost", c.Name),
				at:          at + ".type",
			}
			out = append(out, ch)
			continue
		}
		if old.Default != c.Default {
			ch := change{kind: changeDefault, column: c.Name, slug: c.Name + "_default", summary: fmt.Sprintf("change the default of column %s", c.Name)}
			set := func(d string) string {
				if d == "" {
					return alter("DROP DEFAULT")
				}
				return alter("SET DEFAULT %s", d)
			}
			ch.up, ch.down = []string{set(c.Default)}, []string{set(old.Default)}
			out = append(out, ch)
		}
		if old.Nullable != c.Nullable {
			ch := change{kind: changeNullable, column: c.Name, slug: c.Name + "_nullable", summary: fmt.Sprintf("make column %s nullable", c.Name)}
			notNull := func(d string) []string {
				return []string{
					fmt.Sprintf("UPDATE %s SET %s = %s WHERE %s IS NULL", table, col, d, col),
					alter("SET NOT NULL"),
				}
			}
			if c.Nullable {
				ch.up = []string{alter("DROP NOT NULL")}
				if old.Default != "" {
					ch.down = notNull(old.Default)
				} else {
					ch.down = []string{alter("SET NOT NULL")}
				}
			} else {
				ch.kind = changeNotNull
				ch.slug, ch.summary = c.Name+"_not_null", fmt.Sprintf("make column %s NOT NULL (NULLs become its default)", c.Name)
				ch.down = []string{alter("DROP NOT NULL")}
				if c.Default != "" {
					ch.up = notNull(c.Default)
				} else {
					ch.up = []string{fmt.Sprintf("DELETE FROM %s WHERE %s IS NULL", table, col), alter("SET NOT NULL")}
					ch.destructive = fmt.Sprintf("making custom column %q NOT NULL without a default deletes the sessions whose value is NULL", c.Name)
					ch.at = at + ".nullable"
				}
			}
			out = append(out, ch)
		}
		if !slices.Equal(old.Values, c.Values) {
			ch := change{
				kind:    changeValues,
				column:  c.Name,
				slug:    c.Name + "_values",
				summary: fmt.Sprintf("change the values of enum column %s to %s", c.Name, strings.Join(c.Values, ", ")),
				up:      replaceCheck(table, old.Check, c),
				down:    replaceCheck(table, old.Check, old),
			}
			var removed []string
			for _, v := range old.Values {
				if !slices.Contains(c.Values, v) {
					removed = append(removed, v)
				}
			}
			ch.removed = removed
			for _, v := range c.Values {
				if !slices.Contains(old.Values, v) {
					ch.added = append(ch.added, v)
				}
			}
			if len(removed) > 0 {
				quoted := make([]string, len(removed))
				for i, v := range removed {
					quoted[i] = quoteLiteral(v)
				}
				// Rows holding a removed value take the default (or NULL) so
				// that the new CHECK holds.
				repl := c.Default
				if repl == "" {
					repl = "NULL"
				}
				ch.up = append([]string{fmt.Sprintf("UPDATE %s SET %s = %s WHERE %s IN (%s)", table, col, repl, col, strings.Join(quoted, ", "))}, ch.up...)
				lost := "NULL"
				if c.Default != "" {
					lost = "the default " + c.Default
				}
				ch.destructive = fmt.Sprintf("removing %s from enum column %q sets it to %s in every row that holds it", strings.Join(quoted, ", "), c.Name, lost)
				ch.at = at + ".values"
			}
			out = append(out, ch)
		}
	}

	for _, c := range out {
		if c.destructive != "" && !in.allowDestructive {
			refuse(c.at, "destructive change refused: "+c.destructive+"; restore the spec, or run authentify-gen --allow-destructive to generate this migration")
		}
	}
	if len(refused) > 0 {
		return nil, refused
	}
	return out, nil
}

// sqlToIDType maps a user_id SQL type back to its spec name.
func sqlToIDType(t string) string {
	for _, id := range []spec.IDType{spec.IDInt64, spec.IDInt32, spec.IDUUID, spec.IDString} {
		if userIDSQLType(id) == t {
			return string(id)
		}
	}
	return t
}

// addColumn returns the statement that adds c.
func addColumn(table string, c snapColumn) []string {
	var b strings.Builder
	fmt.Fprintf(&b, "ALTER TABLE %s ADD COLUMN %s %s", table, quoteIdent(c.Name), c.Type)
	if !c.Nullable {
		b.WriteString(" NOT NULL")
	}
	if c.Default != "" {
		b.WriteString(" DEFAULT " + c.Default)
	}
	if c.Check != "" {
		fmt.Fprintf(&b, " CONSTRAINT %s CHECK (%s)", quoteIdent(c.Check), enumCheck(c.Name, c.Values))
	}
	return []string{b.String()}
}

// replaceCheck returns the statements that replace the CHECK constraint
// name of c's enum by one for c.Values.
func replaceCheck(table, name string, c snapColumn) []string {
	return []string{
		fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s", table, quoteIdent(name)),
		fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s)", table, quoteIdent(name), enumCheck(c.Name, c.Values)),
	}
}

// enumCheck is the CHECK expression of an enum column.
func enumCheck(column string, values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = quoteLiteral(v)
	}
	return quoteIdent(column) + " IN (" + strings.Join(quoted, ", ") + ")"
}

// migrationName returns NNNN_<slug>.sql for the n-th migration.
func migrationName(n int, changes []change) string {
	slug := changes[0].slug
	if len(changes) > 1 {
		slug += fmt.Sprintf("_and_%d_more", len(changes)-1)
	}
	slug = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return '_'
	}, slug)
	if len(slug) > 48 {
		slug = slug[:48]
	}
	return fmt.Sprintf("%04d_%s.sql", n, slug)
}

// renderMigration renders a migration file in goose's format.
func renderMigration(source string, summaries, destructive, up, down []string) []byte {
	var b bytes.Buffer
	b.WriteString(SQLHeader + "\n")
	b.WriteString("-- source: " + source + "\n")
	for _, d := range destructive {
		b.WriteString("-- DESTRUCTIVE (generated with --allow-destructive): " + d + ".\n")
	}
	b.WriteString("--\n")
	for _, s := range summaries {
		b.WriteString("-- " + s + "\n")
	}
	b.WriteString("\n-- +goose Up\n")
	for _, s := range up {
		writeStatement(&b, s)
	}
	b.WriteString("\n-- +goose Down\n")
	for _, s := range down {
		writeStatement(&b, s)
	}
	return b.Bytes()
}

func writeStatement(b *bytes.Buffer, s string) {
	s = strings.TrimRight(strings.TrimSpace(s), ";")
	if strings.Contains(s, "$$") || strings.HasPrefix(s, "CREATE TRIGGER") {
		// A function body holds semicolons: goose must not split it.
		b.WriteString("-- +goose StatementBegin\n" + s + ";\n-- +goose StatementEnd\n")
		return
	}
	b.WriteString(s + ";\n")
}

// migrationNumber returns the NNNN of a migration file name.
func migrationNumber(name string) (int, error) {
	num, _, ok := strings.Cut(name, "_")
	n, err := strconv.Atoi(num)
	if !ok || err != nil || n <= 0 || len(num) < 4 {
		return 0, fmt.Errorf("%s: not a migration name NNNN_<slug>.sql", name)
	}
	return n, nil
}

func migrationNumberOr0(name string) int {
	n, _ := migrationNumber(name)
	return n
}

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// migrations computes the sql/migrations files: the existing ones (from
// Options.Migrations, verified against the snapshot) and, when the spec's
// model differs from the snapshot, one new migration and the new snapshot.
// It also returns the snapshot in force, which the Go emitters use.
func migrations(s *spec.Spec, opt Options) (FileSet, *snapshot, error) {
	bases := opt.bases
	if bases == nil {
		bases = baseVersions
	}
	m, err := newSQLModel(s, opt.Source)
	if err != nil {
		return nil, nil, err
	}
	in := planInput{spec: s, m: m, bases: bases, source: opt.Source, allowDestructive: opt.AllowDestructive}
	out := FileSet{}

	prevJSON, hasPrev := opt.Migrations[snapshotName]
	if !hasPrev {
		for name := range opt.Migrations {
			if strings.HasSuffix(name, ".sql") {
				if b := opt.Migrations[name]; isOwned(b) {
					return nil, nil, fmt.Errorf("%s/%s exists but %s does not: restore %s from version control (it is the model the next migration starts from)", migrationsDir, name, snapshotPath, snapshotPath)
				}
			}
		}
		// A new package: the whole model in 0001_init.sql.
		snap := newSnapshot(in)
		schema, err := renderSchema(m)
		if err != nil {
			return nil, nil, err
		}
		up := []string{schema}
		for v := 2; v <= len(bases); v++ {
			up = append(up, bases[v-1].Up(m)...)
		}
		name := "0001_init.sql"
		down := []string{"DROP TABLE " + m.Table}
		for v := len(bases); v >= 2; v-- {
			if d := bases[v-1].Drop; d != nil {
				down = append(down, d(m)...)
			}
		}
		file := renderMigration(opt.Source, []string{"create table " + s.Table + " (authentify base model version " + strconv.Itoa(len(bases)) + ")"}, nil, up, down)
		snap.Migrations = append(snap.Migrations, snapMigration{File: name, SHA256: sha(file)})
		for range bases {
			snap.BaseMigrations = append(snap.BaseMigrations, name)
		}
		for i := range snap.Columns {
			snap.Columns[i].Migration = name
		}
		out[migrationsDir+"/"+name] = file
		out[snapshotPath] = snap.marshal()
		return out, snap, nil
	}

	var prev snapshot
	dec := json.NewDecoder(bytes.NewReader(prevJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&prev); err != nil {
		return nil, nil, fmt.Errorf("%s: %w (restore it from version control)", snapshotPath, err)
	}
	if prev.Format != snapshotFormat {
		return nil, nil, fmt.Errorf("%s: format %d; this authentify-gen reads format %d", snapshotPath, prev.Format, snapshotFormat)
	}
	if len(prev.Migrations) == 0 {
		return nil, nil, fmt.Errorf("%s lists no migration (restore it from version control)", snapshotPath)
	}
	// Every migration the snapshot lists must be there, unchanged.
	var problems []string
	for _, mg := range prev.Migrations {
		b, ok := opt.Migrations[mg.File]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s/%s is missing", migrationsDir, mg.File))
		case sha(b) != mg.SHA256:
			problems = append(problems, fmt.Sprintf("%s/%s was edited after it was generated (an applied migration never changes): restore it from version control; a change of the spec goes into a new migration", migrationsDir, mg.File))
		default:
			out[migrationsDir+"/"+mg.File] = b
		}
	}
	if len(problems) > 0 {
		return nil, nil, errors.New(strings.Join(problems, "\n"))
	}
	in.prev = &prev
	in.m.VersionTable = prev.VersionTable
	changes, refused := plan(in)
	if len(refused) > 0 {
		return nil, nil, &spec.Errors{Diags: refused}
	}
	if len(changes) == 0 {
		out[snapshotPath] = prevJSON
		return out, &prev, nil
	}
	last, err := migrationNumber(prev.Migrations[len(prev.Migrations)-1].File)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", snapshotPath, err)
	}
	// A migration someone else put in the folder keeps its number.
	for name := range opt.Migrations {
		if n, err := migrationNumber(name); err == nil && strings.HasSuffix(name, ".sql") {
			last = max(last, n)
		}
	}
	name := migrationName(last+1, changes)
	var summaries, destructive, up, down []string
	for _, c := range changes {
		summaries = append(summaries, c.summary)
		if c.destructive != "" {
			destructive = append(destructive, c.destructive)
		}
		up = append(up, c.up...)
	}
	for i := len(changes) - 1; i >= 0; i-- {
		down = append(down, changes[i].down...)
	}
	file := renderMigration(opt.Source, summaries, destructive, up, down)
	next := newSnapshot(in)
	for len(next.BaseMigrations) < next.BaseVersion {
		next.BaseMigrations = append(next.BaseMigrations, name)
	}
	next.Migrations = append(next.Migrations, snapMigration{File: name, SHA256: sha(file)})
	if prev.Table != next.Table {
		next.RenamedIn = name
	}
	for i, c := range next.Columns {
		old, ok := prev.column(c.Name)
		c.Migration = name
		if ok {
			o, n := old, c
			o.Migration, n.Migration = "", ""
			if equalColumn(o, n) {
				c.Migration = old.Migration
			}
		}
		next.Columns[i] = c
	}
	next.planned, next.plannedIn = changes, name
	out[migrationsDir+"/"+name] = file
	out[snapshotPath] = next.marshal()
	return out, next, nil
}

func equalColumn(a, b snapColumn) bool {
	return a.Name == b.Name && a.Type == b.Type && a.Nullable == b.Nullable && a.Default == b.Default &&
		slices.Equal(a.Values, b.Values) && a.Check == b.Check
}

// isMigrationFile reports whether a file of sql/migrations is read as
// part of the package's migration state.
func isMigrationFile(name string) bool {
	return name == snapshotName || (path.Ext(name) == ".sql" && !strings.HasPrefix(name, "."))
}

// ReadMigrations reads the sql/migrations folder of the package directory
// dir for Options.Migrations: model.json and the .sql files. A missing
// folder is an empty set.
func ReadMigrations(dir string) (FileSet, error) {
	out := FileSet{}
	root := filepath.Join(dir, filepath.FromSlash(migrationsDir))
	entries, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !isMigrationFile(e.Name()) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(root, e.Name()))
		if err != nil {
			return nil, err
		}
		out[e.Name()] = b
	}
	return out, nil
}

// ReadLiteMigrations reads the package's SQLite migrations folder
// (sql/migrations_sqlite) for Options.LiteMigrations; missing is empty.
func ReadLiteMigrations(dir string) (FileSet, error) {
	out := FileSet{}
	root := filepath.Join(dir, filepath.FromSlash(liteMigrationsDir))
	entries, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || path.Ext(e.Name()) != ".sql" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(root, e.Name()))
		if err != nil {
			return nil, err
		}
		out[e.Name()] = b
	}
	return out, nil
}

// migrateGoData is what migrate.go.tmpl renders from.
type migrateGoData struct {
	// SQLite: Migrate and CheckSchema also serve a Service made by NewSQLite.
	SQLite bool
	// Postgres: the PostgreSQL migrations, model and Migrate (pgx).
	Postgres                                          bool
	Source, Package, Table, QuotedTable, VersionTable string
	CacheChannel                                      string
	TableMigration                                    string
	Files                                             []string
	Columns                                           []runtime.ColumnModel
	Indexes                                           []runtime.IndexModel
	Triggers                                          []runtime.TriggerModel
}

// renderMigrateGo renders migrate.go: the embedded migrations, the
// expected table model, Migrate and CheckSchema.
func renderMigrateGo(s *spec.Spec, opt Options, snap *snapshot, files []string) ([]byte, error) {
	bases := opt.bases
	if bases == nil {
		bases = baseVersions
	}
	m, err := newSQLModel(s, opt.Source)
	if err != nil {
		return nil, err
	}
	slices.Sort(files)
	d := migrateGoData{
		Source: opt.Source, Package: s.Package, Table: s.Table, QuotedTable: m.Table,
		VersionTable: snap.VersionTable, CacheChannel: cacheChannel(snap.VersionTable), Files: files,
		TableMigration: snap.Migrations[0].File, SQLite: s.Has(spec.EngineSQLite), Postgres: s.Has(spec.EnginePostgreSQL),
	}
	if snap.RenamedIn != "" {
		d.TableMigration = snap.RenamedIn
	}
	for v, b := range bases[:snap.BaseVersion] {
		mig := snap.BaseMigrations[v]
		for _, c := range b.Columns {
			t := c.Type
			if c.Name == "user_id" {
				t = formatType(m.UserIDType)
			}
			d.Columns = append(d.Columns, runtime.ColumnModel{Name: c.Name, Type: t, Nullable: c.Nullable, Migration: mig})
		}
	}
	for v, b := range bases[:snap.BaseVersion] {
		// A trigger follows its table through a rename and keeps its name.
		for _, name := range b.Triggers {
			d.Triggers = append(d.Triggers, runtime.TriggerModel{Name: name, Migration: snap.BaseMigrations[v]})
		}
	}
	for _, ix := range baseIndexes(bases, snap.BaseVersion) {
		mig := snap.BaseMigrations[ix.Version-1]
		if r := snap.RenamedIn; r != "" {
			if a, b := migrationNumberOr0(r), migrationNumberOr0(mig); a > b {
				mig = r // the index got its current name there
			}
		}
		d.Indexes = append(d.Indexes, runtime.IndexModel{Name: strings.Trim(m.Index(ix.Suffix), `"`), Migration: mig})
	}
	for _, c := range snap.Columns {
		d.Columns = append(d.Columns, runtime.ColumnModel{Name: c.Name, Type: formatType(c.Type), Nullable: c.Nullable, Migration: c.Migration})
	}
	t, err := template.ParseFS(templates.FS, "migrate.go.tmpl")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, d); err != nil {
		return nil, fmt.Errorf("render migrate.go: %w", err)
	}
	src, err := format.Source(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("format migrate.go: %w\n%s", err, buf.Bytes())
	}
	return src, nil
}

// renderSchema renders the whole model of version 1 of the base model plus
// the custom columns (schema.sql.tmpl without its header lines).
func renderSchema(m sqlModel) (string, error) {
	t, err := template.ParseFS(templates.FS, "schema.sql.tmpl")
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, m); err != nil {
		return "", fmt.Errorf("render schema: %w", err)
	}
	lines := strings.SplitN(buf.String(), "\n", 3)
	return strings.TrimSpace(lines[len(lines)-1]), nil
}
