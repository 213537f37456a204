package gen

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/authentify-go/authentify/internal/spec"
)

// Scenario files: testdata/scenarios/<name>.txtar.
//
// The archive comment says what the scenario is about. The sections are:
//
//	-- authentify.yaml --   the input spec (loaded as "authentify.yaml")
//	-- history/NN.yaml --   earlier versions of the spec, oldest first: their
//	                        migrations are generated first (see scenarioHistory)
//	-- allow-destructive -- (empty) generate with --allow-destructive
//	-- want/error --        the exact error text (positioned file:line:col), or
//	-- want/FILES --        every generated path, one per line, sorted, and
//	-- want/<path> --       the expected content of generated file <path>
//
// A successful scenario is compared against exactly the files it lists
// under want/ (the rest only count through want/FILES, so adding, removing or
// renaming any generated file is always noticed). Which files a scenario
// keeps is chosen by hand: keep the files that the scenario is about (for
// example want/context.go and want/sql/schema.sql for field types) and
// delete the other sections. A scenario that keeps every file of its FILES
// list (minimal, design_example) is "complete" and stays complete: -update
// then also adds files the generator newly produces. A new archive with no
// want/ section at all gets every file on its first -update.
//
// The package is generated with Source "authentify.yaml" and ImportPath
// scenarioImportPath(<scenario name>), so the output does not depend on
// where the test runs, and compile_test.go can build every scenario in one
// module.
//
//	go test ./internal/gen -run TestScenarios -update
//
// rewrites the want/ sections (error text, FILES and the kept files).

const scenarioDir = "testdata/scenarios"

// scenarioImportPath is the import path a scenario's package is generated
// for: compile_test.go builds it in the directory <name> of a module named
// example.com/app.
func scenarioImportPath(name string) string { return "example.com/app/" + name }

// scenario is one parsed archive.
type scenario struct {
	name string // file name without .txtar
	file string
	ar   *txtar.Archive
	spec []byte
}

func loadScenarios(t *testing.T) []scenario {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(scenarioDir, "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no %s/*.txtar", scenarioDir)
	}
	var out []scenario
	for _, file := range files {
		ar, err := txtar.ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		src, ok := archiveFile(ar, "authentify.yaml")
		if !ok {
			t.Fatalf("%s: no authentify.yaml section", file)
		}
		out = append(out, scenario{
			name: strings.TrimSuffix(filepath.Base(file), ".txtar"),
			file: file,
			ar:   ar,
			spec: src,
		})
	}
	return out
}

// wantsError reports whether the scenario expects generation to fail.
func (sc scenario) wantsError() bool {
	_, ok := archiveFile(sc.ar, "want/error")
	return ok
}

// generated memoizes generateScenario per scenario file: TestScenarios and
// TestCompile share one generation (one sqlc child) per scenario.
var generated sync.Map // file → func() generatedScenario

type generatedScenario struct {
	spec  *spec.Spec
	files FileSet
	err   error
}

// generateScenario loads and generates the spec of sc. It returns either the
// files or the error (spec diagnostics or a generation failure). Callers
// must not modify the files.
func generateScenario(sc scenario) (*spec.Spec, FileSet, error) {
	f, _ := generated.LoadOrStore(sc.file, sync.OnceValue(func() generatedScenario {
		s, files, err := generateScenarioOnce(context.Background(), sc)
		return generatedScenario{s, files, err}
	}))
	g := f.(func() generatedScenario)()
	return g.spec, g.files, g.err
}

func generateScenarioOnce(ctx context.Context, sc scenario) (*spec.Spec, FileSet, error) {
	s, err := spec.Load("authentify.yaml", sc.spec)
	if err != nil {
		return nil, nil, err
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	opt := Options{SqlcExe: exe, Source: "authentify.yaml", ImportPath: scenarioImportPath(sc.name)}
	opt.Migrations, opt.LiteMigrations, err = scenarioHistory(sc)
	if err != nil {
		return nil, nil, err
	}
	_, opt.AllowDestructive = archiveFile(sc.ar, "allow-destructive")
	files, err := Generate(ctx, s, opt)
	return s, files, err
}

// scenarioHistory returns the sql/migrations and sql/migrations_sqlite
// folders left by generating the scenario's history/NN.yaml specs in order
// (each with --allow-destructive), the state the scenario's own spec starts
// from.
func scenarioHistory(sc scenario) (FileSet, FileSet, error) {
	migs, lite := FileSet{}, FileSet{}
	for _, f := range sc.ar.Files {
		if !strings.HasPrefix(f.Name, "history/") {
			continue
		}
		hs, err := spec.Load("authentify.yaml", f.Data)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		migs, lite, err = planBoth(hs, Options{Source: "authentify.yaml", Migrations: migs, LiteMigrations: lite, AllowDestructive: true})
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", f.Name, err)
		}
	}
	return migs, lite, nil
}

func TestScenarios(t *testing.T) {
	for _, sc := range loadScenarios(t) {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			_, files, err := generateScenario(sc)
			if *update {
				updateScenario(t, sc, files, err)
				return
			}
			checkScenario(t, sc, files, err)
		})
	}
}

func checkScenario(t *testing.T, sc scenario, files FileSet, err error) {
	if wantErr, ok := archiveFile(sc.ar, "want/error"); ok {
		if err == nil {
			t.Fatalf("generation succeeded, want error:\n%s", wantErr)
		}
		if got := err.Error() + "\n"; got != string(wantErr) {
			t.Errorf("error differs (run with -update to accept)\n--- got\n%s--- want\n%s", got, wantErr)
		}
		if len(wantSections(sc.ar)) > 0 {
			t.Errorf("archive has both want/error and generated files")
		}
		return
	}
	if err != nil {
		t.Fatalf("generation failed: %v", err)
	}
	wantList, ok := archiveFile(sc.ar, "want/FILES")
	if !ok {
		t.Fatalf("no want/FILES section (run with -update)")
	}
	if got := fileList(files); got != string(wantList) {
		t.Errorf("generated paths differ (run with -update to accept)\n--- got\n%s--- want\n%s", got, wantList)
	}
	for _, p := range files.Paths() {
		if HeaderFor(p) != "" && !IsGenerated(files[p]) {
			t.Errorf("%s: no generated-file header", p)
		}
	}
	for _, p := range wantSections(sc.ar) {
		want, _ := archiveFile(sc.ar, "want/"+p)
		got, ok := files[p]
		if !ok {
			t.Errorf("want/%s: not generated", p)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs (run with -update to accept):\n%s", p, unifiedDiff("want/"+p, "got/"+p, want, got))
		}
	}
}

// updateScenario rewrites the want/ sections of sc from the outcome.
func updateScenario(t *testing.T, sc scenario, files FileSet, genErr error) {
	var keep []txtar.File
	for _, f := range sc.ar.Files {
		if !strings.HasPrefix(f.Name, "want/") {
			keep = append(keep, f)
		}
	}
	if genErr != nil {
		keep = append(keep, txtar.File{Name: "want/error", Data: []byte(genErr.Error() + "\n")})
	} else {
		kept := wantSections(sc.ar)
		oldList, hadList := archiveFile(sc.ar, "want/FILES")
		complete := len(kept) == 0 && !sc.wantsError() ||
			hadList && slices.Equal(kept, strings.Fields(string(oldList)))
		keep = append(keep, txtar.File{Name: "want/FILES", Data: []byte(fileList(files))})
		for _, p := range files.Paths() {
			if complete || slices.Contains(kept, p) {
				keep = append(keep, txtar.File{Name: "want/" + p, Data: files[p]})
			}
		}
		for _, p := range kept {
			if _, ok := files[p]; !ok {
				t.Logf("dropped want/%s: no longer generated", p)
			}
		}
	}
	sc.ar.Files = keep
	data := txtar.Format(sc.ar)
	// A file with a line like "-- x --", or without a final newline, would
	// not survive the archive.
	back := txtar.Parse(data)
	for i, f := range keep {
		if i >= len(back.Files) || back.Files[i].Name != f.Name || !bytes.Equal(back.Files[i].Data, f.Data) {
			t.Fatalf("%s does not round-trip through txtar", f.Name)
		}
	}
	if err := os.WriteFile(sc.file, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// wantSections lists the generated files an archive keeps: its want/<path>
// sections other than want/FILES and want/error, in file order.
func wantSections(ar *txtar.Archive) []string {
	var out []string
	for _, f := range ar.Files {
		p, ok := strings.CutPrefix(f.Name, "want/")
		if ok && p != "FILES" && p != "error" {
			out = append(out, p)
		}
	}
	return out
}

// fileList is the want/FILES content of files.
func fileList(files FileSet) string {
	var b strings.Builder
	for _, p := range files.Paths() {
		b.WriteString(p + "\n")
	}
	return b.String()
}

func archiveFile(ar *txtar.Archive, name string) ([]byte, bool) {
	for _, f := range ar.Files {
		if f.Name == name {
			return f.Data, true
		}
	}
	return nil, false
}

// TestScenarioErrorsArePositioned checks the error scenarios beyond their
// golden text: every diagnostic is positioned in authentify.yaml, and the
// five-mistakes spec yields five of them.
func TestScenarioErrorsArePositioned(t *testing.T) {
	for _, sc := range loadScenarios(t) {
		if !sc.wantsError() {
			continue
		}
		t.Run(sc.name, func(t *testing.T) {
			_, _, err := generateScenario(sc)
			if err == nil {
				t.Fatal("no error")
			}
			errs, ok := err.(*spec.Errors)
			if !ok {
				t.Fatalf("error is %T, want *spec.Errors: %v", err, err)
			}
			for _, d := range errs.Diags {
				if d.File != "authentify.yaml" || d.Line < 1 || d.Col < 1 {
					t.Errorf("unpositioned diagnostic %q", d.Header())
				}
				if !strings.HasPrefix(d.Header(), d.Position()+": ") {
					t.Errorf("diagnostic does not start with its position: %q", d.Header())
				}
			}
			if sc.name == "err_five_mistakes" && len(errs.Diags) != 5 {
				t.Errorf("%d diagnostics, want 5:\n%v", len(errs.Diags), err)
			}
		})
	}
}

// TestSqlcParamNames keeps sqlcParams in sync with queries.sql.tmpl: a table
// named like a query parameter cannot be renamed in sqlc.yaml (see
// renamesTable), so the list must name every parameter and every result
// alias (AS "x") that is not a column.
func TestSqlcParamNames(t *testing.T) {
	s, err := spec.Load("authentify.yaml", []byte("version: 1\npackage: auth\nfields:\n  plan: { type: string, default: x }\n"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := renderSQL(s, "authentify.yaml", sqlPaths{Schema: "schema.sql", Queries: "queries.sql", Out: "db"})
	if err != nil {
		t.Fatal(err)
	}
	columns := map[string]bool{"plan": true}
	for _, c := range spec.BuiltinColumns() {
		columns[c] = true
	}
	used := map[string]bool{}
	re := regexp.MustCompile(`@([a-z_]+)|sqlc\.n?arg\('?([a-z_]+)'?\)|(?:\)|bigint) AS "([a-z_]+)"`)
	for _, m := range re.FindAllStringSubmatch(string(files["queries.sql"]), -1) {
		name := m[1] + m[2] + m[3]
		used[name] = true
		if !columns[name] && !slices.Contains(sqlcParams, name) {
			t.Errorf("query parameter %q is neither a column nor in sqlcParams", name)
		}
	}
	for _, p := range sqlcParams {
		if !used[p] {
			t.Errorf("sqlcParams lists %q, which no query uses", p)
		}
	}
}
