package gen

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pressly/goose/v3"

	"github.com/authentify-go/authentify/internal/pgtest"
	"github.com/authentify-go/authentify/internal/spec"
)

// testBaseDropsLabelIndex stands in for a future base model version that
// removes an index an earlier one (testBaseV2) added.
var testBaseDropsLabelIndex = baseVersion{
	Up: func(m sqlModel) []string {
		return []string{"DROP INDEX IF EXISTS " + m.Index("session_label")}
	},
	Down: func(m sqlModel) []string {
		return []string{fmt.Sprintf(`CREATE INDEX %s ON %s ("session_label")`, m.Index("session_label"), m.Table)}
	},
	DropIndexes: []string{"session_label"},
}

// TestBaseModelAddsAndRemovesOwnedIndexes: generator-owned indexes come and
// go with base model versions. Each upgrade is one migration, goose applies
// and rolls it back, and the drift model (migrate.go's tableModel) expects
// exactly the indexes of the version in force.
func TestBaseModelAddsAndRemovesOwnedIndexes(t *testing.T) {
	requirePostgres(t)
	v1 := baseVersions[:1:1]
	v2 := append(v1, testBaseV2)
	v3 := append(v2, testBaseDropsLabelIndex)

	folder, err := genMigrations(t, minimalSpec, nil, v1)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for step, bases := range [][]baseVersion{v2, v3} {
		if folder, err = genMigrations(t, minimalSpec, folder, bases); err != nil {
			t.Fatalf("step %d: %v", step+1, err)
		}
		var snap snapshot
		if err := json.Unmarshal(folder["model.json"], &snap); err != nil {
			t.Fatal(err)
		}
		m := sqlModel{TableRaw: snap.Table, Table: quoteIdent(snap.Table)}
		s, err := spec.Load("authentify.yaml", []byte(minimalSpec))
		if err != nil {
			t.Fatal(err)
		}
		goSrc, err := renderMigrateGo(s, Options{Source: "authentify.yaml", bases: bases}, &snap, []string{"0001_init.sql"})
		if err != nil {
			t.Fatal(err)
		}
		label := strings.Trim(m.Index("session_label"), `"`)
		wantLabel := step == 0 // v2 adds the index, v3 drops it
		if got := strings.Contains(string(goSrc), `Name: "`+label+`"`); got != wantLabel {
			t.Errorf("step %d: migrate.go expects index %s: %v, want %v", step+1, label, got, wantLabel)
		}
		if !strings.Contains(string(goSrc), `Name: "`+strings.Trim(m.Index("user_id"), `"`)+`"`) {
			t.Errorf("step %d: migrate.go lost the user_id index", step+1)
		}

		fsys := fstest.MapFS{}
		for name, b := range folder {
			if strings.HasSuffix(name, ".sql") {
				fsys[name] = &fstest.MapFile{Data: b}
			}
		}
		p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithTableName(snap.VersionTable))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Up(t.Context()); err != nil {
			t.Fatalf("step %d: up: %v", step+1, err)
		}
		var exists bool
		if err := db.QueryRowContext(t.Context(), "SELECT to_regclass($1) IS NOT NULL", m.Index("session_label")).Scan(&exists); err != nil {
			t.Fatal(err)
		}
		if exists != wantLabel {
			t.Errorf("step %d: index %s exists: %v, want %v", step+1, label, exists, wantLabel)
		}
		if step == 1 {
			// Down returns to v2: the index is back.
			if _, err := p.Down(t.Context()); err != nil {
				t.Fatalf("down: %v", err)
			}
			if err := db.QueryRowContext(t.Context(), "SELECT to_regclass($1) IS NOT NULL", m.Index("session_label")).Scan(&exists); err != nil || !exists {
				t.Errorf("after rolling back the drop: index exists %v, %v", exists, err)
			}
		}
	}
}
