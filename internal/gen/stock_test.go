package gen

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/authentify-go/authentify/internal/spec"
)

var update = flag.Bool("update", false, "rewrite golden files (scenarios, stock model, example)")

// repoRoot is the module root, two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// TestStockModelUpToDate fails when the repository's schema/, queries/ and
// sqlc.yaml drift from what the generator emits for the minimal spec.
func TestStockModelUpToDate(t *testing.T) {
	files, err := StockModel()
	if err != nil {
		t.Fatal(err)
	}
	// Compared file by file: the repository root is no generated package,
	// so it has no manifest (Write and Check would add one).
	root := repoRoot(t)
	for _, p := range files.Paths() {
		name := filepath.Join(root, filepath.FromSlash(p))
		if *update {
			if err := os.WriteFile(name, files[p], 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, files[p]) {
			t.Errorf("stock model drifted; run `go test ./internal/gen -run TestStockModelUpToDate -update`:\n%s", unifiedDiff("a/"+p, "b/"+p, got, files[p]))
		}
	}
}

// TestExampleUpToDate fails when the committed example package differs from
// what the generator emits for its spec (the same as `authentify-gen --check`).
func TestExampleUpToDate(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "examples", "echo", "auth")
	s, err := spec.LoadFile(filepath.Join(dir, "authentify.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	importPath, err := ImportPathOf(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := "github.com/authentify-go/authentify/examples/echo/auth"; importPath != want {
		t.Fatalf("ImportPathOf = %q, want %q", importPath, want)
	}
	migs, err := ReadMigrations(dir)
	if err != nil {
		t.Fatal(err)
	}
	lite, err := ReadLiteMigrations(dir)
	if err != nil {
		t.Fatal(err)
	}
	files, err := Generate(context.Background(), s, Options{SqlcExe: exe, Source: "authentify.yaml", ImportPath: importPath, Migrations: migs, LiteMigrations: lite})
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if _, err := Write(dir, files); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := Check(dir, files)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("examples/echo/auth is stale; run `go run ./cmd/authentify-gen -f examples/echo/auth/authentify.yaml`:\n%s", rep)
	}
}
