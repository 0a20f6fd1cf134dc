package app_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"hearth/internal/forum"
)

// TestPostFormsKeepWhatWasTyped covers drafts and preview over real HTTP:
// Preview shows the rendered post above the form with the text kept; Save
// draft (the no-script path) and POST /drafts (the script's beacon) keep
// it on the server; the form and the thread's reply box bring it back;
// posting deletes it.
func TestPostFormsKeepWhatWasTyped(t *testing.T) {
	a, admin, mia := accountsForum(t, "sqlite")
	ctx := t.Context()
	cat, err := a.Service.CreateCategory(ctx, admin, forum.CategoryInput{Name: "Destinations"})
	must(t, err)
	th, _, err := a.Service.CreateThread(ctx, admin, forum.NewThread{CategoryID: cat.ID, Title: "Lisbon in May", Body: "Tips?"})
	must(t, err)
	tid := strconv.FormatInt(th.ID, 10)
	b := webLogin(t, a, mia.Email, miaPassword)
	threadURL := "/t/" + tid + "/lisbon-in-may"

	// Preview: rendered above, the text kept in the box, nothing posted.
	p := b.post("/t/"+tid+"/reply", url.Values{"body": {"Take **tram 28** <script>x</script>"}, "action": {"preview"}})
	expect(t, "preview", p, 200, `<h2 id="preview-h">Preview</h2>`, "<strong>tram 28</strong>", "Take **tram 28** &lt;script&gt;x&lt;/script&gt;</textarea>")
	if strings.Contains(p.body, "<script>x</script>") {
		t.Error("the preview shows unsanitized HTML")
	}
	if tp, _ := a.Service.Thread(ctx, admin, th.ID, 1); len(tp.Posts) != 1 {
		t.Fatalf("preview posted: %d posts", len(tp.Posts))
	}
	// Preview saved the draft too: the thread's reply box has it.
	expect(t, "reply box after preview", b.get(threadURL), 200, `data-draft="t:`+tid+`"`, "Take **tram 28** &lt;script&gt;x&lt;/script&gt;</textarea>")

	// The beacon's POST /drafts replaces it; the reply form shows it with a note.
	if p := b.post("/drafts", url.Values{"key": {"t:" + tid}, "body": {"typed & left <b>"}}); p.status != 204 {
		t.Fatalf("POST /drafts: %d\n%s", p.status, p.body)
	}
	expect(t, "reply form", b.get("/t/"+tid+"/reply"), 200, "typed &amp; left &lt;b&gt;</textarea>", "is back in the box")
	expect(t, "thread reply box", b.get(threadURL), 200, "typed &amp; left &lt;b&gt;</textarea>")
	// Another member's box is their own.
	other := webLogin(t, a, adminMember().Email, adminMember().Password)
	if p := other.get(threadURL); strings.Contains(p.body, "typed &amp; left") {
		t.Error("another member's thread page shows Mia's draft")
	}
	// Guests and bad keys are refused, without a 500.
	guest := newBrowser(t, a.URL())
	if p := guest.post("/drafts", url.Values{"key": {"t:" + tid}, "body": {"x"}}); p.status != 401 {
		t.Errorf("guest POST /drafts: %d, want 401", p.status)
	}
	if p := b.post("/drafts", url.Values{"key": {"../etc"}, "body": {"x"}}); p.status != 422 {
		t.Errorf("bad key: %d, want 422", p.status)
	}

	// A new thread: Save draft keeps title and body.
	cid := strconv.FormatInt(cat.ID, 10)
	p = b.post("/c/"+cid+"/new", url.Values{"title": {"Porto or Lisbon"}, "body": {"Which first?"}, "action": {"draft"}})
	expect(t, "save draft", p, 200, "Draft saved", `value="Porto or Lisbon"`, "Which first?</textarea>")
	expect(t, "new thread form", b.get("/c/"+cid+"/new"), 200, `value="Porto or Lisbon"`, "Which first?</textarea>")

	// Posting deletes the draft.
	if p := b.post("/t/"+tid+"/reply", url.Values{"body": {"typed & left <b>"}}); p.status != 303 {
		t.Fatalf("reply: %d\n%s", p.status, p.body)
	}
	if d, _ := a.Service.Draft(ctx, mia, "t:"+tid); d != nil {
		t.Errorf("the draft outlived its reply: %+v", d)
	}
	if p := b.post("/c/"+cid+"/new", url.Values{"title": {"Porto or Lisbon"}, "body": {"Which first?"}}); p.status != 303 {
		t.Fatalf("new thread: %d\n%s", p.status, p.body)
	}
	if d, _ := a.Service.Draft(ctx, mia, "c:"+cid); d != nil {
		t.Errorf("the draft outlived its thread: %+v", d)
	}

	// Edit: Preview keeps the new text and saves nothing.
	tp, err := a.Service.Thread(ctx, mia, th.ID, 1)
	must(t, err)
	mine := strconv.FormatInt(tp.Posts[len(tp.Posts)-1].ID, 10)
	expect(t, "edit preview", b.post("/p/"+mine+"/edit", url.Values{"body": {"_changed_"}, "action": {"preview"}}), 200, "<em>changed</em>", "_changed_</textarea>")
	if p, _ := a.Service.Post(ctx, mia, mustInt(t, mine)); p.Body != "typed & left <b>" {
		t.Errorf("edit preview saved the post: %q", p.Body)
	}
	// The top of the thread links to the reply box.
	expect(t, "reply link at the top", b.get(threadURL), 200, `<p class="replytop"><a href="#body"`)
}

// TestDeleteAsksAndUndoes: the delete link opens a confirmation page; the
// author's delete lands on the post with "Post deleted" and Undo, which
// works for forum.UndoWindow and is refused after.
func TestDeleteAsksAndUndoes(t *testing.T) {
	a, admin, mia := accountsForum(t, "sqlite")
	ctx := t.Context()
	cat, err := a.Service.CreateCategory(ctx, admin, forum.CategoryInput{Name: "Destinations"})
	must(t, err)
	th, _, err := a.Service.CreateThread(ctx, admin, forum.NewThread{CategoryID: cat.ID, Title: "Lisbon in May", Body: "Tips?"})
	must(t, err)
	reply, err := a.Service.Reply(ctx, mia, th.ID, "Go early to the **Alfama**.", 0)
	must(t, err)
	id := strconv.FormatInt(reply.ID, 10)
	b := webLogin(t, a, mia.Email, miaPassword)

	expect(t, "thread links to the confirmation", b.get("/t/"+strconv.FormatInt(th.ID, 10)+"/lisbon-in-may"), 200, `<a href="/p/`+id+`/delete">Delete</a>`)
	expect(t, "confirmation page", b.get("/p/"+id+"/delete"), 200, "Delete this post?", "Go early to the Alfama.",
		`<form method="post" action="/p/`+id+`/delete"`, "Cancel", "undo this for 10 minutes")
	if p := newBrowser(t, a.URL()).get("/p/" + id + "/delete"); p.status != 303 || !strings.HasPrefix(p.loc, "/login?next=") {
		t.Errorf("guest confirmation page: %d %q, want the login form", p.status, p.loc)
	}
	if p, _ := a.Service.Post(ctx, admin, reply.ID); p.Deleted() {
		t.Fatal("opening the confirmation page deleted the post")
	}

	p := b.post("/p/"+id+"/delete", nil)
	if p.status != 303 || !strings.Contains(p.loc, "done=deleted") {
		t.Fatalf("delete: %d %q", p.status, p.loc)
	}
	expect(t, "after deleting", b.get(p.loc), 200, "Post deleted.", `action="/p/`+id+`/restore"`, "Undo")
	if p := b.post("/p/"+id+"/restore", nil); p.status != 303 || !strings.Contains(p.loc, "done=restored") {
		t.Fatalf("undo: %d %q\n%s", p.status, p.loc, p.body)
	}
	if p, _ := a.Service.Post(ctx, admin, reply.ID); p.Deleted() {
		t.Fatal("undo did not restore the post")
	}

	// After the window: refused with the reason; no Undo on the placeholder.
	if p := b.post("/p/"+id+"/delete", nil); p.status != 303 {
		t.Fatalf("second delete: %d", p.status)
	}
	a.Service.SetClock(func() time.Time { return time.Now().UTC().Add(forum.UndoWindow + time.Minute) })
	expect(t, "undo too late", b.post("/p/"+id+"/restore", nil), 403, "can no longer be restored")
	if p := b.get("/t/" + strconv.FormatInt(th.ID, 10) + "/lisbon-in-may"); strings.Contains(p.body, "Undo delete") {
		t.Error("the placeholder still offers Undo after the window")
	}
}

// TestLoginComesBack: "Log in" carries the page as next; login and
// registration take it through; hostile values go to "/"; a guest at a
// members-only thread gets the login form with next, while staff-only and
// missing threads are the same 404; a new member lands on the welcome page.
func TestLoginComesBack(t *testing.T) {
	a, admin, mia := accountsForum(t, "sqlite")
	ctx := t.Context()
	pub, err := a.Service.CreateCategory(ctx, admin, forum.CategoryInput{Name: "Introductions"})
	must(t, err)
	members, err := a.Service.CreateCategory(ctx, admin, forum.CategoryInput{Name: "Lounge", MembersOnly: true})
	must(t, err)
	staff, err := a.Service.CreateCategory(ctx, admin, forum.CategoryInput{Name: "Staff room", StaffOnly: true})
	must(t, err)
	pt, _, err := a.Service.CreateThread(ctx, admin, forum.NewThread{CategoryID: pub.ID, Title: "Say hello", Body: "Hello!"})
	must(t, err)
	mt, _, err := a.Service.CreateThread(ctx, admin, forum.NewThread{CategoryID: members.ID, Title: "Members chat", Body: "Inside"})
	must(t, err)
	st, _, err := a.Service.CreateThread(ctx, admin, forum.NewThread{CategoryID: staff.ID, Title: "Staff chat", Body: "Staff"})
	must(t, err)
	guest := newBrowser(t, a.URL())

	pubURL := "/t/" + strconv.FormatInt(pt.ID, 10) + "/say-hello"
	expect(t, "header link", guest.get(pubURL), 200, `href="/login?next=`+strings.ReplaceAll(pubURL, "/", "%2f")+`"`)

	for _, tt := range []struct{ next, want string }{
		{pubURL, pubURL},
		{"/search?q=ferry&page=2", "/search?q=ferry&page=2"},
		{"", "/"},
		{"//evil.example/x", "/"},
		{"/\\evil.example", "/"},
		{"\\\\evil.example", "/"},
		{"/./\\evil.example", "/"},
		{"https://evil.example/", "/"},
		{"javascript:alert(1)", "/"},
		{"http:/evil.example", "/"},
		{"evil.example", "/"},
		{"/\t/evil.example", "/"},
		{" //evil.example", "/"},
		{"/%2F/evil.example", "/evil.example"}, // cleaned to a path of this site
		{"//", "/"},
		{"///evil.example", "/evil.example"},
	} {
		b := newBrowser(t, a.URL())
		p := b.post("/login", url.Values{"email": {mia.Email}, "password": {miaPassword}, "next": {tt.next}})
		if p.status != 303 || p.loc != tt.want {
			t.Errorf("login with next=%q: %d %q, want %q", tt.next, p.status, p.loc, tt.want)
		}
		if !strings.HasPrefix(p.loc, "/") || strings.HasPrefix(p.loc, "//") || strings.HasPrefix(p.loc, "/\\") {
			t.Errorf("next=%q leaves the site: %q", tt.next, p.loc)
		}
	}

	// Members-only: the login form, with next; staff-only and missing: the same 404.
	mURL := "/t/" + strconv.FormatInt(mt.ID, 10) + "/members-chat"
	expect(t, "members-only thread", guest.get(mURL), 401, "Log in to read this thread", `name="next" value="`+mURL+`"`)
	staffPage := guest.get("/t/" + strconv.FormatInt(st.ID, 10) + "/staff-chat")
	missing := guest.get("/t/999999/staff-chat")
	if staffPage.status != 404 || missing.status != 404 || strings.Contains(staffPage.body, "Log in to read") {
		t.Errorf("staff-only %d, missing %d: want both 404 and alike", staffPage.status, missing.status)
	}
	b := newBrowser(t, a.URL())
	if p := b.post("/login", url.Values{"email": {mia.Email}, "password": {miaPassword}, "next": {mURL}}); p.loc != mURL {
		t.Errorf("login from the members-only thread goes to %q, want it", p.loc)
	}
	expect(t, "members-only thread as a member", b.get(mURL), 200, "Inside")

	// Registration carries next to the welcome page, which links back.
	reg := newBrowser(t, a.URL())
	expect(t, "register form", reg.get("/register?next="+url.QueryEscape(pubURL)), 200, `name="next" value="`+pubURL+`"`)
	p := reg.post("/register", url.Values{"email": {"kai@example.org"}, "name": {"Kai Newcomer"}, "password": {"harbour lights at dusk"}, "next": {pubURL}})
	loc, _ := url.Parse(p.loc)
	if p.status != 303 || loc.Path != "/login" || loc.Query().Get("next") != "/welcome?next="+url.QueryEscape(pubURL) {
		t.Fatalf("register: %d %q", p.status, p.loc)
	}
	login := reg.get(p.loc)
	expect(t, "login after registering", login, 200, forum.RegisteredMessage)
	p = reg.post("/login", url.Values{"email": {"kai@example.org"}, "password": {"harbour lights at dusk"}, "next": {loc.Query().Get("next")}})
	if p.status != 303 || !strings.HasPrefix(p.loc, "/welcome") {
		t.Fatalf("first login: %d %q", p.status, p.loc)
	}
	expect(t, "welcome page", reg.get(p.loc), 200, "Welcome, Kai Newcomer", "Confirm your email address", "Complete your profile",
		"Choose what mail you get", "Introduce yourself", `href="/c/`+strconv.FormatInt(pub.ID, 10)+`/new"`, `href="`+pubURL+`">Back to where you were`)
}

// TestAdminFeedback: admin actions come back with a fixed sentence, and
// the header counts registrations awaiting approval.
func TestAdminFeedback(t *testing.T) {
	a, admin, mia := accountsForum(t, "sqlite")
	ctx := t.Context()
	must(t, a.Service.SetRequireApproval(ctx, admin, true))
	must(t, a.Service.Register(ctx, forum.NewMember{Email: "ada@example.org", Name: "Ada Lovelace", Password: "analytical engines hum"}))
	b := webLogin(t, a, adminMember().Email, adminMember().Password)
	expect(t, "badge", b.get("/"), 200, `Admin <span class="count">1</span>`)
	pending, err := a.Service.Members(ctx, admin, forum.StatusPending)
	must(t, err)
	ada := strconv.FormatInt(pending[0].ID, 10)
	p := b.post("/admin/members/"+ada+"/status", url.Values{"from": {"pending"}, "status": {"active"}})
	expect(t, "approve", b.get(p.loc), 200, "Ada Lovelace approved.")
	p = b.post("/admin/members/"+strconv.FormatInt(mia.ID, 10)+"/role", url.Values{"role": {"moderator"}})
	expect(t, "role", b.get(p.loc), 200, "Mia Member: role changed to moderator.")
	p = b.post("/admin/settings", url.Values{})
	expect(t, "settings", b.get(p.loc), 200, "Saved.")
	if p := b.get("/admin"); strings.Contains(p.body, `Admin <span class="count">`) {
		t.Error("the badge counts after the approval")
	}
	// Only fixed sentences: a made-up key or text shows nothing.
	if p := b.get("/admin?done=%3Cb%3Ehi&m=" + ada); strings.Contains(p.body, "hi</b>") || strings.Contains(p.body, `class="notice flash"`) {
		t.Error("a made-up flash key is shown")
	}
	// Dangerous controls come last.
	page := b.get("/admin").body
	if strings.Index(page, `id="mode"`) < strings.Index(page, `id="members"`) {
		t.Error("site mode is above the everyday controls")
	}
}
