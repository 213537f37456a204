package app

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/runtime"
	"golang.org/x/crypto/bcrypt"
)

// Limits of the request fields.
const (
	minUsername, maxUsername = 3, 64
	minPassword, maxPassword = 8, 256
	maxDevice, maxAppVersion = 128, 64
)

// errInvalidCredentials is the single answer to a failed login, whether the
// user is unknown or the password wrong.
var errInvalidCredentials = &Error{Status: http.StatusUnauthorized, Message: "invalid username or password"}

func badRequest(format string, args ...any) error {
	return &Error{Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

// writeJSON writes v as the JSON body of a status answer.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		return fmt.Errorf("write response: %w", err)
	}
	return nil
}

// decodeJSON reads the request body into dst: one JSON value, no unknown
// fields, no trailing data, Content-Type application/json (or none). An
// empty body is an error unless allowEmpty, in which case dst is untouched
// and decodeJSON reports false.
//
// The body is read through http.MaxBytesReader: beyond MaxBodySize the
// answer is 413.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any, allowEmpty bool) (bool, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return false, &Error{Status: http.StatusUnsupportedMediaType, Message: "Content-Type must be application/json"}
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBodySize))
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = terr
			if err == nil {
				err = errors.New("unexpected data after the JSON value")
			}
		}
	}
	var tooLarge *http.MaxBytesError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &tooLarge):
		return false, &Error{Status: http.StatusRequestEntityTooLarge, Message: fmt.Sprintf("request body is larger than %d bytes", MaxBodySize)}
	case errors.Is(err, io.EOF) && allowEmpty:
		return false, nil
	case errors.Is(err, io.EOF):
		return false, badRequest("request body must be a JSON object")
	}
	return false, badRequest("invalid JSON body: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// prehash turns a password of any length into 43 bytes for bcrypt, which
// refuses passwords over 72 bytes: base64(SHA-256(password)).
func prehash(password string) []byte {
	sum := sha256.Sum256([]byte(password))
	return []byte(base64.RawStdEncoding.EncodeToString(sum[:]))
}

func validUsername(s string) bool {
	if len(s) < minUsername || len(s) > maxUsername {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '.', c == '-':
		default:
			return false
		}
	}
	return true
}

// registerRequest is the body of POST /auth/register.
type registerRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Beta     bool   `json:"beta"`
}

// userResponse is the body of a 201 from POST /auth/register.
type userResponse struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
}

func (a *App) register(w http.ResponseWriter, r *http.Request) error {
	var req registerRequest
	if _, err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	if !validUsername(req.Username) {
		return badRequest("username must be %d to %d characters of a-z, A-Z, 0-9, _ . -", minUsername, maxUsername)
	}
	if n := utf8.RuneCountInString(req.Password); n < minPassword || n > maxPassword {
		return badRequest("password must be %d to %d characters", minPassword, maxPassword)
	}
	hash, err := bcrypt.GenerateFromPassword(prehash(req.Password), a.cost)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	u, err := a.users.Create(r.Context(), req.Username, hash, req.Beta)
	if errors.Is(err, ErrUsernameTaken) {
		return &Error{Status: http.StatusConflict, Message: "username already taken"}
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, userResponse{ID: u.ID, Username: u.Username})
}

// loginRequest is the body of POST /auth/login and /auth/login/cookie.
type loginRequest struct {
	Username   string `json:"username"`
	Password   string `json:"password"`
	Device     string `json:"device"`
	AppVersion string `json:"app_version"`
}

// tokenResponse is the body of a successful header login or refresh.
type tokenResponse struct {
	AccessToken  string     `json:"access_token"`
	RefreshToken *string    `json:"refresh_token"` // null when refresh tokens are disabled
	ExpiresAt    *time.Time `json:"expires_at"`    // null: never expires
	RefreshUntil *time.Time `json:"refresh_until"` // null: no refresh token
	SessionID    int64      `json:"session_id"`
}

func newTokenResponse(iss auth.Issued) tokenResponse {
	r := tokenResponse{
		AccessToken:  iss.AccessToken.Reveal(),
		ExpiresAt:    iss.Token.ExpiresAt,
		RefreshUntil: iss.Token.RefreshUntil,
		SessionID:    iss.Token.ID,
	}
	if !iss.RefreshToken.IsZero() {
		rt := iss.RefreshToken.Reveal()
		r.RefreshToken = &rt
	}
	return r
}

// sendTokens writes issued tokens: JSON for a header session, HttpOnly
// cookies and 204 for a cookie session. Token responses are never cached.
func (a *App) sendTokens(w http.ResponseWriter, iss auth.Issued, status int) error {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	if iss.Token.Transport == runtime.TransportCookie {
		a.writeTokenCookies(w, iss)
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	return writeJSON(w, status, newTokenResponse(iss))
}

func (a *App) loginHeader(w http.ResponseWriter, r *http.Request) error {
	return a.login(w, r, runtime.TransportHeader)
}

func (a *App) loginCookie(w http.ResponseWriter, r *http.Request) error {
	// Login CSRF: a cross-site page must not log the browser into another account.
	if err := a.csrf.Check(r); err != nil {
		return fmt.Errorf("%w: %w", runtime.ErrCrossOrigin, err)
	}
	return a.login(w, r, runtime.TransportCookie)
}

// login checks the credentials and issues a session over transport t, its
// context holding the device, client IP, app version and the user's beta flag.
func (a *App) login(w http.ResponseWriter, r *http.Request, t runtime.Transport) error {
	var req loginRequest
	if _, err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	switch {
	case req.Username == "" || req.Password == "":
		return badRequest("username and password are required")
	case strings.TrimSpace(req.Device) == "":
		return badRequest("device is required")
	case utf8.RuneCountInString(req.Device) > maxDevice:
		return badRequest("device must be at most %d characters", maxDevice)
	case utf8.RuneCountInString(req.AppVersion) > maxAppVersion:
		return badRequest("app_version must be at most %d characters", maxAppVersion)
	}
	ctx := r.Context()
	attempt, err := a.loginAttempt(req.Username)
	if err != nil {
		return err
	}
	u, err := a.checkPassword(ctx, req.Username, req.Password)
	if !isInvalidCredentials(err) {
		attempt.Cancel() // only a wrong password or an unknown username counts
	}
	if err != nil {
		return err
	}
	tc := auth.Context{Device: req.Device, AppVersion: req.AppVersion, BetaFeatures: u.Beta}
	var cols auth.Columns
	if ip, ok := a.clientIP(r); ok {
		tc.IPAddress = ip
		cols.LastUsedIP = &ip
	}
	var iss auth.Issued
	if t == runtime.TransportCookie {
		iss, err = a.svc.GenerateCookieToken(ctx, u.ID, tc, auth.WithColumns(cols))
	} else {
		iss, err = a.svc.GenerateHeaderToken(ctx, u.ID, tc, auth.WithColumns(cols))
	}
	if err != nil {
		return err
	}
	return a.sendTokens(w, iss, http.StatusOK)
}

// checkPassword returns the user when the password matches. An unknown user
// costs the same bcrypt comparison (against a dummy hash) and gets the same
// answer as a wrong password.
func (a *App) checkPassword(ctx context.Context, username, password string) (User, error) {
	u, err := a.users.ByUsername(ctx, username)
	switch {
	case errors.Is(err, ErrUserNotFound):
		_ = bcrypt.CompareHashAndPassword(a.dummy, prehash(password))
		return User{}, errInvalidCredentials
	case err != nil:
		return User{}, err
	}
	if bcrypt.CompareHashAndPassword(u.PasswordHash, prehash(password)) != nil {
		return User{}, errInvalidCredentials
	}
	return u, nil
}

// refreshRequest is the body of POST /auth/refresh; it may be empty for the
// cookie flow.
type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

// refresh redeems a refresh token from the body or, when the body has none,
// from the refresh cookie. The answer follows the session's transport: JSON
// for a header session, new cookies for a cookie session (so a cookie
// session's tokens never appear in a body). The service is told where the
// token came from (body: header flow, cookie: cookie flow), so that under
// enable_auth_restriction each session refreshes only through its own
// transport. It may answer with Set-Cookie, so it runs the CSRF check first.
func (a *App) refresh(w http.ResponseWriter, r *http.Request) error {
	if err := a.csrf.Check(r); err != nil {
		return fmt.Errorf("%w: %w", runtime.ErrCrossOrigin, err)
	}
	var req refreshRequest
	if _, err := decodeJSON(w, r, &req, true); err != nil {
		return err
	}
	raw, from := req.RefreshToken, runtime.TransportHeader
	if raw == "" {
		if ck, err := r.Cookie(a.cookies.RefreshName); err == nil {
			raw, from = ck.Value, runtime.TransportCookie
		}
	}
	if raw == "" {
		return badRequest("refresh_token is required, in the body or the %s cookie", a.cookies.RefreshName)
	}
	iss, err := a.svc.RefreshTokenFrom(r.Context(), raw, from)
	if reason := runtime.ReasonOf(err); reason != "" && !errors.Is(err, runtime.ErrUnavailable) {
		// A refused refresh token: 401 with the challenge's headers, and a
		// message saying what to do. An outage stays a 503.
		ch := runtime.ChallengeFor(err, "")
		return &Error{Status: ch.Status, Message: refreshMessage(reason), Headers: ch.Headers, Err: err}
	}
	if err != nil {
		return err
	}
	return a.sendTokens(w, iss, http.StatusOK)
}

// refreshMessage explains a refused refresh token.
func refreshMessage(r runtime.Reason) string {
	switch r {
	case runtime.ReasonExpired:
		return "refresh token expired; log in again"
	case runtime.ReasonRevoked:
		return "session revoked; log in again"
	case runtime.ReasonRefreshReused:
		return "refresh token already used; the session has been revoked"
	case runtime.ReasonRefreshRace:
		return "refresh token was just used by a concurrent request"
	case runtime.ReasonWrongTransport:
		return "refresh token sent over the wrong transport: a cookie session refreshes with its cookie, a header session with the request body"
	default:
		return "invalid refresh token"
	}
}

// current returns the token the authentication middleware of the router
// put in the request's context. The routes using it are behind the
// middleware; were one not, it answers 401 rather than serve a zero token.
func current(r *http.Request) (auth.Token, error) {
	tok, ok := tokenFrom(r.Context())
	if !ok {
		return auth.Token{}, &runtime.AuthError{Reason: runtime.ReasonMissing}
	}
	return tok, nil
}

// logout revokes the current session and clears its cookies.
func (a *App) logout(w http.ResponseWriter, r *http.Request) error {
	tok, err := current(r)
	if err != nil {
		return err
	}
	if err := a.svc.RevokeToken(r.Context(), tok); err != nil && !errors.Is(err, runtime.ErrNotFound) {
		return err
	}
	if tok.Transport == runtime.TransportCookie {
		a.writeClearCookies(w)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// logoutAll revokes every session of the user.
func (a *App) logoutAll(w http.ResponseWriter, r *http.Request) error {
	tok, err := current(r)
	if err != nil {
		return err
	}
	if _, err := a.svc.RevokeAllUserTokens(r.Context(), tok.UserID); err != nil {
		return err
	}
	if tok.Transport == runtime.TransportCookie {
		a.writeClearCookies(w)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// sessionResponse is one item of GET /auth/sessions.
type sessionResponse struct {
	ID        int64      `json:"id"`
	Device    string     `json:"device"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"`
	Current   bool       `json:"current"`
}

// Page sizes of GET /auth/sessions.
const (
	defaultSessionsLimit = 50
	maxSessionsLimit     = 200
)

// sessions lists the caller's live sessions, newest first, a page at a time:
// ?limit= (1 to 200, default 50) and ?cursor= (from the previous page). The
// body is the JSON array of the page; a next page is announced in a
// Link: <…>; rel="next" header (RFC 8288).
func (a *App) sessions(w http.ResponseWriter, r *http.Request) error {
	tok, err := current(r)
	if err != nil {
		return err
	}
	query := r.URL.Query()
	limit := defaultSessionsLimit
	if v := query.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxSessionsLimit {
			return badRequest("limit must be a whole number from 1 to %d", maxSessionsLimit)
		}
		limit = n
	}
	after, err := runtime.ParseSessionCursor(query.Get("cursor"))
	if err != nil {
		return badRequest("invalid cursor: use the one from the Link header of the previous page")
	}
	list, next, err := a.svc.ListSessions(r.Context(), tok.UserID, limit, after)
	if err != nil {
		return err
	}
	if !next.IsZero() {
		q := url.Values{"limit": {strconv.Itoa(limit)}, "cursor": {next.String()}}
		w.Header().Set("Link", "<"+r.URL.Path+"?"+q.Encode()+`>; rel="next"`)
	}
	out := make([]sessionResponse, 0, len(list))
	for _, s := range list {
		out = append(out, sessionResponse{
			ID: s.ID, Device: s.Context.Device, CreatedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt, Current: s.ID == tok.ID,
		})
	}
	return writeJSON(w, http.StatusOK, out)
}

// deleteSession revokes one of the caller's sessions: the {id} of the route.
func (a *App) deleteSession(w http.ResponseWriter, r *http.Request) error {
	tok, err := current(r)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return badRequest("invalid session id")
	}
	err = a.svc.RevokeSession(r.Context(), tok.UserID, id)
	if errors.Is(err, runtime.ErrNotFound) {
		return &Error{Status: http.StatusNotFound, Message: "session not found"}
	}
	if err != nil {
		return err
	}
	if id == tok.ID && tok.Transport == runtime.TransportCookie {
		a.writeClearCookies(w)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// meResponse is the body of GET /me.
type meResponse struct {
	UserID    int64      `json:"user_id"`
	Username  string     `json:"username"`
	Device    string     `json:"device"`
	SessionID int64      `json:"session_id"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"`
}

func (a *App) me(w http.ResponseWriter, r *http.Request) error {
	tok, err := current(r)
	if err != nil {
		return err
	}
	u, err := a.users.ByID(r.Context(), tok.UserID)
	if errors.Is(err, ErrUserNotFound) {
		return &Error{Status: http.StatusUnauthorized, Message: "user no longer exists"}
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, meResponse{
		UserID: u.ID, Username: u.Username, Device: tok.Context.Device,
		SessionID: tok.ID, CreatedAt: tok.CreatedAt, ExpiresAt: tok.ExpiresAt,
	})
}

// premium is for beta users: the router puts it behind auth.Require (or
// its equivalent of the framework) with IsBeta.
func (a *App) premium(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"message": "welcome to the beta"})
}

// healthz pings the database: 200, or 503 when it is unreachable.
func (a *App) healthz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.pool.Ping(ctx); err != nil {
		a.log.Warn("health check failed", "err", err)
		return &Error{Status: http.StatusServiceUnavailable, Message: "database unavailable",
			Headers: map[string]string{"Retry-After": runtime.RetryAfterSeconds}}
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
