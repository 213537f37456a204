package spec

import (
	"fmt"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// choiceList describes a list key whose items are names from a fixed set
// (`engines`, `http`): what it accepts and how each mistake is worded.
type choiceList struct {
	valid   []string          // the accepted names, in documentation order
	aliases map[string]string // other spellings (lower case) → the name meant, for hints
	notList func(got string) string
	empty   string
	unknown func(name, hint string) string // hint: the name probably meant, or ""
	twice   func(name string) string
}

// choices decodes a list of names from c.valid: at least one, each known
// and listed once, kept in the spec's order. Each problem is reported at its
// item; on any problem, or without a value, it returns nil.
func (l *loader) choices(e entry, c choiceList) []string {
	if e.value == nil {
		return nil
	}
	seq, isSeq := e.value.(*ast.SequenceNode)
	if !isSeq {
		l.errorf(e.value, e.path, "%s", c.notList(describe(e.value)))
		return nil
	}
	if len(seq.Values) == 0 {
		l.errorf(e.value, e.path, "%s", c.empty)
		return nil
	}
	var out []string
	ok := true
	for i, item := range seq.Values {
		p := index(e.path, i)
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
		switch {
		case !slices.Contains(c.valid, s):
			hint, found := c.aliases[strings.ToLower(s)]
			if !found {
				hint = suggest(strings.ToLower(s), c.valid)
			}
			l.errorf(v, p, "%s", c.unknown(s, hint))
			ok = false
		case slices.Contains(out, s):
			l.errorf(v, p, "%s", c.twice(s))
			ok = false
		default:
			out = append(out, s)
		}
	}
	if !ok {
		return nil
	}
	return out
}

// didYouMean words a hint for an error message: "" without one.
func didYouMean(hint string) string {
	if hint == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", hint)
}
