package app

import (
	"context"
	"database/sql"
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

// Users is the store of the users table, on PostgreSQL or SQLite. Errors of
// an unreachable (or, on SQLite, busy) database match runtime.ErrUnavailable,
// so handlers answer 503 rather than 500.
type Users struct {
	pool *pgxpool.Pool
	lite *sql.DB
}

// NewUsers returns the users store over pool; the table must exist (New
// creates it).
func NewUsers(pool *pgxpool.Pool) *Users { return &Users{pool: pool} }

// NewSQLiteUsers returns the users store over a SQLite database; the table
// must exist (NewSQLite creates it).
func NewSQLiteUsers(db *sql.DB) *Users { return &Users{lite: db} }

// row runs a query returning one row on the store's engine ($1… work on both).
func (u *Users) row(ctx context.Context, query string, args ...any) interface{ Scan(...any) error } {
	if u.lite != nil {
		return liteRow{u.lite.QueryRowContext(ctx, query, args...)}
	}
	return u.pool.QueryRow(ctx, query, args...)
}

// liteRow reports a missing row as pgx.ErrNoRows, as the PostgreSQL store does.
type liteRow struct{ r *sql.Row }

func (r liteRow) Scan(dest ...any) error {
	err := r.r.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return pgx.ErrNoRows
	}
	return err
}

// isUniqueViolation reports a duplicate key on either engine.
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505" // unique_violation
	}
	var coded interface{ Code() int }
	return errors.As(err, &coded) && coded.Code() == 2067 // SQLITE_CONSTRAINT_UNIQUE
}

// Create inserts a user and returns it, or ErrUsernameTaken.
func (u *Users) Create(ctx context.Context, username string, passwordHash []byte, beta bool) (User, error) {
	usr := User{Username: username, PasswordHash: passwordHash, Beta: beta}
	err := u.row(ctx,
		`INSERT INTO users (username, password_hash, beta) VALUES ($1, $2, $3) RETURNING id`,
		username, string(passwordHash), beta).Scan(&usr.ID)
	if isUniqueViolation(err) {
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

func (u *Users) one(ctx context.Context, query string, arg any) (User, error) {
	var usr User
	var hash string
	err := u.row(ctx, query, arg).Scan(&usr.ID, &usr.Username, &hash, &usr.Beta)
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
// Append new steps (to liteMigrations too); never edit an applied one.
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

// liteMigrations are migrations on SQLite, step for step.
var liteMigrations = []string{
	`CREATE TABLE IF NOT EXISTS users (
		id            INTEGER PRIMARY KEY AUTOINCREMENT,
		username      TEXT NOT NULL UNIQUE,
		password_hash TEXT NOT NULL,
		beta          INTEGER NOT NULL DEFAULT 0 CHECK (beta IN (0, 1))
	) STRICT`,
}

// migrateSQLite is migrate on SQLite: the users table, then the token
// table, each step in a BEGIN IMMEDIATE transaction on one connection (the
// write lock serializes processes starting together).
func migrateSQLite(ctx context.Context, db *sql.DB, settings runtime.Settings) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS app_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at TEXT NOT NULL DEFAULT (datetime('now'))
	) STRICT`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for version := 1; version <= len(liteMigrations); version++ {
		if err := liteStep(ctx, conn, version); err != nil {
			return fmt.Errorf("migrate: step %d: %w", version, err)
		}
	}
	svc, err := auth.NewSQLite(db, auth.WithSettings(settings), auth.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := svc.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// liteStep applies SQLite migration version unless it is recorded.
func liteStep(ctx context.Context, conn *sql.Conn, version int) (err error) {
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM app_migrations WHERE version = ?`, version).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		if _, err := conn.ExecContext(ctx, liteMigrations[version-1]); err != nil {
			return err
		}
		if _, err := conn.ExecContext(ctx, `INSERT INTO app_migrations (version) VALUES (?)`, version); err != nil {
			return err
		}
	}
	_, err = conn.ExecContext(ctx, "COMMIT")
	return err
}

// database is the app's database engine: what New needs besides the token
// Service's own store.
type database interface {
	// Ping checks that the database answers (GET /healthz).
	Ping(ctx context.Context) error
	users() *Users
	service(opts ...auth.Option) (*auth.Service, error)
	migrate(ctx context.Context, settings runtime.Settings) error
}

// pgDatabase is a PostgreSQL pool.
type pgDatabase struct{ *pgxpool.Pool }

func (d pgDatabase) users() *Users { return NewUsers(d.Pool) }
func (d pgDatabase) service(opts ...auth.Option) (*auth.Service, error) {
	return auth.New(d.Pool, opts...)
}
func (d pgDatabase) migrate(ctx context.Context, s runtime.Settings) error {
	return migrate(ctx, d.Pool, s)
}

// liteDatabase is a SQLite database.
type liteDatabase struct{ db *sql.DB }

func (d liteDatabase) Ping(ctx context.Context) error {
	if err := d.db.PingContext(ctx); err != nil {
		return runtime.Unavailable(err)
	}
	return nil
}
func (d liteDatabase) users() *Users { return NewSQLiteUsers(d.db) }
func (d liteDatabase) service(opts ...auth.Option) (*auth.Service, error) {
	return auth.NewSQLite(d.db, opts...)
}
func (d liteDatabase) migrate(ctx context.Context, s runtime.Settings) error {
	return migrateSQLite(ctx, d.db, s)
}

// dbErr marks err as runtime.ErrUnavailable when the database is unreachable
// (connection refused, timeout, shutdown…), so handlers answer 503; other
// errors are returned as they are.
func dbErr(err error) error {
	if c := runtime.LiteStoreError(err); errors.Is(c, runtime.ErrUnavailable) { // SQLite busy or closed, a done context
		return c
	}
	if c := runtime.StoreError(err, nil); errors.Is(c, runtime.ErrUnavailable) {
		return c
	}
	return err
}
