package gen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/format"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"text/template"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/mod/modfile"
	"golang.org/x/tools/imports"

	"github.com/authentify-go/authentify/internal/pgtest"
	"github.com/authentify-go/authentify/internal/spec"
)

// TestCompile builds, vets and runs the package generated for every
// successful scenario (testdata/scenarios): every field type, both strict
// modes, every user id type, odd but legal names.
//
// All packages go into one throwaway module in t.TempDir():
//
//	go.mod      module example.com/app; requires what this module requires
//	            and replaces github.com/authentify-go/authentify with this
//	            checkout
//	go.sum      a copy of this module's
//	<scenario>/ the generated files (import path
//	            scenarioImportPath(<scenario>)) plus run_test.go, rendered
//	            from testdata/compile/run_test.go.tmpl for the spec's user id
//	            type, context fields and custom columns
//
// and `go build ./...`, `go vet ./...` and `go test ./...` run once in it
// with GOFLAGS=-mod=mod GOPROXY=off GOWORK=off GOTOOLCHAIN=local, so nothing
// is downloaded. run_test.go drives the generated Service against
// PostgreSQL (a database of its own): issue, verify, every HTTP adapter of the spec
// over httptest (authenticated, missing, malformed, refused permission, cookie helpers),
// refresh, the old refresh token refused, revoke, list sessions, and every
// context field and custom column round-tripping.
//
// The generation subtests run in parallel; the go commands then build, vet
// and test all packages at once (in parallel, -p = GOMAXPROCS). On 2 cores
// that took about 30 s for 10 packages against about 45 s (and a third
// more CPU) with one module and go build/vet/test per scenario: the go
// command's start-up and module loading are paid once. Results are still
// reported per scenario (TestCompile/<step>/<scenario>).
// A missing go command or PostgreSQL fails the test.
func TestCompile(t *testing.T) {
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
	tmpl := template.Must(template.ParseFiles(filepath.Join("testdata", "compile", "run_test.go.tmpl")))
	var scenarios []scenario
	for _, sc := range loadScenarios(t) {
		if !sc.wantsError() {
			scenarios = append(scenarios, sc)
		}
	}

	snippets := readmeSnippets(t, filepath.Join(repoRoot(t), "README.md"))
	var mu sync.Mutex
	var sqliteOnly []string // scenarios whose packages must not import pgx
	start := time.Now()
	t.Run("generate", func(t *testing.T) {
		for _, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) {
				t.Parallel()
				s, files, err := generateScenario(sc)
				if err != nil {
					t.Fatalf("generate: %v", err)
				}
				if !s.Has(spec.EnginePostgreSQL) {
					mu.Lock()
					sqliteOnly = append(sqliteOnly, sc.name)
					mu.Unlock()
				}
				var buf bytes.Buffer
				if err := tmpl.Execute(&buf, newRunTestData(s, scenarioImportPath(sc.name))); err != nil {
					t.Fatalf("render run_test.go: %v", err)
				}
				runTest, err := format.Source(buf.Bytes())
				if err != nil {
					t.Fatalf("rendered run_test.go does not parse: %v\n%s", err, buf.Bytes())
				}
				dir := filepath.Join(mod, sc.name)
				if _, err := Write(dir, files); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "run_test.go"), runTest, 0o644); err != nil {
					t.Fatal(err)
				}
				if code := snippets[sc.name]; code != nil {
					src, err := snippetFile(s, scenarioImportPath(sc.name), code)
					if err != nil {
						t.Fatalf("README snippets for %s: %v", sc.name, err)
					}
					if err := os.WriteFile(filepath.Join(dir, "readme_snippets_test.go"), src, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			})
		}
	})
	if t.Failed() {
		return
	}
	t.Logf("generate: %v", time.Since(start).Round(time.Millisecond))

	// go build: per-package output from -json.
	out, all, err := runGo(t, goCmd, mod, "build", "-json", "./...")
	buildOut := map[string]string{}
	for _, ev := range decodeEvents(t, out) {
		if ev.Action == "build-output" {
			buildOut[ev.ImportPath] += ev.Output
		}
	}
	reportSteps(t, "build", err, all, scenarios, func(sc scenario) string {
		return outputUnder(buildOut, scenarioImportPath(sc.name))
	})

	// A spec without postgresql generates code that never imports pgx.
	for _, name := range sqliteOnly {
		out, all, err := runGo(t, goCmd, mod, "list", "-deps", "./"+name+"/...")
		if err != nil {
			t.Errorf("go list -deps ./%s/...: %v\n%s", name, err, all)
			continue
		}
		for _, dep := range strings.Fields(string(out)) {
			if strings.HasPrefix(dep, "github.com/jackc/") {
				t.Errorf("%s lists only sqlite in engines, yet its packages depend on %s", name, dep)
			}
		}
	}

	// go vet: type errors come under "# <import path>" lines, analyzer
	// findings as "<scenario>/<file>:line:col: …".
	_, all, err = runGo(t, goCmd, mod, "vet", "./...")
	vetOut := splitByPackage(string(all))
	reportSteps(t, "vet", err, all, scenarios, func(sc scenario) string {
		msg := outputUnder(vetOut, scenarioImportPath(sc.name))
		for _, line := range strings.SplitAfter(string(all), "\n") {
			if strings.HasPrefix(line, sc.name+"/") && !strings.Contains(msg, line) {
				msg += line
			}
		}
		return msg
	})

	// go test: per-package results from -json (vet ran above).
	out, all, err = runGo(t, goCmd, mod, "test", "-json", "-count=1", "-vet=off", "./...")
	results := map[string]string{} // package → pass, fail or skip
	testOut := map[string]string{}
	for _, ev := range decodeEvents(t, out) {
		switch {
		case ev.Action == "build-output":
			testOut[strings.Fields(ev.ImportPath)[0]] += ev.Output
		case ev.Package != "" && ev.Action == "output":
			testOut[ev.Package] += ev.Output
		case ev.Package != "" && ev.Test == "" && (ev.Action == "pass" || ev.Action == "fail" || ev.Action == "skip"):
			results[ev.Package] = ev.Action
		}
	}
	reportSteps(t, "test", err, all, scenarios, func(sc scenario) string {
		if p := scenarioImportPath(sc.name); results[p] != "pass" {
			return fmt.Sprintf("package %s: %q\n%s", p, results[p], outputUnder(testOut, p))
		}
		return ""
	})
	t.Logf("generate, build, vet and test of %d packages: %v", len(scenarios), time.Since(start).Round(time.Millisecond))
}

// snippetMarker precedes a README code block that TestCompile compiles into
// the package of a scenario: "<!-- compiled by TestCompile in scenario NAME -->".
const snippetMarker = "<!-- compiled by TestCompile in scenario "

// readmeSnippets returns the README's marked Go code blocks by scenario.
func readmeSnippets(t *testing.T, readme string) map[string][]string {
	t.Helper()
	data, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	lines := strings.Split(string(data), "\n")
	for i, line := range lines {
		name, ok := strings.CutPrefix(line, snippetMarker)
		if !ok {
			continue
		}
		name = strings.TrimSuffix(name, " -->")
		if i+1 >= len(lines) || lines[i+1] != "```go" {
			t.Fatalf("README line %d: %q must be followed by a ```go block", i+1, line)
		}
		var code []string
		for _, l := range lines[i+2:] {
			if l == "```" {
				break
			}
			code = append(code, l)
		}
		out[name] = append(out[name], strings.Join(code, "\n"))
	}
	if len(out) == 0 {
		t.Fatalf("README has no %q code block", snippetMarker)
	}
	return out
}

// snippetFile wraps README snippets into a test file of the generated
// package's external test package: the generated package imported as its
// own name, echo as the stack the spec lists (v5 without v4), and what
// else the snippets use from the standard library.
func snippetFile(s *spec.Spec, importPath string, code []string) ([]byte, error) {
	echoImport := echoPath
	if as := s.HTTPAdapters(); slices.Contains(as, spec.AdapterEcho5) && !slices.Contains(as, spec.AdapterEcho4) {
		echoImport = echo5Path
	}
	src := fmt.Sprintf("// Code generated by TestCompile from README.md. DO NOT EDIT.\n\npackage %s_test\n\nimport (\n\t\"fmt\"\n\t\"net/http\"\n\n\techo %q\n\n\t%s %q\n)\n\n%s\n",
		s.Package, echoImport, s.Package, importPath, strings.Join(code, "\n\n"))
	return imports.Process("readme_snippets_test.go", []byte(src), &imports.Options{Comments: true, TabIndent: true, TabWidth: 8})
}

// goEvent is a go build -json BuildEvent or a go test -json TestEvent.
type goEvent struct {
	ImportPath string // BuildEvent
	Package    string // TestEvent
	Test       string
	Action     string
	Output     string
}

// decodeEvents decodes the JSON lines of out, skipping anything else (the go
// command may print plain text for early errors).
func decodeEvents(t *testing.T, out []byte) []goEvent {
	t.Helper()
	var evs []goEvent
	for _, line := range bytes.Split(out, []byte("\n")) {
		if !bytes.HasPrefix(line, []byte("{")) {
			continue
		}
		var ev goEvent
		if err := json.Unmarshal(line, &ev); err != nil {
			t.Errorf("bad go -json line %q: %v", line, err)
			continue
		}
		evs = append(evs, ev)
	}
	return evs
}

// splitByPackage splits go vet's output into the sections that follow its
// "# <import path>" lines.
func splitByPackage(out string) map[string]string {
	sections := map[string]string{}
	pkg := ""
	for _, line := range strings.SplitAfter(out, "\n") {
		if p, ok := strings.CutPrefix(line, "# "); ok {
			pkg = strings.Fields(p + " x")[0]
		}
		sections[pkg] += line
	}
	return sections
}

// outputUnder concatenates the output of pkg and its subpackages (and test
// variants, "pkg [pkg.test]").
func outputUnder(byPkg map[string]string, pkg string) string {
	var b strings.Builder
	for _, p := range slices.Sorted(maps.Keys(byPkg)) {
		if p == pkg || strings.HasPrefix(p, pkg+"/") || strings.HasPrefix(p, pkg+" ") {
			b.WriteString(byPkg[p])
		}
	}
	return b.String()
}

// reportSteps reports one go command as a subtest per scenario. A failing
// command whose output names no scenario fails the step as a whole.
func reportSteps(t *testing.T, step string, err error, out []byte, scenarios []scenario, failure func(scenario) string) {
	t.Helper()
	t.Run(step, func(t *testing.T) {
		blamed := false
		for _, sc := range scenarios {
			msg := failure(sc)
			if msg != "" {
				blamed = true
			}
			t.Run(sc.name, func(t *testing.T) {
				if msg != "" {
					t.Errorf("go %s of %s failed:\n%s", step, sc.name, msg)
				}
			})
		}
		if err != nil && !blamed {
			t.Errorf("go %s: %v\n%s", step, err, out)
		}
	})
}

// requirePostgres fails the test unless the server of internal/pgtest
// answers.
func requirePostgres(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pgtest.AdminURL())
	if err != nil {
		t.Fatalf("PostgreSQL is needed to run generated code: connect to %s: %v (.ci/run starts it)", pgtest.AdminURL(), err)
	}
	conn.Close(context.Background())
}

// throwawayModule returns the go.mod and go.sum of a module example.com/app
// that builds against this checkout without downloading anything: it
// requires exactly what this module requires, so the build list is the same.
func throwawayModule(t *testing.T, root string) (goMod, goSum []byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	mf, err := modfile.Parse("go.mod", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "module example.com/app\n\ngo %s\n\nrequire (\n", mf.Go.Version)
	fmt.Fprintf(&b, "\t%s v0.0.0-00010101000000-000000000000\n", mf.Module.Mod.Path)
	for _, r := range mf.Require {
		fmt.Fprintf(&b, "\t%s %s\n", r.Mod.Path, r.Mod.Version)
	}
	fmt.Fprintf(&b, ")\n\nreplace %s => %s\n", mf.Module.Mod.Path, root)
	goSum, err = os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	return []byte(b.String()), goSum
}

// runGo runs the go command in dir, offline. It returns the standard output
// (the JSON stream with -json) and everything printed, for error messages.
func runGo(t *testing.T, goCmd, dir string, args ...string) (stdout, all []byte, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goCmd, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GOFLAGS=-mod=mod",
		"GOPROXY=off",
		"GOWORK=off",
		"GOTOOLCHAIN=local",
		"TZ=UTC", // timestamptz columns come back in the local zone
	)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err = cmd.Run()
	t.Logf("go %s: %v", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	return out.Bytes(), append(out.Bytes(), errb.Bytes()...), err
}

// runTestData is what testdata/compile/run_test.go.tmpl renders from.
type runTestData struct {
	Package    string
	ImportPath string
	Users      [2]string // Go expressions of type UserID
	UserRows   [2]string // the same ids as SQL literals
	RefTable   string    // quoted, schema-qualified if the spec says so
	RefSchema  string
	RefColumn  string
	RefType    string
	Required   []string // "GoName: expr" for every required context field
	Full       []string // "GoName: expr" for every context field
	Columns    []runTestColumn
	Lenient    bool
	Table      string // quoted token table
	FoldField  string // JSON key of the first context field ("" without context fields)
	FoldKey    string // FoldField in upper case: a key encoding/json would match to it
	PG         bool   // engines lists postgresql
	Lite       bool   // engines lists sqlite
	// LiteRefTable and LiteRefType are RefTable and RefType on SQLite.
	LiteRefTable string
	LiteRefType  string
	Adapters     []runTestAdapter
}

// runTestAdapter is one HTTP adapter of the spec: its kind and the Go name
// of each of its names (base name → name after collision suffixes).
type runTestAdapter struct {
	Kind string
	N    map[string]string
}

type runTestColumn struct{ Name, Expr string }

func newRunTestData(s *spec.Spec, importPath string) runTestData {
	m := newGoModel(s, "authentify.yaml", "", "")
	d := runTestData{
		Package:    s.Package,
		ImportPath: importPath,
		RefType:    userIDSQLType(s.User.IDType),
		Lenient:    !s.Context.Strict,
		Table:      quoteIdent(s.Table),
		PG:         s.Has(spec.EnginePostgreSQL),
		Lite:       s.Has(spec.EngineSQLite),
	}
	d.LiteRefType = liteUserID(s).Type
	for _, a := range s.HTTPAdapters() {
		n := map[string]string{}
		for _, base := range []string{"Handler", "Require", "WriteTokenCookies", "WriteClearTokenCookies",
			"TokenFrom", "Middleware", "SetTokenCookies", "ClearTokenCookies"} {
			n[base] = s.AdapterName(a, base)
		}
		d.Adapters = append(d.Adapters, runTestAdapter{Kind: string(a), N: n})
	}
	if len(s.Context.Fields) > 0 {
		d.FoldField = s.Context.Fields[0].Name
		d.FoldKey = strings.ToUpper(d.FoldField)
	}
	switch s.User.IDType {
	case spec.IDUUID:
		ids := [2]string{"0190a5c2-7b1e-7c3d-9f00-0000000000a1", "0190a5c2-7b1e-7c3d-9f00-0000000000b2"}
		d.Users = [2]string{`mustUUID("` + ids[0] + `")`, `mustUUID("` + ids[1] + `")`}
		d.UserRows = [2]string{quoteLiteral(ids[0]), quoteLiteral(ids[1])}
	case spec.IDString:
		d.Users = [2]string{`pkg.UserID("alice")`, `pkg.UserID("bob@example.com")`}
		d.UserRows = [2]string{"'alice'", "'bob@example.com'"}
	default:
		d.Users = [2]string{"pkg.UserID(1)", "pkg.UserID(2147483647)"}
		d.UserRows = [2]string{"1", "2147483647"}
	}
	if r := s.User.References; r != nil {
		d.RefTable = quoteIdent(r.Table)
		if schema, name, ok := strings.Cut(r.Table, "."); ok {
			d.RefSchema = quoteIdent(schema)
			d.RefTable = quoteIdent(schema) + "." + quoteIdent(name)
		}
		d.RefColumn = quoteIdent(r.Column)
		d.LiteRefTable = quoteIdent(r.Table)
	}
	for _, f := range s.Context.Fields {
		v := goValue(m, "context", f, f.Nullable)
		d.Full = append(d.Full, f.GoName+": "+v)
		if f.Required {
			d.Required = append(d.Required, f.GoName+": "+v)
		}
	}
	for _, f := range s.Fields {
		d.Columns = append(d.Columns, runTestColumn{Name: f.GoName, Expr: goValue(m, "fields", f, true)})
	}
	return d
}

// goValue is a non-zero Go expression of the field's type in package pkg,
// a pointer to it if pointer is set and the type is not nullable by itself.
func goValue(m *goModel, kind string, f spec.Field, pointer bool) string {
	var typ, v string
	switch f.Type {
	case spec.TypeString:
		typ, v = "string", strconv.Quote(`it's "x"; --`)
	case spec.TypeBool:
		typ, v = "bool", "true"
	case spec.TypeInt32:
		typ, v = "int32", "-2147483648"
	case spec.TypeInt64:
		typ, v = "int64", "9223372036854775807"
	case spec.TypeFloat64:
		typ, v = "float64", "0.1"
	case spec.TypeTime:
		typ, v = "time.Time", "time.Date(2031, 2, 3, 4, 5, 6, 7000, time.UTC)"
	case spec.TypeUUID:
		typ, v = "runtime.UUID", `mustUUID("0190a5c2-7b1e-7c3d-9f00-00000000c0de")`
	case spec.TypeIP:
		typ, v = "netip.Addr", `netip.MustParseAddr("2001:db8::7")`
	case spec.TypeJSON:
		return "json.RawMessage(`[1, {\"k\": \"v\"}]`)"
	case spec.TypeStringList:
		return `[]string{"a", "b c", ""}`
	case spec.TypeEnum:
		typ = "pkg." + f.EnumType
		v = typ + "(" + strconv.Quote(f.Values[len(f.Values)-1]) + ")"
	default:
		panic("goValue: unknown type " + string(f.Type))
	}
	if pointer {
		return "ptr[" + typ + "](" + v + ")"
	}
	return v
}
