package forum_test

import (
	"strings"
	"testing"
	"time"

	"hearth/internal/forum"
	"hearth/internal/render"
	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

func TestDrafts(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		f := newFixture(t, db)
		now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		f.svc.SetClock(func() time.Time { return now })
		th, _, err := f.svc.CreateThread(ctx, f.member, forum.NewThread{CategoryID: f.cat.ID, Title: "Ferries", Body: "Which ferry?"})
		must(t, err)
		staff, err := f.svc.CreateCategory(ctx, f.admin, forum.CategoryInput{Name: "Staff room", StaffOnly: true})
		must(t, err)
		reply, cat := forum.DraftKeyThread(th.ID), forum.DraftKeyCategory(f.cat.ID)

		// Saved, restored, replaced.
		must(t, f.svc.SaveDraft(ctx, f.member, reply, "", "half a reply"))
		must(t, f.svc.SaveDraft(ctx, f.member, cat, "A title", "a new thread"))
		d, err := f.svc.Draft(ctx, f.member, reply)
		if err != nil || d == nil || d.Body != "half a reply" {
			t.Fatalf("Draft(reply) = %+v, %v", d, err)
		}
		must(t, f.svc.SaveDraft(ctx, f.member, reply, "", "a whole reply\r\nwith two lines"))
		if d, _ := f.svc.Draft(ctx, f.member, reply); d == nil || d.Body != "a whole reply\nwith two lines" {
			t.Errorf("after a second save: %+v", d)
		}
		if d, _ := f.svc.Draft(ctx, f.member, cat); d == nil || d.Title != "A title" || d.Body != "a new thread" {
			t.Errorf("Draft(category) = %+v", d)
		}
		// Drafts are their member's alone.
		if d, err := f.svc.Draft(ctx, f.admin, reply); d != nil || err != nil {
			t.Errorf("another member's Draft = %+v, %v; want none", d, err)
		}

		// Refused: guests, forms the member may not read, bad keys, too long.
		for _, tt := range []struct {
			name  string
			actor *forum.Member
			key   string
			title string
			body  string
			code  forum.Code
		}{
			{"guest", nil, reply, "", "x", forum.EUNAUTHORIZED},
			{"staff-only category", f.member, forum.DraftKeyCategory(staff.ID), "", "x", forum.ENOTFOUND},
			{"no such thread", f.member, forum.DraftKeyThread(th.ID + 100), "", "x", forum.ENOTFOUND},
			{"bad key", f.member, "x:1", "", "x", forum.EINVALID},
			{"key with junk", f.member, "t:01", "", "x", forum.EINVALID},
			{"too long", f.member, reply, "", strings.Repeat("é", forum.MaxBodyLen+1), forum.EINVALID},
			{"title too long", f.member, cat, strings.Repeat("t", forum.MaxTitleLen+1), "x", forum.EINVALID},
		} {
			if err := f.svc.SaveDraft(ctx, tt.actor, tt.key, tt.title, tt.body); code(err) != tt.code {
				t.Errorf("%s: SaveDraft = %v, want %s", tt.name, err, tt.code)
			}
		}
		if d, _ := f.svc.Draft(ctx, f.member, reply); d == nil || d.Body != "a whole reply\nwith two lines" {
			t.Errorf("a refused save changed the draft: %+v", d)
		}

		// Posting deletes it (the web layer calls DeleteDraft after the
		// post is saved); emptying the box does too.
		must(t, f.svc.DeleteDraft(ctx, f.member, reply))
		if d, _ := f.svc.Draft(ctx, f.member, reply); d != nil {
			t.Errorf("after DeleteDraft: %+v", d)
		}
		must(t, f.svc.SaveDraft(ctx, f.member, cat, " ", "\n"))
		if d, _ := f.svc.Draft(ctx, f.member, cat); d != nil {
			t.Errorf("after saving an empty draft: %+v", d)
		}

		// Pruned after DraftTTL, and not shown once expired.
		must(t, f.svc.SaveDraft(ctx, f.member, reply, "", "old words"))
		now = now.Add(forum.DraftTTL + time.Minute)
		if d, _ := f.svc.Draft(ctx, f.member, reply); d != nil {
			t.Errorf("an expired draft is shown: %+v", d)
		}
		n, err := f.svc.PruneDrafts(ctx)
		must(t, err)
		if n != 1 {
			t.Errorf("PruneDrafts = %d, want 1 (the expired one)", n)
		}
		must(t, f.svc.SaveDraft(ctx, f.member, cat, "Fresh", "fresh words"))
		if n, err := f.svc.PruneDrafts(ctx); n != 0 || err != nil {
			t.Errorf("PruneDrafts again = %d, %v; want 0", n, err)
		}
		if d, _ := f.svc.Draft(ctx, f.member, cat); d == nil {
			t.Error("pruning removed a fresh draft")
		}

		// A member keeps at most MaxDraftsPerMember: the oldest go. (The
		// category's draft above is older than all of these.)
		var keys []string
		for i := range forum.MaxDraftsPerMember {
			now = now.Add(time.Second)
			th, _, err := f.svc.CreateThread(ctx, f.admin, forum.NewThread{CategoryID: f.cat.ID, Title: "Thread number " + strings.Repeat("i", i+1), Body: "body"})
			must(t, err)
			keys = append(keys, forum.DraftKeyThread(th.ID))
			must(t, f.svc.SaveDraft(ctx, f.member, keys[i], "", "draft"))
		}
		if d, _ := f.svc.Draft(ctx, f.member, cat); d != nil {
			t.Errorf("the oldest draft is kept beyond %d: %+v", forum.MaxDraftsPerMember, d)
		}
		for _, k := range keys {
			if d, _ := f.svc.Draft(ctx, f.member, k); d == nil {
				t.Errorf("draft %s is gone, want the newest %d kept", k, forum.MaxDraftsPerMember)
			}
		}
	})
}

func TestAuthorUndoDelete(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		f := newFixture(t, db)
		now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		f.svc.SetClock(func() time.Time { return now })
		other, err := f.svc.CreateMember(ctx, forum.NewMember{Email: "olga@example.org", Name: "Olga Other", Password: "tram timetables 28"})
		must(t, err)
		th, first, err := f.svc.CreateThread(ctx, f.member, forum.NewThread{CategoryID: f.cat.ID, Title: "Lisbon trams", Body: "Tram 28?"})
		must(t, err)
		reply, err := f.svc.Reply(ctx, f.member, th.ID, "Take the early one.", 0)
		must(t, err)
		deleted := func(id int64) bool {
			p, err := f.svc.Post(ctx, f.admin, id)
			must(t, err)
			return p.Deleted()
		}

		// Within the window the author undoes their own delete.
		must(t, f.svc.DeletePost(ctx, f.member, reply.ID))
		now = now.Add(forum.UndoWindow - time.Second)
		if err := f.svc.RestorePost(ctx, other, reply.ID); code(err) == "" {
			t.Error("another member restored the post")
		}
		must(t, f.svc.RestorePost(ctx, f.member, reply.ID))
		if deleted(reply.ID) {
			t.Fatal("the author's undo did not restore the post")
		}

		// After it, refused with a sentence; a moderator still can.
		must(t, f.svc.DeletePost(ctx, f.member, reply.ID))
		now = now.Add(forum.UndoWindow + time.Second)
		if err := f.svc.RestorePost(ctx, f.member, reply.ID); code(err) != forum.EFORBIDDEN || !strings.Contains(forum.ErrorMessage(err), "10 minutes") {
			t.Errorf("undo after the window = %v, want forbidden with the window", err)
		}
		must(t, f.svc.RestorePost(ctx, f.admin, reply.ID))

		// A delete by a moderator is not the author's to undo.
		must(t, f.svc.DeletePost(ctx, f.admin, reply.ID))
		if err := f.svc.RestorePost(ctx, f.member, reply.ID); code(err) != forum.EFORBIDDEN {
			t.Errorf("author undoing a moderator's delete = %v, want forbidden", err)
		}
		must(t, f.svc.RestorePost(ctx, f.admin, reply.ID))

		// The first post takes the thread with it, and brings it back.
		must(t, f.svc.DeletePost(ctx, f.member, first.ID))
		if _, err := f.svc.Thread(ctx, f.member, th.ID, 1); code(err) != forum.ENOTFOUND {
			t.Fatalf("thread after deleting its first post: %v", err)
		}
		must(t, f.svc.RestorePost(ctx, f.member, first.ID))
		if _, err := f.svc.Thread(ctx, f.member, th.ID, 1); err != nil {
			t.Errorf("thread after the author's undo: %v", err)
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestDraftsOnAnotherNode: a node keeps which forms a member has drafts
// for, so a page without one costs no query; a draft saved for a new form
// on another node shows here once its event is, and retyping a draft
// writes no event (it changes only the words, which are always read).
func TestDraftsOnAnotherNode(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		f := newFixture(t, db)
		other := forum.NewService(db, render.New())
		th, _, err := f.svc.CreateThread(ctx, f.member, forum.NewThread{CategoryID: f.cat.ID, Title: "Ferries", Body: "Which ferry?"})
		must(t, err)
		key := forum.DraftKeyThread(th.ID)
		if d, err := other.Draft(ctx, f.member, key); d != nil || err != nil {
			t.Fatalf("before any draft: %+v, %v", d, err)
		}

		must(t, f.svc.SaveDraft(ctx, f.member, key, "", "half a reply"))
		if n := countEvents(t, db, forum.EventDraftsChanged, f.member.ID); n != 1 {
			t.Errorf("a draft for a new form wrote %d events, want 1", n)
		}
		if d, _ := other.Draft(ctx, f.member, key); d != nil {
			t.Error("the other node read the store though it holds no draft here (its cache is not kept)")
		}
		other.ApplyEvent(forum.Event{Kind: forum.EventDraftsChanged, MemberID: f.member.ID})
		if d, _ := other.Draft(ctx, f.member, key); d == nil || d.Body != "half a reply" {
			t.Fatalf("the other node after the event: %+v", d)
		}

		must(t, f.svc.SaveDraft(ctx, f.member, key, "", "a whole reply"))
		if n := countEvents(t, db, forum.EventDraftsChanged, f.member.ID); n != 1 {
			t.Errorf("retyping a draft wrote an event: %d, want still 1", n)
		}
		if d, _ := other.Draft(ctx, f.member, key); d == nil || d.Body != "a whole reply" {
			t.Errorf("the other node shows old words: %+v", d)
		}

		// Posting drops it; a post without a draft writes nothing.
		must(t, f.svc.DeleteDraft(ctx, f.member, key))
		must(t, f.svc.DeleteDraft(ctx, f.member, key))
		if n := countEvents(t, db, forum.EventDraftsChanged, f.member.ID); n != 2 {
			t.Errorf("after two deletes of one draft: %d events, want 2", n)
		}
		other.ApplyEvent(forum.Event{Kind: forum.EventDraftsChanged, MemberID: f.member.ID})
		if d, _ := other.Draft(ctx, f.member, key); d != nil {
			t.Errorf("the other node after the delete's event: %+v", d)
		}
	})
}
