package spec

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authentify-go/authentify/runtime"
)

// sampleSetting returns a valid value of the setting info that differs
// from its default, as written in authentify.yaml and in its environment
// variable.
func sampleSetting(t *testing.T, info runtime.SettingInfo) (want runtime.Settings, yamlText, envText string) {
	t.Helper()
	want = runtime.DefaultSettings()
	switch p := info.Ptr(&want).(type) {
	case *time.Duration:
		*p *= 2
		return want, formatDuration(*p), p.String()
	case *bool:
		*p = !*p
		return want, strconv.FormatBool(*p), strconv.FormatBool(*p)
	case *int:
		*p += 3
		return want, strconv.Itoa(*p), strconv.Itoa(*p)
	case *string:
		*p = info.Values[len(info.Values)-1]
		return want, yamlString(*p), *p
	case *[]string:
		*p = append(slices.Clone(*p), "Alt")
		return want, settingYAML(p), strings.Join(*p, ", ")
	case *[]byte:
		*p = []byte("0123456789abcdef0123456789abcdef")
		return want, string(*p), string(*p)
	}
	t.Fatalf("%s: no sample of %T", info.Key, info.Ptr(&want))
	return
}

// TestEverySettingEverywhere checks, for each row of runtime.SettingsTable,
// that a value other than the default is read alike by the loader and by
// the environment override, printed (JSON and slog), shown in the starter
// spec, and described and accepted by the JSON Schema; a secret is refused
// by the loader and the schema and named in the starter's comment.
func TestEverySettingEverywhere(t *testing.T) {
	sch := compileSchema(t)
	var schema struct {
		Properties struct {
			Settings struct {
				Properties map[string]map[string]any `json:"properties"`
			} `json:"settings"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(JSONSchema(), &schema); err != nil {
		t.Fatal(err)
	}
	starter := string(Starter())
	for _, info := range runtime.SettingsTable() {
		t.Run(info.Key, func(t *testing.T) {
			want, yamlText, envText := sampleSetting(t, info)
			src := fmt.Sprintf("version: 1\npackage: auth\nsettings:\n  %s: %s\n", info.Key, yamlText)
			prop, inSchema := schema.Properties.Settings.Properties[info.Key]
			if d, _ := prop["description"].(string); !inSchema || d == "" {
				t.Errorf("the schema does not describe %s", info.Key)
			}
			inst, err := yamlInstance(t, []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			schemaErr := sch.Validate(inst)
			s, loadErr := Load("authentify.yaml", []byte(src))

			if info.Kind == runtime.KindSecret {
				if loadErr == nil || schemaErr == nil {
					t.Errorf("a secret in authentify.yaml: loader error %v, schema error %v", loadErr, schemaErr)
				}
				if !strings.Contains(starter, "# "+info.Key+" never goes here: set "+info.Env()) {
					t.Errorf("the starter spec does not say where %s goes", info.Key)
				}
			} else {
				if loadErr != nil {
					t.Fatalf("the loader refuses %s:\n%v", strings.TrimSpace(src), loadErr)
				}
				if !reflect.DeepEqual(s.Settings, want) {
					t.Errorf("the loader reads %s: %s as %+v, want %+v", info.Key, yamlText, s.Settings, want)
				}
				if schemaErr != nil {
					t.Errorf("the schema refuses %s: %s: %v", info.Key, yamlText, schemaErr)
				}
				if !strings.Contains(starter, "\n  "+info.Key+": ") {
					t.Errorf("the starter spec does not show %s", info.Key)
				}
				bad := fmt.Sprintf("version: 1\npackage: auth\nsettings:\n  %s: { x: 1 }\n", info.Key)
				inst, err := yamlInstance(t, []byte(bad))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := Load("authentify.yaml", []byte(bad)); err == nil || sch.Validate(inst) == nil {
					t.Errorf("a mapping as %s: loader error %v, schema error %v", info.Key, err, sch.Validate(inst))
				}
			}

			env := runtime.DefaultSettings()
			if err := env.ApplyEnviron([]string{info.Env() + "=" + envText}); err != nil {
				t.Fatalf("%s=%s: %v", info.Env(), envText, err)
			}
			if !reflect.DeepEqual(env, want) {
				t.Errorf("%s=%s reads as %+v, want %+v", info.Env(), envText, env, want)
			}

			def := runtime.DefaultSettings()
			printed, changed := printedSetting(t, def, info.Key), printedSetting(t, want, info.Key)
			if printed == changed {
				t.Errorf("printing does not show %s: %s before and after the change", info.Key, printed)
			}
			if got := fmt.Sprint(want.LogValue()); !strings.Contains(got, info.Key+"=") {
				t.Errorf("the log record lacks %s: %s", info.Key, got)
			}
		})
	}
}

// printedSetting returns how Settings.MarshalJSON prints key.
func printedSetting(t *testing.T, s runtime.Settings, key string) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	v, ok := m[key]
	if !ok {
		t.Errorf("the JSON print lacks %s: %s", key, b)
	}
	return string(v)
}

// TestReadmeSettingsTable keeps the Settings table of README.md listing
// exactly the rows of runtime.SettingsTable, in order, with the defaults
// of runtime.DefaultSettings as authentify.yaml writes them.
func TestReadmeSettingsTable(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n### Settings\n")
	if !ok {
		t.Fatal("README.md has no ### Settings section")
	}
	section, _, _ = strings.Cut(section, "\n#")
	type row struct{ key, def string }
	var got, want []row
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, " | ")
		if len(cells) < 3 || !strings.HasPrefix(cells[0], "| `") {
			continue
		}
		got = append(got, row{strings.Trim(cells[0], "| `"), strings.Trim(cells[1], "`")})
	}
	def := runtime.DefaultSettings()
	for _, info := range runtime.SettingsTable() {
		r := row{info.Key, "none"}
		if info.Kind != runtime.KindSecret {
			r.def = settingYAML(info.Ptr(&def))
		}
		want = append(want, r)
	}
	if !slices.Equal(got, want) {
		t.Errorf("the Settings table of README.md lists (key, default)\n%v\nwant\n%v", got, want)
	}
}
