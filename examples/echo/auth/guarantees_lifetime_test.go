package auth_test

// Guarantee: no sequence of refreshes and auto-refreshes extends a session
// past its absolute lifetime (see guarantees_test.go for the others).

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/runtime"
)

// ---------------------------------------------------------------------------
// 5. Max lifetime is absolute.

// randTTLs returns a random per-call access TTL and a refresh TTL valid with
// it (0 = the setting, runtime.Never = none). The settings of the property
// test are 1h and 3h.
func randTTLs(r *rand.Rand) (access, refresh time.Duration) {
	switch r.IntN(5) {
	case 0:
		access = 0
	case 1:
		access = runtime.Never
	default:
		access = time.Duration(1+r.IntN(12*60)) * time.Minute
	}
	eff := access
	if access == 0 {
		eff = time.Hour
	}
	switch {
	case access == runtime.Never || r.IntN(4) == 0:
		refresh = runtime.Never
	case eff <= 3*time.Hour && r.IntN(3) == 0:
		refresh = 0
	default:
		refresh = eff + time.Duration(r.IntN(24*60))*time.Minute
	}
	return access, refresh
}

func fmtTTL(d time.Duration) string {
	switch d {
	case 0:
		return "default"
	case runtime.Never:
		return "never"
	}
	return d.String()
}

func TestSessionNeverOutlivesMaxTTLProperty(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		const (
			sequences = 250
			steps     = 12
			maxTTL    = 8 * time.Hour
		)
		seed := *propSeed
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("seed: %d (rerun with -authentify.seed=%d)", seed, seed)
			}
		})
		r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
		c := newClock(epoch)
		svc, pool := newEngineService(t, e, auth.WithClock(c.Now), settings(func(s *runtime.Settings) {
			s.TokenTTL = time.Hour
			s.RefreshTokenTTL = 3 * time.Hour
			s.AutoRefresh = true
			s.AutoRefreshInterval = 5 * time.Minute
			s.AutoRefreshMaxTTL = maxTTL
		}))
		uid := newUser(t, pool, "prop")
		var auths, authsOK, refreshes, refreshesOK, pastLimit int
		for seq := range sequences {
			at, rt := randTTLs(r)
			var opts []auth.IssueOption
			if at != 0 {
				opts = append(opts, auth.WithAccessTTL(at))
			}
			if rt != 0 {
				opts = append(opts, auth.WithRefreshTTL(rt))
			}
			iss, err := svc.GenerateHeaderToken(bgCtx, uid, auth.Context{Device: "p"}, opts...)
			if err != nil {
				t.Fatalf("seq %d: issue with access TTL %v, refresh TTL %v: %v", seq, at, rt, err)
			}
			id, created := iss.Token.ID, iss.Token.CreatedAt
			limit := created.Add(maxTTL)
			access, refresh := iss.AccessToken.Reveal(), iss.RefreshToken.Reveal()
			trace := []string{fmt.Sprintf("issue(access %s, refresh %s) at +0", fmtTTL(at), fmtTTL(rt))}
			fail := func(format string, args ...any) {
				t.Helper()
				t.Fatalf("seq %d: %s\ntrace:\n  %s", seq, fmt.Sprintf(format, args...), strings.Join(trace, "\n  "))
			}
			check := func(tok auth.Token) {
				t.Helper()
				if tok.ID != id || !tok.CreatedAt.Equal(created) {
					fail("session changed identity: id %d created %v; want %d created %v", tok.ID, tok.CreatedAt, id, created)
				}
				if tok.ExpiresAt == nil || tok.ExpiresAt.After(limit) {
					fail("expires_at %v is after created_at + max TTL = %v", tok.ExpiresAt, limit)
				}
				if tok.RefreshUntil != nil && tok.RefreshUntil.After(limit) {
					fail("refresh_until %v is after created_at + max TTL = %v", tok.RefreshUntil, limit)
				}
			}
			check(iss.Token)
			for range steps {
				var d time.Duration
				if r.IntN(3) == 0 {
					d = time.Duration(r.Int64N(int64(3 * time.Hour)))
				} else {
					d = time.Duration(r.Int64N(int64(20 * time.Minute)))
				}
				c.Advance(d)
				now := c.Now()
				over := !now.Before(limit)
				if over {
					pastLimit++
				}
				if r.IntN(3) > 0 {
					auths++
					trace = append(trace, fmt.Sprintf("authenticate at +%v", now.Sub(created)))
					tok, _, err := svc.AuthenticateRequest(bearerRequest("GET", "/", access))
					if err == nil {
						authsOK++
						if over {
							fail("authenticated at %v, past created_at + max TTL = %v", now, limit)
						}
						check(tok)
					} else if runtime.HTTPStatus(err) != http.StatusUnauthorized {
						fail("authenticate: %v", err)
					}
				} else {
					refreshes++
					at, rt := randTTLs(r)
					if at == 0 {
						// Without an access override the session's own access
						// TTL applies, which randTTLs does not know: a refresh
						// override alone could end before it (a caller error).
						rt = 0
					}
					var opts []auth.IssueOption
					if at != 0 {
						opts = append(opts, auth.WithAccessTTL(at))
					}
					if rt != 0 {
						opts = append(opts, auth.WithRefreshTTL(rt))
					}
					trace = append(trace, fmt.Sprintf("refresh(access %s, refresh %s) at +%v", fmtTTL(at), fmtTTL(rt), now.Sub(created)))
					if refresh == "" {
						continue
					}
					next, err := svc.RefreshToken(bgCtx, refresh, opts...)
					switch {
					case err == nil:
						refreshesOK++
						if over {
							fail("refreshed at %v, past created_at + max TTL = %v", now, limit)
						}
						check(next.Token)
						access, refresh = next.AccessToken.Reveal(), next.RefreshToken.Reveal()
					case runtime.HTTPStatus(err) == http.StatusUnauthorized:
					default:
						fail("refresh: %v", err)
					}
				}
				// The database agrees with what the service returned.
				var exp, until *time.Time
				var dbCreated time.Time
				err := pool.QueryRow(bgCtx, `SELECT created_at, expires_at, refresh_until FROM auth_tokens WHERE id = $1`, id).Scan(&dbCreated, &exp, &until)
				if err != nil {
					fail("read row: %v", err)
				}
				check(auth.Token{Record: runtime.Record{ID: id, CreatedAt: dbCreated, ExpiresAt: exp, RefreshUntil: until}})
			}
			// Finally, at the limit itself nothing authenticates or refreshes.
			if now := c.Now(); now.Before(limit) {
				c.Advance(limit.Sub(now))
			}
			if _, _, err := svc.AuthenticateRequest(bearerRequest("GET", "/", access)); err == nil {
				fail("authenticated at created_at + max TTL")
			}
			if refresh != "" {
				if _, err := svc.RefreshToken(bgCtx, refresh); err == nil {
					fail("refreshed at created_at + max TTL")
				}
			}
		}
		t.Logf("seed %d: %d sequences, %d authentications (%d ok), %d refreshes (%d ok), %d steps past the limit",
			seed, sequences, auths, authsOK, refreshes, refreshesOK, pastLimit)
	})
}
