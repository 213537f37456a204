package app

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/runtime"
)

// Defaults of the settings ConfigFromEnv reads.
const (
	// DefaultAddr is where the server listens when ADDR is not set.
	DefaultAddr = "127.0.0.1:8080"
	// DefaultDatabaseURL is the PostgreSQL server used when DATABASE_URL is not set.
	DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	// DefaultRateLimit is the AUTH_RATE_LIMIT default: requests per second per client IP
	// on the login, refresh and register endpoints.
	DefaultRateLimit = 5.0
)

// Config is the run-time configuration of the example app. Build it with
// DefaultConfig or ConfigFromEnv; New validates it.
type Config struct {
	// Addr is the listen address (ADDR).
	Addr string
	// DatabaseURL is the PostgreSQL connection string (DATABASE_URL).
	DatabaseURL string
	// Settings are the token settings: auth.DefaultSettings() overridden by
	// the AUTHENTIFY_<SETTING> variables.
	Settings runtime.Settings
	// CookieInsecure drops the Secure attribute of the token cookies, for
	// plain-HTTP development only (COOKIE_INSECURE).
	CookieInsecure bool
	// RateLimit is the number of requests per second each client IP may make
	// to the login, refresh and register endpoints (AUTH_RATE_LIMIT); 0 turns
	// rate limiting off.
	RateLimit float64
	// RateBurst is how many requests a client IP may make at once before
	// RateLimit applies; ConfigFromEnv sets it to twice RateLimit, rounded up
	// (10 for the default 5 requests per second).
	RateBurst int
}

// DefaultConfig returns the configuration used when no variable is set.
func DefaultConfig() Config {
	return Config{
		Addr:        DefaultAddr,
		DatabaseURL: DefaultDatabaseURL,
		Settings:    auth.DefaultSettings(),
		RateLimit:   DefaultRateLimit,
		RateBurst:   burstFor(DefaultRateLimit),
	}
}

// burstFor is the burst that goes with a rate: two seconds' worth, at least 1.
func burstFor(rate float64) int {
	if rate <= 0 {
		return 0
	}
	return max(1, int(math.Ceil(2*rate)))
}

// ConfigFromEnv reads the configuration from environment variables through
// lookup (os.LookupEnv in main): ADDR, DATABASE_URL, COOKIE_INSECURE,
// AUTH_RATE_LIMIT and every AUTHENTIFY_<SETTING> (runtime.Settings.ApplyEnv
// on auth.DefaultSettings()). A variable set to the empty string counts as
// unset. Every problem is reported at once, each naming its variable; the
// token settings are validated as a whole.
func ConfigFromEnv(lookup func(string) (string, bool)) (Config, error) {
	cfg := DefaultConfig()
	get := func(name string) (string, bool) {
		v, ok := lookup(name)
		if !ok || strings.TrimSpace(v) == "" {
			return "", false
		}
		return strings.TrimSpace(v), true
	}
	var errs []error
	if v, ok := get("ADDR"); ok {
		cfg.Addr = v
	}
	if v, ok := get("DATABASE_URL"); ok {
		cfg.DatabaseURL = v
	}
	if v, ok := get("COOKIE_INSECURE"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("COOKIE_INSECURE: %q is not a boolean; write true or false", v))
		}
		cfg.CookieInsecure = b
	}
	if v, ok := get("AUTH_RATE_LIMIT"); ok {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r < 0 || math.IsNaN(r) || math.IsInf(r, 0) {
			errs = append(errs, fmt.Errorf("AUTH_RATE_LIMIT: %q is not a rate; write requests per second per client IP, e.g. 5 or 0.5, or 0 to turn rate limiting off", v))
		} else {
			cfg.RateLimit, cfg.RateBurst = r, burstFor(r)
		}
	}
	if err := cfg.Settings.ApplyEnv(lookup); err != nil {
		errs = append(errs, err)
	} else if err := cfg.Settings.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("AUTHENTIFY_* variables: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return cfg, nil
}

// ConfigFromEnviron is ConfigFromEnv over environ, NAME=value entries as
// os.Environ returns them (main passes os.Environ()), and it also refuses
// every AUTHENTIFY_* variable that names no setting (runtime.CheckEnviron):
// a typo such as AUTHENTIFY_TOKEN_TLL must stop the app, not fall back to a
// default unnoticed.
func ConfigFromEnviron(environ []string) (Config, error) {
	env := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	cfg, err := ConfigFromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if uerr := runtime.CheckEnviron(environ); uerr != nil {
		if err == nil {
			return Config{}, fmt.Errorf("invalid configuration:\n%w", uerr)
		}
		return Config{}, errors.Join(err, uerr)
	}
	return cfg, err
}

// validate checks what New needs beyond the token settings, which auth.New
// validates.
func (c Config) validate() error {
	if c.RateLimit < 0 || math.IsNaN(c.RateLimit) || math.IsInf(c.RateLimit, 0) {
		return fmt.Errorf("app: rate limit must be 0 (off) or a positive number of requests per second, got %v", c.RateLimit)
	}
	if c.RateLimit > 0 && c.RateBurst < 1 {
		return fmt.Errorf("app: rate burst must be at least 1 when rate limiting is on, got %d", c.RateBurst)
	}
	return nil
}
