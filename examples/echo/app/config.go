package app

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/authentify-go/authentify/examples/echo/app/clientip"
	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/runtime"
)

// Defaults of the settings ConfigFromEnv reads.
const (
	// DefaultAddr is where the server listens when ADDR is not set.
	DefaultAddr = "127.0.0.1:8080"
	// DefaultDatabaseURL is used when DATABASE_URL is not set: a SQLite file
	// in the working folder, so that the example runs with nothing installed.
	DefaultDatabaseURL = "sqlite:" + DefaultSQLiteFile
	// DefaultSQLiteFile is the SQLite database file of DefaultDatabaseURL.
	DefaultSQLiteFile = "authentify-example.db"
	// DefaultRateLimit is the AUTH_RATE_LIMIT default: requests per second per client IP
	// on the login, refresh and register endpoints.
	DefaultRateLimit = 5.0
	// DefaultLoginFailureLimit is the LOGIN_FAILURE_LIMIT default: failed
	// logins per username within LoginFailureWindow, from any client, before
	// the username is locked.
	DefaultLoginFailureLimit = 10
	// LoginFailureWindow is how long a failed login counts towards
	// LOGIN_FAILURE_LIMIT, and so the longest a username stays locked.
	LoginFailureWindow = 15 * time.Minute
	// MaxTrackedUsernames bounds the memory of the per-username limit: beyond
	// it, the username whose last failed login is oldest is forgotten.
	MaxTrackedUsernames = 100_000
)

// Names of the token cookies. Secure cookies carry the __Host- (access) and
// __Secure- (refresh) prefixes, which browsers accept only from a secure
// origin: a __Host- cookie also has Path=/ and no Domain, so no sibling
// subdomain or plain-HTTP response can plant or overwrite it. The plain names
// are used only under COOKIE_INSECURE.
const (
	// AccessCookie carries the access token (Path=/).
	AccessCookie = "__Host-token"
	// RefreshCookie carries the refresh token, sent only to RefreshPath.
	RefreshCookie = "__Secure-refresh_token"
	// InsecureAccessCookie is AccessCookie under COOKIE_INSECURE.
	InsecureAccessCookie = "token"
	// InsecureRefreshCookie is RefreshCookie under COOKIE_INSECURE.
	InsecureRefreshCookie = "refresh_token"
)

// Config is the run-time configuration of the example app. Build it with
// DefaultConfig or ConfigFromEnv; New validates it.
type Config struct {
	// Addr is the listen address (ADDR).
	Addr string
	// DatabaseURL is the database (DATABASE_URL): sqlite:PATH for a SQLite
	// file, or a postgres:// (postgresql://) connection string; see SQLitePath.
	DatabaseURL string
	// Settings are the token settings: auth.DefaultSettings() overridden by
	// the AUTHENTIFY_<SETTING> variables. New sets cookie_names to the one
	// access cookie the app sets (see CookieNames); any other cookie_names is
	// refused.
	Settings runtime.Settings
	// CookieInsecure drops the Secure attribute and the __Host- / __Secure-
	// prefixes of the token cookies, for plain-HTTP development only
	// (COOKIE_INSECURE).
	CookieInsecure bool
	// RateLimit is the number of requests per second each client (an IPv4
	// address or an IPv6 /64, see TrustedProxies) may make to the login,
	// refresh and register endpoints (AUTH_RATE_LIMIT); 0 turns rate limiting
	// off. It does not turn LoginFailureLimit off.
	RateLimit float64
	// RateBurst is how many requests a client may make at once before
	// RateLimit applies; ConfigFromEnv sets it to twice RateLimit, rounded up
	// (10 for the default 5 requests per second).
	RateBurst int
	// TrustedProxies are the reverse proxies whose X-Forwarded-For header is
	// believed (TRUSTED_PROXIES, comma-separated CIDRs or addresses). The
	// client of a request from one of them is the right-most hop of the
	// header that is not a trusted proxy; the client of any other request is
	// its TCP peer. The client address keys the rate limits and is recorded
	// in the session (ip_address, last_used_ip).
	TrustedProxies []netip.Prefix
	// LoginFailureLimit is the number of failed logins per username within
	// LoginFailureWindow, from any client, after which the username is
	// answered 429 until the window has passed, even with the right password
	// (LOGIN_FAILURE_LIMIT); 0 turns it off. Unknown usernames are counted
	// alike, so the answers do not reveal which usernames exist.
	LoginFailureLimit int
}

// CookieNames returns the names of the access and refresh cookies:
// AccessCookie and RefreshCookie, or the plain InsecureAccessCookie and
// InsecureRefreshCookie under CookieInsecure.
func (c Config) CookieNames() (access, refresh string) {
	if c.CookieInsecure {
		return InsecureAccessCookie, InsecureRefreshCookie
	}
	return AccessCookie, RefreshCookie
}

// DefaultConfig returns the configuration used when no variable is set.
func DefaultConfig() Config {
	return Config{
		Addr:        DefaultAddr,
		DatabaseURL: DefaultDatabaseURL,
		Settings:    auth.DefaultSettings(),
		RateLimit:   DefaultRateLimit,
		RateBurst:   burstFor(DefaultRateLimit),

		LoginFailureLimit: DefaultLoginFailureLimit,
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
// AUTH_RATE_LIMIT, TRUSTED_PROXIES, LOGIN_FAILURE_LIMIT and every
// AUTHENTIFY_<SETTING> (runtime.Settings.ApplyEnv
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
	if v, ok := get("DATABASE_URL"); ok && v != "" {
		cfg.DatabaseURL = v
		if _, _, err := cfg.SQLitePath(); err != nil {
			errs = append(errs, err)
		}
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
	if v, ok := get("TRUSTED_PROXIES"); ok {
		p, err := clientip.ParseTrusted(v)
		if multi, ok := err.(interface{ Unwrap() []error }); ok {
			for _, err := range multi.Unwrap() {
				errs = append(errs, fmt.Errorf("TRUSTED_PROXIES: %w", err))
			}
		} else if err != nil {
			errs = append(errs, fmt.Errorf("TRUSTED_PROXIES: %w", err))
		}
		cfg.TrustedProxies = p
	}
	if v, ok := get("LOGIN_FAILURE_LIMIT"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("LOGIN_FAILURE_LIMIT: %q is not a count; write the failed logins per username within %v, e.g. 10, or 0 to turn the limit off", v, LoginFailureWindow))
		} else {
			cfg.LoginFailureLimit = n
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
	if c.LoginFailureLimit < 0 {
		return fmt.Errorf("app: login failure limit must be 0 (off) or a positive count, got %d", c.LoginFailureLimit)
	}
	for _, p := range c.TrustedProxies {
		if !p.IsValid() || p.Masked() != p || p.Addr().Is4In6() {
			return fmt.Errorf("app: trusted proxy %s is not a canonical CIDR", p)
		}
	}
	return nil
}

// SQLitePath says which engine DatabaseURL names: the file of a sqlite:PATH
// URL (sqlite: alone is DefaultSQLiteFile) with sqlite true, or sqlite false
// for a postgres:// or postgresql:// URL. Anything else is an error.
func (c Config) SQLitePath() (path string, sqlite bool, err error) {
	u := c.DatabaseURL
	switch {
	case strings.HasPrefix(u, "sqlite:"):
		path = strings.TrimPrefix(strings.TrimPrefix(u, "sqlite:"), "//")
		if path == "" {
			path = DefaultSQLiteFile
		}
		return path, true, nil
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		return "", false, nil
	}
	return "", false, fmt.Errorf("DATABASE_URL %q: want sqlite:PATH (a SQLite file) or a postgres:// URL", u)
}
