package spec

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"

	"github.com/authentify-go/authentify/runtime"
)

// validateSettings is Settings.Validate; a variable so that a test can check
// how problems are positioned whatever the runtime's rules are.
var validateSettings = func(s runtime.Settings) error { return s.Validate() }

// settings decodes the settings section over runtime.DefaultSettings() and
// validates the result. e is nil when the spec has no settings; at is where
// to report problems of keys that were not written.
func (l *loader) settings(e *entry, at ast.Node) runtime.Settings {
	s := runtime.DefaultSettings()
	var entries []entry
	if e != nil {
		var ok bool
		entries, ok = l.mapping(e.value, e.path, true, "{ token_ttl: 24h }")
		if !ok {
			return s
		}
	}
	keys := runtime.SettingKeys()
	clean := true
	written := map[string]entry{}
	for _, f := range entries {
		written[f.key] = f
		info, known := runtime.LookupSetting(f.key)
		if known && info.Kind == runtime.KindSecret {
			l.mask(f.kv)
			l.errorf(f.keyNode, f.path, "secrets do not belong in authentify.yaml; %s", runTimeOnly(info))
			continue // the other settings are still worth validating
		}
		if !known {
			msg := fmt.Sprintf("unknown setting %q", f.key)
			if sg := suggest(f.key, keys); sg != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", sg)
			}
			l.errorf(f.keyNode, f.path, "%s; expected one of: %s", msg, strings.Join(keys, ", "))
			clean = false
			continue
		}
		if f.value == nil {
			clean = false
			continue
		}
		if !l.setting(f, info, info.Ptr(&s)) {
			clean = false
		}
	}
	if !clean {
		return s // validating half-decoded settings would report noise
	}
	err := validateSettings(s)
	if err == nil {
		return s
	}
	var se *runtime.SettingsError
	if !errors.As(err, &se) {
		l.errorf(at, "settings", "%v", err)
		return s
	}
	for _, p := range se.Problems {
		n := at
		if f, ok := written[p.Key]; ok {
			n = f.keyNode
		}
		l.errorf(n, join("settings", p.Key), "%s", p.Message)
	}
	return s
}

// noneKeys lists the settings that accept none, as "a, b and c".
func noneKeys() string {
	var keys []string
	for _, info := range runtime.SettingsTable() {
		if info.NoneOK {
			keys = append(keys, info.Key)
		}
	}
	if len(keys) < 2 {
		return strings.Join(keys, "")
	}
	return strings.Join(keys[:len(keys)-1], ", ") + " and " + keys[len(keys)-1]
}

// runTimeOnly says where a setting of KindSecret is set instead.
func runTimeOnly(info runtime.SettingInfo) string {
	return "set " + info.Env() + " or use WithSettings at run time"
}

// setting decodes the value of the setting info into target, its field.
func (l *loader) setting(f entry, info runtime.SettingInfo, target any) bool {
	switch t := target.(type) {
	case *time.Duration:
		d, ok := l.duration(f.value, f.path, info.NoneOK)
		if ok {
			*t = d
		}
		return ok
	case *bool:
		v, ok := l.boolean(f.value, f.path)
		if ok {
			*t = v
		}
		return ok
	case *string:
		v, ok := l.str(f.value, f.path)
		if ok {
			*t = v
		}
		return ok
	case *[]string:
		v, ok := l.stringList(f.value, f.path)
		if ok {
			*t = v
		}
		return ok
	case *int:
		v, ok := l.count(f.value, f.path, info.Zero)
		if ok {
			*t = v
		}
		return ok
	}
	panic(fmt.Sprintf("spec: setting %s has unsupported type %T", f.key, target))
}

// count decodes a whole number (max_sessions_per_user), where 0 means
// zero ("unlimited"); its range is Validate's business.
func (l *loader) count(n ast.Node, path, zero string) (int, bool) {
	if v, ok := n.(*ast.IntegerNode); ok {
		if i, err := strconv.Atoi(v.Token.Value); err == nil {
			return i, true
		}
		l.errorf(n, path, "%s is not a whole number of a usable size", v.Token.Value)
		return 0, false
	}
	l.errorf(n, path, "expected a whole number such as 0 (%s) or 5, not %s", zero, describe(n))
	return 0, false
}

// duration decodes a Go duration ("24h", "90m", "1h30m"), the integer 0,
// or `none` (runtime.Never) when noneOK.
func (l *loader) duration(n ast.Node, path string, noneOK bool) (time.Duration, bool) {
	want := `a duration such as 24h, 90m or 30s`
	negative := "write 0 or a positive duration"
	if noneOK {
		want += `, or none for no limit`
		negative = "write none for no limit"
	}
	switch v := n.(type) {
	case *ast.IntegerNode:
		if fmt.Sprint(v.Value) == "0" {
			return 0, true
		}
		l.errorf(n, path, "%s has no unit: write %s", v.Token.Value, want)
		return 0, false
	case *ast.StringNode:
		if v.Value == "none" {
			if noneOK {
				return runtime.Never, true
			}
			l.errorf(n, path, "none is only valid for %s: write %s", noneKeys(), want)
			return 0, false
		}
		d, err := time.ParseDuration(v.Value)
		if err != nil {
			l.errorf(n, path, "invalid duration %q: write %s", v.Value, want)
			return 0, false
		}
		if d < 0 {
			l.errorf(n, path, "negative duration %q: %s", v.Value, negative)
			return 0, false
		}
		return d, true
	}
	l.errorf(n, path, "expected %s, not %s", want, describe(n))
	return 0, false
}
