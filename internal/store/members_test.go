package store

import (
	"testing"
	"time"

	"hearth/internal/forum"
)

func TestMembers(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		m := &forum.Member{Email: "ada@example.org", Name: "Ada", PasswordHash: "h1", Role: forum.RoleAdmin,
			Status: forum.StatusActive, Title: "Analyst", Location: "London", Bio: "engines", CreatedAt: at(0)}
		must(t, db.CreateMember(ctx, m))
		if m.ID == 0 {
			t.Fatal("CreateMember did not set the ID")
		}
		dup := &forum.Member{Email: "ada@example.org", Name: "Other", Role: forum.RoleMember, Status: forum.StatusActive}
		wantErr(t, db.CreateMember(ctx, dup), forum.ErrConflict)

		for name, get := range map[string]func() (*forum.Member, error){
			"by id":    func() (*forum.Member, error) { return db.MemberByID(ctx, m.ID) },
			"by email": func() (*forum.Member, error) { return db.MemberByEmail(ctx, "ada@example.org") },
		} {
			got, err := get()
			must(t, err)
			if *got != *m {
				t.Errorf("%s: got %+v, want %+v", name, got, m)
			}
		}
		_, err := db.MemberByID(ctx, 9999)
		wantErr(t, err, forum.ErrNotFound)
		_, err = db.MemberByEmail(ctx, "nobody@example.org")
		wantErr(t, err, forum.ErrNotFound)

		// A profile edit saves the profile only, whatever else m holds.
		edit := *m
		edit.Name, edit.Title, edit.Location, edit.Bio = "Ada L.", "Countess", "Surrey", "notes"
		edit.PasswordHash, edit.Role, edit.Status = "stale", forum.RoleMember, forum.StatusPending
		must(t, db.UpdateProfile(ctx, &edit))
		must(t, db.SetMemberRole(ctx, m.ID, forum.RoleModerator))
		_, err = db.SetPassword(ctx, m.ID, "h2", "", at(0), nil)
		must(t, err)
		must(t, db.SetMemberStatus(ctx, m.ID, "", forum.StatusSuspended, nil))
		m.Name, m.Title, m.Location, m.Bio = edit.Name, edit.Title, edit.Location, edit.Bio
		m.PasswordHash, m.Role, m.Status = "h2", forum.RoleModerator, forum.StatusSuspended
		m.SessionEpoch = 2 // the password change and the suspension each moved it on
		got, err := db.MemberByID(ctx, m.ID)
		must(t, err)
		if *got != *m {
			t.Errorf("after update: got %+v, want %+v", got, m)
		}
		wantErr(t, db.UpdateProfile(ctx, &forum.Member{ID: 9999}), forum.ErrNotFound)
		wantErr(t, db.SetMemberRole(ctx, 9999, forum.RoleAdmin), forum.ErrNotFound)
		_, err = db.SetPassword(ctx, 9999, "h", "", at(0), nil)
		wantErr(t, err, forum.ErrNotFound)
		wantErr(t, db.SetMemberStatus(ctx, 9999, "", forum.StatusActive, nil), forum.ErrNotFound)
		wantErr(t, db.SetMemberStatus(ctx, 9999, forum.StatusPending, forum.StatusActive, nil), forum.ErrNotFound)
		// Approving someone no longer pending changes nothing.
		wantErr(t, db.SetMemberStatus(ctx, m.ID, forum.StatusPending, forum.StatusActive, nil), forum.ErrConflict)
		if got, _ := db.MemberByID(ctx, m.ID); got.Status != forum.StatusSuspended {
			t.Errorf("status after a refused approval: %s", got.Status)
		}

		// Listing: oldest first, filtered by status, limited.
		for i, s := range []forum.MemberStatus{forum.StatusPending, forum.StatusActive, forum.StatusPending} {
			must(t, db.CreateMember(ctx, &forum.Member{Email: string(rune('a'+i)) + "@x.org", Name: string(s),
				Role: forum.RoleMember, Status: s, CreatedAt: at(10 - i)}))
		}
		tests := []struct {
			status forum.MemberStatus
			limit  int
			want   []string // emails
		}{
			{"", 0, []string{"ada@example.org", "c@x.org", "b@x.org", "a@x.org"}},
			{"", 2, []string{"ada@example.org", "c@x.org"}},
			{forum.StatusPending, 0, []string{"c@x.org", "a@x.org"}},
			{forum.StatusSuspended, 10, []string{"ada@example.org"}},
			{forum.StatusActive, 10, []string{"b@x.org"}},
		}
		for _, tt := range tests {
			list, err := db.ListMembers(ctx, tt.status, tt.limit)
			must(t, err)
			var emails []string
			for _, m := range list {
				emails = append(emails, m.Email)
			}
			if describe(emails) != describe(tt.want) {
				t.Errorf("ListMembers(%q, %d) = %v, want %v", tt.status, tt.limit, emails, tt.want)
			}
		}
		n, err := db.CountMembers(ctx)
		must(t, err)
		if n != 4 {
			t.Errorf("CountMembers = %d, want 4", n)
		}
	})
}

func TestSessions(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		m := mkMember(t, db, "sam")
		live := &forum.Session{TokenHash: "live", MemberID: m.ID, Kind: "web", CreatedAt: at(0), ExpiresAt: at(60)}
		old := &forum.Session{TokenHash: "old", MemberID: m.ID, Kind: "api", CreatedAt: at(0), ExpiresAt: at(5)}
		must(t, db.CreateSession(ctx, live))
		must(t, db.CreateSession(ctx, old))
		wantErr(t, db.CreateSession(ctx, live), forum.ErrConflict)
		wantErr(t, db.CreateSession(ctx, &forum.Session{TokenHash: "orphan", MemberID: 9999, ExpiresAt: at(60)}), forum.ErrNotFound)

		now := at(10)
		tests := []struct {
			token string
			found bool
		}{
			{"live", true},
			{"old", false}, // expired
			{"missing", false},
		}
		for _, tt := range tests {
			got, err := db.SessionMember(ctx, tt.token, now)
			switch {
			case tt.found && err != nil:
				t.Errorf("SessionMember(%s): %v", tt.token, err)
			case tt.found && got.ID != m.ID:
				t.Errorf("SessionMember(%s) = member %d, want %d", tt.token, got.ID, m.ID)
			case !tt.found:
				wantErr(t, err, forum.ErrNotFound)
			}
		}

		n, err := db.DeleteExpiredSessions(ctx, now)
		must(t, err)
		if n != 1 {
			t.Errorf("DeleteExpiredSessions removed %d, want 1", n)
		}
		must(t, db.DeleteSession(ctx, "live"))
		must(t, db.DeleteSession(ctx, "live")) // already gone: no error
		_, err = db.SessionMember(ctx, "live", now)
		wantErr(t, err, forum.ErrNotFound)
		_, err = db.SessionMember(ctx, "live", time.Time{})
		wantErr(t, err, forum.ErrNotFound)
	})
}

func TestSettings(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		_, err := db.Setting(ctx, "site.name")
		wantErr(t, err, forum.ErrNotFound)
		must(t, db.SetSetting(ctx, "site.name", "Hearth"))
		must(t, db.SetSetting(ctx, "site.name", "Hearth & Home"))
		must(t, db.SetSetting(ctx, "site.empty", ""))
		for key, want := range map[string]string{"site.name": "Hearth & Home", "site.empty": ""} {
			got, err := db.Setting(ctx, key)
			must(t, err)
			if got != want {
				t.Errorf("Setting(%s) = %q, want %q", key, got, want)
			}
		}
	})
}

func TestCategories(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		b := mkCategory(t, db, "b", 2)
		a := mkCategory(t, db, "a", 1)
		c := mkCategory(t, db, "c", 2) // same position as b: id decides
		child := &forum.Category{ParentID: a.ID, Name: "Child", Slug: "child", Description: "d", Position: 0, MembersOnly: true}
		must(t, db.CreateCategory(ctx, child))
		wantErr(t, db.CreateCategory(ctx, &forum.Category{ParentID: 9999, Name: "x", Slug: "x"}), forum.ErrNotFound)

		list, err := db.ListCategories(ctx)
		must(t, err)
		var order []int64
		for _, c := range list {
			order = append(order, c.ID)
		}
		if want := []int64{child.ID, a.ID, b.ID, c.ID}; describe(order) != describe(want) {
			t.Errorf("ListCategories order = %v, want %v", order, want)
		}
		got := getCategory(t, db, child.ID)
		if got.ParentID != a.ID || !got.MembersOnly || got.Description != "d" {
			t.Errorf("child category = %+v", got)
		}

		child.ParentID, child.Name, child.Slug, child.Description, child.Position, child.MembersOnly = 0, "Top", "top", "", 9, false
		must(t, db.UpdateCategory(ctx, child))
		got = getCategory(t, db, child.ID)
		if got.ParentID != 0 || got.Name != "Top" || got.Slug != "top" || got.Position != 9 || got.MembersOnly {
			t.Errorf("after update = %+v", got)
		}
		wantErr(t, db.UpdateCategory(ctx, &forum.Category{ID: 9999, Name: "x"}), forum.ErrNotFound)
		_, err = db.CategoryByID(ctx, 9999)
		wantErr(t, err, forum.ErrNotFound)

		// Latest activity follows posting.
		m := mkMember(t, db, "poster")
		th, _ := mkThread(t, db, b.ID, m.ID, "hello", at(1))
		p := mkPost(t, db, th.ID, m.ID, at(2))
		got = getCategory(t, db, b.ID)
		want := forum.Category{ID: b.ID, Name: "b", Slug: "b", Position: 2, ThreadCount: 1, PostCount: 2,
			LastPostID: p.ID, LastPostAt: at(2), LastThreadID: th.ID, LastThreadTitle: "hello", LastThreadSlug: "hello",
			LastPosterID: m.ID, LastPosterName: "poster"}
		if describe(*got) != describe(want) {
			t.Errorf("category after posting:\n got %+v\nwant %+v", *got, want)
		}
		list, err = db.ListCategories(ctx)
		must(t, err)
		for _, c := range list {
			if c.ID == b.ID && describe(*c) != describe(want) {
				t.Errorf("ListCategories entry:\n got %+v\nwant %+v", *c, want)
			}
		}
	})
}
