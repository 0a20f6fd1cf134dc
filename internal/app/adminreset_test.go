package app_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"hearth/internal/forum"
)

// TestAdminSendsPasswordReset: "Send reset link" on the admin page mails
// the member the same link "Forgot your password?" does; only admins may,
// and a suspended member gets none.
func TestAdminSendsPasswordReset(t *testing.T) {
	a, sink := startWithMail(t)
	ctx := t.Context()
	admin, err := a.Service.CreateMember(ctx, adminMember())
	if err != nil {
		t.Fatal(err)
	}
	mia, err := a.Service.CreateMember(ctx, forum.NewMember{Email: "mia@example.org", Name: "Mia Member", Password: "trams of the alfama"})
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(mia.ID, 10)
	b := webLogin(t, a, "root@example.org", "owner-password")
	expect(t, "admin page", b.get("/admin"), 200, `action="/admin/members/`+id+`/reset"`, "Send reset link")
	if strings.Contains(b.get("/admin").body, `action="/admin/members/`+strconv.FormatInt(admin.ID, 10)+`/reset"`) {
		t.Error("the admin is offered a reset link for themselves")
	}
	sent := b.post("/admin/members/"+id+"/reset", nil)
	expect(t, "send", sent, 303)
	if sent.loc != "/admin?reset="+id+"#members" {
		t.Fatalf("after sending: %q", sent.loc)
	}
	expect(t, "notice", b.get(strings.TrimSuffix(sent.loc, "#members")), 200, "A link to choose a new password is on its way to Mia Member")
	_, body := mailTo(t, sink, "mia@example.org", 0)
	flat := strings.ReplaceAll(strings.ReplaceAll(body, "=\r\n", ""), "=3D", "=")
	if !regexp.MustCompile(`/reset\?token=[A-Za-z0-9_-]+`).MatchString(flat) {
		t.Errorf("no reset link in:\n%s", body)
	}

	member := webLogin(t, a, "mia@example.org", "trams of the alfama")
	expect(t, "a member", member.post("/admin/members/"+strconv.FormatInt(admin.ID, 10)+"/reset", nil), 403)
	expect(t, "no such member", b.post("/admin/members/99999/reset", nil), 404)
	must(t, a.Service.SetMemberStatus(ctx, admin, mia.ID, "", forum.StatusSuspended))
	expect(t, "suspended", b.post("/admin/members/"+id+"/reset", nil), 422, "reactivate them first")
}
