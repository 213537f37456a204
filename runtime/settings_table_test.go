package runtime

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// kindTypes is the Settings field type of each SettingKind.
var kindTypes = map[SettingKind]reflect.Type{
	KindDuration: reflect.TypeFor[time.Duration](),
	KindBool:     reflect.TypeFor[bool](),
	KindInt:      reflect.TypeFor[int](),
	KindString:   reflect.TypeFor[string](),
	KindList:     reflect.TypeFor[[]string](),
	KindSecret:   reflect.TypeFor[[]byte](),
}

var snakeKey = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// TestSettingsTableCoversEveryField fails when a field is added to
// Settings without a row of SettingsTable (or a row names no field): the
// rows follow the fields one to one, in order, each with the kind of its
// field's type and the attributes its kind needs.
func TestSettingsTableCoversEveryField(t *testing.T) {
	typ := reflect.TypeFor[Settings]()
	table := SettingsTable()
	for i := range max(typ.NumField(), len(table)) {
		switch {
		case i >= len(table):
			t.Errorf("Settings.%s has no row in SettingsTable", typ.Field(i).Name)
			continue
		case i >= typ.NumField():
			t.Errorf("row %q names %s, which is not a field of Settings", table[i].Key, table[i].Field)
			continue
		}
		f, row := typ.Field(i), table[i]
		if row.Field != f.Name {
			t.Errorf("row %d (%q) is for %s, but field %d of Settings is %s: one row per field, in field order", i, row.Key, row.Field, i, f.Name)
			continue
		}
		if want, ok := kindTypes[row.Kind]; !ok || f.Type != want {
			t.Errorf("%s: kind %d does not fit the field's type %s", row.Key, row.Kind, f.Type)
		}
		if !snakeKey.MatchString(row.Key) {
			t.Errorf("%s: the key is not snake_case", row.Key)
		}
		if row.Doc == "" || strings.ToLower(row.Doc[:1]) != row.Doc[:1] || strings.HasSuffix(row.Doc, ".") {
			t.Errorf("%s: Doc %q must be one lower-case line without a final period", row.Key, row.Doc)
		}
		if row.NoneOK && row.Kind != KindDuration {
			t.Errorf("%s: NoneOK on a setting that is not a duration", row.Key)
		}
		if (row.Kind == KindInt) != (row.Zero != "" && row.Unit != "") {
			t.Errorf("%s: Zero and Unit are for, and required by, whole numbers", row.Key)
		}
		if len(row.Values) > 0 && row.Kind != KindString {
			t.Errorf("%s: Values on a setting that is not a string", row.Key)
		}
		var s Settings
		if got := reflect.TypeOf(row.Ptr(&s)); got != reflect.PointerTo(f.Type) {
			t.Errorf("%s: Ptr returns %s", row.Key, got)
		}
		if got, ok := LookupSetting(row.Key); !ok || got.Field != row.Field {
			t.Errorf("LookupSetting(%q) = %v, %v", row.Key, got, ok)
		}
	}
	if _, ok := LookupSetting("token_tll"); ok {
		t.Error("LookupSetting finds an unknown key")
	}
}

// TestSettingsFieldCommentsNameTheirKey keeps the doc comment of every
// field of Settings naming its key, "TokenTTL (token_ttl)", as godoc
// readers look it up there.
func TestSettingsFieldCommentsNameTheirKey(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "settings.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok || ts.Name.Name != "Settings" {
			return true
		}
		for _, field := range ts.Type.(*ast.StructType).Fields.List {
			for _, name := range field.Names {
				docs[name.Name] = field.Doc.Text()
			}
		}
		return false
	})
	for _, row := range SettingsTable() {
		want := row.Field + " (" + row.Key
		if !strings.Contains(strings.Join(strings.Fields(docs[row.Field]), " "), want) {
			t.Errorf("the comment of Settings.%s does not start %q: %q", row.Field, want+")", docs[row.Field])
		}
	}
}

// TestValidateNamesTableKeys checks that every problem Validate reports
// names a key of SettingsTable, so that the spec loader can put it at the
// key's line.
func TestValidateNamesTableKeys(t *testing.T) {
	s := Settings{
		AutoRefresh: true, AutoRefreshInterval: -1, RefreshGracePeriod: -1, MaxSessionsPerUser: -1,
		CacheSize: -1, HashAlgorithm: "md5", SecretKey: []byte("short"),
	}
	err := s.Validate()
	var se *SettingsError
	if !errors.As(err, &se) || len(se.Problems) < 10 {
		t.Fatalf("Validate() = %v, want many problems", err)
	}
	for _, p := range se.Problems {
		if _, ok := LookupSetting(p.Key); !ok {
			t.Errorf("Validate reports %q, not a key of SettingsTable: %s", p.Key, p.Message)
		}
	}
}
