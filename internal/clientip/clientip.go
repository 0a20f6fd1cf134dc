// Package clientip finds the address a request came from: the
// connection's, or, when the connection comes from a trusted reverse proxy,
// the address that proxy saw. Rate limits are keyed by it, and /metrics
// asks it whether a request came through a proxy.
package clientip

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies are the reverse proxies whose X-Forwarded-For is believed. The
// zero value trusts none: every client is its connection's address.
type Proxies []netip.Prefix

// Loopback is "the proxy runs on this machine" (--trust-proxy).
var Loopback = Proxies{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// Parse reads a comma-separated list of addresses and CIDR ranges, e.g.
// "10.0.0.0/8, 192.168.1.5, fd00::/8". Empty entries are skipped.
func Parse(list string) (Proxies, error) {
	var p Proxies
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		pre, err := parseEntry(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not an IP address or CIDR range (write e.g. 10.0.0.0/8 or 192.168.1.5)", s)
		}
		p = append(p, pre)
	}
	return p, nil
}

func parseEntry(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		pre, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		if a := pre.Addr(); a.Is4In6() && pre.Bits() >= 96 {
			pre = netip.PrefixFrom(a.Unmap(), pre.Bits()-96)
		}
		return pre.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap().WithZone("")
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// String lists the proxies as Parse reads them.
func (p Proxies) String() string {
	s := make([]string, len(p))
	for i, pre := range p {
		if pre.IsSingleIP() {
			s[i] = pre.Addr().String()
		} else {
			s[i] = pre.String()
		}
	}
	return strings.Join(s, ",")
}

// Set replaces p with the parsed list: Proxies is a flag.Value.
func (p *Proxies) Set(list string) error {
	q, err := Parse(list)
	if err != nil {
		return err
	}
	*p = q
	return nil
}

// Contains reports whether a is one of the proxies.
func (p Proxies) Contains(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	for _, pre := range p {
		if pre.Contains(a) {
			return true
		}
	}
	return false
}

// RemoteAddr returns the address of r's connection.
func RemoteAddr(r *http.Request) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	if a, err := netip.ParseAddr(r.RemoteAddr); err == nil {
		return a.Unmap().WithZone(""), true
	}
	return netip.Addr{}, false
}

// ClientIP returns the address r came from. X-Forwarded-For counts only
// when the connection is from a trusted proxy; it is then read from the
// right, where each proxy appends the address it saw, skipping trusted
// proxies: the first address that is not one is the client. Whatever a
// client writes into the header itself stands to the left of that and is
// never reached. A malformed entry ends the walk at the last trusted
// proxy, so garbage never becomes a key.
func (p Proxies) ClientIP(r *http.Request) string {
	hop, ok := RemoteAddr(r)
	if !ok {
		return r.RemoteAddr
	}
	if !p.Contains(hop) {
		return hop.String()
	}
	lines := r.Header.Values("X-Forwarded-For")
	for i := len(lines) - 1; i >= 0; i-- {
		entries := strings.Split(lines[i], ",")
		for j := len(entries) - 1; j >= 0; j-- {
			a, ok := parseHop(entries[j])
			if !ok {
				return hop.String()
			}
			if !p.Contains(a) {
				return a.String()
			}
			hop = a
		}
	}
	return hop.String()
}

// parseHop reads one X-Forwarded-For entry: an address, with or without a
// port ("203.0.113.9:41234", "[2001:db8::1]:443").
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone(""), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	return netip.Addr{}, false
}

// proxyHeaders are the headers proxies and CDNs add to say whom they
// forward for; X-Forwarded-* counts whatever follows.
var proxyHeaders = map[string]bool{
	"Forwarded": true, "Via": true, "X-Real-Ip": true, "X-Client-Ip": true, "True-Client-Ip": true,
	"Cf-Connecting-Ip": true, "Fastly-Client-Ip": true, "X-Cluster-Client-Ip": true,
	"X-Original-Forwarded-For": true, "X-Appengine-User-Ip": true,
}

// Forwarded reports whether h carries any header a proxy adds, present
// even if empty.
func Forwarded(h http.Header) bool {
	for k := range h {
		k = http.CanonicalHeaderKey(k)
		if proxyHeaders[k] || strings.HasPrefix(k, "X-Forwarded-") {
			return true
		}
	}
	return false
}
