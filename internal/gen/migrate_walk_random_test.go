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

	"github.com/authentify-go/authentify/internal/pgtest"
	"github.com/authentify-go/authentify/internal/spec"
)

// randomSpecs returns n seeded random spec versions over a few custom
// columns: each version adds, drops or changes columns (type, nullability,
// default, enum values) and sometimes renames the table.
func randomSpecs(rng *rand.Rand, n int) []string {
	table, prevTable := "t1", ""
	var out []string
	for i := range n {
		if i > 0 && rng.IntN(5) == 0 {
			prevTable, table = table, fmt.Sprintf("t%d", i+1)
		} else {
			prevTable = ""
		}
		var b strings.Builder
		fmt.Fprintf(&b, "version: 1\npackage: auth\ntable: %s\n", table)
		if prevTable != "" {
			fmt.Fprintf(&b, "renamed_from: %s\n", prevTable)
		}
		var fields []string
		for c := 1; c <= 4; c++ {
			if rng.IntN(10) < 4 {
				continue
			}
			nullable := rng.IntN(2) == 0
			var f string
			switch rng.IntN(3) {
			case 0:
				f = "type: string"
				if !nullable || rng.IntN(2) == 0 {
					f += ", default: " + []string{"x", "y"}[rng.IntN(2)]
				}
			case 1:
				f = "type: int64"
				if !nullable || rng.IntN(2) == 0 {
					f += fmt.Sprintf(", default: %d", rng.IntN(3))
				}
			case 2:
				var vals []string
				for _, v := range []string{"a", "b", "c", "d"} {
					if rng.IntN(2) == 0 {
						vals = append(vals, v)
					}
				}
				if len(vals) == 0 {
					vals = []string{"a"}
				}
				f = "type: enum, values: [" + strings.Join(vals, ", ") + "]"
				if !nullable || rng.IntN(2) == 0 {
					f += ", default: " + vals[rng.IntN(len(vals))]
				}
			}
			if nullable {
				f += ", nullable: true"
			}
			fields = append(fields, fmt.Sprintf("  c%d: { %s }\n", c, f))
		}
		if len(fields) > 0 {
			b.WriteString("fields:\n" + strings.Join(fields, ""))
		}
		out = append(out, b.String())
	}
	return out
}

// TestMigrationsReachTheModel is a seeded generative test of the planner:
// for random sequences of spec versions it generates the migrations (with
// --allow-destructive), applies them one by one with goose on an empty
// database and checks after each step that the live table is exactly the
// snapshot's model (columns, types, nullability, defaults, enum CHECKs,
// the generator's indexes); then it rolls them back one by one and checks
// each previous model again. A failing sequence prints its specs: keep it
// as a txtar scenario.
func TestMigrationsReachTheModel(t *testing.T) {
	requirePostgres(t)
	const seed, sequences, versions = 20261201, 10, 5
	rng := rand.New(rand.NewPCG(seed, 0))
	for i := range sequences {
		specs := randomSpecs(rng, versions)
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			var snaps []*snapshot
			folder := FileSet{}
			for v, src := range specs {
				s, err := spec.Load("authentify.yaml", []byte(src))
				if err != nil {
					t.Fatalf("v%d does not load: %v\n%s", v+1, err, src)
				}
				out, snap, err := migrations(s, Options{Source: "authentify.yaml", Migrations: folder, AllowDestructive: true})
				if err != nil {
					t.Fatalf("v%d: %v\nspecs:\n%s", v+1, err, strings.Join(specs, "---\n"))
				}
				folder = FileSet{}
				for p, b := range out {
					folder[strings.TrimPrefix(p, migrationsDir+"/")] = b
				}
				if len(snaps) == 0 || len(snap.Migrations) > len(snaps[len(snaps)-1].Migrations) {
					snaps = append(snaps, snap)
				}
			}
			var names []string
			for _, m := range snaps[len(snaps)-1].Migrations {
				names = append(names, m.File)
			}
			t.Logf("migrations: %s", strings.Join(names, " "))
			fsys := fstest.MapFS{}
			for name, b := range folder {
				if strings.HasSuffix(name, ".sql") {
					fsys[name] = &fstest.MapFile{Data: b}
				}
			}
			db, err := sql.Open("pgx", pgtest.NewDatabase(t))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithTableName(snaps[0].VersionTable))
			if err != nil {
				t.Fatal(err)
			}
			fail := func(format string, args ...any) {
				t.Helper()
				t.Fatalf(format+"\nspecs:\n%s", append(args, strings.Join(specs, "---\n"))...)
			}
			for k, snap := range snaps {
				if _, err := p.UpByOne(t.Context()); err != nil {
					fail("up to migration %d: %v", k+1, err)
				}
				if d := liveDiff(t, db, snap); d != "" {
					fail("after migration %d (%s): %s", k+1, snap.Migrations[k].File, d)
				}
			}
			for k := len(snaps) - 1; k > 0; k-- {
				if _, err := p.Down(t.Context()); err != nil {
					fail("down from migration %d: %v", k+1, err)
				}
				if d := liveDiff(t, db, snaps[k-1]); d != "" {
					fail("after rolling back migration %d: %s", k+1, d)
				}
			}
		})
	}
}

// liveDiff compares the live table with the snapshot's model and describes
// the first differences, or returns "".
func liveDiff(t *testing.T, db *sql.DB, snap *snapshot) string {
	t.Helper()
	m := sqlModel{TableRaw: snap.Table, Table: quoteIdent(snap.Table)}
	type col struct {
		typ      string
		nullable bool
		hasDef   bool
	}
	live := map[string]col{}
	rows, err := db.QueryContext(t.Context(), `SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull, a.atthasdef
FROM pg_attribute AS a WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped`, m.Table)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		var c col
		if err := rows.Scan(&name, &c.typ, &c.nullable, &c.hasDef); err != nil {
			t.Fatal(err)
		}
		live[name] = c
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	var diffs []string
	want := map[string]bool{}
	for _, v := range baseVersions[:snap.BaseVersion] {
		for _, c := range v.Columns {
			want[c.Name] = true
		}
	}
	for _, c := range snap.Columns {
		want[c.Name] = true
		got, ok := live[c.Name]
		switch {
		case !ok:
			diffs = append(diffs, "column "+c.Name+" missing")
		case got.typ != formatType(c.Type) || got.nullable != c.Nullable || got.hasDef != (c.Default != ""):
			diffs = append(diffs, fmt.Sprintf("column %s is %+v, want %s nullable=%v default=%q", c.Name, got, c.Type, c.Nullable, c.Default))
		}
		if c.Check != "" {
			var def string
			err := db.QueryRowContext(t.Context(), `SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = to_regclass($1) AND conname = $2`, m.Table, c.Check).Scan(&def)
			var vals []string
			for _, v := range c.Values {
				vals = append(vals, "'"+v+"'::text")
			}
			wantDef := fmt.Sprintf("ARRAY[%s]", strings.Join(vals, ", "))
			if len(vals) == 1 {
				wantDef = fmt.Sprintf("= %s", vals[0])
			}
			if err != nil || !strings.Contains(def, wantDef) {
				diffs = append(diffs, fmt.Sprintf("CHECK %s is %q (%v), want one over %s", c.Check, def, err, wantDef))
			}
		}
	}
	for name := range live {
		if !want[name] {
			diffs = append(diffs, "extra column "+name)
		}
	}
	var idx []string
	rows, err = db.QueryContext(t.Context(), `SELECT c.relname::text FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid WHERE i.indrelid = to_regclass($1)`, m.Table)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		idx = append(idx, n)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	for _, ix := range baseIndexes(baseVersions, snap.BaseVersion) {
		if name := strings.Trim(m.Index(ix.Suffix), `"`); !slices.Contains(idx, name) {
			diffs = append(diffs, "index "+name+" missing")
		}
	}
	slices.Sort(diffs)
	return strings.Join(diffs, "; ")
}
