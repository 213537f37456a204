package gen

import (
	"context"
	"os"
	"testing"

	"github.com/authentify-go/authentify/internal/spec"
)

func TestLeadRender(t *testing.T) {
	dir := os.Getenv("LEAD_OUT")
	if dir == "" {
		t.Skip()
	}
	s, err := spec.LoadFile(os.Getenv("LEAD_SPEC"))
	if err != nil {
		t.Fatal(err)
	}
	exe, _ := os.Executable()
	fs, err := Generate(context.Background(), s, Options{SqlcExe: exe, Source: "authentify.yaml", ImportPath: os.Getenv("LEAD_IMPORT")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Write(dir, fs); err != nil {
		t.Fatal(err)
	}
}
