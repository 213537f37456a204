package runtime

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
)

// Authenticator is what request authentication needs from an Engine: the
// credentials of a request and the verification of the first valid one.
// Every *Engine[T, U, P] satisfies it.
type Authenticator[T any] interface {
	Extract(r *http.Request) ([]Credential, error)
	AuthenticateAny(ctx context.Context, creds []Credential, h AuthHooks[T]) (T, Credential, error)
}

// RequestHooks are the hooks of a request authentication, given the
// request: PostAutoRefresh runs after an auto-refresh slid the token's
// expiry, then PostAuth after every success. Either may replace the token
// or refuse it with an error (a 401). Nil hooks do not run.
type RequestHooks[T any] struct {
	PostAuth        func(r *http.Request, tok T) (T, error)
	PostAutoRefresh func(r *http.Request, tok T) (T, error)
}

// AuthenticateRequest extracts every credential of r (Authorization header,
// then each configured cookie), drops its cookie credentials when csrf is
// set and r is a cross-origin unsafe request (see DropCrossOriginCookies),
// authenticates the first valid one, slides its expiry when an
// auto-refresh is due and runs the hooks. It returns the token, the
// credential used and whether an auto-refresh slid the token's expiry
// during this call (a cookie must then be re-sent; see HTTPAuth).
func AuthenticateRequest[T Recorded](a Authenticator[T], r *http.Request, csrf *http.CrossOriginProtection, hooks RequestHooks[T]) (tok T, cred Credential, slid bool, err error) {
	if e, ok := a.(requestAuthenticator[T]); ok {
		return e.authenticateRequest(r, csrf, hooks)
	}
	creds, err := a.Extract(r)
	if err == nil {
		creds, err = DropCrossOriginCookies(r, creds, csrf)
	}
	if err != nil {
		return tok, Credential{}, false, err
	}
	// The slide is seen through the PostAutoRefresh hook.
	h := hooks.onRequest(r)
	slidID := int64(-1)
	post := h.PostAutoRefresh
	h.PostAutoRefresh = func(ctx context.Context, t T) (T, error) {
		slidID = t.record().ID
		if post != nil {
			return post(ctx, t)
		}
		return t, nil
	}
	tok, cred, err = a.AuthenticateAny(r.Context(), creds, h)
	return tok, cred, err == nil && slidID == tok.record().ID, err
}

// requestAuthenticator is what AuthenticateRequest calls on an Engine (see
// Engine.authenticateRequest).
type requestAuthenticator[T any] interface {
	authenticateRequest(r *http.Request, csrf *http.CrossOriginProtection, hooks RequestHooks[T]) (T, Credential, bool, error)
}

// onRequest returns the engine hooks running the hooks of h for r (nil
// hooks stay nil).
func (h RequestHooks[T]) onRequest(r *http.Request) AuthHooks[T] {
	var a AuthHooks[T]
	if h.PostAutoRefresh != nil {
		a.PostAutoRefresh = func(_ context.Context, t T) (T, error) { return h.PostAutoRefresh(r, t) }
	}
	if h.PostAuth != nil {
		a.PostAuth = func(_ context.Context, t T) (T, error) { return h.PostAuth(r, t) }
	}
	return a
}

// HTTPConfig configures an HTTPAuth: the framework-free part of every
// generated middleware's configuration.
type HTTPConfig[T any] struct {
	// Optional lets requests without any credential through without a
	// token; a presented but invalid credential is still refused.
	Optional bool
	// Realm is the realm of the WWW-Authenticate challenge (default "api").
	Realm string
	// TrustedOrigins may send cookie-authenticated unsafe requests
	// cross-origin (see NewCSRF).
	TrustedOrigins []string
	// DisableCSRF turns off the cross-origin check of cookie-authenticated
	// unsafe requests; building the HTTPAuth then logs CSRFOffWarning.
	DisableCSRF bool
	// Cookies shape the access cookie re-sent after an auto-refresh slid a
	// cookie token's expiry. Their defaults must already be applied (see
	// CookieOptions.WithDefaults).
	Cookies CookieOptions
	// Hooks run on every authentication.
	Hooks RequestHooks[T]
	// Logger receives the CSRF-off warning and the cause of every 500
	// (nil: slog.Default()).
	Logger *slog.Logger
	// Prefix names the generated package in log records.
	Prefix string
}

// HTTPAuth authenticates requests over net/http types, for every HTTP
// stack: a generated adapter calls Authenticate, moves the token into its
// framework's context and answers an error in its framework's style (a
// Challenge). It is safe for concurrent use.
type HTTPAuth[T Recorded] struct {
	auth     Authenticator[T]
	csrf     *http.CrossOriginProtection
	optional bool
	realm    string
	cookies  CookieOptions
	hooks    RequestHooks[T]
	logger   *slog.Logger
}

// NewHTTPAuth returns the request authentication of a over cfg. An invalid
// trusted origin is an error.
func NewHTTPAuth[T Recorded](a Authenticator[T], cfg HTTPConfig[T]) (*HTTPAuth[T], error) {
	csrf, err := NewCSRF(cfg.TrustedOrigins)
	if err != nil {
		return nil, err
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	if cfg.DisableCSRF {
		csrf = nil
		logger.Warn("authentify: "+CSRFOffWarning, "package", cfg.Prefix)
	}
	return &HTTPAuth[T]{auth: a, csrf: csrf, optional: cfg.Optional, realm: cfg.Realm,
		cookies: cfg.Cookies, hooks: cfg.Hooks, logger: logger}, nil
}

// Authenticate authenticates r. On success it returns the token and ok;
// when the access cookie's expiry slid (auto-refresh) it re-sends that
// cookie on w with the new expiry, so the browser keeps it as long as the
// server does. Without any credential and with Optional it returns ok false
// and no error: the request goes on without a token. Any other failure is
// an error for Challenge.
func (h *HTTPAuth[T]) Authenticate(w http.ResponseWriter, r *http.Request) (tok T, ok bool, err error) {
	tok, cred, slid, err := AuthenticateRequest(h.auth, r, h.csrf, h.hooks)
	if err != nil {
		if h.optional && ReasonOf(err) == ReasonMissing {
			return tok, false, nil
		}
		return tok, false, err
	}
	if slid && cred.Transport == TransportCookie {
		http.SetCookie(w, h.cookies.Cookie(cred.Source, cred.Raw, "/", CookieExpiry(tok.record().ExpiresAt)))
	}
	return tok, true, nil
}

// Challenge returns the HTTP answer to err under the configured realm (see
// ChallengeFor); a 500 is logged with its cause through the configured
// logger first.
func (h *HTTPAuth[T]) Challenge(r *http.Request, err error) Challenge {
	return ChallengeLogged(r, h.realm, err, h.logger)
}

// WriteError answers err on w the net/http way (see WriteChallenge).
func (h *HTTPAuth[T]) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	WriteChallenge(w, h.Challenge(r, err))
}

// ChallengeLogged is ChallengeFor that first logs a 500 (an error that is
// neither a refusal nor an outage) with its cause through logger (nil:
// slog.Default()): never silent, and no token material is logged.
func ChallengeLogged(r *http.Request, realm string, err error, logger *slog.Logger) Challenge {
	ch := ChallengeFor(err, realm)
	if ch.Status == http.StatusInternalServerError {
		if logger == nil {
			logger = slog.Default()
		}
		logger.ErrorContext(r.Context(), "authentify: internal error",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("err", err.Error()))
	}
	return ch
}

// SetHeaders sets the challenge's headers (WWW-Authenticate, Retry-After)
// on h.
func (c Challenge) SetHeaders(h http.Header) {
	for k, v := range c.Headers {
		h.Set(k, v)
	}
}

// WriteChallenge writes c on w: its headers, its status and the JSON body
// {"message":"..."} — the shape of Echo's default error handler, so every
// stack answers alike.
func WriteChallenge(w http.ResponseWriter, c Challenge) {
	c.SetHeaders(w.Header())
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(c.Status)
	// A write error means the client is gone; there is no one left to tell.
	_ = json.NewEncoder(w).Encode(struct {
		Message string `json:"message"`
	}{c.Message})
}

// Forbidden is the Challenge of a request whose token a permission check
// refused.
func Forbidden() Challenge {
	return Challenge{Status: http.StatusForbidden, Message: "forbidden"}
}
