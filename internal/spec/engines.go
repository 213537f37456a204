package spec

import (
	"fmt"
	"slices"
	"strings"
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
var engineAliases = map[string]string{
	"postgres": string(EnginePostgreSQL), "pg": string(EnginePostgreSQL), "pgsql": string(EnginePostgreSQL),
	"pgx": string(EnginePostgreSQL), "psql": string(EnginePostgreSQL),
	"sqlite3": string(EngineSQLite), "lite": string(EngineSQLite),
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
	names := l.choices(e, choiceList{
		valid:   engineNames,
		aliases: engineAliases,
		notList: func(got string) string {
			return "expected a list of engines such as [postgresql, sqlite], not " + got
		},
		empty: fmt.Sprintf("engines is empty: list at least one of %s, e.g. `engines: [postgresql, sqlite]`", strings.Join(engineNames, ", ")),
		unknown: func(name, hint string) string {
			return fmt.Sprintf("unknown engine %q%s; expected one of: %s", name, didYouMean(hint), strings.Join(engineNames, ", "))
		},
		twice: func(name string) string {
			return fmt.Sprintf("engine %q is listed twice; list each engine once", name)
		},
	})
	var out []Engine
	for _, n := range names {
		out = append(out, Engine(n))
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
