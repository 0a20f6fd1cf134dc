package store

import (
	"fmt"
	"strings"
	"testing"

	"hearth/internal/forum"
)

// TestLatestThreads: the latest threads across categories, each reader's
// (guests: public; members: and members-only; staff: all, a staff-only
// parent's sub-category too), never deleted, newest activity first with
// ties broken by last post id, the same pages whether read one index range
// per category or sorted, and the cursor's pages adding up to the whole.
func TestLatestThreads(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		m := mkMember(t, db, "ada")
		mk := func(name string, membersOnly, staffOnly bool, parent int64) *forum.Category {
			c := &forum.Category{Name: name, Slug: name, MembersOnly: membersOnly, StaffOnly: staffOnly, ParentID: parent}
			if err := db.CreateCategory(ctx, c); err != nil {
				t.Fatal(err)
			}
			return c
		}
		pub, lounge, staff := mk("pub", false, false, 0), mk("lounge", true, false, 0), mk("staff", false, true, 0)
		under := mk("under", false, false, staff.ID) // public itself, staff-only by its parent
		n := 0
		thread := func(c *forum.Category, title string, same bool) *forum.Thread {
			if !same {
				n++
			}
			th, _ := mkThread(t, db, c.ID, m.ID, title, at(n))
			return th
		}
		thread(pub, "p1", false)
		thread(lounge, "l1", false)
		thread(staff, "s1", false)
		thread(under, "u1", false)
		gone := thread(pub, "gone", false)
		if err := db.SetPostDeleted(ctx, gone.LastPostID, true, m.ID, at(n)); err != nil {
			t.Fatal(err)
		}
		thread(pub, "p2", false)
		thread(lounge, "l2", true) // the same millisecond as p2
		thread(pub, "p3", true)

		titles := func(ts []*forum.Thread) string {
			var out []string
			for _, th := range ts {
				out = append(out, th.Title)
			}
			return strings.Join(out, " ")
		}
		for _, tt := range []struct {
			access forum.Access
			want   string
		}{
			{forum.AccessGuest, "p3 p2 p1"},
			{forum.AccessMember, "p3 l2 p2 l1 p1"},
			{forum.AccessStaff, "p3 l2 p2 u1 s1 l1 p1"},
		} {
			for _, unionMax := range []int{latestUnionMax, 0} {
				got, err := db.latestThreads(ctx, forum.LatestFilter{Access: tt.access, Limit: 50}, unionMax)
				if err != nil {
					t.Fatal(err)
				}
				if titles(got) != tt.want {
					t.Errorf("access %d (union up to %d): %q, want %q", tt.access, unionMax, titles(got), tt.want)
				}
				// Two a page by cursor: the same threads in the same order.
				var paged []*forum.Thread
				var cur forum.LatestCursor
				for range 10 {
					page, err := db.latestThreads(ctx, forum.LatestFilter{Access: tt.access, Limit: 2, Before: cur}, unionMax)
					if err != nil {
						t.Fatal(err)
					}
					paged = append(paged, page...)
					if len(page) < 2 {
						break
					}
					last := page[len(page)-1]
					cur = forum.LatestCursor{At: last.LastPostAt, PostID: last.LastPostID}
				}
				if titles(paged) != tt.want {
					t.Errorf("access %d (union up to %d), paged: %q, want %q", tt.access, unionMax, titles(paged), tt.want)
				}
			}
		}
		got, err := db.LatestThreads(ctx, forum.LatestFilter{Access: forum.AccessGuest, Limit: 1})
		if err != nil || len(got) != 1 || got[0].CategoryName != "pub" || got[0].CategorySlug != "pub" || got[0].LastPosterID != m.ID {
			t.Fatalf("a row: %+v, %v", fmt.Sprint(got), err)
		}
	})
}
