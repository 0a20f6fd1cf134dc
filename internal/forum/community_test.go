package forum_test

import (
	"strings"
	"testing"

	"hearth/internal/forum"
	"hearth/internal/render"
	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

// TestCommunity: the defaults, what admins alone may set and what is
// refused, the introduction rendered and sanitized, and the settings held
// in memory following this node's writes and another node's events.
func TestCommunity(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		f := newFixture(t, db)
		get := func(svc *forum.Service) forum.Community {
			t.Helper()
			c, err := svc.Community(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		if c := get(f.svc); c.Name != "" || c.HomeIsCategories() || c.Intro != "" {
			t.Fatalf("defaults: %+v", c)
		}
		ok := forum.Community{Name: "  Travel Agents Club ", Home: forum.HomeCategories, Intro: "**Welcome**. <script>alert(1)</script>"}
		if _, err := f.svc.SetCommunity(ctx, f.member, ok); forum.ErrorCode(err) != forum.EFORBIDDEN {
			t.Fatalf("a member sets the community: %v", err)
		}
		for _, tt := range []struct {
			in    forum.Community
			field string
		}{
			{forum.Community{Home: "forums"}, "home"},
			{forum.Community{Name: strings.Repeat("n", forum.MaxCommunityName+1)}, "name"},
			{forum.Community{Name: "Two\nlines"}, "name"},
			{forum.Community{Intro: strings.Repeat("i", forum.MaxCommunityIntro+1)}, "intro"},
			{forum.Community{Intro: strings.Repeat("|a", 70) + "|\n" + strings.Repeat("|-", 70) + "|\n"}, "intro"}, // over the table limit
		} {
			if _, err := f.svc.SetCommunity(ctx, f.admin, tt.in); forum.ErrorCode(err) != forum.EINVALID || forum.ErrorField(err) != tt.field {
				t.Errorf("SetCommunity(%.40q…) = %v (field %q), want invalid %q", tt.in.Name+tt.in.Home+tt.in.Intro, err, forum.ErrorField(err), tt.field)
			}
		}
		other := forum.NewService(db, render.New()) // another node
		if c := get(other); c.Name != "" {
			t.Fatalf("the other node: %+v", c)
		}
		if _, err := f.svc.SetCommunity(ctx, f.admin, ok); err != nil {
			t.Fatal(err)
		}
		c := get(f.svc)
		if c.Name != "Travel Agents Club" || !c.HomeIsCategories() || !strings.Contains(c.IntroHTML, "<strong>Welcome</strong>") || strings.Contains(c.IntroHTML, "<script") {
			t.Fatalf("after saving: %+v", c)
		}
		if c := get(other); c.Name != "" {
			t.Fatalf("the other node before the event: %+v (kept in memory)", c)
		}
		other.ApplyEvent(forum.Event{Kind: forum.EventSettingChanged})
		if c := get(other); c.Name != "Travel Agents Club" || !c.HomeIsCategories() {
			t.Fatalf("the other node after the event: %+v", c)
		}
		if cached, ok := other.CachedCommunity(); !ok || cached.Name != "Travel Agents Club" {
			t.Fatalf("CachedCommunity = %+v, %v", cached, ok)
		}
	})
}

// TestZone: a member's pages show times in their zone, guests' in UTC;
// the zone held in memory follows their settings, here and, through the
// event, on another node.
func TestZone(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		f := newFixture(t, db)
		other := forum.NewService(db, render.New())
		if z := f.svc.Zone(ctx, nil); z.String() != "UTC" {
			t.Fatalf("a guest's zone: %s", z)
		}
		for _, svc := range []*forum.Service{f.svc, other} {
			if z := svc.Zone(ctx, f.member); z.String() != "UTC" {
				t.Fatalf("Mia's zone before: %s", z)
			}
		}
		if _, err := f.svc.SetMailPrefs(ctx, f.member, forum.MailPrefsUpdate{TimeZone: "Europe/Lisbon"}); err != nil {
			t.Fatal(err)
		}
		if z := f.svc.Zone(ctx, f.member); z.String() != "Europe/Lisbon" {
			t.Fatalf("Mia's zone after saving: %s", z)
		}
		other.ApplyEvent(forum.Event{Kind: forum.EventMemberMailPrefs, MemberID: f.member.ID})
		if z := other.Zone(ctx, f.member); z.String() != "Europe/Lisbon" {
			t.Fatalf("Mia's zone on the other node after the event: %s", z)
		}
		if z := f.svc.Zone(ctx, f.admin); z.String() != "UTC" {
			t.Fatalf("the admin's zone: %s", z)
		}
	})
}
