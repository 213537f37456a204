package app

import (
	"errors"
	"math"
	"net/http"
	"strconv"

	"github.com/authentify-go/authentify/examples/echo/app/lockout"
)

// loginAttempt reserves a login attempt for username under the per-username
// limit (Config.LoginFailureLimit), which holds across clients and is
// independent of the per-client rate limit. A locked username is answered
// 429 with Retry-After before any database query or password check, whether
// it exists or not. The attempt counts as a failure unless cancelled; it is
// the zero Attempt (Cancel does nothing) when the limit is off.
//
// The username is the key exactly as login looks it up (usernames are
// case-sensitive), hashed by the limiter, so an unknown or over-long name
// costs the same as a real one.
func (a *App) loginAttempt(username string) (lockout.Attempt, error) {
	if a.logins == nil {
		return lockout.Attempt{}, nil
	}
	att, wait, ok := a.logins.Acquire(username)
	if !ok {
		return att, &Error{
			Status:  http.StatusTooManyRequests,
			Message: "too many failed logins for this username; retry later",
			Headers: map[string]string{"Retry-After": strconv.Itoa(max(1, int(math.Ceil(wait.Seconds()))))},
		}
	}
	return att, nil
}

// isInvalidCredentials reports whether err is the answer to a wrong password
// or an unknown username (errInvalidCredentials).
func isInvalidCredentials(err error) bool {
	return errors.Is(err, errInvalidCredentials)
}
