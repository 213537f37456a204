package runtime

import (
	"net/http"
	"time"
)

// CookieOptions shape the token cookies: those set at login and refresh,
// cleared at logout, and the access cookie re-sent after an auto-refresh
// slid its expiry. Every generated adapter uses them (the generated package
// declares CookieOptions as an alias of this type).
type CookieOptions struct {
	// AccessName is the access cookie (default: the first of cookie_names).
	AccessName string
	// RefreshName is the refresh cookie (default "refresh_token").
	RefreshName string
	// RefreshPath scopes the refresh cookie to the refresh endpoint (default "/auth/refresh").
	RefreshPath string
	// Domain of both cookies (default: host-only).
	Domain string
	// Insecure drops the Secure attribute; only for plain-HTTP development.
	Insecure bool
	// SameSite (default http.SameSiteStrictMode).
	SameSite http.SameSite
}

// The defaults of CookieOptions besides AccessName.
const (
	DefaultRefreshCookie = "refresh_token"
	DefaultRefreshPath   = "/auth/refresh"
)

// WithDefaults returns o with every unset option at its default under s:
// the access cookie is the first of s.CookieNames.
func (o CookieOptions) WithDefaults(s *Settings) CookieOptions {
	if o.AccessName == "" && len(s.CookieNames) > 0 {
		o.AccessName = s.CookieNames[0]
	}
	if o.RefreshName == "" {
		o.RefreshName = DefaultRefreshCookie
	}
	if o.RefreshPath == "" {
		o.RefreshPath = DefaultRefreshPath
	}
	if o.SameSite == 0 {
		o.SameSite = http.SameSiteStrictMode
	}
	return o
}

// Cookie builds an HttpOnly token cookie shaped by o (Secure unless
// Insecure). A zero expires makes a session cookie.
func (o CookieOptions) Cookie(name, value, path string, expires time.Time) *http.Cookie {
	return &http.Cookie{
		Name: name, Value: value, Path: path, Domain: o.Domain, Expires: expires,
		HttpOnly: true, Secure: !o.Insecure, SameSite: o.SameSite,
	}
}

// TokenCookies returns the cookies of an issued session: the access cookie
// (Path=/) and, when there is a refresh token, the refresh cookie scoped to
// RefreshPath, each expiring with its token. o must carry its defaults.
func TokenCookies[T Recorded](o CookieOptions, iss Issued[T]) []*http.Cookie {
	rec := iss.Token.record()
	out := []*http.Cookie{o.Cookie(o.AccessName, iss.AccessToken.Reveal(), "/", CookieExpiry(rec.ExpiresAt))}
	if !iss.RefreshToken.IsZero() {
		out = append(out, o.Cookie(o.RefreshName, iss.RefreshToken.Reveal(), o.RefreshPath, CookieExpiry(rec.RefreshUntil)))
	}
	return out
}

// ClearCookies returns the cookies that expire both token cookies
// (logout). o must carry its defaults.
func ClearCookies(o CookieOptions) []*http.Cookie {
	out := []*http.Cookie{
		o.Cookie(o.AccessName, "", "/", time.Unix(0, 0)),
		o.Cookie(o.RefreshName, "", o.RefreshPath, time.Unix(0, 0)),
	}
	for _, c := range out {
		c.MaxAge = -1
	}
	return out
}

// WriteTokenCookies sets the cookies of TokenCookies on w.
func WriteTokenCookies[T Recorded](w http.ResponseWriter, o CookieOptions, iss Issued[T]) {
	for _, c := range TokenCookies(o, iss) {
		http.SetCookie(w, c)
	}
}

// WriteClearCookies sets the cookies of ClearCookies on w.
func WriteClearCookies(w http.ResponseWriter, o CookieOptions) {
	for _, c := range ClearCookies(o) {
		http.SetCookie(w, c)
	}
}
