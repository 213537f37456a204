package runtime

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSet(t *testing.T) {
	tests := []struct {
		key, value string
		check      func(Settings) bool
	}{
		{"token_ttl", "2h", func(s Settings) bool { return s.TokenTTL == 2*time.Hour }},
		{"token_ttl", " 1h30m ", func(s Settings) bool { return s.TokenTTL == 90*time.Minute }},
		{"token_ttl", "none", func(s Settings) bool { return s.TokenTTL == Never }},
		{"token_ttl", "NONE", func(s Settings) bool { return s.TokenTTL == Never }},
		{"refresh_token_ttl", "none", func(s Settings) bool { return s.RefreshTokenTTL == Never }},
		{"refresh_token_ttl", "720h", func(s Settings) bool { return s.RefreshTokenTTL == 720*time.Hour }},
		{"auto_refresh_max_ttl", "none", func(s Settings) bool { return s.AutoRefreshMaxTTL == Never }},
		{"auto_refresh_interval", "0", func(s Settings) bool { return s.AutoRefreshInterval == 0 }},
		{"auto_refresh_interval", "5m", func(s Settings) bool { return s.AutoRefreshInterval == 5*time.Minute }},
		{"refresh_grace_period", "30s", func(s Settings) bool { return s.RefreshGracePeriod == 30*time.Second }},
		{"auto_refresh", "true", func(s Settings) bool { return s.AutoRefresh }},
		{"auto_refresh", "1", func(s Settings) bool { return s.AutoRefresh }},
		{"enforce_single_login", "TRUE", func(s Settings) bool { return s.EnforceSingleLogin }},
		{"enable_auth_restriction", "false", func(s Settings) bool { return !s.EnableAuthRestriction }},
		{"keep_expired_tokens", "t", func(s Settings) bool { return s.KeepExpiredTokens }},
		{"hash_algorithm", "sha512", func(s Settings) bool { return s.HashAlgorithm == "sha512" }},
		{"max_sessions_per_user", " 5 ", func(s Settings) bool { return s.MaxSessionsPerUser == 5 }},
		{"max_sessions_per_user", "0", func(s Settings) bool { return s.MaxSessionsPerUser == 0 }},
		{"cache_size", "100000", func(s Settings) bool { return s.CacheSize == 100000 }},
		{"cache_max_age", "30s", func(s Settings) bool { return s.CacheMaxAge == 30*time.Second }},
		{"header_prefixes", "Bearer, Token ,X-Key", func(s Settings) bool {
			return slices.Equal(s.HeaderPrefixes, []string{"Bearer", "Token", "X-Key"})
		}},
		{"header_prefixes", "", func(s Settings) bool { return len(s.HeaderPrefixes) == 0 }},
		{"cookie_names", "token,session", func(s Settings) bool { return slices.Equal(s.CookieNames, []string{"token", "session"}) }},
		{"secret_key", "0123456789abcdef0123456789abcdef ", func(s Settings) bool {
			return string(s.SecretKey) == "0123456789abcdef0123456789abcdef "
		}},
		{"secret_key", "base64:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", func(s Settings) bool {
			return len(s.SecretKey) == 32 && s.SecretKey[0] == 0 && s.SecretKey[31] == 31
		}},
		{"secret_key", "base64:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", func(s Settings) bool { return len(s.SecretKey) == 32 }},
		{"secret_key", "base64:-_-_", func(s Settings) bool { return bytes.Equal(s.SecretKey, []byte{0xfb, 0xff, 0xbf}) }},
		{"secret_key", "", func(s Settings) bool { return s.SecretKey == nil }},
	}
	for _, tt := range tests {
		s := DefaultSettings()
		s.SecretKey = []byte("previous")
		if err := s.Set(tt.key, tt.value); err != nil {
			t.Errorf("Set(%q, %q) = %v", tt.key, tt.value, err)
			continue
		}
		if !tt.check(s) {
			t.Errorf("Set(%q, %q) gave %+v", tt.key, tt.value, s)
		}
	}
}

func TestSetErrors(t *testing.T) {
	tests := []struct {
		key, value string
		wantMsg    []string
	}{
		{"token_ttl", "5 days", []string{"token_ttl", `"5 days"`, "or none"}},
		{"token_ttl", "24", []string{"token_ttl", `"24"`}},
		{"refresh_token_ttl", "", []string{"refresh_token_ttl", `""`}},
		{"auto_refresh_interval", "none", []string{"auto_refresh_interval", "none is only valid"}},
		{"refresh_grace_period", "never", []string{"refresh_grace_period", `"never"`}},
		{"auto_refresh", "yes", []string{"auto_refresh", `"yes"`, "true or false"}},
		{"keep_expired_tokens", "", []string{"keep_expired_tokens"}},
		{"max_sessions_per_user", "five", []string{"max_sessions_per_user", `"five"`, "whole number"}},
		{"cache_size", "1e5", []string{"cache_size", `"1e5"`, "whole number"}},
		{"cache_max_age", "none", []string{"cache_max_age", "none is only valid"}},
		{"tokn_ttl", "1h", []string{`unknown setting "tokn_ttl"`, "token_ttl, refresh_token_ttl", "secret_key"}},
		{"TOKEN_TTL", "1h", []string{"unknown setting"}},
		{"secret_key", "base64:not base64!!", []string{"secret_key", "not valid base64"}},
	}
	for _, tt := range tests {
		s := DefaultSettings()
		before := DefaultSettings()
		err := s.Set(tt.key, tt.value)
		if err == nil {
			t.Errorf("Set(%q, %q) succeeded", tt.key, tt.value)
			continue
		}
		for _, m := range tt.wantMsg {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("Set(%q, %q) = %q, want it to mention %q", tt.key, tt.value, err, m)
			}
		}
		if !reflect.DeepEqual(s, before) {
			t.Errorf("Set(%q, %q) failed but changed the settings", tt.key, tt.value)
		}
	}
	var s Settings
	if err := s.Set("secret_key", "base64:c2VjcmV0IHZhbHVl!"); err == nil || strings.Contains(err.Error(), "c2VjcmV0") {
		t.Errorf("error repeats the secret: %v", err)
	}
}

func TestSetCoversEveryKey(t *testing.T) {
	for _, key := range append(SettingKeys(), "secret_key") {
		s := DefaultSettings()
		err := s.Set(key, "?")
		if err != nil && strings.Contains(err.Error(), "unknown setting") {
			t.Errorf("Set does not know %q", key)
		}
	}
}

func TestApplyEnv(t *testing.T) {
	env := map[string]string{
		"AUTHENTIFY_TOKEN_TTL":         "1h",
		"AUTHENTIFY_REFRESH_TOKEN_TTL": "none",
		"AUTHENTIFY_AUTO_REFRESH":      "true",
		"AUTHENTIFY_COOKIE_NAMES":      "a, b",
		"AUTHENTIFY_SECRET_KEY":        "0123456789abcdef0123456789abcdef",
		"AUTHENTIFY_HASH_ALGORITHM":    "", // set but empty: ignored
		"AUTHENTIFY_UNRELATED":         "x",
		"TOKEN_TTL":                    "5h",
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	s := DefaultSettings()
	if err := s.ApplyEnv(lookup); err != nil {
		t.Fatal(err)
	}
	want := DefaultSettings()
	want.TokenTTL = time.Hour
	want.RefreshTokenTTL = Never
	want.AutoRefresh = true
	want.CookieNames = []string{"a", "b"}
	want.SecretKey = []byte("0123456789abcdef0123456789abcdef")
	if !reflect.DeepEqual(s, want) {
		t.Errorf("ApplyEnv gave\n%+v\nwant\n%+v", s, want)
	}
	if err := s.Validate(); err != nil {
		t.Errorf("Validate after ApplyEnv: %v", err)
	}
}

func TestApplyEnvJoinsErrors(t *testing.T) {
	env := map[string]string{
		"AUTHENTIFY_TOKEN_TTL":             "soon",
		"AUTHENTIFY_AUTO_REFRESH":          "maybe",
		"AUTHENTIFY_REFRESH_GRACE_PERIOD":  "5s",
		"AUTHENTIFY_AUTO_REFRESH_INTERVAL": "none",
	}
	s := DefaultSettings()
	err := s.ApplyEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err == nil {
		t.Fatal("ApplyEnv succeeded")
	}
	for _, m := range []string{"AUTHENTIFY_TOKEN_TTL", `"soon"`, "AUTHENTIFY_AUTO_REFRESH:", `"maybe"`, "AUTHENTIFY_AUTO_REFRESH_INTERVAL"} {
		if !strings.Contains(err.Error(), m) {
			t.Errorf("error %q does not mention %q", err, m)
		}
	}
	if n := len(err.(interface{ Unwrap() []error }).Unwrap()); n != 3 {
		t.Errorf("%d errors joined, want 3", n)
	}
	if s.RefreshGracePeriod != 5*time.Second {
		t.Error("valid variables next to invalid ones were not applied")
	}
	var target *SettingsError
	if errors.As(err, &target) {
		t.Error("ApplyEnv must not validate")
	}
}

func TestApplyEnvOS(t *testing.T) {
	t.Setenv("AUTHENTIFY_TOKEN_TTL", "3h")
	s := DefaultSettings()
	if err := s.ApplyEnv(nil); err != nil || s.TokenTTL != 3*time.Hour {
		t.Errorf("ApplyEnv(nil) = %v, token_ttl %v", err, s.TokenTTL)
	}
}

func TestApplyEnvironReportsUnknownVariables(t *testing.T) {
	environ := []string{
		"AUTHENTIFY_TOKEN_TLL=1h",           // typo of TOKEN_TTL
		"AUTHENTIFY_REFRESH_TOKEN_TTL=200h", // valid, applied
		"AUTHENTIFY_TEST_DATABASE_URL=x",    // reserved for tests
		"AUTHENTIFY_SOMETHING_ELSE=x",       // no near setting
		"AUTHENTIFY_TOKEN_TLL=2h",           // reported once
		"PATH=/bin", "NOT_AUTHENTIFY_X=1",
	}
	s := DefaultSettings()
	err := s.ApplyEnviron(environ)
	if err == nil {
		t.Fatal("an AUTHENTIFY_* variable that names no setting was ignored")
	}
	msg := err.Error()
	for _, want := range []string{"AUTHENTIFY_TOKEN_TLL: names no setting (did you mean AUTHENTIFY_TOKEN_TTL?)", "AUTHENTIFY_SOMETHING_ELSE: names no setting;"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	if strings.Count(msg, "AUTHENTIFY_TOKEN_TLL:") != 1 || strings.Contains(msg, "TEST_DATABASE_URL") || strings.Contains(msg, "PATH") {
		t.Errorf("error reports the wrong variables: %q", msg)
	}
	if s.RefreshTokenTTL != 200*time.Hour || s.TokenTTL != DefaultSettings().TokenTTL {
		t.Errorf("valid variables were not applied: %+v", s)
	}
	if err := CheckEnviron([]string{"AUTHENTIFY_TOKEN_TTL=1h", "AUTHENTIFY_MAX_SESSIONS_PER_USER=3", "AUTHENTIFY_SECRET_KEY="}); err != nil {
		t.Errorf("valid names reported: %v", err)
	}
}

func TestApplyEnvOSReportsUnknownVariables(t *testing.T) {
	t.Setenv("AUTHENTIFY_TOKEN_TLL", "3h")
	s := DefaultSettings()
	if err := s.ApplyEnv(nil); err == nil || !strings.Contains(err.Error(), "AUTHENTIFY_TOKEN_TLL") {
		t.Errorf("ApplyEnv(nil) = %v, want an error naming AUTHENTIFY_TOKEN_TLL", err)
	}
}
