package gen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/dave/jennifer/jen"
	"golang.org/x/mod/modfile"
	"golang.org/x/tools/imports"

	"github.com/authentify-go/authentify/internal/spec"
)

// Options configures Generate.
type Options struct {
	// SqlcExe is a binary that runs sqlc for the SqlcSubcommand argument
	// (normally os.Executable()).
	SqlcExe string
	// Source is the spec file name mentioned in generated headers.
	Source string
	// ImportPath is the Go import path of the output directory; the sqlc
	// package is ImportPath + "/db". See ImportPathOf.
	ImportPath string
	// Migrations is the package's sql/migrations folder as it is (file
	// name → content, see ReadMigrations): model.json, the snapshot of the
	// model the last migration produced, and the migrations. Empty for a
	// new package.
	Migrations FileSet
	// LiteMigrations is the package's sql/migrations_sqlite folder as it is
	// (file name → content, see ReadLiteMigrations), for a spec whose
	// engines list sqlite.
	LiteMigrations FileSet
	// AllowDestructive lets a spec change generate a migration that loses
	// data (see plan); otherwise such a change is a positioned error.
	AllowDestructive bool

	// bases overrides baseVersions (tests simulate a newer base model).
	bases []baseVersion
}

// Generate renders the package described by s into an in-memory file set:
// sql/migrations (the existing migrations, one new migration when the
// model changed, and the model.json snapshot), sql/queries.sql,
// sql/sqlc.yaml (whose schema is the migrations folder), the sqlc output
// under db/, and the typed Go files. Nothing is written; see Write and
// Check.
func Generate(ctx context.Context, s *spec.Spec, opt Options) (FileSet, error) {
	if opt.ImportPath == "" {
		return nil, errors.New("missing import path of the output package")
	}
	if opt.Source == "" {
		opt.Source = "authentify.yaml"
	}
	files := FileSet{}
	migFiles, snap, err := migrations(s, opt)
	if err != nil {
		return nil, err
	}
	// The SQLite migrations follow the model the PostgreSQL ones record
	// (model.json keeps both); sqlc reads them as the SQLite schema.
	var liteNames []string
	var liteSnap *liteSnapshot
	if s.Has(spec.EngineSQLite) {
		var liteFiles FileSet
		liteFiles, liteNames, liteSnap, err = liteMigrations(s, snap, opt)
		if err != nil {
			return nil, err
		}
		for name, b := range liteFiles {
			files[name] = b
		}
		if liteSnap != snap.SQLite {
			snap.SQLite = liteSnap
			files[snapshotPath] = snap.marshal()
		}
	}
	// The copy kept in sql/ refers to ../db so that `sqlc generate -f
	// sql/sqlc.yaml` reproduces db/ (and db/sqlite/); the staged copy
	// writes to db. sqlc reads the migrations (it skips their Down sections)
	// as the schema.
	paths := sqlPaths{Schema: "migrations", Queries: "queries.sql", Out: "../db",
		LiteSchema: "migrations_sqlite", LiteQueries: liteQueriesName, LiteOut: "../" + liteDBDir}
	kept, err := renderSQL(s, opt.Source, paths)
	if err != nil {
		return nil, err
	}
	delete(kept, "schema.sql")
	for name, b := range kept {
		files["sql/"+name] = b
	}
	paths.Out, paths.LiteOut = "db", liteDBDir
	staged, err := renderSQL(s, opt.Source, paths)
	if err != nil {
		return nil, err
	}
	delete(staged, "schema.sql")
	var migNames []string
	for name, b := range migFiles {
		if name == snapshotPath && files[name] != nil {
			continue // the snapshot with the SQLite section, written above
		}
		files[name] = b
		if path.Ext(name) == ".sql" {
			migNames = append(migNames, name)
			if s.Has(spec.EnginePostgreSQL) {
				staged[strings.TrimPrefix(name, "sql/")] = b
			}
		}
	}
	for _, name := range liteNames {
		staged[strings.TrimPrefix(name, "sql/")] = files[name]
	}
	dbFiles, err := RunSqlc(ctx, opt.SqlcExe, staged)
	if err != nil {
		return nil, err
	}
	for name, b := range dbFiles {
		files[name] = b
	}
	goFiles, err := renderGo(s, opt.Source, opt.ImportPath+"/db", opt.ImportPath+"/"+liteDBDir)
	if err != nil {
		return nil, err
	}
	for name, b := range goFiles {
		files[name] = b
	}
	mig, err := renderMigrateGo(s, opt, snap, migNames)
	if err != nil {
		return nil, err
	}
	goFiles["migrate.go"] = mig
	if s.Has(spec.EngineSQLite) {
		lite, err := renderLiteStore(s, opt.Source, opt.ImportPath+"/"+liteDBDir, liteNames, liteSnap)
		if err != nil {
			return nil, err
		}
		goFiles["store_sqlite.go"] = lite
		files["store_sqlite.go"] = lite
	}
	if err := checkDecls(goFiles); err != nil {
		return nil, err
	}
	files["migrate.go"] = mig
	return files, nil
}

// StockModel renders the repository's stock token model (the minimal spec)
// as the root schema/, queries/ and sqlc.yaml hold it.
func StockModel() (FileSet, error) {
	s, err := spec.Load("authentify.yaml", spec.Minimal())
	if err != nil {
		return nil, err
	}
	sqlFiles, err := renderSQL(s, "spec.Minimal()", sqlPaths{Schema: "schema/schema.sql", Queries: "queries/queries.sql", Out: "internal/stockdb"})
	if err != nil {
		return nil, err
	}
	// The base model's later versions (see baseVersions) follow version 1.
	schema := sqlFiles["schema.sql"]
	if len(baseVersions) > 1 {
		m, err := newSQLModel(s, "spec.Minimal()")
		if err != nil {
			return nil, err
		}
		var b bytes.Buffer
		b.Write(schema)
		for _, v := range baseVersions[1:] {
			b.WriteString("\n")
			for _, st := range v.Up(m) {
				writeStatement(&b, st)
			}
		}
		schema = b.Bytes()
	}
	return FileSet{
		"schema/schema.sql":   schema,
		"queries/queries.sql": sqlFiles["queries.sql"],
		"sqlc.yaml":           sqlFiles["sqlc.yaml"],
	}, nil
}

// renderGo renders the jennifer-built files of the package.
func renderGo(s *spec.Spec, source, dbPath, litePath string) (FileSet, error) {
	m := newGoModel(s, source, dbPath, litePath)
	out := FileSet{}
	emitters := []struct {
		name string
		emit func(*jen.File) error
	}{
		{"context.go", m.emitContext},
		{"token.go", m.emitToken},
		{"service.go", func(f *jen.File) error { m.emitService(f); return nil }},
	}
	if m.pg {
		emitters = append(emitters, struct {
			name string
			emit func(*jen.File) error
		}{"store.go", func(f *jen.File) error { m.emitStore(f); return nil }})
	}
	for _, a := range s.HTTPAdapters() {
		emit := func(f *jen.File) error { m.emitNetHTTP(f); return nil }
		switch a {
		case spec.AdapterEcho4:
			emit = func(f *jen.File) error { m.emitEcho(f, echo4Flavor); return nil }
		case spec.AdapterEcho5:
			emit = func(f *jen.File) error { m.emitEcho(f, echo5Flavor); return nil }
		}
		emitters = append(emitters, struct {
			name string
			emit func(*jen.File) error
		}{adapterFile[a], emit})
	}
	for _, e := range emitters {
		f := jen.NewFile(s.Package)
		f.HeaderComment(HeaderText)
		f.HeaderComment("source: " + source)
		f.ImportName(runtimePath, "runtime")
		f.ImportName(pgxPath, "pgx")
		f.ImportName(echoPath, "echo")
		f.ImportName(echoMWPath, "middleware")
		f.ImportName(echo5Path, "echo")
		f.ImportName(echo5MWPath, "middleware")
		f.ImportName(dbPath, "db")
		f.ImportName(litePath, "sqlite")
		if e.name == "service.go" {
			f.PackageComment("Package " + s.Package + " is the token authentication generated by authentify-gen from " + source + ".")
			f.Comment("The generated code and the runtime it imports must be of the same version.")
			f.Const().Id("_").Op("=").Qual(runtimePath, "SupportPackageIsVersion1")
			f.Line()
		}
		if err := e.emit(f); err != nil {
			return nil, fmt.Errorf("render %s: %w", e.name, err)
		}
		var buf bytes.Buffer
		if err := f.Render(&buf); err != nil {
			return nil, fmt.Errorf("render %s: %w", e.name, err)
		}
		// Group imports (std, then third-party) as goimports would.
		src, err := imports.Process(e.name, buf.Bytes(), &imports.Options{FormatOnly: true, Comments: true, TabIndent: true, TabWidth: 8})
		if err != nil {
			return nil, fmt.Errorf("format %s: %w", e.name, err)
		}
		out[e.name] = src
	}
	return out, nil
}

// ImportPathOf returns the Go import path of dir by finding the enclosing
// go.mod.
func ImportPathOf(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	var rel []string
	for d := abs; ; d = filepath.Dir(d) {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			mod := modfile.ModulePath(data)
			if mod == "" {
				return "", fmt.Errorf("%s: no module line", filepath.Join(d, "go.mod"))
			}
			for i, j := 0, len(rel)-1; i < j; i, j = i+1, j-1 {
				rel[i], rel[j] = rel[j], rel[i]
			}
			return path.Join(append([]string{mod}, rel...)...), nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no go.mod found above %s: the generated package must be inside a Go module", dir)
		}
		rel = append(rel, strings.TrimSpace(filepath.Base(d)))
	}
}
