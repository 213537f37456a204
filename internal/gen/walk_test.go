package gen

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authentify-go/authentify/internal/pgtest"
	"github.com/authentify-go/authentify/internal/spec"
)

// walkSpecs are the spec versions of TestMigrationWalk: v1, then a column
// added, an enum value added, the table renamed; v5 is v4's spec generated
// by an authentify whose base model has a version 2 (testBaseV2).
var walkSpecs = []string{
	`version: 1
package: auth
token: { prefix: walk }
context:
  fields:
    device: { type: string }
fields:
  note: { type: string, nullable: true }
`,
	`version: 1
package: auth
token: { prefix: walk }
context:
  fields:
    device: { type: string }
fields:
  note: { type: string, nullable: true }
  plan: { type: enum, values: [free, pro], default: free }
`,
	`version: 1
package: auth
token: { prefix: walk }
context:
  fields:
    device: { type: string }
fields:
  note: { type: string, nullable: true }
  plan: { type: enum, values: [free, pro, team], default: free }
`,
	`version: 1
package: auth
table: sessions
renamed_from: auth_tokens
token: { prefix: walk }
context:
  fields:
    device: { type: string }
fields:
  note: { type: string, nullable: true }
  plan: { type: enum, values: [free, pro, team], default: free }
`,
}

// testBaseV2 stands in for a future change of authentify's base model (a
// nullable column with an index, as per-session settings would add).
var testBaseV2 = baseVersion{
	Up: func(m sqlModel) []string {
		return []string{
			fmt.Sprintf(`ALTER TABLE %s ADD COLUMN "session_label" text`, m.Table),
			fmt.Sprintf(`CREATE INDEX %s ON %s ("session_label")`, m.Index("session_label"), m.Table),
		}
	},
	Down: func(m sqlModel) []string {
		return []string{
			"DROP INDEX " + m.Index("session_label"),
			fmt.Sprintf(`ALTER TABLE %s DROP COLUMN "session_label"`, m.Table),
		}
	},
	Columns: []liveColumn{{"session_label", "text", true}},
	Indexes: []string{"session_label"},
}

// TestMigrationWalk generates five versions of a package (w1…w5, each
// starting from the previous one's sql/migrations) into one throwaway
// module and runs testdata/walk/walk_test.go there against two databases
// holding sessions issued under v1: one migrated with Service.Migrate, one
// with goose's library, which also rolls every step back and forward again.
// See walk_test.go for what each step checks.
func TestMigrationWalk(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to compile generated code: %v", err)
	}
	requirePostgres(t)
	mod := t.TempDir()
	goMod, goSum := throwawayModule(t, repoRoot(t))
	for name, data := range map[string][]byte{"go.mod": goMod, "go.sum": goSum} {
		if err := os.WriteFile(filepath.Join(mod, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	migs := FileSet{}
	for i := range 5 {
		src := walkSpecs[min(i, len(walkSpecs)-1)]
		s, err := spec.Load("authentify.yaml", []byte(src))
		if err != nil {
			t.Fatalf("v%d: %v", i+1, err)
		}
		name := fmt.Sprintf("w%d", i+1)
		opt := Options{SqlcExe: exe, Source: "authentify.yaml", ImportPath: "example.com/app/" + name, Migrations: migs}
		if i == 4 {
			opt.bases = append(append([]baseVersion(nil), baseVersions...), testBaseV2)
		}
		files, err := Generate(context.Background(), s, opt)
		if err != nil {
			t.Fatalf("v%d: %v", i+1, err)
		}
		var newMigs []string
		for p := range files {
			if n, ok := strings.CutPrefix(p, migrationsDir+"/"); ok && strings.HasSuffix(n, ".sql") {
				if _, old := migs[n]; !old {
					newMigs = append(newMigs, n)
				}
			}
		}
		if i > 0 && len(newMigs) != 1 {
			t.Fatalf("v%d added migrations %v, want exactly one", i+1, newMigs)
		}
		t.Logf("v%d: %v", i+1, newMigs)
		if _, err := Write(filepath.Join(mod, name), files); err != nil {
			t.Fatal(err)
		}
		migs = FileSet{}
		for p, b := range files {
			if n, ok := strings.CutPrefix(p, migrationsDir+"/"); ok {
				migs[n] = b
			}
		}
	}
	prog, err := os.ReadFile(filepath.Join("testdata", "walk", "walk_test.go.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mod, "walk_test.go"), prog, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), goCmd, "test", "-count=1", "-race", "-v", ".")
	cmd.Dir = mod
	cmd.Env = append(os.Environ(),
		"GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local",
		"WALK_DSN_A="+pgtest.NewDatabase(t),
		"WALK_DSN_B="+pgtest.NewDatabase(t),
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the walk failed: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
