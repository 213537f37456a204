package runtime

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
)

// MigrateSQLite is Migrate for SQLite: it applies the migrations that
// versionTable (goose's layout, created when missing) does not record, in
// order, each in a BEGIN IMMEDIATE transaction of w together with its
// record, re-reading the applied versions first, so processes that migrate
// at once apply each migration exactly once. It returns the names of the
// migrations it applied.
func MigrateSQLite(ctx context.Context, db *sql.DB, w *LiteWriter, versionTable string, migs []Migration) ([]string, error) {
	vt := quoteIdent(versionTable)
	var applied []string
	for _, m := range migs {
		err := w.Do(ctx, db, func(q LiteQuerier) error {
			if _, err := q.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+vt+` (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    version_id INTEGER NOT NULL,
    is_applied INTEGER NOT NULL,
    tstamp TIMESTAMP DEFAULT (datetime('now'))
)`); err != nil {
				return err
			}
			done, err := liteApplied(ctx, q, vt)
			if err != nil {
				return err
			}
			if slices.Contains(done, m.Version) {
				return nil
			}
			if _, err := q.ExecContext(ctx, m.Up); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			if _, err := q.ExecContext(ctx, "INSERT INTO "+vt+" (version_id, is_applied) VALUES (?, 1)", m.Version); err != nil {
				return err
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

// liteApplied returns the versions goose's table records as applied (the
// latest record of each version decides).
func liteApplied(ctx context.Context, q LiteQuerier, vt string) ([]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT version_id FROM `+vt+` AS v
WHERE v.is_applied = 1 AND v.id = (SELECT max(w.id) FROM `+vt+` AS w WHERE w.version_id = v.version_id)
ORDER BY version_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// CheckSQLiteSchema is CheckSchema for SQLite: it compares the applied
// migrations (per versionTable) and the live table (PRAGMA table_info and
// index_list) with model, without changing anything. Column types are the
// declared ones (INTEGER, TEXT, BLOB, REAL).
func CheckSQLiteSchema(ctx context.Context, db *sql.DB, model TableModel, versionTable string, migs []Migration) error {
	var applied []int64
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?", versionTable).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		var err error
		if applied, err = liteApplied(ctx, db, quoteIdent(versionTable)); err != nil {
			return err
		}
	}
	var live LiveTable
	rows, err := db.QueryContext(ctx, "SELECT name, type, \"notnull\", dflt_value IS NOT NULL, pk FROM pragma_table_info(?)", model.Table)
	if err != nil {
		return err
	}
	for rows.Next() {
		var c LiveColumn
		var notNull, pk bool
		if err := rows.Scan(&c.Name, &c.Type, &notNull, &c.HasDefault, &pk); err != nil {
			rows.Close()
			return err
		}
		c.Nullable = !notNull && !pk
		live.Columns = append(live.Columns, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	live.Exists = len(live.Columns) > 0
	rows, err = db.QueryContext(ctx, "SELECT name FROM pragma_index_list(?)", model.Table)
	if err != nil {
		return err
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		live.Indexes = append(live.Indexes, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	return CompareSchema(model, migs, applied, live)
}
