package app

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/authentify-go/authentify/runtime"
)

// Error is an error answer of the app: its status, the message of its
// {"error": "..."} body and the headers that go with it (Retry-After…).
type Error struct {
	Status  int
	Message string
	Headers map[string]string
	// Err is the cause, for the log; never shown to the client.
	Err error
}

// Error returns the message.
func (e *Error) Error() string { return e.Message }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ErrorBody is the JSON body of every error answer of every example.
type ErrorBody struct {
	Error string `json:"error"`
}

// WriteError answers err as {"error": "..."} with its status: an *Error
// as it says; an error of the token package (a refused credential, a
// cross-origin cookie request, a database outage) with its RFC 6750 status,
// WWW-Authenticate and Retry-After headers (runtime.ChallengeFor); any
// other database outage with 503 and Retry-After; anything else with 500.
// Answers of 500 and more are logged (never tokens: errors of the token
// package carry none). It is the error handler of every example's router,
// and of the authentication middleware of each framework.
func (a *App) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	status, msg, headers := a.classify(err)
	if status >= http.StatusInternalServerError {
		a.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	for k, v := range headers {
		w.Header().Set(k, v)
	}
	WriteErrorStatus(w, r, status, msg)
}

// classify returns the status, message and headers of the answer to err.
func (a *App) classify(err error) (int, string, map[string]string) {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e.Status, e.Message, e.Headers
	case errors.Is(err, runtime.ErrUnavailable):
		return http.StatusServiceUnavailable, "service temporarily unavailable", map[string]string{"Retry-After": runtime.RetryAfterSeconds}
	case errors.Is(err, runtime.ErrCrossOrigin), runtime.ReasonOf(err) != "":
		ch := runtime.ChallengeFor(err, "")
		return ch.Status, ch.Message, ch.Headers
	}
	return http.StatusInternalServerError, http.StatusText(http.StatusInternalServerError), nil
}

// WriteErrorStatus writes {"error": msg} with status (no body for HEAD).
// The routers use it for their own answers, such as 404 and 405.
func WriteErrorStatus(w http.ResponseWriter, r *http.Request, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Del("Content-Length")
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	_ = json.NewEncoder(w).Encode(ErrorBody{Error: msg}) // the client is gone; nothing to do
}
