package gen

import (
	"database/sql"
	"strings"
	"testing"
	"testing/fstest"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for goose
	"github.com/pressly/goose/v3"

	"github.com/authentify-go/authentify/internal/pgtest"
)

// TestMigrationsApplyWithGoose applies the migrations of every migration
// scenario (mig_*, and minimal's single one) with goose's own library on
// an empty database, rolls them all back one by one (every Down works and
// the table is gone at version 0), and applies them again.
func TestMigrationsApplyWithGoose(t *testing.T) {
	requirePostgres(t)
	for _, sc := range loadScenarios(t) {
		if sc.wantsError() || !(strings.HasPrefix(sc.name, "mig_") || sc.name == "minimal") {
			continue
		}
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			s, files, err := generateScenario(sc)
			if err != nil {
				t.Fatal(err)
			}
			fsys := fstest.MapFS{}
			for p, b := range files {
				if name, ok := strings.CutPrefix(p, migrationsDir+"/"); ok && strings.HasSuffix(name, ".sql") {
					fsys[name] = &fstest.MapFile{Data: b}
				}
			}
			db, err := sql.Open("pgx", pgtest.NewDatabase(t))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithTableName(versionTableName(s.Table)))
			if err != nil {
				t.Fatal(err)
			}
			tableExists := func() bool {
				var ok bool
				if err := db.QueryRowContext(t.Context(), "SELECT to_regclass($1) IS NOT NULL", quoteIdent(s.Table)).Scan(&ok); err != nil {
					t.Fatal(err)
				}
				return ok
			}
			n := int64(len(p.ListSources()))
			for round := range 2 {
				if _, err := p.Up(t.Context()); err != nil {
					t.Fatalf("round %d: up: %v", round, err)
				}
				if v, err := p.GetDBVersion(t.Context()); err != nil || v != n {
					t.Fatalf("round %d: version %d, %v after up; want %d", round, v, err, n)
				}
				if !tableExists() {
					t.Fatalf("round %d: no table %s after up", round, s.Table)
				}
				for want := n - 1; want >= 0; want-- {
					if _, err := p.Down(t.Context()); err != nil {
						t.Fatalf("round %d: down to %d: %v", round, want, err)
					}
					if v, err := p.GetDBVersion(t.Context()); err != nil || v != want {
						t.Fatalf("round %d: version %d, %v after down; want %d", round, v, err, want)
					}
				}
				if tableExists() {
					t.Fatalf("round %d: table %s still exists at version 0", round, s.Table)
				}
			}
		})
	}
}
