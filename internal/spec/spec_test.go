package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/tools/txtar"

	"github.com/authentify-go/authentify/runtime"
)

var update = flag.Bool("update", false, "rewrite the want sections of testdata/*.txtar")

// TestScenarios loads the authentify.yaml of each testdata/*.txtar and
// compares the result with its want.json (the loaded Spec) or want.err (the
// exact error text).
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/*.txtar")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			src, ok := section(ar, "authentify.yaml")
			if !ok {
				t.Fatal("no -- authentify.yaml -- section")
			}
			gotName, got := run(t, src)
			if *update {
				var keep []txtar.File
				for _, f := range ar.Files {
					if f.Name != "want.json" && f.Name != "want.err" {
						keep = append(keep, f)
					}
				}
				ar.Files = append(keep, txtar.File{Name: gotName, Data: got})
				if err := os.WriteFile(file, txtar.Format(ar), 0o666); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, ok := section(ar, gotName)
			if !ok {
				t.Fatalf("got %s, but the archive has no %s section (run with -update):\n%s", gotName, gotName, got)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs (run with -update to accept)\n--- got\n%s--- want\n%s", gotName, got, want)
			}
		})
	}
}

// run loads src and returns the name and content of the matching want
// section.
func run(t *testing.T, src []byte) (string, []byte) {
	t.Helper()
	s, err := Load("authentify.yaml", src)
	if err != nil {
		var errs *Errors
		if !errors.As(err, &errs) {
			t.Fatalf("error is %T, want *Errors: %v", err, err)
		}
		if s != nil {
			t.Errorf("Load returned both a Spec and an error")
		}
		return "want.err", []byte(err.Error() + "\n")
	}
	return "want.json", render(t, s)
}

func section(ar *txtar.Archive, name string) ([]byte, bool) {
	for _, f := range ar.Files {
		if f.Name == name {
			return f.Data, true
		}
	}
	return nil, false
}

// render writes a Spec as indented JSON, durations in authentify.yaml form.
func render(t *testing.T, s *Spec) []byte {
	t.Helper()
	if s.Settings.SecretKey != nil {
		t.Errorf("Load set a secret key")
	}
	v := struct {
		Version  int
		Package  string
		Engines  []Engine `json:",omitempty"`
		Table    string
		User     User
		Token    Token
		Context  Context
		Fields   []Field
		Settings orderedSettings
	}{s.Version, s.Package, s.Engines, s.Table, s.User, s.Token, s.Context, s.Fields, orderedSettings(s.Settings)}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// orderedSettings renders settings keyed as in authentify.yaml, in
// runtime.SettingKeys order.
type orderedSettings runtime.Settings

func (o orderedSettings) MarshalJSON() ([]byte, error) {
	s := runtime.Settings(o)
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range runtime.SettingKeys() {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		info, _ := runtime.LookupSetting(k)
		var v any
		switch p := info.Ptr(&s).(type) {
		case *time.Duration:
			v = formatDuration(*p)
		case *bool:
			v = *p
		case *string:
			v = *p
		case *[]string:
			v = *p
		case *int:
			v = *p
		}
		vb, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func TestStarter(t *testing.T) {
	src := Starter()
	s, err := Load("authentify.yaml", src)
	if err != nil {
		t.Fatalf("Starter does not load:\n%v\n%s", err, src)
	}
	if got, want := render(t, s), render(t, mustLoad(t, Minimal())); !bytes.Equal(got, want) {
		t.Errorf("Starter and Minimal differ:\n%s\n%s", got, want)
	}
	for _, k := range append(runtime.SettingKeys(), "version", "package", "table", "engines", "http", "id_type", "references", "prefix", "strict", "fields") {
		if !bytes.Contains(src, []byte(k+":")) {
			t.Errorf("Starter does not show %q", k)
		}
	}
	for i, line := range strings.Split(strings.TrimSuffix(string(src), "\n"), "\n") {
		if !strings.Contains(line, "#") {
			t.Errorf("Starter line %d has no comment: %q", i+1, line)
		}
	}
}

func TestMinimal(t *testing.T) {
	s := mustLoad(t, Minimal())
	def := runtime.DefaultSettings()
	if s.Version != 1 || s.Package != "auth" || s.Table != DefaultTable || s.User.IDType != IDInt64 ||
		s.User.References != nil || s.Token.Prefix != "auth" || !s.Context.Strict ||
		len(s.Context.Fields) != 0 || len(s.Fields) != 0 ||
		!bytes.Equal(render(t, s), render(t, &Spec{Version: 1, Package: "auth", Table: DefaultTable,
			User: User{IDType: IDInt64}, Token: Token{Prefix: "auth"}, Context: Context{Strict: true, Fields: []Field{}},
			Fields: []Field{}, Settings: def})) {
		t.Errorf("Minimal loads as %+v", s)
	}
}

func mustLoad(t *testing.T, src []byte) *Spec {
	t.Helper()
	s, err := Load("authentify.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestGoName(t *testing.T) {
	for in, want := range map[string]string{
		"ip_addr":             "IPAddr",
		"user_id":             "UserID",
		"last_used_ip":        "LastUsedIP",
		"two_factor_verified": "TwoFactorVerified",
		"device":              "Device",
		"api_url":             "APIURL",
		"uuid":                "UUID",
		"http_json_api":       "HTTPJSONAPI",
		"token_ttl":           "TokenTTL",
		"os_ui_cpu_ram":       "OSUICPURAM",
		"sql_uri_html_xml":    "SQLURIHTMLXML",
		"tls":                 "TLS",
		"i_p_addr":            "IPAddr",
		"ipv4":                "Ipv4",
		"a__b_":               "AB",
		"type":                "Type",
		"identity":            "Identity",
		"x1":                  "X1",
	} {
		if got := GoName(in); got != want {
			t.Errorf("GoName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidName(t *testing.T) {
	for _, s := range []string{"a", "type", "user", "select", "a_1", "x" + strings.Repeat("y", 62)} {
		if !ValidName(s) || nameProblem(s) != "" {
			t.Errorf("ValidName(%q) = false, want true", s)
		}
	}
	for _, s := range []string{"", "A", "1a", "_a", "a-b", "a b", "é", "a\"b", "name; DROP TABLE", "x" + strings.Repeat("y", 63), "a\x00"} {
		if ValidName(s) || nameProblem(s) == "" {
			t.Errorf("ValidName(%q) = true, want false", s)
		}
	}
}

func TestReservedListsAreConsistent(t *testing.T) {
	for _, c := range BuiltinColumns() {
		if !ValidName(c) {
			t.Errorf("built-in column %q is not a valid name", c)
		}
	}
	// Every built-in column the Token type exposes maps to a reserved name.
	for _, n := range []string{"id", "user_id", "context", "created_at", "last_refreshed_at", "expires_at",
		"refresh_until", "rotated_at", "revoked_at", "revoke_reason"} {
		found := false
		for _, r := range ReservedTokenNames() {
			found = found || r == GoName(n)
		}
		if !found {
			t.Errorf("GoName(%q) = %s is not in ReservedTokenNames", n, GoName(n))
		}
	}
}

// TestSettingsProblemsArePositioned checks where Validate's problems land,
// whatever the runtime's rules are: at the key when it was written, else at
// `settings:`, else at the first key of the file.
func TestSettingsProblemsArePositioned(t *testing.T) {
	saved := validateSettings
	defer func() { validateSettings = saved }()
	validateSettings = func(runtime.Settings) error {
		return &runtime.SettingsError{Problems: []runtime.SettingProblem{
			{Key: "refresh_token_ttl", Message: "written"},
			{Key: "cookie_names", Message: "not written"},
		}}
	}
	src := "version: 1\npackage: auth\nsettings:\n  token_ttl: 1h\n  refresh_token_ttl: 1h\n"
	_, err := Load("authentify.yaml", []byte(src))
	var errs *Errors
	if !errors.As(err, &errs) || len(errs.Diags) != 2 {
		t.Fatalf("got %v", err)
	}
	check := func(d Diagnostic, line, col int, path string) {
		t.Helper()
		if d.Line != line || d.Col != col || d.Path != path {
			t.Errorf("got %d:%d %s, want %d:%d %s", d.Line, d.Col, d.Path, line, col, path)
		}
	}
	check(errs.Diags[0], 3, 1, "settings.cookie_names")
	check(errs.Diags[1], 5, 3, "settings.refresh_token_ttl")

	_, err = Load("authentify.yaml", []byte("# c\nversion: 1\npackage: auth\n"))
	if !errors.As(err, &errs) || len(errs.Diags) != 2 {
		t.Fatalf("got %v", err)
	}
	check(errs.Diags[0], 2, 1, "settings.refresh_token_ttl")

	validateSettings = func(runtime.Settings) error { return errors.New("boom") }
	_, err = Load("authentify.yaml", []byte(src))
	if !errors.As(err, &errs) || len(errs.Diags) != 1 {
		t.Fatalf("got %v", err)
	}
	check(errs.Diags[0], 3, 1, "settings")
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "authentify.yaml")
	if err := os.WriteFile(path, []byte("version: 1\npackage: Auth\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	_, err := LoadFile(path)
	var errs *Errors
	if !errors.As(err, &errs) || !strings.HasPrefix(err.Error(), path+":2:10: package: ") {
		t.Errorf("got %v", err)
	}
	_, err = LoadFile(filepath.Join(dir, "missing.yaml"))
	if !errors.Is(err, os.ErrNotExist) || !strings.HasPrefix(err.Error(), "authentify: ") {
		t.Errorf("got %v", err)
	}
}

func TestExcerpt(t *testing.T) {
	lines := sourceLines([]byte("a: 1\n\tb: \x1b[31mx\nc: 3\n"))
	got := excerpt(lines, 2, 4)
	want := "   1 | a: 1\n>  2 | \tb: \ufffd[31mx\n       \t  ^\n   3 | c: 3"
	if got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	// Line numbers of three digits keep the bars aligned.
	lines = make([]string, 120)
	got = excerpt(lines, 100, 1)
	if !strings.Contains(got, "   97 |") || !strings.Contains(got, "> 100 |") || !strings.Contains(got, "\n        ^\n") {
		t.Errorf("got\n%s", got)
	}
}

func TestBOMAndCRLF(t *testing.T) {
	want := render(t, mustLoad(t, []byte("version: 1\npackage: auth\nfields:\n  a: { type: bool, default: true }\n")))
	got := render(t, mustLoad(t, []byte("\ufeffversion: 1\r\npackage: auth\r\nfields:\r\n  a: { type: bool, default: true }\r\n")))
	if !bytes.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	_, err := Load("authentify.yaml", []byte("\ufeffversion: 1\r\npackage: Auth\r\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "authentify.yaml:2:10: package: ") || strings.Contains(err.Error(), "\r") {
		t.Errorf("got %q", err)
	}
}

func TestTooLarge(t *testing.T) {
	src := append([]byte("version: 1\npackage: auth\n"), bytes.Repeat([]byte("# padding\n"), MaxFileSize/10)...)
	_, err := Load("authentify.yaml", src)
	var errs *Errors
	if !errors.As(err, &errs) || len(errs.Diags) != 1 || !strings.Contains(err.Error(), "limited to 64 KiB") {
		t.Errorf("got %v", err)
	}
}
