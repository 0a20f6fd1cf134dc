package app_test

import (
	"bytes"
	"io"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"hearth/internal/app"
	"hearth/internal/app/apptest"
	"hearth/internal/forum"
	"hearth/internal/mail"
)

// startWithMail starts a forum whose mail goes to a real SMTP server in
// this process.
func startWithMail(t *testing.T) (*app.App, *mail.Sink) {
	t.Helper()
	sink := &mail.Sink{}
	if err := sink.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	host, port, _ := net.SplitHostPort(sink.Addr())
	p, _ := strconv.Atoi(port)
	a := apptest.Start(t, app.Config{Log: testLog(t), SiteName: "Travel Agents", Mail: app.MailConfig{
		SMTP: mail.SMTPConfig{Host: host, Port: p, TLS: mail.NoTLS}, From: "accounts@forum.example.org",
	}})
	return a, sink
}

// mailTo waits for the next mail to addr after the first n and returns
// its subject and decoded text.
func mailTo(t *testing.T, sink *mail.Sink, addr string, n int) (subject, text string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		seen := 0
		for _, r := range sink.Messages() {
			if len(r.To) != 1 || r.To[0] != addr {
				continue
			}
			if seen++; seen <= n {
				continue
			}
			msg, err := netmail.ReadMessage(bytes.NewReader(r.Data))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(msg.Body)
			if strings.Contains(msg.Header.Get("Content-Type"), "multipart") {
				return msg.Header.Get("Subject"), string(b) // the parts, still encoded: links survive quoted-printable soft breaks below
			}
			dec, _ := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(b)))
			return msg.Header.Get("Subject"), string(dec)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mail %d to %s within 10 s", n+1, addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestPasswordReset: a member who forgot their password asks for a link,
// reads it in the mail, chooses a new one and logs in with it; the link
// works once; an unknown address gets the same answer and no mail; the
// member is told by mail that their password changed.
func TestPasswordReset(t *testing.T) {
	a, sink := startWithMail(t)
	ctx := t.Context()
	if _, err := a.Service.CreateMember(ctx, forum.NewMember{Email: "ada@example.org", Name: "Ada Agent", Password: "old ferry passphrase"}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, a.URL())
	expect(t, "login page", b.get("/login"), 200, `href="/forgot"`)
	expect(t, "forgot form", b.get("/forgot"), 200, "Mail me a link")
	asked := b.post("/forgot", url.Values{"email": {"ada@example.org"}})
	expect(t, "asked", asked, 200, "a link to choose a new password is on its way")
	unknown := b.post("/forgot", url.Values{"email": {"nobody@example.org"}})
	expect(t, "unknown address", unknown, 200, "a link to choose a new password is on its way")

	subject, body := mailTo(t, sink, "ada@example.org", 0)
	if !strings.Contains(subject, "new password") {
		t.Errorf("subject %q", subject)
	}
	flat := strings.ReplaceAll(strings.ReplaceAll(body, "=\r\n", ""), "=3D", "=")
	m := regexp.MustCompile(`/reset\?token=([A-Za-z0-9_-]+)`).FindStringSubmatch(flat)
	if m == nil {
		t.Fatalf("no reset link in:\n%s", body)
	}
	token := m[1]
	expect(t, "reset form", b.get("/reset?token="+token), 200, "Save the new password")
	weak := b.post("/reset", url.Values{"token": {token}, "password": {"password123"}})
	expect(t, "a weak password is refused, the link kept", weak, 422, `name="token" value="`+token)
	done := b.post("/reset", url.Values{"token": {token}, "password": {"harbour lights at dawn"}})
	expect(t, "reset", done, 303)
	if loc := done.header.Get("Location"); !strings.HasPrefix(loc, "/login?") || !strings.Contains(loc, "reset=1") {
		t.Errorf("after the reset: %q", loc)
	}
	expect(t, "login notice", b.get("/login?reset=1&email=ada%40example.org"), 200, "Your new password is saved")
	expect(t, "old password", b.post("/login", url.Values{"email": {"ada@example.org"}, "password": {"old ferry passphrase"}}), 401)
	expect(t, "new password", b.post("/login", url.Values{"email": {"ada@example.org"}, "password": {"harbour lights at dawn"}}), 303)
	again := newBrowser(t, a.URL())
	expect(t, "the link a second time", again.get("/reset?token="+token), 422, "expired or was already used", `href="/forgot"`)
	expect(t, "a made-up link", again.post("/reset", url.Values{"token": {"made-up"}, "password": {"harbour lights at dawn"}}), 422, "expired or was already used")

	subject, body = mailTo(t, sink, "ada@example.org", 1)
	if !strings.Contains(subject, "was changed") || !strings.Contains(body, "logged out") {
		t.Errorf("the notice: %q\n%s", subject, body)
	}
	for _, r := range sink.Messages() {
		if r.To[0] == "nobody@example.org" {
			t.Error("a mail went to an address that is no member's")
		}
	}

	// The same through the API.
	for _, email := range []string{"ada@example.org", "nobody@example.org"} {
		if st, out := api(t, a.URL(), "POST", "/api/v1/password-resets", "", map[string]any{"email": email}); st != 202 || out["message"] != forum.ResetRequestedMessage {
			t.Errorf("API reset request for %s: %d %v", email, st, out)
		}
	}
	_, body = mailTo(t, sink, "ada@example.org", 2)
	flat = strings.ReplaceAll(strings.ReplaceAll(body, "=\r\n", ""), "=3D", "=")
	token = regexp.MustCompile(`/reset\?token=([A-Za-z0-9_-]+)`).FindStringSubmatch(flat)[1]
	if st, _ := api(t, a.URL(), "POST", "/api/v1/password-resets/use", "", map[string]any{"token": token, "password": "tidal charts for sailors"}); st != 204 {
		t.Errorf("API reset: %d", st)
	}
	if st, out := api(t, a.URL(), "POST", "/api/v1/password-resets/use", "", map[string]any{"token": token, "password": "tidal charts for sailors"}); st != 422 {
		t.Errorf("API reset a second time: %d %v", st, out)
	}
	apiLogin(t, a, "ada@example.org", "tidal charts for sailors")
}

// TestApprovalMail: a member who waited for approval is told by mail, once,
// when an admin approves them.
func TestApprovalMail(t *testing.T) {
	a, sink := startWithMail(t)
	ctx := t.Context()
	admin, err := a.Service.CreateMember(ctx, adminMember())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Service.SetRequireApproval(ctx, admin, true); err != nil {
		t.Fatal(err)
	}
	if err := a.Service.Register(ctx, forum.NewMember{Email: "new@example.org", Name: "New Agent", Password: "a long walk on the pier"}); err != nil {
		t.Fatal(err)
	}
	m := mustMember(t, a, "new@example.org")
	if m.Status != forum.StatusPending {
		t.Fatalf("status %s", m.Status)
	}
	if err := a.Service.SetMemberStatus(ctx, admin, m.ID, forum.StatusPending, forum.StatusActive); err != nil {
		t.Fatal(err)
	}
	// The confirmation link (mailed at registration) and the approval, in either order.
	subject, body := mailTo(t, sink, "new@example.org", 0)
	if strings.Contains(subject, "Confirm your email address") {
		subject, body = mailTo(t, sink, "new@example.org", 1)
	}
	if !strings.Contains(subject, "approved") || !strings.Contains(body, "/login") {
		t.Errorf("approval mail: %q\n%s", subject, body)
	}
	// Suspended and reactivated: no second welcome.
	must(t, a.Service.SetMemberStatus(ctx, admin, m.ID, "", forum.StatusSuspended))
	must(t, a.Service.SetMemberStatus(ctx, admin, m.ID, "", forum.StatusActive))
	time.Sleep(1500 * time.Millisecond)
	n := 0
	for _, r := range sink.Messages() {
		if r.To[0] == "new@example.org" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d mails to the approved member, want 2 (the confirmation and the approval)", n)
	}
}
