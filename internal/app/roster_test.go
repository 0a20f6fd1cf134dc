package app_test

import (
	"crypto/rand"
	"net"
	"strconv"
	"strings"
	"testing"

	"hearth/internal/app"
	"hearth/internal/app/apptest"
	"hearth/internal/broadcast"
	"hearth/internal/forum"
	"hearth/internal/mail"
	"hearth/internal/roster"
	"hearth/internal/store/storetest"
)

// TestRosterFollowsMembers: a serving forum keeps the encrypted member
// roster in its data directory as members join, wait for approval and are
// suspended; a broadcast from that roster alone reaches each listed
// member with a link that unsubscribes them.
func TestRosterFollowsMembers(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			key := make([]byte, 32)
			rand.Read(key)
			cfg := app.Config{Log: testLog(t), RosterKey: key, SiteName: "Travel"}
			if engine == "postgres" {
				cfg.DB = storetest.CreatePostgres(t)
			}
			a := apptest.Start(t, cfg)
			ctx, svc := t.Context(), a.Service
			mk := func(email, name string) *forum.Member {
				m, err := svc.CreateMember(ctx, forum.NewMember{Email: email, Name: name, Password: "owner-password-long"})
				if err != nil {
					t.Fatal(err)
				}
				return m
			}
			ada := mk("ada@example.org", "Ada")
			bob, cy := mk("bob@example.org", "Bob"), mk("cy@example.org", "Cy")
			if err := a.Store.SetMemberRole(ctx, ada.ID, forum.RoleAdmin); err != nil {
				t.Fatal(err)
			}
			ada.Role = forum.RoleAdmin
			if err := svc.SetMemberStatus(ctx, ada, bob.ID, "", forum.StatusSuspended); err != nil {
				t.Fatal(err)
			}
			if err := svc.SetMemberStatus(ctx, ada, cy.ID, "", forum.StatusPending); err != nil {
				t.Fatal(err)
			}
			var ros *roster.Roster
			eventually(t, "the roster lists Ada and Cy (pending), not Bob (suspended)", func() bool {
				r, err := roster.Load(a.Config.DataDir, key)
				if err != nil {
					return false
				}
				e, ok := r.Get(cy.ID)
				_, hasBob := r.Get(bob.ID)
				ros = r
				return len(r.Entries) == 2 && ok && e.Status == forum.StatusPending && !hasBob
			})
			sink := &mail.Sink{}
			if err := sink.Listen("127.0.0.1:0"); err != nil {
				t.Fatal(err)
			}
			defer sink.Close()
			host, port, _ := net.SplitHostPort(sink.Addr())
			p, _ := strconv.Atoi(port)
			run, err := broadcast.Start(ctx, broadcast.Options{DataDir: t.TempDir(), Roster: ros, Subject: "Down", Body: "Back soon.",
				Identity: a.Config.MailIdentity(), SMTP: mail.SMTPConfig{Host: host, Port: p, TLS: mail.NoTLS}})
			if err != nil {
				t.Fatal(err)
			}
			if pr, err := run.Wait(); err != nil || pr.Sent != 2 {
				t.Fatalf("broadcast %+v %v", pr, err)
			}
			for _, m := range sink.Messages() {
				text := strings.ReplaceAll(string(m.Data), "=\r\n", "")
				_, rest, ok := strings.Cut(text, a.URL()+"/unsubscribe/")
				if !ok {
					t.Fatalf("no unsubscribe link in\n%s", text)
				}
				tok, _, _ := strings.Cut(rest, ">")
				id, list, err := svc.CheckMailToken(ctx, forum.TokenUnsubscribe, tok)
				want := map[int64]string{ada.ID: "ada@example.org", cy.ID: "cy@example.org"}[id]
				if err != nil || list != roster.List || want == "" || strings.Join(m.To, ",") != want {
					t.Errorf("token %q: member %d list %q %v, mail to %v", tok, id, list, err, m.To)
				}
			}
		})
	}
}
