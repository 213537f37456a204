package gen

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pressly/goose/v3"

	"github.com/authentify-go/authentify/internal/spec"
	"github.com/authentify-go/authentify/litedb"
)

// genLite runs both planners as Generate does for src over the folders
// pg and lite and returns the new folders (file name → content).
func genLite(t *testing.T, src string, pg, lite FileSet, allow bool) (FileSet, FileSet, error) {
	t.Helper()
	s, err := spec.Load("authentify.yaml", []byte(src))
	if err != nil {
		t.Fatalf("spec does not load: %v\n%s", err, src)
	}
	return planBoth(s, Options{Source: "authentify.yaml", Migrations: pg, LiteMigrations: lite, AllowDestructive: allow})
}

// planBoth runs the PostgreSQL planner and, when the spec lists sqlite,
// the SQLite one, as Generate does, and returns the two folders.
func planBoth(s *spec.Spec, opt Options) (FileSet, FileSet, error) {
	out, snap, err := migrations(s, opt)
	if err != nil {
		return nil, nil, err
	}
	liteOut := FileSet{}
	if s.Has(spec.EngineSQLite) {
		lout, _, ls, err := liteMigrations(s, snap, opt)
		if err != nil {
			return nil, nil, err
		}
		if ls != snap.SQLite {
			snap.SQLite = ls
			out[snapshotPath] = snap.marshal()
		}
		for p, b := range lout {
			liteOut[strings.TrimPrefix(p, liteMigrationsDir+"/")] = b
		}
	}
	pgOut := FileSet{}
	for p, b := range out {
		pgOut[strings.TrimPrefix(p, migrationsDir+"/")] = b
	}
	return pgOut, liteOut, nil
}

// liteShape describes the SQLite table table of db: its columns (PRAGMA
// table_info, by name), the indexes of it and of its side table, its
// trigger and, when withSQL, its CREATE TABLE text (which holds the
// CHECKs).
func liteShape(t *testing.T, db *sql.DB, table string, withSQL bool) string {
	t.Helper()
	var lines []string
	q := func(query string, args ...any) {
		rows, err := db.QueryContext(t.Context(), query, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, fmt.Sprint(vals...))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	q(`SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?) ORDER BY name`, table)
	q(`SELECT name, "unique", partial FROM pragma_index_list(?) ORDER BY name`, table)
	q(`SELECT name, "unique" FROM pragma_index_list(?) ORDER BY name`, table+"_retired")
	q(`SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE type = 'trigger' ORDER BY name`)
	if withSQL {
		q(`SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?`, table)
	}
	return strings.Join(lines, "\n")
}

// liteFresh returns the shape of a new SQLite database made by the
// 0001_init.sql of src.
func liteFresh(t *testing.T, src, table string, withSQL bool) string {
	t.Helper()
	_, lite, err := genLite(t, src, nil, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	db := liteOpen(t)
	m, err := goose.NewProvider(goose.DialectSQLite3, db, liteFS(lite))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(t.Context()); err != nil {
		t.Fatal(err)
	}
	return liteShape(t, db, table, withSQL)
}

func liteOpen(t *testing.T) *sql.DB {
	t.Helper()
	db, err := litedb.Open(t.Context(), t.TempDir()+"/a.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func liteFS(lite FileSet) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, b := range lite {
		fsys[name] = &fstest.MapFile{Data: b}
	}
	return fsys
}

// liteSpecs are randomSpecs on both engines.
func liteSpecs(rng *rand.Rand, n int) []string {
	specs := randomSpecs(rng, n)
	for i, s := range specs {
		specs[i] = strings.Replace(s, "package: auth\n", "package: auth\nengines: [postgresql, sqlite]\n", 1)
	}
	return specs
}

func liteTable(src string) string {
	_, rest, _ := strings.Cut(src, "table: ")
	table, _, _ := strings.Cut(rest, "\n")
	return table
}

// TestSQLiteMigrationsReachTheModel is the SQLite twin of
// TestMigrationsReachTheModel: for random sequences of spec versions it
// generates both folders (with --allow-destructive), applies the SQLite
// migrations one by one with goose on a SQLite file holding sessions and
// retired refresh hashes, and checks after each step that the table is
// the one a fresh 0001_init.sql of that spec makes (columns, types,
// nullability, defaults, indexes, trigger and, after a rebuild, the
// CREATE TABLE text with its CHECKs), that the sessions survive (but
// those a destructive change deletes) and that the side table follows;
// then it rolls every migration back and checks each previous table.
func TestSQLiteMigrationsReachTheModel(t *testing.T) {
	const seed, sequences, versions = 20261202, 12, 6
	rng := rand.New(rand.NewPCG(seed, 0))
	for i := range sequences {
		specs := liteSpecs(rng, versions)
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			fail := func(format string, args ...any) {
				t.Helper()
				t.Fatalf(format+"\nspecs:\n%s", append(args, strings.Join(specs, "---\n"))...)
			}
			db := liteOpen(t)
			var pg, lite FileSet
			var steps []int // index in specs of each SQLite migration
			var files []string
			for v, src := range specs {
				var err error
				pg, lite, err = genLite(t, src, pg, lite, true)
				if err != nil {
					fail("v%d: %v", v+1, err)
				}
				if len(lite) > len(files) {
					files = slices.Sorted(func(yield func(string) bool) {
						for n := range lite {
							if !yield(n) {
								return
							}
						}
					})
					steps = append(steps, v)
				}
			}
			p, err := goose.NewProvider(goose.DialectSQLite3, db, liteFS(lite))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range steps {
				if _, err := p.UpByOne(t.Context()); err != nil {
					fail("up to %s: %v", files[k], err)
				}
				table := liteTable(specs[v])
				if k == 0 {
					if _, err := db.ExecContext(t.Context(), fmt.Sprintf(`INSERT INTO %[1]s ("user_id", "auth_type", "access_hash", "created_at", "last_refreshed_at") VALUES (7, 'header', x'01', 1, 1), (8, 'cookie', x'02', 1, 1);
INSERT INTO %[2]s ("token_id", "hash") VALUES (1, x'aa'), (2, x'bb');
DELETE FROM %[1]s WHERE "id" = 2;
INSERT INTO %[1]s ("user_id", "auth_type", "access_hash", "created_at", "last_refreshed_at") VALUES (9, 'header', x'03', 1, 1)`,
						quoteIdent(table), quoteIdent(table+"_retired"))); err != nil {
						fail("insert: %v", err)
					}
				}
				up := string(lite[files[k]])
				rebuilt := !strings.Contains(up, "ADD COLUMN")
				if got, want := liteShape(t, db, table, rebuilt), liteFresh(t, specs[v], table, rebuilt); got != want {
					fail("after %s the table differs from a fresh 0001:\n got: %s\nwant: %s\n%s", files[k], got, want, up)
				}
				var tokens, retired, maxID int
				if err := db.QueryRowContext(t.Context(), fmt.Sprintf(`SELECT count(*), coalesce(max("id"), 0), (SELECT count(*) FROM %s) FROM %s`, quoteIdent(table+"_retired"), quoteIdent(table))).Scan(&tokens, &maxID, &retired); err != nil {
					fail("after %s: %v", files[k], err)
				}
				if tokens != 2 && !strings.Contains(up, "DELETE FROM") {
					fail("after %s: %d sessions, want 2", files[k], tokens)
				}
				var has1 int
				if err := db.QueryRowContext(t.Context(), fmt.Sprintf(`SELECT count(*) FROM %s WHERE "id" = 1`, quoteIdent(table))).Scan(&has1); err != nil {
					fail("after %s: %v", files[k], err)
				}
				if retired != has1 {
					// Session 1 keeps its retired hash; session 2's went with it.
					fail("after %s: %d retired hashes, want %d", files[k], retired, has1)
				}
				// AUTOINCREMENT never reuses an id.
				if _, err := db.ExecContext(t.Context(), fmt.Sprintf(`INSERT INTO %s ("user_id", "auth_type", "access_hash", "created_at", "last_refreshed_at") VALUES (10, 'header', x'%02x', 1, 1)`, quoteIdent(table), 0x10+k)); err != nil {
					fail("after %s: insert: %v", files[k], err)
				}
				var id int
				if err := db.QueryRowContext(t.Context(), fmt.Sprintf(`SELECT max("id") FROM %s`, quoteIdent(table))).Scan(&id); err != nil || id != 4+k {
					fail("after %s: new id %d (%v), want %d", files[k], id, err, 4+k)
				}
				if _, err := db.ExecContext(t.Context(), fmt.Sprintf(`DELETE FROM %s WHERE "id" = ?`, quoteIdent(table)), id); err != nil {
					fail("after %s: %v", files[k], err)
				}
			}
			for k := len(steps) - 1; k > 0; k-- {
				if _, err := p.Down(t.Context()); err != nil {
					fail("down from %s: %v", files[k], err)
				}
				table := liteTable(specs[steps[k-1]])
				if got, want := liteShape(t, db, table, false), liteFresh(t, specs[steps[k-1]], table, false); got != want {
					fail("after rolling back %s:\n got: %s\nwant: %s", files[k], got, want)
				}
			}
		})
	}
}
