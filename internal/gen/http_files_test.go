package gen

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/authentify-go/authentify/internal/spec"
)

// TestAdapterFilesFollowTheHTTPList regenerates one package directory while
// its spec's `http` list changes, as a user would: each adapter's file exists
// exactly while it is listed (a dropped adapter's file is deleted as stale,
// never left behind to clash with the others), and the package never
// imports a framework it does not list.
func TestAdapterFilesFollowTheHTTPList(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	all := []string{"middleware.go", "middleware_nethttp.go", "middleware_echo5.go"}
	for _, step := range []struct {
		http    string
		files   []string
		deleted []string
	}{
		{"", []string{"middleware.go"}, nil}, // the default: today's file
		{"http: [echo4, nethttp, echo5]", all, nil},
		{"http: [nethttp]", []string{"middleware_nethttp.go"}, []string{"middleware.go", "middleware_echo5.go"}},
		{"http: [echo5, echo4]", []string{"middleware.go", "middleware_echo5.go"}, []string{"middleware_nethttp.go"}},
	} {
		s, err := spec.Load("authentify.yaml", []byte("version: 1\npackage: auth\n"+step.http+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		migs, err := ReadMigrations(dir)
		if err != nil {
			t.Fatal(err)
		}
		files, err := Generate(t.Context(), s, Options{SqlcExe: exe, ImportPath: "example.com/app/auth", Migrations: migs})
		if err != nil {
			t.Fatalf("%q: %v", step.http, err)
		}
		res, err := Write(dir, files)
		if err != nil {
			t.Fatalf("%q: %v", step.http, err)
		}
		if !slices.Equal(res.Deleted, step.deleted) {
			t.Errorf("%q: deleted %v, want %v", step.http, res.Deleted, step.deleted)
		}
		for _, f := range all {
			_, statErr := os.Stat(filepath.Join(dir, f))
			if want := slices.Contains(step.files, f); want != (statErr == nil) {
				t.Errorf("%q: %s exists = %v, want %v", step.http, f, statErr == nil, want)
			}
		}
		for name, src := range files {
			for _, imp := range []string{echoPath, echo5Path} {
				used := strings.Contains(string(src), `"`+imp+`"`)
				listed := slices.Contains(s.HTTPAdapters(), map[string]spec.Adapter{echoPath: spec.AdapterEcho4, echo5Path: spec.AdapterEcho5}[imp])
				if used && !listed {
					t.Errorf("%q: %s imports %s", step.http, name, imp)
				}
			}
		}
	}
}
