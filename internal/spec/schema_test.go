package spec

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/tools/txtar"

	"github.com/authentify-go/authentify/runtime"
)

var updateSchema = flag.Bool("update-schema", false, "rewrite the repository's authentify.schema.json")

// schemaFile is the published copy of JSONSchema() (SchemaURL points at it).
var schemaFile = filepath.Join("..", "..", "authentify.schema.json")

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(JSONSchema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(SchemaURL, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(SchemaURL)
	if err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	return sch
}

// yamlInstance converts YAML source into a JSON Schema instance.
func yamlInstance(t *testing.T, src []byte) (any, error) {
	t.Helper()
	js, err := yaml.YAMLToJSON(bytes.TrimPrefix(src, []byte("\ufeff")))
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(js))
}

// specArchives returns every authentify.yaml of the spec and generator
// scenarios, by archive path, and whether it is meant to load.
func specArchives(t *testing.T) map[string]struct {
	src   []byte
	valid bool
} {
	t.Helper()
	out := map[string]struct {
		src   []byte
		valid bool
	}{}
	files, _ := filepath.Glob("testdata/*.txtar")
	more, _ := filepath.Glob("../gen/testdata/scenarios/*.txtar")
	for _, f := range append(files, more...) {
		ar, err := txtar.ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src, ok := section(ar, "authentify.yaml")
		if !ok {
			continue
		}
		_, loadErr := Load("authentify.yaml", src)
		out[f] = struct {
			src   []byte
			valid bool
		}{src, loadErr == nil}
	}
	return out
}

// schemaCannotExpress lists the invalid scenarios that the schema accepts,
// with the reason: rules across keys or beyond a schema's reach. Every
// other invalid scenario must be refused by the schema too.
var schemaCannotExpress = map[string]string{
	"testdata/err_engines_sqlite_only.txtar":          "what SQLite cannot hold depends on engines, references and cache_size together",
	"testdata/err_collisions.txtar":                   "Go name collisions",
	"testdata/err_defaults.txtar":                     "a default must fit its field's type",
	"testdata/err_nonzero_default_bool.txtar":         "a default that depends on nullable and the type",
	"testdata/err_required_bool.txtar":                "required depends on the type",
	"testdata/err_prefix_required.txtar":              "the prefix is required when the package name is not one",
	"testdata/err_prefix_required_token.txtar":        "the prefix is required when the package name is not one",
	"testdata/err_settings_auto_refresh.txtar":        "settings that must agree",
	"testdata/err_settings_refresh.txtar":             "settings that must agree",
	"testdata/err_settings_unwritten.txtar":           "settings that must agree",
	"testdata/err_yaml_features.txtar":                "aliases, anchors and tags are resolved before validation",
	"testdata/err_column_go_names.txtar":              "Go name collisions",
	"testdata/err_enum_consts.txtar":                  "Go name collisions",
	"testdata/err_renamed_from.txtar":                 "renamed_from must differ from table",
	"testdata/err_settings_lookup_batch.txtar":        "lookup_batch_size 1 is refused as a batch of one; the schema only bounds it below",
	"../gen/testdata/scenarios/found_1_88.txtar":      "a table named like a column whose Go name sqlc declares",
	"../gen/testdata/scenarios/err_enum_consts.txtar": "Go name collisions",
}

// TestSchemaValidatesScenarios validates every scenario spec against the
// schema: the valid ones must pass; the invalid ones must fail unless
// schemaCannotExpress says why the schema cannot see their problem.
func TestSchemaValidatesScenarios(t *testing.T) {
	sch := compileSchema(t)
	for f, a := range specArchives(t) {
		t.Run(strings.TrimPrefix(filepath.ToSlash(f), "../"), func(t *testing.T) {
			inst, err := yamlInstance(t, a.src)
			if err != nil {
				if a.valid {
					t.Fatalf("a valid spec is not YAML the schema can read: %v", err)
				}
				return // a syntax error: no schema involved
			}
			verr := sch.Validate(inst)
			_, excused := schemaCannotExpress[f]
			switch {
			case a.valid && verr != nil:
				t.Errorf("valid spec refused by the schema: %v", verr)
			case !a.valid && verr == nil && !excused:
				t.Errorf("invalid spec accepted by the schema; make the schema refuse it or list it in schemaCannotExpress")
			case !a.valid && verr != nil && excused:
				t.Errorf("the schema refuses it now: remove it from schemaCannotExpress")
			}
		})
	}
}

// TestSchemaRefuses checks shapes the schema is meant to refuse, one at a
// time, from a valid spec.
func TestSchemaRefuses(t *testing.T) {
	sch := compileSchema(t)
	base := "version: 1\npackage: auth\n"
	for name, src := range map[string]string{
		"unknown top key":     base + "tabel: x\n",
		"unknown engine":      base + "engines: [mysql]\n",
		"empty engines":       base + "engines: []\n",
		"engine twice":        base + "engines: [sqlite, sqlite]\n",
		"missing package":     "version: 1\n",
		"version 2":           "version: 2\npackage: auth\n",
		"package keyword":     "version: 1\npackage: func\n",
		"package db":          "version: 1\npackage: db\n",
		"package upper":       "version: 1\npackage: Auth\n",
		"table name":          base + "table: Auth-Tokens\n",
		"id type":             base + "user: { id_type: bigint }\n",
		"reference":           base + "user: { references: users }\n",
		"prefix":              base + "token: { prefix: a_b }\n",
		"strict type":         base + "context: { strict: maybe }\n",
		"field name":          base + "context: { fields: { Device: { type: string } } }\n",
		"field type":          base + "context: { fields: { d: { type: text } } }\n",
		"enum without values": base + "context: { fields: { d: { type: enum } } }\n",
		"values on string":    base + "context: { fields: { d: { type: string, values: [a] } } }\n",
		"enum value name":     base + "context: { fields: { d: { type: enum, values: [Free] } } }\n",
		"duplicate values":    base + "context: { fields: { d: { type: enum, values: [a, a] } } }\n",
		"required nullable":   base + "context: { fields: { d: { type: string, required: true, nullable: true } } }\n",
		"field key":           base + "context: { fields: { d: { type: string, optional: true } } }\n",
		"column not null":     base + "fields: { d: { type: string } }\n",
		"column required":     base + "fields: { d: { type: string, required: true, default: x } }\n",
		"unknown setting":     base + "settings: { token_tll: 1h }\n",
		"secret":              base + "settings: { secret_key: hunter2 }\n",
		"duration":            base + "settings: { token_ttl: 1 day }\n",
		"duration unitless":   base + "settings: { token_ttl: 3600 }\n",
		"bool setting":        base + "settings: { auto_refresh: yes please }\n",
		"hash":                base + "settings: { hash_algorithm: md5 }\n",
		"list setting":        base + "settings: { cookie_names: token }\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Load("authentify.yaml", []byte(src)); err == nil {
				t.Fatalf("the loader accepts it; the test case is wrong")
			}
			inst, err := yamlInstance(t, []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(inst); err == nil {
				t.Errorf("the schema accepts:\n%s", src)
			}
		})
	}
	inst, _ := yamlInstance(t, Starter())
	if err := sch.Validate(inst); err != nil {
		t.Errorf("the starter spec does not validate: %v", err)
	}
}

var expectedRE = regexp.MustCompile(`expected one of: ([a-z0-9_, ]+)`)

// loaderKeys returns the keys the loader accepts in the mapping that src
// puts an unknown key "zzz" in, read from its error message.
func loaderKeys(t *testing.T, src string) []string {
	t.Helper()
	_, err := Load("authentify.yaml", []byte(src))
	if err == nil {
		t.Fatalf("an unknown key was accepted:\n%s", src)
	}
	m := expectedRE.FindStringSubmatch(err.Error())
	if m == nil {
		t.Fatalf("no list of expected keys in:\n%v", err)
	}
	keys := strings.Split(m[1], ", ")
	sort.Strings(keys)
	return keys
}

// TestSchemaKeysMatchLoader checks that each mapping of the schema has
// exactly the keys the loader accepts there (as the loader's own "unknown
// key … expected one of" message lists them), that every key has a
// description and every optional key with a default documents it.
func TestSchemaKeysMatchLoader(t *testing.T) {
	var root map[string]any
	if err := json.Unmarshal(JSONSchema(), &root); err != nil {
		t.Fatal(err)
	}
	props := func(o any) map[string]any { return o.(map[string]any)["properties"].(map[string]any) }
	keys := func(m map[string]any, drop ...string) []string {
		var ks []string
		for k := range m {
			if !slices.Contains(drop, k) {
				ks = append(ks, k)
			}
		}
		sort.Strings(ks)
		return ks
	}
	top := props(root)
	defs := root["$defs"].(map[string]any)
	base := "version: 1\npackage: auth\n"
	for _, tc := range []struct {
		where  string
		schema map[string]any
		drop   []string // schema-only keys that exist to refuse them
		src    string
	}{
		{"top level", top, nil, base + "zzz: 1\n"},
		{"user", props(top["user"]), nil, base + "user: { zzz: 1 }\n"},
		{"token", props(top["token"]), nil, base + "token: { zzz: 1 }\n"},
		{"context", props(top["context"]), nil, base + "context: { zzz: 1 }\n"},
		{"context field", props(defs["contextField"]), nil, base + "context: { fields: { d: { type: string, zzz: 1 } } }\n"},
		{"column", props(defs["column"]), nil, base + "fields: { d: { type: string, nullable: true, zzz: 1 } }\n"},
		{"settings", props(top["settings"]), []string{"secret_key"}, base + "settings: { zzz: 1 }\n"},
	} {
		if got, want := keys(tc.schema, tc.drop...), loaderKeys(t, tc.src); !slices.Equal(got, want) {
			t.Errorf("%s: schema keys %v, loader keys %v", tc.where, got, want)
		}
		for k, v := range tc.schema {
			if d, _ := v.(map[string]any)["description"].(string); d == "" {
				t.Errorf("%s.%s has no description", tc.where, k)
			}
		}
	}
	var types []string
	for _, ty := range FieldTypes() {
		types = append(types, string(ty))
	}
	sch := props(defs["contextField"])["type"].(map[string]any)["enum"].([]any)
	if len(sch) != len(types) {
		t.Errorf("field types in the schema %v, in the loader %v", sch, types)
	}
	for _, k := range runtime.SettingKeys() {
		if _, ok := props(top["settings"])[k].(map[string]any)["default"]; !ok {
			t.Errorf("settings.%s has no default", k)
		}
	}
}

// TestSchemaFileUpToDate keeps the published authentify.schema.json equal
// to JSONSchema() (go test ./internal/spec -run TestSchemaFileUpToDate
// -update-schema rewrites it).
func TestSchemaFileUpToDate(t *testing.T) {
	if *updateSchema {
		if err := os.WriteFile(schemaFile, JSONSchema(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, JSONSchema()) {
		t.Errorf("%s is out of date: run go test ./internal/spec -run TestSchemaFileUpToDate -update-schema", schemaFile)
	}
}
