package auth_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/runtime"
)

// TestCacheStalePutRace is the revoke-vs-read race, made deterministic with a
// hook between B's database read and its put: B reads the row while it is
// active, A revokes it and B handles the notification, then B offers the row
// it read. The put must be refused: the next verify on B reads the database
// and refuses the token.
func TestCacheStalePutRace(t *testing.T) {
	a, b := newCachePair(t, nil)
	user := newUser(t, pgDB(a.pool), "ann")
	victim := issue(t, a.svc, user, "laptop")
	witness := issue(t, a.svc, user, "phone")
	if !b.cached(t, witness.AccessToken.Reveal()) {
		t.Fatal("B did not cache the witness")
	}
	read, release := make(chan struct{}), make(chan struct{})
	hook := func() { close(read); <-release }
	b.afterRead.Store(&hook)
	done := make(chan error, 1)
	go func() {
		_, err := b.verify(t, victim.AccessToken.Reveal())
		done <- err
	}()
	<-read // B has read the active row and not yet offered it to its cache
	// One statement revokes both: once B refuses the witness (which it had
	// cached), B has handled the notification that concerns the victim too.
	if _, err := a.pool.Exec(t.Context(), `UPDATE auth_tokens SET revoked_at = now(), revoke_reason = 'logout' WHERE id = ANY($1)`,
		[]int64{victim.Token.ID, witness.Token.ID}); err != nil {
		t.Fatal(err)
	}
	b.waitRefused(t, "the revocation", witness.AccessToken.Reveal())
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("the verify that read before the revocation: %v, want the row it read", err)
	}
	before := b.reads.Load()
	_, err := b.verify(t, victim.AccessToken.Reveal())
	wantReason(t, "B after the race", err, runtime.ReasonRevoked)
	if b.reads.Load() == before {
		t.Error("B answered from its cache: the stale put went in")
	}
}

// TestCacheStressNoStaleEntry runs readers on B against revocations on A
// (under -race), in rounds over a few tokens so that reads and revocations
// of the same token often overlap, with B's reads slowed down after they
// return to widen the window before the put: every revoked token ends
// refused on B, and once refused it stays refused, so no read that raced
// with a revocation left a stale entry.
func TestCacheStressNoStaleEntry(t *testing.T) {
	a, b := newCachePair(t, nil)
	uids := []int64{newUser(t, pgDB(a.pool), "ann"), newUser(t, pgDB(a.pool), "bob")}
	const rounds, perUser = 5, 10
	rng := rand.New(rand.NewPCG(7, 7))
	var lat []time.Duration
	for round := range rounds {
		var raws []string
		var toks []auth.Token
		for _, uid := range uids {
			for range perUser {
				iss := issue(t, a.svc, uid, "d")
				raws, toks = append(raws, iss.AccessToken.Reveal()), append(toks, iss.Token)
			}
		}
		b.slowReads.Store(50000)
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		for r := range 8 {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(round), uint64(r)))
				for ctx.Err() == nil {
					_, err := b.svc.VerifyToken(ctx, raws[rng.IntN(len(raws))], runtime.AnyTransport)
					var ae *runtime.AuthError
					if err != nil && !errors.As(err, &ae) && ctx.Err() == nil {
						t.Errorf("B: verify: %v", err)
						return
					}
				}
			})
		}
		time.Sleep(20 * time.Millisecond) // let B fill its cache
		// Revoke every token, mostly one at a time, sometimes a user's all.
		revoked := map[int]bool{}
		for _, i := range rng.Perm(len(toks)) {
			if revoked[i] {
				continue
			}
			if rng.IntN(20) == 0 {
				if _, err := a.svc.RevokeAllUserTokens(t.Context(), uids[i/perUser]); err != nil {
					t.Fatal(err)
				}
				for j := i / perUser * perUser; j < (i/perUser+1)*perUser; j++ {
					revoked[j] = true
				}
				continue
			}
			if err := a.svc.RevokeToken(t.Context(), toks[i]); err != nil {
				t.Fatal(err)
			}
			revoked[i] = true
			time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond)
		}
		time.Sleep(20 * time.Millisecond) // the readers race a little longer
		cancel()
		wg.Wait()
		b.slowReads.Store(0)
		for i, raw := range raws {
			lat = append(lat, b.waitRefused(t, "revocation "+itoa(int64(i)), raw))
		}
		for _, raw := range raws {
			if _, err := b.verify(t, raw); err == nil {
				t.Fatal("B served a revoked token again after refusing it")
			}
		}
	}
	t.Logf("B refused every revoked token; wait after the last revocation of a round: %s", latencies(lat))
}

// TestCacheListenerKilled: when the listener's backend is terminated, B's
// cache stands aside (every verify reads the database) until the listener is
// back and the cache was emptied; a revocation committed while it was away
// is not served from the cache afterwards.
func TestCacheListenerKilled(t *testing.T) {
	a, b := newCachePair(t, nil)
	user := newUser(t, pgDB(a.pool), "ann")
	iss := issue(t, a.svc, user, "laptop")
	raw := iss.AccessToken.Reveal()
	if !b.cached(t, raw) {
		t.Fatal("B did not cache the token")
	}
	listeners := func() []int32 {
		rows, err := a.pool.Query(t.Context(), `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'`)
		if err != nil {
			t.Fatal(err)
		}
		var pids []int32
		for rows.Next() {
			var pid int32
			if err := rows.Scan(&pid); err != nil {
				t.Fatal(err)
			}
			pids = append(pids, pid)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return pids
	}
	if n := len(listeners()); n != 2 {
		t.Fatalf("%d listener backends, want 2 (A and B)", n)
	}
	// Revoke in a transaction that commits only once B's listener is gone:
	// the notification is sent to no one on B's side.
	tx, err := a.pool.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(t.Context(), `UPDATE auth_tokens SET revoked_at = now(), revoke_reason = 'logout' WHERE id = $1`, iss.Token.ID); err != nil {
		t.Fatal(err)
	}
	for _, pid := range listeners() {
		if _, err := a.pool.Exec(t.Context(), `SELECT pg_terminate_backend($1)`, pid); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, "B's cache to stand aside", func() bool { return !b.svc.Cache().Serving() })
	if err := tx.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
	before := b.reads.Load()
	_, err = b.verify(t, raw)
	wantReason(t, "B while its listener is away", err, runtime.ReasonRevoked)
	if b.reads.Load() == before && !b.svc.Cache().Serving() {
		t.Error("B answered from its cache while its listener was away")
	}
	d := waitServing(t, b)
	t.Logf("B's listener was back after %s", d)
	_, err = b.verify(t, raw)
	wantReason(t, "B after its listener is back", err, runtime.ReasonRevoked)
	other := issue(t, a.svc, user, "phone")
	waitUntil(t, "B to cache again", func() bool { return b.cached(t, other.AccessToken.Reveal()) })
}

// TestCacheBulkNotifications counts the notifications of bulk changes on a
// LISTEN connection of the test's own: one per statement (a "t:" list, one
// user's "u:", or a "*" flush), none for inserts and none for a cleanup of
// rows no cache may serve.
func TestCacheBulkNotifications(t *testing.T) {
	svc, pool := newService(t)
	got := notifications(t, pool)
	ann, bob := newUser(t, pgDB(pool), "ann"), newUser(t, pgDB(pool), "bob")
	insert := func(user int64, n int, expires string) {
		t.Helper()
		if _, err := pool.Exec(t.Context(), `INSERT INTO auth_tokens (user_id, auth_type, access_hash, created_at, last_refreshed_at, expires_at)
			SELECT $1::bigint, 'header', sha256(($1::bigint::text || ':' || g::text || ':' || $3::text)::bytea), now(), now(), `+expires+`
			FROM generate_series(1, $2) g`, user, n, expires); err != nil {
			t.Fatal(err)
		}
	}
	insert(ann, 300, "now() + interval '1 hour'")
	if p := got(); len(p) != 0 {
		t.Fatalf("inserts notified %d times", len(p))
	}
	// Logout everywhere of 300 sessions: one "t:" list.
	if n, err := svc.RevokeAllUserTokens(t.Context(), ann); err != nil || n != 300 {
		t.Fatalf("RevokeAllUserTokens: %d, %v", n, err)
	}
	p := got()
	if len(p) != 1 || !strings.HasPrefix(p[0], "t:") || strings.Count(p[0], ",") != 299 {
		t.Fatalf("logout of 300 sessions: %d notifications %.60q…, want one t: list of 300 ids", len(p), p)
	}
	// Too many ids for one payload, one user: "u:".
	insert(ann, 3000, "now() + interval '1 hour'")
	got()
	if _, err := svc.RevokeAllUserTokens(t.Context(), ann); err != nil {
		t.Fatal(err)
	}
	if p := got(); len(p) != 1 || p[0] != "u:"+itoa(ann) {
		t.Fatalf("logout of 3000 sessions: %d notifications %.60q, want [u:%d]", len(p), p, ann)
	}
	// Many users: "*".
	insert(ann, 3000, "now() + interval '1 hour'")
	insert(bob, 3000, "now() + interval '1 hour'")
	got()
	if _, err := pool.Exec(t.Context(), `UPDATE auth_tokens SET revoked_at = now(), revoke_reason = 'logout' WHERE revoked_at IS NULL`); err != nil {
		t.Fatal(err)
	}
	if p := got(); len(p) != 1 || p[0] != "*" {
		t.Fatalf("revoke of 6000 sessions of two users: %d notifications %.60q, want [*]", len(p), p)
	}
	// A cleanup of rows long expired, and of rows already revoked: nothing.
	insert(bob, 5000, "now() - interval '1 hour'")
	got()
	n, err := svc.RevokeExpiredTokens(t.Context())
	if err != nil || n != 5000 {
		t.Fatalf("RevokeExpiredTokens: %d, %v; want 5000", n, err)
	}
	if _, err := pool.Exec(t.Context(), `DELETE FROM auth_tokens WHERE revoked_at IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
	if p := got(); len(p) != 0 {
		t.Fatalf("cleanup of rows no cache may serve: %d notifications %.60q, want none", len(p), p)
	}
}
