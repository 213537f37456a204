// Package clientip finds the address of the client behind trusted reverse
// proxies and groups addresses into the buckets of per-client rate limits.
//
// Only a request whose TCP peer is a trusted proxy has its X-Forwarded-For
// header read, and then the client is the right-most hop that is not itself a
// trusted proxy; every other request is its peer, whatever its headers say.
// X-Real-IP is never read.
package clientip

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/labstack/echo/v4"
)

// ParseTrusted parses a comma-separated list of trusted proxies: CIDR
// prefixes such as 10.0.0.0/8 or fd00::/8, or single addresses. Spaces around
// items are ignored; an empty list trusts no proxy. A prefix with host bits
// set (10.0.0.1/8) or an IPv4-mapped IPv6 prefix is refused, with the
// prefix to write instead. Every bad item is reported, by position.
func ParseTrusted(s string) ([]netip.Prefix, error) {
	var (
		out  []netip.Prefix
		errs []error
	)
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	for i, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		p, err := parsePrefix(item)
		if err != nil {
			errs = append(errs, fmt.Errorf("item %d %q: %w", i+1, item, err))
			continue
		}
		out = append(out, p)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if s == "" {
		return netip.Prefix{}, errors.New("empty item; write a CIDR such as 10.0.0.0/8 or an address")
	}
	if !strings.Contains(s, "/") {
		ip, err := netip.ParseAddr(s)
		if err != nil || ip.Zone() != "" {
			return netip.Prefix{}, errors.New("not an IP address or CIDR; write e.g. 10.0.0.0/8, fd00::/8 or 192.0.2.7")
		}
		if ip.Is4In6() {
			return netip.Prefix{}, fmt.Errorf("IPv4-mapped address; write %s", ip.Unmap())
		}
		return netip.PrefixFrom(ip, ip.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, errors.New("not a CIDR; write e.g. 10.0.0.0/8 or fd00::/8")
	}
	if p.Addr().Is4In6() {
		return netip.Prefix{}, errors.New("IPv4-mapped prefix; write the IPv4 prefix, e.g. 10.0.0.0/8")
	}
	if m := p.Masked(); m != p {
		return netip.Prefix{}, fmt.Errorf("host bits set; write %s", m)
	}
	return p, nil
}

// Extractor returns the echo.IPExtractor (for Echo#IPExtractor, so that
// c.RealIP reports the client) for the trusted proxies. With none it is
// echo.ExtractIPDirect: the TCP peer. Otherwise it is
// echo.ExtractIPFromXFFHeader trusting exactly those prefixes (not Echo's
// default loopback, link-local and private ranges): the peer unless it is
// trusted, else the right-most X-Forwarded-For hop that is not trusted (the
// peer when a hop does not parse, the left-most hop when all are trusted).
func Extractor(trusted []netip.Prefix) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range trusted {
		addr := p.Addr()
		opts = append(opts, echo.TrustIPRange(&net.IPNet{
			IP:   net.IP(addr.AsSlice()),
			Mask: net.CIDRMask(p.Bits(), addr.BitLen()),
		}))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// Parse parses an address as c.RealIP returns it, without zone, an
// IPv4-mapped IPv6 address as the IPv4 address.
func Parse(s string) (netip.Addr, bool) {
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return ip.Unmap().WithZone(""), true
}

// IPv6BucketBits is the prefix length that groups IPv6 clients: a /64 is
// the smallest network usually given to one subscriber, who can pick any
// address in it.
const IPv6BucketBits = 64

// Bucket is the rate-limit key of a client address: an IPv4 address (also
// IPv4-mapped) is its own bucket, an IPv6 address shares the bucket of its
// /64. An invalid address is the bucket "invalid".
func Bucket(ip netip.Addr) string {
	ip = ip.Unmap().WithZone("")
	switch {
	case !ip.IsValid():
		return "invalid"
	case ip.Is4():
		return ip.String()
	}
	p, _ := ip.Prefix(IPv6BucketBits)
	return p.String()
}
