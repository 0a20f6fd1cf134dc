package app_test

import (
	"bytes"
	"fmt"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"hearth/internal/app"
	"hearth/internal/forum"
	"hearth/internal/mail"
)

const mailDomain = "forum.example.org"

// mailForum starts a forum that sends to a sink and takes mail on its own
// listener, with an admin, Ada, Bob, a category and a thread.
type mailForum struct {
	a              *app.App
	sink           *mail.Sink
	admin, ada, bo *forum.Member
	thread         *forum.Thread
	cat            *forum.Category
}

func newMailForum(t *testing.T) *mailForum {
	t.Helper()
	a, sink := startWithSink(t, &mail.Sink{}, app.Config{Mail: app.MailConfig{Domain: mailDomain, Listen: "127.0.0.1:0", DisableDKIM: true}})
	f := &mailForum{a: a, sink: sink}
	ctx, svc := t.Context(), a.Service
	var err error
	if f.admin, err = svc.CreateMember(ctx, adminMember()); err != nil {
		t.Fatal(err)
	}
	if f.ada, err = svc.CreateMember(ctx, forum.NewMember{Email: "ada@example.org", Name: "Ada Agent", Password: miaPassword}); err != nil {
		t.Fatal(err)
	}
	if f.bo, err = svc.CreateMember(ctx, forum.NewMember{Email: "bo@example.org", Name: "Bo Booker", Password: miaPassword}); err != nil {
		t.Fatal(err)
	}
	if f.cat, err = svc.CreateCategory(ctx, f.admin, forum.CategoryInput{Name: "Ferries", Description: "Boats."}); err != nil {
		t.Fatal(err)
	}
	f.thread = f.newThread(t, "Which ferry to Lisbon?")
	return f
}

func (f *mailForum) newThread(t *testing.T, title string) *forum.Thread {
	t.Helper()
	th, _, err := f.a.Service.CreateThread(t.Context(), f.admin, forum.NewThread{CategoryID: f.cat.ID, Title: title, Body: "Which one is best?"})
	if err != nil {
		t.Fatal(err)
	}
	return th
}

// send delivers a mail to the forum's listener as a mail server would.
func (f *mailForum) send(t *testing.T, envFrom, to, headers, body string) {
	t.Helper()
	raw := headers + "To: " + to + "\nSubject: Re: Which ferry to Lisbon?\nMessage-ID: <m" + fmt.Sprint(time.Now().UnixNano()) + "@example.org>\n" +
		"Content-Type: text/plain; charset=utf-8\n\n" + body
	if err := mail.Inject(f.a.InboundAddr(), envFrom, to, []byte(raw)); err != nil {
		t.Fatalf("the listener refused the mail: %v", err)
	}
}

func (f *mailForum) posts(t *testing.T, th *forum.Thread) []*forum.Post {
	t.Helper()
	p, err := f.a.Service.Thread(t.Context(), f.admin, th.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	return p.Posts
}

// answers are the outbox's answers to refused replies, by address.
func (f *mailForum) answers(t *testing.T) map[string]int {
	t.Helper()
	rows, err := f.a.Store.ListMail(t.Context(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range rows {
		if r.Kind == "inbound.refused" {
			out[r.To]++
		}
	}
	return out
}

// TestReplyByMail: a reply to a notification's reply address becomes a
// post in the thread as its member, trimmed of the quote and signature;
// replies that may not be posted are refused, each person told once, an
// automatic mail never.
func TestReplyByMail(t *testing.T) {
	f := newMailForum(t)
	ctx, svc := t.Context(), f.a.Service
	adaAddr, err := svc.ReplyAddress(ctx, f.ada.ID, f.thread.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(adaAddr, "reply+") || !strings.HasSuffix(adaAddr, "@"+mailDomain) {
		t.Fatalf("reply address %q", adaAddr)
	}
	f.send(t, "ada@example.org", adaAddr, "From: Ada Agent <Ada@Example.org>\n",
		"Take the 7:40, it is quieter.\n\nOn Tue, Mar 12, 2024 at 10:15 AM Travel Agents <notify@forum.example.org> wrote:\n> Which one is best?\n\n-- \nAda, Lovelace Travel\n")
	ps := f.posts(t, f.thread)
	if len(ps) != 2 || ps[1].AuthorID != f.ada.ID || ps[1].Body != "Take the 7:40, it is quieter." {
		t.Fatalf("thread after the reply: %d posts, last %+v", len(ps), ps[len(ps)-1])
	}

	locked := f.newThread(t, "Night trains")
	if err := svc.SetThreadFlags(ctx, f.admin, locked.ID, false, true); err != nil {
		t.Fatal(err)
	}
	lockedAddr, _ := svc.ReplyAddress(ctx, f.ada.ID, locked.ID)
	boAddr, _ := svc.ReplyAddress(ctx, f.bo.ID, f.thread.ID)
	tampered := adaAddr[:strings.IndexByte(adaAddr, '@')-2] + "zz@" + mailDomain
	if err := svc.SetMemberStatus(ctx, f.admin, f.bo.ID, "", forum.StatusSuspended); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, envFrom, to, headers string
		thread                     *forum.Thread
		answered                   string // who gets the one answer, "" for nobody
	}{
		{"bad token", "stranger@example.net", tampered, "From: stranger@example.net\n", f.thread, "stranger@example.net"},
		{"not the member's From", "eve@example.net", adaAddr, "From: Eve <eve@example.net>\n", f.thread, "eve@example.net"},
		{"auto-reply", "ada@example.org", adaAddr, "From: ada@example.org\nAuto-Submitted: auto-replied\n", f.thread, ""},
		{"x-autoreply", "ada@example.org", adaAddr, "From: ada@example.org\nX-Autoreply: yes\n", f.thread, ""},
		{"bulk", "ada@example.org", adaAddr, "From: ada@example.org\nPrecedence: bulk\n", f.thread, ""},
		{"empty return path", "", adaAddr, "From: ada@example.org\n", f.thread, ""},
		{"locked thread", "ada@example.org", lockedAddr, "From: ada@example.org\n", locked, "ada@example.org"},
		{"suspended member", "bo@example.org", boAddr, "From: bo@example.org\n", f.thread, "bo@example.org"},
		{"a second refusal within the hour", "ada@example.org", lockedAddr, "From: ada@example.org\n", locked, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			before, answersBefore := len(f.posts(t, c.thread)), f.answers(t)
			f.send(t, c.envFrom, c.to, c.headers, "Posted anyway?\n")
			if n := len(f.posts(t, c.thread)); n != before {
				t.Errorf("the thread has %d posts, had %d: the reply was posted", n, before)
			}
			answers := f.answers(t)
			for addr, n := range answers {
				want := answersBefore[addr]
				if addr == c.answered {
					want++
				}
				if n != want {
					t.Errorf("%d answers to %s, want %d", n, addr, want)
				}
			}
			if c.answered != "" && answers[c.answered] == 0 {
				t.Errorf("no answer to %s", c.answered)
			}
		})
	}
	// The answer reaches the person as an auto-reply that says why.
	_, text := mailTo(t, f.sink, "ada@example.org", 0)
	if !strings.Contains(text, "locked") {
		t.Errorf("the answer to Ada does not say the thread is locked:\n%s", text)
	}
	for _, r := range f.sink.Messages() {
		msg, err := netmail.ReadMessage(bytes.NewReader(r.Data))
		if err != nil {
			t.Fatal(err)
		}
		if msg.Header.Get("List-Unsubscribe") != "" {
			continue // a notification of a reply that was posted, not an answer
		}
		if got := msg.Header.Get("Auto-Submitted"); got != "auto-replied" {
			t.Errorf("an answer to %v has Auto-Submitted %q", r.To, got)
		}
	}

	// Other recipients are refused at RCPT; mail over the size limit with 552.
	for _, to := range []string{"ada@" + mailDomain, "reply+x@elsewhere.example", "postmaster@" + mailDomain} {
		if err := mail.Inject(f.a.InboundAddr(), "ada@example.org", to, []byte("Subject: hi\n\nhi\n")); err == nil || !strings.Contains(err.Error(), "550") {
			t.Errorf("mail to %s: %v, want 550", to, err)
		}
	}
	big := "From: ada@example.org\nSubject: big\n\n" + strings.Repeat("ferry timetables\n", 70000)
	if err := mail.Inject(f.a.InboundAddr(), "ada@example.org", adaAddr, []byte(big)); err == nil || !strings.Contains(err.Error(), "552") {
		t.Errorf("a 1.2 MB mail: %v, want 552", err)
	}
}

// TestBounceStopsMail: mail to a member goes out with a VERP envelope
// sender; a hard bounce (a DSN) to that address stops mail to them, so the
// worker fails their next mail without sending it; the member sees why on
// their profile and turns mail back on.
func TestBounceStopsMail(t *testing.T) {
	f := newMailForum(t)
	ctx := t.Context()
	notice := func(key string) forum.Mail {
		return forum.Mail{Key: key, Kind: "notify.reply", MemberID: f.ada.ID, To: "Ada Agent <ada@example.org>", Subject: "New reply", Text: "Bo replied."}
	}
	m := notice("n1")
	if _, err := f.a.Store.EnqueueMail(ctx, &m, time.Now()); err != nil {
		t.Fatal(err)
	}
	waitMail(t, f.a, "n1", forum.MailSent)
	got := f.sink.Messages()
	if len(got) != 1 {
		t.Fatalf("%d mails sent, want 1", len(got))
	}
	envFrom := got[0].From
	if !strings.HasPrefix(envFrom, "bounce+") || !strings.HasSuffix(envFrom, "@"+mailDomain) {
		t.Fatalf("envelope sender %q, want bounce+TOKEN@%s", envFrom, mailDomain)
	}

	dsn := "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\nTo: " + envFrom + "\nSubject: Undelivered Mail Returned to Sender\nAuto-Submitted: auto-replied\n" +
		"MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n" +
		"--B\nContent-Type: text/plain\n\nI'm sorry to have to inform you that your message could not be delivered.\n\n" +
		"--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; ada@example.org\nAction: failed\nStatus: 5.1.1\n" +
		"Diagnostic-Code: smtp; 550 5.1.1 <ada@example.org>: Recipient address rejected:\n User unknown in virtual mailbox table\n\n" +
		"--B\nContent-Type: message/rfc822\n\nSubject: New reply\n\nBo replied.\n--B--\n"
	if err := mail.Inject(f.a.InboundAddr(), "", envFrom, []byte(dsn)); err != nil {
		t.Fatal(err)
	}
	stopped, why, err := f.a.Service.MailBounced(ctx, f.ada.ID)
	if err != nil || !stopped || !strings.Contains(why, "5.1.1") || !strings.Contains(why, "User unknown") {
		t.Fatalf("after a hard bounce: stopped %v (%q) %v", stopped, why, err)
	}
	if len(f.answers(t)) != 0 {
		t.Error("a bounce was answered")
	}

	m = notice("n2")
	if _, err := f.a.Store.EnqueueMail(ctx, &m, time.Now()); err != nil {
		t.Fatal(err)
	}
	row := waitMail(t, f.a, "n2", forum.MailFailed)
	if !strings.Contains(row.LastError, "bounced") || row.Attempts != 1 {
		t.Errorf("the stopped mail failed with %q after %d tries", row.LastError, row.Attempts)
	}
	if n := f.sink.Count(); n != 1 {
		t.Errorf("the sink received %d mails, want still 1", n)
	}

	b := webLogin(t, f.a, "ada@example.org", miaPassword)
	prof := "/m/" + itoa(int(f.ada.ID))
	expect(t, "Ada's profile", b.get(prof), 200, "Mail to you has stopped", "User unknown", "try again")
	if p := newBrowser(t, f.a.URL()).get(prof); strings.Contains(p.body, "has stopped") {
		t.Error("a guest sees that Ada's mail bounced")
	}
	if p := b.post(prof+"/mail/resume", nil); p.status != 303 {
		t.Fatalf("resume: %d %s", p.status, p.body)
	}
	if stopped, _, _ := f.a.Service.MailBounced(ctx, f.ada.ID); stopped {
		t.Error("still stopped after Ada turned mail back on")
	}
	expect(t, "Ada's profile after", b.get(prof+"?mail=resumed"), 200, "turned back on")
}

// TestUnsubscribeByMail: the mailto of List-Unsubscribe, sent to the
// listener, takes the member off that list.
func TestUnsubscribeByMail(t *testing.T) {
	f := newMailForum(t)
	ctx, svc := t.Context(), f.a.Service
	tok, err := svc.MailToken(ctx, forum.TokenUnsubscribe, f.ada.ID, "broadcast")
	if err != nil {
		t.Fatal(err)
	}
	if off, _ := svc.MailOptOut(ctx, f.ada.ID); off {
		t.Fatal("ada is off the broadcast before unsubscribing")
	}
	f.send(t, "ada@example.org", "unsubscribe+"+tok+"@"+mailDomain, "From: ada@example.org\n", "unsubscribe\n")
	if off, err := svc.MailOptOut(ctx, f.ada.ID); err != nil || !off {
		t.Fatalf("after the unsubscribe mail: off %v, %v", off, err)
	}
	// A rebuilt roster lists her, not to be mailed.
	n, err := app.RosterConsumer(f.a.Config, f.a.Store, svc, nil).Rebuild(ctx)
	if err != nil || n.Unsubscribed != 1 || n.Listed != 3 {
		t.Errorf("roster after the unsubscribe: %+v, %v", n, err)
	}
	// A damaged token is taken and dropped: nothing to answer.
	f.send(t, "bo@example.org", "unsubscribe+"+tok[:len(tok)-2]+"xx@"+mailDomain, "From: bo@example.org\n", "unsubscribe\n")
}
