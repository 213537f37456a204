package spec

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"

	"github.com/authentify-go/authentify/runtime"
)

// settingTarget returns a pointer to the field of s that key sets:
// *time.Duration, *bool, *string or *[]string; nil for an unknown key.
func settingTarget(s *runtime.Settings, key string) any {
	switch key {
	case "token_ttl":
		return &s.TokenTTL
	case "refresh_token_ttl":
		return &s.RefreshTokenTTL
	case "auto_refresh":
		return &s.AutoRefresh
	case "auto_refresh_interval":
		return &s.AutoRefreshInterval
	case "auto_refresh_max_ttl":
		return &s.AutoRefreshMaxTTL
	case "enforce_single_login":
		return &s.EnforceSingleLogin
	case "enable_auth_restriction":
		return &s.EnableAuthRestriction
	case "hash_algorithm":
		return &s.HashAlgorithm
	case "header_prefixes":
		return &s.HeaderPrefixes
	case "cookie_names":
		return &s.CookieNames
	case "keep_expired_tokens":
		return &s.KeepExpiredTokens
	case "refresh_grace_period":
		return &s.RefreshGracePeriod
	case "max_sessions_per_user":
		return &s.MaxSessionsPerUser
	case "cache_size":
		return &s.CacheSize
	case "cache_max_age":
		return &s.CacheMaxAge
	}
	return nil
}

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
		if f.key == "secret_key" {
			l.mask(f.kv)
			l.errorf(f.keyNode, f.path, "secrets do not belong in authentify.yaml; set AUTHENTIFY_SECRET_KEY or use WithSettings at run time")
			continue // the other settings are still worth validating
		}
		target := settingTarget(&s, f.key)
		if target == nil || !slices.Contains(keys, f.key) {
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
		if !l.setting(f, target) {
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

// setting decodes one value into target.
func (l *loader) setting(f entry, target any) bool {
	switch t := target.(type) {
	case *time.Duration:
		d, ok := l.duration(f.value, f.path)
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
		v, ok := l.count(f.value, f.path)
		if ok {
			*t = v
		}
		return ok
	}
	panic(fmt.Sprintf("spec: setting %s has unsupported type %T", f.key, target))
}

// count decodes a whole number (max_sessions_per_user); its range is
// Validate's business.
func (l *loader) count(n ast.Node, path string) (int, bool) {
	if v, ok := n.(*ast.IntegerNode); ok {
		if i, err := strconv.Atoi(v.Token.Value); err == nil {
			return i, true
		}
		l.errorf(n, path, "%s is not a whole number of a usable size", v.Token.Value)
		return 0, false
	}
	l.errorf(n, path, "expected a whole number such as 0 (unlimited) or 5, not %s", describe(n))
	return 0, false
}

// duration decodes a Go duration ("24h", "90m", "1h30m"), `none`
// (runtime.Never) or the integer 0.
func (l *loader) duration(n ast.Node, path string) (time.Duration, bool) {
	const want = `a duration such as 24h, 90m or 30s, or none for no limit`
	switch v := n.(type) {
	case *ast.IntegerNode:
		if fmt.Sprint(v.Value) == "0" {
			return 0, true
		}
		l.errorf(n, path, "%s has no unit: write %s", v.Token.Value, want)
		return 0, false
	case *ast.StringNode:
		if v.Value == "none" {
			return runtime.Never, true
		}
		d, err := time.ParseDuration(v.Value)
		if err != nil {
			l.errorf(n, path, "invalid duration %q: write %s", v.Value, want)
			return 0, false
		}
		if d < 0 {
			l.errorf(n, path, "negative duration %q: write none for no limit", v.Value)
			return 0, false
		}
		return d, true
	}
	l.errorf(n, path, "expected %s, not %s", want, describe(n))
	return 0, false
}
