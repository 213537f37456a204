package runtime

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
)

// Failure classifies an error of a Store's driver for the retry decision.
type Failure int

// The failure classes of ClassifyFailure.
const (
	// FailureNone: no error, or ErrNotFound (an answer, not a failure).
	FailureNone Failure = iota
	// FailurePermanent: the statement failed on its own terms (a
	// constraint violation, a bug); repeating it cannot help. HTTP 500.
	FailurePermanent
	// FailureTransient: the server aborted the statement, so it had no
	// effect, and repeating it may succeed: statement timeout or
	// cancellation (57014), serialization failure (40001), deadlock
	// (40P01). Retried once (RetryRead, RetryWrite); otherwise HTTP 503.
	FailureTransient
	// FailureConnectionLost: the statement's connection died under it
	// (57P01 admin shutdown, 57P02 crash shutdown, a class 08 connection
	// failure, a reset or closed socket, an unexpected EOF). Whether a
	// write took effect is unknown, so only idempotent statements are
	// retried (RetryRead), on another connection of the pool; otherwise
	// HTTP 503.
	FailureConnectionLost
	// FailureUnavailable: the database cannot be reached (a refused dial,
	// a closed pool, a cancelled or expired context, a server that is
	// starting or out of resources). Never retried: an outage answers 503
	// at once.
	FailureUnavailable
)

// ClassifyFailure is the pure retry classifier: it looks at the SQLSTATE of
// the first error in err's chain that has one (an error with a
// SQLState() string method, such as pgx's *pgconn.PgError), else at network
// and I/O errors in the chain.
func ClassifyFailure(err error) Failure {
	switch {
	case err == nil, errors.Is(err, ErrNotFound):
		return FailureNone
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return FailureUnavailable
	}
	var st sqlStater
	if errors.As(err, &st) {
		switch code := st.SQLState(); {
		case code == "57014" || code == "40001" || code == "40P01":
			return FailureTransient
		case code == "57P01" || code == "57P02":
			return FailureConnectionLost
		case code == "08001" || code == "08004":
			return FailureUnavailable // could not connect, or refused
		case strings.HasPrefix(code, "08"):
			return FailureConnectionLost
		case strings.HasPrefix(code, "53") || strings.HasPrefix(code, "57P"):
			return FailureUnavailable
		}
		return FailurePermanent
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return FailureUnavailable
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, net.ErrClosed) {
		return FailureConnectionLost
	}
	return FailureUnavailable
}

// MaxLostConnections bounds how many lost connections in a row RetryRead
// retries past. A pool hands a retry another connection and drops the dead
// one, but after a mass disconnect (a restarted server, every backend
// terminated) its other idle connections may be dead too, each failing one
// attempt at once: retrying only once would still fail some requests.
const MaxLostConnections = 8

// RetryRead runs op, an idempotent statement (a read, or a conditional
// write that a repeat cannot apply twice), and runs it again when it failed
// because its connection died (FailureConnectionLost: up to
// MaxLostConnections more times, each on another connection of the pool)
// or the server aborted it (FailureTransient: once), while ctx is not done.
// A lost connection thus costs the caller nothing. Any other failure, such
// as a refused dial when the database is down, is returned at once, so an
// outage still answers quickly.
func RetryRead[T any](ctx context.Context, op func() (T, error)) (T, error) {
	return retry(ctx, op, MaxLostConnections)
}

// RetryWrite runs op, one write statement (or one transaction), and runs it
// once more only when the server aborted it (FailureTransient: it had no
// effect) and ctx is not done. A lost connection is not retried: the write
// may have committed.
func RetryWrite[T any](ctx context.Context, op func() (T, error)) (T, error) {
	return retry(ctx, op, 0)
}

func retry[T any](ctx context.Context, op func() (T, error), maxLost int) (T, error) {
	transient := false
	for lost := 0; ; {
		v, err := op()
		if err == nil || ctx.Err() != nil {
			return v, err
		}
		switch ClassifyFailure(err) {
		case FailureTransient:
			if transient {
				return v, err
			}
			transient = true
		case FailureConnectionLost:
			if lost == maxLost {
				return v, err
			}
			lost++
		default:
			return v, err
		}
	}
}
