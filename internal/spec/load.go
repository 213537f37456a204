package spec

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Defaults of optional spec keys.
const (
	DefaultTable  = "auth_tokens"
	DefaultIDType = IDInt64
)

// Bounds of an authentify.yaml, far above any real spec (the starter spec
// written by `authentify-gen init` has about 100 tokens and nests 4 deep).
// goccy/go-yaml's parser takes quadratic or worse time on some shapes: 64 KiB
// of `[` took 49 s, one flow mapping of 6,500 keys 6 s, 32,000 nested `- `
// 0.8 s. The file is first split into tokens (linear) and checked against
// these bounds, so every input is parsed in milliseconds or refused with a
// positioned error.
const (
	MaxFileSize    = 64 << 10 // bytes
	MaxTokens      = 4096     // YAML tokens: scalars, indicators, comments
	MaxDepth       = 32       // nested mappings and lists, block and flow
	MaxFlowEntries = 256      // entries of one [ … ] or { … }
	MaxAliases     = 16       // *alias uses (each one is an error anyway)
	MaxDocuments   = 16       // --- markers (one document is allowed)
)

// LoadFile reads and loads the spec at path. Problems in the spec are
// reported as *[Errors] whose positions name path; a read failure is returned
// wrapped.
func LoadFile(path string) (*Spec, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("authentify: reading spec: %w", err)
	}
	return Load(path, src)
}

// Load decodes and validates an authentify.yaml. filename is used in
// diagnostics only. On failure the error is an *[Errors] listing every
// problem found, sorted by position.
func Load(filename string, src []byte) (*Spec, error) {
	// Editors on Windows may start the file with a byte order mark, which
	// the YAML parser would read as part of the first key.
	src = bytes.TrimPrefix(src, []byte("\ufeff"))
	l := &loader{file: filename, lines: sourceLines(src), keys: map[string][2]int{}, enumSrc: map[string]enumSource{}}
	if len(src) > MaxFileSize {
		l.errAt(1, 1, "", "the file is %d bytes long; authentify.yaml is limited to %d KiB", len(src), MaxFileSize>>10)
		return nil, &Errors{Diags: l.result()}
	}
	if !l.bounded(src) {
		return nil, &Errors{Diags: l.result()}
	}
	file, err := parse(src)
	if err != nil {
		l.syntaxError(err)
		return nil, &Errors{Diags: l.result()}
	}
	s := l.spec(file)
	if diags := l.result(); len(diags) > 0 {
		return nil, &Errors{Diags: diags}
	}
	s.src = &source{file: filename, lines: l.lines, keys: l.keys}
	return s, nil
}

// parse parses src, turning a parser panic into an error.
func parse(src []byte) (f *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("the YAML parser failed: %v", r)
		}
	}()
	// Duplicate keys are reported by the walker, with every other problem.
	return parser.ParseBytes(src, 0, parser.AllowDuplicateMapKey())
}

// bounded tokenizes src and reports, at the first offending token, an input
// beyond MaxTokens, MaxDepth, MaxFlowEntries, MaxAliases or MaxDocuments.
func (l *loader) bounded(src []byte) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			l.errAt(1, 1, "", "the YAML tokenizer failed: %v", r)
			ok = false
		}
	}()
	toks := lexer.Tokenize(string(src))
	at := func(tk *token.Token, format string, args ...any) bool {
		line, col := 1, 1
		if tk.Position != nil {
			line, col = max(1, tk.Position.Line), max(1, tk.Position.Column)
		}
		l.errAt(line, col, "", format+" (a real spec stays far below; the bound keeps loading fast)", args...)
		return false
	}
	if len(toks) > MaxTokens {
		return at(toks[MaxTokens], "the file has %d YAML tokens (keys, values, punctuation); at most %d are allowed", len(toks), MaxTokens)
	}
	var flow []int  // entries of each open [ or {
	var block []int // columns of the open block keys and list items
	aliases, docs := 0, 0
	for i, tk := range toks {
		switch tk.Type {
		case token.SequenceStartType, token.MappingStartType:
			flow = append(flow, 0)
		case token.SequenceEndType, token.MappingEndType:
			if len(flow) > 0 {
				flow = flow[:len(flow)-1]
			}
		case token.CollectEntryType:
			if len(flow) > 0 {
				flow[len(flow)-1]++
				if n := flow[len(flow)-1]; n >= MaxFlowEntries {
					return at(tk, "a [ … ] or { … } collection has more than %d entries", MaxFlowEntries)
				}
			}
		case token.AliasType:
			if aliases++; aliases > MaxAliases {
				return at(tk, "more than %d YAML aliases (*name)", MaxAliases)
			}
		case token.DocumentHeaderType:
			if docs++; docs > MaxDocuments {
				return at(tk, "more than %d `---` document markers", MaxDocuments)
			}
		case token.SequenceEntryType, token.MappingValueType:
			if len(flow) > 0 {
				break
			}
			start := tk // a list item's dash, or the key before a colon
			if tk.Type == token.MappingValueType && i > 0 {
				start = toks[i-1]
			}
			if start.Position == nil {
				break
			}
			col := start.Position.Column
			for len(block) > 0 && block[len(block)-1] >= col {
				block = block[:len(block)-1]
			}
			block = append(block, col)
		}
		if len(flow)+len(block) > MaxDepth {
			return at(tk, "mappings and lists nest more than %d levels deep", MaxDepth)
		}
	}
	return true
}

func (l *loader) syntaxError(err error) {
	var yerr yaml.Error
	if errors.As(err, &yerr) {
		line, col := 1, 1
		if tk := yerr.GetToken(); tk != nil && tk.Position != nil {
			line, col = max(1, tk.Position.Line), max(1, tk.Position.Column)
		}
		l.errAt(line, col, "", "YAML syntax error: %s", sanitize(yerr.GetMessage()))
		return
	}
	l.errAt(1, 1, "", "YAML syntax error: %s", sanitize(err.Error()))
}

// The keys of each mapping of authentify.yaml, in documentation order; the
// loader and the JSON Schema (schema.go) both read them.
var (
	topKeys     = []string{"version", "package", "engines", "table", "renamed_from", "user", "token", "context", "fields", "http", "settings"}
	userKeys    = []string{"id_type", "references"}
	tokenKeys   = []string{"prefix"}
	contextKeys = []string{"strict", "fields"}
)

func (l *loader) spec(file *ast.File) *Spec {
	s := &Spec{
		Table:   DefaultTable,
		User:    User{IDType: DefaultIDType},
		Context: Context{Strict: true, Fields: []Field{}},
		Fields:  []Field{},
	}
	var docs []*ast.DocumentNode
	for _, d := range file.Docs {
		if d != nil && d.Body != nil {
			docs = append(docs, d)
		}
	}
	if len(docs) == 0 {
		if hasContent(l.lines) {
			// goccy/go-yaml drops a document that follows an empty one.
			l.errAt(1, 1, "", "no YAML document could be read: remove empty documents (stray `---` lines)")
		} else {
			l.errAt(1, 1, "", "the spec is empty: it needs at least `version: 1` and `package: <name>`")
		}
		return s
	}
	for _, d := range docs[1:] {
		l.errorf(d.Body, "", "authentify.yaml holds one YAML document; remove this one or the `---` before it")
	}
	root, ok := l.value(docs[0].Body, "")
	if !ok {
		return s
	}
	entries, ok := l.mapping(root, "", false, "version: 1")
	if !ok {
		return s
	}
	anchor := root // where to report a missing top-level key
	if len(entries) > 0 {
		anchor = entries[0].keyNode
	}
	l.known(entries, topKeys...)

	get := map[string]entry{}
	for _, e := range entries {
		get[e.key] = e
	}

	// version
	if e, ok := get["version"]; !ok {
		l.errorf(anchor, "version", "missing required key `version`: add `version: 1`")
	} else if e.value != nil {
		if n, isInt := e.value.(*ast.IntegerNode); isInt && fmt.Sprint(n.Value) == "1" {
			s.Version = 1
		} else if isInt {
			l.errorf(e.value, e.path, "unsupported version %s: this authentify-gen reads version 1", e.value.GetToken().Value)
		} else {
			l.errorf(e.value, e.path, "version must be the integer 1, not %s", describe(e.value))
		}
	}

	// package
	pkgOK := false
	if e, ok := get["package"]; !ok {
		l.errorf(anchor, "package", "missing required key `package`: the Go package name of the generated code, e.g. `package: auth`")
	} else if v, ok := l.str(e.value, e.path); ok {
		if p := packageProblem(v); p != "" {
			l.errorf(e.value, e.path, "%s", p)
		} else {
			s.Package, pkgOK = v, true
		}
	}

	// engines
	if e, ok := get["engines"]; ok {
		s.Engines = l.engines(e)
	}

	// table
	if e, ok := get["table"]; ok {
		if v, ok := l.str(e.value, e.path); ok {
			if p := nameProblem(v); p != "" {
				l.errorf(e.value, e.path, "%s", p)
			} else {
				s.Table = v
			}
		}
	}

	// renamed_from
	if e, ok := get["renamed_from"]; ok {
		if v, ok := l.str(e.value, e.path); ok {
			switch p := nameProblem(v); {
			case p != "":
				l.errorf(e.value, e.path, "%s", p)
			case v == s.Table:
				l.errorf(e.value, e.path, "renamed_from names the table itself (%q): set it to the table's previous name, or remove it", v)
			default:
				s.RenamedFrom = v
			}
		}
	}

	if e, ok := get["user"]; ok {
		l.user(e, &s.User)
	}

	// token
	prefixSet := false
	var tokenEntry *entry
	if e, ok := get["token"]; ok {
		tokenEntry = &e
		prefixSet = l.token(e, &s.Token)
	}
	if !prefixSet && pkgOK {
		if ValidPrefix(s.Package) {
			s.Token.Prefix = s.Package
		} else {
			e := get["package"]
			at, path := e.value, "token.prefix"
			if tokenEntry != nil {
				at = tokenEntry.keyNode
			}
			l.errorf(at, path, "package %q is not a valid token prefix (a letter a-z, then at most 15 of a-z or 0-9), so token.prefix is required: add `token: { prefix: %s }`", s.Package, prefixHint(s.Package))
		}
	}

	if e, ok := get["context"]; ok {
		l.context(e, &s.Context)
	}
	if e, ok := get["fields"]; ok {
		s.Fields = l.fields(e, false)
	}
	l.nameEnums(s)
	if e, ok := get["table"]; ok {
		l.checkTableModel(s, e)
	}

	if e, ok := get["http"]; ok {
		s.HTTP = l.httpAdapters(e)
	}

	settingsAt := anchor
	var settingsEntry *entry
	if e, ok := get["settings"]; ok {
		settingsEntry = &e
		settingsAt = e.keyNode
	}
	s.Settings = l.settings(settingsEntry, settingsAt)
	l.checkEngines(s, get)
	return s
}

// hasContent reports whether lines hold anything but blanks, comments and
// document markers.
func hasContent(lines []string) bool {
	for _, line := range lines {
		t := strings.TrimSpace(line)
		if t != "" && !strings.HasPrefix(t, "#") && !strings.HasPrefix(t, "---") && !strings.HasPrefix(t, "...") {
			return true
		}
	}
	return false
}

// prefixHint proposes a valid prefix derived from a package name.
func prefixHint(pkg string) string {
	p := strings.ReplaceAll(pkg, "_", "")
	if len(p) > 16 {
		p = p[:16]
	}
	if ValidPrefix(p) {
		return p
	}
	return "acme"
}

var idTypes = []string{string(IDInt64), string(IDInt32), string(IDUUID), string(IDString)}

// idTypeAliases maps SQL and other spellings to an id_type, for hints.
var idTypeAliases = map[string]IDType{
	"int64": IDInt64, "bigint": IDInt64, "int8": IDInt64, "long": IDInt64, "bigserial": IDInt64,
	"int32": IDInt32, "integer": IDInt32, "int": IDInt32, "int4": IDInt32, "serial": IDInt32,
	"uuid": IDUUID, "text": IDString, "varchar": IDString, "str": IDString, "string": IDString,
}

func (l *loader) user(e entry, u *User) {
	entries, ok := l.mapping(e.value, e.path, true, "{ id_type: int64, references: users(id) }")
	if !ok {
		return
	}
	l.known(entries, userKeys...)
	for _, f := range entries {
		switch f.key {
		case "id_type":
			v, ok := l.str(f.value, f.path)
			if !ok {
				continue
			}
			switch IDType(v) {
			case IDInt64, IDInt32, IDUUID, IDString:
				u.IDType = IDType(v)
			default:
				msg := fmt.Sprintf("unknown id_type %q", v)
				if t, ok := idTypeAliases[strings.ToLower(v)]; ok {
					msg += fmt.Sprintf(" (did you mean %q?)", t)
				}
				l.errorf(f.value, f.path, "%s; expected one of: %s", msg, strings.Join(idTypes, ", "))
			}
		case "references":
			v, ok := l.str(f.value, f.path)
			if !ok {
				continue
			}
			if r, msg := parseReference(v); msg != "" {
				l.errorf(f.value, f.path, "%s", msg)
			} else {
				u.References = r
			}
		}
	}
}

var referenceRE = regexp.MustCompile(`^(?:([^.()]*)\.)?([^.()]*)\(([^.()]*)\)$`)

// parseReference parses table(column) or schema.table(column).
func parseReference(v string) (*Reference, string) {
	m := referenceRE.FindStringSubmatch(v)
	if m == nil {
		return nil, fmt.Sprintf("invalid reference %q: write table(column) or schema.table(column), e.g. users(id)", v)
	}
	hasSchema := strings.Contains(v[:strings.IndexByte(v, '(')], ".")
	for i, part := range []string{"schema", "table", "column"} {
		if i == 0 && !hasSchema {
			continue
		}
		if p := nameProblem(m[i+1]); p != "" {
			return nil, fmt.Sprintf("invalid reference %q: %s: %s", v, part, p)
		}
	}
	table := m[2]
	if hasSchema {
		table = m[1] + "." + m[2]
	}
	return &Reference{Table: table, Column: m[3]}, ""
}

// token decodes the token section and reports whether a prefix was set.
func (l *loader) token(e entry, t *Token) bool {
	entries, ok := l.mapping(e.value, e.path, true, "{ prefix: acme }")
	if !ok {
		return true // reported; do not also complain about the default prefix
	}
	l.known(entries, tokenKeys...)
	for _, f := range entries {
		if f.key != "prefix" {
			continue
		}
		v, ok := l.str(f.value, f.path)
		if !ok {
			return true
		}
		if !ValidPrefix(v) {
			l.errorf(f.value, f.path, "invalid token prefix %q: a letter a-z, then at most 15 of a-z or 0-9 (no _: tokens read <prefix>_at_…)", v)
			return true
		}
		t.Prefix = v
		return true
	}
	return false
}

func (l *loader) context(e entry, c *Context) {
	entries, ok := l.mapping(e.value, e.path, true, "{ strict: true, fields: { device: { type: string } } }")
	if !ok {
		return
	}
	l.known(entries, contextKeys...)
	for _, f := range entries {
		switch f.key {
		case "strict":
			if v, ok := l.boolean(f.value, f.path); ok {
				c.Strict = v
			}
		case "fields":
			c.Fields = l.fields(f, true)
		}
	}
}
