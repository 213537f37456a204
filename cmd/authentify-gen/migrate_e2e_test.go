package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestE2EMigrations walks the migration workflow through the command: a
// spec change that was not generated fails --check naming the missing
// migration; generating appends exactly one migration and never touches
// the earlier one; an edited migration fails both generate and --check; a
// destructive change is refused with a positioned error and then generated
// with --allow-destructive, saying so at its top.
func TestE2EMigrations(t *testing.T) {
	const v1 = "version: 1\npackage: auth\nfields:\n  note: { type: string, nullable: true }\n"
	specPath := newModule(t, v1)
	dir := filepath.Dir(specPath)
	migDir := filepath.Join(dir, "sql", "migrations")
	if code, _, stderr := runCmd(t, "-f", specPath); code != exitOK {
		t.Fatalf("generate v1: exit %d: %s", code, stderr)
	}
	first, err := os.ReadFile(filepath.Join(migDir, "0001_init.sql"))
	if err != nil {
		t.Fatal(err)
	}

	// v2: a column added, not yet generated.
	writeFile(t, specPath, v1+"  plan: { type: enum, values: [free, pro], default: free }\n")
	code, stdout, _ := runCmd(t, "-f", specPath, "--check")
	if code != exitFail || !strings.Contains(stdout, "missing: sql/migrations/0002_add_plan.sql\n") || !strings.Contains(stdout, "changed: sql/migrations/model.json\n") {
		t.Errorf("--check after a spec change: exit %d, stdout:\n%s", code, stdout)
	}
	if code, _, stderr := runCmd(t, "-f", specPath); code != exitOK {
		t.Fatalf("generate v2: exit %d: %s", code, stderr)
	}
	if got, _ := os.ReadFile(filepath.Join(migDir, "0001_init.sql")); string(got) != string(first) {
		t.Error("generating v2 changed 0001_init.sql")
	}
	second, err := os.ReadFile(filepath.Join(migDir, "0002_add_plan.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(second), `ADD COLUMN "plan" text NOT NULL DEFAULT 'free'`) {
		t.Errorf("0002_add_plan.sql:\n%s", second)
	}
	if code, stdout, _ := runCmd(t, "-f", specPath, "--check"); code != exitOK {
		t.Errorf("--check after generating v2: exit %d\n%s", code, stdout)
	}

	// An edited migration.
	writeFile(t, filepath.Join(migDir, "0002_add_plan.sql"), strings.Replace(string(second), "'free'", "'pro'", 1))
	for _, args := range [][]string{{"-f", specPath}, {"-f", specPath, "--check"}} {
		code, _, stderr := runCmd(t, args...)
		if code != exitFail || !strings.Contains(stderr, "sql/migrations/0002_add_plan.sql was edited after it was generated") {
			t.Errorf("%q with an edited migration: exit %d, stderr:\n%s", args, code, stderr)
		}
	}
	writeFile(t, filepath.Join(migDir, "0002_add_plan.sql"), string(second))

	// v3: drop the column note (destructive).
	v3 := "version: 1\npackage: auth\nfields:\n  plan: { type: enum, values: [free, pro], default: free }\n"
	writeFile(t, specPath, v3)
	before := snapshot(t, dir)
	code, _, stderr := runCmd(t, "-f", specPath)
	wantErr := "authentify.yaml:3:1: fields.note: destructive change refused: removing custom column \"note\" drops it: its value in every row is lost"
	if code != exitFail || !strings.Contains(stderr, wantErr) || !strings.Contains(stderr, ">  3 | fields:") {
		t.Errorf("destructive change: exit %d, stderr:\n%s\nwant it to contain %q", code, stderr, wantErr)
	}
	sameSnapshot(t, "refused destructive change", before, snapshot(t, dir))
	if code, _, stderr := runCmd(t, "-f", specPath, "--allow-destructive"); code != exitOK {
		t.Fatalf("--allow-destructive: exit %d: %s", code, stderr)
	}
	third, err := os.ReadFile(filepath.Join(migDir, "0003_drop_note.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(third), "-- DESTRUCTIVE (generated with --allow-destructive): removing custom column \"note\"") {
		t.Errorf("0003_drop_note.sql does not say it is destructive:\n%s", third)
	}
	if code, stdout, _ := runCmd(t, "-f", specPath, "--check"); code != exitOK {
		t.Errorf("--check after v3: exit %d\n%s", code, stdout)
	}
}
