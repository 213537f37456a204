package auth_test

// Behaviour guarantees of the generated service and middleware against real
// PostgreSQL: the races drf-authentify loses (refresh double spend, revoked
// tokens revived by auto-refresh, unserialized single login). The absolute
// session lifetime is in guarantees_lifetime_test.go; CSRF, the HTTP edge
// cases and secret hygiene in guarantees_http_test.go; the outage guarantees
// (503, never 401) in outage_test.go.

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/runtime"
)

var (
	propSeed = flag.Uint64("authentify.seed", 0x5eed_a11ce, "seed of the max-lifetime property test")
)

// epoch is where every fake clock starts: far from time.Now, so that a code path
// reading the wall clock instead of the injected one shows.
var epoch = time.Date(2031, time.March, 4, 5, 6, 7, 0, time.UTC)

// testSecretKey is a 32-byte key, enough for runtime.Settings.SecretKey.
var testSecretKey = []byte("0123456789abcdef0123456789abcdef")

var bgCtx = context.Background()

// newPooledService is newEngineService with a PostgreSQL pool of maxConns
// connections (the default pool has only max(4, NumCPU), too few to race),
// usable from benchmarks too.
func newPooledService(tb testing.TB, e engine, maxConns int32, opts ...auth.Option) (*auth.Service, *testDB) {
	tb.Helper()
	d := newEngineDB(tb, e, maxConns)
	return serviceOn(tb, d, opts...), d
}

func addUser(tb testing.TB, pool *testDB, name string) int64 {
	tb.Helper()
	var id int64
	if err := pool.QueryRow(bgCtx, `INSERT INTO users (username) VALUES ($1) RETURNING id`, name).Scan(&id); err != nil {
		tb.Fatalf("insert user %q: %v", name, err)
	}
	return id
}

// sqlCount runs a query returning one integer.
func sqlCount(tb testing.TB, pool *testDB, sql string, args ...any) int64 {
	tb.Helper()
	var n int64
	if err := pool.QueryRow(bgCtx, sql, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
	return n
}

// tick returns a clock function that advances c by step on every reading, so
// that an auto-refresh is due on every request even with a fake clock.
func tickingClock(c *clock, step time.Duration) func() time.Time {
	return func() time.Time {
		c.Advance(step)
		return c.Now()
	}
}

func bearerRequest(method, target, raw string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	r.Header.Set("Authorization", "Bearer "+raw)
	return r
}

func cookieAuthRequest(method, target, name, raw string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	r.AddCookie(&http.Cookie{Name: name, Value: raw})
	return r
}

// ---------------------------------------------------------------------------
// 1. Refresh is atomic.

// rotationLog installs a trigger that records every UPDATE writing
// prev_refresh_hash. Only RotateToken writes it, so the log counts the
// rotations that really happened, even identical ones.
func rotationLog(tb testing.TB, pool *testDB) {
	tb.Helper()
	if pool.engine == engineLite {
		pool.mustExec(tb, `CREATE TABLE rotation_log (id INTEGER PRIMARY KEY, token_id INTEGER NOT NULL, prev BLOB, next BLOB)`)
		pool.mustExec(tb, `CREATE TRIGGER log_rotation AFTER UPDATE OF prev_refresh_hash ON auth_tokens
BEGIN
  INSERT INTO rotation_log (token_id, prev, next) VALUES (NEW.id, NEW.prev_refresh_hash, NEW.refresh_hash);
END`)
		return
	}
	pool.mustExec(tb, `CREATE TABLE rotation_log (id bigserial PRIMARY KEY, token_id bigint NOT NULL, prev bytea, next bytea)`)
	pool.mustExec(tb, `CREATE FUNCTION log_rotation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO rotation_log (token_id, prev, next) VALUES (NEW.id, NEW.prev_refresh_hash, NEW.refresh_hash);
  RETURN NEW;
END $$`)
	pool.mustExec(tb, `CREATE TRIGGER log_rotation AFTER UPDATE OF prev_refresh_hash ON auth_tokens
FOR EACH ROW EXECUTE FUNCTION log_rotation()`)
}

type refreshResult struct {
	iss auth.Issued
	err error
}

// raceRefresh redeems raw from n goroutines released at once and returns the
// results and the wall time from release to the last answer.
func raceRefresh(svc *auth.Service, raw string, n int) ([]refreshResult, time.Duration) {
	res := make([]refreshResult, n)
	start := make(chan struct{})
	var ready, done sync.WaitGroup
	for i := range n {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			res[i].iss, res[i].err = svc.RefreshToken(bgCtx, raw)
		}()
	}
	ready.Wait()
	begin := time.Now()
	close(start)
	done.Wait()
	return res, time.Since(begin)
}

// checkRefreshRace runs n concurrent refreshes of one token and checks the
// atomicity guarantee; it returns the time the race took.
func checkRefreshRace(tb testing.TB, e engine, n int, withKey bool) time.Duration {
	tb.Helper()
	c := newClock(epoch)
	svc, pool := newPooledService(tb, e, 20, auth.WithClock(c.Now), settings(func(s *runtime.Settings) {
		if withKey {
			s.SecretKey = testSecretKey
		}
	}))
	rotationLog(tb, pool)
	uid := addUser(tb, pool, "racer")
	orig, err := svc.GenerateHeaderToken(bgCtx, uid, auth.Context{Device: "phone"})
	if err != nil {
		tb.Fatal(err)
	}
	var oldHash []byte
	if err := pool.QueryRow(bgCtx, `SELECT refresh_hash FROM auth_tokens WHERE id = $1`, orig.Token.ID).Scan(&oldHash); err != nil {
		tb.Fatal(err)
	}

	res, elapsed := raceRefresh(svc, orig.RefreshToken.Reveal(), n)

	var wins []auth.Issued
	reasons := map[runtime.Reason]int{}
	for _, r := range res {
		if r.err != nil {
			reasons[runtime.ReasonOf(r.err)]++
			if runtime.ReasonOf(r.err) != runtime.ReasonRefreshRace {
				tb.Errorf("racer failed with %v (reason %q); want success or %q", r.err, runtime.ReasonOf(r.err), runtime.ReasonRefreshRace)
			}
			continue
		}
		wins = append(wins, r.iss)
	}
	if got := sqlCount(tb, pool, `SELECT count(*) FROM rotation_log`); got != 1 {
		tb.Errorf("%d rotations happened (UPDATEs writing prev_refresh_hash); want exactly 1", got)
	}
	if got := sqlCount(tb, pool, `SELECT count(*) FROM auth_tokens`); got != 1 {
		tb.Errorf("%d token rows; want 1 (the session is rotated in place)", got)
	}
	var prev []byte
	var rotatedAt *time.Time
	if err := pool.QueryRow(bgCtx, `SELECT prev_refresh_hash, rotated_at FROM auth_tokens WHERE id = $1`, orig.Token.ID).Scan(&prev, &rotatedAt); err != nil {
		tb.Fatal(err)
	}
	if !bytes.Equal(prev, oldHash) || rotatedAt == nil {
		tb.Errorf("prev_refresh_hash = %x, rotated_at = %v; want the presented token's hash %x and a rotation time", prev, rotatedAt, oldHash)
	}

	if withKey {
		if len(wins) != n {
			tb.Fatalf("%d of %d racers succeeded (failures by reason: %v); with a secret key every racer inside the grace window must get the pair", len(wins), n, reasons)
		}
		for i, w := range wins {
			if w.AccessToken.Reveal() != wins[0].AccessToken.Reveal() || w.RefreshToken.Reveal() != wins[0].RefreshToken.Reveal() {
				tb.Fatalf("racer %d got a different pair than racer 0; every racer must get the same new pair", i)
			}
			if w.Token.ID != orig.Token.ID || !w.Token.CreatedAt.Equal(orig.Token.CreatedAt) || !sameInstant(w.Token.ExpiresAt, wins[0].Token.ExpiresAt) || !sameInstant(w.Token.RefreshUntil, wins[0].Token.RefreshUntil) {
				tb.Fatalf("racer %d got token %+v; want the same session as racer 0 (%+v)", i, w.Token.Record, wins[0].Token.Record)
			}
		}
	} else {
		if len(wins) != 1 || reasons[runtime.ReasonRefreshRace] != n-1 {
			tb.Fatalf("%d racers succeeded, failures by reason %v; want exactly 1 success and %d × %q", len(wins), reasons, n-1, runtime.ReasonRefreshRace)
		}
	}
	win := wins[0]
	if win.AccessToken.Reveal() == orig.AccessToken.Reveal() || win.RefreshToken.Reveal() == orig.RefreshToken.Reveal() {
		tb.Fatal("refresh returned the old pair")
	}
	// The session stays valid: the winner's pair works, the old access token does not.
	if _, err := svc.VerifyToken(bgCtx, win.AccessToken.Reveal(), runtime.TransportHeader); err != nil {
		tb.Errorf("the new access token does not verify: %v", err)
	}
	if _, err := svc.VerifyToken(bgCtx, orig.AccessToken.Reveal(), runtime.TransportHeader); runtime.ReasonOf(err) != runtime.ReasonInvalid {
		tb.Errorf("the old access token: err = %v; want reason %q", err, runtime.ReasonInvalid)
	}
	next, err := svc.RefreshToken(bgCtx, win.RefreshToken.Reveal())
	if err != nil {
		tb.Errorf("the new refresh token cannot be redeemed: %v", err)
	} else if next.Token.ID != orig.Token.ID {
		tb.Errorf("second refresh moved to session %d; want %d", next.Token.ID, orig.Token.ID)
	}
	return elapsed
}

func sameInstant(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func TestConcurrentRefreshWithSecretKeyRotatesOnceAndEveryRacerGetsTheSamePair(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		d := checkRefreshRace(t, e, 50, true)
		t.Logf("50 concurrent refreshes (secret key): %v", d)
	})
}

func TestConcurrentRefreshWithoutSecretKeyRotatesOnceAndLosersGetRefreshRace(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		d := checkRefreshRace(t, e, 50, false)
		t.Logf("50 concurrent refreshes (no secret key): %v", d)
	})
}

// TestConcurrentRefreshHeavy is the 1000-racer variant; it runs on every
// `go test` (about 3 s under -race), so CI checks it too.
func TestConcurrentRefreshHeavy(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		for _, withKey := range []bool{true, false} {
			t.Run(fmt.Sprintf("secret_key=%v", withKey), func(t *testing.T) {
				d := checkRefreshRace(t, e, 1000, withKey)
				t.Logf("1000 concurrent refreshes (secret key %v): %v", withKey, d)
			})
		}
	})
}

// BenchmarkConcurrentRefresh measures one race of 50 or 1000 concurrent
// refreshes of a single token (checked as in the tests).
func BenchmarkConcurrentRefresh(b *testing.B) {
	for _, e := range engines {
		for _, n := range []int{50, 1000} {
			for _, withKey := range []bool{true, false} {
				b.Run(fmt.Sprintf("%s/racers=%d/secret_key=%v", e, n, withKey), func(b *testing.B) {
					var total time.Duration
					for b.Loop() {
						total += checkRefreshRace(b, e, n, withKey)
					}
					b.ReportMetric(float64(total.Microseconds())/float64(b.N)/1000, "ms/race")
				})
			}
		}
	}
}

// ---------------------------------------------------------------------------
// 2. Reuse is theft.

func TestReplayedRefreshTokenAfterGraceWindowRevokesTheSession(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		for _, keep := range []bool{true, false} {
			t.Run(fmt.Sprintf("keep_expired_tokens=%v", keep), func(t *testing.T) {
				c := newClock(epoch)
				var reused atomic.Int64
				var reusedID atomic.Int64
				var revokes []runtime.RevokeEvent
				var mu sync.Mutex
				svc, pool := newEngineService(t, e, auth.WithClock(c.Now),
					settings(func(s *runtime.Settings) { s.KeepExpiredTokens = keep }),
					auth.WithOnReuseDetected(func(_ context.Context, tok auth.Token) {
						reused.Add(1)
						reusedID.Store(tok.ID)
					}),
					auth.WithOnRevoke(func(_ context.Context, ev runtime.RevokeEvent) {
						mu.Lock()
						defer mu.Unlock()
						revokes = append(revokes, ev)
					}))
				grace := svc.Settings().RefreshGracePeriod
				uid := newUser(t, pool, "victim")
				orig, err := svc.GenerateHeaderToken(bgCtx, uid, auth.Context{Device: "laptop"})
				if err != nil {
					t.Fatal(err)
				}
				cur, err := svc.RefreshToken(bgCtx, orig.RefreshToken.Reveal())
				if err != nil {
					t.Fatal(err)
				}

				// Inside the grace window a replay is a benign race: refused, nothing revoked.
				c.Advance(grace - time.Second)
				_, err = svc.RefreshToken(bgCtx, orig.RefreshToken.Reveal())
				if runtime.ReasonOf(err) != runtime.ReasonRefreshRace {
					t.Fatalf("replay inside the grace window: err = %v; want reason %q", err, runtime.ReasonRefreshRace)
				}
				if _, err := svc.VerifyToken(bgCtx, cur.AccessToken.Reveal(), runtime.TransportHeader); err != nil {
					t.Fatalf("a replay inside the grace window broke the session: %v", err)
				}
				if reused.Load() != 0 {
					t.Fatal("reuse hook called inside the grace window")
				}

				// After it, the replay is theft.
				c.Advance(2 * time.Second)
				_, err = svc.RefreshToken(bgCtx, orig.RefreshToken.Reveal())
				if runtime.ReasonOf(err) != runtime.ReasonRefreshReused {
					t.Fatalf("replay after the grace window: err = %v; want reason %q", err, runtime.ReasonRefreshReused)
				}
				if runtime.HTTPStatus(err) != http.StatusUnauthorized {
					t.Errorf("reuse maps to HTTP %d; want 401", runtime.HTTPStatus(err))
				}
				if n := reused.Load(); n != 1 || reusedID.Load() != orig.Token.ID {
					t.Fatalf("OnReuseDetected called %d times for token %d; want once for %d", n, reusedID.Load(), orig.Token.ID)
				}

				// The whole session is gone: access (verify and request) and refresh.
				if _, err := svc.VerifyToken(bgCtx, cur.AccessToken.Reveal(), runtime.TransportHeader); runtime.HTTPStatus(err) != http.StatusUnauthorized {
					t.Errorf("current access token after reuse: err = %v; want a 401-class refusal", err)
				}
				if _, _, err := svc.AuthenticateRequest(bearerRequest("GET", "/", cur.AccessToken.Reveal())); runtime.HTTPStatus(err) != http.StatusUnauthorized {
					t.Errorf("request with the current access token after reuse: err = %v; want a 401-class refusal", err)
				}
				if _, err := svc.RefreshToken(bgCtx, cur.RefreshToken.Reveal()); runtime.HTTPStatus(err) != http.StatusUnauthorized {
					t.Errorf("current refresh token after reuse: err = %v; want a 401-class refusal", err)
				}
				if keep {
					var reason *string
					var revokedAt *time.Time
					if err := pool.QueryRow(bgCtx, `SELECT revoke_reason, revoked_at FROM auth_tokens WHERE id = $1`, orig.Token.ID).Scan(&reason, &revokedAt); err != nil {
						t.Fatal(err)
					}
					if reason == nil || *reason != runtime.RevokedRefreshReuse || revokedAt == nil {
						t.Errorf("revoke_reason = %v, revoked_at = %v; want %q and a time", reason, revokedAt, runtime.RevokedRefreshReuse)
					}
				} else if n := sqlCount(t, pool, `SELECT count(*) FROM auth_tokens`); n != 0 {
					t.Errorf("%d rows left; with keep_expired_tokens=false the session row must be deleted", n)
				}

				// Replaying again is refused without a second alarm.
				if _, err := svc.RefreshToken(bgCtx, orig.RefreshToken.Reveal()); runtime.HTTPStatus(err) != http.StatusUnauthorized {
					t.Errorf("second replay: err = %v; want a 401-class refusal", err)
				}
				if n := reused.Load(); n != 1 {
					t.Errorf("OnReuseDetected called %d times in all; want 1", n)
				}
				mu.Lock()
				defer mu.Unlock()
				if len(revokes) != 1 || revokes[0].Reason != runtime.RevokedRefreshReuse || revokes[0].Soft != keep || revokes[0].Count != 1 {
					t.Errorf("OnRevoke events %+v; want one refresh_reuse event of 1 row, soft=%v", revokes, keep)
				}
			})
		}
	})
}

// ---------------------------------------------------------------------------
// 3. Revoked stays revoked.

func TestRevokeRacingAutoRefreshStaysRevoked(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		const (
			rounds     = 6
			goroutines = 6
			before     = 15 // successful requests before the revoke
			after      = 8  // requests per goroutine started after the revoke committed
			revokers   = 3  // concurrent RevokeToken calls
		)
		for _, keep := range []bool{true, false} {
			t.Run(fmt.Sprintf("keep_expired_tokens=%v", keep), func(t *testing.T) {
				c := newClock(epoch)
				svc, pool := newPooledService(t, e, 12, auth.WithClock(tickingClock(c, time.Millisecond)), settings(func(s *runtime.Settings) {
					s.KeepExpiredTokens = keep
					s.AutoRefresh = true
					s.AutoRefreshInterval = 0 // an auto-refresh (a write) is due on every request
				}))
				uid := newUser(t, pool, "hammer")
				// Record every write to a row that was already revoked (none may happen).
				if pool.engine == engineLite {
					pool.mustExec(t, `CREATE TABLE revoked_writes (id INTEGER, old_exp INTEGER, new_exp INTEGER)`)
					pool.mustExec(t, `CREATE TRIGGER log_revoked_write AFTER UPDATE ON auth_tokens FOR EACH ROW WHEN OLD.revoked_at IS NOT NULL
	BEGIN
	  INSERT INTO revoked_writes VALUES (OLD.id, OLD.expires_at, NEW.expires_at);
	END`)
				} else {
					pool.mustExec(t, `CREATE TABLE revoked_writes (id bigint, old_exp timestamptz, new_exp timestamptz)`)
					pool.mustExec(t, `CREATE FUNCTION log_revoked_write() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
	  INSERT INTO revoked_writes VALUES (OLD.id, OLD.expires_at, NEW.expires_at);
	  RETURN NEW;
	END $$`)
					pool.mustExec(t, `CREATE TRIGGER log_revoked_write AFTER UPDATE ON auth_tokens
	FOR EACH ROW WHEN (OLD.revoked_at IS NOT NULL) EXECUTE FUNCTION log_revoked_write()`)
				}
				var served, refusedAfter, slides atomic.Int64
				for round := range rounds {
					iss, err := svc.GenerateHeaderToken(bgCtx, uid, auth.Context{Device: "d"})
					if err != nil {
						t.Fatal(err)
					}
					raw := iss.AccessToken.Reveal()
					var revoking, revoked atomic.Bool
					var ok atomic.Int64
					var wg sync.WaitGroup
					errs := make(chan error, goroutines*(after+1))
					for range goroutines {
						wg.Add(1)
						go func() {
							defer wg.Done()
							postRevoke := 0
							for postRevoke < after {
								startedAfterRevoke := revoked.Load()
								tok, _, err := svc.AuthenticateRequest(bearerRequest("GET", "/", raw))
								served.Add(1)
								if startedAfterRevoke {
									postRevoke++
								}
								switch {
								case err == nil && startedAfterRevoke:
									errs <- fmt.Errorf("round %d: a request started after the revoke committed authenticated (token %d, expires %v)", round, tok.ID, tok.ExpiresAt)
									return
								case err == nil:
									ok.Add(1)
									if tok.LastRefreshedAt.After(iss.Token.LastRefreshedAt) {
										slides.Add(1)
									}
								default:
									var ae *runtime.AuthError
									if !errors.As(err, &ae) || runtime.HTTPStatus(err) != http.StatusUnauthorized || errors.Is(err, runtime.ErrUnavailable) {
										errs <- fmt.Errorf("round %d: err = %v (HTTP %d); want a 401-class *runtime.AuthError", round, err, runtime.HTTPStatus(err))
										return
									}
									if !revoking.Load() {
										errs <- fmt.Errorf("round %d: refused before any revoke: %v", round, err)
										return
									}
									if startedAfterRevoke {
										refusedAfter.Add(1)
									}
								}
							}
						}()
					}
					for ok.Load() < before && len(errs) == 0 {
						time.Sleep(100 * time.Microsecond)
					}
					// Several concurrent logouts of the same token: exactly one
					// revokes it, the others find nothing left to revoke.
					revoking.Store(true)
					revokeErrs := make([]error, revokers)
					var rwg sync.WaitGroup
					for i := range revokers {
						rwg.Add(1)
						go func() {
							defer rwg.Done()
							revokeErrs[i] = svc.RevokeToken(bgCtx, iss.Token)
						}()
					}
					rwg.Wait()
					revoked.Store(true)
					wins := 0
					for _, err := range revokeErrs {
						switch {
						case err == nil:
							wins++
						case !errors.Is(err, runtime.ErrNotFound):
							t.Fatalf("round %d: revoke: %v", round, err)
						}
					}
					if wins != 1 {
						t.Fatalf("round %d: %d of %d concurrent revokes succeeded; want exactly 1 (the others: runtime.ErrNotFound)", round, wins, revokers)
					}
					// Snapshot the row right after the revoke committed: nothing may
					// change its expiry afterwards.
					var snapExp, snapRefreshed, snapRevoked *time.Time
					rowErr := pool.QueryRow(bgCtx, `SELECT expires_at, last_refreshed_at, revoked_at FROM auth_tokens WHERE id = $1`, iss.Token.ID).
						Scan(&snapExp, &snapRefreshed, &snapRevoked)
					wg.Wait()
					close(errs)
					for err := range errs {
						t.Fatal(err)
					}
					if !keep {
						if n := sqlCount(t, pool, `SELECT count(*) FROM auth_tokens WHERE id = $1`, iss.Token.ID); n != 0 {
							t.Fatalf("round %d: a deleted row came back", round)
						}
						continue
					}
					if rowErr != nil {
						t.Fatal(rowErr)
					}
					var exp, refreshed, revokedAt *time.Time
					if err := pool.QueryRow(bgCtx, `SELECT expires_at, last_refreshed_at, revoked_at FROM auth_tokens WHERE id = $1`, iss.Token.ID).
						Scan(&exp, &refreshed, &revokedAt); err != nil {
						t.Fatal(err)
					}
					if revokedAt == nil || !sameInstant(revokedAt, snapRevoked) {
						t.Fatalf("round %d: revoked_at = %v; want it kept at %v", round, revokedAt, snapRevoked)
					}
					if !sameInstant(exp, snapExp) || !sameInstant(refreshed, snapRefreshed) {
						t.Fatalf("round %d: after the revoke committed, expires_at went %v → %v and last_refreshed_at %v → %v; a revoked row must never slide",
							round, snapExp, exp, snapRefreshed, refreshed)
					}
				}
				if n := sqlCount(t, pool, `SELECT count(*) FROM revoked_writes`); n != 0 {
					t.Fatalf("%d UPDATEs wrote to an already revoked row (an auto-refresh slid a revoked token)", n)
				}
				if slides.Load() == 0 {
					t.Fatal("no auto-refresh happened; the test does not exercise the race")
				}
				t.Logf("%d requests, %d auto-refreshes before revokes, %d refused after revokes", served.Load(), slides.Load(), refusedAfter.Load())
			})
		}
	})
}

// ---------------------------------------------------------------------------
// 4. Single login is serialized.

func TestConcurrentSingleLoginLeavesExactlyOneLiveSession(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		const logins, rounds = 20, 3
		for _, keep := range []bool{true, false} {
			t.Run(fmt.Sprintf("keep_expired_tokens=%v", keep), func(t *testing.T) {
				svc, pool := newPooledService(t, e, 21, settings(func(s *runtime.Settings) {
					s.EnforceSingleLogin = true
					s.KeepExpiredTokens = keep
				}))
				for round := range rounds {
					uid := addUser(t, pool, fmt.Sprint("single", round))
					res := make([]auth.Issued, logins)
					errs := make([]error, logins)
					start := make(chan struct{})
					var wg sync.WaitGroup
					for i := range logins {
						wg.Add(1)
						go func() {
							defer wg.Done()
							<-start
							gen := svc.GenerateHeaderToken
							if i%2 == 1 {
								gen = svc.GenerateCookieToken
							}
							res[i], errs[i] = gen(bgCtx, uid, auth.Context{Device: fmt.Sprint("device", i)})
						}()
					}
					close(start)
					wg.Wait()
					for i, err := range errs {
						if err != nil {
							t.Fatalf("round %d: login %d: %v", round, i, err)
						}
					}
					sessions, _, err := svc.ListSessions(bgCtx, uid, 0, runtime.SessionCursor{})
					if err != nil {
						t.Fatal(err)
					}
					live := sqlCount(t, pool, `SELECT count(*) FROM auth_tokens WHERE user_id = $1 AND revoked_at IS NULL`, uid)
					all := sqlCount(t, pool, `SELECT count(*) FROM auth_tokens WHERE user_id = $1`, uid)
					if len(sessions) != 1 || live != 1 {
						t.Fatalf("round %d: %d sessions listed, %d rows with revoked_at IS NULL; want exactly 1 live session after %d concurrent logins", round, len(sessions), live, logins)
					}
					if want := map[bool]int64{true: logins, false: 1}[keep]; all != want {
						t.Errorf("round %d: %d rows in all; want %d", round, all, want)
					}
					// Exactly the surviving login's token works.
					working := 0
					for _, iss := range res {
						if _, err := svc.VerifyToken(bgCtx, iss.AccessToken.Reveal(), runtime.AnyTransport); err == nil {
							working++
							if iss.Token.ID != sessions[0].ID {
								t.Errorf("round %d: token %d works but the listed session is %d", round, iss.Token.ID, sessions[0].ID)
							}
						}
					}
					if working != 1 {
						t.Errorf("round %d: %d access tokens work; want 1", round, working)
					}
				}
			})
		}
	})
}
