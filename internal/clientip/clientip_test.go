package clientip

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestClientIPTakesTheHopTheProxyAdded covers finding 6: behind a proxy
// that appends, the client is the rightmost address that is not a trusted
// proxy, whatever the client wrote into X-Forwarded-For itself.
func TestClientIPTakesTheHopTheProxyAdded(t *testing.T) {
	proxies, err := Parse("10.0.0.0/8, 192.168.1.5")
	if err != nil {
		t.Fatal(err)
	}
	proxies = append(proxies, Loopback...)
	tests := []struct {
		name    string
		proxies Proxies
		remote  string
		xff     []string
		want    string
	}{
		{"no proxy trusted", nil, "203.0.113.9:4000", []string{"198.51.100.7"}, "203.0.113.9"},
		{"not from a trusted proxy", proxies, "203.0.113.9:4000", []string{"198.51.100.7"}, "203.0.113.9"},
		{"trusted proxy, no header", proxies, "10.0.0.2:4000", nil, "10.0.0.2"},
		{"trusted proxy", proxies, "10.0.0.2:4000", []string{"198.51.100.7"}, "198.51.100.7"},
		{"single trusted address", proxies, "192.168.1.5:4000", []string{"198.51.100.7"}, "198.51.100.7"},
		{"next address is not trusted", proxies, "192.168.1.6:4000", []string{"198.51.100.7"}, "192.168.1.6"},
		{"client's own entry ignored", proxies, "10.0.0.2:4000", []string{"6.6.6.6, 198.51.100.7"}, "198.51.100.7"},
		{"client forges a proxy address", proxies, "10.0.0.2:4000", []string{"10.0.0.9, 198.51.100.7"}, "198.51.100.7"},
		{"chain of proxies", proxies, "10.0.0.2:4000", []string{"6.6.6.6, 198.51.100.7, 10.0.0.3"}, "198.51.100.7"},
		{"header lines in order", proxies, "10.0.0.2:4000", []string{"6.6.6.6", "198.51.100.7, 10.0.0.3"}, "198.51.100.7"},
		{"all trusted", proxies, "10.0.0.2:4000", []string{"10.0.0.4, 10.0.0.3"}, "10.0.0.4"},
		{"garbage added last", proxies, "10.0.0.2:4000", []string{"198.51.100.7, garbage"}, "10.0.0.2"},
		{"garbage behind a proxy", proxies, "10.0.0.2:4000", []string{"garbage, 10.0.0.3"}, "10.0.0.3"},
		{"garbage left of the client", proxies, "10.0.0.2:4000", []string{"garbage, 198.51.100.7"}, "198.51.100.7"},
		{"unknown", proxies, "10.0.0.2:4000", []string{"unknown"}, "10.0.0.2"},
		{"empty last entry", proxies, "10.0.0.2:4000", []string{"198.51.100.7, "}, "10.0.0.2"},
		{"empty header", proxies, "10.0.0.2:4000", []string{""}, "10.0.0.2"},
		{"very long garbage", proxies, "10.0.0.2:4000", []string{strings.Repeat("x", 10000)}, "10.0.0.2"},
		{"entry with port", proxies, "10.0.0.2:4000", []string{"198.51.100.7:41234"}, "198.51.100.7"},
		{"IPv6 entry with port", proxies, "10.0.0.2:4000", []string{"[2001:db8::1]:443"}, "2001:db8::1"},
		{"IPv6 entry", proxies, "10.0.0.2:4000", []string{"2001:db8::1"}, "2001:db8::1"},
		{"IPv4-mapped entry", proxies, "10.0.0.2:4000", []string{"::ffff:198.51.100.7"}, "198.51.100.7"},
		{"loopback proxy", proxies, "127.0.0.1:4000", []string{"198.51.100.7"}, "198.51.100.7"},
		{"IPv6 loopback proxy", proxies, "[::1]:4000", []string{"198.51.100.7"}, "198.51.100.7"},
		{"IPv4-mapped loopback proxy", proxies, "[::ffff:127.0.0.1]:4000", []string{"198.51.100.7"}, "198.51.100.7"},
		{"loopback only", Loopback, "10.0.0.2:4000", []string{"198.51.100.7"}, "10.0.0.2"},
		{"odd remote address", proxies, "pipe", []string{"198.51.100.7"}, "pipe"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		for _, v := range tt.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := tt.proxies.ClientIP(r); got != tt.want {
			t.Errorf("%s: ClientIP = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestParseProxies(t *testing.T) {
	p, err := Parse(" 10.0.0.0/8,192.168.1.5 ,, fd00::/8, ::ffff:172.16.0.0/108, 10.1.2.3/16")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.String(), "10.0.0.0/8,192.168.1.5,fd00::/8,172.16.0.0/12,10.1.0.0/16"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	for _, bad := range []string{"10.0.0.0/33", "nope", "10.0.0.256", "10.0.0.1:80", "*"} {
		if _, err := Parse(bad); err == nil || !strings.Contains(err.Error(), "is not an IP address or CIDR range") {
			t.Errorf("Parse(%q): %v", bad, err)
		}
	}
	var q Proxies
	if err := q.Set(""); err != nil || len(q) != 0 {
		t.Errorf("Set(\"\") = %v, %v", q, err)
	}
}

func TestForwarded(t *testing.T) {
	for _, h := range []string{"X-Forwarded-For", "x-forwarded-host", "X-Forwarded-Proto", "Forwarded", "X-Real-IP", "Via", "CF-Connecting-IP", "True-Client-IP"} {
		if !Forwarded(http.Header{h: {""}}) {
			t.Errorf("%s not seen as forwarded", h)
		}
	}
	if Forwarded(http.Header{"Accept": {"*/*"}, "User-Agent": {"prometheus"}}) {
		t.Error("plain request seen as forwarded")
	}
}
