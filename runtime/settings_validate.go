package runtime

import (
	"fmt"
	"strings"
	"time"
)

// SettingsError lists every problem found by Settings.Validate.
type SettingsError struct {
	Problems []SettingProblem
}

// SettingProblem is one invalid setting.
type SettingProblem struct {
	Key     string // snake_case key, e.g. "token_ttl"
	Message string // what is wrong and how to fix it
}

// Error lists the problems, one per line.
func (e *SettingsError) Error() string {
	msg := "authentify: invalid settings:"
	for _, p := range e.Problems {
		msg += "\n  " + p.Key + ": " + p.Message
	}
	return msg
}

// Validate reports every invalid setting at once as a *SettingsError, or
// returns nil. Problems are listed in SettingKeys order, secret_key last.
func (s Settings) Validate() error {
	var e SettingsError
	add := func(key, format string, args ...any) {
		e.Problems = append(e.Problems, SettingProblem{Key: key, Message: fmt.Sprintf(format, args...)})
	}
	// set reports whether a TTL is a usable positive duration (not Never,
	// not invalid), for the cross-key rules.
	set := func(d time.Duration) bool { return d > 0 }

	if !validTTL(s.TokenTTL) {
		add("token_ttl", "must be a positive duration or none (got %s)", formatTTL(s.TokenTTL))
	}
	switch {
	case !validTTL(s.RefreshTokenTTL):
		add("refresh_token_ttl", "must be a positive duration or none (got %s)", formatTTL(s.RefreshTokenTTL))
	case set(s.RefreshTokenTTL) && set(s.TokenTTL) && s.RefreshTokenTTL <= s.TokenTTL:
		add("refresh_token_ttl", "must be longer than token_ttl (%s), got %s", s.TokenTTL, s.RefreshTokenTTL)
	}
	if s.AutoRefresh {
		if s.TokenTTL == Never {
			add("auto_refresh", "needs token_ttl: an access token that never expires cannot slide")
		}
		if s.AutoRefreshMaxTTL == Never {
			add("auto_refresh", "needs auto_refresh_max_ttl: a sliding session must have an absolute lifetime")
		}
	}
	if s.AutoRefreshInterval < 0 {
		add("auto_refresh_interval", "must be 0 (slide on every request) or a positive duration; none is not allowed (got %s)", formatTTL(s.AutoRefreshInterval))
	}
	switch {
	case !validTTL(s.AutoRefreshMaxTTL):
		add("auto_refresh_max_ttl", "must be a positive duration or none (got %s)", formatTTL(s.AutoRefreshMaxTTL))
	case set(s.AutoRefreshMaxTTL) && set(s.TokenTTL) && s.AutoRefreshMaxTTL < s.TokenTTL:
		add("auto_refresh_max_ttl", "must be at least token_ttl (%s), got %s", s.TokenTTL, s.AutoRefreshMaxTTL)
	}
	if p := hashAlgorithmProblem(s.HashAlgorithm); p != "" {
		add("hash_algorithm", "%s", p)
	}
	for _, p := range listProblems(s.HeaderPrefixes, "scheme", true) {
		add("header_prefixes", "%s", p)
	}
	for _, p := range listProblems(s.CookieNames, "cookie name", false) {
		add("cookie_names", "%s", p)
	}
	switch {
	case s.RefreshGracePeriod < 0:
		add("refresh_grace_period", "must be 0 or a positive duration (got %s)", formatTTL(s.RefreshGracePeriod))
	case s.RefreshGracePeriod > MaxRefreshGracePeriod:
		add("refresh_grace_period", "must be at most %s: a longer window lets a stolen refresh token pass as a race (got %s)", MaxRefreshGracePeriod, s.RefreshGracePeriod)
	case set(s.RefreshTokenTTL) && s.RefreshGracePeriod >= s.RefreshTokenTTL:
		add("refresh_grace_period", "must be shorter than refresh_token_ttl (%s), got %s", s.RefreshTokenTTL, s.RefreshGracePeriod)
	}
	if s.MaxSessionsPerUser < 0 {
		add("max_sessions_per_user", "must be 0 (unlimited) or a positive number of sessions (got %d)", s.MaxSessionsPerUser)
	}
	if s.CacheSize < 0 {
		add("cache_size", "must be 0 (off) or a positive number of tokens (got %d)", s.CacheSize)
	}
	if s.LookupBatchSize < 0 || s.LookupBatchSize == 1 {
		add("lookup_batch_size", "must be 0 (off) or at least 2 tokens per statement (got %d)", s.LookupBatchSize)
	}
	if s.CacheSize > 0 && s.CacheMaxAge <= 0 {
		add("cache_max_age", "must be a positive duration while cache_size is set (got %s)", formatTTL(s.CacheMaxAge))
	}
	if p := secretKeyProblem(s.SecretKey); p != "" {
		add("secret_key", "%s", p)
	}
	if len(e.Problems) > 0 {
		return &e
	}
	return nil
}

// validTTL reports whether d is a positive duration or Never.
func validTTL(d time.Duration) bool { return d > 0 || d == Never }

// formatTTL prints d, writing Never as none.
func formatTTL(d time.Duration) string {
	if d == Never {
		return "none"
	}
	return d.String()
}

// listProblems checks header_prefixes (what = "scheme", foldCase = true:
// duplicates are found case-insensitively) or cookie_names: the list must
// not be empty, and each item must be a distinct RFC 7230 token.
func listProblems(items []string, what string, foldCase bool) []string {
	if len(items) == 0 {
		return []string{fmt.Sprintf("must list at least one %s", what)}
	}
	var problems []string
	seen := make(map[string]string, len(items))
	for _, it := range items {
		if !isToken(it) {
			problems = append(problems, fmt.Sprintf("%q is not a valid %s: use letters, digits and !#$%%&'*+-.^_`|~ only, without spaces", it, what))
			continue
		}
		k := it
		if foldCase {
			k = strings.ToLower(it)
		}
		if prev, dup := seen[k]; dup {
			if prev == it {
				problems = append(problems, fmt.Sprintf("%q is listed twice", it))
			} else {
				problems = append(problems, fmt.Sprintf("%q duplicates %q (schemes are case-insensitive)", it, prev))
			}
			continue
		}
		seen[k] = it
	}
	return problems
}

// isToken reports whether s is a non-empty RFC 7230 token: one or more
// tchar. Cookie names (RFC 6265) are tokens too.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
