package litedb

import (
	"context"
	"path/filepath"
	"testing"
)

// TestOpenSetsPragmas checks that every pooled connection gets the pragmas
// (not only the first), on a path that needs escaping.
func TestOpenSetsPragmas(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "a b?#.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := range 3 { // three connections held at once
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var busy, fk int64
		var mode string
		if err := c.QueryRowContext(ctx, "SELECT (SELECT * FROM pragma_busy_timeout), (SELECT * FROM pragma_foreign_keys), (SELECT * FROM pragma_journal_mode)").Scan(&busy, &fk, &mode); err != nil {
			t.Fatal(err)
		}
		if busy != BusyTimeout.Milliseconds() || fk != 1 || mode != "wal" {
			t.Errorf("connection %d: busy_timeout %d, foreign_keys %d, journal_mode %s", i, busy, fk, mode)
		}
	}
}
