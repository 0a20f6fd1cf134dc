package app_test

import (
	"regexp"
	"testing"

	"hearth/internal/app"
)

var confirmLink = regexp.MustCompile(`/confirm\?token=([A-Za-z0-9_-]+)`)

// confirmToken returns the token of the newest confirmation link in the
// outbox for addr (the row, before quoted-printable).
func confirmToken(t *testing.T, a *app.App, addr string) string {
	t.Helper()
	ms, err := a.Store.ListMail(t.Context(), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms { // newest first
		if m.Kind == "account.confirm" && m.To == addr {
			if sm := confirmLink.FindStringSubmatch(m.Text); sm != nil {
				return sm[1]
			}
		}
	}
	t.Fatalf("no confirmation link for %s in the outbox", addr)
	return ""
}

// confirmMember opens the link mailed to a registered member.
func confirmMember(t *testing.T, a *app.App, addr string) {
	t.Helper()
	if _, err := a.Service.ConfirmEmail(t.Context(), confirmToken(t, a, addr)); err != nil {
		t.Fatal(err)
	}
}
