package gen

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/tools/txtar"

	"github.com/authentify-go/authentify/internal/spec"
)

var (
	genSeed  = flag.Uint64("gen.seed", 7, "seed of TestGenerativeCompile")
	genCount = flag.Int("gen.n", 40, "number of random specs TestGenerativeCompile tries")
	genOnly  = flag.Int("gen.only", -1, "compile only the random spec of this index (to reproduce one)")
)

// trickyNames are names that collide easily with what the generated package
// declares, with Go keywords and predeclared identifiers, with the built-in
// columns and query parameters, or with each other once the underscores are
// gone.
var trickyNames = []string{
	"new", "with", "token", "context", "settings", "service", "middleware", "err", "db", "runtime",
	"store", "id", "options", "option", "columns", "issued", "user_id", "prefix", "schema", "valid",
	"check", "string", "type", "func", "go", "map", "chan", "range", "select", "default", "case",
	"var", "const", "package", "import", "interface", "struct", "nil", "true", "false", "iota",
	"len", "make", "append", "error", "int", "any", "value", "values", "extra", "get", "record",
	"state", "format", "hash", "now", "at", "reason", "keep_id", "batch", "lock_key", "access_hash",
	"access__hash", "auth_type", "with_settings", "settings_x", "http_error", "token_from", "require",
	"clock", "a", "a_b", "ab", "a__b", "b_c", "a_b_c", "ab_c", "x1", "ip", "url", "uuid", "json",
	"api", "id_x", "x_id", "i_d", "token_row", "queries", "users", "order", "user", "table", "s",
	"v", "c", "t", "tok", "r", "row", "pool", "ctx", "o", "opts", "data", "errs", "p", "d", "x",
}

// mentions reports whether a line of go command output is about the
// package directory name (or one below it), not merely one whose name
// starts the same (found_1_8 vs found_1_88).
func mentions(line, name string) bool {
	for _, p := range []string{name + "/", scenarioImportPath(name) + "/"} {
		if strings.Contains(line, p) {
			return true
		}
	}
	l := strings.TrimSpace(line)
	return strings.HasSuffix(l, scenarioImportPath(name)) || strings.Contains(l, scenarioImportPath(name)+" ")
}

// randName returns a tricky name or a short random snake_case one.
func randName(r *rand.Rand) string {
	if r.IntN(3) > 0 {
		return trickyNames[r.IntN(len(trickyNames))]
	}
	words := make([]string, 1+r.IntN(3))
	for i := range words {
		w := make([]byte, 1+r.IntN(2))
		for j := range w {
			w[j] = "abcdeix"[r.IntN(7)]
		}
		words[i] = string(w)
	}
	sep := "_"
	if r.IntN(5) == 0 {
		sep = "__"
	}
	return strings.Join(words, sep)
}

// randField renders one field definition as a YAML flow mapping.
func randField(r *rand.Rand, isContext bool) string {
	types := spec.FieldTypes()
	typ := types[r.IntN(len(types))]
	parts := []string{"type: " + string(typ)}
	var values []string
	if typ == spec.TypeEnum {
		for range 1 + r.IntN(3) {
			values = append(values, fmt.Sprintf("%q", randName(r)))
		}
		parts = append(parts, "values: ["+strings.Join(values, ", ")+"]")
	}
	zeroIsValue := typ == spec.TypeBool || typ == spec.TypeInt32 || typ == spec.TypeInt64 || typ == spec.TypeFloat64
	def := map[spec.FieldType]string{
		spec.TypeString: `"x y"`, spec.TypeBool: "false", spec.TypeInt32: "0", spec.TypeInt64: "0",
		spec.TypeFloat64: "0", spec.TypeTime: "2024-01-02T15:04:05Z", spec.TypeUUID: "123e4567-e89b-12d3-a456-426614174000",
		spec.TypeIP: "192.0.2.1", spec.TypeJSON: "{a: [1, true]}", spec.TypeStringList: "[a, b]",
	}[typ]
	if typ == spec.TypeEnum {
		def = values[0]
	}
	switch n := r.IntN(3); {
	case isContext && n == 0 && !zeroIsValue:
		parts = append(parts, "required: true")
	case n == 1 || !isContext && n == 0:
		parts = append(parts, "nullable: true")
		if r.IntN(2) == 0 && !isContext {
			parts = append(parts, "default: "+def)
		}
	default:
		parts = append(parts, "default: "+def)
	}
	return "{ " + strings.Join(parts, ", ") + " }"
}

// randSpec renders a random authentify.yaml whose names are mostly tricky.
func randSpec(r *rand.Rand) string {
	var b strings.Builder
	pkg := randName(r)
	fmt.Fprintf(&b, "version: 1\npackage: %q\ntoken: { prefix: p%d }\n", pkg, r.IntN(100))
	if r.IntN(2) == 0 {
		fmt.Fprintf(&b, "table: %q\n", randName(r))
	}
	ids := []string{"int64", "int32", "uuid", "string"}
	fmt.Fprintf(&b, "user: { id_type: %s }\n", ids[r.IntN(len(ids))])
	fmt.Fprintf(&b, "context:\n  strict: %v\n  fields:\n", r.IntN(2) == 0)
	n := r.IntN(5)
	if n == 0 {
		b.WriteString("    {}\n")
	}
	for range n {
		fmt.Fprintf(&b, "    %q: %s\n", randName(r), randField(r, true))
	}
	if n := r.IntN(5); n > 0 {
		b.WriteString("fields:\n")
		for range n {
			fmt.Fprintf(&b, "  %q: %s\n", randName(r), randField(r, false))
		}
	}
	// Two of three specs add SQLite: sqlc's sqlite engine must take every
	// name and type too.
	switch r.IntN(3) {
	case 1:
		b.WriteString("engines: [sqlite]\n")
	case 2:
		b.WriteString("engines: [postgresql, sqlite]\n")
	}
	return b.String()
}

// TestGenerativeCompile generates many random specs with tricky names (seed
// -gen.seed, count -gen.n). Every spec must either be refused by spec.Load
// with positioned diagnostics, or generate a package that builds and
// passes go vet. All packages go into one throwaway module built and vetted
// once (see TestCompile). A spec that fails is written to
// testdata/scenarios/found_<seed>_<i>.txtar, to be kept as a scenario (run
// TestScenarios with -update to fill in its want sections).
func TestGenerativeCompile(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to compile generated code: %v", err)
	}
	r := rand.New(rand.NewPCG(*genSeed, 0))
	type gcase struct {
		name string
		src  string
		s    *spec.Spec
	}
	var cases []gcase
	refused := 0
	for i := range *genCount {
		src := randSpec(r)
		s, err := spec.Load("authentify.yaml", []byte(src))
		if err != nil {
			var errs *spec.Errors
			if !errors.As(err, &errs) || len(errs.Diags) == 0 || errs.Diags[0].Line < 1 {
				t.Errorf("spec %d: Load failed without positioned diagnostics: %v\n%s", i, err, src)
			}
			refused++
			continue
		}
		if *genOnly < 0 || *genOnly == i {
			cases = append(cases, gcase{fmt.Sprintf("found_%d_%d", *genSeed, i), src, s})
		}
	}
	t.Logf("seed %d: %d random specs, %d refused by the loader, %d generated", *genSeed, *genCount, refused, len(cases))
	if *genOnly < 0 && len(cases) < *genCount/4 {
		t.Fatalf("only %d of %d random specs load: the generator of random specs needs fixing", len(cases), *genCount)
	}

	mod := t.TempDir()
	goMod, goSum := throwawayModule(t, repoRoot(t))
	for name, data := range map[string][]byte{"go.mod": goMod, "go.sum": goSum} {
		if err := os.WriteFile(filepath.Join(mod, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	failed := map[string]string{} // case name → why
	start := time.Now()
	t.Run("generate", func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				files, err := Generate(context.Background(), c.s, Options{SqlcExe: exe, Source: "authentify.yaml", ImportPath: scenarioImportPath(c.name)})
				if err == nil {
					_, err = Write(filepath.Join(mod, c.name), files)
				}
				if err != nil {
					mu.Lock()
					failed[c.name] = "generate: " + err.Error()
					mu.Unlock()
				}
			})
		}
	})
	t.Logf("generate %d packages: %v", len(cases), time.Since(start).Round(time.Millisecond))

	for _, step := range []string{"build", "vet"} {
		if len(failed) == len(cases) {
			break
		}
		_, all, err := runGo(t, goCmd, mod, step, "./...")
		if err == nil {
			continue
		}
		blamed := false
		for _, c := range cases {
			var msg []string
			for _, line := range strings.SplitAfter(string(all), "\n") {
				if mentions(line, c.name) {
					msg = append(msg, line)
				}
			}
			if len(msg) == 0 {
				continue
			}
			blamed = true
			if _, ok := failed[c.name]; !ok {
				failed[c.name] = step + ":\n" + strings.Join(msg, "")
			}
		}
		if !blamed {
			t.Fatalf("go %s: %v\n%s", step, err, all)
		}
	}
	for _, c := range cases {
		why, ok := failed[c.name]
		if !ok {
			continue
		}
		file := filepath.Join(scenarioDir, c.name+".txtar")
		ar := &txtar.Archive{
			Comment: []byte(fmt.Sprintf("Found by TestGenerativeCompile (seed %d): a valid spec that did not generate Go that compiles.\n", *genSeed)),
			Files:   []txtar.File{{Name: "authentify.yaml", Data: []byte(c.src)}},
		}
		if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
			t.Error(err)
		}
		t.Errorf("%s: %s\nspec (kept as %s):\n%s", c.name, why, file, c.src)
	}
	if t.Failed() {
		return
	}
	t.Logf("%d random packages built and vetted in %v", len(cases), time.Since(start).Round(time.Millisecond))
}
