package gen

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/authentify-go/authentify/internal/spec"
)

// BenchmarkGenerateWithMigrations times one generation (sqlc child
// included) of a package whose sql/migrations already holds 1 or 20
// migrations, for a spec change that appends the next one.
func BenchmarkGenerateWithMigrations(b *testing.B) {
	specN := func(n int) *spec.Spec {
		var sb strings.Builder
		sb.WriteString("version: 1\npackage: auth\n")
		if n > 0 {
			sb.WriteString("fields:\n")
		}
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&sb, "  col_%02d: { type: string, nullable: true }\n", i)
		}
		s, err := spec.Load("authentify.yaml", []byte(sb.String()))
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	for _, have := range []int{1, 20} {
		b.Run(fmt.Sprintf("have=%d", have), func(b *testing.B) {
			migs := FileSet{}
			for n := range have {
				out, _, err := migrations(specN(n), Options{Source: "authentify.yaml", Migrations: migs})
				if err != nil {
					b.Fatal(err)
				}
				migs = FileSet{}
				for p, data := range out {
					migs[strings.TrimPrefix(p, migrationsDir+"/")] = data
				}
			}
			if len(migs) != have+1 { // the migrations and model.json
				b.Fatalf("%d files in the history, want %d", len(migs), have+1)
			}
			s := specN(have)
			next := fmt.Sprintf("%s/%04d_add_col_%02d.sql", migrationsDir, have+1, have)
			for b.Loop() {
				files, err := Generate(context.Background(), s, Options{SqlcExe: exe, Source: "authentify.yaml", ImportPath: "example.com/app/auth", Migrations: migs})
				if err != nil {
					b.Fatal(err)
				}
				if _, ok := files[next]; !ok {
					b.Fatalf("no %s", next)
				}
			}
		})
	}
}
