package app_test

import (
	"html"
	"net/url"
	"regexp"
	"testing"

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
