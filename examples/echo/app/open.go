package app

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Open connects to the database of cfg.DatabaseURL and builds the app over
// it (New). closeDB closes the database; it is a no-op on error.
func Open(ctx context.Context, cfg Config, opts ...Option) (a *App, closeDB func(), err error) {
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
