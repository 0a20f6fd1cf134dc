package app_test

import (
	"bytes"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"hearth/internal/app"
	"hearth/internal/app/apptest"
	"hearth/internal/clientip"
	"hearth/internal/forum"
)

var nextField = regexp.MustCompile(`name="next" value="([^"]*)"`)

// TestLoginRedirectStaysOnSite: after logging in, the member lands on the
// page they came from, and never on another host (finding 3).
func TestLoginRedirectStaysOnSite(t *testing.T) {
	a := start(t, "sqlite")
	if _, err := a.Service.CreateMember(t.Context(), forum.NewMember{Email: "mia@example.org", Name: "Mia Member", Password: "member-password"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ next, want string }{
		{"/t/1/lisbon?page=2", "/t/1/lisbon?page=2"},
		{"/./\\evil.example", "/"},
		{"/./%5Cevil.example", "/"},
		{"//evil.example", "/"},
		{"/\\evil.example", "/"},
		{"https://evil.example/", "/"},
		{"/\t/evil.example", "/"},
		{"/%2F%2Fevil.example", "/evil.example"},
	}
	for _, tt := range tests {
		b := newBrowser(t, a.URL())
		p := b.get("/login?next=" + url.QueryEscape(tt.next))
		m := nextField.FindStringSubmatch(p.body)
		if p.status != 200 || m == nil || html.UnescapeString(m[1]) != tt.want {
			t.Errorf("login form for next=%q: %d, next field %q, want %q", tt.next, p.status, m, tt.want)
		}
		// The raw value posted, as a crafted form would.
		p = b.post("/login", url.Values{"email": {"mia@example.org"}, "password": {"member-password"}, "next": {tt.next}})
		if p.status != 303 || p.loc != tt.want {
			t.Errorf("login with next=%q: %d to %q, want 303 to %q", tt.next, p.status, p.loc, tt.want)
		}
	}
}

// lockedBuffer collects a server's log lines while it serves.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// loginVia posts a wrong login as a reverse proxy on this machine would
// forward it, with X-Forwarded-For as given.
func loginVia(b *browser, xff string) page {
	b.t.Helper()
	form := url.Values{"email": {"x@example.org"}, "password": {"wrong-password"}}
	req, _ := http.NewRequest("POST", b.base+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	req.Header.Set("X-Forwarded-For", xff)
	return b.do(req)
}

// TestLoginLimitBehindAppendingProxy covers finding 6: behind a proxy that
// appends the client's address to X-Forwarded-For, a client cannot escape
// the login limit by sending an X-Forwarded-For of its own.
func TestLoginLimitBehindAppendingProxy(t *testing.T) {
	t.Run("proxy on this machine", func(t *testing.T) {
		a := apptest.StartWithLimits(t, app.Config{TrustProxy: true, Log: testLog(t)})
		b := newBrowser(t, a.URL())
		var last page
		for i := range 15 {
			// The client forges a new address each time; the proxy appends
			// the one it saw, 198.51.100.7.
			last = loginVia(b, "203.0.113."+strconv.Itoa(i)+", 198.51.100.7")
		}
		expect(t, "15th login of one client", last, 429, "Too many login attempts")
		// The limit is that client's, not everyone's behind the proxy.
		expect(t, "another client", loginVia(b, "203.0.113.1, 198.51.100.8"), 401, "Wrong email or password")
	})
	t.Run("header from a machine that is not a proxy", func(t *testing.T) {
		logs := &lockedBuffer{}
		proxies, _ := clientip.Parse("10.0.0.0/8")
		a := apptest.StartWithLimits(t, app.Config{TrustedProxies: proxies, Log: slog.New(slog.NewTextHandler(logs, nil))})
		b := newBrowser(t, a.URL())
		var last page
		for i := range 15 {
			last = loginVia(b, "198.51.100."+strconv.Itoa(i))
		}
		expect(t, "15th login from 127.0.0.1", last, 429, "Too many login attempts")
		if got := logs.String(); strings.Count(got, "not a trusted proxy") != 1 || !strings.Contains(got, "--trusted-proxies") {
			t.Errorf("want one warning naming --trusted-proxies, got:\n%s", got)
		}
	})
}
