package auth_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	goruntime "runtime"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/runtime"
)

// BenchmarkRevocationLatency measures, over b.N revocations, how long a
// revocation on instance A takes to be refused on instance B while B serves
// a load of cached verifies (8 goroutines over 1000 other sessions). It
// reports p50, p99 and max in milliseconds; run it with e.g.
// -bench=RevocationLatency -benchtime=1000x. Both instances and the load
// share one process, whose CPU-bound loaders leave the scheduler no idle P
// to poll the network with; the deployment-like measurement (two app
// processes, HTTP load on B, logouts on A) is the bench suite's revocation
// scenario: go run ./bench -scenarios=revocation.
func BenchmarkRevocationLatency(b *testing.B) {
	a, bi := newCachePair(b, func(s *runtime.Settings) { s.CacheSize = 100_000 })
	var uid int64
	if err := a.pool.QueryRow(b.Context(), `INSERT INTO users (username) VALUES ('bench') RETURNING id`).Scan(&uid); err != nil {
		b.Fatal(err)
	}
	issueN := func(n int) ([]string, []auth.Token) {
		var raws []string
		var toks []auth.Token
		for range n {
			iss, err := a.svc.GenerateHeaderToken(b.Context(), uid, auth.Context{Device: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			raws, toks = append(raws, iss.AccessToken.Reveal()), append(toks, iss.Token)
		}
		return raws, toks
	}
	load, _ := issueN(1000)
	targets, toks := issueN(b.N)
	for _, raw := range slices.Concat(load, targets) {
		if _, err := bi.verify(b, raw); err != nil {
			b.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(b.Context())
	var wg sync.WaitGroup
	for r := range 8 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(r), 0))
			for ctx.Err() == nil {
				if _, err := bi.svc.VerifyToken(ctx, load[rng.IntN(len(load))], runtime.AnyTransport); err != nil && ctx.Err() == nil {
					b.Error(err)
					return
				}
				// A request handler blocks on its connection between
				// requests; a loop of pure cache hits would otherwise
				// starve the listener of the 2 Ps (10 ms time slices).
				goruntime.Gosched()
			}
		})
	}
	lat := make([]time.Duration, 0, b.N)
	after := make([]time.Duration, 0, b.N) // from RevokeToken's return
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		if err := a.svc.RevokeToken(b.Context(), toks[i]); err != nil {
			b.Fatal(err)
		}
		committed := time.Now()
		for {
			_, err := bi.verify(b, targets[i])
			var ae *runtime.AuthError
			if errors.As(err, &ae) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if time.Since(start) > cacheWait {
				b.Fatal("revocation never reached B")
			}
			time.Sleep(50 * time.Microsecond)
		}
		lat = append(lat, time.Since(start))
		after = append(after, time.Since(committed))
	}
	b.StopTimer()
	cancel()
	wg.Wait()
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[min(len(lat)-1, len(lat)*99/100)]), "p99-ms")
	b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
	b.Logf("revoke on A (including the revoke itself) until refused on B under load: %s", latencies(lat))
	b.Logf("from RevokeToken's return on A until refused on B: %s", latencies(after))
}
