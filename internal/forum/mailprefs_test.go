package forum_test

import (
	"testing"

	"hearth/internal/forum"
	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

// countEvents counts the stream's events of kind about member.
func countEvents(t *testing.T, db *store.DB, kind forum.EventKind, member int64) int {
	t.Helper()
	evs, _, err := db.Events(t.Context(), "", 100000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Kind == kind && e.MemberID == member {
			n++
		}
	}
	return n
}

// TestMailPrefs: the defaults, what registration sets (the digest opt-in,
// the guessed time zone), a table of changes on the settings page (each
// with its event), and one-click unsubscribes per list, "all" and the
// broadcast's flag the roster reads.
func TestMailPrefs(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		f := newFixture(t, db)
		svc := f.svc
		p, err := svc.MailPrefs(ctx, f.member)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]forum.MailFrequency{"replies": "instant", "mentions": "instant", "quotes": "instant", "threads": "instant", "categories": "instant", "digest": "never"}
		for l, w := range want {
			if p.Of(l) != w {
				t.Errorf("default %s = %s, want %s", l, p.Of(l), w)
			}
		}
		if p.TimeZone != "UTC" {
			t.Errorf("default time zone %q", p.TimeZone)
		}
		// Registration: the digest ticked and a zone the browser guessed; a zone that is no zone is UTC.
		reg := func(email string, digest bool, tz string) *forum.MailPrefs {
			t.Helper()
			if err := svc.Register(ctx, forum.NewMember{Email: email, Name: "Someone New", Password: "a long enough phrase", Digest: digest, TimeZone: tz}); err != nil {
				t.Fatal(err)
			}
			m, err := db.MemberByEmail(ctx, email)
			if err != nil {
				t.Fatal(err)
			}
			p, err := svc.MailPrefs(ctx, m)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		if p := reg("lu@example.org", true, "Europe/Lisbon"); p.Of("digest") != forum.FreqWeekly || p.TimeZone != "Europe/Lisbon" {
			t.Errorf("opted in: digest %s, zone %q", p.Of("digest"), p.TimeZone)
		}
		if p := reg("no@example.org", false, "Mars/Olympus_Mons"); p.Of("digest") != forum.FreqNever || p.TimeZone != "UTC" {
			t.Errorf("not opted in: digest %s, zone %q", p.Of("digest"), p.TimeZone)
		}

		events := countEvents(t, db, forum.EventMemberMailPrefs, f.member.ID)
		tests := []struct {
			name  string
			u     forum.MailPrefsUpdate
			field string // "" for accepted
			check map[string]forum.MailFrequency
			zone  string
		}{
			{"replies daily", forum.MailPrefsUpdate{Freq: map[string]string{"replies": "daily"}}, "", map[string]forum.MailFrequency{"replies": "daily", "mentions": "instant"}, "UTC"},
			{"digest weekly and a zone", forum.MailPrefsUpdate{Freq: map[string]string{"digest": "weekly"}, TimeZone: "America/New_York"}, "", map[string]forum.MailFrequency{"digest": "weekly", "replies": "daily"}, "America/New_York"},
			{"watching never", forum.MailPrefsUpdate{Freq: map[string]string{"threads": "never", "categories": "weekly"}}, "", map[string]forum.MailFrequency{"threads": "never", "categories": "weekly"}, "America/New_York"},
			{"digest instantly", forum.MailPrefsUpdate{Freq: map[string]string{"digest": "instant"}}, "digest", nil, ""},
			{"unknown frequency", forum.MailPrefsUpdate{Freq: map[string]string{"mentions": "hourly"}}, "mentions", nil, ""},
			{"unknown zone", forum.MailPrefsUpdate{TimeZone: "Atlantis/Capital"}, "tz", nil, ""},
		}
		for _, tt := range tests {
			_, err := svc.SetMailPrefs(ctx, f.member, tt.u)
			if tt.field != "" {
				if code(err) != forum.EINVALID || forum.ErrorField(err) != tt.field {
					t.Errorf("%s: %v (field %q), want invalid %q", tt.name, err, forum.ErrorField(err), tt.field)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			events++
			p, _ := db.MailPrefs(ctx, f.member.ID)
			for l, w := range tt.check {
				if p.Of(l) != w {
					t.Errorf("%s: %s = %s, want %s", tt.name, l, p.Of(l), w)
				}
			}
			if p.TimeZone != tt.zone {
				t.Errorf("%s: zone %q, want %q", tt.name, p.TimeZone, tt.zone)
			}
			if n := countEvents(t, db, forum.EventMemberMailPrefs, f.member.ID); n != events {
				t.Errorf("%s: %d mail preference events, want %d", tt.name, n, events)
			}
		}
		if _, err := svc.SetMailPrefs(ctx, nil, forum.MailPrefsUpdate{}); code(err) != forum.EUNAUTHORIZED {
			t.Errorf("a guest's settings: %v", err)
		}

		// One-click unsubscribes: each list, the broadcast's flag, then all.
		unsub := func(list string) {
			t.Helper()
			tok, err := svc.MailToken(ctx, forum.TokenUnsubscribe, f.member.ID, list)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := svc.Unsubscribe(ctx, tok); err != nil || got != list {
				t.Fatalf("unsubscribe %s: %q, %v", list, got, err)
			}
		}
		unsub("mentions")
		if p, _ := db.MailPrefs(ctx, f.member.ID); p.Of("mentions") != forum.FreqNever || p.Of("quotes") != forum.FreqInstant {
			t.Errorf("after unsubscribing from mentions: mentions %s, quotes %s", p.Of("mentions"), p.Of("quotes"))
		}
		if off, err := svc.MailOptOut(ctx, f.member.ID); err != nil || off {
			t.Errorf("broadcast off before = %v, %v", off, err)
		}
		unsub("broadcast")
		if off, err := svc.MailOptOut(ctx, f.member.ID); err != nil || !off {
			t.Errorf("broadcast off after = %v, %v", off, err)
		}
		if off, err := svc.MailOptOut(ctx, f.admin.ID); err != nil || off {
			t.Errorf("someone else's broadcast = %v, %v", off, err)
		}
		unsub("all")
		p, _ = db.MailPrefs(ctx, f.member.ID)
		for _, l := range forum.MailLists {
			if p.Of(l.Name) != forum.FreqNever {
				t.Errorf("after all: %s = %s", l.Name, p.Of(l.Name))
			}
		}
		if p.TimeZone != "America/New_York" {
			t.Errorf("unsubscribing changed the zone: %q", p.TimeZone)
		}
		if n := countEvents(t, db, forum.EventMemberMailPrefs, f.member.ID); n != events+3 {
			t.Errorf("%d mail preference events after 3 unsubscribes, want %d", n, events+3)
		}
		// A token for another purpose, altered, or for an unknown list is refused.
		reply, _ := svc.MailToken(ctx, forum.TokenReply, f.member.ID, "12")
		odd, _ := svc.MailToken(ctx, forum.TokenUnsubscribe, f.member.ID, "nonsense")
		good, _ := svc.MailToken(ctx, forum.TokenUnsubscribe, f.admin.ID, "digest")
		for _, tok := range []string{reply, odd, good + "x", "", "a.b.c"} {
			if _, err := svc.Unsubscribe(ctx, tok); code(err) != forum.ENOTFOUND {
				t.Errorf("token %q: %v, want not found", tok, err)
			}
		}
	})
}
