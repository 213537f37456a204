package auth_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/internal/pgtest"
	"github.com/authentify-go/authentify/runtime"
)

// TestCheckSchemaNamesCacheTriggers: a cache trigger dropped or disabled by
// hand is a *runtime.SchemaError naming it and the migration that creates
// it, from CheckSchema and Migrate alike, with the cache off too.
func TestCheckSchemaNamesCacheTriggers(t *testing.T) {
	svc, pool := newService(t)
	if err := svc.CheckSchema(bgCtx); err != nil {
		t.Fatalf("CheckSchema on a migrated database: %v", err)
	}
	pgtest.Exec(t, pool, `DROP TRIGGER authentify_cache_delete ON auth_tokens`)
	pgtest.Exec(t, pool, `ALTER TABLE auth_tokens DISABLE TRIGGER authentify_cache_update`)
	for name, f := range map[string]func() error{
		"CheckSchema": func() error { return svc.CheckSchema(bgCtx) },
		"Migrate":     func() error { return svc.Migrate(bgCtx) },
	} {
		err := f()
		if !runtime.IsSchemaError(err) {
			t.Errorf("%s = %v, want a *runtime.SchemaError", name, err)
			continue
		}
		for _, want := range []string{
			"trigger authentify_cache_delete is missing (made by migration 0003_authentify_base_v3.sql)",
			"trigger authentify_cache_update is disabled (made by migration 0003_authentify_base_v3.sql",
		} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %v\nwant it to contain %q", name, err, want)
			}
		}
		if strings.Contains(err.Error(), "authentify_cache_truncate") {
			t.Errorf("%s names the intact trigger authentify_cache_truncate:\n%v", name, err)
		}
	}
}

// TestListenCacheRefusesWithoutTrigger: with a cache trigger missing the
// listener does not let the cache serve (no instance would learn of a
// revocation); it logs the SchemaError naming the trigger, and the cache
// serves once the trigger is back.
func TestListenCacheRefusesWithoutTrigger(t *testing.T) {
	logs := &syncBuffer{}
	s := auth.DefaultSettings()
	s.CacheSize = 100
	svc, pool := newService(t, auth.WithSettings(s), auth.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	pgtest.Exec(t, pool, `DROP TRIGGER authentify_cache_update ON auth_tokens`)
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- svc.ListenCache(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-stopped; !errors.Is(err, context.Canceled) {
			t.Errorf("ListenCache returned %v, want context.Canceled", err)
		}
	})
	const want = "trigger authentify_cache_update is missing (made by migration 0003_authentify_base_v3.sql)"
	// Two refusals in the log: the listener retried and still refused.
	for start := time.Now(); strings.Count(logs.String(), want) < 2; time.Sleep(time.Millisecond) {
		if svc.Cache().Serving() {
			t.Fatal("the cache serves without its update trigger")
		}
		if time.Since(start) > cacheWait {
			t.Fatalf("the listener did not log %q; logs:\n%s", want, logs.String())
		}
	}
	if svc.Cache().Serving() {
		t.Fatal("the cache serves without its update trigger")
	}
	pgtest.Exec(t, pool, `CREATE TRIGGER authentify_cache_update AFTER UPDATE ON auth_tokens
REFERENCING OLD TABLE AS authentify_old_rows FOR EACH STATEMENT EXECUTE FUNCTION auth_tokens_cache_notify()`)
	for start := time.Now(); !svc.Cache().Serving(); time.Sleep(time.Millisecond) {
		if time.Since(start) > cacheWait {
			t.Fatal("the cache does not serve after the trigger was recreated")
		}
	}
}
