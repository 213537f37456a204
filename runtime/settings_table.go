package runtime

import (
	"reflect"
	"strings"
)

// SettingKind is the type of a setting's value, which decides how it is
// written in authentify.yaml and in AUTHENTIFY_* variables.
type SettingKind int

// The kinds of settings, by the type of their Settings field.
const (
	// KindDuration is a time.Duration: a Go duration (24h, 90m), 0, or
	// none (Never) where the setting's NoneOK allows it.
	KindDuration SettingKind = iota + 1
	// KindBool is a bool: true or false.
	KindBool
	// KindInt is an int: a whole number, never negative.
	KindInt
	// KindString is a string.
	KindString
	// KindList is a []string: a YAML list, or a comma-separated list in
	// the environment.
	KindList
	// KindSecret is a []byte accepted only at run time (environment or
	// WithSettings), never in authentify.yaml, and never printed.
	KindSecret
)

// SettingInfo describes one field of Settings. SettingsTable lists them
// all, and everything that names settings works from it: the spec loader,
// Set and ApplyEnv, the settings print and log, the starter spec of
// `authentify-gen init`, the generated DefaultSettings and the JSON Schema.
type SettingInfo struct {
	Key    string      // snake_case key in authentify.yaml, AUTHENTIFY_<KEY> in the environment
	Field  string      // name of the Settings field
	Kind   SettingKind // type of the field
	NoneOK bool        // KindDuration: none (Never) is allowed
	Zero   string      // KindInt: what 0 means ("unlimited")
	Unit   string      // KindInt: what is counted ("sessions")
	Values []string    // KindString: the accepted values, when they are a closed set
	Doc    string      // one line, lower case, no final period: the starter spec's comment
}

// SettingsTable returns every setting in documentation order (the order of
// the fields of Settings), the secret key last. Each call returns a new
// slice.
func SettingsTable() []SettingInfo {
	return []SettingInfo{
		{Key: "token_ttl", Field: "TokenTTL", Kind: KindDuration, NoneOK: true,
			Doc: "lifetime of an access token, or none (never expires)"},
		{Key: "refresh_token_ttl", Field: "RefreshTokenTTL", Kind: KindDuration, NoneOK: true,
			Doc: "refresh window; must exceed token_ttl; none: no refresh tokens"},
		{Key: "auto_refresh", Field: "AutoRefresh", Kind: KindBool,
			Doc: "slide the access token's expiry while the token is used"},
		{Key: "auto_refresh_interval", Field: "AutoRefreshInterval", Kind: KindDuration,
			Doc: "slide at most this often (0: on every request)"},
		{Key: "auto_refresh_max_ttl", Field: "AutoRefreshMaxTTL", Kind: KindDuration, NoneOK: true,
			Doc: "absolute session lifetime from login, or none"},
		{Key: "enforce_single_login", Field: "EnforceSingleLogin", Kind: KindBool,
			Doc: "a new login revokes the user's other sessions"},
		{Key: "enable_auth_restriction", Field: "EnableAuthRestriction", Kind: KindBool,
			Doc: "refuse header tokens in cookies and cookie tokens in headers"},
		{Key: "hash_algorithm", Field: "HashAlgorithm", Kind: KindString, Values: HashAlgorithms(),
			Doc: "sha256 | sha384 | sha512 | sha512_256 | sha3_256"},
		{Key: "header_prefixes", Field: "HeaderPrefixes", Kind: KindList,
			Doc: "accepted Authorization schemes (case-insensitive)"},
		{Key: "cookie_names", Field: "CookieNames", Kind: KindList,
			Doc: "cookies searched for an access token, in order"},
		{Key: "keep_expired_tokens", Field: "KeepExpiredTokens", Kind: KindBool,
			Doc: "revoke by setting revoked_at (kept for audit) instead of deleting"},
		{Key: "refresh_grace_period", Field: "RefreshGracePeriod", Kind: KindDuration,
			Doc: "a rotated refresh token reused this soon is a race, not theft (at most 60s)"},
		{Key: "max_sessions_per_user", Field: "MaxSessionsPerUser", Kind: KindInt, Zero: "unlimited", Unit: "sessions",
			Doc: "live sessions per user; a new login revokes the oldest (0: unlimited)"},
		{Key: "cache_size", Field: "CacheSize", Kind: KindInt, Zero: "off", Unit: "tokens",
			Doc: "verified tokens cached in memory per instance (0: off); needs the listener"},
		{Key: "cache_max_age", Field: "CacheMaxAge", Kind: KindDuration,
			Doc: "longest time a cached token is served before it is read again"},
		{Key: "lookup_batch_size", Field: "LookupBatchSize", Kind: KindInt, Zero: "off", Unit: "tokens",
			Doc: "under load, token lookups waiting for a connection share one statement of up to this many (0: off)"},
		{Key: "secret_key", Field: "SecretKey", Kind: KindSecret,
			Doc: "optional key of at least 32 bytes: token hashes become HMACs"},
	}
}

// LookupSetting returns the row of SettingsTable for key.
func LookupSetting(key string) (SettingInfo, bool) {
	for _, info := range SettingsTable() {
		if info.Key == key {
			return info, true
		}
	}
	return SettingInfo{}, false
}

// Env returns the name of the environment variable of the setting:
// AUTHENTIFY_TOKEN_TTL for token_ttl.
func (i SettingInfo) Env() string { return EnvPrefix + strings.ToUpper(i.Key) }

// Ptr returns a pointer to the field of s that i describes, by Kind:
// *time.Duration, *bool, *int, *string, *[]string or *[]byte. It panics if
// i is not a row of SettingsTable.
func (i SettingInfo) Ptr(s *Settings) any {
	f := reflect.ValueOf(s).Elem().FieldByName(i.Field)
	if !f.IsValid() {
		panic("authentify: Settings has no field " + i.Field)
	}
	return f.Addr().Interface()
}
