package forum_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"hearth/internal/forum"
	"hearth/internal/render"
	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

// fixture is a service over a real database with an admin, a member and a
// category.
type fixture struct {
	svc    *forum.Service
	admin  *forum.Member
	member *forum.Member
	cat    *forum.Category
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := t.Context()
	svc := forum.NewService(db, render.New())
	f := &fixture{svc: svc}
	var err error
	if f.admin, err = svc.CreateMember(ctx, forum.NewMember{Email: "Admin@Example.org", Name: "Ada Admin", Password: "forum-owner-pass", Role: forum.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	if err = svc.Register(ctx, forum.NewMember{Email: "mia@example.org", Name: "Mia Member", Password: "member-password"}); err != nil {
		t.Fatal(err)
	}
	confirmByMail(t, db, svc, "mia@example.org")
	if f.member, err = svc.Authenticate(ctx, "mia@example.org", "member-password"); err != nil {
		t.Fatal(err)
	}
	if f.cat, err = svc.CreateCategory(ctx, f.admin, forum.CategoryInput{Name: "Destinations", Description: "Where to go"}); err != nil {
		t.Fatal(err)
	}
	return f
}

func code(err error) forum.Code { return forum.ErrorCode(err) }

func TestSetup(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	ctx := t.Context()
	svc := forum.NewService(db, render.New())
	if req, err := svc.SetupRequired(ctx); err != nil || !req {
		t.Fatalf("SetupRequired on empty forum = %v, %v", req, err)
	}
	token, err := svc.NewSetupToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nm := forum.NewMember{Email: "root@example.org", Name: "Root", Password: "a long password"}
	if _, err := svc.Setup(ctx, "wrong", nm); code(err) != forum.EFORBIDDEN {
		t.Fatalf("Setup with a wrong token: %v", err)
	}
	m, err := svc.Setup(ctx, token, nm)
	if err != nil {
		t.Fatal(err)
	}
	if !m.IsAdmin() {
		t.Fatalf("first member is %s/%s, want active admin", m.Role, m.Status)
	}
	if _, err := svc.Setup(ctx, token, forum.NewMember{Email: "two@example.org", Name: "Two", Password: "a long password"}); code(err) != forum.EFORBIDDEN {
		t.Fatalf("second Setup with the used token: %v, want forbidden", err)
	}
}

func TestRegisterAndAuthenticate(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		f := newFixture(t, db)
		if f.admin.Email != "admin@example.org" {
			t.Errorf("email not lower-cased: %q", f.admin.Email)
		}
		tests := []struct {
			name  string
			nm    forum.NewMember
			field string
		}{
			{"bad email", forum.NewMember{Email: "not-an-email", Name: "Other", Password: "long enough pw"}, "email"},
			{"short password", forum.NewMember{Email: "x@example.org", Name: "Other", Password: "short"}, "password"},
			{"empty name", forum.NewMember{Email: "x@example.org", Name: "  ", Password: "long enough pw"}, "name"},
			{"invalid utf-8 name", forum.NewMember{Email: "x@example.org", Name: "a\xffb", Password: "long enough pw"}, "name"},
		}
		for _, tt := range tests {
			err := f.svc.Register(ctx, tt.nm)
			if code(err) != forum.EINVALID || forum.ErrorField(err) != tt.field {
				t.Errorf("%s: got %v (field %q), want invalid %q", tt.name, err, forum.ErrorField(err), tt.field)
			}
		}
		if _, err := f.svc.Authenticate(ctx, "mia@example.org", "wrong password"); code(err) != forum.EUNAUTHORIZED {
			t.Errorf("wrong password: %v", err)
		}
		_, errUnknown := f.svc.Authenticate(ctx, "nobody@example.org", "member-password")
		_, errWrong := f.svc.Authenticate(ctx, "mia@example.org", "wrong password")
		if forum.ErrorMessage(errUnknown) != forum.ErrorMessage(errWrong) {
			t.Errorf("unknown email and wrong password answer differently: %q vs %q", forum.ErrorMessage(errUnknown), forum.ErrorMessage(errWrong))
		}
		m, err := f.svc.Authenticate(ctx, " MIA@example.org ", "member-password")
		if err != nil || m.ID != f.member.ID {
			t.Fatalf("Authenticate = %v, %v", m, err)
		}
		token, err := f.svc.StartSession(ctx, m, "web")
		if err != nil {
			t.Fatal(err)
		}
		if got, err := f.svc.SessionMember(ctx, token); err != nil || got.ID != m.ID {
			t.Fatalf("SessionMember = %v, %v", got, err)
		}
		if err := f.svc.EndSession(ctx, token); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SessionMember(ctx, token); code(err) != forum.ENOTFOUND {
			t.Fatalf("SessionMember after logout: %v", err)
		}
	})
}

func TestApprovalRequired(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	ctx := t.Context()
	f := newFixture(t, db)
	if err := f.svc.SetRequireApproval(ctx, f.member, true); code(err) != forum.EFORBIDDEN {
		t.Fatalf("member changed settings: %v", err)
	}
	if err := f.svc.SetRequireApproval(ctx, f.admin, true); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Register(ctx, forum.NewMember{Email: "new@example.org", Name: "Newcomer", Password: "glad-to-join-you"}); err != nil {
		t.Fatal(err)
	}
	p, err := f.svc.Authenticate(ctx, "new@example.org", "glad-to-join-you")
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != forum.StatusPending {
		t.Fatalf("status %s, want pending", p.Status)
	}
	if _, _, err := f.svc.CreateThread(ctx, p, forum.NewThread{CategoryID: f.cat.ID, Title: "Hello all", Body: "hi"}); code(err) != forum.EFORBIDDEN {
		t.Fatalf("pending member posted: %v", err)
	}
	pending, err := f.svc.Members(ctx, f.admin, forum.StatusPending)
	if err != nil || len(pending) != 1 || pending[0].ID != p.ID {
		t.Fatalf("pending list = %v, %v", pending, err)
	}
	if err := f.svc.SetMemberStatus(ctx, f.admin, p.ID, forum.StatusPending, forum.StatusActive); err != nil {
		t.Fatal(err)
	}
	confirmByMail(t, db, f.svc, "new@example.org")
	p, _ = f.svc.Authenticate(ctx, "new@example.org", "glad-to-join-you")
	if _, _, err := f.svc.CreateThread(ctx, p, forum.NewThread{CategoryID: f.cat.ID, Title: "Hello all", Body: "hi"}); err != nil {
		t.Fatalf("approved member cannot post: %v", err)
	}
}

func TestCategories(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	ctx := t.Context()
	f := newFixture(t, db)
	if _, err := f.svc.CreateCategory(ctx, f.member, forum.CategoryInput{Name: "X"}); code(err) != forum.EFORBIDDEN {
		t.Fatalf("member created a category: %v", err)
	}
	europe, err := f.svc.CreateCategory(ctx, f.admin, forum.CategoryInput{Name: "Europe", ParentID: f.cat.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CreateCategory(ctx, f.admin, forum.CategoryInput{Name: "Lisbon", ParentID: europe.ID}); forum.ErrorField(err) != "parent_id" {
		t.Fatalf("two-level nesting allowed: %v", err)
	}
	private, err := f.svc.CreateCategory(ctx, f.admin, forum.CategoryInput{Name: "Members' deals", MembersOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	lounge, err := f.svc.CreateCategory(ctx, f.admin, forum.CategoryInput{Name: "Lounge"})
	if err != nil {
		t.Fatal(err)
	}
	staff, err := f.svc.CreateCategory(ctx, f.admin, forum.CategoryInput{Name: "Mods", StaffOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.Category(ctx, f.member, staff.ID); code(err) != forum.ENOTFOUND {
		t.Errorf("member opened a staff-only category: %v", err)
	}
	if _, _, err := f.svc.Category(ctx, f.admin, staff.ID); err != nil {
		t.Errorf("admin cannot open a staff-only category: %v", err)
	}
	names := func(a *forum.Member) string {
		cats, err := f.svc.Categories(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range cats {
			out = append(out, c.Name)
			for _, ch := range c.Children {
				out = append(out, ">"+ch.Name)
			}
		}
		return strings.Join(out, ",")
	}
	if got, want := names(f.member), "Destinations,>Europe,Members' deals,Lounge"; got != want {
		t.Errorf("member sees %q, want %q", got, want)
	}
	if got, want := names(nil), "Destinations,>Europe,Lounge"; got != want {
		t.Errorf("guest sees %q, want %q", got, want)
	}
	if _, _, err := f.svc.CreateThread(ctx, f.member, forum.NewThread{CategoryID: europe.ID, Title: "Porto tips", Body: "x"}); err != nil {
		t.Fatal(err)
	}
	if cats, _ := f.svc.Categories(ctx, nil); cats[0].ThreadCount != 1 || cats[0].PostCount != 1 || cats[0].LastThreadTitle != "Porto tips" {
		t.Errorf("parent does not include its sub-category: %+v", cats[0])
	}
	if _, _, err := f.svc.Category(ctx, nil, private.ID); code(err) != forum.ENOTFOUND {
		t.Errorf("guest opened a members-only category: %v", err)
	}
	if err := f.svc.MoveCategory(ctx, f.admin, lounge.ID, -1); err != nil {
		t.Fatal(err)
	}
	if got, want := names(f.member), "Destinations,>Europe,Lounge,Members' deals"; got != want {
		t.Errorf("after moving Lounge up: %q, want %q", got, want)
	}
	if _, err := f.svc.UpdateCategory(ctx, f.admin, f.cat.ID, forum.CategoryInput{Name: "Destinations", ParentID: lounge.ID}); forum.ErrorField(err) != "parent_id" {
		t.Errorf("a category with children became a child: %v", err)
	}
}

// TestCategoryTree: the service answers the tree's questions the pages
// ask: a category's visible sub-categories, and where a category may be
// placed (one level deep; a parent stays at the top).
func TestCategoryTree(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		f := newFixture(t, db)
		mk := func(in forum.CategoryInput) *forum.Category {
			t.Helper()
			c, err := f.svc.CreateCategory(ctx, f.admin, in)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		europe := mk(forum.CategoryInput{Name: "Europe", ParentID: f.cat.ID})
		mk(forum.CategoryInput{Name: "Crew room", ParentID: f.cat.ID, StaffOnly: true})
		asia := mk(forum.CategoryInput{Name: "Asia", ParentID: f.cat.ID})
		lounge := mk(forum.CategoryInput{Name: "Lounge"})
		if _, _, err := f.svc.CreateThread(ctx, f.member, forum.NewThread{CategoryID: asia.ID, Title: "Hanoi in May", Body: "x"}); err != nil {
			t.Fatal(err)
		}
		names := func(cs []*forum.Category) string {
			var out []string
			for _, c := range cs {
				out = append(out, c.Name+"/"+strconv.Itoa(c.ThreadCount))
			}
			return strings.Join(out, ",")
		}
		for _, c := range []struct {
			what  string
			actor *forum.Member
			id    int64
			want  string
		}{
			{"guest, parent", nil, f.cat.ID, "Europe/0,Asia/1"},
			{"admin, parent", f.admin, f.cat.ID, "Europe/0,Crew room/0,Asia/1"},
			{"sub-category", f.admin, europe.ID, ""},
			{"no sub-categories", f.member, lounge.ID, ""},
		} {
			subs, err := f.svc.SubCategories(ctx, c.actor, c.id)
			if err != nil || names(subs) != c.want {
				t.Errorf("%s: %q, %v; want %q", c.what, names(subs), err, c.want)
			}
		}
		for _, c := range []struct {
			what string
			id   int64
			want string
		}{
			{"new category", 0, "Destinations/1,Lounge/0"},
			{"a parent stays at the top", f.cat.ID, ""},
			{"a sub-category", europe.ID, "Destinations/1,Lounge/0"},
			{"a top-level one without children", lounge.ID, "Destinations/1"},
		} {
			got, err := f.svc.ParentChoices(ctx, f.admin, c.id)
			if err != nil || names(got) != c.want {
				t.Errorf("parents for %s: %q, %v; want %q", c.what, names(got), err, c.want)
			}
		}
		if _, err := f.svc.ParentChoices(ctx, f.member, 0); code(err) != forum.EFORBIDDEN {
			t.Errorf("member asked for parent choices: %v", err)
		}
	})
}

func TestThreadsAndPosts(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		f := newFixture(t, db)
		now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		f.svc.SetClock(func() time.Time { now = now.Add(time.Second); return now })

		bad := []struct {
			name  string
			nt    forum.NewThread
			field string
		}{
			{"empty title", forum.NewThread{CategoryID: f.cat.ID, Title: " ", Body: "x"}, "title"},
			{"short title", forum.NewThread{CategoryID: f.cat.ID, Title: "ab", Body: "x"}, "title"},
			{"long title", forum.NewThread{CategoryID: f.cat.ID, Title: strings.Repeat("a", 151), Body: "x"}, "title"},
			{"empty body", forum.NewThread{CategoryID: f.cat.ID, Title: "Fine title", Body: "\n \n"}, "body"},
			{"huge body", forum.NewThread{CategoryID: f.cat.ID, Title: "Fine title", Body: strings.Repeat("a", forum.MaxBodyLen+1)}, "body"},
			{"invalid utf-8", forum.NewThread{CategoryID: f.cat.ID, Title: "Fine title", Body: "bad \xff byte"}, "body"},
			{"unknown category", forum.NewThread{CategoryID: 999, Title: "Fine title", Body: "x"}, "category_id"},
		}
		for _, tt := range bad {
			_, _, err := f.svc.CreateThread(ctx, f.member, tt.nt)
			if code(err) != forum.EINVALID || forum.ErrorField(err) != tt.field {
				t.Errorf("%s: %v (field %q), want invalid %q", tt.name, err, forum.ErrorField(err), tt.field)
			}
		}
		if _, _, err := f.svc.CreateThread(ctx, nil, forum.NewThread{CategoryID: f.cat.ID, Title: "Guest post", Body: "x"}); code(err) != forum.EUNAUTHORIZED {
			t.Errorf("guest posted: %v", err)
		}

		th, first, err := f.svc.CreateThread(ctx, f.member, forum.NewThread{CategoryID: f.cat.ID, Title: "Lisbon in March?", Body: "Anyone been to **Lisbon**? <script>alert(1)</script>"})
		if err != nil {
			t.Fatal(err)
		}
		if th.Slug != "lisbon-in-march" || first.Position != 1 {
			t.Errorf("slug %q position %d", th.Slug, first.Position)
		}
		if !strings.Contains(first.HTML, "<strong>Lisbon</strong>") || strings.Contains(first.HTML, "<script") {
			t.Errorf("rendered HTML %q", first.HTML)
		}

		// A quote reply links back to the quoted post, once.
		q, err := f.svc.Reply(ctx, f.admin, th.ID, "Yes, go!", first.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(q.Body, "(/p/"+itoa(first.ID)+")") || !strings.Contains(q.HTML, "<blockquote>") || q.QuotePostID != first.ID {
			t.Errorf("quote reply body %q html %q", q.Body, q.HTML)
		}
		prefilled := "> **Mia Member** [wrote](/p/" + itoa(first.ID) + "):\n> Anyone\n\nAgreed."
		q2, err := f.svc.Reply(ctx, f.admin, th.ID, prefilled, first.ID)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Count(q2.Body, "/p/"+itoa(first.ID)) != 1 {
			t.Errorf("pre-filled quote doubled: %q", q2.Body)
		}

		// Edit: own post only; moderators any.
		if _, err := f.svc.EditPost(ctx, f.member, q.ID, "hijack"); code(err) != forum.EFORBIDDEN {
			t.Errorf("member edited another's post: %v", err)
		}
		ed, err := f.svc.EditPost(ctx, f.member, first.ID, "Anyone been to *Lisbon* lately?")
		if err != nil {
			t.Fatal(err)
		}
		if !ed.Edited() || !strings.Contains(ed.HTML, "<em>Lisbon</em>") {
			t.Errorf("edit: %+v", ed)
		}

		// Delete and restore.
		if err := f.svc.DeletePost(ctx, f.member, q.ID); code(err) != forum.EFORBIDDEN {
			t.Errorf("member deleted another's post: %v", err)
		}
		if err := f.svc.DeletePost(ctx, f.admin, q.ID); err != nil {
			t.Fatal(err)
		}
		page, err := f.svc.Thread(ctx, f.member, th.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Posts) != 3 || !page.Posts[1].Deleted() || page.Posts[1].HTML != "" || page.Thread.Replies() != 1 {
			t.Errorf("after delete: %d posts, deleted=%v html=%q replies=%d", len(page.Posts), page.Posts[1].Deleted(), page.Posts[1].HTML, page.Thread.Replies())
		}
		// Readers share the cached page: a moderator's view keeps the
		// text, the next member's view still has none, in either order.
		for i, reader := range []*forum.Member{f.admin, f.member, f.admin, nil} {
			page, err := f.svc.Thread(ctx, reader, th.ID, 1)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := page.Posts[1].HTML != "", reader.IsModerator(); got != want {
				t.Errorf("reader %d (moderator %v): deleted post's text shown %v", i, want, got)
			}
			if page.Posts[2].HTML == "" {
				t.Errorf("reader %d: a post not deleted lost its text", i)
			}
		}
		if err := f.svc.RestorePost(ctx, f.member, q.ID); code(err) != forum.EFORBIDDEN {
			t.Errorf("member restored: %v", err)
		}
		if err := f.svc.RestorePost(ctx, f.admin, q.ID); err != nil {
			t.Fatal(err)
		}

		// Locked threads take replies from moderators only.
		if err := f.svc.SetThreadFlags(ctx, f.member, th.ID, true, true); code(err) != forum.EFORBIDDEN {
			t.Errorf("member locked a thread: %v", err)
		}
		if err := f.svc.SetThreadFlags(ctx, f.admin, th.ID, true, true); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Reply(ctx, f.member, th.ID, "late", 0); code(err) != forum.EFORBIDDEN {
			t.Errorf("reply to locked thread: %v", err)
		}
		if _, err := f.svc.Reply(ctx, f.admin, th.ID, "mod note", 0); err != nil {
			t.Errorf("moderator reply to locked thread: %v", err)
		}

		// Deleting the first post deletes the thread for members.
		th2, first2, err := f.svc.CreateThread(ctx, f.member, forum.NewThread{CategoryID: f.cat.ID, Title: "Oops wrong place", Body: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.DeletePost(ctx, f.member, first2.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Thread(ctx, f.member, th2.ID, 1); code(err) != forum.ENOTFOUND {
			t.Errorf("deleted thread visible to member: %v", err)
		}
		if _, err := f.svc.Thread(ctx, f.admin, th2.ID, 1); err != nil {
			t.Errorf("deleted thread hidden from moderator: %v", err)
		}
		list, err := f.svc.Threads(ctx, nil, f.cat.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Threads) != 1 || list.Threads[0].ID != th.ID || !list.Threads[0].Sticky {
			t.Errorf("guest thread list: %+v", list.Threads)
		}
	})
}

func TestPagination(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	ctx := t.Context()
	f := newFixture(t, db)
	f.svc.PostsPerPage, f.svc.ThreadsPerPage = 3, 2
	th, _, err := f.svc.CreateThread(ctx, f.member, forum.NewThread{CategoryID: f.cat.ID, Title: "Long thread", Body: "1"})
	if err != nil {
		t.Fatal(err)
	}
	var last *forum.Post
	for i := 2; i <= 7; i++ {
		if last, err = f.svc.Reply(ctx, f.member, th.ID, itoa(int64(i)), 0); err != nil {
			t.Fatal(err)
		}
	}
	p3, err := f.svc.Thread(ctx, nil, th.ID, 3)
	if err != nil {
		t.Fatal(err)
	}
	if p3.Pages != 3 || len(p3.Posts) != 1 || p3.Posts[0].Position != 7 {
		t.Fatalf("page 3: pages=%d posts=%d", p3.Pages, len(p3.Posts))
	}
	if _, err := f.svc.Thread(ctx, nil, th.ID, 4); code(err) != forum.ENOTFOUND {
		t.Errorf("page past the end: %v", err)
	}
	if _, page, err := f.svc.PostLocation(ctx, nil, last.ID); err != nil || page != 3 {
		t.Errorf("PostLocation = %d, %v", page, err)
	}
	for i := range 4 {
		if _, _, err := f.svc.CreateThread(ctx, f.member, forum.NewThread{CategoryID: f.cat.ID, Title: "Thread " + itoa(int64(i)), Body: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	l, err := f.svc.Threads(ctx, nil, f.cat.ID, 3)
	if err != nil {
		t.Fatal(err)
	}
	if l.Pages != 3 || l.Total != 5 || len(l.Threads) != 1 || l.Threads[0].ID != th.ID {
		t.Errorf("threads page 3: pages=%d total=%d n=%d", l.Pages, l.Total, len(l.Threads))
	}
}

func TestProfile(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	ctx := context.Background()
	f := newFixture(t, db)
	if _, err := f.svc.UpdateProfile(ctx, f.member, f.admin.ID, forum.ProfileUpdate{Name: "Hacked"}); code(err) != forum.EFORBIDDEN {
		t.Fatalf("member edited the admin's profile: %v", err)
	}
	m, err := f.svc.UpdateProfile(ctx, f.member, f.member.ID, forum.ProfileUpdate{Name: "Mia M.", Title: "Senior Consultant, Bluewave Travel", Location: "Lisbon", Bio: "Cruises."})
	if err != nil || m.Title != "Senior Consultant, Bluewave Travel" {
		t.Fatalf("UpdateProfile = %+v, %v", m, err)
	}
	if _, err := f.svc.ChangePassword(ctx, m, "", "wrong", "a brand new password"); forum.ErrorField(err) != "current" {
		t.Fatalf("ChangePassword with wrong current: %v", err)
	}
	if _, err := f.svc.ChangePassword(ctx, m, "", "member-password", "a brand new password"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(ctx, "mia@example.org", "a brand new password"); err != nil {
		t.Fatalf("new password refused: %v", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestReplyChecksThreadState: replies read a thread's state from a cache
// (replyThread); every change to it, made here or by another node (an
// event applied), is seen by the next reply.
func TestReplyChecksThreadState(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	f := newFixture(t, db)
	ctx := t.Context()
	tests := []struct {
		name   string
		change func(th *forum.Thread, first *forum.Post) error
		undo   func(th *forum.Thread, first *forum.Post) error
		want   forum.Code
	}{
		{"locked here",
			func(th *forum.Thread, _ *forum.Post) error {
				return f.svc.SetThreadFlags(ctx, f.admin, th.ID, false, true)
			},
			func(th *forum.Thread, _ *forum.Post) error {
				return f.svc.SetThreadFlags(ctx, f.admin, th.ID, false, false)
			},
			forum.EFORBIDDEN},
		{"deleted here",
			func(_ *forum.Thread, first *forum.Post) error { return f.svc.DeletePost(ctx, f.admin, first.ID) },
			func(_ *forum.Thread, first *forum.Post) error { return f.svc.RestorePost(ctx, f.admin, first.ID) },
			forum.ENOTFOUND},
		{"locked by another node",
			func(th *forum.Thread, _ *forum.Post) error {
				err := db.SetThreadFlags(ctx, th.ID, false, true)
				f.svc.ApplyEvent(forum.Event{Kind: forum.EventThreadFlags, ThreadID: th.ID, CategoryID: th.CategoryID})
				return err
			},
			func(th *forum.Thread, _ *forum.Post) error {
				err := db.SetThreadFlags(ctx, th.ID, false, false)
				f.svc.ApplyEvent(forum.Event{Kind: forum.EventThreadFlags, ThreadID: th.ID, CategoryID: th.CategoryID})
				return err
			},
			forum.EFORBIDDEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th, first, err := f.svc.CreateThread(ctx, f.member, forum.NewThread{CategoryID: f.cat.ID, Title: "Ferries to the islands", Body: "Which ones run in winter?"})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 2 { // the second reply finds the thread in the cache
				if _, err := f.svc.Reply(ctx, f.member, th.ID, "reply "+strconv.Itoa(i), 0); err != nil {
					t.Fatalf("reply %d: %v", i, err)
				}
			}
			if err := tt.change(th, first); err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.Reply(ctx, f.member, th.ID, "after the change", 0); code(err) != tt.want {
				t.Errorf("reply after the change: %v, want %s", err, tt.want)
			}
			if err := tt.undo(th, first); err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.Reply(ctx, f.member, th.ID, "after the undo", 0); err != nil {
				t.Errorf("reply after the undo: %v", err)
			}
		})
	}
}
