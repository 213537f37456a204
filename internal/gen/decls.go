package gen

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"sort"
	"strings"
)

// decls are the identifiers a Go package declares: package-level names,
// and per type its fields and methods.
type decls struct {
	pkg     map[string][]string            // name → files declaring it
	members map[string]map[string][]string // type → field or method → "field"/"method" in file
}

// parseDecls collects the declarations of the Go files of a package.
func parseDecls(files map[string][]byte) (decls, error) {
	d := decls{pkg: map[string][]string{}, members: map[string]map[string][]string{}}
	fset := token.NewFileSet()
	member := func(typ, name, what string) {
		if name == "_" {
			return
		}
		if d.members[typ] == nil {
			d.members[typ] = map[string][]string{}
		}
		d.members[typ][name] = append(d.members[typ][name], what)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		f, err := parser.ParseFile(fset, name, files[name], parser.SkipObjectResolution)
		if err != nil {
			return d, err
		}
		for _, decl := range f.Decls {
			switch decl := decl.(type) {
			case *ast.FuncDecl:
				if decl.Recv == nil {
					d.pkg[decl.Name.Name] = append(d.pkg[decl.Name.Name], name)
					continue
				}
				t := decl.Recv.List[0].Type
				if st, ok := t.(*ast.StarExpr); ok {
					t = st.X
				}
				if id, ok := t.(*ast.Ident); ok {
					member(id.Name, decl.Name.Name, "method in "+name)
				}
			case *ast.GenDecl:
				for _, spec := range decl.Specs {
					switch spec := spec.(type) {
					case *ast.TypeSpec:
						d.pkg[spec.Name.Name] = append(d.pkg[spec.Name.Name], name)
						if st, ok := spec.Type.(*ast.StructType); ok {
							for _, fl := range st.Fields.List {
								for _, n := range fl.Names {
									member(spec.Name.Name, n.Name, "field in "+name)
								}
							}
						}
					case *ast.ValueSpec:
						for _, n := range spec.Names {
							if n.Name != "_" {
								d.pkg[n.Name] = append(d.pkg[n.Name], name)
							}
						}
					}
				}
			}
		}
	}
	return d, nil
}

// checkDecls reports every identifier that the rendered files declare more
// than once at package level, or as two members of one type. The spec's
// namer prevents these; this is the last guard against emitting Go that
// does not compile.
func checkDecls(files map[string][]byte) error {
	d, err := parseDecls(files)
	if err != nil {
		return fmt.Errorf("parse generated code: %w", err)
	}
	var dups []string
	for name, where := range d.pkg {
		if name != "init" && len(where) > 1 {
			dups = append(dups, fmt.Sprintf("%s (%s)", name, strings.Join(where, ", ")))
		}
	}
	for typ, ms := range d.members {
		for name, where := range ms {
			if len(where) > 1 {
				dups = append(dups, fmt.Sprintf("%s.%s (%s)", typ, name, strings.Join(where, ", ")))
			}
		}
	}
	if len(dups) == 0 {
		return nil
	}
	sort.Strings(dups)
	return fmt.Errorf("internal error: the generated code would declare these names twice: %s; please report this with your authentify.yaml", strings.Join(dups, "; "))
}
