package forum_test

import (
	"testing"

	"hearth/internal/forum"
	"hearth/internal/render"
	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

// TestBellAndLevelCaches: the bell's count and a thread's level come from
// the cache, and move with this node's writes and with the events another
// node's writes leave.
func TestBellAndLevelCaches(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		f := newFixture(t, db)
		th, _, err := f.svc.CreateThread(ctx, f.admin, forum.NewThread{CategoryID: f.cat.ID, Title: "Ferry timetables", Body: "Which one?"})
		if err != nil {
			t.Fatal(err)
		}
		bell := func(want int) {
			t.Helper()
			if n, err := f.svc.UnreadNotifications(ctx, f.member); err != nil || n != want {
				t.Fatalf("bell = %d, %v; want %d", n, err, want)
			}
		}
		bell(0)
		// The consumer (here, another node's) writes a mention.
		other := forum.NewService(db, render.New())
		ids, err := db.AddNotifications(ctx, []forum.NotifyRequest{{EventID: 1, ActorID: f.admin.ID, CategoryID: f.cat.ID,
			ThreadID: th.ID, PostID: 1, At: th.CreatedAt,
			Steps: []forum.NotifyStep{{Kind: forum.NotifyMention, Members: []int64{f.member.ID}}}}})
		if err != nil || len(ids) != 1 || ids[0] != f.member.ID {
			t.Fatalf("AddNotifications = %v, %v", ids, err)
		}
		f.svc.ApplyEvent(forum.Event{Kind: forum.EventNotified, MemberID: f.member.ID})
		bell(1)
		if err := other.MarkAllNotificationsRead(ctx, f.member); err != nil {
			t.Fatal(err)
		}
		f.svc.ApplyEvent(forum.Event{Kind: forum.EventNotified, MemberID: f.member.ID})
		bell(0)

		level := func(svc *forum.Service, want forum.Level) {
			t.Helper()
			if l, err := svc.ThreadLevel(ctx, f.member, th.ID); err != nil || l != want {
				t.Fatalf("level = %v, %v; want %v", l, err, want)
			}
		}
		level(f.svc, forum.LevelDefault)
		if err := f.svc.SetThreadLevel(ctx, f.member, th.ID, forum.LevelWatching); err != nil {
			t.Fatal(err)
		}
		level(f.svc, forum.LevelWatching) // this node's write
		level(other, forum.LevelWatching)
		if err := other.SetThreadLevel(ctx, f.member, th.ID, forum.LevelMuted); err != nil {
			t.Fatal(err)
		}
		f.svc.ApplyEvent(forum.Event{Kind: forum.EventLevelChanged, MemberID: f.member.ID, ThreadID: th.ID})
		level(f.svc, forum.LevelMuted) // another node's, through its event
	})
}
