package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authentify-go/authentify/internal/gen"
	"github.com/authentify-go/authentify/internal/spec"
)

// TestMain lets the test binary act as the sqlc child process, as the real
// binary does, since run passes os.Executable() to gen.Generate.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == gen.SqlcSubcommand {
		os.Exit(gen.SqlcMain(os.Args[2:]))
	}
	os.Exit(m.Run())
}

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{
		{"-x"},
		{"--check=maybe"},
		{"extra"},
		{"-f"},
		{"--check", "extra"},
		{"init", "extra"},
		{"init", "-check"},
		{"version", "extra"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, stdout, stderr := runCmd(t, args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
			if !strings.HasPrefix(stderr, "authentify-gen: ") || !strings.Contains(stderr, "usage: authentify-gen") {
				t.Errorf("stderr lacks the error and the usage:\n%s", stderr)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}, {"init", "-h"}} {
		code, stdout, stderr := runCmd(t, args...)
		if code != exitOK || !strings.HasPrefix(stdout, "usage: authentify-gen") || stderr != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
}

func TestVersion(t *testing.T) {
	code, stdout, stderr := runCmd(t, "version")
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if !strings.HasPrefix(stdout, "authentify-gen ") || len(strings.TrimSpace(stdout)) <= len("authentify-gen ") {
		t.Errorf("stdout = %q", stdout)
	}
}

func TestInit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "authentify.yaml")
	code, stdout, stderr := runCmd(t, "init", "-f", path)
	if code != exitOK || stderr != "" || stdout != "wrote "+path+"\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, spec.StarterFor("sub")) {
		t.Error(`init did not write spec.StarterFor("sub") (the folder's name)`)
	}
	if _, err := spec.LoadFile(path); err != nil {
		t.Errorf("the starter spec does not load:\n%v", err)
	}

	if err := os.WriteFile(path, []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runCmd(t, "init", "-f", path)
	if code != exitFail || stdout != "" || !strings.Contains(stderr, "already exists") {
		t.Errorf("second init: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if b, _ := os.ReadFile(path); string(b) != "mine\n" {
		t.Errorf("init overwrote the file: %q", b)
	}
}

// TestInitPackage checks that init names the package after the spec's
// folder, and that what it writes loads and points editors to the schema.
func TestInitPackage(t *testing.T) {
	for _, tc := range []struct {
		folder, pkg, prefix string
		warn                bool
	}{
		{"auth", "auth", "auth", false},
		{"billing", "billing", "billing", false},
		{"My-App", "my_app", "myapp", false},
		{"sessionmanagement2", "sessionmanagement2", "sessionmanagemen", false},
		{"db", "auth", "auth", true},
		{"func", "auth", "auth", true},
		{"2fa", "auth", "auth", true},
	} {
		t.Run(tc.folder, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tc.folder, "authentify.yaml")
			code, _, stderr := runCmd(t, "init", "-f", path)
			if code != exitOK || (stderr != "") != tc.warn {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(src, []byte("# yaml-language-server: $schema="+spec.SchemaURL+"\n")) {
				t.Errorf("no yaml-language-server line first:\n%.200s", src)
			}
			s, err := spec.LoadFile(path)
			if err != nil {
				t.Fatalf("the starter spec does not load:\n%v", err)
			}
			if s.Package != tc.pkg || s.Token.Prefix != tc.prefix {
				t.Errorf("package %q, prefix %q; want %q, %q", s.Package, s.Token.Prefix, tc.pkg, tc.prefix)
			}
		})
	}
}

// TestInitPackageClause checks that init takes the package clause of a .go
// file already in the folder over the folder's name.
func TestInitPackageClause(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "billing-api")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string]string{
		"generate.go":     "package billing\n\n//go:generate go tool authentify-gen\n",
		"billing_test.go": "package billing_test\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "authentify.yaml")
	if code, _, stderr := runCmd(t, "init", "-f", path); code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	s, err := spec.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.Package != "billing" {
		t.Errorf("package %q, want billing (the package clause of generate.go)", s.Package)
	}
}

// TestSchemaCommand checks that `authentify-gen schema` prints the JSON
// Schema.
func TestSchemaCommand(t *testing.T) {
	code, stdout, stderr := runCmd(t, "schema")
	if code != exitOK || stderr != "" || stdout != string(spec.JSONSchema()) {
		t.Errorf("exit %d, stderr %q, stdout:\n%.300s", code, stderr, stdout)
	}
	if code, _, _ := runCmd(t, "schema", "extra"); code != exitUsage {
		t.Errorf("schema extra: exit %d, want %d", code, exitUsage)
	}
}

func TestInitDefaultPath(t *testing.T) {
	t.Chdir(t.TempDir())
	if code, _, stderr := runCmd(t, "init"); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(defaultSpecFile); err != nil {
		t.Error(err)
	}
}

func TestInvalidSpec(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "authentify.yaml")
	if err := os.WriteFile(path, []byte("version: 1\npackage: auth\ncolour: red\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"-f", path}, {"-f", path, "--check"}} {
		code, stdout, stderr := runCmd(t, args...)
		if code != exitFail {
			t.Errorf("%q: exit %d, want %d", args, code, exitFail)
		}
		if stdout != "" {
			t.Errorf("%q: stdout = %q", args, stdout)
		}
		if want := path + `:3:1: colour: unknown key "colour"`; !strings.HasPrefix(stderr, want) {
			t.Errorf("%q: stderr does not start with %q:\n%s", args, want, stderr)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("files written for an invalid spec: %v", entries)
	}
}

func TestMissingSpec(t *testing.T) {
	t.Chdir(t.TempDir())
	code, stdout, stderr := runCmd(t)
	if code != exitFail || stdout != "" || !strings.Contains(stderr, "authentify.yaml") || !strings.Contains(stderr, "authentify-gen init") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}
