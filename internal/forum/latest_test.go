package forum_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"hearth/internal/forum"
	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

// TestLatest: the latest threads across categories, on both engines, as
// each reader may see them (guests public ones, members the members-only
// ones too, staff everything, a pending member as a guest), never a
// deleted thread, without what the member muted, newest activity first,
// and paged by cursor through threads that share a millisecond.
func TestLatest(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		f := newFixture(t, db)
		svc, admin, mia := f.svc, f.admin, f.member
		now := time.Date(2026, 11, 17, 14, 5, 0, 0, time.UTC)
		svc.SetClock(func() time.Time { return now })
		cat := func(in forum.CategoryInput) *forum.Category {
			t.Helper()
			c, err := svc.CreateCategory(ctx, admin, in)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		members := cat(forum.CategoryInput{Name: "Members lounge", MembersOnly: true})
		staff := cat(forum.CategoryInput{Name: "Staff room", StaffOnly: true})
		under := cat(forum.CategoryInput{Name: "Lounge corner", ParentID: members.ID}) // hidden with its parent
		quiet := cat(forum.CategoryInput{Name: "Quiet"})
		thread := func(c *forum.Category, title string) *forum.Thread {
			t.Helper()
			now = now.Add(time.Minute)
			th, _, err := svc.CreateThread(ctx, admin, forum.NewThread{CategoryID: c.ID, Title: title, Body: "First post."})
			if err != nil {
				t.Fatal(err)
			}
			return th
		}
		lisbon := thread(f.cat, "Lisbon in March")
		thread(members, "Members only news")
		thread(staff, "Staff matters")
		thread(under, "Corner chat")
		gone := thread(f.cat, "Deleted thread")
		if err := svc.DeletePost(ctx, admin, gone.LastPostID); err != nil {
			t.Fatal(err)
		}
		muted := thread(f.cat, "Muted by Mia")
		thread(quiet, "In a muted category")
		if err := svc.SetThreadLevel(ctx, mia, muted.ID, forum.LevelMuted); err != nil {
			t.Fatal(err)
		}
		if err := svc.SetCategoryLevel(ctx, mia, quiet.ID, forum.LevelMuted); err != nil {
			t.Fatal(err)
		}
		// A reply moves the oldest thread to the top.
		now = now.Add(time.Minute)
		if _, err := svc.Reply(ctx, mia, lisbon.ID, "Still going?", 0); err != nil {
			t.Fatal(err)
		}
		pending := &forum.Member{ID: 999, Name: "Pending", Role: forum.RoleMember, Status: forum.StatusPending}

		titles := func(who *forum.Member) string {
			t.Helper()
			l, err := svc.Latest(ctx, who, forum.LatestCursor{})
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, th := range l.Threads {
				out = append(out, th.Title)
				if th.CategoryName == "" || th.CategorySlug == "" {
					t.Errorf("%q has no category name or slug", th.Title)
				}
			}
			return strings.Join(out, ", ")
		}
		for _, tt := range []struct {
			who  string
			m    *forum.Member
			want string
		}{
			{"guest", nil, "Lisbon in March, In a muted category, Muted by Mia"},
			{"pending member", pending, "Lisbon in March, In a muted category, Muted by Mia"},
			{"member", mia, "Lisbon in March, Corner chat, Members only news"},
			{"staff", admin, "Lisbon in March, In a muted category, Muted by Mia, Corner chat, Staff matters, Members only news"},
		} {
			if got := titles(tt.m); got != tt.want {
				t.Errorf("%s sees %q, want %q", tt.who, got, tt.want)
			}
		}

		// Paging: 2 a page through 12 threads that share one millisecond
		// (and the 6 above): every thread once, in order, then no cursor.
		now = now.Add(time.Minute)
		for i := range 12 {
			thread(f.cat, "Same time "+string(rune('a'+i)))
			now = now.Add(-time.Minute) // thread() moves it on
		}
		svc.ThreadsPerPage = 2
		var seen []int64
		var cur forum.LatestCursor
		for pages := 0; ; pages++ {
			if pages > 20 {
				t.Fatal("the cursor never ends")
			}
			l, err := svc.Latest(ctx, admin, cur)
			if err != nil {
				t.Fatal(err)
			}
			if l.First != (pages == 0) {
				t.Errorf("page %d: First = %v", pages, l.First)
			}
			for _, th := range l.Threads {
				if n := len(seen); n > 0 {
					if prev := seen[n-1]; slices.Contains(seen, th.ID) {
						t.Fatalf("thread %d twice (after %d)", th.ID, prev)
					}
				}
				seen = append(seen, th.ID)
			}
			if l.Next.IsZero() {
				break
			}
			back, err := forum.ParseLatestCursor(l.Next.String())
			if err != nil || back != l.Next {
				t.Fatalf("cursor %q reads back as %v, %v", l.Next.String(), back, err)
			}
			cur = l.Next
		}
		if len(seen) != 18 {
			t.Errorf("paged through %d threads, want 18", len(seen))
		}
		for _, bad := range []string{"x", "1", "1.", ".2", "-1.2", "1.-2", "1.2.3"} {
			if _, err := forum.ParseLatestCursor(bad); forum.ErrorCode(err) != forum.ENOTFOUND {
				t.Errorf("ParseLatestCursor(%q) = %v, want not found", bad, err)
			}
		}
	})
}
