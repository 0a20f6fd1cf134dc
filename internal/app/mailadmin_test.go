package app_test

import (
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"hearth/internal/app"
	"hearth/internal/app/apptest"
	"hearth/internal/forum"
	"hearth/internal/mail"
)

// TestAdminMailPage: the admin sees the outbox's counts, a failed mail
// with its address and the server's answer, and retries it once the cause
// is gone; members are refused the page.
func TestAdminMailPage(t *testing.T) {
	var refuse atomic.Bool
	refuse.Store(true)
	a, _ := startWithSink(t, &mail.Sink{Refuse: func(to string) error {
		if refuse.Load() && to == "full@example.org" {
			return &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 2, 2}, Message: "mailbox full"}
		}
		return nil
	}}, app.Config{})
	ctx := t.Context()
	if _, err := a.Service.CreateMember(ctx, adminMember()); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Service.CreateMember(ctx, forum.NewMember{Email: "mia@example.org", Name: "Mia Member", Password: miaPassword}); err != nil {
		t.Fatal(err)
	}
	m := app.TestMail(a.Config, "full@example.org", time.Now())
	if _, err := a.Store.EnqueueMail(ctx, &m, time.Now()); err != nil {
		t.Fatal(err)
	}
	row := waitMail(t, a, m.Key, forum.MailFailed)

	mia := webLogin(t, a, "mia@example.org", miaPassword)
	expect(t, "a member's look at the outbox", mia.get("/admin/mail"), 403)
	expect(t, "a member's retry", mia.post("/admin/mail/"+itoa(int(row.ID))+"/retry", nil), 403)

	admin := webLogin(t, a, "root@example.org", "owner-password")
	expect(t, "the admin page", admin.get("/admin"), 200, `href="/admin/mail"`)
	expect(t, "the outbox page", admin.get("/admin/mail"), 200,
		"<dt>Failed</dt><dd>1</dd>", "full@example.org", "mailbox full", "Retry now")

	refuse.Store(false)
	p := admin.post("/admin/mail/"+itoa(int(row.ID))+"/retry", nil)
	if p.status != 303 {
		t.Fatalf("retry: %d\n%s", p.status, p.body)
	}
	waitMail(t, a, m.Key, forum.MailSent)
	expect(t, "a second retry of a sent mail", admin.post("/admin/mail/"+itoa(int(row.ID))+"/retry", nil), 404, "not a failed mail")
	expect(t, "the outbox page after the retry", admin.get("/admin/mail"), 200, "<dt>Sent</dt><dd>1</dd>", "<dt>Failed</dt><dd>0</dd>")
}

// startWithSink starts a forum (cfg with test defaults) whose mail goes to sink.
func startWithSink(t *testing.T, sink *mail.Sink, cfg app.Config) (*app.App, *mail.Sink) {
	t.Helper()
	if err := sink.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	host, port, _ := net.SplitHostPort(sink.Addr())
	p, _ := strconv.Atoi(port)
	cfg.Log, cfg.SiteName = testLog(t), "Travel Agents"
	cfg.Mail.SMTP = mail.SMTPConfig{Host: host, Port: p, TLS: mail.NoTLS}
	cfg.Mail.From = "accounts@forum.example.org"
	return apptest.Start(t, cfg), sink
}

// waitMail waits until the outbox row of key is in state.
func waitMail(t *testing.T, a *app.App, key string, state forum.MailState) *forum.OutboxMail {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		row, err := a.Store.MailByKey(t.Context(), key)
		if err != nil {
			t.Fatal(err)
		}
		if row.State == state {
			return row
		}
		if time.Now().After(deadline) {
			t.Fatalf("mail %s is %s, not %s, after 10 s (%s)", key, row.State, state, row.LastError)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
