package app_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"hearth/internal/app"
	"hearth/internal/forum"
	"hearth/internal/store/storetest"
)

// unreadForum is a started forum with an admin, a member (Mia) logged in
// on the web, a category and a thread by the admin.
type unreadForum struct {
	a          *app.App
	admin, mia *forum.Member
	cat        *forum.Category
	thread     *forum.Thread
	web        *browser
}

func newUnreadForum(t *testing.T, engine string) *unreadForum {
	t.Helper()
	a := start(t, engine)
	ctx, svc := t.Context(), a.Service
	f := &unreadForum{a: a}
	var err error
	if f.admin, err = svc.CreateMember(ctx, adminMember()); err != nil {
		t.Fatal(err)
	}
	if f.mia, err = svc.CreateMember(ctx, forum.NewMember{Email: "mia@example.org", Name: "Mia Member", Password: "member-password"}); err != nil {
		t.Fatal(err)
	}
	if f.cat, err = svc.CreateCategory(ctx, f.admin, forum.CategoryInput{Name: "Destinations"}); err != nil {
		t.Fatal(err)
	}
	if f.thread, _, err = svc.CreateThread(ctx, f.admin, forum.NewThread{CategoryID: f.cat.ID, Title: "Lisbon in March", Body: "Who has been?"}); err != nil {
		t.Fatal(err)
	}
	f.web = newBrowser(t, a.URL())
	if p := f.web.post("/login", url.Values{"email": {"mia@example.org"}, "password": {"member-password"}}); p.status != 303 {
		t.Fatalf("login: %d\n%s", p.status, p.body)
	}
	return f
}

func (f *unreadForum) replies(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		if _, err := f.a.Service.Reply(t.Context(), f.admin, f.thread.ID, fmt.Sprintf("Reply %d.", i), 0); err != nil {
			t.Fatal(err)
		}
	}
}

func (f *unreadForum) catURL() string    { return fmt.Sprintf("/c/%d/%s", f.cat.ID, f.cat.Slug) }
func (f *unreadForum) threadURL() string { return fmt.Sprintf("/t/%d/%s", f.thread.ID, f.thread.Slug) }

// TestUnreadWeb: a member's markers on the category and front pages
// appear when someone else posts and clear when they read; the jump link
// goes to the first unread post's page and anchor; marking read clears
// them; guests see none.
func TestUnreadWeb(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			f := newUnreadForum(t, engine)
			b, tu := f.web, f.threadURL()
			expect(t, "a new thread", b.get(f.catURL()), 200, `<span class="badge new">New</span>`, `href="`+tu+`#n1"`, ">1 unread</a>")
			expect(t, "front page, new", b.get("/categories"), 200, `<span class="badge new">1 new</span>`, "Mark everything read")
			expect(t, "the thread", b.get(tu), 200, `id="n1"`)
			if p := b.get(f.catURL()); strings.Contains(p.body, "unread</a>") || strings.Contains(p.body, "badge new") {
				t.Fatalf("after reading, the marker is still there:\n%s", p.body)
			}
			if p := b.get("/categories"); strings.Contains(p.body, "badge new") || strings.Contains(p.body, "badge unread") {
				t.Fatalf("after reading, the front page still counts it:\n%s", p.body)
			}

			// 24 replies: page 1 read, the first unread is #2 on page 1;
			// after reading page 1, #21 on page 2.
			f.replies(t, 24)
			expect(t, "after replies", b.get(f.catURL()), 200, `href="`+tu+`#n2"`, ">24 unread</a>")
			expect(t, "front page, unread", b.get("/categories"), 200, `<span class="badge unread">1 unread</span>`)
			b.get(tu)
			expect(t, "after page 1", b.get(f.catURL()), 200, `href="`+tu+`?page=2#n21"`, ">5 unread</a>")
			if err := f.a.Service.FlushReads(t.Context()); err != nil {
				t.Fatal(err)
			}
			expect(t, "flushed", b.get(f.catURL()), 200, ">5 unread</a>")

			guest := newBrowser(t, f.a.URL())
			if p := guest.get(f.catURL()); strings.Contains(p.body, "unread") || strings.Contains(p.body, "Mark this category read") {
				t.Fatalf("a guest sees markers:\n%s", p.body)
			}
			if p := guest.post("/read", nil); p.status < 300 || p.status >= 500 {
				t.Fatalf("a guest marks everything read: %d", p.status)
			}

			// Mark the category read, then everything.
			p := b.post(fmt.Sprintf("/c/%d/read", f.cat.ID), nil)
			if p.status != 303 || p.loc != f.catURL() {
				t.Fatalf("mark category read: %d %q", p.status, p.loc)
			}
			if p := b.get(f.catURL()); strings.Contains(p.body, "unread</a>") {
				t.Fatalf("after marking the category read:\n%s", p.body)
			}
			f.replies(t, 1)
			expect(t, "a reply after the mark", b.get(f.catURL()), 200, ">1 unread</a>")
			if p := b.post("/read", nil); p.status != 303 || p.loc != "/" {
				t.Fatalf("mark everything read: %d %q", p.status, p.loc)
			}
			if p := b.get("/categories"); strings.Contains(p.body, "badge unread") || strings.Contains(p.body, "badge new") {
				t.Fatalf("after marking everything read:\n%s", p.body)
			}
			if p := b.post("/c/999/read", nil); p.status != 404 {
				t.Fatalf("mark an unknown category read: %d", p.status)
			}
		})
	}
}

// TestUnreadAPI: the thread and list answers carry the member's
// last_read_position, unread and new (guests get none), and the three
// mark-read endpoints work and refuse what they must.
func TestUnreadAPI(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			f := newUnreadForum(t, engine)
			base, tok := f.a.URL(), apiLogin(t, f.a, "mia@example.org", "member-password")
			list := fmt.Sprintf("/api/v1/categories/%d/threads", f.cat.ID)
			thread := fmt.Sprintf("/api/v1/threads/%d", f.thread.ID)
			first := func(out map[string]any) map[string]any {
				ts, _ := out["threads"].([]any)
				if len(ts) == 0 {
					t.Fatalf("no threads: %v", out)
				}
				return ts[0].(map[string]any)
			}
			state := func(what string, j map[string]any, pos, unread float64, isNew bool) {
				t.Helper()
				if j["last_read_position"] != pos || j["unread"] != unread || j["new"] != isNew {
					t.Errorf("%s: last_read_position %v unread %v new %v, want %v %v %v", what, j["last_read_position"], j["unread"], j["new"], pos, unread, isNew)
				}
			}
			f.replies(t, 2)
			st, out := api(t, base, "GET", list, tok, nil)
			if st != 200 {
				t.Fatalf("list: %d %v", st, out)
			}
			state("list, new", first(out), 0, 3, true)
			_, out = api(t, base, "GET", thread, tok, nil)
			state("thread, new", out, 0, 3, true) // reading through GET moves nothing

			st, out = api(t, base, "POST", thread+"/read", tok, map[string]any{"position": 2})
			if st != 200 {
				t.Fatalf("read: %d %v", st, out)
			}
			state("read to 2", out, 2, 1, false)
			_, out = api(t, base, "POST", thread+"/read", tok, map[string]any{"position": 1})
			state("read to 1 after 2", out, 2, 1, false)
			_, out = api(t, base, "GET", list, tok, nil)
			state("list after reading", first(out), 2, 1, false)

			_, out = api(t, base, "GET", list, "", nil)
			if _, ok := first(out)["unread"]; ok {
				t.Errorf("a guest gets unread: %v", first(out))
			}

			for _, c := range []struct {
				what, method, path, token string
				body                      any
				status                    int
			}{
				{"position 0", "POST", thread + "/read", tok, map[string]any{"position": 0}, 422},
				{"no position", "POST", thread + "/read", tok, map[string]any{}, 422},
				{"position a string", "POST", thread + "/read", tok, `{"position":"3"}`, 400},
				{"unknown thread", "POST", "/api/v1/threads/999/read", tok, map[string]any{"position": 1}, 404},
				{"guest", "POST", thread + "/read", "", map[string]any{"position": 1}, 401},
				{"guest marks a category", "POST", fmt.Sprintf("/api/v1/categories/%d/read", f.cat.ID), "", nil, 401},
				{"unknown category", "POST", "/api/v1/categories/999/read", tok, nil, 404},
				{"guest marks everything", "POST", "/api/v1/read", "", nil, 401},
				{"mark the category", "POST", fmt.Sprintf("/api/v1/categories/%d/read", f.cat.ID), tok, nil, 204},
			} {
				if st, out := api(t, base, c.method, c.path, c.token, c.body); st != c.status {
					t.Errorf("%s: %d %v, want %d", c.what, st, out, c.status)
				}
			}
			_, out = api(t, base, "GET", thread, tok, nil)
			state("after marking the category", out, 3, 0, false)
			f.replies(t, 1)
			_, out = api(t, base, "GET", thread, tok, nil)
			state("a reply after", out, 3, 1, false)
			if st, _ := api(t, base, "POST", "/api/v1/read", tok, nil); st != 204 {
				t.Fatalf("mark everything read: %d", st)
			}
			_, out = api(t, base, "GET", thread, tok, nil)
			state("after marking everything", out, 4, 0, false)
		})
	}
}
