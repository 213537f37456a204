package spec

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/authentify-go/authentify/internal/textdist"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// loader walks the YAML AST of one file, collecting diagnostics.
type loader struct {
	file  string
	lines []string
	diags []Diagnostic
	keys  map[string][2]int // key path → position of the key, for Spec.At
	// enumSrc records where each enum field and its values are, by the
	// field's path (context.fields.tier), for the namer's diagnostics.
	enumSrc map[string]enumSource
}

// pos returns the 1-based line and column of a node. A block mapping is
// placed at its first key (goccy places it at the first colon).
func pos(n ast.Node) (line, col int) {
	switch m := n.(type) {
	case nil:
		return 1, 1
	case *ast.MappingNode:
		if !m.IsFlowStyle && len(m.Values) > 0 && m.Values[0].Key != nil {
			return pos(m.Values[0].Key)
		}
	case *ast.MappingValueNode:
		if m.Key != nil {
			return pos(m.Key)
		}
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return 1, 1
	}
	return max(1, tk.Position.Line), max(1, tk.Position.Column)
}

// errAt reports a problem at an explicit position.
func (l *loader) errAt(line, col int, path, format string, args ...any) {
	l.diags = append(l.diags, Diagnostic{
		File:    l.file,
		Line:    line,
		Col:     col,
		Path:    path,
		Message: fmt.Sprintf(format, args...),
	})
}

// errorf reports a problem at node n.
func (l *loader) errorf(n ast.Node, path, format string, args ...any) {
	line, col := pos(n)
	l.errAt(line, col, path, format, args...)
}

// result sorts the diagnostics by position (stable: same position keeps the
// order of discovery), drops exact duplicates and adds the excerpts. They
// are rendered last so that every excerpt sees the masked secrets.
func (l *loader) result() []Diagnostic {
	slices.SortStableFunc(l.diags, func(a, b Diagnostic) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
	diags := slices.CompactFunc(l.diags, func(a, b Diagnostic) bool {
		return a.Line == b.Line && a.Col == b.Col && a.Path == b.Path && a.Message == b.Message
	})
	for i := range diags {
		diags[i].Excerpt = excerpt(l.lines, diags[i].Line, diags[i].Col)
	}
	return diags
}

// mask hides the value of a key: value pair in every excerpt, so that a
// secret pasted into the spec cannot reach CI logs through an error message.
// It blanks the rest of the line after the colon and every following line
// that belongs to the value (blank, indented deeper than the key, or a list
// item at the key's indentation).
func (l *loader) mask(kv *ast.MappingValueNode) {
	tk := kv.GetToken()
	if tk == nil || tk.Position == nil {
		return
	}
	line, col := tk.Position.Line, tk.Position.Column // the colon
	if line < 1 || line > len(l.lines) {
		return
	}
	_, keyCol := pos(kv.Key)
	star := func(s string, from int) string {
		rs := []rune(s)
		for i := max(from, 0); i < len(rs); i++ {
			if rs[i] != ' ' && rs[i] != '\t' {
				rs[i] = '*'
			}
		}
		return string(rs)
	}
	l.lines[line-1] = star(l.lines[line-1], col)
	for n := line + 1; n <= len(l.lines); n++ {
		s := l.lines[n-1]
		trimmed := strings.TrimLeft(s, " \t")
		indent := len(s) - len(trimmed)
		if trimmed != "" && indent < keyCol && !(indent == keyCol-1 && strings.HasPrefix(trimmed, "-")) {
			break
		}
		l.lines[n-1] = star(s, indent)
	}
}

// join appends a key to a path; keys that are not plain names are quoted.
func join(path, key string) string {
	if !plainKey(key) {
		key = strconv.Quote(key)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func plainKey(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// describe names the kind of a YAML node for messages.
func describe(n ast.Node) string {
	switch n := n.(type) {
	case nil, *ast.NullNode:
		return "null"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.StringNode, *ast.LiteralNode:
		return "a string"
	case *ast.IntegerNode:
		return "an integer"
	case *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "a number"
	case *ast.BoolNode:
		return "a boolean"
	case *ast.AnchorNode:
		return describe(n.Value)
	case *ast.AliasNode:
		return "an alias"
	case *ast.TagNode:
		return "a tagged value"
	default:
		return "a " + strings.ToLower(n.Type().String())
	}
}

// value unwraps anchors and refuses aliases, tags and merge keys, which
// authentify.yaml does not use. It returns nil, false after reporting.
func (l *loader) value(n ast.Node, path string) (ast.Node, bool) {
	for {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
			continue
		case *ast.AliasNode:
			l.errorf(n, path, "YAML aliases (*name) are not supported in authentify.yaml: write the value out")
			return nil, false
		case *ast.TagNode:
			l.errorf(n, path, "YAML tags (%s) are not supported in authentify.yaml: write a plain value (quote it to make it a string)", tagName(v))
			return nil, false
		case *ast.MergeKeyNode:
			l.errorf(n, path, "YAML merge keys (<<) are not supported in authentify.yaml: write the keys out")
			return nil, false
		}
		return n, true
	}
}

func tagName(t *ast.TagNode) string {
	if t.Start != nil {
		return strconv.Quote(t.Start.Value)
	}
	return "!"
}

// isNull reports whether n is absent or a YAML null.
func isNull(n ast.Node) bool {
	if n == nil {
		return true
	}
	_, ok := n.(*ast.NullNode)
	return ok
}

// entry is one key: value pair of a mapping.
type entry struct {
	key     string
	keyNode ast.Node
	value   ast.Node // unwrapped; nil when it could not be (already reported)
	kv      *ast.MappingValueNode
	path    string
}

// mapping returns the entries of a mapping in file order. A null value is an
// empty mapping when allowNull is set. Duplicate and non-scalar keys are
// reported and skipped. ok is false when n is not a mapping at all.
func (l *loader) mapping(n ast.Node, path string, allowNull bool, example string) (entries []entry, ok bool) {
	var kvs []*ast.MappingValueNode
	switch m := n.(type) {
	case *ast.MappingNode:
		kvs = m.Values
	case *ast.MappingValueNode:
		kvs = []*ast.MappingValueNode{m}
	case nil:
		return nil, false // the value could not be read; already reported
	case *ast.NullNode:
		if allowNull {
			return nil, true
		}
		l.errorf(n, path, "expected a mapping such as %s, not null", example)
		return nil, false
	default:
		l.errorf(n, path, "expected a mapping such as %s, not %s", example, describe(n))
		return nil, false
	}
	seen := map[string]ast.Node{}
	for _, kv := range kvs {
		key, ok := l.key(kv.Key, path)
		if !ok {
			continue
		}
		p := join(path, key)
		if first, dup := seen[key]; dup {
			line, _ := pos(first)
			l.errorf(kv.Key, p, "duplicate key %q (first at line %d)", key, line)
			continue
		}
		seen[key] = kv.Key
		if l.keys != nil {
			line, col := pos(kv.Key)
			l.keys[p] = [2]int{line, col}
		}
		v, _ := l.value(kv.Value, p)
		entries = append(entries, entry{key: key, keyNode: kv.Key, value: v, kv: kv, path: p})
	}
	return entries, true
}

// key returns the text of a scalar mapping key.
func (l *loader) key(k ast.MapKeyNode, path string) (string, bool) {
	var n ast.Node = k
	if a, ok := n.(*ast.AnchorNode); ok {
		n = a.Value
	}
	switch k := n.(type) {
	case *ast.StringNode:
		return k.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.NullNode, *ast.InfinityNode, *ast.NanNode:
		return n.GetToken().Value, true
	case *ast.MergeKeyNode:
		l.errorf(n, path, "YAML merge keys (<<) are not supported in authentify.yaml: write the keys out")
	default:
		l.errorf(n, path, "keys must be plain names, not %s", describe(n))
	}
	return "", false
}

// known reports the entries whose key is not in allowed.
func (l *loader) known(entries []entry, allowed ...string) {
	for _, e := range entries {
		if slices.Contains(allowed, e.key) {
			continue
		}
		msg := fmt.Sprintf("unknown key %q", e.key)
		if s := suggest(e.key, allowed); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		l.errorf(e.keyNode, e.path, "%s; expected one of: %s", msg, strings.Join(allowed, ", "))
	}
}

// suggest returns the allowed word closest to s, if it is close enough to
// be a likely typo.
func suggest(s string, allowed []string) string {
	if len(s) <= 2 {
		return textdist.Nearest(s, allowed, 2)
	}
	return textdist.Nearest(s, allowed, 3)
}

// str decodes a string scalar. Strings must be valid UTF-8 without NUL
// (PostgreSQL text cannot hold it).
func (l *loader) str(n ast.Node, path string) (string, bool) {
	var s string
	switch v := n.(type) {
	case *ast.StringNode:
		s = v.Value
	case *ast.LiteralNode:
		if v.Value == nil {
			return "", true
		}
		s = v.Value.Value
	case nil:
		return "", false // already reported by value()
	default:
		l.errorf(n, path, "expected a string, not %s%s", describe(n), quoteHint(n))
		return "", false
	}
	if !utf8.ValidString(s) {
		l.errorf(n, path, "the string is not valid UTF-8")
		return "", false
	}
	if strings.ContainsRune(s, 0) {
		l.errorf(n, path, "the string contains a NUL character, which PostgreSQL text cannot hold")
		return "", false
	}
	return s, true
}

// quoteHint suggests quoting a scalar that YAML did not read as a string
// (true, null, 12), or returns "".
func quoteHint(n ast.Node) string {
	if !isScalar(n) {
		if _, null := n.(*ast.NullNode); !null {
			return ""
		}
	}
	tk := n.GetToken()
	if tk == nil || strings.TrimSpace(tk.Origin) == "" {
		return ""
	}
	return fmt.Sprintf(": quote it (%s)", strconv.Quote(strings.TrimSpace(tk.Origin)))
}

// unquoteHint suggests removing the quotes of a quoted string, or returns "".
func unquoteHint(n ast.Node) string {
	if _, ok := n.(*ast.StringNode); ok && quoted(n) {
		return ": remove the quotes"
	}
	return ""
}

// quoted reports whether a string node was written in quotes.
func quoted(n ast.Node) bool {
	tk := n.GetToken()
	return tk != nil && (tk.Type == token.SingleQuoteType || tk.Type == token.DoubleQuoteType)
}

// boolean decodes a boolean scalar.
func (l *loader) boolean(n ast.Node, path string) (bool, bool) {
	switch v := n.(type) {
	case *ast.BoolNode:
		return v.Value, true
	case nil:
		return false, false
	}
	l.errorf(n, path, "expected true or false, not %s%s", describe(n), unquoteHint(n))
	return false, false
}

// stringList decodes a list of strings. A null value is an empty list.
func (l *loader) stringList(n ast.Node, path string) ([]string, bool) {
	switch n.(type) {
	case nil:
		return nil, false
	case *ast.SequenceNode:
	default:
		l.errorf(n, path, "expected a list of strings such as [a, b], not %s", describe(n))
		return nil, false
	}
	out := []string{}
	ok := true
	for i, item := range n.(*ast.SequenceNode).Values {
		p := index(path, i)
		v, vok := l.value(item, p)
		if !vok {
			ok = false
			continue
		}
		s, sok := l.str(v, p)
		if !sok {
			ok = false
			continue
		}
		out = append(out, s)
	}
	return out, ok
}

// maxJSONDepth bounds the nesting of a json default.
const maxJSONDepth = 64

// jsonText encodes a YAML value as compact JSON, keeping the mapping order
// of the file.
func (l *loader) jsonText(n ast.Node, path string) (string, bool) {
	var b bytes.Buffer
	if !l.writeJSON(&b, n, path, 0) {
		return "", false
	}
	return b.String(), true
}

func (l *loader) writeJSON(b *bytes.Buffer, n ast.Node, path string, depth int) bool {
	if depth > maxJSONDepth {
		l.errorf(n, path, "JSON default nested deeper than %d levels", maxJSONDepth)
		return false
	}
	n, ok := l.value(n, path)
	if !ok {
		return false
	}
	switch v := n.(type) {
	case nil, *ast.NullNode:
		b.WriteString("null")
	case *ast.BoolNode:
		b.WriteString(strconv.FormatBool(v.Value))
	case *ast.IntegerNode:
		fmt.Fprint(b, v.Value)
	case *ast.FloatNode:
		if math.IsInf(v.Value, 0) || math.IsNaN(v.Value) {
			l.errorf(n, path, "JSON numbers must be finite")
			return false
		}
		b.WriteString(strconv.FormatFloat(v.Value, 'g', -1, 64))
	case *ast.InfinityNode, *ast.NanNode:
		l.errorf(n, path, "JSON numbers must be finite, not %s", n.GetToken().Value)
		return false
	case *ast.StringNode, *ast.LiteralNode:
		s, ok := l.str(n, path)
		if !ok {
			return false
		}
		writeJSONString(b, s)
	case *ast.SequenceNode:
		ok := true
		b.WriteByte('[')
		for i, item := range v.Values {
			if i > 0 {
				b.WriteByte(',')
			}
			ok = l.writeJSON(b, item, index(path, i), depth+1) && ok
		}
		b.WriteByte(']')
		return ok
	case *ast.MappingNode, *ast.MappingValueNode:
		entries, ok := l.mapping(n, path, false, "{}")
		b.WriteByte('{')
		for i, e := range entries {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, e.key)
			b.WriteByte(':')
			if e.value == nil {
				ok = false
				continue
			}
			ok = l.writeJSON(b, e.value, e.path, depth+1) && ok
		}
		b.WriteByte('}')
		return ok
	default:
		l.errorf(n, path, "%s cannot be written as JSON", describe(n))
		return false
	}
	return true
}

func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)       // a string always encodes
	b.Truncate(b.Len() - 1) // Encode adds a newline
}
