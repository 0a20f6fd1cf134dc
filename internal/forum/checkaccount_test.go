package forum_test

import (
	"errors"
	"testing"

	"hearth/internal/forum"
	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

// TestCheckAccount: hearth verify's own account sees and posts in the
// check category only, is no moderator, and its deleted check threads
// are gone for good; making it again changes nothing.
func TestCheckAccount(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		f := newFixture(t, db)
		const email, pass = "verify@hearth.invalid", "ferry timetables in lisbon 7"
		m, cat, err := f.svc.EnsureCheckAccount(ctx, email, pass)
		if err != nil {
			t.Fatal(err)
		}
		if !m.Checker || m.IsModerator() || !cat.CheckOnly || !cat.StaffOnly {
			t.Fatalf("check account %+v, category %+v", m, cat)
		}
		checker, err := f.svc.Authenticate(ctx, email, pass)
		if err != nil {
			t.Fatal(err)
		}
		sees := func(who *forum.Member) bool {
			cats, err := f.svc.Categories(ctx, who)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cats {
				if c.ID == cat.ID {
					return true
				}
			}
			return false
		}
		for _, tc := range []struct {
			name string
			who  *forum.Member
			want bool
		}{{"check account", checker, true}, {"admin", f.admin, true}, {"member", f.member, false}, {"guest", nil, false}} {
			if got := sees(tc.who); got != tc.want {
				t.Errorf("%s sees the check category: %v, want %v", tc.name, got, tc.want)
			}
		}
		if _, _, err := f.svc.CreateThread(ctx, checker, forum.NewThread{CategoryID: f.cat.ID, Title: "Not here", Body: "no"}); forum.ErrorCode(err) != forum.EFORBIDDEN {
			t.Errorf("the check account posted in a public category: %v", err)
		}
		th, p, err := f.svc.CreateThread(ctx, checker, forum.NewThread{CategoryID: cat.ID, Title: "Check 1", Body: "check body"})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.DeletePost(ctx, checker, p.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ThreadByID(ctx, th.ID); !errors.Is(err, forum.ErrNotFound) {
			t.Errorf("the deleted check thread is still there: %v", err)
		}
		if _, err := db.PostByID(ctx, p.ID); !errors.Is(err, forum.ErrNotFound) {
			t.Errorf("the deleted check post is still there: %v", err)
		}
		// Again: the same account and category, no new password (no mail).
		before, err := db.OutboxStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		m2, cat2, err := f.svc.EnsureCheckAccount(ctx, email, pass)
		if err != nil || m2.ID != m.ID || cat2.ID != cat.ID {
			t.Fatalf("again: %v %v %v", m2, cat2, err)
		}
		after, _ := db.OutboxStats(ctx)
		if after.Pending != before.Pending {
			t.Errorf("making the check account again enqueued mail: %+v -> %+v", before, after)
		}
		// A moderator cannot be made the check account.
		if _, _, err := f.svc.EnsureCheckAccount(ctx, f.admin.Email, pass); err == nil {
			t.Error("an admin was made the check account")
		}
	})
}
