package forum_test

import (
	"testing"
	"time"

	"hearth/internal/forum"
	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

// TestUnreadArithmetic follows a member over two visits, on both engines:
// new against unread, the 2-day rule of a first visit, the previous
// visit as what "new" compares against, positions that never move back,
// and marking a category and everything read.
func TestUnreadArithmetic(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		f := newFixture(t, db)
		svc, admin, mia := f.svc, f.admin, f.member
		now := time.Date(2026, 5, 4, 6, 30, 0, 0, time.UTC)
		svc.SetClock(func() time.Time { return now })
		thread := func(title string, ago time.Duration, replies int) *forum.Thread {
			t.Helper()
			saved := now
			now = now.Add(-ago)
			defer func() { now = saved }()
			th, _, err := svc.CreateThread(ctx, admin, forum.NewThread{CategoryID: f.cat.ID, Title: title, Body: "The first post."})
			if err != nil {
				t.Fatal(err)
			}
			for range replies {
				if _, err := svc.Reply(ctx, admin, th.ID, "A reply.", 0); err != nil {
					t.Fatal(err)
				}
			}
			return th
		}
		reload := func(th *forum.Thread) *forum.Thread {
			t.Helper()
			got, err := db.ThreadByID(ctx, th.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		type want struct {
			th *forum.Thread
			u  forum.ThreadUnread
		}
		check := func(step string, wants ...want) {
			t.Helper()
			var threads []*forum.Thread
			for _, w := range wants {
				threads = append(threads, reload(w.th))
			}
			got, err := svc.ThreadsUnread(ctx, mia, threads)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range wants {
				if got[w.th.ID] != w.u {
					t.Errorf("%s: %q: %+v, want %+v", step, w.th.Title, got[w.th.ID], w.u)
				}
			}
		}
		token, err := svc.StartSession(ctx, mia, "web")
		if err != nil {
			t.Fatal(err)
		}
		visit := func() {
			t.Helper()
			if _, err := svc.SessionMember(ctx, token); err != nil {
				t.Fatal(err)
			}
			if err := svc.FlushReads(ctx); err != nil {
				t.Fatal(err)
			}
		}

		old := thread("Three days old", 72*time.Hour, 0)
		recent := thread("A day old, with replies", 24*time.Hour, 3)
		other := thread("A day old, left alone", 24*time.Hour, 0)

		// First visit: threads of the last 2 days are new, all their posts unread.
		visit()
		check("first visit", want{old, forum.ThreadUnread{}},
			want{recent, forum.ThreadUnread{New: true, Unread: 4}}, want{other, forum.ThreadUnread{New: true, Unread: 1}})

		// Reading moves the position, buffered, and seen at once by the member.
		svc.Viewed(mia, recent.ID, 2)
		check("read to 2 (buffered)", want{recent, forum.ThreadUnread{LastReadPosition: 2, Unread: 2}})
		if err := svc.FlushReads(ctx); err != nil {
			t.Fatal(err)
		}
		svc.Viewed(mia, recent.ID, 1) // an older page seen again
		check("read to 2, then 1", want{recent, forum.ThreadUnread{LastReadPosition: 2, Unread: 2}})
		if err := svc.FlushReads(ctx); err != nil {
			t.Fatal(err)
		}
		check("flushed", want{recent, forum.ThreadUnread{LastReadPosition: 2, Unread: 2}})
		if got := (forum.ThreadUnread{LastReadPosition: 2, Unread: 2}).FirstUnread(); got != 3 {
			t.Errorf("first unread: %d, want 3", got)
		}

		// An explicit read cannot pass the last post.
		u, err := svc.MarkThreadRead(ctx, mia, recent.ID, 99)
		if err != nil || u != (forum.ThreadUnread{LastReadPosition: 4}) {
			t.Errorf("MarkThreadRead past the end: %+v, %v", u, err)
		}
		if _, err := svc.MarkThreadRead(ctx, mia, recent.ID, 0); forum.ErrorCode(err) != forum.EINVALID {
			t.Errorf("MarkThreadRead 0: %v, want EINVALID", err)
		}

		// Three hours later, a second visit: new is what appeared since the
		// first; a reply to a thread read shows as unread.
		now = now.Add(3 * time.Hour)
		since := thread("Posted between visits", time.Hour, 0)
		if _, err := svc.Reply(ctx, admin, recent.ID, "Another reply.", 0); err != nil {
			t.Fatal(err)
		}
		visit()
		check("second visit", want{old, forum.ThreadUnread{}}, want{other, forum.ThreadUnread{}},
			want{since, forum.ThreadUnread{New: true, Unread: 1}}, want{recent, forum.ThreadUnread{LastReadPosition: 4, Unread: 1}})
		counts, err := svc.CategoriesUnread(ctx, mia, []*forum.Category{f.cat})
		if err != nil || counts[f.cat.ID] != (forum.CategoryUnread{New: 1, Unread: 1}) {
			t.Errorf("category counts: %+v, %v", counts, err)
		}
		// Later in the same visit, new stays new until opened.
		now = now.Add(30 * time.Minute)
		visit()
		check("same visit", want{since, forum.ThreadUnread{New: true, Unread: 1}})

		// Mark the category read: nothing new or unread; a reply after it is.
		if err := svc.MarkCategoryRead(ctx, mia, f.cat.ID); err != nil {
			t.Fatal(err)
		}
		check("category marked read", want{since, forum.ThreadUnread{}}, want{recent, forum.ThreadUnread{LastReadPosition: 5}})
		now = now.Add(time.Minute)
		if _, err := svc.Reply(ctx, admin, recent.ID, "After the mark.", 0); err != nil {
			t.Fatal(err)
		}
		check("a reply after the mark", want{recent, forum.ThreadUnread{LastReadPosition: 5, Unread: 1}})
		fresh := thread("After the mark", 0, 0)
		check("a thread after the mark", want{fresh, forum.ThreadUnread{New: true, Unread: 1}})

		// Everything read.
		now = now.Add(time.Minute)
		if err := svc.MarkAllRead(ctx, mia); err != nil {
			t.Fatal(err)
		}
		check("everything read", want{recent, forum.ThreadUnread{LastReadPosition: 6}}, want{fresh, forum.ThreadUnread{}})
		counts, err = svc.CategoriesUnread(ctx, mia, []*forum.Category{f.cat})
		if err != nil || counts[f.cat.ID] != (forum.CategoryUnread{}) {
			t.Errorf("category counts after marking everything read: %+v, %v", counts, err)
		}

		// The author of a thread or a reply has read it.
		mine, _, err := svc.CreateThread(ctx, mia, forum.NewThread{CategoryID: f.cat.ID, Title: "Mia asks", Body: "A question."})
		if err != nil {
			t.Fatal(err)
		}
		check("own thread", want{mine, forum.ThreadUnread{LastReadPosition: 1}})

		// Guests see no markers.
		if g, err := svc.ThreadsUnread(ctx, nil, []*forum.Thread{reload(recent)}); g != nil || err != nil {
			t.Errorf("guest: %v, %v", g, err)
		}
	})
}
