package auth_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/authentify-go/authentify/examples/echo/auth"
)

// BenchmarkEngines compares the engines on the three hot operations, with
// GOMAXPROCS goroutines: an authenticated request (the middleware's
// AuthenticateRequest: one indexed read), a refresh (one rotation, a write)
// and a login (an insert, a write). On SQLite every write goes through the
// single writer, so refresh/s and login/s are what it allows.
func BenchmarkEngines(b *testing.B) {
	for _, e := range engines {
		b.Run(string(e)+"/authenticate", func(b *testing.B) {
			svc, db := newPooledService(b, e, 32)
			uid := addUser(b, db, "bench")
			iss, err := svc.GenerateHeaderToken(bgCtx, uid, auth.Context{Device: "d"})
			if err != nil {
				b.Fatal(err)
			}
			raw := iss.AccessToken.Reveal()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, _, err := svc.AuthenticateRequest(bearerRequest("GET", "/me", raw)); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
		b.Run(string(e)+"/refresh", func(b *testing.B) {
			svc, db := newPooledService(b, e, 32)
			uid := addUser(b, db, "bench")
			// One session per goroutine, each refreshed in a chain.
			var n atomic.Int64
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				iss, err := svc.GenerateHeaderToken(bgCtx, uid, auth.Context{Device: fmt.Sprint("d", n.Add(1))})
				if err != nil {
					b.Error(err)
					return
				}
				for pb.Next() {
					if iss, err = svc.RefreshToken(bgCtx, iss.RefreshToken.Reveal()); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "refresh/s")
		})
		b.Run(string(e)+"/login", func(b *testing.B) {
			svc, db := newPooledService(b, e, 32)
			uid := addUser(b, db, "bench")
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := svc.GenerateHeaderToken(bgCtx, uid, auth.Context{Device: "d"}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "login/s")
		})
	}
}
