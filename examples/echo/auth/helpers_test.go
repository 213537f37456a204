package auth_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/internal/pgtest"
	"github.com/authentify-go/authentify/runtime"
	"github.com/jackc/pgx/v5/pgxpool"
)

// clock is a fake clock for expiry rules; safe for concurrent use.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

// newClock returns a clock stopped at t.
func newClock(t time.Time) *clock { return &clock{now: t} }

// Now returns the clock's current time.
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// usersTable is the minimal users table the spec's references: users(id) needs.
const usersTable = `CREATE TABLE users (id bigserial primary key, username text unique not null)`

// newService returns a Service over a fresh PostgreSQL database (its own per
// test) with the users table and the token schema created.
func newService(t *testing.T, opts ...auth.Option) (*auth.Service, *pgxpool.Pool) {
	t.Helper()
	pool := pgtest.NewPool(t)
	pgtest.Exec(t, pool, usersTable)
	svc, err := auth.New(pool, opts...)
	if err != nil {
		t.Fatalf("auth.New: %v", err)
	}
	if err := svc.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return svc, pool
}

// newUser inserts a user named name and returns its id.
func newUser(t *testing.T, pool *testDB, name string) int64 {
	t.Helper()
	var id int64
	if err := pool.QueryRow(context.Background(),
		`INSERT INTO users (username) VALUES ($1) RETURNING id`, name).Scan(&id); err != nil {
		t.Fatalf("insert user %q: %v", name, err)
	}
	return id
}

// settings returns a WithSettings option: auth.DefaultSettings() modified by mod
// (mod may be nil).
func settings(mod func(*runtime.Settings)) auth.Option {
	s := auth.DefaultSettings()
	if mod != nil {
		mod(&s)
	}
	return auth.WithSettings(s)
}
