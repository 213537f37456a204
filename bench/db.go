package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// tokenTable is the token table of the example spec (table: in
// examples/echo/auth/authentify.yaml).
const tokenTable = "auth_tokens"

// scratchDB creates a database named authentify_bench_<random> on the
// server of adminURL and returns its URL and a function that drops it
// (WITH (FORCE), so that leftover connections do not block it).
func scratchDB(ctx context.Context, adminURL string) (dbURL string, drop func() error, err error) {
	u, err := url.Parse(adminURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", nil, fmt.Errorf("-db %q: want a postgres:// URL", adminURL)
	}
	name := "authentify_bench_" + strings.ToLower(rand.Text()[:10])
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", nil, fmt.Errorf("connect to %s: %w", u.Redacted(), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	drop = func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, adminURL)
		if err != nil {
			return fmt.Errorf("drop database %s: %w", name, err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop database %s: %w", name, err)
		}
		return nil
	}
	s := *u
	s.Path = "/" + name
	return s.String(), drop, nil
}

// cloneSpec says how cloneRows derives rows from the template row.
type cloneSpec struct {
	// Hashes are the access hashes of the new rows, one row each; when
	// empty, Count rows get random unique hashes (SHA-256 of a random salt
	// and a counter), which no token matches: filler.
	Hashes [][]byte
	Count  int
	// Expired sets expires_at a day in the past, so that the rows are what
	// RevokeExpiredTokens cleans up.
	Expired bool
	// Backdate sets last_refreshed_at so far in the past (0: keep).
	Backdate time.Duration
}

// cloneRows inserts rows into the token table copied from the template
// row (a session logged in through the API, so that every column holds
// what the app writes), with fresh access hashes, no refresh token, and
// the changes of spec. It names only the columns it overrides; the others
// are copied whatever they are.
func cloneRows(ctx context.Context, pool *pgxpool.Pool, templateID int64, spec cloneSpec) error {
	cols, err := copyableColumns(ctx, pool)
	if err != nil {
		return err
	}
	salt := rand.Text()
	var sel []string
	for _, c := range cols {
		expr := "t." + pgx.Identifier{c}.Sanitize()
		switch c {
		case "access_hash":
			if len(spec.Hashes) > 0 {
				expr = "h.hash"
			} else {
				expr = "sha256(convert_to($2 || g::text, 'UTF8'))"
			}
		case "refresh_hash", "prev_refresh_hash", "refresh_until":
			expr = "NULL"
		case "retired_refresh_hashes":
			expr = "'{}'"
		case "expires_at":
			if spec.Expired {
				expr = "now() - interval '1 day'"
			}
		case "last_refreshed_at":
			if spec.Backdate > 0 {
				expr = fmt.Sprintf("now() - interval '%d seconds'", int(spec.Backdate.Seconds()))
			}
		}
		sel = append(sel, expr)
	}
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = pgx.Identifier{c}.Sanitize()
	}
	q := "INSERT INTO " + tokenTable + " (" + strings.Join(quoted, ", ") + ") SELECT " + strings.Join(sel, ", ") +
		" FROM " + tokenTable + " AS t, "
	args := []any{templateID}
	if len(spec.Hashes) > 0 {
		q += "unnest($2::bytea[]) AS h(hash)"
		args = append(args, spec.Hashes)
	} else {
		q += "generate_series(1, $3::bigint) AS g"
		args = append(args, salt, spec.Count)
	}
	q += " WHERE t.id = $1"
	tag, err := pool.Exec(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("fill %s: %w", tokenTable, err)
	}
	if want := max(len(spec.Hashes), spec.Count); tag.RowsAffected() != int64(want) {
		return fmt.Errorf("fill %s: inserted %d rows, want %d (template row %d gone?)", tokenTable, tag.RowsAffected(), want, templateID)
	}
	return nil
}

// copyableColumns lists the token table's columns except identity and
// generated ones.
func copyableColumns(ctx context.Context, pool *pgxpool.Pool) ([]string, error) {
	rows, err := pool.Query(ctx, `SELECT column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1
		  AND is_identity = 'NO' AND is_generated = 'NEVER'
		ORDER BY ordinal_position`, tokenTable)
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", tokenTable, err)
	}
	cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", tokenTable, err)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("table %s not found: did the app create its schema?", tokenTable)
	}
	return cols, nil
}

// fillTo adds filler rows until the token table holds total live rows, in
// chunks, then vacuums and analyzes it.
func fillTo(ctx context.Context, pool *pgxpool.Pool, templateID int64, total int, logf func(string, ...any)) error {
	var have int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+tokenTable+" WHERE expires_at > now()").Scan(&have); err != nil {
		return fmt.Errorf("count %s: %w", tokenTable, err)
	}
	const chunk = 100_000
	start := time.Now()
	for have < total {
		n := min(chunk, total-have)
		if err := cloneRows(ctx, pool, templateID, cloneSpec{Count: n}); err != nil {
			return err
		}
		have += n
		logf("filled %d of %d live rows (%s)", have, total, time.Since(start).Round(time.Second))
	}
	return vacuum(ctx, pool)
}

// vacuum runs VACUUM ANALYZE on the token table, so that every run starts
// from the same plan and visibility map.
func vacuum(ctx context.Context, pool *pgxpool.Pool) error {
	if _, err := pool.Exec(ctx, "VACUUM ANALYZE "+tokenTable); err != nil {
		return fmt.Errorf("vacuum %s: %w", tokenTable, err)
	}
	return nil
}

// updates returns the n_tup_upd counter of the token table once it has
// stopped moving: PostgreSQL backends flush their counters about once a
// second when idle, so a reading right after a run can lag.
func updates(ctx context.Context, pool *pgxpool.Pool) (int64, error) {
	read := func() (int64, error) {
		var n int64
		err := pool.QueryRow(ctx, "SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = $1", tokenTable).Scan(&n)
		if err != nil {
			return 0, fmt.Errorf("n_tup_upd of %s: %w", tokenTable, err)
		}
		return n, nil
	}
	prev, err := read()
	if err != nil {
		return 0, err
	}
	for range 10 {
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(1200 * time.Millisecond):
		}
		n, err := read()
		if err != nil {
			return 0, err
		}
		if n == prev {
			return n, nil
		}
		prev = n
	}
	return prev, nil
}

// deleteExpired deletes expired rows in batches of batch, the way the
// service's RevokeExpiredTokens does when keep_expired_tokens is off (one
// DELETE … WHERE id IN (SELECT … LIMIT batch FOR UPDATE SKIP LOCKED) per
// batch, each its own transaction), until none is left or ctx is done. It
// returns the rows deleted and the batches run.
func deleteExpired(ctx context.Context, pool *pgxpool.Pool, batch int) (deleted int64, batches int, err error) {
	q := `DELETE FROM ` + tokenTable + ` WHERE id IN (
		SELECT e.id FROM ` + tokenTable + ` AS e
		WHERE e.expires_at <= now() AND (e.refresh_until IS NULL OR e.refresh_until <= now())
		LIMIT $1 FOR UPDATE SKIP LOCKED)`
	for {
		tag, err := pool.Exec(ctx, q, batch)
		if err != nil {
			return deleted, batches, fmt.Errorf("delete expired rows: %w", err)
		}
		batches++
		deleted += tag.RowsAffected()
		if tag.RowsAffected() < int64(batch) {
			return deleted, batches, nil
		}
	}
}
