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
	if !bytes.Equal(got, spec.Starter()) {
		t.Error("init did not write spec.Starter()")
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

// TestGenerate runs the whole pipeline on the minimal spec, in the current
// directory as `go generate` does: write, rewrite (up to date), --check,
// then --check and write after a hand edit and with a stale file.
func TestGenerate(t *testing.T) {
	mod := t.TempDir()
	if err := os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module example.com/app\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(mod, "internal", "auth")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	if err := os.WriteFile(defaultSpecFile, spec.Minimal(), 0o644); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := runCmd(t)
	if code != exitOK {
		t.Fatalf("generate: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "wrote ") || stderr != "" {
		t.Errorf("generate: stdout %q, stderr %q", stdout, stderr)
	}
	var first string
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		name, ok := strings.CutPrefix(line, "wrote ")
		if !ok {
			t.Errorf("unexpected output line %q", line)
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !gen.IsGenerated(b) {
			t.Errorf("%s has no generated-file header", name)
		}
		if first == "" && filepath.Ext(name) == ".go" {
			first = name
		}
	}

	if code, stdout, _ := runCmd(t); code != exitOK || stdout != "up to date\n" {
		t.Errorf("second generate: exit %d, stdout %q", code, stdout)
	}
	if code, stdout, _ := runCmd(t, "--check"); code != exitOK || stdout != "up to date\n" {
		t.Errorf("check: exit %d, stdout %q", code, stdout)
	}

	// A hand edit and a stale file make --check fail and are repaired.
	if first == "" {
		t.Fatal("no Go file generated")
	}
	orig, _ := os.ReadFile(first)
	if err := os.WriteFile(first, append(orig, "// edited\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("old_generated.go", []byte(gen.GoHeader+"\n\npackage auth\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runCmd(t, "--check")
	if code != exitFail {
		t.Errorf("check after edit: exit %d", code)
	}
	for _, want := range []string{"changed: " + filepath.ToSlash(first), "stale:   old_generated.go", "-// edited"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("check output lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "out of date") {
		t.Errorf("check stderr = %q", stderr)
	}
	code, stdout, _ = runCmd(t)
	if code != exitOK || stdout != "wrote "+first+"\ndeleted old_generated.go\n" {
		t.Errorf("repair: exit %d, stdout %q", code, stdout)
	}
	if b, _ := os.ReadFile(first); !bytes.Equal(b, orig) {
		t.Errorf("%s not restored", first)
	}
}
