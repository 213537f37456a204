package runtime

import (
	"errors"
	"net/http"
	"time"
)

// ErrCrossOrigin refuses a cookie-authenticated unsafe request that comes
// from another origin (CSRF). It maps to HTTP 403.
var ErrCrossOrigin = errors.New("authentify: cross-origin request refused for cookie authentication")

// Challenge is the HTTP answer to a failed authentication.
type Challenge struct {
	Status  int
	Message string            // short, safe for clients; never token material
	Headers map[string]string // WWW-Authenticate, Retry-After
}

// RetryAfterSeconds is the Retry-After value sent with a 503.
const RetryAfterSeconds = "5"

// ChallengeFor maps an authentication error to its HTTP answer, per RFC 6750:
// no credentials → 401 with a bare Bearer challenge; a malformed header → 400
// invalid_request; any other refused credential → 401 invalid_token; a
// cross-origin cookie request → 403; a store outage → 503 with Retry-After
// (never 401, which would log users out); anything else → 500.
func ChallengeFor(err error, realm string) Challenge {
	if realm == "" {
		realm = "api"
	}
	bearer := `Bearer realm="` + realm + `"`
	switch {
	case errors.Is(err, ErrUnavailable):
		return Challenge{Status: http.StatusServiceUnavailable, Message: "authentication temporarily unavailable",
			Headers: map[string]string{"Retry-After": RetryAfterSeconds}}
	case errors.Is(err, ErrCrossOrigin):
		return Challenge{Status: http.StatusForbidden, Message: "cross-origin request refused"}
	}
	switch r := ReasonOf(err); r {
	case "":
		return Challenge{Status: http.StatusInternalServerError, Message: http.StatusText(http.StatusInternalServerError)}
	case ReasonMissing:
		return Challenge{Status: http.StatusUnauthorized, Message: "authentication required",
			Headers: map[string]string{"WWW-Authenticate": bearer}}
	case ReasonMalformed:
		return Challenge{Status: http.StatusBadRequest, Message: "malformed authorization header",
			Headers: map[string]string{"WWW-Authenticate": bearer + `, error="invalid_request", error_description="malformed authorization header"`}}
	default:
		desc := "the token is " + describe(r)
		return Challenge{Status: http.StatusUnauthorized, Message: desc,
			Headers: map[string]string{"WWW-Authenticate": bearer + `, error="invalid_token", error_description="` + desc + `"`}}
	}
}

func describe(r Reason) string {
	switch r {
	case ReasonExpired:
		return "expired"
	case ReasonRevoked:
		return "revoked"
	case ReasonWrongTransport:
		return "not valid for this transport"
	case ReasonRejected:
		return "rejected"
	default:
		return "invalid"
	}
}

// CookieExpiry is the Expires attribute of a cookie that carries a token
// valid until t: t itself, or the zero time (a session cookie) when the
// token never expires.
func CookieExpiry(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
