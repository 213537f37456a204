package app

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/authentify-go/authentify/examples/echo/app/clientip"
	"golang.org/x/time/rate"
)

// rateLimitIdle is how long a client's bucket is kept after its last
// request; a bucket idle that long is full again anyway when the burst
// refills within it.
const rateLimitIdle = 3 * time.Minute

// rateLimiter is a token bucket per client (clientip.Bucket of the client
// address: an IPv4 address or an IPv6 /64). Buckets idle for rateLimitIdle
// are dropped, so its memory follows the active clients.
type rateLimiter struct {
	limit rate.Limit
	burst int
	retry string // Retry-After of a refused request, in seconds

	mu        sync.Mutex
	clients   map[string]*bucket
	lastSweep time.Time
}

// bucket is the limiter of one client and when it was last used.
type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// newRateLimiter limits each client to perSecond requests per second with
// bursts of burst.
func newRateLimiter(perSecond float64, burst int) *rateLimiter {
	return &rateLimiter{
		limit:   rate.Limit(perSecond),
		burst:   burst,
		retry:   strconv.Itoa(int(math.Ceil(1 / perSecond))),
		clients: make(map[string]*bucket),
	}
}

// allow reports whether client key may make a request now.
func (l *rateLimiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) > rateLimitIdle {
		for k, b := range l.clients {
			if now.Sub(b.seen) > rateLimitIdle {
				delete(l.clients, k)
			}
		}
		l.lastSweep = now
	}
	b, ok := l.clients[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.clients[key] = b
	}
	b.seen = now
	return b.lim.AllowN(now, 1)
}

// rateLimit returns the middleware limiting each client to
// cfg.RateLimit requests per second with bursts of cfg.RateBurst, answering
// 429 with Retry-After; every call makes a separate set of buckets. It
// passes every request through when the limit is 0.
func (a *App) rateLimit() func(http.Handler) http.Handler {
	if a.cfg.RateLimit == 0 {
		return func(next http.Handler) http.Handler { return next }
	}
	l := newRateLimiter(a.cfg.RateLimit, a.cfg.RateBurst)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ip, _ := a.clientIP(r)
			if !l.allow(clientip.Bucket(ip), time.Now()) {
				a.WriteError(w, r, &Error{Status: http.StatusTooManyRequests, Message: "too many requests; retry later",
					Headers: map[string]string{"Retry-After": l.retry}})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
