package runtime

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// NewCSRF returns the cross-origin protection applied to cookie-authenticated
// requests with an unsafe method: Go's http.CrossOriginProtection, which
// refuses cross-origin browser requests using Sec-Fetch-Site and Origin.
//
// trustedOrigins are origins allowed to make cross-origin requests, each
// written exactly as browsers send it in the Origin header: a lowercase
// http or https scheme, "://", a lowercase host and an optional non-default
// port, with nothing else (no path, not even "/", no wildcard). An origin in
// any other form could never match, so it is an error.
func NewCSRF(trustedOrigins []string) (*http.CrossOriginProtection, error) {
	p := http.NewCrossOriginProtection()
	for _, o := range trustedOrigins {
		if err := checkOrigin(o); err != nil {
			return nil, fmt.Errorf("authentify: trusted origin %q: %s", o, err)
		}
		if err := p.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("authentify: trusted origin %q: %w", o, err)
		}
	}
	return p, nil
}

// checkOrigin says why o is not a serialized origin (RFC 6454 §6.2) as
// browsers send it, or returns nil.
func checkOrigin(o string) error {
	const form = "write it as scheme://host[:port], e.g. https://app.example.com"
	switch {
	case o == "":
		return fmt.Errorf("is empty; %s", form)
	case strings.Contains(o, "*"):
		return fmt.Errorf("wildcards are not supported; list every origin; %s", form)
	case strings.TrimSpace(o) != o:
		return fmt.Errorf("has surrounding whitespace")
	}
	u, err := url.Parse(o)
	if err != nil {
		return fmt.Errorf("does not parse (%v); %s", err, form)
	}
	switch {
	case !strings.HasPrefix(o, "https://") && !strings.HasPrefix(o, "http://"):
		return fmt.Errorf("must start with https:// or http:// (lowercase); %s", form)
	case u.Opaque != "" || u.Host == "":
		return fmt.Errorf("has no host; %s", form)
	case u.User != nil:
		return fmt.Errorf("must not contain user information; %s", form)
	case u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery || strings.HasSuffix(o, "#"):
		return fmt.Errorf("must not have a path (not even a trailing slash), query or fragment; %s", form)
	case strings.ToLower(u.Host) != u.Host:
		return fmt.Errorf("host must be lowercase, as browsers send it")
	case u.Port() == "" && strings.HasSuffix(u.Host, ":"):
		return fmt.Errorf("has an empty port; %s", form)
	case (u.Scheme == "https" && u.Port() == "443") || (u.Scheme == "http" && u.Port() == "80"):
		return fmt.Errorf("browsers omit the default port %s; remove it", u.Port())
	}
	return nil
}

// UnsafeMethod reports whether method can change state and so needs CSRF
// protection when the request is authenticated by a cookie. GET, HEAD and
// OPTIONS are safe, exactly as http.CrossOriginProtection treats them;
// every other method, including unknown ones and lowercase spellings
// (methods are case-sensitive), is unsafe.
func UnsafeMethod(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// DropCrossOriginCookies applies cop to r before any credential is looked
// up: when r is a cross-origin request with an unsafe method, cookie
// credentials are dropped (a browser attached them, not the user), so only
// header credentials remain. If that drops every credential the request had,
// it returns an error matching ErrCrossOrigin (HTTP 403) — without a
// database query, so a cross-site request cannot even slide a session's
// expiry. A nil cop checks nothing.
func DropCrossOriginCookies(r *http.Request, creds []Credential, cop *http.CrossOriginProtection) ([]Credential, error) {
	if cop == nil {
		return creds, nil
	}
	err := cop.Check(r)
	if err == nil {
		return creds, nil
	}
	kept := make([]Credential, 0, len(creds))
	for _, c := range creds {
		if c.Transport != TransportCookie {
			kept = append(kept, c)
		}
	}
	if len(kept) == 0 && len(creds) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrCrossOrigin, err)
	}
	return kept, nil
}
