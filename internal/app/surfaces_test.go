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
