package app_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"hearth/internal/app"
	"hearth/internal/forum"
	"hearth/internal/mail"
)

// TestEmailChange: a member moves their account to a new address by the
// link mailed there; the old address is told; an address another member
// has gets a notice instead, and the member hears the same answer.
func TestEmailChange(t *testing.T) {
	a, sink := startWithSink(t, &mail.Sink{}, app.Config{Mail: app.MailConfig{DisableDKIM: true}})
	ctx := t.Context()
	for _, e := range []string{"mia@example.org", "bo@example.org"} {
		if _, err := a.Service.CreateMember(ctx, forum.NewMember{Email: e, Name: "Member " + e[:2], Password: "member-password"}); err != nil {
			t.Fatal(err)
		}
	}
	mia := newBrowser(t, a.URL())
	expect(t, "mia logs in", mia.post("/login", url.Values{"email": {"mia@example.org"}, "password": {"member-password"}}), 303)
	expect(t, "the form", mia.get("/settings/email"), 200, "mia@example.org", "New email address")
	expect(t, "wrong password keeps the address", mia.post("/settings/email", url.Values{"email": {"mia@new.example.org"}, "password": {"nope"}}), 422,
		"not your current password", "mia@new.example.org")
	expect(t, "asked", mia.post("/settings/email", url.Values{"email": {"mia@new.example.org"}, "password": {"member-password"}}), 200, "is on its way")
	link := regexp.MustCompile(`/email/change\?token=[A-Za-z0-9_=-]+`)
	var tok string
	waitFor(t, "the link at the new address", func() bool {
		for _, m := range sink.Messages() {
			if m.To[0] == "mia@new.example.org" {
				tok = strings.TrimPrefix(link.FindString(strings.ReplaceAll(strings.ReplaceAll(string(m.Data), "=\r\n", ""), "=3D", "=")), "/email/change?token=")
			}
		}
		return tok != ""
	})
	expect(t, "the link's page changes nothing", mia.get("/email/change?token="+tok), 200, "Use my new address")
	if m, _ := a.Store.MemberByEmail(ctx, "mia@example.org"); m == nil {
		t.Fatal("opening the link's page changed the address")
	}
	expect(t, "changed", mia.post("/email/change", url.Values{"token": {tok}}), 200, "mia@new.example.org now")
	expect(t, "used once", mia.post("/email/change", url.Values{"token": {tok}}), 422, "expired or was already used")
	expect(t, "logs in with the new address", newBrowser(t, a.URL()).post("/login", url.Values{"email": {"mia@new.example.org"}, "password": {"member-password"}}), 303)
	waitFor(t, "the notice to the old address", func() bool {
		for _, m := range sink.Messages() {
			if m.To[0] == "mia@example.org" && strings.Contains(string(m.Data), "was changed") {
				return true
			}
		}
		return false
	})
	// Another member's address: the same answer, and a notice to its owner.
	expect(t, "taken", mia.post("/settings/email", url.Values{"email": {"bo@example.org"}, "password": {"member-password"}}), 200, "is on its way")
	waitFor(t, "the notice to bo", func() bool {
		for _, m := range sink.Messages() {
			if m.To[0] == "bo@example.org" && strings.Contains(string(m.Data), "Someone tried") {
				return true
			}
		}
		return false
	})
	// Registering with a taken address: the same answer, the owner told once an hour.
	guest := newBrowser(t, a.URL())
	for range 2 {
		if p := guest.post("/register", url.Values{"email": {"bo@example.org"}, "name": {"Not Bo"}, "password": {"member-password"}}); p.status != 303 {
			t.Fatalf("register with a taken address: %d", p.status)
		}
	}
	waitFor(t, "the notice of the second registration", func() bool {
		n := 0
		for _, m := range sink.Messages() {
			if m.To[0] == "bo@example.org" && strings.Contains(string(m.Data), "tried to join") {
				n++
			}
		}
		return n == 1
	})
}
