package runtime

import (
	"encoding/json"
	"slices"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// ContextFields lists the declared JSON keys of a generated Context, in the
// order of the generated decoder's switch, for [ContextDecoder]. Build it
// once per package with [NewContextFields].
type ContextFields struct {
	table  string
	keys   []string
	folded []string // encoding/json's case folding of keys
}

// NewContextFields returns the declared keys of the context stored in table.
func NewContextFields(table string, keys ...string) *ContextFields {
	f := &ContextFields{table: table, keys: keys}
	for _, k := range keys {
		f.folded = append(f.folded, string(foldKey(nil, []byte(k))))
	}
	return f
}

// Decoder starts reading data, a stored context, with the fast reader.
func (f *ContextFields) Decoder(data []byte) ContextDecoder {
	d := ContextDecoder{fields: f, data: data, field: -1}
	d.skipSpace()
	if d.pos >= len(d.data) || d.data[d.pos] != '{' || len(f.keys) > maxContextFields {
		d.bail = true // null, not an object, or too many fields: encoding/json decides
		return d
	}
	d.pos++
	return d
}

// maxContextFields is the number of declared keys whose duplicates the
// decoder can track (seen).
const maxContextFields = 256

// maxDepth bounds the nesting of skipped values. Deeper values are left to
// encoding/json (which refuses more than 10 000 levels).
const maxDepth = 512

// ContextDecoder is the reflection-free reader of a stored token context
// that generated code drives: a loop over [ContextDecoder.Next] with a switch
// over [ContextDecoder.Field], calling the reader of each field's type.
//
// It gives exactly what [DecodeContext] gives (encoding/json, keys that do
// not fit dropped) whenever [ContextDecoder.Done] reports true after the
// loop. For input it does not read exactly it gives up, and the generated
// code then calls DecodeContext: JSON syntax errors (so the error is
// encoding/json's), anything but an object at the top, keys written with
// escapes, duplicate declared keys, keys that match a declared key only
// under case folding, very deep nesting, and a dropped key next to a json
// field (DecodeContext then re-encodes the raw values).
//
// The destination must start zero; a key that does not fit its field
// leaves the field zero and is reported by [ContextDecoder.Done].
type ContextDecoder struct {
	fields  *ContextFields
	data    []byte
	pos     int
	field   int
	key     []byte
	started bool
	bail    bool
	raw     bool // a json field was read
	seen    [maxContextFields / 64]uint64
	dropped []string
}

// Next reads the next key of the object and reports whether there is one.
func (d *ContextDecoder) Next() bool {
	if d.bail {
		return false
	}
	d.skipSpace()
	if d.started {
		if d.pos < len(d.data) && d.data[d.pos] == ',' {
			d.pos++
			d.skipSpace()
			if d.pos >= len(d.data) || d.data[d.pos] != '"' {
				d.bail = true
				return false
			}
		} else {
			return d.end()
		}
	} else if d.pos < len(d.data) && d.data[d.pos] == '}' {
		return d.end()
	}
	d.started = true
	if d.pos >= len(d.data) || d.data[d.pos] != '"' {
		d.bail = true
		return false
	}
	// Keys with escapes go to encoding/json.
	start := d.pos + 1
	i := start
	for i < len(d.data) && d.data[i] != '"' && d.data[i] != '\\' && d.data[i] >= ' ' {
		i++
	}
	if i >= len(d.data) || d.data[i] != '"' {
		d.bail = true
		return false
	}
	d.key = d.data[start:i]
	d.pos = i + 1
	d.skipSpace()
	if d.pos >= len(d.data) || d.data[d.pos] != ':' {
		d.bail = true
		return false
	}
	d.pos++
	d.skipSpace()
	d.field = d.lookup()
	return !d.bail
}

// end reads the closing brace and what follows it.
func (d *ContextDecoder) end() bool {
	if d.pos >= len(d.data) || d.data[d.pos] != '}' {
		d.bail = true
		return false
	}
	d.pos++
	d.skipSpace()
	if d.pos != len(d.data) {
		d.bail = true
	}
	return false
}

// lookup returns the index of the current key among the declared keys, or
// -1. It gives up on a second occurrence of a declared key and on a key
// equal to a declared one only under encoding/json's case folding.
func (d *ContextDecoder) lookup() int {
	for i, k := range d.fields.keys {
		if string(d.key) == k {
			if d.seen[i/64]&(1<<(i%64)) != 0 {
				d.bail = true
				return -1
			}
			d.seen[i/64] |= 1 << (i % 64)
			return i
		}
	}
	var buf [64]byte
	folded := foldKey(buf[:0], d.key)
	for _, k := range d.fields.folded {
		if string(folded) == k {
			d.bail = true
			return -1
		}
	}
	return -1
}

// Field returns the index of the current key in the declared keys, or -1
// for a key that the spec does not declare.
func (d *ContextDecoder) Field() int { return d.field }

// Skip reads over the current value (an undeclared key's).
func (d *ContextDecoder) Skip() { d.skipValue() }

// Done ends the reading. When the reader read the whole input exactly as
// DecodeContext would, it returns the declared keys whose values did not
// fit their fields (sorted, logged once per process like DecodeContext)
// and true; otherwise nil and false, and the caller decodes with
// DecodeContext.
func (d *ContextDecoder) Done() (dropped []string, exact bool) {
	if d.bail || d.raw && len(d.dropped) > 0 {
		return nil, false
	}
	if len(d.dropped) == 0 {
		return nil, true
	}
	slices.Sort(d.dropped)
	warnContextOnce(d.fields.table, d.dropped)
	return d.dropped, true
}

// drop records that the current value does not fit its field, after reading
// over it (a syntax error in it still makes the reader give up).
func (d *ContextDecoder) drop() {
	if d.skipValue() {
		d.dropped = append(d.dropped, string(d.key))
	}
}

// Check records err, the result of decoding the current value into its
// field (an UnmarshalText or UnmarshalJSON method), and reports whether it
// is nil. A non-nil err drops the key.
func (d *ContextDecoder) Check(err error) bool {
	if err != nil {
		if !d.bail {
			d.dropped = append(d.dropped, string(d.key))
		}
		return false
	}
	return true
}

// Null reads a null value and reports whether the value was one.
func (d *ContextDecoder) Null() bool { return d.literal("null") }

// Value reads over the current value and returns its text, for an
// UnmarshalJSON method (time.Time).
func (d *ContextDecoder) Value() []byte {
	start := d.pos
	if !d.skipValue() {
		return nil
	}
	return d.data[start:d.pos]
}

// Text reads a string value and returns its decoded bytes, for an
// UnmarshalText method (enums, IP addresses, UUIDs); they are only valid
// until the next call. It reports false for null (the field stays unset)
// and for any other value, which drops the key.
func (d *ContextDecoder) Text() ([]byte, bool) {
	if d.pos < len(d.data) && d.data[d.pos] == '"' {
		s, ok := d.readString()
		return s, ok
	}
	if !d.Null() {
		d.drop()
	}
	return nil, false
}

// String reads a string into p; null leaves p unset.
func (d *ContextDecoder) String(p *string) {
	if b, ok := d.Text(); ok {
		*p = string(b)
	}
}

// StringPtr reads a nullable string into p.
func (d *ContextDecoder) StringPtr(p **string) {
	if b, ok := d.Text(); ok {
		s := string(b)
		*p = &s
	}
}

// Bool reads true or false into p; null leaves p unset.
func (d *ContextDecoder) Bool(p *bool) {
	switch {
	case d.literal("true"):
		*p = true
	case d.literal("false"):
		*p = false
	case d.Null():
	default:
		d.drop()
	}
}

// BoolPtr reads a nullable bool into p.
func (d *ContextDecoder) BoolPtr(p **bool) {
	var v bool
	switch {
	case d.literal("true"):
		v = true
	case d.literal("false"):
	case d.Null():
		return
	default:
		d.drop()
		return
	}
	*p = &v
}

// number reads a number and returns its text, or gives up, or drops a value
// that is not a number (ok false for both, and for null).
func (d *ContextDecoder) number() ([]byte, bool) {
	if d.pos < len(d.data) && (d.data[d.pos] == '-' || isDigit(d.data[d.pos])) {
		start := d.pos
		if !d.skipNumber() {
			d.bail = true
			return nil, false
		}
		return d.data[start:d.pos], true
	}
	if !d.Null() {
		d.drop()
	}
	return nil, false
}

// Int64 reads an integer into p; null leaves p unset.
func (d *ContextDecoder) Int64(p *int64) {
	if n, ok := d.int(64); ok {
		*p = n
	}
}

// Int64Ptr reads a nullable integer into p.
func (d *ContextDecoder) Int64Ptr(p **int64) {
	if n, ok := d.int(64); ok {
		*p = &n
	}
}

// Int32 reads a 32-bit integer into p; null leaves p unset.
func (d *ContextDecoder) Int32(p *int32) {
	if n, ok := d.int(32); ok {
		*p = int32(n)
	}
}

// Int32Ptr reads a nullable 32-bit integer into p.
func (d *ContextDecoder) Int32Ptr(p **int32) {
	if n, ok := d.int(32); ok {
		v := int32(n)
		*p = &v
	}
}

func (d *ContextDecoder) int(bits int) (int64, bool) {
	b, ok := d.number()
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(string(b), 10, bits)
	if err != nil {
		d.dropped = append(d.dropped, string(d.key))
		return 0, false
	}
	return n, true
}

// Float64 reads a number into p; null leaves p unset.
func (d *ContextDecoder) Float64(p *float64) {
	if f, ok := d.float(); ok {
		*p = f
	}
}

// Float64Ptr reads a nullable number into p.
func (d *ContextDecoder) Float64Ptr(p **float64) {
	if f, ok := d.float(); ok {
		*p = &f
	}
}

func (d *ContextDecoder) float() (float64, bool) {
	b, ok := d.number()
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		d.dropped = append(d.dropped, string(d.key))
		return 0, false
	}
	return f, true
}

// StringList reads an array of strings into p; null leaves p nil, and a
// null element is an empty string, as with encoding/json.
func (d *ContextDecoder) StringList(p *[]string) {
	if d.Null() {
		return
	}
	if d.pos >= len(d.data) || d.data[d.pos] != '[' {
		d.drop()
		return
	}
	start := d.pos
	d.pos++
	list := []string{}
	for first := true; ; first = false {
		d.skipSpace()
		if first && d.pos < len(d.data) && d.data[d.pos] == ']' {
			d.pos++
			break
		}
		switch {
		case d.pos < len(d.data) && d.data[d.pos] == '"':
			s, ok := d.readString()
			if !ok {
				return
			}
			list = append(list, string(s))
		case d.Null():
			list = append(list, "")
		default:
			d.pos = start
			d.drop()
			return
		}
		d.skipSpace()
		if d.pos < len(d.data) && d.data[d.pos] == ',' {
			d.pos++
			continue
		}
		if d.pos < len(d.data) && d.data[d.pos] == ']' {
			d.pos++
			break
		}
		d.bail = true
		return
	}
	*p = list
}

// Raw copies the current value's text into p (a json field; null is kept
// as the text null, as encoding/json does).
func (d *ContextDecoder) Raw(p *json.RawMessage) {
	d.raw = true
	if v := d.Value(); v != nil {
		*p = append(json.RawMessage(nil), v...)
	}
}

// literal reads lit if the input continues with it.
func (d *ContextDecoder) literal(lit string) bool {
	if len(d.data)-d.pos >= len(lit) && string(d.data[d.pos:d.pos+len(lit)]) == lit {
		d.pos += len(lit)
		return true
	}
	return false
}

func (d *ContextDecoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// skipNumber reads a JSON number (RFC 8259 grammar) and reports whether
// there was one.
func (d *ContextDecoder) skipNumber() bool {
	b, i := d.data, d.pos
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || !isDigit(b[i]) {
			return false
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return false
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	d.pos = i
	return true
}

// skipValue reads over one JSON value, checking its syntax, and reports
// whether it was valid; when not, the reader gives up.
func (d *ContextDecoder) skipValue() bool {
	if d.bail {
		return false
	}
	var objects [maxDepth / 64]uint64 // bit n: the container at depth n is an object
	depth := 0
	for {
		// A value starts here.
		d.skipSpace()
		if d.pos >= len(d.data) {
			return d.fail()
		}
		switch c := d.data[d.pos]; {
		case c == '{' || c == '[':
			if depth == maxDepth {
				return d.fail()
			}
			if c == '{' {
				objects[depth/64] |= 1 << (depth % 64)
			} else {
				objects[depth/64] &^= 1 << (depth % 64)
			}
			depth++
			d.pos++
			d.skipSpace()
			if d.pos < len(d.data) && d.data[d.pos] == c+2 { // '}' or ']': empty
				d.pos++
				depth--
				break
			}
			if c == '{' && !d.skipKey() {
				return false
			}
			continue
		case c == '"':
			if !d.skipString() {
				return false
			}
		case c == '-' || isDigit(c):
			if !d.skipNumber() {
				return d.fail()
			}
		case d.literal("true"), d.literal("false"), d.literal("null"):
		default:
			return d.fail()
		}
		// A value ended: close containers, or go on to the next element.
		for {
			if depth == 0 {
				return true
			}
			d.skipSpace()
			if d.pos >= len(d.data) {
				return d.fail()
			}
			object := objects[(depth-1)/64]&(1<<((depth-1)%64)) != 0
			c := d.data[d.pos]
			d.pos++
			if c == ',' {
				if object && !d.skipKey() {
					return false
				}
				break
			}
			if object && c == '}' || !object && c == ']' {
				depth--
				continue
			}
			return d.fail()
		}
	}
}

// fail makes the reader give up and returns false.
func (d *ContextDecoder) fail() bool {
	d.bail = true
	return false
}

// skipKey reads an object key and its colon.
func (d *ContextDecoder) skipKey() bool {
	d.skipSpace()
	if d.pos >= len(d.data) || d.data[d.pos] != '"' || !d.skipString() {
		d.bail = true
		return false
	}
	d.skipSpace()
	if d.pos >= len(d.data) || d.data[d.pos] != ':' {
		d.bail = true
		return false
	}
	d.pos++
	return true
}

// skipString reads over a string, checking it as encoding/json's scanner
// does, and reports whether it is valid.
func (d *ContextDecoder) skipString() bool {
	_, ok := d.scanString()
	return ok
}

// scanString reads over the string at d.pos and returns its contents
// (without the quotes, escapes not decoded) and whether it is valid; an
// invalid string makes the reader give up.
func (d *ContextDecoder) scanString() ([]byte, bool) {
	b := d.data
	start := d.pos + 1
	for i := start; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			d.pos = i + 1
			return b[start:i], true
		case c < ' ':
			d.bail = true
			return nil, false
		case c == '\\':
			i++
			if i >= len(b) {
				d.bail = true
				return nil, false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(b) || getu4(b[i-1:]) < 0 {
					d.bail = true
					return nil, false
				}
				i += 4
			default:
				d.bail = true
				return nil, false
			}
		}
	}
	d.bail = true
	return nil, false
}

// readString reads the string at d.pos and returns it decoded as
// encoding/json does (invalid UTF-8 and lone surrogates become U+FFFD).
func (d *ContextDecoder) readString() ([]byte, bool) {
	s, ok := d.scanString()
	if !ok {
		return nil, false
	}
	return unquote(s), true
}

// unquote decodes the contents of a valid JSON string like encoding/json.
func unquote(s []byte) []byte {
	r := 0
	for r < len(s) {
		c := s[r]
		if c == '\\' {
			break
		}
		if c < utf8.RuneSelf {
			r++
			continue
		}
		rr, size := utf8.DecodeRune(s[r:])
		if rr == utf8.RuneError && size == 1 {
			break
		}
		r += size
	}
	if r == len(s) {
		return s
	}
	b := make([]byte, r, len(s)+2*utf8.UTFMax)
	copy(b, s[:r])
	for r < len(s) {
		switch c := s[r]; {
		case c == '\\':
			r++
			switch s[r] {
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				rr := getu4(s[r-1:])
				r += 4
				if utf16.IsSurrogate(rr) {
					rr1 := getu4(s[r+1:])
					if dec := utf16.DecodeRune(rr, rr1); dec != unicode.ReplacementChar {
						r += 6
						b = utf8.AppendRune(b, dec)
						break
					}
					rr = unicode.ReplacementChar
				}
				b = utf8.AppendRune(b, rr)
			default: // '"', '\\', '/'
				b = append(b, s[r])
			}
			r++
		case c < utf8.RuneSelf:
			b = append(b, c)
			r++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			r += size
			b = utf8.AppendRune(b, rr)
		}
	}
	return b
}

// getu4 decodes \uXXXX from the beginning of s, returning the hex value,
// or -1.
func getu4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c = c - '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// foldKey appends to out the case folding of key that encoding/json uses to
// match object keys to struct fields (ASCII upper case, other runes to the
// smallest rune of their simple folding orbit).
func foldKey(out, key []byte) []byte {
	for i := 0; i < len(key); {
		if c := key[i]; c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			out = append(out, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(key[i:])
		for {
			r2 := unicode.SimpleFold(r)
			if r2 <= r {
				r = r2
				break
			}
			r = r2
		}
		out = utf8.AppendRune(out, r)
		i += n
	}
	return out
}
