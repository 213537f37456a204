package runtime

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDefaultSettingsValidate(t *testing.T) {
	if err := DefaultSettings().Validate(); err != nil {
		t.Fatalf("DefaultSettings().Validate() = %v", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name     string
		mod      func(*Settings)
		wantKeys []string // in order; nil means valid
		wantMsg  string   // in the first problem's message
	}{
		{"token_ttl never", func(s *Settings) { s.TokenTTL = Never }, nil, ""},
		{"token_ttl zero", func(s *Settings) { s.TokenTTL = 0 }, []string{"token_ttl"}, "must be a positive duration or none"},
		{"token_ttl negative", func(s *Settings) { s.TokenTTL = -2 * time.Second }, []string{"token_ttl"}, "got -2s"},
		{"refresh_token_ttl none", func(s *Settings) { s.RefreshTokenTTL = Never }, nil, ""},
		{"refresh_token_ttl zero", func(s *Settings) { s.RefreshTokenTTL = 0 }, []string{"refresh_token_ttl"}, "positive duration or none"},
		{"refresh_token_ttl equal to token_ttl", func(s *Settings) { s.RefreshTokenTTL = s.TokenTTL }, []string{"refresh_token_ttl"}, "must be longer than token_ttl (24h0m0s)"},
		{"refresh_token_ttl shorter", func(s *Settings) { s.RefreshTokenTTL = time.Hour }, []string{"refresh_token_ttl"}, "longer than token_ttl"},
		{"auto_refresh_interval zero", func(s *Settings) { s.AutoRefresh = true; s.AutoRefreshInterval = 0 }, nil, ""},
		{"auto_refresh_interval negative", func(s *Settings) { s.AutoRefreshInterval = -time.Minute }, []string{"auto_refresh_interval"}, "must be 0"},
		{"auto_refresh_interval none", func(s *Settings) { s.AutoRefreshInterval = Never }, []string{"auto_refresh_interval"}, "none is not allowed"},
		{"auto_refresh_max_ttl none", func(s *Settings) { s.AutoRefreshMaxTTL = Never }, nil, ""},
		{"auto_refresh_max_ttl zero", func(s *Settings) { s.AutoRefreshMaxTTL = 0 }, []string{"auto_refresh_max_ttl"}, "positive duration or none"},
		{"auto_refresh_max_ttl equal to token_ttl", func(s *Settings) { s.AutoRefreshMaxTTL = s.TokenTTL }, nil, ""},
		{"auto_refresh_max_ttl below token_ttl", func(s *Settings) { s.AutoRefreshMaxTTL = time.Hour }, []string{"auto_refresh_max_ttl"}, "at least token_ttl (24h0m0s)"},
		{"auto_refresh needs token_ttl", func(s *Settings) { s.AutoRefresh = true; s.TokenTTL = Never }, []string{"auto_refresh"}, "needs token_ttl"},
		{"auto_refresh needs max ttl", func(s *Settings) { s.AutoRefresh = true; s.AutoRefreshMaxTTL = Never }, []string{"auto_refresh"}, "needs auto_refresh_max_ttl: a sliding session must have an absolute lifetime"},
		{"auto_refresh without refresh tokens is fine", func(s *Settings) { s.AutoRefresh = true; s.RefreshTokenTTL = Never }, nil, ""},
		{"hash_algorithm weak", func(s *Settings) { s.HashAlgorithm = "md5" }, []string{"hash_algorithm"}, "md5 is too weak; use one of sha256, sha384, sha512, sha512_256, sha3_256"},
		{"hash_algorithm sha1", func(s *Settings) { s.HashAlgorithm = "sha1" }, []string{"hash_algorithm"}, "too weak"},
		{"hash_algorithm shake", func(s *Settings) { s.HashAlgorithm = "shake_256" }, []string{"hash_algorithm"}, "use one of"},
		{"hash_algorithm case", func(s *Settings) { s.HashAlgorithm = "SHA256" }, []string{"hash_algorithm"}, "did you mean sha256?"},
		{"hash_algorithm case sha3", func(s *Settings) { s.HashAlgorithm = "SHA3-256" }, []string{"hash_algorithm"}, "did you mean sha3_256?"},
		{"hash_algorithm unknown", func(s *Settings) { s.HashAlgorithm = "rot13" }, []string{"hash_algorithm"}, `unknown algorithm "rot13"`},
		{"hash_algorithm empty", func(s *Settings) { s.HashAlgorithm = "" }, []string{"hash_algorithm"}, "must be set"},
		{"hash_algorithm sha3_256", func(s *Settings) { s.HashAlgorithm = "sha3_256" }, nil, ""},
		{"header_prefixes empty", func(s *Settings) { s.HeaderPrefixes = nil }, []string{"header_prefixes"}, "at least one"},
		{"header_prefixes with space", func(s *Settings) { s.HeaderPrefixes = []string{"My Scheme"} }, []string{"header_prefixes"}, `"My Scheme" is not a valid scheme`},
		{"header_prefixes empty item", func(s *Settings) { s.HeaderPrefixes = []string{"Bearer", ""} }, []string{"header_prefixes"}, `"" is not a valid`},
		{"header_prefixes tchar", func(s *Settings) { s.HeaderPrefixes = []string{"X-Api-Key", "a!#$%&'*+.^_`|~9"} }, nil, ""},
		{"header_prefixes non-ASCII", func(s *Settings) { s.HeaderPrefixes = []string{"Bearé"} }, []string{"header_prefixes"}, "not a valid"},
		{"header_prefixes duplicate case-insensitive", func(s *Settings) { s.HeaderPrefixes = []string{"Bearer", "bearer"} }, []string{"header_prefixes"}, `"bearer" duplicates "Bearer"`},
		{"header_prefixes duplicate", func(s *Settings) { s.HeaderPrefixes = []string{"Token", "Token"} }, []string{"header_prefixes"}, "listed twice"},
		{"cookie_names empty", func(s *Settings) { s.CookieNames = []string{} }, []string{"cookie_names"}, "at least one cookie name"},
		{"cookie_names invalid", func(s *Settings) { s.CookieNames = []string{"tok;en", "a=b"} }, []string{"cookie_names", "cookie_names"}, `"tok;en" is not a valid cookie name`},
		{"cookie_names duplicate", func(s *Settings) { s.CookieNames = []string{"token", "token"} }, []string{"cookie_names"}, "listed twice"},
		{"cookie_names case-sensitive", func(s *Settings) { s.CookieNames = []string{"token", "Token"} }, nil, ""},
		{"refresh_grace_period zero", func(s *Settings) { s.RefreshGracePeriod = 0 }, nil, ""},
		{"refresh_grace_period negative", func(s *Settings) { s.RefreshGracePeriod = -time.Second }, []string{"refresh_grace_period"}, "must be 0 or a positive duration"},
		{"refresh_grace_period as long as refresh ttl", func(s *Settings) {
			s.TokenTTL, s.RefreshTokenTTL, s.RefreshGracePeriod = 10*time.Second, 30*time.Second, 30*time.Second
		}, []string{"refresh_grace_period"}, "shorter than refresh_token_ttl (30s)"},
		{"refresh_grace_period at the cap", func(s *Settings) { s.RefreshGracePeriod = MaxRefreshGracePeriod }, nil, ""},
		{"refresh_grace_period over the cap", func(s *Settings) { s.RefreshGracePeriod = MaxRefreshGracePeriod + time.Millisecond }, []string{"refresh_grace_period"}, "must be at most 1m0s"},
		{"refresh_grace_period over the cap without refresh tokens", func(s *Settings) { s.RefreshTokenTTL = Never; s.RefreshGracePeriod = 1000 * time.Hour }, []string{"refresh_grace_period"}, "at most 1m0s"},
		{"max_sessions_per_user unlimited", func(s *Settings) { s.MaxSessionsPerUser = 0 }, nil, ""},
		{"max_sessions_per_user one", func(s *Settings) { s.MaxSessionsPerUser = 1 }, nil, ""},
		{"max_sessions_per_user negative", func(s *Settings) { s.MaxSessionsPerUser = -1 }, []string{"max_sessions_per_user"}, "must be 0 (unlimited) or a positive number"},
		{"cache off by default", func(s *Settings) {}, nil, ""},
		{"cache on", func(s *Settings) { s.CacheSize = 1000 }, nil, ""},
		{"cache_size negative", func(s *Settings) { s.CacheSize = -1 }, []string{"cache_size"}, "must be 0 (off) or a positive number"},
		{"cache_max_age zero with the cache on", func(s *Settings) { s.CacheSize, s.CacheMaxAge = 10, 0 }, []string{"cache_max_age"}, "must be a positive duration while cache_size is set"},
		{"cache_max_age zero with the cache off", func(s *Settings) { s.CacheMaxAge = 0 }, nil, ""},
		{"secret_key 32 bytes", func(s *Settings) { s.SecretKey = make([]byte, 32) }, nil, ""},
		{"secret_key short", func(s *Settings) { s.SecretKey = []byte("too-short-secret") }, []string{"secret_key"}, "at least 32 bytes long (got 16 bytes)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := DefaultSettings()
			tt.mod(&s)
			err := s.Validate()
			if tt.wantKeys == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var se *SettingsError
			if !errors.As(err, &se) {
				t.Fatalf("Validate() = %v, want *SettingsError", err)
			}
			var keys []string
			for _, p := range se.Problems {
				keys = append(keys, p.Key)
			}
			if !slices.Equal(keys, tt.wantKeys) {
				t.Fatalf("problem keys = %q, want %q (%v)", keys, tt.wantKeys, err)
			}
			if !strings.Contains(se.Problems[0].Message, tt.wantMsg) {
				t.Errorf("message %q does not contain %q", se.Problems[0].Message, tt.wantMsg)
			}
			if !strings.Contains(err.Error(), tt.wantKeys[0]+": "+se.Problems[0].Message) {
				t.Errorf("Error() = %q lacks the problem", err)
			}
			if s.SecretKey != nil && strings.Contains(err.Error(), string(s.SecretKey)) {
				t.Errorf("Error() reveals the secret key: %q", err)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	s := Settings{
		TokenTTL:            0,
		RefreshTokenTTL:     -5 * time.Second,
		AutoRefresh:         true,
		AutoRefreshInterval: Never,
		AutoRefreshMaxTTL:   Never,
		HashAlgorithm:       "md5",
		HeaderPrefixes:      []string{"Bearer", "BEARER", "bad scheme"},
		CookieNames:         nil,
		RefreshGracePeriod:  -time.Second,
		SecretKey:           []byte("x"),
	}
	err := s.Validate()
	var se *SettingsError
	if !errors.As(err, &se) {
		t.Fatalf("Validate() = %v", err)
	}
	var keys []string
	for _, p := range se.Problems {
		keys = append(keys, p.Key)
	}
	want := []string{
		"token_ttl", "refresh_token_ttl", "auto_refresh", "auto_refresh_interval",
		"hash_algorithm", "header_prefixes", "header_prefixes", "cookie_names",
		"refresh_grace_period", "secret_key",
	}
	if !slices.Equal(keys, want) {
		t.Errorf("keys = %q\nwant   %q\n%v", keys, want, err)
	}
}
