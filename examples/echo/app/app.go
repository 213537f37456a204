// Package app is the example application of authentify: registration,
// login (header tokens or HttpOnly cookies), refresh, logout, session
// management and a few protected routes, over the token package generated
// from ../auth/authentify.yaml and a users table in PostgreSQL.
//
// The HTTP contract (JSON in and out, errors as {"error": "..."}):
//
//	POST   /auth/register       {username, password, beta?}           201 {id, username}; 400; 409
//	POST   /auth/login          {username, password, device, app_version?}
//	                                                                  200 {access_token, refresh_token, expires_at, refresh_until, session_id}; 400; 401; 429
//	POST   /auth/login/cookie   same body                             204 + cookies __Host-token and __Secure-refresh_token; 400; 401; 429
//	POST   /auth/refresh        {refresh_token} or the refresh cookie
//	                                                                  200 (header session) or 204 + cookies (cookie session); 400; 401; 429; 503
//	POST   /auth/logout         authenticated                         204
//	POST   /auth/logout-all     authenticated                         204
//	GET    /auth/sessions       authenticated                         200 [{id, device, created_at, expires_at, current}]
//	DELETE /auth/sessions/{id}  authenticated                         204; 400; 404
//	GET    /me                  authenticated                         200 {user_id, username, device, session_id, created_at, expires_at}
//	GET    /premium             authenticated, beta users only        200; 403
//	GET    /healthz                                                   200; 503
//	GET    /                    the page (page.go): HTML, /page.js, /page.css
//
// Every authenticated route answers 401 without or with a bad token, 400 for
// a malformed Authorization header, 403 for a cross-origin cookie request
// with an unsafe method and 503 (with Retry-After) when the database is down.
// Bodies are at most 64KB (413), must be one JSON object without unknown
// fields (400) and, when a Content-Type is sent, application/json (415).
//
// Rate limits (per client, 429 with Retry-After): /auth/login and
// /auth/login/cookie share a bucket, /auth/refresh and /auth/register have
// their own. A client is an IPv4 address or an IPv6 /64, taken from
// X-Forwarded-For only when the request comes from a trusted proxy. Besides,
// a username with too many failed logins from any client is locked for a
// while (429 with Retry-After, even for the right password). Configuration
// comes from the environment (ConfigFromEnv): ADDR, DATABASE_URL,
// COOKIE_INSECURE, AUTH_RATE_LIMIT, TRUSTED_PROXIES, LOGIN_FAILURE_LIMIT and
// AUTHENTIFY_<SETTING> for every token setting.
package app

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"time"

	"github.com/authentify-go/authentify/examples/echo/app/clientip"
	"github.com/authentify-go/authentify/examples/echo/app/lockout"
	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/runtime"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"
)

// MaxBodySize is the largest request body accepted, in bytes (413 beyond).
const MaxBodySize = 64 << 10

// RefreshPath is the refresh endpoint, the only path the refresh cookie is
// sent to. The cookie names are in config.go (Config.CookieNames).
const RefreshPath = "/auth/refresh"

// App is the example application: the token service, the users store, the
// handlers of the HTTP contract of the package documentation (Routes),
// written once over net/http, and the Echo v4 router serving them (Echo).
// Other routers mount Routes themselves: examples/nethttp on ServeMux,
// examples/echo5 on Echo v5.
type App struct {
	cfg     Config
	pool    database
	svc     *auth.Service
	users   *Users
	e       *echo.Echo
	log     *slog.Logger
	cost    int
	dummy   []byte // bcrypt hash compared against when the user does not exist
	cookies auth.CookieOptions
	csrf    *http.CrossOriginProtection
	// logins counts failed logins per username; nil when
	// cfg.LoginFailureLimit is 0.
	logins *lockout.Limiter
	// page is the page served at "/" (page.go).
	page []pageFile
	// ipExtractor returns the client address of a request (clientip).
	ipExtractor func(*http.Request) string
}

type options struct {
	cost     int
	log      *slog.Logger
	now      func() time.Time
	authOpts []auth.Option
}

// Option configures New.
type Option func(*options)

// WithBcryptCost sets the bcrypt cost of password hashes (default
// bcrypt.DefaultCost, 10). Tests lower it to bcrypt.MinCost.
func WithBcryptCost(cost int) Option {
	return func(o *options) { o.cost = cost }
}

// WithLogger sets the logger (default slog.Default()). Tokens are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.log = l }
}

// WithClock sets the clock of the app's own limits, the per-username
// login failure window (default time.Now). Tests pass the clock they give
// the token service with auth.WithClock.
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}

// WithAuthOptions adds options of the token service, applied after the app's
// own (settings from Config, the PostAuth hook recording last_used_ip and the
// reuse-detection hook), e.g. auth.WithClock in tests. Passing
// auth.WithPostAuth replaces the app's hook.
func WithAuthOptions(opts ...auth.Option) Option {
	return func(o *options) { o.authOpts = append(o.authOpts, opts...) }
}

// New builds the app over a PostgreSQL pool: it validates cfg, creates the
// tables if they are missing (users, then the token schema) and builds the
// router.
func New(ctx context.Context, pool *pgxpool.Pool, cfg Config, opts ...Option) (*App, error) {
	if pool == nil {
		return nil, errors.New("app: nil database pool")
	}
	return build(ctx, pgDatabase{pool}, cfg, opts)
}

// NewSQLite is New over a SQLite database (see litedb.Open).
func NewSQLite(ctx context.Context, db *sql.DB, cfg Config, opts ...Option) (*App, error) {
	if db == nil {
		return nil, errors.New("app: nil SQLite database")
	}
	return build(ctx, liteDatabase{db}, cfg, opts)
}

// build is New over either engine.
func build(ctx context.Context, pool database, cfg Config, opts []Option) (*App, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	o := options{cost: bcrypt.DefaultCost, log: slog.Default(), now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if o.cost < bcrypt.MinCost || o.cost > bcrypt.MaxCost {
		return nil, fmt.Errorf("app: bcrypt cost must be between %d and %d, got %d", bcrypt.MinCost, bcrypt.MaxCost, o.cost)
	}
	if o.log == nil {
		o.log = slog.Default()
	}
	if o.now == nil {
		o.now = time.Now
	}
	// The middleware reads exactly the access cookie the app sets: next to
	// __Host-token it must not read a plain "token" cookie, which a sibling
	// subdomain or a plain-HTTP response could have planted.
	accessCookie, refreshCookie := cfg.CookieNames()
	settings := cfg.Settings
	if names := settings.CookieNames; !slices.Equal(names, auth.DefaultSettings().CookieNames) && !slices.Equal(names, []string{accessCookie}) {
		return nil, fmt.Errorf("app: cookie_names (AUTHENTIFY_COOKIE_NAMES) %q: the app reads only the access cookie it sets, %q; leave cookie_names unset", names, accessCookie)
	}
	settings.CookieNames = []string{accessCookie}
	a := &App{
		cfg:         cfg,
		pool:        pool,
		users:       pool.users(),
		log:         o.log,
		cost:        o.cost,
		ipExtractor: clientip.Extractor(cfg.TrustedProxies),
		cookies: auth.CookieOptions{
			AccessName:  accessCookie,
			RefreshName: refreshCookie,
			RefreshPath: RefreshPath,
			Insecure:    cfg.CookieInsecure,
		},
	}
	authOpts := append([]auth.Option{
		auth.WithSettings(settings),
		auth.WithLogger(o.log),
		auth.WithPostAuth(a.recordIP),
		auth.WithOnReuseDetected(a.onReuse),
	}, o.authOpts...)
	svc, err := pool.service(authOpts...)
	if err != nil {
		return nil, err
	}
	a.svc = svc
	if cfg.LoginFailureLimit > 0 {
		a.logins, err = lockout.New(lockout.Config{
			Limit: cfg.LoginFailureLimit, Window: LoginFailureWindow, MaxKeys: MaxTrackedUsernames, Now: o.now,
		})
		if err != nil {
			return nil, fmt.Errorf("app: %w", err)
		}
	}
	// The dummy hash makes a login for an unknown user cost one bcrypt
	// comparison at the same cost as a real one.
	a.dummy, err = bcrypt.GenerateFromPassword(prehash(rand.Text()), a.cost)
	if err != nil {
		return nil, fmt.Errorf("app: dummy password hash: %w", err)
	}
	if a.csrf, err = runtime.NewCSRF(nil); err != nil {
		return nil, err
	}
	if err := pool.migrate(ctx, svc.Settings()); err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	if a.page, err = loadPage(); err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	if a.e, err = a.echoRouter(); err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	return a, nil
}

// Handler returns the app's HTTP handler: the Echo v4 router.
func (a *App) Handler() http.Handler { return a.e }

// Echo returns the app's Echo v4 router, e.g. to Start and Shutdown it.
func (a *App) Echo() *echo.Echo { return a.e }

// Service returns the token service.
func (a *App) Service() *auth.Service { return a.svc }

// Users returns the users store.
func (a *App) Users() *Users { return a.users }

// clientIP is the client address of r, unmapped: its TCP peer, or the
// client behind a trusted proxy (Config.TrustedProxies). It keys the rate
// limits and is recorded in the session (ip_address, last_used_ip).
func (a *App) clientIP(r *http.Request) (netip.Addr, bool) {
	return clientip.Parse(a.ipExtractor(r))
}

// recordIP is the PostAuth hook: it stores the request's IP in last_used_ip
// when it differs from the stored one, and logs the change ("monitor
// suspicious activity"). A session revoked meanwhile is refused; any other
// failure is logged and the request goes on (monitoring must not log users
// out).
func (a *App) recordIP(r *http.Request, tok auth.Token) (auth.Token, error) {
	ip, ok := a.clientIP(r)
	if !ok || (tok.LastUsedIP != nil && *tok.LastUsedIP == ip) {
		return tok, nil
	}
	updated, err := a.svc.UpdateColumns(r.Context(), tok.ID, auth.Columns{LastUsedIP: &ip})
	switch {
	case errors.Is(err, runtime.ErrNotFound):
		return tok, &runtime.AuthError{Reason: runtime.ReasonRevoked}
	case err != nil:
		a.log.Warn("could not record the IP address of a session", "user_id", tok.UserID, "session_id", tok.ID, "err", err)
		return tok, nil
	}
	if tok.LastUsedIP == nil {
		a.log.Info("session IP address recorded", "user_id", tok.UserID, "session_id", tok.ID, "ip", ip.String())
	} else {
		a.log.Warn("session used from a new IP address",
			"user_id", tok.UserID, "session_id", tok.ID, "device", tok.Context.Device,
			"previous_ip", tok.LastUsedIP.String(), "ip", ip.String())
	}
	return updated, nil
}

// onReuse logs a replayed refresh token (likely theft); the session is
// already revoked.
func (a *App) onReuse(_ context.Context, tok auth.Token) {
	a.log.Warn("refresh token reuse detected; session revoked",
		"user_id", tok.UserID, "session_id", tok.ID, "device", tok.Context.Device)
}

// Cookies returns the shape of the token cookies: their names under
// COOKIE_INSECURE or not, the refresh path. A router gives them to its
// authentication middleware, which re-sends the access cookie after an
// auto-refresh.
func (a *App) Cookies() auth.CookieOptions { return a.cookies }
