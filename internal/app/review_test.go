package app_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"hearth/internal/app"
	"hearth/internal/forum"
	"hearth/internal/status"
	"hearth/internal/store/storetest"
)

// reviewForum is a forum with an admin, a moderator, a member and one
// thread of two posts, for the security review's regression tests.
type reviewForum struct {
	a                 *app.App
	admin, mod, mia   *forum.Member
	cat               *forum.Category
	thread            *forum.Thread
	first, reply      *forum.Post
	threadPath, tpath string // canonical path, and /t/{id}
}

func newReviewForum(t *testing.T, engine string) *reviewForum {
	t.Helper()
	a := start(t, engine)
	ctx, svc := t.Context(), a.Service
	f := &reviewForum{a: a}
	var err error
	if f.admin, err = svc.CreateMember(ctx, adminMember()); err != nil {
		t.Fatal(err)
	}
	if f.mod, err = svc.CreateMember(ctx, forum.NewMember{Email: "mo@example.org", Name: "Mo Moderator", Password: "moderator-pass-7", Role: forum.RoleModerator}); err != nil {
		t.Fatal(err)
	}
	if f.mia, err = svc.CreateMember(ctx, forum.NewMember{Email: "mia@example.org", Name: "Mia Member", Password: "member-password"}); err != nil {
		t.Fatal(err)
	}
	if f.cat, err = svc.CreateCategory(ctx, f.admin, forum.CategoryInput{Name: "General"}); err != nil {
		t.Fatal(err)
	}
	if f.thread, f.first, err = svc.CreateThread(ctx, f.mia, forum.NewThread{CategoryID: f.cat.ID, Title: "Lisbon in March", Body: "Any hotel tips?"}); err != nil {
		t.Fatal(err)
	}
	if f.reply, err = svc.Reply(ctx, f.mia, f.thread.ID, "The one by the river.", 0); err != nil {
		t.Fatal(err)
	}
	f.tpath = "/t/" + strconv.FormatInt(f.thread.ID, 10)
	f.threadPath = f.tpath + "/" + f.thread.Slug
	return f
}

func (f *reviewForum) login(t *testing.T, email, password string) *browser {
	t.Helper()
	b := newBrowser(t, f.a.URL())
	if p := b.post("/login", url.Values{"email": {email}, "password": {password}}); p.status != 303 {
		t.Fatalf("log in %s: %d\n%s", email, p.status, p.body)
	}
	return b
}

// Finding 12: moderators could restore posts and pin or lock threads while
// the forum is read-only. Only admins write then, on every surface, and the
// moderators' controls are not shown.
func TestReviewReadOnlyStopsModerators(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		f := newReviewForum(t, engine)
		ctx := t.Context()
		if err := f.a.Service.DeletePost(ctx, f.mod, f.reply.ID); err != nil {
			t.Fatal(err)
		}
		mod := f.login(t, "mo@example.org", "moderator-pass-7")
		tok := apiLogin(t, f.a, "mo@example.org", "moderator-pass-7")
		if err := f.a.Status.SetMode(status.ReadOnly, "Moving servers.", time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}

		p := mod.get(f.threadPath)
		expect(t, "moderator reads in read-only", p, 200, "Moving servers.")
		for _, control := range []string{`/flags"`, `/restore"`, `/delete"`, `/edit"`} {
			if strings.Contains(p.body, control) {
				t.Errorf("moderator's page in read-only mode shows the control %s", control)
			}
		}
		pid := strconv.FormatInt(f.reply.ID, 10)
		expect(t, "restore in read-only", mod.post("/p/"+pid+"/restore", nil), 503, "read-only")
		expect(t, "pin in read-only", mod.post(f.tpath+"/flags", url.Values{"sticky": {"1"}}), 503, "read-only")
		if st, out := api(t, f.a.URL(), "POST", "/api/v1/posts/"+pid+"/restore", tok, nil); st != 503 {
			t.Errorf("API restore in read-only: %d %v", st, out)
		}
		if st, out := api(t, f.a.URL(), "PATCH", "/api/v1/threads/"+strconv.FormatInt(f.thread.ID, 10), tok, map[string]any{"sticky": true, "locked": true}); st != 503 {
			t.Errorf("API pin in read-only: %d %v", st, out)
		}
		th, err := f.a.Store.ThreadByID(ctx, f.thread.ID)
		if err != nil {
			t.Fatal(err)
		}
		if th.Sticky || th.Locked {
			t.Errorf("thread changed in read-only mode: sticky %v locked %v", th.Sticky, th.Locked)
		}
		if p, _ := f.a.Store.PostByID(ctx, f.reply.ID); !p.Deleted() {
			t.Error("post restored in read-only mode")
		}

		// Admins still can.
		if err := f.a.Service.RestorePost(ctx, f.admin, f.reply.ID); err != nil {
			t.Errorf("admin restore in read-only: %v", err)
		}
	})
}

// Moderators' edits of others' posts leave a record of who edited.
func TestReviewEditRecordsEditor(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		f := newReviewForum(t, engine)
		ctx := t.Context()
		if _, err := f.a.Service.EditPost(ctx, f.mia, f.first.ID, "Any hotel tips? Near the river."); err != nil {
			t.Fatal(err)
		}
		if _, err := f.a.Service.EditPost(ctx, f.mod, f.reply.ID, "The one by the river (link removed)."); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			post *forum.Post
			want int64
		}{{f.first, f.mia.ID}, {f.reply, f.mod.ID}} {
			p, err := f.a.Store.PostByID(ctx, c.post.ID)
			if err != nil {
				t.Fatal(err)
			}
			if p.EditedBy != c.want {
				t.Errorf("post %d: edited by %d, want %d", p.ID, p.EditedBy, c.want)
			}
		}
		tok := apiLogin(t, f.a, "mia@example.org", "member-password")
		st, out := api(t, f.a.URL(), "GET", "/api/v1/posts/"+strconv.FormatInt(f.reply.ID, 10), tok, nil)
		if st != 200 || out["edited_by"] != float64(f.mod.ID) {
			t.Errorf("API post: %d, edited_by %v, want %d", st, out["edited_by"], f.mod.ID)
		}
	})
}

// forEachEngine runs fn as a subtest per engine (PostgreSQL skips with a
// message when it is not configured).
func forEachEngine(t *testing.T, fn func(t *testing.T, engine string)) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) { fn(t, engine) })
	}
}

// Finding 7: member text could hold the member-page shell's markers, and a
// thread title holding them showed each reader their own name and id and
// copied every post into the title.
func TestReviewShellMarkersUnreachable(t *testing.T) {
	f := newReviewForum(t, "sqlite")
	ctx := t.Context()
	// The markers shells used before: a reader's id, name and the posts.
	title := "Fares 987654321987654321 zzHearthMemberNamezz zzHearthPostsMarkerzz"
	th, _, err := f.a.Service.CreateThread(ctx, f.mia, forum.NewThread{CategoryID: f.cat.ID, Title: title, Body: "A body that must show once."})
	if err != nil {
		t.Fatal(err)
	}
	path := "/t/" + strconv.FormatInt(th.ID, 10) + "/" + th.Slug
	mod := f.login(t, "mo@example.org", "moderator-pass-7")
	for i := range 2 { // the first visit renders the shell, the second fills it from the cache
		p := mod.get(path)
		expect(t, "thread page "+strconv.Itoa(i), p, 200, "<h1>"+title+"</h1>")
		if n := strings.Count(p.body, "A body that must show once."); n != 1 {
			t.Errorf("visit %d: the post shows %d times", i, n)
		}
		if strings.Contains(p.body, "Fares "+strconv.FormatInt(f.mod.ID, 10)) || strings.Contains(p.body, "Mo Moderator zz") {
			t.Errorf("visit %d: the reader's id or name was put into the title", i)
		}
	}
}

// Finding 5: saved copies served while the database is down showed deleted
// posts, deleted threads and threads whose category became members-only. A
// saved copy is dropped once anything it shows is taken away; untouched
// pages are still served.
func TestReviewSavedCopiesNeverShowHidden(t *testing.T) {
	o := newOutage(t) // PostgreSQL: its server can go away under the forum
	a, ctx, svc := o.a, t.Context(), o.a.Service
	admin, err := a.Store.MemberByEmail(ctx, "root@example.org")
	if err != nil {
		t.Fatal(err)
	}
	general, err := a.Store.CategoryByID(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	soon, err := svc.CreateCategory(ctx, admin, forum.CategoryInput{Name: "Soon private"})
	if err != nil {
		t.Fatal(err)
	}
	type page struct{ path, text string }
	newThread := func(cat int64, title, body string) (page, *forum.Thread, *forum.Post) {
		th, p, err := svc.CreateThread(ctx, admin, forum.NewThread{CategoryID: cat, Title: title, Body: body})
		if err != nil {
			t.Fatal(err)
		}
		return page{"/t/" + strconv.FormatInt(th.ID, 10) + "/" + th.Slug, body}, th, p
	}
	withDeletedReply, th1, _ := newThread(general.ID, "A reply goes", "First words stay.")
	reply, err := svc.Reply(ctx, admin, th1.ID, "Call me on 555-0100.", 0)
	if err != nil {
		t.Fatal(err)
	}
	withDeletedReply.text = "555-0100"
	deletedThread, _, first2 := newThread(general.ID, "The whole thread goes", "Gone soon.")
	editedThread, _, first3 := newThread(general.ID, "Words change", "My old address is 1 Rua Augusta.")
	privateThread, _, _ := newThread(soon.ID, "Members only soon", "Only for members.")
	untouched := page{o.threadPath, "All is well."}

	guest := newBrowser(t, a.URL())
	all := []page{withDeletedReply, deletedThread, editedThread, privateThread, untouched}
	for _, p := range all {
		expect(t, "before the outage "+p.path, guest.get(p.path), 200, p.text)
	}
	generalPath := "/c/" + strconv.FormatInt(general.ID, 10) + "/" + general.Slug
	expect(t, "category before the outage", guest.get(generalPath), 200, "The whole thread goes")

	if err := svc.DeletePost(ctx, admin, reply.ID); err != nil {
		t.Fatal(err)
	}
	if err := svc.DeletePost(ctx, admin, first2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.EditPost(ctx, admin, first3.ID, "Address removed."); err != nil {
		t.Fatal(err)
	}

	gone := func(what string, pages ...page) {
		t.Helper()
		for _, p := range pages {
			got := guest.get(p.path)
			expect(t, what+" "+p.path, got, 503)
			if strings.Contains(got.body, p.text) || strings.Contains(got.body, "saved copy") {
				t.Errorf("%s: a saved copy showed what is gone:\n%s", p.path, got.body)
			}
		}
	}
	o.cutDB()
	waitFor(t, "the monitor to notice", func() bool { return guest.get(untouched.path).status == 503 })
	expect(t, "untouched thread during the outage", guest.get(untouched.path), 503, "saved copy", untouched.text)
	expect(t, "untouched category during the outage", guest.get(privateThread.path), 503, "saved copy", privateThread.text)
	gone("deleted or edited, during the outage", withDeletedReply, deletedThread, editedThread)
	if got := guest.get(generalPath); strings.Contains(got.body, "The whole thread goes") {
		t.Errorf("the category's saved copy lists the deleted thread:\n%s", got.body)
	}

	// A category made members-only: no guest copy of its pages survives.
	o.restore()
	waitFor(t, "the forum to recover", func() bool { return guest.get(untouched.path).status == 200 })
	if _, err := svc.UpdateCategory(ctx, admin, soon.ID, forum.CategoryInput{Name: "Soon private", MembersOnly: true}); err != nil {
		t.Fatal(err)
	}
	o.cutDB()
	waitFor(t, "the monitor to notice", func() bool { return guest.get(untouched.path).status == 503 })
	gone("members-only, during the outage", privateThread)
	o.restore()
}
