package runtime

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Migration is one migration file of a generated package, in goose's
// format: NNNN_<slug>.sql with a "-- +goose Up" and a "-- +goose Down"
// section.
type Migration struct {
	Version int64  // NNNN
	Name    string // file name, e.g. "0002_add_plan.sql"
	Up      string // SQL of the Up section
	Down    string // SQL of the Down section
}

// ParseMigrations reads the named migration files from fsys (names are
// paths in fsys; the version is the number before the first "_" of the
// base name) and returns them ordered by version. Versions must be unique
// and every file must have an Up section.
func ParseMigrations(fsys fs.FS, names ...string) ([]Migration, error) {
	var out []Migration
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("authentify: migration %s: %w", name, err)
		}
		m, err := ParseMigration(name, string(b))
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b Migration) int { return int(a.Version - b.Version) })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("authentify: migrations %s and %s have the same version %d", out[i-1].Name, out[i].Name, out[i].Version)
		}
	}
	return out, nil
}

// ParseMigration parses one goose migration file.
func ParseMigration(name, src string) (Migration, error) {
	base := name[strings.LastIndexByte(name, '/')+1:]
	num, _, _ := strings.Cut(base, "_")
	v, err := strconv.ParseInt(num, 10, 64)
	if err != nil || v <= 0 {
		return Migration{}, fmt.Errorf("authentify: migration %s: the name must start with a positive number and _", name)
	}
	m := Migration{Version: v, Name: base}
	var section *strings.Builder
	var up, down strings.Builder
	seenUp := false
	for line := range strings.Lines(src) {
		switch strings.TrimSpace(line) {
		case "-- +goose Up":
			section, seenUp = &up, true
			continue
		case "-- +goose Down":
			section = &down
			continue
		}
		if section != nil {
			section.WriteString(line)
		}
	}
	if !seenUp {
		return Migration{}, fmt.Errorf("authentify: migration %s: no -- +goose Up section", name)
	}
	m.Up, m.Down = strings.TrimSpace(up.String()), strings.TrimSpace(down.String())
	return m, nil
}

// MigrationDB is what [Migrate] needs from the database. The generated
// package adapts its pgx pool to it.
type MigrationDB interface {
	// InTx runs f in one transaction: committed when f returns nil, rolled
	// back otherwise.
	InTx(ctx context.Context, f func(MigrationTx) error) error
}

// MigrationTx is a transaction of a [MigrationDB].
type MigrationTx interface {
	// Exec runs sql, which may hold several statements when args is empty.
	Exec(ctx context.Context, sql string, args ...any) error
	// Int64s runs a query whose rows are one bigint column.
	Int64s(ctx context.Context, sql string, args ...any) ([]int64, error)
}

// Migrate applies the migrations that versionTable does not record as
// applied, in order, each in its own transaction together with its record.
// Every transaction first takes a transaction-level advisory lock derived
// from versionTable, then re-reads the applied versions, so two processes
// that migrate at once apply each migration exactly once.
//
// versionTable has goose's layout (id, version_id, is_applied, tstamp) and
// is created when missing, so `goose -table <versionTable>` and Migrate can
// take turns on one database. It returns the names of the migrations it
// applied.
func Migrate(ctx context.Context, db MigrationDB, versionTable string, migs []Migration) ([]string, error) {
	var applied []string
	for _, m := range migs {
		err := db.InTx(ctx, func(tx MigrationTx) error {
			done, err := lockVersions(ctx, tx, versionTable, true)
			if err != nil {
				return err
			}
			if slices.Contains(done, m.Version) {
				return nil
			}
			if err := tx.Exec(ctx, m.Up); err != nil {
				return fmt.Errorf("authentify: migration %s: %w", m.Name, err)
			}
			if err := tx.Exec(ctx, "INSERT INTO "+quoteIdent(versionTable)+" (version_id, is_applied) VALUES ($1, true)", m.Version); err != nil {
				return fmt.Errorf("authentify: migration %s: record it: %w", m.Name, err)
			}
			applied = append(applied, m.Name)
			return nil
		})
		if err != nil {
			return applied, err
		}
	}
	return applied, nil
}

// AppliedMigrations returns the versions versionTable records as applied
// (none when it does not exist).
func AppliedMigrations(ctx context.Context, db MigrationDB, versionTable string) ([]int64, error) {
	var done []int64
	err := db.InTx(ctx, func(tx MigrationTx) error {
		var err error
		done, err = lockVersions(ctx, tx, versionTable, false)
		return err
	})
	return done, err
}

// lockVersions takes the migration lock and reads the applied versions,
// creating the version table first when create is set.
func lockVersions(ctx context.Context, tx MigrationTx, versionTable string, create bool) ([]int64, error) {
	if err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", "authentify migrate "+versionTable); err != nil {
		return nil, fmt.Errorf("authentify: migration lock: %w", err)
	}
	vt := quoteIdent(versionTable)
	if create {
		// goose's own layout and its version-0 row.
		ddl := "CREATE TABLE IF NOT EXISTS " + vt + ` (
	id integer PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY,
	version_id bigint NOT NULL,
	is_applied boolean NOT NULL,
	tstamp timestamp NOT NULL DEFAULT now()
);
INSERT INTO ` + vt + ` (version_id, is_applied) SELECT 0, true WHERE NOT EXISTS (SELECT 1 FROM ` + vt + `)`
		if err := tx.Exec(ctx, ddl); err != nil {
			return nil, fmt.Errorf("authentify: create %s: %w", versionTable, err)
		}
	} else {
		exists, err := tx.Int64s(ctx, "SELECT count(*) FROM pg_catalog.pg_class WHERE oid = to_regclass($1)", vt)
		if err != nil {
			return nil, fmt.Errorf("authentify: read %s: %w", versionTable, err)
		}
		if len(exists) == 0 || exists[0] == 0 {
			return nil, nil
		}
	}
	// goose deletes the row of a migration it rolls back; older goose
	// versions inserted is_applied = false instead: the latest row wins.
	done, err := tx.Int64s(ctx, `SELECT version_id FROM (
	SELECT DISTINCT ON (version_id) version_id, is_applied FROM `+vt+` ORDER BY version_id, id DESC
) AS v WHERE is_applied AND version_id > 0 ORDER BY version_id`)
	if err != nil {
		return nil, fmt.Errorf("authentify: read %s: %w", versionTable, err)
	}
	return done, nil
}

func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// TableModel is the token table a generated package expects: every column
// and every index it owns, each with the migration that created or last
// changed it.
type TableModel struct {
	Table string
	// Migration creates the table or gives it its current name.
	Migration string
	Columns   []ColumnModel
	Indexes   []IndexModel
	// Triggers are the triggers the generated code relies on: the token
	// cache's notifications (base model version 3).
	Triggers []TriggerModel
}

// ColumnModel is one expected column. Type is as PostgreSQL's format_type
// prints it (e.g. "timestamp with time zone", "text[]").
type ColumnModel struct {
	Name      string
	Type      string
	Nullable  bool
	Migration string
}

// IndexModel is one expected index.
type IndexModel struct {
	Name      string
	Migration string
}

// TriggerModel is one expected trigger on the token table.
type TriggerModel struct {
	Name      string
	Migration string
}

// LiveTable is the token table as found in the database.
type LiveTable struct {
	Exists   bool
	Columns  []LiveColumn
	Indexes  []string
	Triggers []LiveTrigger
}

// LiveTrigger is one trigger found on the token table.
type LiveTrigger struct {
	Name    string
	Enabled bool // false after ALTER TABLE … DISABLE TRIGGER
}

// LiveColumn is one column found in the database.
type LiveColumn struct {
	Name       string
	Type       string // format_type
	Nullable   bool
	HasDefault bool
}

// SchemaError says how the database differs from the generated model. It
// is returned by the generated Migrate and CheckSchema.
type SchemaError struct {
	Table string
	// Pending lists the migrations that are not applied, in order.
	Pending []string
	// Differences describes each mismatch between the live table and the
	// model, naming the migration that fixes it.
	Differences []string
}

// Error lists every pending migration and every difference.
func (e *SchemaError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "authentify: the database does not match the generated model of table %s", e.Table)
	if len(e.Pending) > 0 {
		fmt.Fprintf(&b, "\n  pending migrations: %s (run Service.Migrate, or apply sql/migrations with your migrator)", strings.Join(e.Pending, ", "))
	}
	for _, d := range e.Differences {
		b.WriteString("\n  " + d)
	}
	return b.String()
}

// CompareSchema compares the live table with the model and the applied
// migration versions with the embedded ones. It returns nil when they
// match, or a *SchemaError naming every difference.
func CompareSchema(model TableModel, migs []Migration, applied []int64, live LiveTable) error {
	e := &SchemaError{Table: model.Table}
	for _, m := range migs {
		if !slices.Contains(applied, m.Version) {
			e.Pending = append(e.Pending, m.Name)
		}
	}
	if !live.Exists {
		by := model.Migration
		if by == "" && len(migs) > 0 {
			by = migs[0].Name
		}
		e.Differences = append(e.Differences, fmt.Sprintf("table %s does not exist (made by migration %s)", model.Table, by))
		return e
	}
	cols := map[string]LiveColumn{}
	for _, c := range live.Columns {
		cols[c.Name] = c
	}
	for _, want := range model.Columns {
		got, ok := cols[want.Name]
		switch {
		case !ok:
			e.Differences = append(e.Differences, fmt.Sprintf("column %s is missing (added by migration %s)", want.Name, want.Migration))
		case got.Type != want.Type:
			e.Differences = append(e.Differences, fmt.Sprintf("column %s is %s, want %s (see migration %s)", want.Name, got.Type, want.Type, want.Migration))
		case got.Nullable != want.Nullable:
			e.Differences = append(e.Differences, fmt.Sprintf("column %s is %s, want %s (see migration %s)", want.Name, nullability(got.Nullable), nullability(want.Nullable), want.Migration))
		}
		delete(cols, want.Name)
	}
	var extra []string
	for name, c := range cols {
		if !c.Nullable && !c.HasDefault {
			extra = append(extra, fmt.Sprintf("column %s is not in the model and is NOT NULL without a default, so no token can be issued: drop it or give it a default", name))
		}
	}
	slices.Sort(extra)
	e.Differences = append(e.Differences, extra...)
	for _, want := range model.Indexes {
		if !slices.Contains(live.Indexes, want.Name) {
			e.Differences = append(e.Differences, fmt.Sprintf("index %s is missing (made by migration %s)", want.Name, want.Migration))
		}
	}
	e.Differences = append(e.Differences, triggerDifferences(model, live.Triggers)...)
	if len(e.Pending) == 0 && len(e.Differences) == 0 {
		return nil
	}
	return e
}

// CheckTriggers reports whether every trigger of model is on the table and
// enabled: nil, or a *SchemaError naming each missing or disabled one and
// the migration that creates it. The cache listener checks it before the
// cache serves, since without the triggers no instance learns of a
// revocation.
func CheckTriggers(model TableModel, live []LiveTrigger) error {
	diffs := triggerDifferences(model, live)
	if len(diffs) == 0 {
		return nil
	}
	return &SchemaError{Table: model.Table, Differences: diffs}
}

func triggerDifferences(model TableModel, live []LiveTrigger) []string {
	var out []string
	for _, want := range model.Triggers {
		i := slices.IndexFunc(live, func(t LiveTrigger) bool { return t.Name == want.Name })
		switch {
		case i < 0:
			out = append(out, fmt.Sprintf("trigger %s is missing (made by migration %s)", want.Name, want.Migration))
		case !live[i].Enabled:
			out = append(out, fmt.Sprintf("trigger %s is disabled (made by migration %s; ALTER TABLE %s ENABLE TRIGGER %s)", want.Name, want.Migration, model.Table, want.Name))
		}
	}
	return out
}

func nullability(nullable bool) string {
	if nullable {
		return "nullable"
	}
	return "NOT NULL"
}

// IsSchemaError reports whether err is or wraps a *SchemaError.
func IsSchemaError(err error) bool {
	var se *SchemaError
	return errors.As(err, &se)
}

// IsNil reports whether v is nil or a nil pointer, map, slice, channel,
// function or interface held in an interface (a "typed nil", such as the
// *pgxpool.Pool pgxpool.New returns with an error).
func IsNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Chan, reflect.Func, reflect.Interface, reflect.UnsafePointer:
		return rv.IsNil()
	}
	return false
}
