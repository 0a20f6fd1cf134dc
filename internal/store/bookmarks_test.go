package store

import (
	"slices"
	"strings"
	"testing"

	"hearth/internal/forum"
)

func TestBookmarks(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		ada, bob := mkMember(t, db, "ada"), mkMember(t, db, "bob")
		pub := mkCategory(t, db, "public", 1)
		membersOnly := mkCategory(t, db, "members", 2)
		staff := mkCategory(t, db, "staff", 3)
		staffSub := mkCategory(t, db, "staffsub", 4)
		exec(t, db, "UPDATE categories SET members_only = TRUE WHERE id = $1", membersOnly.ID)
		exec(t, db, "UPDATE categories SET staff_only = TRUE WHERE id = $1", staff.ID)
		exec(t, db, "UPDATE categories SET parent_id = $1 WHERE id = $2", staff.ID, staffSub.ID)

		th, first := mkThread(t, db, pub.ID, bob.ID, "hello", at(0))
		reply := mkPost(t, db, th.ID, bob.ID, at(1))
		deleted := mkPost(t, db, th.ID, bob.ID, at(2))
		_, mo := mkThread(t, db, membersOnly.ID, bob.ID, "inner", at(3))
		_, st := mkThread(t, db, staffSub.ID, bob.ID, "lounge", at(4))
		must(t, db.SetPostDeleted(ctx, deleted.ID, true, bob.ID, at(5)))

		events := func() int {
			var n int
			must(t, db.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM events WHERE kind LIKE 'bookmark.%'").Scan(&n))
			return n
		}
		// Bookmarked in this order, so newest first is the reverse.
		for i, p := range []int64{first.ID, reply.ID, deleted.ID, mo.ID, st.ID} {
			added, err := db.AddBookmark(ctx, ada.ID, p, at(10+i))
			must(t, err)
			if !added {
				t.Fatalf("AddBookmark(%d) = not added", p)
			}
		}
		if added, err := db.AddBookmark(ctx, ada.ID, first.ID, at(30)); err != nil || added {
			t.Fatalf("second AddBookmark = %v, %v; want false, nil", added, err)
		}
		if n := events(); n != 5 {
			t.Errorf("bookmark events = %d, want 5 (none for a bookmark already there)", n)
		}
		_, err := db.AddBookmark(ctx, bob.ID, reply.ID, at(40))
		must(t, err)

		ids, err := db.BookmarkedPosts(ctx, ada.ID)
		must(t, err)
		if want := []int64{first.ID, reply.ID, deleted.ID, mo.ID, st.ID}; !slices.Equal(ids, want) {
			t.Errorf("BookmarkedPosts = %v, want %v", ids, want)
		}

		for _, tt := range []struct {
			name   string
			access forum.Access
			want   []int64
		}{
			{"guest", forum.AccessGuest, []int64{reply.ID, first.ID}},
			{"member", forum.AccessMember, []int64{mo.ID, reply.ID, first.ID}},
			{"staff", forum.AccessStaff, []int64{st.ID, mo.ID, deleted.ID, reply.ID, first.ID}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				bs, total, err := db.ListBookmarks(ctx, forum.BookmarkFilter{MemberID: ada.ID, Access: tt.access, Limit: 30})
				must(t, err)
				var got []int64
				for _, b := range bs {
					got = append(got, b.PostID)
				}
				if !slices.Equal(got, tt.want) || total != len(tt.want) {
					t.Errorf("ListBookmarks = %v (total %d), want %v", got, total, tt.want)
				}
				// Pages: one at a time, in the same order.
				page, total, err := db.ListBookmarks(ctx, forum.BookmarkFilter{MemberID: ada.ID, Access: tt.access, Offset: 1, Limit: 1})
				must(t, err)
				if len(page) != 1 || page[0].PostID != tt.want[1] || total != len(tt.want) {
					t.Errorf("second page = %v (total %d), want [%d]", describe(page), total, tt.want[1])
				}
			})
		}

		bs, _, err := db.ListBookmarks(ctx, forum.BookmarkFilter{MemberID: ada.ID, Access: forum.AccessGuest, Limit: 1})
		must(t, err)
		b := bs[0]
		if b.ThreadID != th.ID || b.ThreadTitle != "hello" || b.Position != 2 || b.AuthorName != "bob" ||
			b.HTML != "<p>reply</p>" || !b.PostedAt.Equal(at(1)) || !b.CreatedAt.Equal(at(11)) || b.Deleted {
			t.Errorf("bookmark = %+v", b)
		}

		if removed, err := db.RemoveBookmark(ctx, ada.ID, reply.ID); err != nil || !removed {
			t.Fatalf("RemoveBookmark = %v, %v", removed, err)
		}
		if removed, err := db.RemoveBookmark(ctx, ada.ID, reply.ID); err != nil || removed {
			t.Fatalf("second RemoveBookmark = %v, %v; want false, nil", removed, err)
		}
		if n := events(); n != 7 {
			t.Errorf("bookmark events = %d, want 7", n)
		}
		if ids, _ := db.BookmarkedPosts(ctx, bob.ID); !slices.Equal(ids, []int64{reply.ID}) {
			t.Errorf("bob's bookmarks = %v: another member's removal touched them", ids)
		}
	})
}

func TestFeedItems(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		bob := mkMember(t, db, "bob")
		pub := mkCategory(t, db, "public", 1)
		sub := mkCategory(t, db, "sub", 2)
		membersOnly := mkCategory(t, db, "members", 3)
		underMembers := mkCategory(t, db, "under", 4)
		staff := mkCategory(t, db, "staff", 5)
		exec(t, db, "UPDATE categories SET parent_id = $1 WHERE id = $2", pub.ID, sub.ID)
		exec(t, db, "UPDATE categories SET members_only = TRUE WHERE id = $1", membersOnly.ID)
		exec(t, db, "UPDATE categories SET parent_id = $1 WHERE id = $2", membersOnly.ID, underMembers.ID)
		exec(t, db, "UPDATE categories SET staff_only = TRUE WHERE id = $1", staff.ID)

		t1, p1 := mkThread(t, db, pub.ID, bob.ID, "one", at(0))
		t2, _ := mkThread(t, db, sub.ID, bob.ID, "two", at(1))
		t3, _ := mkThread(t, db, membersOnly.ID, bob.ID, "three", at(2))
		t4, _ := mkThread(t, db, underMembers.ID, bob.ID, "four", at(3))
		t5, _ := mkThread(t, db, staff.ID, bob.ID, "five", at(4))
		t6, p6 := mkThread(t, db, pub.ID, bob.ID, "six", at(5))
		r1 := mkPost(t, db, t1.ID, bob.ID, at(6))
		r2 := mkPost(t, db, t1.ID, bob.ID, at(7))
		r3 := mkPost(t, db, t1.ID, bob.ID, at(8))
		must(t, db.SetPostDeleted(ctx, r2.ID, true, bob.ID, at(9)))
		must(t, db.SetPostDeleted(ctx, p6.ID, true, bob.ID, at(10))) // deletes thread six
		mkPost(t, db, t3.ID, bob.ID, at(11))
		big := &forum.Post{ThreadID: t2.ID, AuthorID: bob.ID, Body: "big", HTML: "<p>" + strings.Repeat("x", forum.MaxFeedHTML) + "</p>", CreatedAt: at(12)}
		must(t, db.CreatePost(ctx, big))
		_, _ = t4, t5

		posts := func(f forum.FeedFilter) (ids []int64, items []*forum.FeedItem) {
			f.Limit = 30
			items, err := db.FeedItems(ctx, f)
			must(t, err)
			for _, it := range items {
				ids = append(ids, it.PostID)
			}
			return ids, items
		}
		threads := func(items []*forum.FeedItem) (ids []int64) {
			for _, it := range items {
				ids = append(ids, it.ThreadID)
			}
			return ids
		}
		for _, tt := range []struct {
			name string
			f    forum.FeedFilter
			want []int64 // threads, or posts for a thread's feed
		}{
			{"forum", forum.FeedFilter{}, []int64{t2.ID, t1.ID}},
			{"category", forum.FeedFilter{CategoryID: pub.ID}, []int64{t1.ID}},
			{"sub-category", forum.FeedFilter{CategoryID: sub.ID}, []int64{t2.ID}},
			{"members-only category", forum.FeedFilter{CategoryID: membersOnly.ID}, nil},
			{"under members-only", forum.FeedFilter{CategoryID: underMembers.ID}, nil},
			{"staff-only", forum.FeedFilter{CategoryID: staff.ID}, nil},
			{"members-only thread", forum.FeedFilter{ThreadID: t3.ID}, nil},
			{"deleted thread", forum.FeedFilter{ThreadID: t6.ID}, nil},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, items := posts(tt.f)
				if got := threads(items); !slices.Equal(got, tt.want) {
					t.Errorf("threads = %v, want %v", got, tt.want)
				}
			})
		}
		ids, items := posts(forum.FeedFilter{ThreadID: t1.ID})
		if want := []int64{r3.ID, r1.ID, p1.ID}; !slices.Equal(ids, want) {
			t.Errorf("thread feed posts = %v, want %v (the deleted reply left out)", ids, want)
		}
		if it := items[2]; it.Position != 1 || !it.Whole || it.HTML != "<p>first post of one</p>" || it.AuthorName != "bob" || it.Replies != 2 {
			t.Errorf("first post item = %+v", it)
		}
		_, items = posts(forum.FeedFilter{ThreadID: t2.ID})
		if it := items[0]; it.PostID != big.ID || it.Whole || len(it.HTML) != excerptChars {
			t.Errorf("a big post: whole %v, %d bytes; want a start of %d", it.Whole, len(it.HTML), excerptChars)
		}
	})
}
