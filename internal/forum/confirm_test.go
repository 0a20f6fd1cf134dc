package forum_test

import (
	"regexp"
	"testing"
	"time"

	"hearth/internal/forum"
	"hearth/internal/ratelimit"
	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

var confirmLink = regexp.MustCompile(`/confirm\?token=([A-Za-z0-9_-]+)`)

// confirmTokens returns the confirmation tokens mailed to addr, oldest first.
func confirmTokens(t *testing.T, db *store.DB, addr string) []string {
	t.Helper()
	ms, err := db.ListMail(t.Context(), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(ms) - 1; i >= 0; i-- {
		if m := ms[i]; m.Kind == "account.confirm" && m.To == addr {
			if sm := confirmLink.FindStringSubmatch(m.Text); sm != nil {
				out = append(out, sm[1])
			}
		}
	}
	return out
}

// confirmByMail opens the newest confirmation link mailed to addr.
func confirmByMail(t *testing.T, db *store.DB, svc *forum.Service, addr string) {
	t.Helper()
	ts := confirmTokens(t, db, addr)
	if len(ts) == 0 {
		t.Fatalf("no confirmation mail to %s", addr)
	}
	if _, err := svc.ConfirmEmail(t.Context(), ts[len(ts)-1]); err != nil {
		t.Fatalf("confirm %s: %v", addr, err)
	}
}

// TestEmailConfirmation: a registered member reads but cannot post until
// they open the link mailed to them; the link works once and expires
// after 48 hours; sending it again is rate limited; members the admin or
// the shell makes are confirmed.
func TestEmailConfirmation(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		f := newFixture(t, db)
		svc := f.svc
		now := time.Now().UTC().Truncate(time.Millisecond)
		svc.SetClock(func() time.Time { return now })
		if f.admin.Unconfirmed {
			t.Fatal("a member made by CreateMember is unconfirmed")
		}
		svc.SetLimits(forum.Limits{ConfirmMail: ratelimit.New(time.Hour, 2)})

		if err := svc.Register(ctx, forum.NewMember{Email: "rui@example.org", Name: "Rui Newcomer", Password: "tram 28 to graça"}); err != nil {
			t.Fatal(err)
		}
		rui, err := svc.Authenticate(ctx, "rui@example.org", "tram 28 to graça")
		if err != nil {
			t.Fatal(err)
		}
		if !rui.Unconfirmed || rui.CanPost() {
			t.Fatalf("registered member: unconfirmed %v, can post %v", rui.Unconfirmed, rui.CanPost())
		}
		if _, err := svc.Categories(ctx, rui); err != nil {
			t.Fatalf("an unconfirmed member cannot read: %v", err)
		}
		_, _, err = svc.CreateThread(ctx, rui, forum.NewThread{CategoryID: f.cat.ID, Title: "Hello all", Body: "hi"})
		if code(err) != forum.EFORBIDDEN || forum.ErrorMessage(err) != forum.ConfirmFirstMessage {
			t.Fatalf("unconfirmed member posted: %v", err)
		}
		// The first link expires unused; two more may be asked for, then no more for a while.
		first := confirmTokens(t, db, "rui@example.org")
		if len(first) != 1 {
			t.Fatalf("%d confirmation mails at registration, want 1", len(first))
		}
		now = now.Add(forum.ConfirmLinkLife + time.Minute)
		if _, err := svc.ConfirmEmail(ctx, first[0]); code(err) != forum.EINVALID {
			t.Fatalf("expired link: %v", err)
		}
		for i := range 3 {
			err := svc.ResendConfirmation(ctx, rui)
			if want := forum.Code(""); i == 2 {
				if code(err) != forum.ERATELIMIT {
					t.Fatalf("third resend: %v, want rate limited", err)
				}
			} else if code(err) != want {
				t.Fatalf("resend %d: %v", i+1, err)
			}
		}
		links := confirmTokens(t, db, "rui@example.org")
		if len(links) != 3 {
			t.Fatalf("%d confirmation mails, want 3", len(links))
		}
		if _, err := svc.ConfirmEmail(ctx, "made-up"); code(err) != forum.EINVALID {
			t.Fatalf("a made-up link: %v", err)
		}
		m, err := svc.ConfirmEmail(ctx, links[2])
		if err != nil || m.ID != rui.ID || m.Unconfirmed {
			t.Fatalf("confirm: %+v, %v", m, err)
		}
		if _, err := svc.ConfirmEmail(ctx, links[2]); code(err) != forum.EINVALID {
			t.Fatalf("a used link works again: %v", err)
		}
		rui, _ = svc.Authenticate(ctx, "rui@example.org", "tram 28 to graça")
		if _, _, err := svc.CreateThread(ctx, rui, forum.NewThread{CategoryID: f.cat.ID, Title: "Hello all", Body: "hi"}); err != nil {
			t.Fatalf("confirmed member cannot post: %v", err)
		}
		if err := svc.ResendConfirmation(ctx, rui); code(err) != forum.EINVALID {
			t.Fatalf("resend when confirmed: %v", err)
		}
		// Registering a taken address answers the same and mails nothing.
		if err := svc.Register(ctx, forum.NewMember{Email: "rui@example.org", Name: "Someone Else", Password: "another long phrase"}); err != nil {
			t.Fatal(err)
		}
		if n := len(confirmTokens(t, db, "rui@example.org")); n != 3 {
			t.Fatalf("%d confirmation mails after a second registration, want 3", n)
		}
	})
}
