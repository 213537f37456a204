package runtime

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
)

// MaxCredentialLength is the longest Authorization header value or cookie
// value looked at. A longer Authorization header is refused as malformed
// without further work; a longer cookie is skipped.
const MaxCredentialLength = 4096

// MaxCookieCredentials is the most cookies Extract returns for one request,
// which bounds the work an attacker can cause with many cookies.
const MaxCookieCredentials = 4

// authorizationSource is Credential.Source for the Authorization header.
const authorizationSource = "Authorization"

// Credential is one token found in a request, not yet checked.
type Credential struct {
	// Raw is the token as sent. It must never be logged: fmt and slog print
	// a Credential with Raw redacted.
	Raw string
	// Transport is TransportHeader or TransportCookie.
	Transport Transport
	// Source is "Authorization" or the name of the cookie.
	Source string
}

// String describes c with Raw redacted.
func (c Credential) String() string {
	return fmt.Sprintf("{Raw:%s Transport:%s Source:%s}", Secret(c.Raw).redacted(), c.Transport, c.Source)
}

// Format implements fmt.Formatter so that every verb prints c with Raw
// redacted.
func (c Credential) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprintf(f, "runtime.Credential{Raw:%#v, Transport:%q, Source:%q}", Secret(c.Raw), string(c.Transport), c.Source)
		return
	}
	fmt.Fprint(f, c.String())
}

// LogValue implements slog.LogValuer: slog records c with Raw redacted.
func (c Credential) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("raw", Secret(c.Raw).redacted()),
		slog.String("transport", string(c.Transport)),
		slog.String("source", c.Source),
	)
}

// MarshalJSON implements json.Marshaler with Raw redacted (the same fields
// as LogValue). slog's JSONHandler calls LogValue only on a top-level value:
// a Credential inside a slice (such as Extract's result) or a struct is
// marshalled with encoding/json, which must not print Raw either.
func (c Credential) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Raw       string    `json:"raw"`
		Transport Transport `json:"transport"`
		Source    string    `json:"source"`
	}{Secret(c.Raw).redacted(), c.Transport, c.Source})
}

// ParseAuthorization reads the value of an Authorization header whose
// scheme is one of prefixes.
//
// The scheme is the first word (words are separated by spaces and tabs) and
// is matched case-insensitively, as RFC 7235 requires, folding ASCII letters
// only (so the Kelvin sign K never matches the k of Token). An empty or
// blank value, or a foreign scheme (Basic, Digest, anything not in
// prefixes), whatever its length, yields ("", false, nil): authentication
// was not attempted, which is never an error, so that other authentication
// methods can run. A known scheme followed by nothing or by more than one
// word, or a value of a known scheme longer than MaxCredentialLength, is
// refused with ReasonMalformed. Otherwise the second word is returned,
// unchecked, with ok true.
func ParseAuthorization(value string, prefixes []string) (raw string, ok bool, err error) {
	scheme, rest := nextWord(value)
	if scheme == "" || !knownScheme(scheme, prefixes) {
		return "", false, nil
	}
	if len(value) > MaxCredentialLength {
		return "", false, refused(ReasonMalformed)
	}
	token, rest := nextWord(rest)
	if extra, _ := nextWord(rest); token == "" || extra != "" {
		return "", false, refused(ReasonMalformed)
	}
	return token, true, nil
}

// nextWord skips leading spaces and tabs and returns the next word and what
// follows it.
func nextWord(s string) (word, rest string) {
	// Byte loops: strings.TrimLeft and IndexAny build their byte sets on
	// every call, a measurable share of a request.
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	s = s[i:]
	for j := 0; j < len(s); j++ {
		if s[j] == ' ' || s[j] == '\t' {
			return s[:j], s[j:]
		}
	}
	return s, ""
}

func knownScheme(scheme string, prefixes []string) bool {
	for _, p := range prefixes {
		if asciiEqualFold(scheme, p) {
			return true
		}
	}
	return false
}

// asciiEqualFold reports whether a and b are equal when ASCII letters are
// folded to lower case; every other byte must match exactly. Unlike
// strings.EqualFold it never matches a non-ASCII letter (the Kelvin sign K,
// the long s ſ) to an ASCII one.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// Extract returns every credential in r, in the order to try them: the
// Authorization header first, then, for each of s.CookieNames in order,
// every cookie of that name with a non-empty value (a request can carry
// several cookies of the same name), at most MaxCookieCredentials cookies in
// all. Cookie values longer than MaxCredentialLength are skipped.
//
// The error, an *AuthError with ReasonMalformed, is only for a malformed
// Authorization header of a known scheme, including several Authorization
// headers of a known scheme. Cookies never cause an error. A nil s means
// DefaultSettings.
func Extract(r *http.Request, s *Settings) ([]Credential, error) {
	if s == nil {
		d := DefaultSettings()
		s = &d
	}
	return extractInto(nil, r, s)
}

// extractInto is Extract appending to creds (a caller's buffer), with s
// set.
func extractInto(creds []Credential, r *http.Request, s *Settings) ([]Credential, error) {
	for _, v := range r.Header.Values("Authorization") {
		raw, ok, err := ParseAuthorization(v, s.HeaderPrefixes)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if len(creds) > 0 {
			// Two credentials of ours in separate headers: ambiguous.
			return nil, refused(ReasonMalformed)
		}
		creds = append(creds, Credential{Raw: raw, Transport: TransportHeader, Source: authorizationSource})
	}
	if len(s.CookieNames) == 0 || len(r.Header["Cookie"]) == 0 {
		return creds, nil
	}
	cookies := r.Cookies()
	n := 0
	for _, name := range s.CookieNames {
		for _, c := range cookies {
			if n == MaxCookieCredentials {
				return creds, nil
			}
			if c.Name != name || c.Value == "" || len(c.Value) > MaxCredentialLength {
				continue
			}
			creds = append(creds, Credential{Raw: c.Value, Transport: TransportCookie, Source: name})
			n++
		}
	}
	return creds, nil
}
