package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/runtime"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrUsernameTaken is returned by Users.Create when the username exists.
var ErrUsernameTaken = errors.New("username already taken")

// ErrUserNotFound is returned when no user matches.
var ErrUserNotFound = errors.New("user not found")

// User is a row of the users table.
type User struct {
	ID           int64
	Username     string
	PasswordHash []byte
	Beta         bool
}

// Users is the store of the users table. Errors of an unreachable database
// match runtime.ErrUnavailable, so handlers answer 503 rather than 500.
type Users struct {
	pool *pgxpool.Pool
}

// NewUsers returns the users store over pool; the table must exist (New
// creates it).
func NewUsers(pool *pgxpool.Pool) *Users { return &Users{pool: pool} }

// Create inserts a user and returns it, or ErrUsernameTaken.
func (u *Users) Create(ctx context.Context, username string, passwordHash []byte, beta bool) (User, error) {
	usr := User{Username: username, PasswordHash: passwordHash, Beta: beta}
	err := u.pool.QueryRow(ctx,
		`INSERT INTO users (username, password_hash, beta) VALUES ($1, $2, $3) RETURNING id`,
		username, string(passwordHash), beta).Scan(&usr.ID)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" { // unique_violation
		return User{}, ErrUsernameTaken
	}
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", dbErr(err))
	}
	return usr, nil
}

// ByUsername returns the user named username, or ErrUserNotFound.
func (u *Users) ByUsername(ctx context.Context, username string) (User, error) {
	return u.one(ctx, `SELECT id, username, password_hash, beta FROM users WHERE username = $1`, username)
}

// ByID returns the user with id, or ErrUserNotFound.
func (u *Users) ByID(ctx context.Context, id int64) (User, error) {
	return u.one(ctx, `SELECT id, username, password_hash, beta FROM users WHERE id = $1`, id)
}

func (u *Users) one(ctx context.Context, sql string, arg any) (User, error) {
	var usr User
	var hash string
	err := u.pool.QueryRow(ctx, sql, arg).Scan(&usr.ID, &usr.Username, &hash, &usr.Beta)
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, ErrUserNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("load user: %w", dbErr(err))
	}
	usr.PasswordHash = []byte(hash)
	return usr, nil
}

// migrations are applied in order, each once, recorded in app_migrations.
// Append new steps; never edit an applied one.
var migrations = []string{
	`CREATE TABLE IF NOT EXISTS users (
		id            bigserial PRIMARY KEY,
		username      text NOT NULL UNIQUE,
		password_hash text NOT NULL,
		beta          boolean NOT NULL DEFAULT false
	)`,
}

// migrateLockKey serializes concurrent migrations (several instances
// starting at once) through a PostgreSQL advisory lock.
const migrateLockKey = "authentify-example-echo/migrate"

// migrate creates the app's tables if missing: the users table (versioned
// migrations) and then the token table (Service.Migrate: its migrations and a drift check), all on one
// connection holding an advisory lock, so that instances starting together
// do not race and a small pool cannot deadlock.
func migrate(ctx context.Context, pool *pgxpool.Pool, settings runtime.Settings) (err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", dbErr(err))
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtextextended($1, 0))`, migrateLockKey); err != nil {
		return fmt.Errorf("migrate: lock: %w", dbErr(err))
	}
	defer func() {
		_, uerr := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtextextended($1, 0))`, migrateLockKey)
		if uerr != nil && err == nil {
			err = fmt.Errorf("migrate: unlock: %w", uerr)
		}
	}()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS app_migrations (
		version    integer PRIMARY KEY,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return fmt.Errorf("migrate: %w", dbErr(err))
	}
	var done int
	if err := conn.QueryRow(ctx, `SELECT COALESCE(max(version), 0) FROM app_migrations`).Scan(&done); err != nil {
		return fmt.Errorf("migrate: %w", dbErr(err))
	}
	for i := done; i < len(migrations); i++ {
		version := i + 1
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, migrations[i]); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO app_migrations (version) VALUES ($1)`, version)
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate: step %d: %w", version, dbErr(err))
		}
	}
	// Only for CreateSchema: the app's own Service logs the settings.
	svc, err := auth.New(conn.Conn(), auth.WithSettings(settings), auth.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := svc.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// dbErr marks err as runtime.ErrUnavailable when the database is unreachable
// (connection refused, timeout, shutdown…), so handlers answer 503; other
// errors are returned as they are.
func dbErr(err error) error {
	if c := runtime.StoreError(err, nil); errors.Is(c, runtime.ErrUnavailable) {
		return c
	}
	return err
}
