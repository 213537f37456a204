package gen

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/authentify-go/authentify/internal/spec"
)

// SQLite migrations follow the PostgreSQL ones: each run that appends a
// PostgreSQL migration for a spec change that alters the SQLite table
// appends the matching sql/migrations_sqlite file, with the same number
// and slug when the two folders are in step. model.json's "sqlite" section
// records the SQLite table as of its last migration and the SHA-256 of
// every SQLite migration, so that --check and generation catch an edited
// or missing file as for PostgreSQL.
//
// SQLite's ALTER TABLE can add a column and rename a table; everything
// else is the table rebuild of https://sqlite.org/lang_altertable.html
// (create the new table, copy the rows, drop the old one, rename the new
// one, recreate the indexes and the trigger). goose runs a migration in a
// transaction, where PRAGMA foreign_keys cannot change: the rebuild needs
// no change of it, because no foreign key points at the token table (the
// side table of retired refresh hashes is cleaned by a trigger, not by a
// foreign key, and DROP TABLE drops the trigger before its implicit DELETE,
// so the side table keeps its rows); the rows copied keep their user_id
// references valid.

// liteSnapshot is the SQLite part of model.json.
type liteSnapshot struct {
	Table string `json:"table"`
	// TableMigration is the SQLite migration that last created, rebuilt or
	// renamed the table (and so made its indexes).
	TableMigration string           `json:"table_migration"`
	Columns        []liteSnapColumn `json:"columns"`
	Migrations     []snapMigration  `json:"migrations"`
}

// liteSnapColumn is a column of the SQLite table as of its last migration.
type liteSnapColumn struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Nullable bool   `json:"nullable,omitempty"`
	Decl     string `json:"decl,omitempty"`
	Default  string `json:"default,omitempty"` // SQL literal, for a custom column
	// Migration is the SQLite migration that last added or changed it.
	Migration string `json:"migration"`
}

func (c liteSnapColumn) column() liteColumn {
	return liteColumn{Name: c.Name, Type: c.Type, Nullable: c.Nullable, Decl: c.Decl, Default: c.Default}
}

func sameLiteColumn(a, b liteSnapColumn) bool {
	return a.Name == b.Name && a.Type == b.Type && a.Nullable == b.Nullable && a.Decl == b.Decl && a.Default == b.Default
}

// liteTableDef is the CREATE TABLE statement of the token table named
// table (quoted) with cols.
func liteTableDef(table string, cols []liteColumn) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s (\n", table)
	for _, c := range cols {
		line := fmt.Sprintf("    %-19s %s", c.Quoted(), c.Type)
		if c.Decl != "" {
			line += " " + c.Decl
		}
		b.WriteString(line + ",\n")
	}
	b.WriteString(`    CHECK (("refresh_hash" IS NULL) = ("refresh_until" IS NULL)),
    CHECK ("revoked_at" IS NOT NULL OR "revoke_reason" IS NULL)
) STRICT`)
	return b.String()
}

// liteTableIndexes are the CREATE INDEX statements of the token table.
func liteTableIndexes(n liteNames) []string {
	return []string{
		fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s ON %s (\"user_id\")", quoteIdent(n.UserIdx), n.Table),
		fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s ON %s (\"expires_at\")", quoteIdent(n.ExpiresIdx), n.Table),
		fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s ON %s (\"prev_refresh_hash\") WHERE \"prev_refresh_hash\" IS NOT NULL", quoteIdent(n.PrevIdx), n.Table),
	}
}

// liteRetiredIndexes are the CREATE INDEX statements of the side table.
func liteRetiredIndexes(n liteNames) []string {
	return []string{
		fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s ON %s (\"hash\")", quoteIdent(n.RetiredHashIdx), n.Retired),
		fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s ON %s (\"token_id\")", quoteIdent(n.RetiredID), n.Retired),
	}
}

// liteTrigger is the trigger that cleans the side table.
func liteTrigger(n liteNames) string {
	return fmt.Sprintf(`CREATE TRIGGER IF NOT EXISTS %s AFTER DELETE ON %s
BEGIN
    DELETE FROM %s WHERE "token_id" = OLD."id";
END`, quoteIdent(n.Trigger), n.Table, n.Retired)
}

// liteTableState is a SQLite table definition: its name and columns.
type liteTableState struct {
	table string
	cols  []liteColumn
}

func liteNamesOf(table string) liteNames { return newLiteNames(&spec.Spec{Table: table}) }

// liteRename renames the table, its side table, their indexes and the
// trigger from one name to another.
func liteRename(from, to string) []string {
	o, n := liteNamesOf(from), liteNamesOf(to)
	out := []string{
		fmt.Sprintf("DROP TRIGGER IF EXISTS %s", quoteIdent(o.Trigger)),
		fmt.Sprintf("ALTER TABLE %s RENAME TO %s", o.Table, n.Table),
		fmt.Sprintf("ALTER TABLE %s RENAME TO %s", o.Retired, n.Retired),
	}
	for _, ix := range []string{o.UserIdx, o.ExpiresIdx, o.PrevIdx, o.RetiredHashIdx, o.RetiredID} {
		out = append(out, "DROP INDEX IF EXISTS "+quoteIdent(ix))
	}
	out = append(out, liteTableIndexes(n)...)
	out = append(out, liteRetiredIndexes(n)...)
	return append(out, liteTrigger(n))
}

// liteRebuild returns the statements that turn the table from into to,
// copying the columns copy (the other columns of to take their default);
// exprs maps a copied column to the expression that computes it from the
// old row (default: the column). A NULL copied into a NOT NULL column
// becomes its default, or drops the row when it has none.
func liteRebuild(from, to liteTableState, copy []string, exprs map[string]string) []string {
	o, n := liteNamesOf(from.table), liteNamesOf(to.table)
	tmp := to.table + "_authentify_rebuild"
	qtmp := quoteIdent(tmp)
	list := make([]string, len(copy))
	sel := make([]string, len(copy))
	var where []string
	for i, c := range copy {
		list[i] = quoteIdent(c)
		e := quoteIdent(c)
		if x, ok := exprs[c]; ok {
			e = x
		}
		j := slices.IndexFunc(to.cols, func(t liteColumn) bool { return t.Name == c })
		k := slices.IndexFunc(from.cols, func(f liteColumn) bool { return f.Name == c })
		if t := to.cols[j]; !t.Nullable && from.cols[k].Nullable {
			if t.Default != "" {
				e = fmt.Sprintf("coalesce(%s, %s)", e, t.Default)
			} else {
				where = append(where, e+" IS NOT NULL")
			}
		}
		sel[i] = e
	}
	query := fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s", qtmp, strings.Join(list, ", "), strings.Join(sel, ", "), o.Table)
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	out := []string{
		liteTableDef(qtmp, to.cols),
		query,
		// Keep AUTOINCREMENT's high-water mark: no id is ever reused.
		fmt.Sprintf("UPDATE sqlite_sequence SET \"seq\" = (SELECT max(\"seq\") FROM sqlite_sequence WHERE \"name\" IN (%s, %s)) WHERE \"name\" = %s",
			quoteLiteral(from.table), quoteLiteral(tmp), quoteLiteral(tmp)),
		fmt.Sprintf("INSERT INTO sqlite_sequence (\"name\", \"seq\") SELECT %s, \"seq\" FROM sqlite_sequence WHERE \"name\" = %s AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE \"name\" = %s)",
			quoteLiteral(tmp), quoteLiteral(from.table), quoteLiteral(tmp)),
		// DROP TABLE drops the trigger first: the side table keeps its rows.
		"DROP TABLE " + o.Table,
		fmt.Sprintf("ALTER TABLE %s RENAME TO %s", qtmp, n.Table),
	}
	out = append(out, liteTableIndexes(n)...)
	if from.table != to.table {
		out = append(out, fmt.Sprintf("ALTER TABLE %s RENAME TO %s", o.Retired, n.Retired))
		for _, ix := range []string{o.RetiredHashIdx, o.RetiredID} {
			out = append(out, "DROP INDEX IF EXISTS "+quoteIdent(ix))
		}
		out = append(out, liteRetiredIndexes(n)...)
	}
	return append(out, liteTrigger(n))
}

// liteAddable reports whether SQLite's ALTER TABLE ADD COLUMN can add c:
// nullable or with a default (a constant in every spec type), and named by
// an identifier that needs no quotes (see liteAddName).
func liteAddable(c liteColumn) bool {
	return (c.Nullable || c.Default != "") && !sqliteKeywords[strings.ToUpper(c.Name)]
}

// liteAddName is the column name of an ADD COLUMN: unquoted, because sqlc's
// sqlite engine (which reads the migrations as the schema) keeps the quotes
// of a quoted name in ADD COLUMN as part of the name, so that the queries
// would not find the column (sqlc v1.31.1). Spec names are [a-z][a-z0-9_]*;
// a SQLite keyword needs quotes, so liteAddable sends it to the rebuild.
func liteAddName(c liteColumn) string { return c.Name }

// sqliteKeywords are SQLite's keywords (sqlite.org/lang_keywords.html).
var sqliteKeywords = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range strings.Fields(`ABORT ACTION ADD AFTER ALL ALTER ALWAYS ANALYZE AND AS ASC ATTACH
AUTOINCREMENT BEFORE BEGIN BETWEEN BY CASCADE CASE CAST CHECK COLLATE COLUMN COMMIT CONFLICT CONSTRAINT
CREATE CROSS CURRENT CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP DATABASE DEFAULT DEFERRABLE DEFERRED
DELETE DESC DETACH DISTINCT DO DROP EACH ELSE END ESCAPE EXCEPT EXCLUDE EXCLUSIVE EXISTS EXPLAIN FAIL
FILTER FIRST FOLLOWING FOR FOREIGN FROM FULL GENERATED GLOB GROUP GROUPS HAVING IF IGNORE IMMEDIATE IN
INDEX INDEXED INITIALLY INNER INSERT INSTEAD INTERSECT INTO IS ISNULL JOIN KEY LAST LEFT LIKE LIMIT MATCH
MATERIALIZED NATURAL NO NOT NOTHING NOTNULL NULL NULLS OF OFFSET ON OR ORDER OTHERS OUTER OVER PARTITION
PLAN PRAGMA PRECEDING PRIMARY QUERY RAISE RANGE RECURSIVE REFERENCES REGEXP REINDEX RELEASE RENAME
REPLACE RESTRICT RETURNING RIGHT ROLLBACK ROW ROWS SAVEPOINT SELECT SET TABLE TEMP TEMPORARY THEN TIES TO
TRANSACTION TRIGGER UNBOUNDED UNION UNIQUE UPDATE USING VACUUM VALUES VIEW VIRTUAL WHEN WHERE WINDOW WITH
WITHOUT`) {
		m[k] = true
	}
	return m
}()

// liteSnapColumns returns the snapshot columns of cols, each marked with
// the migration that last changed it compared with prev (nil: all mig).
func liteSnapColumns(cols []liteColumn, prev *liteSnapshot, mig string) []liteSnapColumn {
	out := make([]liteSnapColumn, len(cols))
	for i, c := range cols {
		sc := liteSnapColumn{Name: c.Name, Type: c.Type, Nullable: c.Nullable, Decl: c.Decl, Default: c.Default, Migration: mig}
		if prev != nil {
			for _, p := range prev.Columns {
				if sameLiteColumn(p, sc) {
					sc.Migration = p.Migration
				}
			}
		}
		out[i] = sc
	}
	return out
}

// liteMigrations returns the SQLite migrations folder and the SQLite part
// of the snapshot: the existing migrations (verified against snap.SQLite)
// and, when the SQLite table of the spec differs from the snapshot's, one
// new migration. snap is the snapshot the PostgreSQL planner produced; its
// planned changes say how each column changed.
func liteMigrations(s *spec.Spec, snap *snapshot, opt Options) (FileSet, []string, *liteSnapshot, error) {
	cols, err := liteColumns(s)
	if err != nil {
		return nil, nil, nil, err
	}
	out := FileSet{}
	var names []string
	for name, b := range opt.LiteMigrations {
		if path.Ext(name) == ".sql" {
			out[liteMigrationsDir+"/"+name] = b
			names = append(names, liteMigrationsDir+"/"+name)
		}
	}
	slices.Sort(names)
	prev := snap.SQLite
	if prev == nil {
		init, err := renderLiteInit(s, opt.Source)
		if err != nil {
			return nil, nil, nil, err
		}
		switch {
		case len(names) == 0:
			out[liteMigrationsDir+"/"+liteInitName] = init
			names = []string{liteMigrationsDir + "/" + liteInitName}
		case len(names) == 1 && bytes.Equal(opt.LiteMigrations[liteInitName], init):
			// Made before model.json tracked SQLite: adopted as it is.
		default:
			d := s.At("engines", fmt.Sprintf("%s holds SQLite migrations that %s does not record (written before authentify-gen planned SQLite migrations, or by hand): restore %s from version control, or delete %s while no database uses it", liteMigrationsDir, snapshotPath, snapshotPath, liteMigrationsDir))
			return nil, nil, nil, &spec.Errors{Diags: []spec.Diagnostic{d}}
		}
		ls := &liteSnapshot{Table: s.Table, TableMigration: liteInitName, Columns: liteSnapColumns(cols, nil, liteInitName),
			Migrations: []snapMigration{{File: liteInitName, SHA256: sha(out[liteMigrationsDir+"/"+liteInitName])}}}
		return out, names, ls, nil
	}
	var problems []string
	for _, mg := range prev.Migrations {
		b, ok := opt.LiteMigrations[mg.File]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s/%s is missing", liteMigrationsDir, mg.File))
		case sha(b) != mg.SHA256:
			problems = append(problems, fmt.Sprintf("%s/%s was edited after it was generated (an applied migration never changes): restore it from version control; a change of the spec goes into a new migration", liteMigrationsDir, mg.File))
		}
	}
	if len(problems) > 0 {
		return nil, nil, nil, errors.New(strings.Join(problems, "\n"))
	}
	next := liteSnapColumns(cols, nil, "")
	same := prev.Table == s.Table && len(prev.Columns) == len(next) &&
		!slices.ContainsFunc(prev.Columns, func(p liteSnapColumn) bool {
			return !slices.ContainsFunc(next, func(c liteSnapColumn) bool { return sameLiteColumn(p, c) })
		})
	if same {
		return out, names, prev, nil
	}

	// The file name: the PostgreSQL migration's when the folders are in
	// step, else the next number here with its slug.
	last := 0
	for name := range opt.LiteMigrations {
		if n, err := migrationNumber(name); err == nil {
			last = max(last, n)
		}
	}
	name := fmt.Sprintf("%04d_sqlite_model.sql", last+1)
	if snap.plannedIn != "" {
		name = snap.plannedIn
		if n, _ := migrationNumber(name); n <= last {
			_, slug, _ := strings.Cut(name, "_")
			name = fmt.Sprintf("%04d_%s", last+1, slug)
		}
	}
	up, down, summaries, destructive, altered, refused := litePlan(s, snap.planned, prev, cols, opt.AllowDestructive)
	if len(refused) > 0 {
		return nil, nil, nil, &spec.Errors{Diags: refused}
	}
	if len(summaries) == 0 {
		summaries = []string{"rebuild table " + s.Table + " to authentify's SQLite model"}
	}
	for i := range summaries {
		summaries[i] += " (SQLite)"
	}
	file := renderMigration(opt.Source, summaries, destructive, up, down)
	out[liteMigrationsDir+"/"+name] = file
	names = append(names, liteMigrationsDir+"/"+name)
	slices.Sort(names)
	ls := &liteSnapshot{Table: s.Table, TableMigration: prev.TableMigration, Columns: liteSnapColumns(cols, prev, name),
		Migrations: append(slices.Clone(prev.Migrations), snapMigration{File: name, SHA256: sha(file)})}
	if !altered {
		ls.TableMigration = name // rebuilt or renamed
	}
	return out, names, ls, nil
}

// litePlan returns the statements of the SQLite migration from prev to
// cols, following the PostgreSQL changes planned; altered reports that Up
// only adds columns (the table keeps its indexes).
func litePlan(s *spec.Spec, planned []change, prev *liteSnapshot, cols []liteColumn, allowDestructive bool) (up, down, summaries, destructive []string, altered bool, refused []spec.Diagnostic) {
	from := liteTableState{table: prev.Table}
	for _, c := range prev.Columns {
		from.cols = append(from.cols, c.column())
	}
	to := liteTableState{table: s.Table, cols: cols}
	oldT := quoteIdent(prev.Table)
	prevCol := func(name string) (liteColumn, bool) {
		i := slices.IndexFunc(from.cols, func(c liteColumn) bool { return c.Name == name })
		if i < 0 {
			return liteColumn{}, false
		}
		return from.cols[i], true
	}
	field := func(name string) (spec.Field, bool) {
		i := slices.IndexFunc(s.Fields, func(f spec.Field) bool { return f.Name == name })
		if i < 0 {
			return spec.Field{}, false
		}
		return s.Fields[i], true
	}
	// What changed beyond the PostgreSQL plan's kinds (a generator change
	// of the SQLite model) is covered by the rebuild.
	onlyAdds, onlyRename := true, true
	skip := map[string]bool{}    // columns not copied
	exprs := map[string]string{} // columns copied through an expression
	downExprs := map[string]string{}
	var pre []string
	for _, c := range planned {
		summaries = append(summaries, c.summary)
		if c.destructive != "" {
			destructive = append(destructive, c.destructive)
			if !allowDestructive {
				refused = append(refused, s.At(c.at, "destructive change refused: "+c.destructive+"; restore the spec, or run authentify-gen --allow-destructive to generate this migration"))
			}
		}
		if c.kind != changeAdd && c.kind != changeBase {
			onlyAdds = false
		}
		if c.kind != changeRename && c.kind != changeBase {
			onlyRename = false
		}
		col := quoteIdent(c.column)
		switch c.kind {
		case changeUserID:
			pre = append(pre, "DELETE FROM "+oldT)
		case changeRetype:
			skip[c.column] = true
		case changeNotNull:
			// The copy gives NULLs the default; without one, the rows go
			// (through the trigger, with their retired hashes).
			if f, _ := field(c.column); f.Default == nil {
				pre = append(pre, fmt.Sprintf("DELETE FROM %s WHERE %s IS NULL", oldT, col))
			}
		case changeValues:
			if len(c.added) > 0 {
				// Down: rows holding an added value take the old default (or
				// NULL).
				old, _ := prevCol(c.column)
				repl := "NULL"
				if old.Default != "" {
					repl = old.Default
				}
				downExprs[c.column] = fmt.Sprintf("CASE WHEN %s IN (%s) THEN %s ELSE %s END", col, quoteList(c.added), repl, col)
			}
			if len(c.removed) == 0 {
				continue
			}
			f, _ := field(c.column)
			repl := "NULL"
			if f.Default != nil {
				d, err := liteDefault(f)
				if err != nil {
					refused = append(refused, s.At(c.at, err.Error()))
					continue
				}
				repl = d
			}
			quoted := make([]string, len(c.removed))
			for i, v := range c.removed {
				quoted[i] = quoteLiteral(v)
			}
			exprs[c.column] = fmt.Sprintf("CASE WHEN %s IN (%s) THEN %s ELSE %s END", col, strings.Join(quoted, ", "), repl, col)
		}
	}
	if len(refused) > 0 {
		return nil, nil, nil, nil, false, refused
	}
	// The columns both tables have, unchanged in kind.
	var common []string
	for _, c := range cols {
		if _, ok := prevCol(c.Name); ok && !skip[c.Name] {
			common = append(common, c.Name)
		}
	}
	var added []liteColumn
	for _, c := range cols {
		if _, ok := prevCol(c.Name); !ok {
			added = append(added, c)
		} else if p, _ := prevCol(c.Name); p.Type != c.Type || p.Decl != c.Decl || p.Nullable != c.Nullable {
			onlyAdds, onlyRename = false, false
		}
	}
	if len(prev.Columns) != len(common)+len(skip) {
		onlyAdds, onlyRename = false, false // a column was dropped
	}
	switch {
	case onlyAdds && prev.Table == s.Table && len(added) > 0 && !slices.ContainsFunc(added, func(c liteColumn) bool { return !liteAddable(c) }):
		for _, c := range added {
			line := fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", oldT, liteAddName(c), c.Type)
			if c.Decl != "" {
				line += " " + c.Decl
			}
			up = append(up, line)
		}
		down = liteRebuild(to, from, common, downExprs)
		altered = true
	case onlyRename && len(added) == 0 && prev.Table != s.Table:
		up, down = liteRename(prev.Table, s.Table), liteRename(s.Table, prev.Table)
	default:
		up = append(pre, liteRebuild(from, to, common, exprs)...)
		down = liteRebuild(to, from, common, downExprs)
		if slices.ContainsFunc(planned, func(c change) bool { return c.kind == changeUserID }) {
			down = append([]string{"DELETE FROM " + quoteIdent(s.Table)}, down...)
		}
	}
	return up, down, summaries, destructive, altered, nil
}

// quoteList is vals as a list of SQL literals.
func quoteList(vals []string) string {
	quoted := make([]string, len(vals))
	for i, v := range vals {
		quoted[i] = quoteLiteral(v)
	}
	return strings.Join(quoted, ", ")
}
