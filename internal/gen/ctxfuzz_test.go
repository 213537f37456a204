package gen

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/authentify-go/authentify/internal/spec"
)

// TestCtxfuzzUpToDate fails when internal/gen/ctxfuzz/context.go, the
// generated Context that the decoder's differential tests run on, differs
// from what the generator emits for ctxfuzz/authentify.yaml (-update
// rewrites it).
func TestCtxfuzzUpToDate(t *testing.T) {
	dir := filepath.Join("ctxfuzz")
	s, err := spec.LoadFile(filepath.Join(dir, "authentify.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := renderGo(s, "authentify.yaml", "example.com/ctxfuzz/db", "example.com/ctxfuzz/db/sqlite")
	if err != nil {
		t.Fatal(err)
	}
	want := files["context.go"]
	name := filepath.Join(dir, "context.go")
	if *update {
		if err := os.WriteFile(name, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale; run `go test ./internal/gen -run TestCtxfuzzUpToDate -update`:\n%s", name, unifiedDiff("a/context.go", "b/context.go", got, want))
	}
}
