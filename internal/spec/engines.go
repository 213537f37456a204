package spec

import (
	"fmt"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// Engine is a database engine the generated package supports.
type Engine string

// The engines.
const (
	EnginePostgreSQL Engine = "postgresql" // pgx/v5 over a *pgxpool.Pool (New)
	EngineSQLite     Engine = "sqlite"     // database/sql over a pure-Go driver (NewSQLite)
)

// DefaultEngines are the engines of a spec without `engines`.
var DefaultEngines = []Engine{EnginePostgreSQL}

// engineNames are the valid `engines` values, in documentation order.
var engineNames = []string{string(EnginePostgreSQL), string(EngineSQLite)}

// engineAliases maps other spellings to an engine, for hints.
var engineAliases = map[string]Engine{
	"postgres": EnginePostgreSQL, "pg": EnginePostgreSQL, "pgsql": EnginePostgreSQL,
	"pgx": EnginePostgreSQL, "psql": EnginePostgreSQL,
	"sqlite3": EngineSQLite, "lite": EngineSQLite,
}

// EngineList returns the engines of the spec, DefaultEngines when it has
// no `engines` key.
func (s *Spec) EngineList() []Engine {
	if s.Engines == nil {
		return DefaultEngines
	}
	return s.Engines
}

// Has reports whether the spec generates code for engine e.
func (s *Spec) Has(e Engine) bool { return slices.Contains(s.EngineList(), e) }

// engines decodes the `engines` list: at least one engine, each known and
// listed once, kept in the spec's order. On any problem it returns nil (the
// default).
func (l *loader) engines(e entry) []Engine {
	var def []Engine
	seq, isSeq := e.value.(*ast.SequenceNode)
	if !isSeq {
		if e.value != nil {
			l.errorf(e.value, e.path, "expected a list of engines such as [postgresql, sqlite], not %s", describe(e.value))
		}
		return def
	}
	if len(seq.Values) == 0 {
		l.errorf(e.value, e.path, "engines is empty: list at least one of %s, e.g. `engines: [postgresql, sqlite]`", strings.Join(engineNames, ", "))
		return def
	}
	var out []Engine
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
		eng := Engine(s)
		if !slices.Contains(engineNames, s) {
			msg := fmt.Sprintf("unknown engine %q", s)
			if a, found := engineAliases[strings.ToLower(s)]; found {
				msg += fmt.Sprintf(" (did you mean %q?)", a)
			} else if sug := suggest(strings.ToLower(s), engineNames); sug != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", sug)
			}
			l.errorf(v, p, "%s; expected one of: %s", msg, strings.Join(engineNames, ", "))
			ok = false
			continue
		}
		if slices.Contains(out, eng) {
			l.errorf(v, p, "engine %q is listed twice; list each engine once", s)
			ok = false
			continue
		}
		out = append(out, eng)
	}
	if !ok {
		return def
	}
	return out
}

// checkEngines reports what an engine of the spec cannot hold: SQLite has
// no schemas (a schema-qualified user.references) and no LISTEN/NOTIFY
// (cache_size > 0 on a SQLite-only spec).
func (l *loader) checkEngines(s *Spec, get map[string]entry) {
	if !s.Has(EngineSQLite) {
		return
	}
	if r := s.User.References; r != nil && strings.Contains(r.Table, ".") {
		if e, ok := get["user"]; ok {
			l.errorf(e.keyNode, "user.references", "user.references %s names a PostgreSQL schema, which SQLite (in engines) does not have: reference an unqualified table, e.g. users(id)", r)
		}
	}
	if !s.Has(EnginePostgreSQL) && s.Settings.CacheSize > 0 {
		at := get["engines"].keyNode
		if e, ok := get["settings"]; ok {
			at = e.keyNode
		}
		l.errorf(at, "settings.cache_size", "cache_size %d needs PostgreSQL's LISTEN/NOTIFY to stay coherent, and engines lists only sqlite: set cache_size: 0 (SQLite reads are local and fast)", s.Settings.CacheSize)
	}
}
