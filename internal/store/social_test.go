package store

import (
	"context"
	"io/fs"
	"slices"
	"testing"
	"testing/fstest"

	"hearth/internal/forum"
)

func TestHandles(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ada := mkMember(t, db, "Ada Lovelace")
		ada2 := mkMember(t, db, "Ada  lovelace!") // the same handle from the name, numbered
		if ada.Handle != "ada_lovelace" || ada2.Handle != "ada_lovelace2" {
			t.Fatalf("handles = %q, %q; want ada_lovelace, ada_lovelace2", ada.Handle, ada2.Handle)
		}
		chosen := &forum.Member{Email: "c@example.org", Name: "Chosen", Handle: "ada_lovelace", Role: forum.RoleMember, Status: forum.StatusActive}
		wantErr(t, db.CreateMember(ctx, chosen), forum.ErrHandleTaken)
		chosen.Handle = "grace"
		must(t, db.CreateMember(ctx, chosen))

		must(t, db.SetHandle(ctx, ada.ID, "countess", at(1)))
		wantErr(t, db.SetHandle(ctx, ada2.ID, "countess", at(2)), forum.ErrHandleTaken)
		for _, c := range []struct {
			h    string
			want int64
		}{{"countess", ada.ID}, {"ada_lovelace", ada.ID}, {"grace", chosen.ID}} {
			if id, err := db.HandleOwner(ctx, c.h); err != nil || id != c.want {
				t.Errorf("HandleOwner(%s) = %d, %v; want %d", c.h, id, err, c.want)
			}
		}
		_, err := db.HandleOwner(ctx, "nobody")
		wantErr(t, err, forum.ErrNotFound)
		// A former handle is free to take: it then leads to its new owner.
		must(t, db.SetHandle(ctx, ada2.ID, "ada_lovelace", at(3)))
		if id, _ := db.HandleOwner(ctx, "ada_lovelace"); id != ada2.ID {
			t.Errorf("ada_lovelace leads to %d, want %d", id, ada2.ID)
		}
		ids, err := db.MembersByHandle(ctx, []string{"countess", "grace", "ada_lovelace2", "missing"})
		must(t, err)
		if len(ids) != 2 || ids["countess"] != ada.ID || ids["grace"] != chosen.ID {
			t.Errorf("MembersByHandle = %v", ids)
		}
		if m, _ := db.MemberByID(ctx, ada.ID); m.Handle != "countess" {
			t.Errorf("member's handle = %q", m.Handle)
		}
	})
}

// TestHandlesMigration migrates a forum whose members predate handles:
// each gets one from their name, numbered where two names agree.
func TestHandlesMigration(t *testing.T) {
	forEachEngineRaw(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		full := db.migrations
		old := fstest.MapFS{}
		names, _ := fs.Glob(full, "*.sql")
		for _, n := range names {
			if n < "0011" { // before handles
				b, _ := fs.ReadFile(full, n)
				old[n] = &fstest.MapFile{Data: b}
			}
		}
		db.WithMigrations(old)
		_, err := db.Migrate(ctx)
		must(t, err)
		for i, name := range []string{"Zoë Ångström", "Zoe Angstrom", "李", "Al"} {
			exec(t, db, "INSERT INTO members (email, name, created_at) VALUES ($1, $2, $3)",
				string(rune('a'+i))+"@example.org", name, i)
		}
		db.WithMigrations(full)
		_, err = db.Migrate(ctx)
		must(t, err)
		want := []string{"zoe_angstrom", "zoe_angstrom2", "member", "al_"}
		ms, err := db.ListMembers(ctx, "", 0)
		must(t, err)
		for i, m := range ms {
			if m.Handle != want[i] {
				t.Errorf("member %q got handle %q, want %q", m.Name, m.Handle, want[i])
			}
		}
	})
}

func TestLikes(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ada, bob := mkMember(t, db, "ada"), mkMember(t, db, "bob")
		pub, staff := mkCategory(t, db, "pub", 1), mkCategory(t, db, "staff", 2)
		staff.StaffOnly = true
		must(t, db.UpdateCategory(ctx, staff))
		_, p1 := mkThread(t, db, pub.ID, ada.ID, "one", at(1))
		_, p2 := mkThread(t, db, staff.ID, ada.ID, "two", at(2))
		for _, c := range []struct {
			like bool
			post int64
			want bool
		}{{true, p1.ID, true}, {true, p1.ID, false}, {true, p2.ID, true}, {false, p2.ID, true}, {false, p2.ID, false}, {true, p2.ID, true}} {
			var got bool
			var err error
			if c.like {
				got, err = db.LikePost(ctx, bob.ID, c.post, at(3))
			} else {
				got, err = db.UnlikePost(ctx, bob.ID, c.post)
			}
			if err != nil || got != c.want {
				t.Fatalf("like=%v post %d: %v, %v; want %v", c.like, c.post, got, err, c.want)
			}
		}
		if p, _ := db.PostByID(ctx, p1.ID); p.LikeCount != 1 {
			t.Errorf("like count = %d, want 1", p.LikeCount)
		}
		a, _ := db.MemberByID(ctx, ada.ID)
		b, _ := db.MemberByID(ctx, bob.ID)
		if a.LikesReceived != 2 || b.LikesGiven != 2 || a.LikesGiven != 0 {
			t.Errorf("ada received %d, bob gave %d, ada gave %d; want 2, 2, 0", a.LikesReceived, b.LikesGiven, a.LikesGiven)
		}
		for _, p := range []*forum.Post{p1, p2} {
			liked, err := db.LikedPosts(ctx, bob.ID, p.ThreadID, 1, 20)
			must(t, err)
			if !liked[p.ID] || len(liked) != 1 {
				t.Errorf("LikedPosts in thread %d = %v", p.ThreadID, liked)
			}
		}
		if liked, _ := db.LikedPosts(ctx, ada.ID, p1.ThreadID, 1, 20); len(liked) != 0 {
			t.Errorf("ada liked %v", liked)
		}
		for _, c := range []struct {
			f    forum.Visibility
			want int
		}{{forum.Visibility{}, 1}, {forum.Visibility{Member: true}, 1}, {forum.Visibility{Member: true, Staff: true}, 2}} {
			ps, err := db.MemberLikes(ctx, bob.ID, c.f, 0, 10)
			must(t, err)
			if len(ps) != c.want {
				t.Errorf("MemberLikes(%+v) = %d posts, want %d", c.f, len(ps), c.want)
			}
		}
		// Likes are events, with the liker and the post.
		evs, _, err := db.Events(ctx, "", 100)
		must(t, err)
		n := 0
		for _, e := range evs {
			if e.Kind == forum.EventPostLiked && e.MemberID == bob.ID {
				n++
			}
		}
		if n != 3 {
			t.Errorf("%d like events, want 3", n)
		}
	})
}

func TestLevels(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ada, bob := mkMember(t, db, "ada"), mkMember(t, db, "bob")
		cat := mkCategory(t, db, "c", 1)
		th, _ := mkThread(t, db, cat.ID, ada.ID, "one", at(1))
		other, _ := mkThread(t, db, cat.ID, ada.ID, "two", at(2))
		level := func(m, thread int64) forum.Level {
			l, err := db.ThreadLevel(ctx, m, thread)
			must(t, err)
			return l
		}
		if l := level(ada.ID, th.ID); l != forum.LevelTracking {
			t.Errorf("author's level = %v, want tracking", l)
		}
		if l := level(bob.ID, th.ID); l != forum.LevelDefault {
			t.Errorf("bob's level = %v, want default", l)
		}
		// The unread tracker's column is kept by a level change, and a
		// level chosen is kept by a reply.
		exec(t, db, "INSERT INTO thread_members (member_id, thread_id, last_read_position) VALUES ($1, $2, 7)", bob.ID, th.ID)
		must(t, db.SetThreadLevel(ctx, bob.ID, th.ID, forum.LevelMuted))
		mkPost(t, db, th.ID, bob.ID, at(3))
		var pos int
		must(t, db.read.QueryRowContext(ctx, "SELECT last_read_position FROM thread_members WHERE member_id = $1 AND thread_id = $2", bob.ID, th.ID).Scan(&pos))
		if l := level(bob.ID, th.ID); l != forum.LevelMuted || pos != 7 {
			t.Errorf("after a reply: level %v, position %d; want muted, 7", l, pos)
		}
		mkPost(t, db, other.ID, bob.ID, at(4))
		if l := level(bob.ID, other.ID); l != forum.LevelTracking {
			t.Errorf("replying started %v, want tracking", l)
		}
		// Muted threads leave the member's lists, nobody else's.
		for _, c := range []struct {
			member int64
			want   []int64
		}{{bob.ID, []int64{other.ID}}, {ada.ID, []int64{other.ID, th.ID}}, {0, []int64{other.ID, th.ID}}} {
			ts, _, err := db.ListThreads(ctx, forum.ThreadFilter{CategoryID: cat.ID, MemberID: c.member, Limit: 10})
			must(t, err)
			var got []int64
			for _, t := range ts {
				got = append(got, t.ID)
			}
			if describe(got) != describe(c.want) {
				t.Errorf("member %d sees %v, want %v", c.member, got, c.want)
			}
		}
		must(t, db.SetCategoryLevel(ctx, bob.ID, cat.ID, forum.LevelWatching))
		if l, _ := db.CategoryLevel(ctx, bob.ID, cat.ID); l != forum.LevelWatching {
			t.Errorf("category level = %v", l)
		}
		must(t, db.SetCategoryLevel(ctx, bob.ID, cat.ID, forum.LevelDefault))
		if l, _ := db.CategoryLevel(ctx, bob.ID, cat.ID); l != forum.LevelDefault {
			t.Errorf("category level cleared = %v", l)
		}
	})
}

func TestNotificationsStore(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ada, bob, cy, dee, mod := mkMember(t, db, "ada"), mkMember(t, db, "bob"), mkMember(t, db, "cy"), mkMember(t, db, "dee"), mkMember(t, db, "mod")
		must(t, db.SetMemberRole(ctx, mod.ID, forum.RoleModerator))
		must(t, db.SetMemberStatus(ctx, dee.ID, "", forum.StatusSuspended, nil))
		c, staff := mkCategory(t, db, "c", 1), mkCategory(t, db, "staff", 2)
		staff.StaffOnly = true
		must(t, db.UpdateCategory(ctx, staff))
		th, _ := mkThread(t, db, c.ID, ada.ID, "one", at(1))
		st, _ := mkThread(t, db, staff.ID, ada.ID, "two", at(1))
		must(t, db.SetThreadLevel(ctx, cy.ID, th.ID, forum.LevelMuted))
		must(t, db.SetCategoryLevel(ctx, mod.ID, c.ID, forum.LevelWatching))
		everyone := []int64{ada.ID, bob.ID, cy.ID, dee.ID, mod.ID}
		req := func(event int64, thread, cat int64, steps ...forum.NotifyStep) forum.NotifyRequest {
			return forum.NotifyRequest{EventID: event, ActorID: ada.ID, CategoryID: cat, ThreadID: thread, PostID: event, At: at(2), Steps: steps}
		}
		rs := []forum.NotifyRequest{
			// ada is the actor, cy muted the thread, dee is suspended: bob and mod
			// are mentioned; mod, watching the category, hears it once.
			req(100, th.ID, c.ID, forum.NotifyStep{Kind: forum.NotifyMention, Members: everyone},
				forum.NotifyStep{Kind: forum.NotifyPost, Watchers: forum.WatchThread}),
			// In a staff-only category only the moderator hears.
			req(101, st.ID, staff.ID, forum.NotifyStep{Kind: forum.NotifyMention, Members: everyone}),
		}
		for i := range 2 { // a replay adds nothing, and names nobody
			ids, err := db.AddNotifications(ctx, rs)
			must(t, err)
			if want := []int64{bob.ID, mod.ID}; i == 0 && !slices.Equal(ids, want) || i == 1 && len(ids) != 0 {
				t.Errorf("round %d: notified %v, want %v the first time and none the second", i, ids, want)
			}
		}
		count := func(m int64) int {
			ns, err := db.Notifications(ctx, m, 100)
			must(t, err)
			return len(ns)
		}
		for _, c := range []struct {
			m    *forum.Member
			want int
		}{{ada, 0}, {bob, 1}, {cy, 0}, {dee, 0}, {mod, 2}} {
			if got := count(c.m.ID); got != c.want {
				t.Errorf("%s has %d notifications, want %d", c.m.Name, got, c.want)
			}
		}
		// Watchers: mod watches the category (no thread choice), bob does not.
		_, err := db.AddNotifications(ctx, []forum.NotifyRequest{req(102, th.ID, c.ID, forum.NotifyStep{Kind: forum.NotifyPost, Watchers: forum.WatchThread}),
			req(103, th.ID, c.ID, forum.NotifyStep{Kind: forum.NotifyPost, Watchers: forum.WatchThread})})
		must(t, err)
		if got := count(mod.ID); got != 4 {
			t.Errorf("mod has %d, want 4", got)
		}
		if n, _ := db.UnreadNotifications(ctx, mod.ID); n != 3 { // the two posts group by thread
			t.Errorf("mod's unread groups = %d, want 3", n)
		}
		ns, _ := db.Notifications(ctx, mod.ID, 100)
		if ns[0].Kind != forum.NotifyPost || ns[0].ThreadTitle != "one" || ns[0].ActorName != "ada" {
			t.Errorf("newest = %+v", ns[0])
		}
		must(t, db.MarkNotificationRead(ctx, mod.ID, ns[0].ID, at(5)))
		if n, _ := db.UnreadNotifications(ctx, mod.ID); n != 2 {
			t.Errorf("after marking a group read: %d unread, want 2", n)
		}
		wantErr(t, db.MarkNotificationRead(ctx, bob.ID, ns[0].ID, at(5)), forum.ErrNotFound)
		// A deleted thread's notifications leave the list and the count.
		must(t, db.SetPostDeleted(ctx, firstOf(t, db, st.ID), true, ada.ID, at(5)))
		if n, _ := db.UnreadNotifications(ctx, mod.ID); n != 1 {
			t.Errorf("after the staff thread's deletion: %d unread, want 1", n)
		}
		must(t, db.MarkAllNotificationsRead(ctx, mod.ID, at(6)))
		if n, _ := db.UnreadNotifications(ctx, mod.ID); n != 0 {
			t.Errorf("after marking all read: %d unread", n)
		}
	})
}

func firstOf(t *testing.T, db *DB, thread int64) int64 {
	t.Helper()
	ps, err := db.ListPosts(context.Background(), thread, 1, 1)
	must(t, err)
	return ps[0].ID
}

func TestNotifySources(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		ada, bob := mkMember(t, db, "ada"), mkMember(t, db, "bob")
		c := mkCategory(t, db, "general", 1)
		th, first := mkThread(t, db, c.ID, ada.ID, "Ferries", at(0))
		reply := mkPost(t, db, th.ID, bob.ID, at(1))
		gone := mkPost(t, db, th.ID, bob.ID, at(2))
		must(t, db.SetPostDeleted(ctx, gone.ID, true, bob.ID, at(3)))
		_, otherFirst := mkThread(t, db, c.ID, bob.ID, "Trains", at(4))
		must(t, db.SetPostDeleted(ctx, otherFirst.ID, true, bob.ID, at(5))) // the whole thread

		srcs, err := db.NotifySources(ctx, []int64{reply.ID, first.ID, gone.ID, otherFirst.ID, reply.ID, 99999})
		must(t, err)
		if len(srcs) != 2 || srcs[first.ID] == nil || srcs[reply.ID] == nil {
			t.Fatalf("NotifySources = %v, want the first post and the reply only", srcs)
		}
		r := srcs[reply.ID]
		if r.Post.ThreadID != th.ID || r.Post.AuthorID != bob.ID || r.Post.Position != 2 || r.ThreadAuthorID != ada.ID ||
			r.CategoryID != c.ID || r.Post.HTML == "" || !r.Post.CreatedAt.Equal(at(1)) {
			t.Errorf("reply's source = %+v", r)
		}
		if f := srcs[first.ID]; f.Post.Position != 1 || f.Post.AuthorID != ada.ID {
			t.Errorf("first post's source = %+v", f)
		}
		if srcs, err := db.NotifySources(ctx, nil); err != nil || len(srcs) != 0 {
			t.Errorf("no ids: %v, %v", srcs, err)
		}
	})
}
