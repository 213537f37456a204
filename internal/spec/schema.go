package spec

import (
	"encoding/json"
	"fmt"
	"go/token"
	"strings"
	"time"

	"github.com/authentify-go/authentify/runtime"
)

// SchemaURL is where `authentify-gen schema` output is published; `init`
// writes it in the yaml-language-server comment of a new spec.
const SchemaURL = "https://raw.githubusercontent.com/authentify-go/authentify/main/authentify.schema.json"

// keyDocs describes every key of authentify.yaml except the settings
// (runtime.SettingsTable): editors show these through the JSON Schema.
var keyDocs = map[string]string{
	"version":             "Format of this file; must be 1.",
	"package":             "Go package name of the generated code, normally the spec folder's name.",
	"engines":             "Database engines the package supports: postgresql (New, pgx) and/or sqlite (NewSQLite, database/sql, pure Go). Default: [postgresql].",
	"table":               "PostgreSQL table holding one row per session.",
	"http":                "The HTTP stacks the generated package serves, one generated file each: nethttp (net/http middleware), echo4 (Echo v4), echo5 (Echo v5). Default [echo4]. The first listed owns the plain names; a later one whose name is taken gets its suffix (HTTP, Echo4, Echo5).",
	"renamed_from":        "The table's previous name, beside a changed table: the next migration renames it (a rename is never guessed). May be removed once that migration exists.",
	"user":                "The owner of tokens.",
	"user.id_type":        "Go and SQL type of user ids: int64 (bigint), int32 (integer), uuid, string (text).",
	"user.references":     "Optional foreign key of user_id: table(column) or schema.table(column). The table must exist before the token table is created.",
	"token":               "Token format: tokens read <prefix>_at_… (access) and <prefix>_rt_… (refresh).",
	"token.prefix":        "Starts every token: a letter a-z, then at most 15 of a-z0-9. Default: the package name.",
	"context":             "The typed per-token context, stored as jsonb.",
	"context.strict":      "true: only declared fields exist. false: undeclared keys are kept in Context.Extra.",
	"context.fields":      "Context fields by name (snake_case): the JSON key; the Go field is its CamelCase form.",
	"fields":              "Custom token columns by name (snake_case). A column is NOT NULL unless nullable, so it needs a default.",
	"settings":            "Defaults of the generated Service; each can be overridden at run time with WithSettings. secret_key never goes here.",
	"field.type":          "Type of the field: " + typeNames() + ".",
	"field.values":        "The values of an enum, snake_case names.",
	"field.required":      "Context fields only: the field must be set when a token is issued (not for bool or numbers, whose zero is a value).",
	"field.nullable":      "The Go type is a pointer (nil: unset) and the column accepts NULL.",
	"field.default":       "Value used when none is given, of the field's type (time: RFC 3339; json: any YAML value).",
	"column.required":     "Not allowed on custom columns: a column is NOT NULL unless nullable.",
	"settings.secret_key": "Never in authentify.yaml: set AUTHENTIFY_SECRET_KEY or use WithSettings at run time.",
}

// namePattern is nameRE as a JSON Schema pattern.
const namePattern = `^[a-z][a-z0-9_]*$`

// JSONSchema returns a JSON Schema (draft 2020-12) of authentify.yaml, with
// a description of every key and the default of every optional one. It is
// derived from the lists the loader checks against (top-level, user, token,
// context and field keys, field types, id types, runtime.SettingsTable and
// runtime.DefaultSettings), so the two cannot drift apart. The schema
// checks shapes, names and types; rules across keys that it cannot express
// (Go name collisions, settings that must agree) are left to the loader.
func JSONSchema() []byte {
	obj := func(keys []string, prefix string, props map[string]any) map[string]any {
		ordered := make(map[string]any, len(keys))
		for _, k := range keys {
			p, ok := props[k].(map[string]any)
			if !ok {
				p = map[string]any{}
			}
			if d := keyDocs[prefix+k]; d != "" {
				p["description"] = d
			}
			ordered[k] = p
		}
		return map[string]any{"type": "object", "additionalProperties": false, "properties": ordered}
	}
	name := map[string]any{"type": "string", "pattern": namePattern, "maxLength": MaxNameLen}

	var keywords []string
	for _, k := range []string{"break", "case", "chan", "const", "continue", "default", "defer", "else", "fallthrough", "for", "func", "go", "goto", "if", "import", "interface", "map", "package", "range", "return", "select", "struct", "switch", "type", "var"} {
		if token.IsKeyword(k) {
			keywords = append(keywords, k)
		}
	}
	pkg := map[string]any{"type": "string", "pattern": namePattern, "maxLength": MaxNameLen,
		"not": map[string]any{"enum": append(keywords, "runtime", "db")}}

	var types []any
	for _, t := range FieldTypes() {
		types = append(types, string(t))
	}
	fieldProps := func(column bool) map[string]any {
		props := map[string]any{
			"type":     map[string]any{"enum": types},
			"values":   map[string]any{"type": "array", "items": name, "minItems": 1, "uniqueItems": true},
			"required": map[string]any{"type": "boolean", "default": false},
			"nullable": map[string]any{"type": "boolean", "default": false},
			"default":  map[string]any{},
		}
		o := obj(fieldKeys, "field.", props)
		if column {
			o["properties"].(map[string]any)["required"] = map[string]any{"not": map[string]any{}, "description": keyDocs["column.required"]}
		}
		o["required"] = []string{"type"}
		rules := []any{
			// An enum needs values; values belong to enums only.
			map[string]any{"if": map[string]any{"properties": map[string]any{"type": map[string]any{"const": "enum"}}},
				"then": map[string]any{"required": []string{"values"}},
				"else": map[string]any{"not": map[string]any{"required": []string{"values"}}}},
			// required and nullable exclude each other.
			map[string]any{"not": map[string]any{"properties": map[string]any{"required": map[string]any{"const": true}, "nullable": map[string]any{"const": true}}, "required": []string{"required", "nullable"}}},
		}
		if column {
			// A NOT NULL column needs a default.
			rules = append(rules, map[string]any{
				"if":   map[string]any{"not": map[string]any{"properties": map[string]any{"nullable": map[string]any{"const": true}}, "required": []string{"nullable"}}},
				"then": map[string]any{"required": []string{"default"}}})
		}
		o["allOf"] = rules
		return o
	}
	fieldMap := func(ref, doc string) map[string]any {
		return map[string]any{"type": []string{"object", "null"}, "description": doc,
			"propertyNames": name, "additionalProperties": map[string]any{"$ref": ref}}
	}

	settings := obj(runtime.SettingKeys(), "settings.", settingSchemas())
	for _, info := range runtime.SettingsTable() {
		if info.Kind == runtime.KindSecret {
			settings["properties"].(map[string]any)[info.Key] = map[string]any{"not": map[string]any{},
				"description": keyDocs["settings."+info.Key]}
		}
	}

	root := obj(topKeys, "", map[string]any{
		"version": map[string]any{"const": 1},
		"package": pkg,
		"engines": map[string]any{"type": "array", "minItems": 1, "uniqueItems": true,
			"items": map[string]any{"enum": engineNames}, "default": engineNames[:1]},
		"table":        merge(name, map[string]any{"default": DefaultTable}),
		"renamed_from": name,
		"user": obj(userKeys, "user.", map[string]any{
			"id_type":    map[string]any{"enum": idTypes, "default": string(DefaultIDType)},
			"references": map[string]any{"type": "string", "pattern": `^([a-z][a-z0-9_]*\.)?[a-z][a-z0-9_]*\([a-z][a-z0-9_]*\)$`},
		}),
		"token": obj(tokenKeys, "token.", map[string]any{
			"prefix": map[string]any{"type": "string", "pattern": prefixRE.String()},
		}),
		"context": obj(contextKeys, "context.", map[string]any{
			"strict": map[string]any{"type": "boolean", "default": true},
			"fields": fieldMap("#/$defs/contextField", keyDocs["context.fields"]),
		}),
		"fields": fieldMap("#/$defs/column", keyDocs["fields"]),
		"http": map[string]any{"type": "array", "minItems": 1, "uniqueItems": true, "default": []string{string(AdapterEcho4)},
			"items": map[string]any{"enum": Adapters()}},
		"settings": settings,
	})
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$id"] = SchemaURL
	root["title"] = "authentify.yaml"
	root["description"] = "The spec of a typed token-authentication package generated by authentify-gen."
	root["required"] = []string{"version", "package"}
	root["$defs"] = map[string]any{"contextField": fieldProps(false), "column": fieldProps(true)}
	for _, k := range []string{"user", "token", "context", "settings"} {
		p := root["properties"].(map[string]any)[k].(map[string]any)
		p["type"] = []string{"object", "null"}
	}

	b, err := json.MarshalIndent(root, "", "  ")
	if err != nil {
		panic(fmt.Sprintf("spec: JSON Schema: %v", err)) // only maps, strings and numbers
	}
	return append(b, '\n')
}

// durationPattern matches a Go duration; durationOrNone also none.
const (
	durationPattern = `^([0-9]+(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+$`
	durationOrNone  = `^(none|([0-9]+(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+)$`
)

// settingSchemas returns the schema of each setting of authentify.yaml,
// typed after its row of runtime.SettingsTable, with its runtime default
// and its documentation.
func settingSchemas() map[string]any {
	def := runtime.DefaultSettings()
	out := map[string]any{}
	for _, info := range runtime.SettingsTable() {
		var s map[string]any
		switch v := info.Ptr(&def).(type) {
		case *time.Duration:
			pattern := durationPattern
			if info.NoneOK {
				pattern = durationOrNone
			}
			s = map[string]any{
				"anyOf": []any{
					map[string]any{"type": "string", "pattern": pattern},
					map[string]any{"const": 0},
				},
				"default": formatDuration(*v),
			}
			if *v == 0 {
				s["default"] = 0
			}
		case *bool:
			s = map[string]any{"type": "boolean", "default": *v}
		case *string:
			s = map[string]any{"type": "string", "default": *v}
			if len(info.Values) > 0 {
				s["enum"] = info.Values
			}
		case *[]string:
			s = map[string]any{"type": "array", "items": map[string]any{"type": "string"}, "default": *v}
		case *int:
			s = map[string]any{"type": "integer", "default": *v, "minimum": 0}
		default:
			continue // secrets never go in authentify.yaml
		}
		s["description"] = strings.ToUpper(info.Doc[:1]) + info.Doc[1:] + "."
		out[info.Key] = s
	}
	return out
}

func merge(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
