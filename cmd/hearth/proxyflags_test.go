package main

import (
	"strings"
	"testing"
)

// TestServeRefusesBadProxyList: a mistyped --trusted-proxies (or its
// environment variable) stops serve with the entry named, instead of
// trusting nothing or everything (finding 6).
func TestServeRefusesBadProxyList(t *testing.T) {
	code, _, errs := runCmd(t, "", "serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0", "--trusted-proxies", "10.0.0.0/8,10.0.0.0/33")
	if code != 2 || !strings.Contains(errs, `"10.0.0.0/33" is not an IP address or CIDR range`) {
		t.Errorf("bad flag: %d %q", code, errs)
	}
	t.Setenv("HEARTH_TRUSTED_PROXIES", "proxy.internal")
	code, _, errs = runCmd(t, "", "serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(errs, `HEARTH_TRUSTED_PROXIES: "proxy.internal" is not an IP address or CIDR range`) {
		t.Errorf("bad environment variable: %d %q", code, errs)
	}
}
