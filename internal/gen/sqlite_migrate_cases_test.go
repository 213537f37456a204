package gen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/authentify-go/authentify/internal/spec"
)

const liteBase = "version: 1\npackage: auth\nengines: [postgresql, sqlite]\n"

// TestSQLiteMigrationCases applies one spec change at a time on a SQLite
// file holding three sessions (one with a retired refresh hash) and checks
// the SQLite migration's form (ALTER TABLE where SQLite can, else the
// rebuild), that the table then is the one a fresh 0001_init.sql of the
// new spec makes, which sessions survive, the CHECKs by behaviour, and
// that Down restores the previous table.
func TestSQLiteMigrationCases(t *testing.T) {
	for _, tc := range []struct {
		name, before, after string
		allow               bool
		// setup runs after 0001 (table auth_tokens), before the change.
		setup string
		// has and hasNot are texts the Up section must (not) hold.
		has, hasNot []string
		// sessions is how many sessions survive the change (of 3).
		sessions int
		// refused, when set, is SQL the new table must refuse; accepted
		// the SQL it must accept.
		refused, accepted []string
	}{
		{
			name:     "add nullable column",
			before:   "",
			after:    "fields:\n  note: { type: string, nullable: true }\n",
			has:      []string{`ALTER TABLE "auth_tokens" ADD COLUMN note TEXT;`},
			hasNot:   []string{"INSERT INTO"},
			sessions: 3,
		},
		{
			name:     "add enum column with a default",
			after:    "fields:\n  tier: { type: enum, values: [free, pro], default: free }\n",
			has:      []string{`ADD COLUMN tier TEXT NOT NULL DEFAULT 'free' CHECK ("tier" IN ('free', 'pro'))`},
			hasNot:   []string{"INSERT INTO"},
			sessions: 3,
			refused:  []string{`UPDATE "auth_tokens" SET "tier" = 'gold'`},
			accepted: []string{`UPDATE "auth_tokens" SET "tier" = 'pro'`},
		},
		{
			// ADD COLUMN names its column unquoted (sqlc's sqlite engine
			// keeps the quotes of a quoted one): a keyword needs quotes,
			// so the table is rebuilt.
			name:     "add a column named by a keyword",
			after:    "fields:\n  plan: { type: enum, values: [free, pro], default: free }\n",
			has:      []string{`INSERT INTO "auth_tokens_authentify_rebuild"`, `TEXT NOT NULL DEFAULT 'free' CHECK ("plan" IN ('free', 'pro'))`},
			hasNot:   []string{"ADD COLUMN"},
			sessions: 3,
			refused:  []string{`UPDATE "auth_tokens" SET "plan" = 'gold'`},
			accepted: []string{`UPDATE "auth_tokens" SET "plan" = 'pro'`},
		},
		{
			name:     "add time, ip and json columns",
			after:    "fields:\n  seen: { type: time, default: \"2026-01-02T03:04:05Z\" }\n  ip: { type: ip, nullable: true }\n  meta: { type: json, nullable: true }\n",
			has:      []string{`ADD COLUMN seen INTEGER NOT NULL DEFAULT 1767323045000000`},
			sessions: 3,
			refused:  []string{`UPDATE "auth_tokens" SET "ip" = 'nope'`, `UPDATE "auth_tokens" SET "meta" = '{'`},
			accepted: []string{`UPDATE "auth_tokens" SET "ip" = '10.0.0.1', "meta" = '{"a":1}'`},
		},
		{
			name:     "rename the table",
			after:    "table: sessions\nrenamed_from: auth_tokens\n",
			has:      []string{`ALTER TABLE "auth_tokens" RENAME TO "sessions";`, `ALTER TABLE "auth_tokens_retired" RENAME TO "sessions_retired";`, `DROP INDEX IF EXISTS "auth_tokens_user_id_idx";`},
			hasNot:   []string{"INSERT INTO"},
			sessions: 3,
		},
		{
			name:     "change a default",
			before:   "fields:\n  plan: { type: string, default: a }\n",
			after:    "fields:\n  plan: { type: string, default: b }\n",
			has:      []string{`INSERT INTO "auth_tokens_authentify_rebuild"`, `DROP TABLE "auth_tokens";`, `ALTER TABLE "auth_tokens_authentify_rebuild" RENAME TO "auth_tokens";`, "CREATE TRIGGER"},
			sessions: 3,
		},
		{
			name:     "make a column NOT NULL with a default",
			before:   "fields:\n  note: { type: string, nullable: true }\n",
			after:    "fields:\n  note: { type: string, default: none }\n",
			setup:    `UPDATE "auth_tokens" SET "note" = 'x' WHERE "id" = 1`,
			has:      []string{`coalesce("note", 'none')`},
			sessions: 3,
			refused:  []string{`UPDATE "auth_tokens" SET "note" = NULL`},
		},
		{
			name:     "make a column nullable",
			before:   "fields:\n  note: { type: string, default: a }\n",
			after:    "fields:\n  note: { type: string, default: a, nullable: true }\n",
			sessions: 3,
			accepted: []string{`UPDATE "auth_tokens" SET "note" = NULL`},
		},
		{
			name:     "remove an enum value (destructive)",
			before:   "fields:\n  plan: { type: enum, values: [free, pro, gold], default: free }\n",
			after:    "fields:\n  plan: { type: enum, values: [free, pro], default: free }\n",
			allow:    true,
			setup:    `UPDATE "auth_tokens" SET "plan" = 'gold' WHERE "id" = 1`,
			has:      []string{`CASE WHEN "plan" IN ('gold') THEN 'free' ELSE "plan" END`},
			sessions: 3,
			refused:  []string{`UPDATE "auth_tokens" SET "plan" = 'gold'`},
		},
		{
			name:     "add an enum value",
			before:   "fields:\n  plan: { type: enum, values: [free], default: free }\n",
			after:    "fields:\n  plan: { type: enum, values: [free, pro], default: free }\n",
			sessions: 3,
			accepted: []string{`UPDATE "auth_tokens" SET "plan" = 'pro'`},
		},
		{
			name:     "retype a column (destructive)",
			before:   "fields:\n  n: { type: string, default: a }\n",
			after:    "fields:\n  n: { type: int64, default: 5 }\n",
			allow:    true,
			sessions: 3,
			refused:  []string{`UPDATE "auth_tokens" SET "n" = 'a'`},
		},
		{
			name:     "drop a column (destructive)",
			before:   "fields:\n  n: { type: string, default: a }\n  m: { type: bool, default: true }\n",
			after:    "fields:\n  m: { type: bool, default: true }\n",
			allow:    true,
			sessions: 3,
		},
		{
			name:     "change user.id_type (destructive)",
			after:    "user: { id_type: uuid }\n",
			allow:    true,
			has:      []string{`DELETE FROM "auth_tokens";`},
			sessions: 0,
			refused:  []string{`INSERT INTO "auth_tokens" ("user_id", "auth_type", "access_hash", "created_at", "last_refreshed_at") VALUES ('x', 'header', x'09', 1, 1)`},
		},
		{
			name:     "rename the table and add a column",
			after:    "table: sessions\nrenamed_from: auth_tokens\nfields:\n  note: { type: string, nullable: true }\n",
			has:      []string{`ALTER TABLE "sessions_authentify_rebuild" RENAME TO "sessions";`, `ALTER TABLE "auth_tokens_retired" RENAME TO "sessions_retired";`},
			sessions: 3,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, after := liteBase+tc.before, liteBase+tc.after
			pg, lite, err := genLite(t, before, nil, nil, false)
			if err != nil {
				t.Fatal(err)
			}
			pg2, lite2, err := genLite(t, after, pg, lite, tc.allow)
			if err != nil {
				t.Fatal(err)
			}
			if len(lite2) != 2 {
				t.Fatalf("SQLite folder %v, want 0001 and one migration", lite2.Paths())
			}
			var name string
			for n := range lite2 {
				if n != liteInitName {
					name = n
				}
			}
			if _, ok := pg2[name]; !ok {
				t.Errorf("SQLite migration %s has no PostgreSQL twin in %v", name, pg2.Paths())
			}
			file := string(lite2[name])
			up, _, _ := strings.Cut(file, "-- +goose Down")
			for _, want := range tc.has {
				if !strings.Contains(up, want) {
					t.Errorf("Up lacks %q:\n%s", want, file)
				}
			}
			for _, not := range tc.hasNot {
				if strings.Contains(up, not) {
					t.Errorf("Up holds %q:\n%s", not, file)
				}
			}

			db := liteOpen(t)
			p, err := goose.NewProvider(goose.DialectSQLite3, db, liteFS(lite2))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.UpByOne(t.Context()); err != nil {
				t.Fatal(err)
			}
			exec := func(q string) error { _, err := db.ExecContext(t.Context(), q); return err }
			if err := exec(`INSERT INTO "auth_tokens" ("user_id", "auth_type", "access_hash", "created_at", "last_refreshed_at") VALUES (7, 'header', x'01', 1, 1), (8, 'cookie', x'02', 1, 1), (9, 'header', x'03', 1, 1);
INSERT INTO "auth_tokens_retired" ("token_id", "hash") VALUES (1, x'aa')`); err != nil {
				t.Fatal(err)
			}
			if tc.setup != "" {
				if err := exec(tc.setup); err != nil {
					t.Fatal(err)
				}
			}
			prevShape := liteShape(t, db, "auth_tokens", false)
			if _, err := p.UpByOne(t.Context()); err != nil {
				t.Fatalf("%v\n%s", err, file)
			}
			s, err := spec.Load("authentify.yaml", []byte(after))
			if err != nil {
				t.Fatal(err)
			}
			rebuilt := strings.Contains(up, "INSERT INTO")
			if got, want := liteShape(t, db, s.Table, rebuilt), liteFresh(t, after, s.Table, rebuilt); got != want {
				t.Fatalf("the table differs from a fresh 0001:\n got: %s\nwant: %s\n%s", got, want, file)
			}
			var sessions, retired int
			if err := db.QueryRowContext(t.Context(), fmt.Sprintf(`SELECT (SELECT count(*) FROM %s), (SELECT count(*) FROM %s)`, quoteIdent(s.Table), quoteIdent(s.Table+"_retired"))).Scan(&sessions, &retired); err != nil {
				t.Fatal(err)
			}
			if sessions != tc.sessions {
				t.Errorf("%d sessions survive, want %d", sessions, tc.sessions)
			}
			var has1 int
			if err := db.QueryRowContext(t.Context(), fmt.Sprintf(`SELECT count(*) FROM %s WHERE "id" = 1`, quoteIdent(s.Table))).Scan(&has1); err != nil {
				t.Fatal(err)
			}
			if retired != has1 {
				t.Errorf("%d retired hashes, want %d (session 1 has one)", retired, has1)
			}
			// The trigger works on the new table.
			if err := exec(fmt.Sprintf(`DELETE FROM %s`, quoteIdent(s.Table))); err != nil {
				t.Fatal(err)
			}
			if err := db.QueryRowContext(t.Context(), fmt.Sprintf(`SELECT count(*) FROM %s`, quoteIdent(s.Table+"_retired"))).Scan(&retired); err != nil || retired != 0 {
				t.Errorf("after deleting every session: %d retired hashes (%v), want 0", retired, err)
			}
			if err := exec(fmt.Sprintf(`INSERT INTO %s ("user_id", "auth_type", "access_hash", "created_at", "last_refreshed_at") SELECT CASE WHEN %t THEN '00000000-0000-0000-0000-000000000000' ELSE 7 END, 'header', x'05', 1, 1`, quoteIdent(s.Table), s.User.IDType == spec.IDUUID)); err != nil {
				t.Fatal(err)
			}
			for _, q := range tc.accepted {
				if err := exec(strings.ReplaceAll(q, `"auth_tokens"`, quoteIdent(s.Table))); err != nil {
					t.Errorf("%s: %v", q, err)
				}
			}
			for _, q := range tc.refused {
				if err := exec(strings.ReplaceAll(q, `"auth_tokens"`, quoteIdent(s.Table))); err == nil {
					t.Errorf("%s: accepted, want a constraint error", q)
				}
			}
			if err := exec(fmt.Sprintf(`DELETE FROM %s`, quoteIdent(s.Table))); err != nil {
				t.Fatal(err)
			}
			if _, err := p.Down(t.Context()); err != nil {
				t.Fatalf("down: %v\n%s", err, file)
			}
			if got := liteShape(t, db, "auth_tokens", false); got != prevShape {
				t.Errorf("after Down:\n got: %s\nwant: %s", got, prevShape)
			}
		})
	}
}

// TestSQLiteMigrationRefusals: without --allow-destructive the SQLite
// folder gets nothing, and the error is the PostgreSQL planner's
// positioned one; an edited or missing SQLite migration is an error.
func TestSQLiteMigrationRefusals(t *testing.T) {
	before := liteBase + "fields:\n  n: { type: string, default: a }\n"
	pg, lite, err := genLite(t, before, nil, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	pg, lite, err = genLite(t, before+"  m: { type: int64, nullable: true }\n", pg, lite, false)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = genLite(t, liteBase, pg, lite, false)
	var se *spec.Errors
	if !errors.As(err, &se) || !strings.Contains(err.Error(), `destructive change refused: removing custom column "n"`) {
		t.Errorf("dropping a column: %v, want the positioned refusal", err)
	}
	for name, edit := range map[string]func(FileSet){
		"edited":  func(f FileSet) { f["0002_add_m.sql"] = append(f["0002_add_m.sql"], "-- x\n"...) },
		"missing": func(f FileSet) { delete(f, "0002_add_m.sql") },
	} {
		l := FileSet{}
		for k, v := range lite {
			l[k] = v
		}
		edit(l)
		_, _, err := genLite(t, before+"  m: { type: int64, nullable: true }\n", pg, l, false)
		if err == nil || !strings.Contains(err.Error(), "sql/migrations_sqlite/0002_add_m.sql") {
			t.Errorf("%s SQLite migration: %v, want an error naming it", name, err)
		}
	}
	// Regenerating an unchanged spec adds nothing.
	_, again, err := genLite(t, before+"  m: { type: int64, nullable: true }\n", pg, lite, false)
	if err != nil || len(again) != len(lite) {
		t.Errorf("regenerating: %v, %v", again.Paths(), err)
	}
}

// TestSQLiteMigrationAdoption: a package whose model.json does not record
// its SQLite folder (generated before SQLite migrations were planned) has
// its 0001_init.sql adopted when it matches the spec, and is refused when
// it does not; a package that adds the sqlite engine later gets 0001 and
// then numbers its SQLite migrations after the PostgreSQL ones.
func TestSQLiteMigrationAdoption(t *testing.T) {
	src := liteBase + "fields:\n  note: { type: string, nullable: true }\n"
	pg, lite, err := genLite(t, src, nil, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	var snap snapshot
	if err := json.Unmarshal(pg["model.json"], &snap); err != nil {
		t.Fatal(err)
	}
	if snap.SQLite == nil || len(snap.SQLite.Migrations) != 1 {
		t.Fatalf("model.json records no SQLite migration: %s", pg["model.json"])
	}
	snap.SQLite = nil
	old := FileSet{}
	for k, v := range pg {
		old[k] = v
	}
	old["model.json"] = snap.marshal()
	pg2, lite2, err := genLite(t, src, old, lite, false)
	if err != nil {
		t.Fatalf("adopting: %v", err)
	}
	if !bytes.Equal(pg2["model.json"], pg["model.json"]) || len(lite2) != 1 {
		t.Errorf("adopting changed more than model.json's sqlite section:\n%s", pg2["model.json"])
	}
	_, _, err = genLite(t, src+"  more: { type: bool, default: true }\n", old, lite, false)
	if err == nil || !strings.Contains(err.Error(), "authentify.yaml:3:") || !strings.Contains(err.Error(), "does not record") {
		t.Errorf("an unrecorded folder from another spec: %v, want a positioned refusal", err)
	}

	// PostgreSQL first (0001, 0002), SQLite added later.
	pgOnly := "version: 1\npackage: auth\n"
	p1, _, err := genLite(t, pgOnly, nil, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	p2, _, err := genLite(t, pgOnly+"fields:\n  a: { type: int64, nullable: true }\n", p1, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	p3, l3, err := genLite(t, liteBase+"fields:\n  a: { type: int64, nullable: true }\n", p2, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(l3) != 1 || len(p3) != len(p2) {
		t.Fatalf("adding the engine: %v %v", p3.Paths(), l3.Paths())
	}
	p4, l4, err := genLite(t, liteBase+"fields:\n  a: { type: int64, nullable: true }\n  b: { type: int64, nullable: true }\n", p3, l3, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p4["0003_add_b.sql"]; !ok {
		t.Errorf("PostgreSQL folder %v, want 0003_add_b.sql", p4.Paths())
	}
	if _, ok := l4["0003_add_b.sql"]; !ok {
		t.Errorf("SQLite folder %v, want 0003_add_b.sql beside the PostgreSQL one", l4.Paths())
	}
}
