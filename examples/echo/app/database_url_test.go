package app_test

import (
	"testing"

	"github.com/authentify-go/authentify/examples/echo/app"
)

// TestDatabaseURLPicksTheEngine: no DATABASE_URL (or an empty one) is the
// SQLite file of the working folder, sqlite:PATH another file, a postgres://
// URL PostgreSQL; anything else stops the app at start.
func TestDatabaseURLPicksTheEngine(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     []string
		path    string
		sqlite  bool
		invalid bool
	}{
		{name: "unset", path: app.DefaultSQLiteFile, sqlite: true},
		{name: "empty", env: []string{"DATABASE_URL="}, path: app.DefaultSQLiteFile, sqlite: true},
		{name: "sqlite path", env: []string{"DATABASE_URL=sqlite:/var/lib/app/auth.db"}, path: "/var/lib/app/auth.db", sqlite: true},
		{name: "sqlite url form", env: []string{"DATABASE_URL=sqlite://data.db"}, path: "data.db", sqlite: true},
		{name: "sqlite alone", env: []string{"DATABASE_URL=sqlite:"}, path: app.DefaultSQLiteFile, sqlite: true},
		{name: "postgres", env: []string{"DATABASE_URL=postgres://u@h/db"}},
		{name: "postgresql", env: []string{"DATABASE_URL=postgresql://u@h/db"}},
		{name: "mysql", env: []string{"DATABASE_URL=mysql://u@h/db"}, invalid: true},
		{name: "bare path", env: []string{"DATABASE_URL=auth.db"}, invalid: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := app.ConfigFromEnviron(tc.env)
			if tc.invalid {
				if err == nil {
					t.Fatalf("DATABASE_URL %v accepted", tc.env)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			path, sqlite, err := cfg.SQLitePath()
			if err != nil || path != tc.path || sqlite != tc.sqlite {
				t.Errorf("SQLitePath() = %q, %v, %v; want %q, %v", path, sqlite, err, tc.path, tc.sqlite)
			}
		})
	}
}
