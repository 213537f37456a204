package auth_test

// Issue 8 items 5 and 7: max_sessions_per_user, ListSessions pages, and
// RevokeOtherSessions refusing a keepID that is not the user's.

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/runtime"
)

func liveSessions(t *testing.T, svc *auth.Service, user int64) []auth.Token {
	t.Helper()
	s, next, err := svc.ListSessions(context.Background(), user, 0, runtime.SessionCursor{})
	if err != nil || !next.IsZero() {
		t.Fatalf("ListSessions = %v, next %v", err, next)
	}
	return s
}

// TestMaxSessionsPerUserRevokesTheOldest: with a limit of 3, each login
// beyond it revokes the oldest live sessions (reason session_limit, one
// OnRevoke event), soft or hard as keep_expired_tokens says.
func TestMaxSessionsPerUserRevokesTheOldest(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		for _, soft := range []bool{true, false} {
			t.Run(fmt.Sprintf("soft=%v", soft), func(t *testing.T) {
				clk := newClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
				var mu sync.Mutex
				var events []runtime.RevokeEvent
				svc, pool := newEngineService(t, e, auth.WithClock(clk.Now), auth.WithOnRevoke(func(_ context.Context, ev runtime.RevokeEvent) {
					mu.Lock()
					defer mu.Unlock()
					events = append(events, ev)
				}), settings(func(s *runtime.Settings) { s.MaxSessionsPerUser, s.KeepExpiredTokens = 3, soft }))
				alice, bob := newUser(t, pool, "alice"), newUser(t, pool, "bob")
				ctx := context.Background()
				if _, err := svc.GenerateHeaderToken(ctx, bob, auth.Context{Device: "bob"}); err != nil {
					t.Fatal(err)
				}
				var ids []int64
				for i := range 5 {
					clk.Advance(time.Minute)
					iss, err := svc.GenerateHeaderToken(ctx, alice, auth.Context{Device: fmt.Sprint("d", i)})
					if err != nil {
						t.Fatal(err)
					}
					ids = append(ids, iss.Token.ID)
				}
				live := liveSessions(t, svc, alice)
				if len(live) != 3 || live[0].ID != ids[4] || live[2].ID != ids[2] {
					t.Fatalf("live sessions %v, want the newest three of %v", tokenIDs(live), ids)
				}
				if len(liveSessions(t, svc, bob)) != 1 {
					t.Error("another user's session was revoked")
				}
				var reason *string
				err := pool.QueryRow(ctx, `SELECT revoke_reason FROM auth_tokens WHERE id = $1`, ids[0]).Scan(&reason)
				switch {
				case soft && (err != nil || reason == nil || *reason != runtime.RevokedSessionLimit):
					t.Errorf("oldest session: reason %v, %v; want %s", reason, err, runtime.RevokedSessionLimit)
				case !soft && err == nil:
					t.Error("oldest session still stored without keep_expired_tokens")
				}
				mu.Lock()
				defer mu.Unlock()
				if len(events) != 2 || events[0].Scope != runtime.ScopeSessionLimit || events[0].Reason != runtime.RevokedSessionLimit ||
					events[0].Count != 1 || events[0].TokenID != ids[3] || events[0].Soft != soft {
					t.Errorf("OnRevoke events %+v", events)
				}
			})
		}
	})
}

// TestMaxSessionsPerUserUnderConcurrentLogins: concurrent logins of one user
// are serialized by the per-user lock, so no interleaving leaves more than
// the limit of live sessions.
func TestMaxSessionsPerUserUnderConcurrentLogins(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		const limit, logins = 3, 24
		svc, pool := newEngineService(t, e, settings(func(s *runtime.Settings) { s.MaxSessionsPerUser = limit }))
		alice := newUser(t, pool, "alice")
		var wg sync.WaitGroup
		errs := make(chan error, logins)
		start := make(chan struct{})
		for i := range logins {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := svc.GenerateCookieToken(context.Background(), alice, auth.Context{Device: fmt.Sprint(i)})
				errs <- err
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if live := liveSessions(t, svc, alice); len(live) != limit {
			t.Errorf("%d live sessions after %d concurrent logins, want %d", len(live), logins, limit)
		}
		var rows int
		if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM auth_tokens`).Scan(&rows); err != nil || rows != limit {
			t.Errorf("%d rows stored (%v), want %d", rows, err, limit)
		}
	})
}

func tokenIDs(ts []auth.Token) []int64 {
	ids := make([]int64, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	return ids
}

// TestListSessionsPages: pages of a limit, newest first, ties on created_at
// broken by id, a next cursor until the last page, the cursor surviving
// its string form; a session revoked between pages does not shift them.
func TestListSessionsPages(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		clk := newClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
		svc, pool := newEngineService(t, e, auth.WithClock(clk.Now))
		alice := newUser(t, pool, "alice")
		ctx := context.Background()
		var want []int64 // newest first
		for i := range 7 {
			if i%2 == 0 {
				clk.Advance(time.Second) // pairs share created_at
			}
			iss, err := svc.GenerateHeaderToken(ctx, alice, auth.Context{Device: "d"})
			if err != nil {
				t.Fatal(err)
			}
			want = append([]int64{iss.Token.ID}, want...)
		}
		var got []int64
		var cursor runtime.SessionCursor
		for page := 0; ; page++ {
			list, next, err := svc.ListSessions(ctx, alice, 3, cursor)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, tokenIDs(list)...)
			if page == 0 {
				// Revoking a session already listed does not shift later pages.
				if err := svc.RevokeSession(ctx, alice, list[0].ID); err != nil {
					t.Fatal(err)
				}
			}
			if next.IsZero() {
				if len(list) != 1 {
					t.Errorf("last page has %d sessions, want 1", len(list))
				}
				break
			}
			if len(list) != 3 || page > 3 {
				t.Fatalf("page %d has %d sessions, want 3", page, len(list))
			}
			if cursor, err = runtime.ParseSessionCursor(next.String()); err != nil || cursor.ID != next.ID || !cursor.CreatedAt.Equal(next.CreatedAt) {
				t.Fatalf("cursor %q does not round-trip: %v, %v", next.String(), cursor, err)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("pages gave %v, want %v", got, want)
		}
		if _, _, err := svc.ListSessions(ctx, alice, -1, runtime.SessionCursor{}); err == nil {
			t.Error("a negative limit was accepted")
		}
		for _, bad := range []string{"x", "1_", "_1", "12_-3", "1_2_3"} {
			if _, err := runtime.ParseSessionCursor(bad); err == nil {
				t.Errorf("ParseSessionCursor(%q) accepted", bad)
			}
		}
	})
}

// TestRevokeOtherSessionsRefusesAForeignKeepID: a keepID that is not one of
// the user's sessions revokes nothing and returns ErrNotFound.
func TestRevokeOtherSessionsRefusesAForeignKeepID(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		for _, soft := range []bool{true, false} {
			t.Run(fmt.Sprintf("soft=%v", soft), func(t *testing.T) {
				svc, pool := newEngineService(t, e, settings(func(s *runtime.Settings) { s.KeepExpiredTokens = soft }))
				alice, bob := newUser(t, pool, "alice"), newUser(t, pool, "bob")
				ctx := context.Background()
				a1, _ := svc.GenerateHeaderToken(ctx, alice, auth.Context{Device: "a1"})
				if _, err := svc.GenerateHeaderToken(ctx, alice, auth.Context{Device: "a2"}); err != nil {
					t.Fatal(err)
				}
				b1, _ := svc.GenerateHeaderToken(ctx, bob, auth.Context{Device: "b1"})
				for _, keep := range []int64{b1.Token.ID, 987654321} {
					n, err := svc.RevokeOtherSessions(ctx, alice, keep)
					if !errors.Is(err, runtime.ErrNotFound) || n != 0 {
						t.Errorf("RevokeOtherSessions(alice, keep %d) = %d, %v; want 0, ErrNotFound", keep, n, err)
					}
				}
				if n := len(liveSessions(t, svc, alice)); n != 2 {
					t.Fatalf("alice has %d live sessions after refused calls, want 2", n)
				}
				if n, err := svc.RevokeOtherSessions(ctx, alice, a1.Token.ID); err != nil || n != 1 {
					t.Errorf("RevokeOtherSessions(alice, own session) = %d, %v; want 1", n, err)
				}
				if n, err := svc.RevokeOtherSessions(ctx, alice, a1.Token.ID); err != nil || n != 0 {
					t.Errorf("again = %d, %v; want 0, nil", n, err)
				}
			})
		}
	})
}
