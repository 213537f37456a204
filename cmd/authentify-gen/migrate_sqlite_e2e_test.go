package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestE2ESQLiteMigrations walks the SQLite side of the migration workflow
// through the command: a spec change on both engines that was not
// generated fails --check naming both missing migrations; generating
// appends them side by side; an edited SQLite migration fails both
// generate and --check.
func TestE2ESQLiteMigrations(t *testing.T) {
	const v1 = "version: 1\npackage: auth\nengines: [postgresql, sqlite]\nfields:\n  note: { type: string, nullable: true }\n"
	specPath := newModule(t, v1)
	dir := filepath.Dir(specPath)
	liteDir := filepath.Join(dir, "sql", "migrations_sqlite")
	if code, _, stderr := runCmd(t, "-f", specPath); code != exitOK {
		t.Fatalf("generate v1: exit %d: %s", code, stderr)
	}
	first, err := os.ReadFile(filepath.Join(liteDir, "0001_init.sql"))
	if err != nil {
		t.Fatal(err)
	}

	writeFile(t, specPath, v1+"  tier: { type: enum, values: [free, pro], default: free }\n")
	code, stdout, _ := runCmd(t, "-f", specPath, "--check")
	for _, want := range []string{"missing: sql/migrations/0002_add_tier.sql\n", "missing: sql/migrations_sqlite/0002_add_tier.sql\n", "changed: sql/migrations/model.json\n"} {
		if code != exitFail || !strings.Contains(stdout, want) {
			t.Errorf("--check after a spec change: exit %d, stdout lacks %q:\n%s", code, want, stdout)
		}
	}
	if code, _, stderr := runCmd(t, "-f", specPath); code != exitOK {
		t.Fatalf("generate v2: exit %d: %s", code, stderr)
	}
	if got, _ := os.ReadFile(filepath.Join(liteDir, "0001_init.sql")); string(got) != string(first) {
		t.Error("generating v2 changed the SQLite 0001_init.sql")
	}
	second, err := os.ReadFile(filepath.Join(liteDir, "0002_add_tier.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(second), `ALTER TABLE "auth_tokens" ADD COLUMN tier TEXT NOT NULL DEFAULT 'free' CHECK ("tier" IN ('free', 'pro'))`) {
		t.Errorf("SQLite 0002_add_tier.sql:\n%s", second)
	}
	if code, stdout, _ := runCmd(t, "-f", specPath, "--check"); code != exitOK {
		t.Errorf("--check after generating v2: exit %d\n%s", code, stdout)
	}

	writeFile(t, filepath.Join(liteDir, "0002_add_tier.sql"), strings.Replace(string(second), "'free'", "'pro'", 1))
	for _, args := range [][]string{{"-f", specPath}, {"-f", specPath, "--check"}} {
		code, _, stderr := runCmd(t, args...)
		if code != exitFail || !strings.Contains(stderr, "sql/migrations_sqlite/0002_add_tier.sql was edited after it was generated") {
			t.Errorf("%q with an edited SQLite migration: exit %d, stderr:\n%s", args, code, stderr)
		}
	}
}
