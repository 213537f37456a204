package spec

import (
	"fmt"
	"strings"
	"unicode"
)

// Diagnostic is one problem in an authentify.yaml, with its position.
type Diagnostic struct {
	File    string // the file name given to Load, e.g. "authentify.yaml"
	Line    int    // 1-based
	Col     int    // 1-based, in characters (runes)
	Path    string // where in the spec, e.g. "fields.last_used_ip.type"; "" for the file as a whole
	Message string // what is wrong and how to fix it
	// Excerpt is the source around Line with a caret under Col, formatted as
	// goccy/go-yaml's AnnotateSource does (uncolored), without a final newline.
	Excerpt string
}

// Position returns "file:line:col".
func (d Diagnostic) Position() string {
	return fmt.Sprintf("%s:%d:%d", d.File, d.Line, d.Col)
}

// Header returns the one-line form "file:line:col: path: message".
func (d Diagnostic) Header() string {
	if d.Path == "" {
		return d.Position() + ": " + d.Message
	}
	return d.Position() + ": " + d.Path + ": " + d.Message
}

// String returns the header line followed by the excerpt.
func (d Diagnostic) String() string {
	if d.Excerpt == "" {
		return d.Header()
	}
	return d.Header() + "\n" + d.Excerpt
}

// Errors lists every problem found in an authentify.yaml, sorted by
// position. Load returns it as its error.
type Errors struct {
	Diags []Diagnostic
}

// Error prints each diagnostic as "file:line:col: path: message" followed by
// its source excerpt.
func (e *Errors) Error() string {
	var b strings.Builder
	for i, d := range e.Diags {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(d.String())
		b.WriteString("\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// sourceLines splits src into lines without their line terminators. A final
// newline does not start another line.
func sourceLines(src []byte) []string {
	s := strings.TrimSuffix(string(src), "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// excerpt renders up to three lines before and after line, with a caret
// under col on its own line, in the layout of goccy/go-yaml's annotated
// errors:
//
//	   1 | version: 1
//	>  2 | package: Auth
//	                ^
//	   3 | table: auth_tokens
//
// Control characters are replaced so that a hostile file cannot send
// terminal escape sequences through an error message.
func excerpt(lines []string, line, col int) string {
	if line < 1 {
		line = 1
	}
	if col < 1 {
		col = 1
	}
	first := max(1, line-3)
	last := min(len(lines), line+3)
	width := max(2, len(fmt.Sprint(max(last, line))))
	prefix := func(n int) string {
		mark := " "
		if n == line {
			mark = ">"
		}
		return fmt.Sprintf("%s %*d | ", mark, width, n)
	}
	text := func(n int) string {
		if n < 1 || n > len(lines) {
			return ""
		}
		return sanitize(lines[n-1])
	}
	var b strings.Builder
	for n := first; n <= line; n++ {
		b.WriteString(strings.TrimRight(prefix(n)+text(n), " "))
		b.WriteString("\n")
	}
	// The caret: keep the tabs of the line so that it lines up.
	b.WriteString(strings.Repeat(" ", len(prefix(line))))
	rs := []rune(text(line))
	for i := 0; i < col-1; i++ {
		if i < len(rs) && rs[i] == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
	}
	b.WriteString("^")
	for n := line + 1; n <= last; n++ {
		b.WriteString("\n")
		b.WriteString(strings.TrimRight(prefix(n)+text(n), " "))
	}
	return b.String()
}

// sanitize replaces control characters other than tab by U+FFFD.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r != '\t' && (unicode.IsControl(r) || r == unicode.ReplacementChar) {
			return unicode.ReplacementChar
		}
		if r == '\u2028' || r == '\u2029' || r == '\u202e' || r == '\u202d' || r == '\u2066' || r == '\u2067' || r == '\u2068' || r == '\u2069' {
			return unicode.ReplacementChar // line separators and bidi overrides
		}
		return r
	}, s)
}
