package runtime

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/authentify-go/authentify/internal/textdist"
)

// EnvPrefix starts the name of every environment variable read by ApplyEnv:
// AUTHENTIFY_TOKEN_TTL sets token_ttl.
const EnvPrefix = "AUTHENTIFY_"

// Set parses value, as written in an environment variable, into the setting
// named key (a Key of SettingsTable). How it is read depends on the
// setting's Kind; on error s is unchanged.
//
//   - KindDuration: a Go duration (time.ParseDuration, e.g. 24h or 90m),
//     or "none" for Never where the setting's NoneOK allows it.
//   - KindBool: a boolean as strconv.ParseBool reads it.
//   - KindInt: a whole number (0 means the setting's Zero).
//   - KindString: the text.
//   - KindList: a comma-separated list; spaces around items are trimmed;
//     an empty value is an empty list.
//   - KindSecret: the raw bytes of value, or, if value starts with
//     "base64:", the bytes it encodes (standard or URL alphabet, padded or
//     not). Error messages never repeat a secret key.
//
// Set checks only syntax; call Validate afterwards.
func (s *Settings) Set(key, value string) error {
	info, ok := LookupSetting(key)
	if !ok {
		return fmt.Errorf("authentify: unknown setting %q; valid keys are %s", key, strings.Join(settableKeys(), ", "))
	}
	v := strings.TrimSpace(value)
	switch p := info.Ptr(s).(type) {
	case *time.Duration:
		return setTTL(p, key, v, info.NoneOK)
	case *bool:
		return setBool(p, key, v)
	case *int:
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("authentify: %s: %q is not a whole number; write 0 for %s or a number of %s", key, v, info.Zero, info.Unit)
		}
		*p = n
	case *string:
		*p = v
	case *[]string:
		*p = splitList(v)
	case *[]byte:
		k, err := parseSecretKey(key, value)
		if err != nil {
			return err
		}
		*p = k
	default:
		panic(fmt.Sprintf("authentify: setting %s has unsupported type %T", key, p))
	}
	return nil
}

// settableKeys returns every key of SettingsTable, the secret key included.
func settableKeys() []string {
	var keys []string
	for _, info := range SettingsTable() {
		keys = append(keys, info.Key)
	}
	return keys
}

// noneKeys lists the settings that accept none, as "a, b and c".
func noneKeys() string {
	var keys []string
	for _, info := range SettingsTable() {
		if info.NoneOK {
			keys = append(keys, info.Key)
		}
	}
	if len(keys) < 2 {
		return strings.Join(keys, "")
	}
	return strings.Join(keys[:len(keys)-1], ", ") + " and " + keys[len(keys)-1]
}

func setTTL(dst *time.Duration, key, v string, noneOK bool) error {
	if strings.EqualFold(v, "none") {
		if !noneOK {
			return fmt.Errorf("authentify: %s: %q is not allowed here; none is only valid for %s", key, v, noneKeys())
		}
		*dst = Never
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		hint := "a Go duration such as 24h, 90m or 1h30m"
		if noneOK {
			hint += ", or none"
		}
		return fmt.Errorf("authentify: %s: %q is not a duration; write %s", key, v, hint)
	}
	*dst = d
	return nil
}

func setBool(dst *bool, key, v string) error {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return fmt.Errorf("authentify: %s: %q is not a boolean; write true or false", key, v)
	}
	*dst = b
	return nil
}

// splitList splits a comma-separated list, trimming spaces around items.
// An empty or blank v is an empty list.
func splitList(v string) []string {
	if v == "" {
		return nil
	}
	items := strings.Split(v, ",")
	for i, it := range items {
		items[i] = strings.TrimSpace(it)
	}
	return items
}

// parseSecretKey returns the bytes of the value of the secret setting key.
// Its errors never contain the value.
func parseSecretKey(key, value string) ([]byte, error) {
	enc, ok := strings.CutPrefix(value, "base64:")
	if !ok {
		if value == "" {
			return nil, nil
		}
		return []byte(value), nil
	}
	enc = strings.TrimSpace(enc)
	var firstErr error
	for _, e := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		k, err := e.DecodeString(enc)
		if err == nil {
			return k, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, fmt.Errorf("authentify: %s: the value after \"base64:\" is not valid base64 (%v)", key, firstErr)
}

// EnvTestPrefix starts variables reserved for test suites (such as
// AUTHENTIFY_TEST_DATABASE_URL); ApplyEnv neither reads nor reports them.
const EnvTestPrefix = EnvPrefix + "TEST_"

// ApplyEnv sets every setting whose variable EnvPrefix+UPPER_KEY (for
// example AUTHENTIFY_TOKEN_TTL, AUTHENTIFY_SECRET_KEY) lookup finds, using
// Set, and returns all errors joined, each naming its variable. A variable
// that is set but empty is ignored, as if unset. The caller validates
// afterwards.
//
// A nil lookup means the process environment, read with ApplyEnviron: then
// an AUTHENTIFY_* variable that names no setting (a typo such as
// AUTHENTIFY_TOKEN_TLL) is an error too, so that a typo never falls back to
// a default unnoticed. A lookup function cannot list its variables; callers
// with their own variables should use ApplyEnviron.
func (s *Settings) ApplyEnv(lookup func(string) (string, bool)) error {
	if lookup == nil {
		return s.ApplyEnviron(os.Environ())
	}
	var errs []error
	for _, info := range SettingsTable() {
		name := info.Env()
		v, ok := lookup(name)
		if !ok || v == "" {
			continue
		}
		if err := s.Set(info.Key, v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// ApplyEnviron is ApplyEnv over environ, a list of NAME=value entries as
// os.Environ returns it (the last entry of a name wins), and it also reports
// every AUTHENTIFY_* variable that names no setting (see CheckEnviron).
func (s *Settings) ApplyEnviron(environ []string) error {
	env := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	err := s.ApplyEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	return errors.Join(err, CheckEnviron(environ))
}

// CheckEnviron returns an error for every variable of environ (NAME=value
// entries) that starts with EnvPrefix but names no setting, suggesting the
// nearest valid name; nil when there is none. Names under EnvTestPrefix are
// reserved for test suites and never reported.
func CheckEnviron(environ []string) error {
	var valid []string
	for _, info := range SettingsTable() {
		valid = append(valid, info.Env())
	}
	var errs []error
	seen := map[string]bool{}
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, EnvPrefix) || strings.HasPrefix(name, EnvTestPrefix) || slices.Contains(valid, name) || seen[name] {
			continue
		}
		seen[name] = true
		msg := fmt.Sprintf("%s: names no setting", name)
		if near := textdist.Nearest(name, valid, 4); near != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", near)
		}
		errs = append(errs, fmt.Errorf("authentify: %s; the variables are %s<SETTING> for the settings %s", msg, EnvPrefix, strings.Join(settableKeys(), ", ")))
	}
	return errors.Join(errs...)
}
