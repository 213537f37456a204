package clientip_test

import (
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/authentify-go/authentify/examples/echo/app/clientip"
)

func TestExtractor(t *testing.T) {
	t.Parallel()
	trusted, err := clientip.ParseTrusted("10.0.0.0/8, 2001:db8:ffff::/48, 192.0.2.250")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		trusted []netip.Prefix
		peer    string
		xff     []string // X-Forwarded-For headers
		realIP  string   // X-Real-IP
		want    string
	}{
		{"no proxies: peer", nil, "198.51.100.1:1", []string{"203.0.113.9"}, "203.0.113.8", "198.51.100.1"},
		{"no proxies: loopback peer is not trusted by default", nil, "127.0.0.1:1", []string{"203.0.113.9"}, "", "127.0.0.1"},
		{"untrusted peer: header ignored", trusted, "198.51.100.1:1", []string{"203.0.113.9"}, "", "198.51.100.1"},
		{"untrusted private peer: header ignored", trusted, "192.168.1.1:1", []string{"203.0.113.9"}, "", "192.168.1.1"},
		{"untrusted loopback peer: header ignored", trusted, "127.0.0.1:1", []string{"203.0.113.9"}, "", "127.0.0.1"},
		{"untrusted peer: X-Real-IP ignored", trusted, "198.51.100.1:1", nil, "203.0.113.9", "198.51.100.1"},
		{"trusted peer: X-Real-IP ignored", trusted, "10.0.0.1:1", nil, "203.0.113.9", "10.0.0.1"},
		{"trusted peer, one hop", trusted, "10.0.0.1:1", []string{"203.0.113.9"}, "", "203.0.113.9"},
		{"trusted peer: spoofed left hops skipped", trusted, "10.0.0.1:1", []string{"1.2.3.4, 10.9.9.9, 203.0.113.9"}, "", "203.0.113.9"},
		{"trusted chain", trusted, "10.0.0.1:1", []string{"203.0.113.9, 192.0.2.250, 10.1.1.1"}, "", "203.0.113.9"},
		{"several headers are one list", trusted, "10.0.0.1:1", []string{"1.2.3.4", "203.0.113.9, 10.2.2.2"}, "", "203.0.113.9"},
		{"single trusted address only", trusted, "10.0.0.1:1", []string{"203.0.113.9, 192.0.2.251"}, "", "192.0.2.251"},
		{"garbage left of the client is never reached", trusted, "10.0.0.1:1", []string{"garbage, 203.0.113.9"}, "", "203.0.113.9"},
		{"IPv6 peer trusted", trusted, "[2001:db8:ffff::1]:1", []string{"2001:db8:1::7"}, "", "2001:db8:1::7"},
		{"IPv6 peer outside the prefix", trusted, "[2001:db8:fffe::1]:1", []string{"2001:db8:1::7"}, "", "2001:db8:fffe::1"},
		{"IPv4-mapped peer matches an IPv4 prefix", trusted, "[::ffff:10.0.0.1]:1", []string{"203.0.113.9"}, "", "203.0.113.9"},
		{"bracketed IPv6 hop", trusted, "10.0.0.1:1", []string{"[2001:db8:1::7]"}, "", "2001:db8:1::7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.peer
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if tt.realIP != "" {
				r.Header.Set("X-Real-IP", tt.realIP)
			}
			if got := clientip.Extractor(tt.trusted)(r); got != tt.want {
				t.Errorf("client = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestBucket(t *testing.T) {
	t.Parallel()
	tests := []struct{ ip, want string }{
		{"192.0.2.1", "192.0.2.1"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"fe80::1%eth0", "fe80::/64"},
	}
	for _, tt := range tests {
		if got := clientip.Bucket(netip.MustParseAddr(tt.ip)); got != tt.want {
			t.Errorf("Bucket(%s) = %q, want %q", tt.ip, got, tt.want)
		}
	}
	if got := clientip.Bucket(netip.Addr{}); got != "invalid" {
		t.Errorf("Bucket(zero) = %q", got)
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"192.0.2.1": "192.0.2.1", "::ffff:192.0.2.1": "192.0.2.1", "fe80::1%eth0": "fe80::1"} {
		if got, ok := clientip.Parse(in); !ok || got.String() != want {
			t.Errorf("Parse(%q) = %v, %v; want %s", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "x", "192.0.2.1:80"} {
		if _, ok := clientip.Parse(in); ok {
			t.Errorf("Parse(%q) ok", in)
		}
	}
}

func TestParseTrusted(t *testing.T) {
	t.Parallel()
	if p, err := clientip.ParseTrusted("  "); err != nil || p != nil {
		t.Errorf("empty: %v, %v", p, err)
	}
	p, err := clientip.ParseTrusted("10.0.0.0/8,::1")
	if err != nil || len(p) != 2 || p[1] != netip.MustParsePrefix("::1/128") {
		t.Errorf("ParseTrusted = %v, %v", p, err)
	}
	_, err = clientip.ParseTrusted("10.0.0.0/33, 192.0.2.1/24, ::ffff:10.0.0.1")
	for _, want := range []string{`item 1 "10.0.0.0/33": not a CIDR`, `item 2 "192.0.2.1/24": host bits set; write 192.0.2.0/24`, `item 3 "::ffff:10.0.0.1": IPv4-mapped address; write 10.0.0.1`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}
