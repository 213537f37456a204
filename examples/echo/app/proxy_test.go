package app_test

import (
	"context"
	"net/http"
	"net/netip"
	"testing"

	"github.com/authentify-go/authentify/examples/echo/app"
	"github.com/authentify-go/authentify/examples/echo/app/clientip"
	"github.com/authentify-go/authentify/runtime"
)

// proxyConfig limits each client to 2 logins (0.1 per second: the bucket
// does not refill during a test), turns the per-username limit off to
// isolate the per-client one, and trusts the proxies of trusted.
func proxyConfig(t testing.TB, trusted string) func(*app.Config) {
	t.Helper()
	p, err := clientip.ParseTrusted(trusted)
	if err != nil {
		t.Fatal(err)
	}
	return func(c *app.Config) {
		c.RateLimit, c.RateBurst = 0.1, 2
		c.LoginFailureLimit = 0
		c.TrustedProxies = p
	}
}

// badLogin makes a failed login and returns its status: 401, or 429 when
// the client's bucket is empty.
func (e *env) badLogin(opts ...reqOpt) int {
	e.t.Helper()
	return e.do("POST", "/auth/login", map[string]any{"username": "x", "password": "wrong password", "device": "d"}, opts...).Code
}

// xff sets X-Forwarded-For.
func xff(v string) reqOpt { return header("X-Forwarded-For", v) }

// wantCodes fails unless the failed logins of steps, made in order, answer
// their codes.
func wantCodes(t *testing.T, e *env, steps []step) {
	t.Helper()
	for _, s := range steps {
		if got := e.badLogin(s.opts...); got != s.want {
			t.Errorf("%s: status %d, want %d", s.name, got, s.want)
		}
	}
}

// step is a request of wantCodes and its expected status.
type step struct {
	name string
	opts []reqOpt
	want int
}

// TestRateLimitTrustedProxies: X-Forwarded-For picks the rate-limit bucket
// only when the peer is a trusted proxy, and then it is the right-most hop
// that is not a trusted proxy.
func TestRateLimitTrustedProxies(t *testing.T) {
	t.Parallel()
	t.Run("spoofed header from an untrusted peer is ignored", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, proxyConfig(t, "10.0.0.0/8"))
		wantCodes(t, e, []step{
			{"first", []reqOpt{fromIP("198.51.100.1"), xff("203.0.113.1")}, 401},
			{"second, another spoofed address", []reqOpt{fromIP("198.51.100.1"), xff("203.0.113.2")}, 401},
			{"third, spoofed XFF", []reqOpt{fromIP("198.51.100.1"), xff("203.0.113.3")}, 429},
			{"spoofed X-Real-IP", []reqOpt{fromIP("198.51.100.1"), header("X-Real-IP", "203.0.113.4")}, 429},
			{"spoofed trusted address", []reqOpt{fromIP("198.51.100.1"), xff("10.0.0.1")}, 429},
			{"another peer", []reqOpt{fromIP("198.51.100.2"), xff("203.0.113.1")}, 401},
		})
	})
	t.Run("no trusted proxies: the header is ignored even from a private peer", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, proxyConfig(t, ""))
		wantCodes(t, e, []step{
			{"client 1", []reqOpt{fromIP("10.0.0.1"), xff("203.0.113.1")}, 401},
			{"client 2", []reqOpt{fromIP("10.0.0.1"), xff("203.0.113.2")}, 401},
			{"client 3 shares the proxy's bucket", []reqOpt{fromIP("10.0.0.1"), xff("203.0.113.3")}, 429},
		})
	})
	t.Run("clients behind a trusted proxy get their own buckets", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, proxyConfig(t, "10.0.0.0/8, 2001:db8:ffff::/48"))
		wantCodes(t, e, []step{
			{"client A", []reqOpt{fromIP("10.0.0.1"), xff("203.0.113.7")}, 401},
			{"client A", []reqOpt{fromIP("10.0.0.1"), xff("203.0.113.7")}, 401},
			{"client A, bucket empty", []reqOpt{fromIP("10.0.0.1"), xff("203.0.113.7")}, 429},
			{"client B, same proxy", []reqOpt{fromIP("10.0.0.1"), xff("203.0.113.8")}, 401},
			{"client A with a spoofed left hop", []reqOpt{fromIP("10.0.0.1"), xff("198.51.100.99, 203.0.113.7")}, 429},
			{"client A through two trusted proxies", []reqOpt{fromIP("10.0.0.2"), xff("203.0.113.7, 10.9.9.9")}, 429},
			{"client A through an IPv6 proxy", []reqOpt{fromIP("2001:db8:ffff::1"), xff("203.0.113.7")}, 429},
			{"client A's own address as peer", []reqOpt{fromIP("203.0.113.7")}, 429},
			{"client C, spoofing X-Real-IP of A", []reqOpt{fromIP("10.0.0.1"), xff("203.0.113.9"), header("X-Real-IP", "203.0.113.7")}, 401},
		})
	})
}

// TestRateLimitBucketsIPv6By64: the addresses of one IPv6 /64 share a
// bucket, other /64s do not; an IPv4-mapped address is the IPv4 address.
func TestRateLimitBucketsIPv6By64(t *testing.T) {
	t.Parallel()
	e := newEnv(t, proxyConfig(t, "10.0.0.0/8"))
	wantCodes(t, e, []step{
		{"2001:db8:1:2::1", []reqOpt{fromIP("2001:db8:1:2::1")}, 401},
		{"2001:db8:1:2::2", []reqOpt{fromIP("2001:db8:1:2::2")}, 401},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff, same /64", []reqOpt{fromIP("2001:db8:1:2:ffff:ffff:ffff:ffff")}, 429},
		{"2001:db8:1:3::1, next /64", []reqOpt{fromIP("2001:db8:1:3::1")}, 401},
		{"2001:db8:2:2::1, other /48", []reqOpt{fromIP("2001:db8:2:2::1")}, 401},
		{"behind the proxy, same /64", []reqOpt{fromIP("10.0.0.1"), xff("2001:db8:1:2::abcd")}, 429},
		{"behind the proxy, bracketed, other /64", []reqOpt{fromIP("10.0.0.1"), xff("[2001:db8:1:4::1]")}, 401},
		{"::ffff:192.0.2.1", []reqOpt{fromIP("::ffff:192.0.2.1")}, 401},
		{"192.0.2.1", []reqOpt{fromIP("192.0.2.1")}, 401},
		{"::ffff:192.0.2.1 again, same bucket as 192.0.2.1", []reqOpt{fromIP("::ffff:192.0.2.1")}, 429},
		{"192.0.2.2, IPv4 by address", []reqOpt{fromIP("192.0.2.2")}, 401},
	})
}

// TestSessionIPBehindTrustedProxy: the session's ip_address and the
// last_used_ip hook see the client behind a trusted proxy, and the peer of an
// untrusted request whatever its headers.
func TestSessionIPBehindTrustedProxy(t *testing.T) {
	t.Parallel()
	e := newEnv(t, proxyConfig(t, "10.0.0.0/8"))
	e.register("alice", false)
	tk := e.login("alice", "iPhone", fromIP("10.0.0.1"), xff("203.0.113.7"))
	tok, err := e.app.Service().VerifyToken(context.Background(), tk.AccessToken, runtime.TransportHeader)
	if err != nil {
		t.Fatal(err)
	}
	if want := netip.MustParseAddr("203.0.113.7"); tok.Context.IPAddress != want || tok.LastUsedIP == nil || *tok.LastUsedIP != want {
		t.Errorf("login behind the proxy: ip_address %v, last_used_ip %v; want %v", tok.Context.IPAddress, tok.LastUsedIP, want)
	}
	lastUsed := func() string {
		t.Helper()
		var ip string
		if err := e.pool.QueryRow(context.Background(), `SELECT host(last_used_ip) FROM auth_tokens WHERE id = $1`, tk.SessionID).Scan(&ip); err != nil {
			t.Fatal(err)
		}
		return ip
	}
	for _, s := range []struct {
		name string
		opts []reqOpt
		want string
	}{
		{"client behind the proxy", []reqOpt{fromIP("10.0.0.2"), xff("198.51.100.4")}, "198.51.100.4"},
		{"spoofed header from an untrusted peer", []reqOpt{fromIP("192.0.2.9"), xff("198.51.100.5"), header("X-Real-IP", "198.51.100.6")}, "192.0.2.9"},
		{"right-most untrusted hop", []reqOpt{fromIP("10.0.0.2"), xff("1.2.3.4, 2001:db8::7, 10.1.1.1")}, "2001:db8::7"},
	} {
		if got := e.me(append(s.opts, bearer(tk.AccessToken))...); got != http.StatusOK {
			t.Fatalf("%s: /me = %d", s.name, got)
		}
		if got := lastUsed(); got != s.want {
			t.Errorf("%s: last_used_ip = %s, want %s", s.name, got, s.want)
		}
	}
}
