package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"
)

// pgErr is a driver error with a SQLSTATE, like *pgconn.PgError.
type pgErr string

func (e pgErr) Error() string    { return "pg error " + string(e) }
func (e pgErr) SQLState() string { return string(e) }

func TestClassifyFailure(t *testing.T) {
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	read := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	tests := []struct {
		name   string
		err    error
		want   Failure
		status int // of StoreError(err)
	}{
		{"nil", nil, FailureNone, http.StatusOK},
		{"not found", ErrNotFound, FailureNone, 0},
		{"unique violation", pgErr("23505"), FailurePermanent, http.StatusInternalServerError},
		{"syntax error", pgErr("42601"), FailurePermanent, http.StatusInternalServerError},
		{"statement timeout", pgErr("57014"), FailureTransient, http.StatusServiceUnavailable},
		{"serialization failure", pgErr("40001"), FailureTransient, http.StatusServiceUnavailable},
		{"deadlock", pgErr("40P01"), FailureTransient, http.StatusServiceUnavailable},
		{"wrapped deadlock", fmt.Errorf("query: %w", pgErr("40P01")), FailureTransient, http.StatusServiceUnavailable},
		{"admin shutdown", pgErr("57P01"), FailureConnectionLost, http.StatusServiceUnavailable},
		{"crash shutdown", pgErr("57P02"), FailureConnectionLost, http.StatusServiceUnavailable},
		{"connection failure", pgErr("08006"), FailureConnectionLost, http.StatusServiceUnavailable},
		{"cannot connect now", pgErr("57P03"), FailureUnavailable, http.StatusServiceUnavailable},
		{"unable to connect", pgErr("08001"), FailureUnavailable, http.StatusServiceUnavailable},
		{"too many connections", pgErr("53300"), FailureUnavailable, http.StatusServiceUnavailable},
		{"connection reset", fmt.Errorf("read: %w", read), FailureConnectionLost, http.StatusServiceUnavailable},
		{"unexpected EOF", fmt.Errorf("receive message: %w", io.ErrUnexpectedEOF), FailureConnectionLost, http.StatusServiceUnavailable},
		{"closed socket", net.ErrClosed, FailureConnectionLost, http.StatusServiceUnavailable},
		{"refused dial", fmt.Errorf("failed to connect: %w", dial), FailureUnavailable, http.StatusServiceUnavailable},
		{"refused dial wrapping EOF", fmt.Errorf("connect: %w", &net.OpError{Op: "dial", Err: io.EOF}), FailureUnavailable, http.StatusServiceUnavailable},
		{"cancelled", context.Canceled, FailureUnavailable, http.StatusServiceUnavailable},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), FailureUnavailable, http.StatusServiceUnavailable},
		{"unknown driver error", errors.New("pool closed"), FailureUnavailable, http.StatusServiceUnavailable},
		{"already unavailable, cause kept", Unavailable(pgErr("57P01")), FailureConnectionLost, http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ClassifyFailure(tt.err); got != tt.want {
				t.Errorf("ClassifyFailure = %d, want %d", got, tt.want)
			}
			serr := StoreError(tt.err, nil)
			if tt.status != 0 {
				if got := HTTPStatus(serr); got != tt.status {
					t.Errorf("HTTPStatus(StoreError) = %d, want %d (%v)", got, tt.status, serr)
				}
			}
			if got := ClassifyFailure(serr); got != tt.want {
				t.Errorf("StoreError hid the cause: ClassifyFailure(StoreError) = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestRetry(t *testing.T) {
	tests := []struct {
		name        string
		errs        []error // the error of each attempt, nil = success
		write       bool
		cancel      bool
		wantCalls   int
		wantSuccess bool
	}{
		{"success", []error{nil}, false, false, 1, true},
		{"read: lost connection, then success", []error{pgErr("57P01"), nil}, false, false, 2, true},
		{"read: reset, then success", []error{io.ErrUnexpectedEOF, nil}, false, false, 2, true},
		{"read: deadlock, then success", []error{pgErr("40P01"), nil}, false, false, 2, true},
		{"read: several dead connections in a row", []error{pgErr("57P01"), io.ErrUnexpectedEOF, pgErr("57P01"), nil}, false, false, 4, true},
		{"read: lost connections are bounded", lostN(MaxLostConnections + 2), false, false, MaxLostConnections + 1, false},
		{"read: transient retried once only", []error{pgErr("40001"), pgErr("40001"), nil}, false, false, 2, false},
		{"read: lost then transient then lost", []error{pgErr("57P01"), pgErr("40P01"), pgErr("57P01"), nil}, false, false, 4, true},
		{"read: lost, then the database is down", []error{pgErr("57P01"), &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, nil}, false, false, 2, false},
		{"read: outage is not retried", []error{&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, nil}, false, false, 1, false},
		{"read: not found is an answer", []error{ErrNotFound, nil}, false, false, 1, false},
		{"read: permanent is not retried", []error{pgErr("23505"), nil}, false, false, 1, false},
		{"read: cancelled context is not retried", []error{pgErr("57014"), nil}, false, true, 1, false},
		{"write: serialization failure, then success", []error{pgErr("40001"), nil}, true, false, 2, true},
		{"write: statement timeout, then success", []error{pgErr("57014"), nil}, true, false, 2, true},
		{"write: lost connection is not retried", []error{pgErr("57P01"), nil}, true, false, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel {
				cancel()
			}
			calls := 0
			op := func() (int, error) {
				err := tt.errs[calls]
				calls++
				if err != nil {
					return 0, StoreError(err, nil)
				}
				return 42, nil
			}
			var v int
			var err error
			if tt.write {
				v, err = RetryWrite(ctx, op)
			} else {
				v, err = RetryRead(ctx, op)
			}
			if calls != tt.wantCalls {
				t.Errorf("%d attempts, want %d", calls, tt.wantCalls)
			}
			if ok := err == nil && v == 42; ok != tt.wantSuccess {
				t.Errorf("= %v, %v; want success %v", v, err, tt.wantSuccess)
			}
		})
	}
}

func lostN(n int) []error {
	errs := make([]error, n)
	for i := range errs {
		errs[i] = pgErr("57P01")
	}
	return errs
}
