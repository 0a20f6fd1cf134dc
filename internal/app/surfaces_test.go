package app_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"hearth/internal/app"
	"hearth/internal/app/apptest"
	"hearth/internal/forum"
	"hearth/internal/status"
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
	// Delete lands there too, saying so with an Undo (flash.go).
	if got := landsOn("delete", root.post("/p/"+id+"/delete", nil), threadPath+"?done=deleted&page=2&post="+id+"#p"); got != id {
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

// TestEveryErrorCarriesTheRequestID: on both surfaces, whatever answers the
// failure (a handler, the shared middleware, the gate, the form caps),
// the error page shows the request's ID and the JSON error carries it,
// and the API's 401s name their scheme.
func TestEveryErrorCarriesTheRequestID(t *testing.T) {
	f := newErrorForum(t, "sqlite")
	a := f.a
	b := newBrowser(t, a.URL())
	tid := strconv.FormatInt(f.threadID, 10)
	crossPage := f.request(t, "POST", "/t/"+tid+"/reply", "", "body=x")
	crossPage.Header.Set("Origin", "https://elsewhere.example")
	crossAPI := f.request(t, "POST", "/api/v1/threads/"+tid+"/posts", f.miaToken, `{"body":"x"}`)
	crossAPI.Header.Set("Sec-Fetch-Site", "cross-site")
	multipart := f.request(t, "POST", "/t/"+tid+"/reply", "", "--x--")
	multipart.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	cases := []struct {
		what   string
		req    *http.Request
		status int
	}{
		{"page not found", f.request(t, "GET", "/t/99999/x", "", ""), 404},
		{"page needs a login", f.request(t, "POST", "/admin/mode", "", "mode=normal"), 401},
		{"page cross-site", crossPage, 403},
		{"page upload refused", multipart, 415},
		{"API not found", f.request(t, "GET", "/api/v1/threads/99999", "", ""), 404},
		{"API unknown endpoint", f.request(t, "GET", "/api/v2/threads", "", ""), 404},
		{"API bad token", f.request(t, "GET", "/api/v1/me", "nope", ""), 401},
		{"API guest on a member route", f.request(t, "POST", "/api/v1/threads", "", "{}"), 401},
		{"API cross-site", crossAPI, 403},
		{"API invalid", f.request(t, "POST", "/api/v1/threads/"+tid+"/posts", f.miaToken, `{"body":""}`), 422},
	}
	for _, c := range cases {
		p := b.do(c.req)
		if p.status != c.status {
			t.Errorf("%s: %d, want %d\n%.300s", c.what, p.status, c.status, p.body)
			continue
		}
		checkRequestID(t, c.what, c.req.URL.Path, p)
		if p.status == 401 && strings.HasPrefix(c.req.URL.Path, "/api/") && p.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: a 401 without WWW-Authenticate", c.what)
		}
	}
	p := f.mia.get("/admin")
	expect(t, "member on the admin page", p, 403)
	checkRequestID(t, "member on the admin page", "/admin", p)

	if err := a.Status.SetMode(status.Maintenance, "Upgrading.", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/", "/api/v1/categories"} {
		p := b.do(f.request(t, "GET", path, "", ""))
		if p.status != 503 || p.header.Get("Retry-After") == "" {
			t.Errorf("%s in maintenance: %d Retry-After %q", path, p.status, p.header.Get("Retry-After"))
		}
		checkRequestID(t, path+" in maintenance", path, p)
	}
	f.log.CheckNoFailures(t)
}

// checkRequestID fails unless p, an answer to path, shows its request ID:
// in the JSON error under /api/, on the page elsewhere.
func checkRequestID(t *testing.T, what, path string, p page) {
	t.Helper()
	if strings.HasPrefix(path, "/api/") {
		checkJSONError(t, what, p)
		return
	}
	id := p.header.Get("X-Request-Id")
	if ct := p.header.Get("Content-Type"); id == "" || !strings.HasPrefix(ct, "text/html") || !strings.Contains(p.body, "Reference for the admin: "+id) {
		t.Errorf("%s: %d %q does not show its request ID %q:\n%.400s", what, p.status, ct, id, p.body)
	}
}

// TestRouteLabelsOnBothSurfaces: each surface's mux tells the metrics the
// pattern it matched, the API's behind the shared middleware included;
// unknown paths fold into "other".
func TestRouteLabelsOnBothSurfaces(t *testing.T) {
	f := newErrorForum(t, "sqlite")
	b := newBrowser(t, f.a.URL())
	tid := strconv.FormatInt(f.threadID, 10)
	for _, path := range []string{"/t/" + tid + "/x", "/api/v1/threads/" + tid, "/api/v1/nothing", "/nothing"} {
		b.get(path)
	}
	m := b.get("/metrics").body
	for _, want := range []string{
		`{code="301",method="GET",route="GET /t/{id}/{slug}"}`,
		`{code="200",method="GET",route="GET /api/v1/threads/{id}"}`,
		`{code="404",method="GET",route="other"} 2`,
		`hearth_cache_hits_total{cache="guest_pages"}`,
		`hearth_cache_bytes{cache="sessions"}`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(m, `route="/api/"`) || strings.Contains(m, `route="/"`) {
		t.Errorf("a catch-all pattern became a label:\n%s", m)
	}
}

// TestAdminStatusFormsShowNoPaths: the mode and status forms tell the
// admin in a plain sentence what went wrong, text that is too long or a
// status file that cannot be written, and never show the data
// directory's path; the log has the detail.
func TestAdminStatusFormsShowNoPaths(t *testing.T) {
	log := apptest.NewLog(t)
	a := apptest.Start(t, app.Config{Log: log.Logger()})
	if _, err := a.Service.CreateMember(t.Context(), adminMember()); err != nil {
		t.Fatal(err)
	}
	root := newBrowser(t, a.URL())
	root.post("/login", url.Values{"email": {"root@example.org"}, "password": {"owner-password"}})
	long := strings.Repeat("x", status.MaxText+1)
	p := root.post("/admin/status", url.Values{"text": {long}})
	expect(t, "a long update", p, 422, "The update was not posted", "longer than 1000 characters")
	expect(t, "an empty update", root.post("/admin/status", url.Values{"text": {" "}}), 422, "The update was not posted", "empty")

	// Someone edits the status file by hand and leaves it broken.
	if err := os.WriteFile(filepath.Join(a.Config.DataDir, status.FileName), []byte("{mode: oops"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		form url.Values
		says string
	}{
		{"/admin/mode", url.Values{"mode": {"read-only"}, "reason": {"Tidying up."}}, "The mode was not changed"},
		{"/admin/status", url.Values{"text": {"Almost done."}}, "The update was not posted"},
	} {
		p := root.post(c.path, c.form)
		if p.status < 400 || !strings.Contains(p.body, c.says) || !strings.Contains(p.body, "could not save") {
			t.Errorf("%s with a broken status file: %d\n%.500s", c.path, p.status, p.body)
		}
		if strings.Contains(p.body, a.Config.DataDir) || strings.Contains(p.body, status.FileName) || strings.Contains(p.body, "JSON") {
			t.Errorf("%s: the page shows the file or its error:\n%s", c.path, p.body)
		}
		if len(log.Lines("level=ERROR", a.Config.DataDir, "request_id="+p.header.Get("X-Request-Id"))) != 1 {
			t.Errorf("%s: the log lacks the detail:\n%s", c.path, log)
		}
	}
}

// TestPageNumbersAgree: both surfaces parse ?page=N with one helper: a
// page that is not a whole number from 1 is a malformed request (400), a
// page past the end is not found (404).
func TestPageNumbersAgree(t *testing.T) {
	f := newErrorForum(t, "sqlite")
	b := newBrowser(t, f.a.URL())
	th, err := f.a.Service.Thread(t.Context(), nil, f.threadID, 1)
	if err != nil {
		t.Fatal(err)
	}
	tid := strconv.FormatInt(f.threadID, 10)
	for _, base := range []string{"/t/" + tid + "/" + th.Thread.Slug, "/api/v1/threads/" + tid} {
		for _, c := range []struct {
			query  string
			status int
		}{
			{"?page=x", 400}, {"?page=0", 400}, {"?page=-1", 400}, {"?page=99999999999999999999", 400},
			{"?page=9", 404}, {"?page=1", 200},
		} {
			p := b.get(base + c.query)
			if p.status != c.status {
				t.Errorf("%s%s: %d, want %d", base, c.query, p.status, c.status)
			}
			if p.status >= 400 {
				checkRequestID(t, base+c.query, base, p)
			}
		}
	}
}
