package store

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"hearth/internal/forum"
)

func TestThreadsAndPosts(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		alice, bob := mkMember(t, db, "alice"), mkMember(t, db, "bob")
		cat := mkCategory(t, db, "general", 1)

		th := &forum.Thread{CategoryID: cat.ID, AuthorID: alice.ID, Title: "Hello", Slug: "hello", CreatedAt: at(0)}
		first := &forum.Post{Body: "hi", HTML: "<p>hi</p>", QuotePostID: 0}
		must(t, db.CreateThread(ctx, th, first))
		if th.ID == 0 || first.ID == 0 || first.Position != 1 || first.ThreadID != th.ID {
			t.Fatalf("CreateThread set thread %+v, post %+v", th, first)
		}

		var replies []*forum.Post
		for i, author := range []*forum.Member{bob, alice, bob} {
			p := mkPost(t, db, th.ID, author.ID, at(i+1))
			if p.Position != i+2 {
				t.Errorf("reply %d got position %d, want %d", i, p.Position, i+2)
			}
			replies = append(replies, p)
		}
		last := replies[2]

		got := getThread(t, db, th.ID)
		want := forum.Thread{ID: th.ID, CategoryID: cat.ID, AuthorID: alice.ID, AuthorName: "alice", Title: "Hello",
			Slug: "hello", PostCount: 4, LastPosition: 4, CreatedAt: at(0), LastPostAt: at(3), LastPostID: last.ID,
			LastPosterID: bob.ID, LastPosterName: "bob"}
		if *got != want {
			t.Errorf("thread:\n got %+v\nwant %+v", *got, want)
		}
		c := getCategory(t, db, cat.ID)
		if c.ThreadCount != 1 || c.PostCount != 4 || c.LastPostID != last.ID || c.LastPostAt != at(3) || c.LastThreadID != th.ID {
			t.Errorf("category counters: %+v", c)
		}
		if a, b := postCount(t, db, alice.ID), postCount(t, db, bob.ID); a != 2 || b != 2 {
			t.Errorf("member post counts = %d, %d; want 2, 2", a, b)
		}

		// Ranges.
		for _, tt := range []struct{ from, to, want int }{{1, 2, 2}, {3, 10, 2}, {1, 4, 4}, {5, 9, 0}, {2, 2, 1}} {
			posts, err := db.ListPosts(ctx, th.ID, tt.from, tt.to)
			must(t, err)
			if len(posts) != tt.want {
				t.Errorf("ListPosts(%d, %d) = %d posts, want %d", tt.from, tt.to, len(posts), tt.want)
			}
			for i, p := range posts {
				if p.Position != tt.from+i {
					t.Errorf("ListPosts(%d, %d)[%d].Position = %d", tt.from, tt.to, i, p.Position)
				}
			}
		}
		posts, err := db.ListPosts(ctx, th.ID, 1, 1)
		must(t, err)
		wantFirst := forum.Post{ID: first.ID, ThreadID: th.ID, AuthorID: alice.ID, Position: 1, Body: "hi", HTML: "<p>hi</p>",
			CreatedAt: at(0), AuthorName: "alice", AuthorRole: forum.RoleMember, AuthorPostCount: 2}
		if *posts[0] != wantFirst {
			t.Errorf("first post:\n got %+v\nwant %+v", *posts[0], wantFirst)
		}

		// Edits and quotes.
		must(t, db.UpdatePost(ctx, replies[0].ID, "edited", "<p>edited</p>", at(9), replies[0].AuthorID))
		wantErr(t, db.UpdatePost(ctx, 9999, "x", "x", at(9), 1), forum.ErrNotFound)
		q := &forum.Post{ThreadID: th.ID, AuthorID: alice.ID, Body: "> quote", HTML: "<blockquote/>", QuotePostID: replies[0].ID, CreatedAt: at(10)}
		must(t, db.CreatePost(ctx, q))
		p, err := db.PostByID(ctx, replies[0].ID)
		must(t, err)
		if p.Body != "edited" || p.HTML != "<p>edited</p>" || !p.Edited() || p.EditedAt != at(9) || p.AuthorName != "bob" {
			t.Errorf("edited post = %+v", p)
		}
		p, err = db.PostByID(ctx, q.ID)
		must(t, err)
		if p.QuotePostID != replies[0].ID || p.Position != 5 {
			t.Errorf("quoting post = %+v", p)
		}
		_, err = db.PostByID(ctx, 9999)
		wantErr(t, err, forum.ErrNotFound)

		// Flags.
		must(t, db.SetThreadFlags(ctx, th.ID, true, true))
		if got := getThread(t, db, th.ID); !got.Sticky || !got.Locked {
			t.Errorf("flags not set: %+v", got)
		}
		wantErr(t, db.SetThreadFlags(ctx, 9999, true, false), forum.ErrNotFound)

		// Missing thread, category, author.
		wantErr(t, db.CreatePost(ctx, &forum.Post{ThreadID: 9999, AuthorID: alice.ID, CreatedAt: at(11)}), forum.ErrNotFound)
		wantErr(t, db.CreateThread(ctx, &forum.Thread{CategoryID: 9999, AuthorID: alice.ID, Title: "x", CreatedAt: at(11)}, &forum.Post{}), forum.ErrNotFound)
		wantErr(t, db.CreatePost(ctx, &forum.Post{ThreadID: th.ID, AuthorID: 9999, CreatedAt: at(11)}), forum.ErrNotFound)
		_, err = db.ThreadByID(ctx, 9999)
		wantErr(t, err, forum.ErrNotFound)
		// The failed writes left nothing behind.
		if got := getThread(t, db, th.ID); got.LastPosition != 5 || got.PostCount != 5 {
			t.Errorf("a failed CreatePost changed the thread: %+v", got)
		}
		assertConsistent(t, db)
	})
}

func TestListThreads(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		m := mkMember(t, db, "m")
		cat, other := mkCategory(t, db, "cat", 1), mkCategory(t, db, "other", 2)
		mkThread(t, db, other.ID, m.ID, "elsewhere", at(100))

		// t1..t5 created in order; t2 gets a late reply, t4 is sticky, t3 deleted;
		// t5 and t6 share a time, so the higher id comes first.
		var ts []*forum.Thread
		for i := 1; i <= 5; i++ {
			th, _ := mkThread(t, db, cat.ID, m.ID, "t"+string(rune('0'+i)), at(i))
			ts = append(ts, th)
		}
		t6, _ := mkThread(t, db, cat.ID, m.ID, "t6", at(5))
		ts = append(ts, t6)
		mkPost(t, db, ts[1].ID, m.ID, at(50))
		must(t, db.SetThreadFlags(ctx, ts[3].ID, true, false))
		first, err := db.ListPosts(ctx, ts[2].ID, 1, 1)
		must(t, err)
		must(t, db.SetPostDeleted(ctx, first[0].ID, true, m.ID, at(60)))
		must(t, db.SetThreadLevel(ctx, m.ID, ts[4].ID, forum.LevelMuted)) // t5

		tests := []struct {
			name      string
			f         forum.ThreadFilter
			wantTitle []string
			wantTotal int
		}{
			{"all visible", forum.ThreadFilter{CategoryID: cat.ID}, []string{"t4", "t2", "t6", "t5", "t1"}, 5},
			{"page 1", forum.ThreadFilter{CategoryID: cat.ID, Limit: 2}, []string{"t4", "t2"}, 5},
			{"page 2", forum.ThreadFilter{CategoryID: cat.ID, Limit: 2, Offset: 2}, []string{"t6", "t5"}, 5},
			{"page 3", forum.ThreadFilter{CategoryID: cat.ID, Limit: 2, Offset: 4}, []string{"t1"}, 5},
			{"past the end", forum.ThreadFilter{CategoryID: cat.ID, Limit: 2, Offset: 10}, nil, 5},
			{"moderator", forum.ThreadFilter{CategoryID: cat.ID, IncludeDeleted: true}, []string{"t4", "t2", "t6", "t5", "t3", "t1"}, 6},
			// Visible and deleted threads merged in order, page by page.
			{"moderator page 2", forum.ThreadFilter{CategoryID: cat.ID, IncludeDeleted: true, Limit: 2, Offset: 2}, []string{"t6", "t5"}, 6},
			{"moderator page 3", forum.ThreadFilter{CategoryID: cat.ID, IncludeDeleted: true, Limit: 2, Offset: 4}, []string{"t3", "t1"}, 6},
			{"moderator, as a member with a muted thread", forum.ThreadFilter{CategoryID: cat.ID, IncludeDeleted: true, MemberID: m.ID, Limit: 3, Offset: 2}, []string{"t6", "t3", "t1"}, 6},
			{"empty category", forum.ThreadFilter{CategoryID: 9999}, nil, 0},
		}
		for _, tt := range tests {
			list, total, err := db.ListThreads(ctx, tt.f)
			must(t, err)
			var titles []string
			for _, th := range list {
				titles = append(titles, th.Title)
				if th.AuthorName != "m" || th.LastPosterName != "m" {
					t.Errorf("%s: names not filled: %+v", tt.name, th)
				}
			}
			if describe(titles) != describe(tt.wantTitle) || total != tt.wantTotal {
				t.Errorf("%s: got %v (total %d), want %v (total %d)", tt.name, titles, total, tt.wantTitle, tt.wantTotal)
			}
		}
		assertConsistent(t, db)
	})
}

// TestSetPostDeleted walks one thread through deletions and restorations,
// checking every counter and pointer after each step.
func TestSetPostDeleted(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		alice, bob, mod := mkMember(t, db, "alice"), mkMember(t, db, "bob"), mkMember(t, db, "mod")
		cat := mkCategory(t, db, "general", 1)
		older, olderFirst := mkThread(t, db, cat.ID, bob.ID, "older", at(0))
		th, p1 := mkThread(t, db, cat.ID, alice.ID, "main", at(1))
		p2 := mkPost(t, db, th.ID, bob.ID, at(2))
		p3 := mkPost(t, db, th.ID, alice.ID, at(3))
		p4 := mkPost(t, db, th.ID, bob.ID, at(4))

		type state struct {
			threadPosts    int
			threadLast     *forum.Post
			threadDeleted  bool
			catThreads     int
			catPosts       int
			catLast        *forum.Post
			alice, bob     int
			listedThreads  int
			deletedInRange int
		}
		steps := []struct {
			name    string
			post    *forum.Post
			deleted bool
			want    state
		}{
			{"middle post", p2, true, state{3, p4, false, 2, 4, p4, 2, 2, 2, 1}},
			{"middle post again", p2, true, state{3, p4, false, 2, 4, p4, 2, 2, 2, 1}},
			{"last post", p4, true, state{2, p3, false, 2, 3, p3, 2, 1, 2, 2}},
			{"first post", p1, true, state{1, p3, true, 1, 1, olderFirst, 1, 1, 1, 3}},
			{"first post again", p1, true, state{1, p3, true, 1, 1, olderFirst, 1, 1, 1, 3}},
			{"restore a reply in a deleted thread", p4, false, state{2, p4, true, 1, 1, olderFirst, 1, 2, 1, 2}},
			{"restore first post", p1, false, state{3, p4, false, 2, 4, p4, 2, 2, 2, 1}},
			{"restore first post again", p1, false, state{3, p4, false, 2, 4, p4, 2, 2, 2, 1}},
			{"restore middle post", p2, false, state{4, p4, false, 2, 5, p4, 2, 3, 2, 0}},
		}
		for _, s := range steps {
			must(t, db.SetPostDeleted(ctx, s.post.ID, s.deleted, mod.ID, at(20)))
			got := getThread(t, db, th.ID)
			c := getCategory(t, db, cat.ID)
			list, _, err := db.ListThreads(ctx, forum.ThreadFilter{CategoryID: cat.ID})
			must(t, err)
			posts, err := db.ListPosts(ctx, th.ID, 1, 10)
			must(t, err)
			deleted := 0
			for _, p := range posts {
				if p.Deleted() {
					deleted++
					if p.DeletedBy != mod.ID || p.DeletedAt != at(20) {
						t.Errorf("%s: deleted post %d has by %d at %v", s.name, p.ID, p.DeletedBy, p.DeletedAt)
					}
				}
			}
			have := state{got.PostCount, nil, got.Deleted(), c.ThreadCount, c.PostCount, nil,
				postCount(t, db, alice.ID), postCount(t, db, bob.ID), len(list), deleted}
			w := s.want
			if got.LastPostID != w.threadLast.ID || got.LastPostAt != w.threadLast.CreatedAt || got.LastPosterID != w.threadLast.AuthorID {
				t.Errorf("%s: thread last post = %d at %v by %d, want %d", s.name, got.LastPostID, got.LastPostAt, got.LastPosterID, w.threadLast.ID)
			}
			if c.LastPostID != w.catLast.ID || c.LastPostAt != w.catLast.CreatedAt {
				t.Errorf("%s: category last post = %d at %v, want %d", s.name, c.LastPostID, c.LastPostAt, w.catLast.ID)
			}
			w.threadLast, w.catLast = nil, nil
			if have != w {
				t.Errorf("%s:\n got %+v\nwant %+v", s.name, have, w)
			}
			if got.LastPosition != 4 {
				t.Errorf("%s: last position moved to %d", s.name, got.LastPosition)
			}
			assertConsistent(t, db)
		}
		if got := getThread(t, db, older.ID); got.PostCount != 1 || got.Deleted() {
			t.Errorf("the other thread changed: %+v", got)
		}

		wantErr(t, db.SetPostDeleted(ctx, 9999, true, mod.ID, at(30)), forum.ErrNotFound)
		wantErr(t, db.SetPostDeleted(ctx, 9999, false, 0, time.Time{}), forum.ErrNotFound)
		if err := db.SetPostDeleted(ctx, p2.ID, true, mod.ID, time.Time{}); err == nil {
			t.Error("deleting with a zero time succeeded")
		}
	})
}

// TestConcurrentCreatePost posts from many goroutines at once: every post
// gets its own consecutive position and nobody sees an error, ErrBusy included.
func TestConcurrentCreatePost(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		const workers, perWorker = 8, 25
		m := mkMember(t, db, "m")
		cat := mkCategory(t, db, "c", 1)
		th, _ := mkThread(t, db, cat.ID, m.ID, "busy", at(0))

		var mu sync.Mutex
		var positions []int
		var wg sync.WaitGroup
		errs := make(chan error, workers*perWorker)
		for w := range workers {
			wg.Go(func() {
				for i := range perWorker {
					p := &forum.Post{ThreadID: th.ID, AuthorID: m.ID, Body: "x", HTML: "x", CreatedAt: at(1 + w*perWorker + i)}
					if err := db.CreatePost(context.Background(), p); err != nil {
						errs <- err
						continue
					}
					mu.Lock()
					positions = append(positions, p.Position)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("CreatePost: %v (busy: %v)", err, errors.Is(err, forum.ErrBusy))
		}
		sort.Ints(positions)
		for i, p := range positions {
			if p != i+2 {
				t.Fatalf("positions are not 2..%d without gaps: %v", workers*perWorker+1, positions)
			}
		}
		got := getThread(t, db, th.ID)
		if n := workers*perWorker + 1; got.PostCount != n || got.LastPosition != n || postCount(t, db, m.ID) != n {
			t.Errorf("after %d posts: thread %+v, member count %d", n, got, postCount(t, db, m.ID))
		}
		assertConsistent(t, db)
	})
}
