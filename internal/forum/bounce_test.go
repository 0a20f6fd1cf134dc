package forum_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"hearth/internal/forum"
	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

// TestBounces: a hard bounce stops mail to the member at once; soft ones
// when the third comes within a week (a report received twice counts
// once); turning mail back on clears the stop and the count; a token not
// ours, or a mail that was not the member's, changes nothing.
func TestBounces(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		f := newFixture(t, db)
		now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		f.svc.SetClock(func() time.Time { return now })
		n := 0
		// sent enqueues a mail to m and returns its bounce token.
		sent := func(m *forum.Member) string {
			t.Helper()
			n++
			mail := &forum.Mail{Key: fmt.Sprintf("k%d", n), Kind: "notify.reply", MemberID: m.ID, To: m.Name + " <" + m.Email + ">", Subject: "s", Text: "t"}
			if _, err := db.EnqueueMail(ctx, mail, now); err != nil {
				t.Fatal(err)
			}
			row, err := db.MailByKey(ctx, mail.Key)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := f.svc.MailToken(ctx, forum.TokenBounce, m.ID, strconv.FormatInt(row.ID, 10))
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		bounce := func(tok string, hard bool) bool {
			t.Helper()
			st := "4.2.2"
			if hard {
				st = "5.1.1"
			}
			stopped, err := f.svc.ReceiveBounce(ctx, forum.BounceMail{Token: tok, Hard: hard, Status: st, Reason: "mailbox says no"})
			if err != nil {
				t.Fatal(err)
			}
			return stopped
		}
		bounced := func(m *forum.Member) bool {
			t.Helper()
			b, _, err := f.svc.MailBounced(ctx, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		mia := f.member
		first := sent(mia)
		if bounce(first, false) || bounce(first, false) || bounce(sent(mia), false) || bounced(mia) {
			t.Fatal("two soft bounces (one reported twice) stopped mail")
		}
		now = now.Add(24 * time.Hour)
		if !bounce(sent(mia), false) || !bounced(mia) {
			t.Fatal("a third soft bounce within the week did not stop mail")
		}
		if _, why, _ := f.svc.MailBounced(ctx, mia.ID); why != "4.2.2 mailbox says no" {
			t.Errorf("reason %q", why)
		}
		if err := f.svc.ResumeMail(ctx, f.admin, f.admin.ID); err != nil {
			t.Fatal(err) // nothing stopped: no error
		}
		if err := f.svc.ResumeMail(ctx, nil, mia.ID); code(err) != forum.EUNAUTHORIZED {
			t.Errorf("a guest turned mail on: %v", err)
		}
		if err := f.svc.ResumeMail(ctx, mia, mia.ID); err != nil || bounced(mia) {
			t.Fatalf("resume: %v, still bounced %v", err, bounced(mia))
		}
		if bounce(sent(mia), false) || bounced(mia) {
			t.Fatal("the soft bounces before the resume still count")
		}
		// Soft bounces further apart than a week never add up.
		now = now.Add(8 * 24 * time.Hour)
		if bounce(sent(mia), false) || bounce(sent(mia), false) {
			t.Fatal("soft bounces more than a week apart stopped mail")
		}
		// A hard bounce stops mail at once; not the admin's.
		if !bounce(sent(mia), true) || !bounced(mia) || bounced(f.admin) {
			t.Fatal("a hard bounce did not stop mail, or stopped another member's")
		}
		// Tokens not ours, or for another member's mail, change nothing.
		adminTok := sent(f.admin)
		forged, _ := f.svc.MailToken(ctx, forum.TokenReply, f.admin.ID, "1")
		if bounce(forged, true) || bounce("1.2.abc", true) || bounced(f.admin) {
			t.Fatal("a forged or reply token stopped mail")
		}
		wrong, _ := f.svc.MailToken(ctx, forum.TokenBounce, f.admin.ID, "1") // outbox 1 was Mia's
		if bounce(wrong, true) || bounced(f.admin) {
			t.Fatal("a bounce of another member's mail stopped the admin's")
		}
		if !bounce(adminTok, true) || !bounced(f.admin) {
			t.Fatal("the admin's own hard bounce did not count")
		}
	})
}

// TestReplyMailAnswers: a person whose replies by mail are refused gets
// one answer an hour, an automatic mail none; a good reply posts.
func TestReplyMailAnswers(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		f := newFixture(t, db)
		f.svc.SetSite(forum.Site{Name: "Forum", BaseURL: "https://forum.example.org", MailDomain: "forum.example.org"})
		now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		f.svc.SetClock(func() time.Time { return now })
		th, _, err := f.svc.CreateThread(ctx, f.admin, forum.NewThread{CategoryID: f.cat.ID, Title: "Night trains", Body: "Which?"})
		if err != nil {
			t.Fatal(err)
		}
		answers := func() int {
			rows, err := db.ListMail(ctx, "", 50)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, r := range rows {
				if r.Kind == "inbound.refused" {
					n++
				}
			}
			return n
		}
		bad := forum.ReplyMail{Token: "1.2.nope", From: "x@example.net", ReturnPath: "x@example.net", Text: "hi"}
		for i, want := range []int{1, 1, 1, 2} {
			if i == 3 {
				now = now.Add(forum.AnswerInterval + time.Second)
			}
			if _, why, err := f.svc.ReceiveReply(ctx, bad); err != nil || why == "" {
				t.Fatalf("bad token: %q %v", why, err)
			}
			if i == 2 {
				auto := bad
				auto.Auto, auto.ReturnPath = true, "y@example.net"
				f.svc.ReceiveReply(ctx, auto)
			}
			if n := answers(); n != want {
				t.Fatalf("after refusal %d: %d answers, want %d", i+1, n, want)
			}
		}
		addr, err := f.svc.ReplyAddress(ctx, f.member.ID, th.ID)
		if err != nil {
			t.Fatal(err)
		}
		tok := addr[len("reply+"):strings.IndexByte(addr, '@')]
		p, why, err := f.svc.ReceiveReply(ctx, forum.ReplyMail{Token: tok, From: "MIA@example.org", ReturnPath: "mia@example.org", Text: "The sleeper."})
		if err != nil || why != "" || p.ThreadID != th.ID || p.AuthorID != f.member.ID {
			t.Fatalf("a good reply: %+v %q %v", p, why, err)
		}
	})
}
