package app_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"

	"hearth/internal/forum"
)

// TestCategoryTreeOnPages: the category page lists the sub-categories the
// reader may see, and the edit form of a category with sub-categories
// offers no parent, since the service would refuse one (the tree's rules
// are forum.Service's).
func TestCategoryTreeOnPages(t *testing.T) {
	a := start(t, "sqlite")
	ctx, svc := t.Context(), a.Service
	admin, err := svc.CreateMember(ctx, adminMember())
	if err != nil {
		t.Fatal(err)
	}
	dest, _ := svc.CreateCategory(ctx, admin, forum.CategoryInput{Name: "Destinations"})
	if _, err := svc.CreateCategory(ctx, admin, forum.CategoryInput{Name: "Europe", ParentID: dest.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateCategory(ctx, admin, forum.CategoryInput{Name: "Crew room", ParentID: dest.ID, StaffOnly: true}); err != nil {
		t.Fatal(err)
	}
	lounge, _ := svc.CreateCategory(ctx, admin, forum.CategoryInput{Name: "Lounge"})
	destPath := "/c/" + strconv.FormatInt(dest.ID, 10) + "/" + dest.Slug

	guest := newBrowser(t, a.URL())
	p := guest.get(destPath)
	expect(t, "guest on the parent", p, 200, "Europe")
	if strings.Contains(p.body, "Crew room") {
		t.Error("a guest sees a staff-only sub-category")
	}
	root := newBrowser(t, a.URL())
	root.post("/login", url.Values{"email": {"root@example.org"}, "password": {"owner-password"}})
	expect(t, "admin on the parent", root.get(destPath), 200, "Europe", "Crew room")

	p = root.get("/admin/categories/" + strconv.FormatInt(dest.ID, 10) + "/edit")
	expect(t, "edit a parent", p, 200, "None (top level)")
	if strings.Contains(p.body, `<option value="`+strconv.FormatInt(lounge.ID, 10)+`"`) {
		t.Error("the form offers a parent to a category that has sub-categories")
	}
	p = root.get("/admin/categories/" + strconv.FormatInt(lounge.ID, 10) + "/edit")
	expect(t, "edit a childless one", p, 200, `<option value="`+strconv.FormatInt(dest.ID, 10)+`"`)
}

// TestFormsRedirectToThePost: a reply, an edit, a delete and a new thread
// send the member straight to the thread page (and page number) and the
// post's anchor: the Location answers 200 itself, one round trip instead
// of /p/{id}, then the slugless thread URL, then the page.
func TestFormsRedirectToThePost(t *testing.T) {
	a := start(t, "sqlite")
	ctx, svc := t.Context(), a.Service
	admin, err := svc.CreateMember(ctx, adminMember())
	if err != nil {
		t.Fatal(err)
	}
	cat, _ := svc.CreateCategory(ctx, admin, forum.CategoryInput{Name: "General"})
	th, _, err := svc.CreateThread(ctx, admin, forum.NewThread{CategoryID: cat.ID, Title: "A long thread", Body: "first"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 24 { // 25 posts: page 2 starts at the 21st
		if _, err := svc.Reply(ctx, admin, th.ID, "reply "+strconv.Itoa(i), 0); err != nil {
			t.Fatal(err)
		}
	}
	threadPath := "/t/" + strconv.FormatInt(th.ID, 10) + "/" + th.Slug
	root := newBrowser(t, a.URL())
	root.post("/login", url.Values{"email": {"root@example.org"}, "password": {"owner-password"}})
	landsOn := func(what string, p page, prefix string) string {
		t.Helper()
		if p.status != 303 || !strings.HasPrefix(p.loc, prefix) {
			t.Fatalf("%s: %d %q, want 303 to %s...\n%.300s", what, p.status, p.loc, prefix, p.body)
		}
		if q := root.get(p.loc); q.status != 200 {
			t.Fatalf("%s: %s answers %d %q, want the page itself", what, p.loc, q.status, q.loc)
		}
		return strings.TrimPrefix(p.loc, prefix)
	}
	tid := strconv.FormatInt(th.ID, 10)
	id := landsOn("reply", root.post("/t/"+tid+"/reply", url.Values{"body": {"the 26th"}}), threadPath+"?page=2#p")
	p, err := svc.Post(ctx, admin, mustInt(t, id))
	if err != nil || p.Body != "the 26th" {
		t.Fatalf("the anchor %q is not the reply: %+v %v", id, p, err)
	}
	if got := landsOn("edit", root.post("/p/"+id+"/edit", url.Values{"body": {"the 26th, edited"}}), threadPath+"?page=2#p"); got != id {
		t.Errorf("edit lands on #p%s, want #p%s", got, id)
	}
	if got := landsOn("delete", root.post("/p/"+id+"/delete", nil), threadPath+"?page=2#p"); got != id {
		t.Errorf("delete lands on #p%s, want #p%s", got, id)
	}
	p2 := root.post("/c/"+strconv.FormatInt(cat.ID, 10)+"/new", url.Values{"title": {"Another thread"}, "body": {"hello"}})
	if rest := landsOn("new thread", p2, "/t/"); !strings.HasSuffix(rest, "/another-thread") {
		t.Errorf("new thread lands on %q", p2.loc)
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("%q is not an id", s)
	}
	return n
}
