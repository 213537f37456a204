package spec

import (
	"fmt"
	"go/token"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameLen is the longest name accepted for a package, table, column,
// context field or enum value: PostgreSQL silently truncates identifiers
// longer than 63 bytes.
const MaxNameLen = 63

var (
	nameRE   = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	prefixRE = regexp.MustCompile(`^[a-z][a-z0-9]{0,15}$`)
)

// ValidName reports whether s is acceptable as a name in authentify.yaml:
// ^[a-z][a-z0-9_]*$ and at most [MaxNameLen] bytes. Such a name is safe as a
// quoted SQL identifier and, through [GoName], as a Go identifier.
func ValidName(s string) bool {
	return len(s) <= MaxNameLen && nameRE.MatchString(s)
}

// ValidPrefix reports whether s is a valid token prefix: ^[a-z][a-z0-9]{0,15}$.
func ValidPrefix(s string) bool { return prefixRE.MatchString(s) }

// nameProblem explains why s is not a valid name, or returns "".
func nameProblem(s string) string {
	const rule = "names are lower-case snake_case: a letter a-z, then a-z, 0-9 or _"
	switch {
	case s == "":
		return "empty name; " + rule
	case !utf8.ValidString(s):
		return fmt.Sprintf("invalid name %q: not valid UTF-8; %s", s, rule)
	case len(s) > MaxNameLen:
		return fmt.Sprintf("name %q is %d bytes long; at most %d are allowed (PostgreSQL truncates longer identifiers)", s, len(s), MaxNameLen)
	case nameRE.MatchString(s):
		return ""
	}
	hint := ""
	if sn := snakeCase(s); sn != s && ValidName(sn) {
		hint = fmt.Sprintf(": did you mean %q?", sn)
	}
	for i, r := range s {
		if r >= 'a' && r <= 'z' || i > 0 && (r >= '0' && r <= '9' || r == '_') {
			continue
		}
		switch {
		case unicode.IsUpper(r) && hint != "":
			return fmt.Sprintf("invalid name %q: %s%s", s, rule, hint)
		case i == 0:
			return fmt.Sprintf("invalid name %q: it must start with a lower-case letter a-z%s", s, hint)
		}
		return fmt.Sprintf("invalid name %q: %q is not allowed; %s%s", s, r, rule, hint)
	}
	return fmt.Sprintf("invalid name %q: %s", s, rule) // unreachable
}

// snakeCase turns a plausible camelCase or kebab-case name into snake_case
// for a hint ("lastUsedIP" → "last_used_ip", "last-used" → "last_used").
func snakeCase(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case r == '-' || r == ' ' || r == '.':
			b.WriteByte('_')
		case unicode.IsUpper(r):
			if i > 0 && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1]) ||
				i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(rs[i-1])) {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// initialisms are the snake_case words GoName writes in upper case.
var initialisms = map[string]bool{
	"id": true, "ip": true, "url": true, "uuid": true, "http": true, "json": true,
	"api": true, "ttl": true, "sql": true, "uri": true, "html": true, "xml": true,
	"cpu": true, "ram": true, "tls": true, "ui": true, "os": true,
}

// GoName derives the exported Go identifier of a snake_case name: each word is
// capitalised, and the words id, ip, url, uuid, http, json, api, ttl, sql,
// uri, html, xml, cpu, ram, tls, ui and os are written in upper case
// (ip_addr → IPAddr, user_id → UserID). Empty words are dropped (a__b → AB).
func GoName(snake string) string {
	var b strings.Builder
	for _, w := range strings.Split(snake, "_") {
		if w == "" {
			continue
		}
		if initialisms[w] {
			b.WriteString(strings.ToUpper(w))
			continue
		}
		r, n := utf8.DecodeRuneInString(w)
		b.WriteRune(unicode.ToUpper(r))
		b.WriteString(w[n:])
	}
	return b.String()
}

// packageProblem explains why s is not a usable Go package name, or returns "".
func packageProblem(s string) string {
	if p := nameProblem(s); p != "" {
		return p
	}
	if token.IsKeyword(s) {
		return fmt.Sprintf("package %q is a Go keyword; choose another package name", s)
	}
	switch s {
	case "runtime":
		return `package "runtime" would clash with the authentify runtime package the generated code imports; choose another package name`
	case "db":
		return `package "db" would clash with the sqlc "db" package generated next to it; choose another package name`
	}
	return ""
}

// BuiltinColumns returns the columns every token table has, in table order.
// A custom column may not reuse one of these names.
func BuiltinColumns() []string {
	return []string{
		"id", "user_id", "auth_type", "access_hash", "refresh_hash", "prev_refresh_hash", "retired_refresh_hashes",
		"rotated_at", "context", "created_at", "last_refreshed_at", "expires_at",
		"refresh_until", "revoked_at", "revoke_reason", "access_ttl_ns", "refresh_ttl_ns", "rotation_salt",
	}
}

// ReservedTokenNames returns the fields and methods of the generated Token
// type. A custom column's GoName may not be one of these.
func ReservedTokenNames() []string {
	return []string{
		"ID", "UserID", "Transport", "Context", "CreatedAt", "LastRefreshedAt",
		"ExpiresAt", "RefreshUntil", "RotatedAt", "RevokedAt", "RevokeReason", "AccessTTL", "RefreshTTL",
		"Record", "String", "Format", "GoString", "MarshalJSON", "IsActive", "State", "Columns",
	}
}

// ReservedContextNames returns the fields and methods of the generated
// Context type. A context field's GoName may not be one of these.
func ReservedContextNames() []string {
	return []string{"Extra", "Validate", "MarshalJSON", "UnmarshalJSON", "Get", "String", "WithDefaults"}
}
