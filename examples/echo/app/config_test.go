package app_test

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authentify-go/authentify/examples/echo/app"
	"github.com/authentify-go/authentify/runtime"
)

func TestConfigFromEnv(t *testing.T) {
	t.Parallel()
	const key = "0123456789abcdef0123456789abcdef-secret"
	tests := []struct {
		name    string
		env     map[string]string
		check   func(*testing.T, app.Config)
		wantErr []string // substrings of the error; nil: no error
		notErr  string   // must not appear in the error
	}{
		{name: "defaults", env: nil, check: func(t *testing.T, c app.Config) {
			if c.Addr != app.DefaultAddr || c.DatabaseURL != app.DefaultDatabaseURL || c.CookieInsecure ||
				c.RateLimit != 5 || c.RateBurst != 10 || c.Settings.TokenTTL != 24*time.Hour || c.Settings.AutoRefresh ||
				c.LoginFailureLimit != 10 || c.TrustedProxies != nil {
				t.Errorf("defaults = %+v", c)
			}
		}},
		{name: "empty values are unset", env: map[string]string{"ADDR": "", "AUTH_RATE_LIMIT": " ", "AUTHENTIFY_TOKEN_TTL": ""}, check: func(t *testing.T, c app.Config) {
			if c.Addr != app.DefaultAddr || c.RateLimit != 5 || c.Settings.TokenTTL != 24*time.Hour {
				t.Errorf("config = %+v", c)
			}
		}},
		{name: "addr and database", env: map[string]string{"ADDR": ":9999", "DATABASE_URL": "postgres://x/y"}, check: func(t *testing.T, c app.Config) {
			if c.Addr != ":9999" || c.DatabaseURL != "postgres://x/y" {
				t.Errorf("config = %+v", c)
			}
		}},
		{name: "cookie insecure", env: map[string]string{"COOKIE_INSECURE": "true"}, check: func(t *testing.T, c app.Config) {
			if !c.CookieInsecure {
				t.Error("CookieInsecure false")
			}
		}},
		{name: "cookie insecure invalid", env: map[string]string{"COOKIE_INSECURE": "yes please"}, wantErr: []string{"COOKIE_INSECURE", "not a boolean"}},
		{name: "rate limit off", env: map[string]string{"AUTH_RATE_LIMIT": "0"}, check: func(t *testing.T, c app.Config) {
			if c.RateLimit != 0 {
				t.Errorf("RateLimit = %v", c.RateLimit)
			}
		}},
		{name: "rate limit fractional", env: map[string]string{"AUTH_RATE_LIMIT": "0.5"}, check: func(t *testing.T, c app.Config) {
			if c.RateLimit != 0.5 || c.RateBurst != 1 {
				t.Errorf("RateLimit, RateBurst = %v, %v; want 0.5, 1", c.RateLimit, c.RateBurst)
			}
		}},
		{name: "rate limit 20", env: map[string]string{"AUTH_RATE_LIMIT": "20"}, check: func(t *testing.T, c app.Config) {
			if c.RateLimit != 20 || c.RateBurst != 40 {
				t.Errorf("RateLimit, RateBurst = %v, %v; want 20, 40", c.RateLimit, c.RateBurst)
			}
		}},
		{name: "rate limit negative", env: map[string]string{"AUTH_RATE_LIMIT": "-1"}, wantErr: []string{"AUTH_RATE_LIMIT", `"-1"`}},
		{name: "rate limit word", env: map[string]string{"AUTH_RATE_LIMIT": "fast"}, wantErr: []string{"AUTH_RATE_LIMIT"}},
		{name: "rate limit NaN", env: map[string]string{"AUTH_RATE_LIMIT": "NaN"}, wantErr: []string{"AUTH_RATE_LIMIT"}},
		{name: "rate limit Inf", env: map[string]string{"AUTH_RATE_LIMIT": "+Inf"}, wantErr: []string{"AUTH_RATE_LIMIT"}},
		{name: "trusted proxies", env: map[string]string{"TRUSTED_PROXIES": " 10.0.0.0/8, fd00::/8 ,192.0.2.7,2001:db8::1"}, check: func(t *testing.T, c app.Config) {
			want := []netip.Prefix{
				netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8"),
				netip.MustParsePrefix("192.0.2.7/32"), netip.MustParsePrefix("2001:db8::1/128"),
			}
			if !slices.Equal(c.TrustedProxies, want) {
				t.Errorf("TrustedProxies = %v, want %v", c.TrustedProxies, want)
			}
		}},
		{name: "trusted proxies invalid", env: map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8,10.0.0.300/8,,10.1.2.3/8,::ffff:10.0.0.0/104,fe80::1%eth0,proxy.local"},
			wantErr: []string{"TRUSTED_PROXIES", `item 2 "10.0.0.300/8": not a CIDR`, `item 3 "": empty item`, `item 4 "10.1.2.3/8": host bits set; write 10.0.0.0/8`,
				`item 5 "::ffff:10.0.0.0/104": IPv4-mapped`, `item 6 "fe80::1%eth0"`, `item 7 "proxy.local": not an IP address or CIDR`}, notErr: "item 1"},
		{name: "login failure limit", env: map[string]string{"LOGIN_FAILURE_LIMIT": "3"}, check: func(t *testing.T, c app.Config) {
			if c.LoginFailureLimit != 3 {
				t.Errorf("LoginFailureLimit = %d", c.LoginFailureLimit)
			}
		}},
		{name: "login failure limit off, rate limit off", env: map[string]string{"LOGIN_FAILURE_LIMIT": "0", "AUTH_RATE_LIMIT": "0"}, check: func(t *testing.T, c app.Config) {
			if c.LoginFailureLimit != 0 || c.RateLimit != 0 {
				t.Errorf("LoginFailureLimit, RateLimit = %d, %v", c.LoginFailureLimit, c.RateLimit)
			}
		}},
		{name: "rate limit off keeps the login failure limit", env: map[string]string{"AUTH_RATE_LIMIT": "0"}, check: func(t *testing.T, c app.Config) {
			if c.LoginFailureLimit != app.DefaultLoginFailureLimit {
				t.Errorf("LoginFailureLimit = %d", c.LoginFailureLimit)
			}
		}},
		{name: "login failure limit negative", env: map[string]string{"LOGIN_FAILURE_LIMIT": "-1"}, wantErr: []string{"LOGIN_FAILURE_LIMIT", `"-1"`}},
		{name: "login failure limit word", env: map[string]string{"LOGIN_FAILURE_LIMIT": "ten"}, wantErr: []string{"LOGIN_FAILURE_LIMIT", `"ten"`}},
		{name: "token ttl 1s", env: map[string]string{"AUTHENTIFY_TOKEN_TTL": "1s"}, check: func(t *testing.T, c app.Config) {
			if c.Settings.TokenTTL != time.Second {
				t.Errorf("TokenTTL = %v", c.Settings.TokenTTL)
			}
		}},
		{name: "token ttl 2s and auto refresh", env: map[string]string{"AUTHENTIFY_TOKEN_TTL": "2s", "AUTHENTIFY_AUTO_REFRESH": "true", "AUTHENTIFY_AUTO_REFRESH_INTERVAL": "0s"}, check: func(t *testing.T, c app.Config) {
			if c.Settings.TokenTTL != 2*time.Second || !c.Settings.AutoRefresh || c.Settings.AutoRefreshInterval != 0 {
				t.Errorf("settings = %+v", c.Settings)
			}
		}},
		{name: "refresh ttl none", env: map[string]string{"AUTHENTIFY_REFRESH_TOKEN_TTL": "none"}, check: func(t *testing.T, c app.Config) {
			if c.Settings.RefreshTokenTTL != runtime.Never {
				t.Errorf("RefreshTokenTTL = %v", c.Settings.RefreshTokenTTL)
			}
		}},
		{name: "lists", env: map[string]string{"AUTHENTIFY_HEADER_PREFIXES": "Bearer, Demo", "AUTHENTIFY_COOKIE_NAMES": "token,sid"}, check: func(t *testing.T, c app.Config) {
			if strings.Join(c.Settings.HeaderPrefixes, "|") != "Bearer|Demo" || strings.Join(c.Settings.CookieNames, "|") != "token|sid" {
				t.Errorf("prefixes %q, cookies %q", c.Settings.HeaderPrefixes, c.Settings.CookieNames)
			}
		}},
		{name: "secret key", env: map[string]string{"AUTHENTIFY_SECRET_KEY": key}, check: func(t *testing.T, c app.Config) {
			if string(c.Settings.SecretKey) != key {
				t.Error("secret key not set")
			}
		}},
		{name: "token ttl not a duration", env: map[string]string{"AUTHENTIFY_TOKEN_TTL": "1 day"}, wantErr: []string{"AUTHENTIFY_TOKEN_TTL", "not a duration"}},
		{name: "auto refresh not a bool", env: map[string]string{"AUTHENTIFY_AUTO_REFRESH": "maybe"}, wantErr: []string{"AUTHENTIFY_AUTO_REFRESH", "not a boolean"}},
		{name: "interval none", env: map[string]string{"AUTHENTIFY_AUTO_REFRESH_INTERVAL": "none"}, wantErr: []string{"AUTHENTIFY_AUTO_REFRESH_INTERVAL"}},
		{name: "token ttl longer than refresh", env: map[string]string{"AUTHENTIFY_TOKEN_TTL": "200h"}, wantErr: []string{"refresh_token_ttl", "longer than token_ttl"}},
		{name: "weak hash", env: map[string]string{"AUTHENTIFY_HASH_ALGORITHM": "md5"}, wantErr: []string{"hash_algorithm"}},
		{name: "short secret key is not echoed", env: map[string]string{"AUTHENTIFY_SECRET_KEY": "hunter2-tiny"}, wantErr: []string{"secret_key"}, notErr: "hunter2-tiny"},
		{name: "all problems at once", env: map[string]string{"AUTHENTIFY_TOKEN_TTL": "x", "AUTH_RATE_LIMIT": "y", "COOKIE_INSECURE": "z"},
			wantErr: []string{"AUTHENTIFY_TOKEN_TTL", "AUTH_RATE_LIMIT", "COOKIE_INSECURE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := app.ConfigFromEnv(func(k string) (string, bool) {
				v, ok := tt.env[k]
				return v, ok
			})
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				tt.check(t, cfg)
				return
			}
			if err == nil {
				t.Fatalf("no error, config %+v", cfg)
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
			if tt.notErr != "" && strings.Contains(err.Error(), tt.notErr) {
				t.Errorf("error %q contains %q", err, tt.notErr)
			}
		})
	}
}

// TestUnknownAuthentifyVariableStopsTheApp: an AUTHENTIFY_* variable that
// names no setting is a configuration error (main refuses to start).
func TestUnknownAuthentifyVariableStopsTheApp(t *testing.T) {
	t.Parallel()
	_, err := app.ConfigFromEnviron([]string{"AUTHENTIFY_TOKEN_TLL=1h", "ADDR=127.0.0.1:0"})
	if err == nil || !strings.Contains(err.Error(), "AUTHENTIFY_TOKEN_TLL") || !strings.Contains(err.Error(), "AUTHENTIFY_TOKEN_TTL") {
		t.Errorf("ConfigFromEnviron with a typo = %v; want an error naming it and the setting meant", err)
	}
	_, err = app.ConfigFromEnviron([]string{"AUTHENTIFY_TOKEN_TLL=1h", "AUTH_RATE_LIMIT=x"})
	if err == nil || !strings.Contains(err.Error(), "AUTHENTIFY_TOKEN_TLL") || !strings.Contains(err.Error(), "AUTH_RATE_LIMIT") {
		t.Errorf("both problems must be reported: %v", err)
	}
	cfg, err := app.ConfigFromEnviron([]string{"AUTHENTIFY_TOKEN_TTL=1h", "AUTHENTIFY_MAX_SESSIONS_PER_USER=3", "AUTHENTIFY_TEST_DATABASE_URL=x", "PATH=/bin"})
	if err != nil || cfg.Settings.MaxSessionsPerUser != 3 {
		t.Errorf("valid environment = %+v, %v", cfg.Settings, err)
	}
}
