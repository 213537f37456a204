package runtime

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
)

// Reason says why a credential was refused. Reasons are safe to log and to
// expose as an RFC 6750 error_description; they never contain token material.
type Reason string

// The reasons an [AuthError] can carry.
const (
	ReasonMissing        Reason = "missing"         // no credentials in the request
	ReasonMalformed      Reason = "malformed"       // an Authorization header with a known scheme but no single token
	ReasonInvalid        Reason = "invalid"         // not a token of ours, bad checksum, or unknown
	ReasonExpired        Reason = "expired"         // the access token (or refresh window) has expired
	ReasonRevoked        Reason = "revoked"         // the session was revoked
	ReasonWrongTransport Reason = "wrong_transport" // a cookie token sent in a header or vice versa
	ReasonRefreshRace    Reason = "refresh_race"    // lost a concurrent refresh inside the grace window (no secret key)
	ReasonRefreshReused  Reason = "refresh_reused"  // a rotated refresh token was presented after the grace window
	ReasonRejected       Reason = "rejected"        // a PostAuth or PostAutoRefresh hook refused the token
)

// AuthError is returned when a credential is refused. It maps to HTTP 401
// (400 for [ReasonMalformed]).
type AuthError struct {
	Reason Reason
	// Err is an optional cause, such as the error a hook returned.
	Err error
}

// Error describes the refusal; it never contains token material.
func (e *AuthError) Error() string {
	msg := "authentify: credential refused: " + string(e.Reason)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause, if any.
func (e *AuthError) Unwrap() error { return e.Err }

// Is reports whether target is an *AuthError with the same reason, so that
// errors.Is(err, &AuthError{Reason: ReasonExpired}) works.
func (e *AuthError) Is(target error) bool {
	t, ok := target.(*AuthError)
	return ok && t.Reason == e.Reason
}

func refused(r Reason) error { return &AuthError{Reason: r} }

// ReasonOf returns the reason of an *AuthError in err's chain, or "".
func ReasonOf(err error) Reason {
	var ae *AuthError
	if errors.As(err, &ae) {
		return ae.Reason
	}
	return ""
}

// ErrUnavailable wraps every failure of the token store (connection refused,
// timeout, pool closed…). It maps to HTTP 503: an outage must never log users
// out with a 401.
var ErrUnavailable = errors.New("authentify: token store unavailable")

// ErrNotFound is returned by a [Store] when no row matched, including when the
// precondition of a conditional UPDATE no longer holds. Session operations
// return it to callers when the session does not exist or is not the user's.
var ErrNotFound = errors.New("authentify: not found")

// unavailable wraps a store error so that errors.Is(err, ErrUnavailable)
// holds while keeping the cause.
type unavailable struct{ cause error }

func (u *unavailable) Error() string   { return ErrUnavailable.Error() + ": " + u.cause.Error() }
func (u *unavailable) Unwrap() []error { return []error{ErrUnavailable, u.cause} }

// Unavailable wraps err (a store failure) so that it matches [ErrUnavailable].
func Unavailable(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) {
		return err
	}
	return &unavailable{cause: err}
}

// HTTPStatus maps an error from this package to an HTTP status: 401 for a
// refused credential, 400 for a malformed Authorization header, 403 for a
// cross-origin cookie request, 503 for a store outage, 500 otherwise, 200
// for nil.
func HTTPStatus(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, ErrUnavailable):
		return http.StatusServiceUnavailable
	case errors.Is(err, ErrCrossOrigin):
		return http.StatusForbidden
	case ReasonOf(err) == ReasonMalformed:
		return http.StatusBadRequest
	case ReasonOf(err) != "":
		return http.StatusUnauthorized
	default:
		return http.StatusInternalServerError
	}
}

// sqlStater is implemented by driver errors that carry a SQLSTATE code, such
// as pgx's *pgconn.PgError.
type sqlStater interface{ SQLState() string }

// StoreError classifies an error from a Store's driver: nil stays nil,
// notFound (e.g. pgx.ErrNoRows) becomes ErrNotFound, a failure that an
// outage or a retry can explain (ClassifyFailure: unreachable, connection
// lost, or a transient abort such as a statement timeout 57014, a
// serialization failure 40001 or a deadlock 40P01) is wrapped with
// Unavailable (HTTP 503, never 500), and any other server error (a
// constraint violation, a bug) is returned wrapped but not as unavailable,
// and logged with slog with its SQLSTATE: it becomes a 500, and a 500 with
// nothing in the log is a defect. The cause stays in the chain, so ClassifyFailure still sees it.
func StoreError(err, notFound error) error {
	switch {
	case err == nil:
		return nil
	case notFound != nil && errors.Is(err, notFound):
		return ErrNotFound
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrUnavailable):
		return err
	}
	if ClassifyFailure(err) == FailurePermanent {
		// Not an outage: a missing column (42703, the table drifted from
		// the generated model), a check violation, a bug. Driver errors
		// carry no token material.
		attrs := []any{slog.String("err", err.Error())}
		var st sqlStater
		if errors.As(err, &st) {
			attrs = append(attrs, slog.String("sqlstate", st.SQLState()))
		}
		slog.Error("authentify: database error", attrs...)
		return fmt.Errorf("authentify: token store: %w", err)
	}
	return Unavailable(err)
}
