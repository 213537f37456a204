package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/authentify-go/authentify/litedb"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Open opens the database cfg.DatabaseURL names — a SQLite file for
// sqlite:PATH (the default, DefaultSQLiteFile), PostgreSQL for a
// postgres:// URL — says which in a log line (the first one of the
// example) and builds the app over it (NewSQLite or New). closeDB closes
// the database; it is a no-op on error.
func Open(ctx context.Context, cfg Config, opts ...Option) (a *App, closeDB func(), err error) {
	path, sqlite, err := cfg.SQLitePath()
	if err != nil {
		return nil, func() {}, err
	}
	if sqlite {
		slog.Info("database: SQLite file "+path+" (set DATABASE_URL=postgres://… to use PostgreSQL)", "engine", "sqlite", "path", path)
		db, err := litedb.Open(ctx, path)
		if err != nil {
			return nil, func() {}, fmt.Errorf("database: %w", err)
		}
		a, err = NewSQLite(ctx, db, cfg, opts...)
		if err != nil {
			db.Close()
			return nil, func() {}, err
		}
		return a, func() { db.Close() }, nil
	}
	slog.Info("database: PostgreSQL", "engine", "postgresql")
	pool, err := pgxpool.New(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, func() {}, fmt.Errorf("database: %w", err)
	}
	a, err = New(ctx, pool, cfg, opts...)
	if err != nil {
		pool.Close()
		return nil, func() {}, err
	}
	return a, pool.Close, nil
}
