package gen

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// FileSet is generated output held in memory: file contents keyed by
// slash-separated paths relative to the output directory, e.g. "context.go",
// "db/models.go", "sql/schema.sql".
type FileSet map[string][]byte

// Paths returns the keys of fs in sorted order.
func (fs FileSet) Paths() []string {
	paths := make([]string, 0, len(fs))
	for p := range fs {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}

// dirs returns the sorted, distinct directories (slash-separated, "." for the
// output directory itself) that directly contain a file of fs.
func (fs FileSet) dirs() []string {
	seen := make(map[string]bool)
	var dirs []string
	for p := range fs {
		d := path.Dir(p)
		if !seen[d] {
			seen[d] = true
			dirs = append(dirs, d)
		}
	}
	sort.Strings(dirs)
	return dirs
}

// validate checks that every key of fs is a clean, relative, slash-separated
// path that stays inside the output directory, and that no key is a parent
// directory of another key.
func (fs FileSet) validate() error {
	var bad []string
	for _, p := range fs.Paths() {
		if err := checkPath(p); err != nil {
			bad = append(bad, err.Error())
			continue
		}
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			if _, ok := fs[d]; ok {
				bad = append(bad, fmt.Sprintf("%q: parent %q is also a file", p, d))
				break
			}
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("invalid output path: %s", strings.Join(bad, "; "))
	}
	return nil
}

func checkPath(p string) error {
	switch {
	case p == "" || p == ".":
		return fmt.Errorf("%q: empty", p)
	case strings.HasPrefix(p, "/") || strings.Contains(p, `\`) || (len(p) > 1 && p[1] == ':'):
		return fmt.Errorf("%q: must be relative and slash-separated", p)
	case p == ".." || strings.HasPrefix(p, "../"):
		return fmt.Errorf("%q: escapes the output directory", p)
	case path.Clean(p) != p:
		return fmt.Errorf("%q: not a clean path (want %q)", p, path.Clean(p))
	}
	return nil
}
