package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authentify-go/authentify/internal/gen"
	"github.com/authentify-go/authentify/internal/spec"
)

// End-to-end tests of the command through run(), without building it: the
// test binary stands in for the sqlc child (see TestMain).

// designSpec is the full example of DESIGN.md §1.
const designSpec = `version: 1
package: auth
table: auth_tokens
user: { id_type: int64, references: users(id) }
token: { prefix: acme }
context:
  strict: true
  fields:
    device:        { type: string, required: true }
    ip_address:    { type: ip }
    app_version:   { type: string }
    beta_features: { type: bool }
    tier:          { type: enum, values: [free, premium], default: free }
fields:
  last_used_ip:        { type: ip, nullable: true }
  two_factor_verified: { type: bool, default: false }
settings:
  token_ttl: 24h
  refresh_token_ttl: 168h
  auto_refresh: true
  auto_refresh_interval: 1h
  auto_refresh_max_ttl: 720h
`

// fiveMistakes has five different mistakes: a bad table name, an unknown id
// type, an unknown field type, an enum default outside its values and a
// refresh window shorter than the access token.
const fiveMistakes = `version: 1
package: auth
table: auth tokens
user: { id_type: long }
context:
  fields:
    device: { type: text, required: true }
fields:
  plan: { type: enum, values: [free, pro], default: gold }
settings:
  token_ttl: 24h
  refresh_token_ttl: 1h
`

// newModule makes a module example.com/app with the spec at
// internal/auth/authentify.yaml and returns the spec's path.
func newModule(t *testing.T, specSrc string) string {
	t.Helper()
	mod := t.TempDir()
	writeFile(t, filepath.Join(mod, "go.mod"), "module example.com/app\n\ngo 1.26\n")
	path := filepath.Join(mod, "internal", "auth", "authentify.yaml")
	writeFile(t, path, specSrc)
	return path
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fileState is a file's content and modification time.
type fileState struct {
	data  string
	mtime time.Time
}

// snapshot records every regular file under dir by slash path.
func snapshot(t *testing.T, dir string) map[string]fileState {
	t.Helper()
	files := map[string]fileState{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = fileState{string(b), info.ModTime()}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func sameSnapshot(t *testing.T, what string, before, after map[string]fileState) {
	t.Helper()
	for p, b := range before {
		a, ok := after[p]
		switch {
		case !ok:
			t.Errorf("%s: %s was deleted", what, p)
		case a.data != b.data:
			t.Errorf("%s: %s was changed", what, p)
		case !a.mtime.Equal(b.mtime):
			t.Errorf("%s: %s was rewritten (mtime changed)", what, p)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s: %s was created", what, p)
		}
	}
}

// expectedFiles is what the generator produces for specSrc in the package
// example.com/app/internal/auth.
func expectedFiles(t *testing.T, specSrc string) gen.FileSet {
	t.Helper()
	s, err := spec.Load("authentify.yaml", []byte(specSrc))
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	files, err := gen.Generate(context.Background(), s, gen.Options{SqlcExe: exe, Source: "authentify.yaml", ImportPath: "example.com/app/internal/auth"})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestE2EGenerateAndCheck generates the DESIGN example by path from another
// directory, regenerates it as `go generate` would (up to date, nothing
// rewritten), then walks --check and generate through a hand edit in a
// subdirectory, a deleted file and a stale sqlc file, next to files the
// generator does not own.
func TestE2EGenerateAndCheck(t *testing.T) {
	specPath := newModule(t, designSpec)
	dir := filepath.Dir(specPath)
	t.Chdir(t.TempDir()) // the spec's directory decides, not the working directory

	code, stdout, stderr := runCmd(t, "-f", specPath)
	if code != exitOK || stderr != "" {
		t.Fatalf("generate: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	want := expectedFiles(t, designSpec)
	var wantOut strings.Builder
	for _, p := range append([]string{gen.ManifestFile}, want.Paths()...) {
		wantOut.WriteString("wrote " + filepath.Join(dir, filepath.FromSlash(p)) + "\n")
	}
	if stdout != wantOut.String() {
		t.Errorf("generate stdout:\n%s\nwant:\n%s", stdout, wantOut.String())
	}
	disk := snapshot(t, dir)
	for _, p := range want.Paths() {
		if disk[p].data != string(want[p]) {
			t.Errorf("%s on disk differs from gen.Generate's", p)
		}
	}
	if len(disk) != len(want)+2 { // + authentify.yaml and the manifest
		t.Errorf("%d files in %s, want %d generated + the spec + the manifest", len(disk), dir, len(want))
	}

	// Again, as `go generate` runs it: in the spec's directory, default -f.
	t.Chdir(dir)
	for _, args := range [][]string{nil, {"--check"}} {
		if code, stdout, stderr := runCmd(t, args...); code != exitOK || stdout != "up to date\n" || stderr != "" {
			t.Errorf("%q on a fresh package: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
	sameSnapshot(t, "second run", disk, snapshot(t, dir))

	// Files the generator did not write: hand-written, the user's own sqlc
	// output and a stringer file, in the package folder and in db/. None is
	// ever reported, replaced or deleted, whatever its header says.
	userFiles := map[string]string{
		"db/extra.go":       "package db\n\n// Mine is hand-written.\nconst Mine = 1\n",
		"db/reports.sql.go": "// Code generated by sqlc. DO NOT EDIT.\n// versions:\n//   sqlc v1.31.1\n\npackage db\n",
		"users.sql.go":      "// Code generated by sqlc. DO NOT EDIT.\n\npackage auth\n",
		"tier_string.go":    "// Code generated by \"stringer -type=Tier\"; DO NOT EDIT.\n\npackage auth\n",
		"helpers.go":        "package auth\n\nfunc helper() {}\n",
	}
	for p, c := range userFiles {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(p)), c)
	}
	// A deleted file, and a file an older generation wrote (listed in the
	// manifest) that is no longer generated: stale.
	if err := os.Remove(filepath.Join(dir, "sql", "queries.sql")); err != nil {
		t.Fatal(err)
	}
	oldGen := gen.GoHeader + "\n\npackage db\n"
	writeFile(t, filepath.Join(dir, "db", "old.sql.go"), oldGen)
	manifest := filepath.Join(dir, gen.ManifestFile)
	m, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(oldGen))
	writeFile(t, manifest, string(m)+hex.EncodeToString(sum[:])+"  db/old.sql.go\n")
	// A hand edit of a generated file.
	edited := filepath.Join(dir, "db", "queries.sql.go")
	writeFile(t, edited, strings.Replace(string(want["db/queries.sql.go"]), "package db", "package db\n\n// edited by hand", 1))
	before := snapshot(t, dir)

	code, stdout, stderr = runCmd(t, "-f", specPath, "--check")
	if code != exitFail {
		t.Errorf("--check after edits: exit %d, want %d", code, exitFail)
	}
	for _, line := range []string{
		"changed: db/queries.sql.go",
		"missing: sql/queries.sql",
		"stale:   db/old.sql.go",
		"--- a/db/queries.sql.go",
		"+++ b/db/queries.sql.go",
		"-// edited by hand",
	} {
		if !strings.Contains(stdout, line+"\n") {
			t.Errorf("--check output lacks the line %q:\n%s", line, stdout)
		}
	}
	for p := range userFiles {
		if strings.Contains(stdout, p) {
			t.Errorf("--check mentions %s, which the generator did not write:\n%s", p, stdout)
		}
	}
	if !strings.Contains(stderr, "out of date") {
		t.Errorf("--check stderr = %q", stderr)
	}
	sameSnapshot(t, "--check", before, snapshot(t, dir))

	// The hand edit is refused, and nothing is written.
	code, stdout, stderr = runCmd(t)
	if code != exitFail || stdout != "" || !strings.Contains(stderr, "db/queries.sql.go: edited since authentify-gen wrote it") || !strings.Contains(stderr, "nothing was written") {
		t.Errorf("generate over a hand edit: exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
	sameSnapshot(t, "refused generate", before, snapshot(t, dir))

	// Without the edit, the run repairs what is its own.
	if err := os.Remove(edited); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runCmd(t) // in dir: paths are relative
	wantRepair := "wrote " + gen.ManifestFile + "\n" +
		"wrote " + filepath.Join("db", "queries.sql.go") + "\n" +
		"wrote " + filepath.Join("sql", "queries.sql") + "\n" +
		"deleted " + filepath.Join("db", "old.sql.go") + "\n"
	if code != exitOK || stdout != wantRepair || stderr != "" {
		t.Errorf("repair: exit %d, stdout:\n%s\nwant:\n%s\nstderr: %q", code, stdout, wantRepair, stderr)
	}
	after := snapshot(t, dir)
	for _, p := range want.Paths() {
		if after[p].data != string(want[p]) {
			t.Errorf("after repair, %s differs from gen.Generate's", p)
		}
	}
	if _, ok := after["db/old.sql.go"]; ok {
		t.Error("the stale file survived")
	}
	for p := range userFiles {
		if after[p] != before[p] {
			t.Errorf("repair touched %s", p)
		}
	}
	if after["db/db.go"] != before["db/db.go"] {
		t.Error("repair rewrote an unchanged file")
	}
	if code, stdout, _ := runCmd(t, "-f", specPath, "--check"); code != exitOK || stdout != "up to date\n" {
		t.Errorf("--check after repair: exit %d, stdout %q", code, stdout)
	}
}

// positionRE matches the header line of one diagnostic.
var positionRE = regexp.MustCompile(`(?m)^(.*authentify\.yaml):(\d+):(\d+): \S`)

// TestE2EFiveMistakes: an invalid spec prints every mistake with its
// position, exits 1 and leaves the package directory exactly as it was,
// both over an earlier generation and in a directory that only holds the
// spec.
func TestE2EFiveMistakes(t *testing.T) {
	for _, pregenerated := range []bool{false, true} {
		name := "empty"
		if pregenerated {
			name = "over_generated_package"
		}
		t.Run(name, func(t *testing.T) {
			specPath := newModule(t, designSpec)
			dir := filepath.Dir(specPath)
			if pregenerated {
				if code, _, stderr := runCmd(t, "-f", specPath); code != exitOK {
					t.Fatalf("generate: exit %d: %s", code, stderr)
				}
			}
			writeFile(t, specPath, fiveMistakes)
			// Default -f from the spec's directory, as go generate runs it:
			// positions read authentify.yaml:L:C.
			t.Chdir(dir)
			before := snapshot(t, dir)
			for _, args := range [][]string{nil, {"--check"}, {"-f", specPath}} {
				code, stdout, stderr := runCmd(t, args...)
				if code != exitFail {
					t.Errorf("%q: exit %d, want %d", args, code, exitFail)
				}
				if stdout != "" {
					t.Errorf("%q: stdout = %q, want nothing", args, stdout)
				}
				file := "authentify.yaml"
				if len(args) == 2 {
					file = specPath
				}
				seen := map[string]bool{}
				for _, m := range positionRE.FindAllStringSubmatch(stderr, -1) {
					if m[1] != file {
						t.Errorf("%q: diagnostic names %q, want %q", args, m[1], file)
					}
					seen[m[2]+":"+m[3]] = true
				}
				if len(seen) != 5 {
					t.Errorf("%q: %d positioned errors, want 5:\n%s", args, len(seen), stderr)
				}
				for _, pos := range []string{":3:8: table:", ":4:18: user.id_type:", ":7:21: context.fields.device.type:", ":9:53: fields.plan.default:", ":12:3: settings.refresh_token_ttl:"} {
					if !strings.Contains(stderr, file+pos) {
						t.Errorf("%q: stderr lacks %q:\n%s", args, file+pos, stderr)
					}
				}
				sameSnapshot(t, strings.Join(args, " "), before, snapshot(t, dir))
			}
		})
	}
}

// TestE2EExampleUpToDate is CI's `authentify-gen --check` of the committed
// example package.
func TestE2EExampleUpToDate(t *testing.T) {
	code, stdout, stderr := runCmd(t, "-f", filepath.Join("..", "..", "examples", "echo", "auth", "authentify.yaml"), "--check")
	if code != exitOK || stdout != "up to date\n" {
		t.Fatalf("the example is stale (exit %d); run `go run ./cmd/authentify-gen -f examples/echo/auth/authentify.yaml`:\n%s%s", code, stdout, stderr)
	}
}

// TestE2ENoModule: the import path of the db package comes from go.mod, so
// a spec outside any module is an error and nothing is written.
func TestE2ENoModule(t *testing.T) {
	dir := t.TempDir()
	if _, err := gen.ImportPathOf(dir); err == nil {
		t.Fatalf("the temporary directory %s is inside a Go module; set TMPDIR outside any module to run this test", dir)
	}
	specPath := filepath.Join(dir, "authentify.yaml")
	writeFile(t, specPath, string(spec.Minimal()))
	code, stdout, stderr := runCmd(t, "-f", specPath)
	if code != exitFail || stdout != "" || !strings.Contains(stderr, "no go.mod found") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if got := snapshot(t, dir); len(got) != 1 {
		t.Errorf("files written outside a module: %v", slices.Sorted(maps.Keys(got)))
	}
}
