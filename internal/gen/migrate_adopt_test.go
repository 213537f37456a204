package gen

import (
	"database/sql"
	"encoding/json"
	"strings"
	"testing"

	"github.com/authentify-go/authentify/internal/pgtest"
	"github.com/authentify-go/authentify/runtime"
)

// TestInitAdoptsTablesFromEveryBaseVersion: a new package's 0001_init.sql
// brings a token table that an older authentify created (CreateSchema
// before migrations existed, or an older base model) up to the whole model,
// so that upgrading authentify never strands an existing table. It also
// brings an empty database there, and running it twice changes nothing.
func TestInitAdoptsTablesFromEveryBaseVersion(t *testing.T) {
	requirePostgres(t)
	const src = minimalSpec + "fields:\n  plan: { type: enum, values: [free, pro], default: free }\n"
	fresh, err := genMigrations(t, src, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var snap snapshot
	if err := json.Unmarshal(fresh["model.json"], &snap); err != nil {
		t.Fatal(err)
	}
	up := func(t *testing.T, file []byte) string {
		t.Helper()
		m, err := runtime.ParseMigration("0001_init.sql", string(file))
		if err != nil {
			t.Fatal(err)
		}
		return m.Up
	}
	for v := 0; v <= len(baseVersions); v++ {
		name := "empty database"
		if v > 0 {
			name = "table of base version " + string(rune('0'+v))
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			db, err := sql.Open("pgx", pgtest.NewDatabase(t))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if v > 0 {
				old, err := genMigrations(t, src, nil, baseVersions[:v:v])
				if err != nil {
					t.Fatal(err)
				}
				if _, err := db.ExecContext(t.Context(), up(t, old["0001_init.sql"])); err != nil {
					t.Fatalf("the older 0001_init.sql: %v", err)
				}
			}
			for round := range 2 {
				if _, err := db.ExecContext(t.Context(), up(t, fresh["0001_init.sql"])); err != nil {
					t.Fatalf("round %d: 0001_init.sql on it: %v", round, err)
				}
				if d := liveDiff(t, db, &snap); d != "" {
					t.Errorf("round %d: after 0001_init.sql: %s", round, strings.TrimSpace(d))
				}
			}
		})
	}
}
