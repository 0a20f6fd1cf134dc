package mail_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"hearth/internal/forum"
	"hearth/internal/mail"
	"hearth/internal/notify"
	"hearth/internal/render"
	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

// notifyForum is a small forum with a clock, its notifications consumer
// and a notifier over it.
type notifyForum struct {
	t        *testing.T
	db       *store.DB
	svc      *forum.Service
	now      time.Time
	n        *mail.Notifier
	cat      *forum.Category
	ada, bob *forum.Member
}

func newNotifyForum(t *testing.T, db *store.DB, start time.Time) *notifyForum {
	t.Helper()
	f := &notifyForum{t: t, db: db, svc: forum.NewService(db, render.New()), now: start}
	f.svc.SetClock(func() time.Time { return f.now })
	f.ada, f.bob = f.member("Ada Admin", forum.RoleAdmin), f.member("Bob Builder", "")
	var err error
	if f.cat, err = f.svc.CreateCategory(t.Context(), f.ada, forum.CategoryInput{Name: "Ferries"}); err != nil {
		t.Fatal(err)
	}
	f.n = &mail.Notifier{Store: db, Tokens: f.svc, Identity: identity, BaseURL: "https://forum.example.org",
		ReadWindow: 10 * time.Minute, Now: func() time.Time { return f.now }}
	return f
}

func (f *notifyForum) member(name string, role forum.Role) *forum.Member {
	f.t.Helper()
	m, err := f.svc.CreateMember(f.t.Context(), forum.NewMember{Email: strings.ToLower(strings.Fields(name)[0]) + "@example.org",
		Name: name, Password: "correct horse battery staple", Role: role})
	if err != nil {
		f.t.Fatal(err)
	}
	return m
}

// notifications runs the notifications consumer over the whole stream, as
// a replay would: what it wrote before it writes not again.
func (f *notifyForum) notifications() {
	f.t.Helper()
	evs, _, err := f.db.Events(f.t.Context(), "", 100000)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := (&notify.Consumer{Store: f.db}).Handle(f.t.Context(), evs); err != nil {
		f.t.Fatal(err)
	}
}

func (f *notifyForum) round() int {
	f.t.Helper()
	f.notifications()
	n, err := f.n.Round(f.t.Context())
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *notifyForum) thread(by *forum.Member, title, body string) (*forum.Thread, *forum.Post) {
	f.t.Helper()
	th, p, err := f.svc.CreateThread(f.t.Context(), by, forum.NewThread{CategoryID: f.cat.ID, Title: title, Body: body})
	if err != nil {
		f.t.Fatal(err)
	}
	return th, p
}

func (f *notifyForum) reply(by *forum.Member, th *forum.Thread, body string) *forum.Post {
	f.t.Helper()
	p, err := f.svc.Reply(f.t.Context(), by, th.ID, body, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

// mails returns the outbox's notification and digest mails to addr, oldest first.
func (f *notifyForum) mails(addr string) []*forum.OutboxMail {
	f.t.Helper()
	ms, err := f.db.ListMail(f.t.Context(), "", 1000)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []*forum.OutboxMail
	for i := len(ms) - 1; i >= 0; i-- {
		if m := ms[i]; m.To == addr && (strings.HasPrefix(m.Kind, "notify.") || strings.HasPrefix(m.Kind, "digest.")) {
			out = append(out, m)
		}
	}
	return out
}

// TestNotificationMail: five replies in a member's thread within the
// window make one mail, with the headers that thread it and unsubscribe
// in one click, and a replay mails nothing again; a post read on the site
// within the window is not mailed, nor anything once the member was on
// the site; the daily cap; nobody is mailed about their own posts, nor
// while unconfirmed or suspended.
func TestNotificationMail(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		f := newNotifyForum(t, db, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		mia := f.member("Mia Member", "")
		if _, err := f.svc.SetMailPrefs(ctx, mia, forum.MailPrefsUpdate{TimeZone: "Europe/Lisbon"}); err != nil {
			t.Fatal(err)
		}
		th, _ := f.thread(mia, "Night ferry to Tangier", "Who has taken it?")
		for i := range 5 {
			f.now = f.now.Add(time.Minute)
			f.reply(f.bob, th, fmt.Sprintf("Reply number %d: the **cabins** are fine.", i+1))
		}
		if n := f.round(); n != 0 {
			t.Fatalf("%d mails before the window passed", n)
		}
		f.now = f.now.Add(6 * time.Minute) // the first reply is 10 minutes old, the last 6
		if n := f.round(); n != 1 {
			t.Fatalf("%d mails for 5 replies in one thread, want 1", n)
		}
		if n := f.round(); n != 0 {
			t.Fatalf("a second round mailed %d again", n)
		}
		ms := f.mails("mia@example.org")
		if len(ms) != 1 {
			t.Fatalf("%d mails to mia, want 1", len(ms))
		}
		m := ms[0]
		ref := fmt.Sprintf("<thread-%d@forum.example.org>", th.ID)
		for k, want := range map[string]string{"References": ref, "In-Reply-To": ref, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"} {
			if m.Headers[k] != want {
				t.Errorf("%s = %q, want %q", k, m.Headers[k], want)
			}
		}
		if m.Subject != "5 new posts in “Night ferry to Tangier”" || m.Kind != "notify.replies" || m.Sender != forum.SenderNotify {
			t.Errorf("subject %q, kind %q, sender %q", m.Subject, m.Kind, m.Sender)
		}
		lu := m.Headers["List-Unsubscribe"]
		if !strings.HasPrefix(lu, "<https://forum.example.org/unsubscribe/") || !strings.Contains(lu, "<mailto:unsubscribe+") {
			t.Errorf("List-Unsubscribe = %q", lu)
		}
		tok := strings.TrimSuffix(strings.TrimPrefix(strings.Split(lu, ", ")[0], "<https://forum.example.org/unsubscribe/"), ">")
		if id, list, err := f.svc.CheckMailToken(ctx, forum.TokenUnsubscribe, tok); err != nil || id != mia.ID || list != "replies" {
			t.Errorf("the unsubscribe token is for %d %q (%v)", id, list, err)
		}
		for _, s := range []string{"Reply number 1: the cabins are fine.", "Reply number 5", "Bob Builder replied in", "https://forum.example.org/p/",
			"WET", "Unsubscribe: https://forum.example.org/unsubscribe/" + tok, "/settings/mail"} {
			if !strings.Contains(m.Text, s) {
				t.Errorf("the text lacks %q:\n%s", s, m.Text)
			}
		}
		if !strings.Contains(m.HTML, `<a href="https://forum.example.org/unsubscribe/`+tok+`">Unsubscribe</a>`) {
			t.Errorf("the HTML lacks the unsubscribe link:\n%s", m.HTML)
		}

		// Read on the site within the window: not mailed.
		p := f.reply(f.bob, th, "One more: bring a blanket.")
		f.now = f.now.Add(2 * time.Minute)
		if err := db.SaveReads(ctx, []forum.ReadMark{{MemberID: mia.ID, ThreadID: th.ID, Position: p.Position, At: f.now}}, nil); err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(10 * time.Minute)
		if n := f.round(); n != 0 {
			t.Fatalf("a post read meanwhile was mailed (%d)", n)
		}
		// On the site since the post: not mailed either.
		f.reply(f.bob, th, "And earplugs.")
		f.now = f.now.Add(time.Minute)
		if err := db.SaveReads(ctx, nil, []forum.VisitMark{{MemberID: mia.ID, At: f.now}}); err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(10 * time.Minute)
		if n := f.round(); n != 0 || len(f.mails("mia@example.org")) != 1 {
			t.Fatalf("mailed a member who was on the site (%d)", n)
		}

		// The daily cap: four mentions in four threads, three mails.
		f.n.DailyCap = 3
		f.member("Cy Capped", "")
		for i := range 4 {
			f.thread(f.bob, fmt.Sprintf("Question %d for Cy", i+1), "What do you think, @cy_capped?")
		}
		f.now = f.now.Add(11 * time.Minute)
		if n := f.round(); n != 3 || len(f.mails("cy@example.org")) != 3 {
			t.Fatalf("%d mails over the cap of 3 (%d to cy)", n, len(f.mails("cy@example.org")))
		}
		if got := f.mails("cy@example.org")[0].Subject; got != "Bob Builder mentioned you in “Question 1 for Cy”" {
			t.Errorf("a mention's subject: %q", got)
		}

		// Not about one's own posts, not to the unconfirmed or the suspended.
		if err := f.svc.Register(ctx, forum.NewMember{Email: "new@example.org", Name: "Ned Newcomer", Handle: "ned", Password: "a long enough phrase"}); err != nil {
			t.Fatal(err)
		}
		eve := f.member("Eve Suspended", "")
		own, _ := f.thread(f.bob, "Mentions all round", "Hello @ned, @eve_suspended and @bob_builder.")
		if err := f.svc.SetMemberStatus(ctx, f.ada, eve.ID, "", forum.StatusSuspended); err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(11 * time.Minute)
		f.round()
		for _, a := range []string{"new@example.org", "eve@example.org", "bob@example.org"} {
			if ms := f.mails(a); len(ms) != 0 {
				t.Errorf("%s was mailed: %q", a, ms[0].Subject)
			}
		}
		_ = own
	})
}

// TestDigest: a member who wants a daily digest gets one at 7:00 in their
// time zone with the new threads and what was kept for it, once per day;
// none when nothing happened; unsubscribing from it stops them.
func TestDigest(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		lisbon, _ := time.LoadLocation("Europe/Lisbon")
		day := func(d, h, m int) time.Time { return time.Date(2026, 6, d, h, m, 0, 0, lisbon).UTC() }
		f := newNotifyForum(t, db, day(1, 6, 0))
		dee := f.member("Dee Digest", "")
		if _, err := f.svc.SetMailPrefs(ctx, dee, forum.MailPrefsUpdate{TimeZone: "Europe/Lisbon",
			Freq: map[string]string{"digest": "daily", "mentions": "daily"}}); err != nil {
			t.Fatal(err)
		}
		digests := func() int {
			t.Helper()
			f.round()
			n, err := f.n.Digests(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := digests(); n != 0 {
			t.Fatalf("%d digests before 7:00", n)
		}
		f.now = day(1, 8, 0)
		f.thread(f.ada, "Night trains to Porto", "The **sleeper** is back.")
		f.now = day(1, 8, 30)
		if n := digests(); n != 1 {
			t.Fatalf("%d digests at 8:30, want 1", n)
		}
		if n := digests(); n != 0 {
			t.Fatalf("a second digest the same day (%d)", n)
		}
		ms := f.mails("dee@example.org")
		if len(ms) != 1 || ms[0].Kind != "digest.daily" {
			t.Fatalf("mails to dee: %d", len(ms))
		}
		d := ms[0]
		for _, s := range []string{"NEW THREADS", "Night trains to Porto", "The sleeper is back.", "Unsubscribe: https://forum.example.org/unsubscribe/"} {
			if !strings.Contains(d.Text, s) {
				t.Errorf("the digest lacks %q:\n%s", s, d.Text)
			}
		}
		if d.Headers["List-Unsubscribe-Post"] != "List-Unsubscribe=One-Click" || !strings.Contains(d.Headers["List-Id"], "digest") {
			t.Errorf("digest headers: %v", d.Headers)
		}
		// The next morning, nothing happened: no digest.
		f.now = day(2, 7, 5)
		if n := digests(); n != 0 || len(f.mails("dee@example.org")) != 1 {
			t.Fatalf("a digest with nothing in it (%d)", n)
		}
		// A mention kept for the digest, and a reply in an old thread.
		f.now = day(2, 9, 0)
		th, _ := f.thread(f.bob, "Ask Dee", "@dee_digest, which ferry?")
		f.reply(f.ada, th, "The early one.")
		f.now = day(2, 10, 0)
		if n := digests(); n != 0 {
			t.Fatalf("a mention set to daily was mailed at once (%d)", n)
		}
		f.now = day(3, 7, 1)
		if n := digests(); n != 1 {
			t.Fatalf("%d digests on day 3, want 1", n)
		}
		d = f.mails("dee@example.org")[1]
		for _, s := range []string{"FOR YOU", "Bob Builder mentioned you in “Ask Dee”", "Ask Dee"} {
			if !strings.Contains(d.Text, s) {
				t.Errorf("the second digest lacks %q:\n%s", s, d.Text)
			}
		}
		// One click on its unsubscribe link: no digest the next day.
		tok := strings.TrimSuffix(strings.TrimPrefix(strings.Split(d.Headers["List-Unsubscribe"], ", ")[0], "<https://forum.example.org/unsubscribe/"), ">")
		if _, err := f.svc.Unsubscribe(ctx, tok); err != nil {
			t.Fatal(err)
		}
		f.thread(f.ada, "Something new", "For the digest, if any.")
		f.now = day(4, 7, 30)
		if n := digests(); n != 0 {
			t.Fatalf("a digest after unsubscribing (%d)", n)
		}
	})
}
