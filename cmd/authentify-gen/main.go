// Command authentify-gen generates a typed Go token-authentication package
// from an authentify.yaml spec.
//
// Usage:
//
//	authentify-gen [-f authentify.yaml] [--check] [--allow-destructive]
//	authentify-gen init [-f authentify.yaml]
//	authentify-gen schema
//	authentify-gen version
//
// The generated files go next to the spec file, so a
//
//	//go:generate go tool authentify-gen
//
// line in the spec's package regenerates it. With --check nothing is written:
// the command lists the files that are out of date, shows their diff and
// exits with status 1.
//
// Every spec change appends one goose migration to sql/migrations and
// updates sql/migrations/model.json, the snapshot the next change is
// compared with. A change that loses data is refused, with its position in
// the spec, unless --allow-destructive is given.
//
// Exit status: 0 success, 1 spec invalid, generation failed or --check found
// differences, 2 usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/authentify-go/authentify/internal/gen"
	"github.com/authentify-go/authentify/internal/spec"
)

const (
	modulePath      = "github.com/authentify-go/authentify"
	defaultSpecFile = "authentify.yaml"
)

const usage = `usage: authentify-gen [-f authentify.yaml] [--check] [--allow-destructive]
       authentify-gen init [-f authentify.yaml]
       authentify-gen schema
       authentify-gen version

Generates a typed token-authentication package from a spec file into the
spec file's directory. Use it from the spec's package with

	//go:generate go tool authentify-gen

Commands:
  (none)    generate; files whose content is unchanged are not rewritten;
            files listed in authentify-gen.sum (the manifest of what it
            wrote) that are no longer produced are deleted; nothing else
            is ever touched
  init      write a starter spec for the spec folder's package (refuses to
            overwrite an existing file)
  schema    print the JSON Schema (draft 2020-12) of authentify.yaml
  version   print the generator version

Flags:
  -f file   spec file (default authentify.yaml)
  --check   do not write; report changed, missing and stale files with a
            diff and exit 1 if the generated files are out of date (also when
            the spec changed but its migration was not generated, or when a
            committed migration was edited)
  --allow-destructive
            let a spec change generate a migration that loses data (dropping
            a column, removing an enum value, changing user.id_type); the
            migration says so at its top
`

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole command; it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case gen.SqlcSubcommand:
			return gen.SqlcMain(args[1:])
		case "version":
			return runVersion(args[1:], stdout, stderr)
		case "init":
			return runInit(args[1:], stdout, stderr)
		case "schema":
			return runSchema(args[1:], stdout, stderr)
		case "help":
			fmt.Fprint(stdout, usage)
			return exitOK
		}
	}
	return runGenerate(args, stdout, stderr)
}

// newFlags returns a flag set that reports errors but leaves printing the
// usage to parse.
func newFlags(name string) *flag.FlagSet {
	fset := flag.NewFlagSet(name, flag.ContinueOnError)
	fset.SetOutput(io.Discard)
	return fset
}

// parse parses args with fset. It returns -1 to continue, or the exit code:
// exitOK for -h (usage printed to stdout), exitUsage for bad flags or
// positional arguments (message and usage printed to stderr).
func parse(fset *flag.FlagSet, args []string, stdout, stderr io.Writer) int {
	err := fset.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usage)
		return exitOK
	case err != nil:
		fmt.Fprintf(stderr, "authentify-gen: %v\n%s", err, usage)
		return exitUsage
	case fset.NArg() > 0:
		fmt.Fprintf(stderr, "authentify-gen: unexpected argument %q\n%s", fset.Arg(0), usage)
		return exitUsage
	}
	return -1
}

func runGenerate(args []string, stdout, stderr io.Writer) int {
	fset := newFlags("authentify-gen")
	specPath := fset.String("f", defaultSpecFile, "spec file")
	check := fset.Bool("check", false, "report differences instead of writing")
	allowDestructive := fset.Bool("allow-destructive", false, "generate a migration that loses data")
	if code := parse(fset, args, stdout, stderr); code >= 0 {
		return code
	}

	s, err := spec.LoadFile(*specPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		if errors.Is(err, fs.ErrNotExist) && *specPath == defaultSpecFile {
			fmt.Fprintln(stderr, "(run `authentify-gen init` to create one, or pass -f)")
		}
		return exitFail
	}
	dir := filepath.Dir(*specPath)
	importPath, err := gen.ImportPathOf(dir)
	if err != nil {
		return fail(stderr, err)
	}
	exe, err := os.Executable()
	if err != nil {
		return fail(stderr, err)
	}
	migrations, err := gen.ReadMigrations(dir)
	if err != nil {
		return fail(stderr, err)
	}
	liteMigrations, err := gen.ReadLiteMigrations(dir)
	if err != nil {
		return fail(stderr, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	files, err := gen.Generate(ctx, s, gen.Options{
		SqlcExe:          exe,
		Source:           filepath.Base(*specPath),
		ImportPath:       importPath,
		Migrations:       migrations,
		LiteMigrations:   liteMigrations,
		AllowDestructive: *allowDestructive,
	})
	if err != nil {
		var serr *spec.Errors
		if errors.As(err, &serr) {
			fmt.Fprintln(stderr, err)
			return exitFail
		}
		return fail(stderr, err)
	}

	if *check {
		rep, err := gen.Check(dir, files)
		if err != nil {
			return fail(stderr, err)
		}
		if !rep.OK() {
			fmt.Fprint(stdout, rep.String())
			fmt.Fprintf(stderr, "authentify-gen: generated files in %s are out of date; run authentify-gen (go generate) to update them\n", dir)
			return exitFail
		}
		fmt.Fprintln(stdout, "up to date")
		return exitOK
	}

	res, err := gen.Write(dir, files)
	for _, p := range res.Written {
		fmt.Fprintf(stdout, "wrote %s\n", filepath.Join(dir, filepath.FromSlash(p)))
	}
	for _, p := range res.Deleted {
		fmt.Fprintf(stdout, "deleted %s\n", filepath.Join(dir, filepath.FromSlash(p)))
	}
	for _, p := range res.Kept {
		fmt.Fprintf(stderr, "authentify-gen: kept %s: no longer generated, but edited since authentify-gen wrote it; it is yours now (delete it if you do not need it)\n", filepath.Join(dir, filepath.FromSlash(p)))
	}
	if err != nil {
		return fail(stderr, err)
	}
	if len(res.Written) == 0 && len(res.Deleted) == 0 {
		fmt.Fprintln(stdout, "up to date")
	}
	return exitOK
}

func runInit(args []string, stdout, stderr io.Writer) int {
	fset := newFlags("init")
	specPath := fset.String("f", defaultSpecFile, "spec file to create")
	if code := parse(fset, args, stdout, stderr); code >= 0 {
		return code
	}
	abs, err := filepath.Abs(*specPath)
	if err != nil {
		return fail(stderr, err)
	}
	pkg, ok := existingPackage(filepath.Dir(abs))
	if !ok {
		folder := filepath.Base(filepath.Dir(abs))
		if pkg, ok = spec.InitPackage(folder); !ok {
			fmt.Fprintf(stderr, "authentify-gen: the folder name %q is not a usable Go package name; writing package: %s (edit it to match the folder's package clause)\n", folder, pkg)
		}
	}
	if err := createFile(*specPath, spec.StarterFor(pkg)); err != nil {
		if errors.Is(err, fs.ErrExist) {
			fmt.Fprintf(stderr, "authentify-gen: %s already exists; not overwriting it\n", *specPath)
			return exitFail
		}
		return fail(stderr, err)
	}
	fmt.Fprintf(stdout, "wrote %s\n", *specPath)
	return exitOK
}

// existingPackage returns the package clause of the first non-test .go file
// in dir that names a package the spec accepts (a //go:generate file written
// before the spec, say), so that init matches it.
func existingPackage(dir string) (string, bool) {
	names, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.PackageClauseOnly)
		if err != nil {
			continue
		}
		if p := f.Name.Name; p != "main" {
			if got, ok := spec.InitPackage(p); ok && got == p {
				return p, true
			}
		}
	}
	return "", false
}

// fail prints err to stderr, prefixed with the command name once, and
// returns exitFail.
func fail(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "authentify-gen: %s\n", strings.TrimPrefix(err.Error(), "authentify-gen: "))
	return exitFail
}

// createFile writes data to a new file at name, failing with fs.ErrExist if
// it exists.
func createFile(name string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(name)
		return err
	}
	return f.Close()
}

func runSchema(args []string, stdout, stderr io.Writer) int {
	if code := parse(newFlags("schema"), args, stdout, stderr); code >= 0 {
		return code
	}
	stdout.Write(spec.JSONSchema())
	return exitOK
}

func runVersion(args []string, stdout, stderr io.Writer) int {
	if code := parse(newFlags("version"), args, stdout, stderr); code >= 0 {
		return code
	}
	fmt.Fprintf(stdout, "authentify-gen %s\n", version())
	return exitOK
}

// version is the module version this binary was built from: the main
// module's for `go install`/`go run …@v`, the dependency's for `go tool`.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(devel)"
	}
	v := bi.Main.Version
	if bi.Main.Path != modulePath {
		v = ""
		for _, d := range bi.Deps {
			if d.Path == modulePath {
				v = d.Version
				if d.Replace != nil {
					v = d.Replace.Version
				}
			}
		}
	}
	if v == "" || v == "(devel)" {
		v = "(devel)"
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " " + s.Value[:12]
			}
		}
	}
	return v
}
