package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"hearth/internal/app"
	"hearth/internal/app/apptest"
	"hearth/internal/forum"
	"hearth/internal/store/storetest"
)

// start runs Hearth on a random port over a fresh database of the engine.
func start(t *testing.T, engine string) *app.App {
	t.Helper()
	cfg := app.Config{Log: testLog(t)}
	if engine == "postgres" {
		cfg.DB = storetest.CreatePostgres(t)
	}
	return apptest.Start(t, cfg)
}

func testLog(t *testing.T) *slog.Logger { return slog.New(slog.NewTextHandler(t.Output(), nil)) }

// browser is an HTTP client with a cookie jar that does not follow redirects,
// so tests see where each step sends the member.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status int
	body   string
	loc    string
	header http.Header
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return page{res.StatusCode, string(body), res.Header.Get("Location"), res.Header}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.base+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base) // as a browser sends it
	return b.do(req)
}

func expect(t *testing.T, what string, p page, status int, contains ...string) {
	t.Helper()
	if p.status != status {
		t.Fatalf("%s: status %d, want %d\n%s", what, p.status, status, p.body)
	}
	for _, s := range contains {
		if !strings.Contains(p.body, s) {
			t.Fatalf("%s: page lacks %q\n%s", what, s, p.body)
		}
	}
}

// TestWebFlow walks the browser flow over real HTTP: set up the
// admin, create a category, register a second member, post a thread, reply
// with a quote, edit, and read it all as a guest.
func TestWebFlow(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			a := start(t, engine)
			ctx := t.Context()
			token, err := a.Service.NewSetupToken(ctx)
			if err != nil {
				t.Fatal(err)
			}
			admin := newBrowser(t, a.URL())
			expect(t, "front page before setup", admin.get("/"), 200, "has not been set up")
			expect(t, "setup with bad token", admin.get("/setup?token=nope"), 403, "not valid")
			expect(t, "setup form", admin.get("/setup?token="+token), 200, "Create admin account")
			// A short password is refused and what was typed is kept.
			p := admin.post("/setup", url.Values{"token": {token}, "email": {"ada@example.org"}, "name": {"Ada Admin"}, "password": {"short"}})
			expect(t, "setup with short password", p, 422, "at least 10 characters", `value="ada@example.org"`, `value="Ada Admin"`)
			p = admin.post("/setup", url.Values{"token": {token}, "email": {"ada@example.org"}, "name": {"Ada Admin"}, "password": {"admin-password"}})
			if p.status != 303 || p.loc != "/admin" {
				t.Fatalf("setup: %d %q", p.status, p.loc)
			}
			expect(t, "admin page", admin.get("/admin"), 200, "Administration", "Ada Admin")

			p = admin.post("/admin/categories/new", url.Values{"name": {""}, "description": {"Trips and fam tours"}})
			expect(t, "empty category name", p, 422, "must not be empty", "Trips and fam tours")
			p = admin.post("/admin/categories/new", url.Values{"name": {"Destinations"}, "description": {"Trips and fam tours"}})
			if p.status != 303 || !strings.HasPrefix(p.loc, "/c/") {
				t.Fatalf("create category: %d %q", p.status, p.loc)
			}
			catURL := p.loc
			expect(t, "category page", admin.get(catURL), 200, "Destinations", "No threads yet")

			mia := newBrowser(t, a.URL())
			p = mia.post("/register", url.Values{"email": {"mia@example.org"}, "name": {"Mia Member"}, "password": {"member-password"}})
			if p.status != 303 || p.loc != "/login?email=mia%40example.org&next=%2Fwelcome&registered=1" {
				t.Fatalf("register: %d %q\n%s", p.status, p.loc, p.body)
			}
			expect(t, "login after registering", mia.get(p.loc), 200, forum.RegisteredMessage, `value="mia@example.org"`)
			if p = mia.post("/login", url.Values{"email": {"mia@example.org"}, "password": {"member-password"}}); p.status != 303 || p.loc != "/" {
				t.Fatalf("login: %d %q\n%s", p.status, p.loc, p.body)
			}
			catID := strings.Split(catURL, "/")[2]
			// Until mia opens the link mailed to her, she reads but cannot post.
			expect(t, "category before confirming", mia.get(catURL), 200, "Confirm your email address first", `action="/confirm/resend"`)
			p = mia.post("/c/"+catID+"/new", url.Values{"title": {"Lisbon in March?"}, "body": {"Too early"}})
			expect(t, "posting unconfirmed", p, 403, "Confirm your email address first", `value="Lisbon in March?"`, "Too early")
			expect(t, "send the link again", mia.post("/confirm/resend", nil), 200, "A new confirmation link is on its way to mia@example.org")
			link := confirmToken(t, a, "mia@example.org")
			expect(t, "the mailed link", mia.get("/confirm?token="+link), 200, `name="token" value="`+link+`"`, "Confirm my address")
			expect(t, "confirming", mia.post("/confirm", url.Values{"token": {link}}), 200, "is confirmed, and you can post")
			expect(t, "the link again", mia.post("/confirm", url.Values{"token": {link}}), 422, "expired or was already used")
			p = mia.post("/c/"+catID+"/new", url.Values{"title": {"Lisbon in March?"}, "body": {""}})
			expect(t, "thread without body", p, 422, "must not be empty", `value="Lisbon in March?"`)
			p = mia.post("/c/"+catID+"/new", url.Values{"title": {"Lisbon in March?"}, "body": {"Anyone been to **Lisbon**?\n\n<script>alert(1)</script>"}})
			if p.status != 303 || !strings.HasPrefix(p.loc, "/t/") {
				t.Fatalf("new thread: %d %q\n%s", p.status, p.loc, p.body)
			}
			threadURL := p.loc
			th := mia.get(threadURL)
			expect(t, "thread page", th, 200, "<strong>Lisbon</strong>", `rel="canonical"`, "Post reply")
			if strings.Contains(th.body, "<script>alert") {
				t.Fatal("script reached the page")
			}
			firstID := regexp.MustCompile(`id="p(\d+)"`).FindStringSubmatch(th.body)[1]
			threadID := strings.Split(threadURL, "/")[2]

			// Reply with a quote: the form is pre-filled with the linked quote.
			p = admin.get("/t/" + threadID + "/reply?quote=" + firstID)
			expect(t, "quote form", p, 200, "**Mia Member** [wrote](/p/"+firstID+")")
			p = admin.post("/t/"+threadID+"/reply", url.Values{"body": {"> **Mia Member** [wrote](/p/" + firstID + "):\n> Anyone been to Lisbon?\n\nYes, in spring."}, "quote_post_id": {firstID}})
			if p.status != 303 || !strings.HasPrefix(p.loc, threadURL+"#p") {
				t.Fatalf("reply: %d %q\n%s", p.status, p.loc, p.body)
			}
			replyID := strings.TrimPrefix(p.loc, threadURL+"#p")
			p = admin.get("/p/" + replyID)
			if p.status != 302 || p.loc != threadURL+"#p"+replyID {
				t.Fatalf("post link: %d %q", p.status, p.loc)
			}
			th = mia.get(threadURL)
			expect(t, "thread with quote", th, 200, "<blockquote>", `href="/p/`+firstID+`"`, "Yes, in spring.")

			// An empty reply keeps nothing lost: the form comes back.
			expect(t, "empty reply", mia.post("/t/"+threadID+"/reply", url.Values{"body": {"  "}}), 422, "must not be empty")

			// Edit own post; not someone else's.
			expect(t, "edit form", mia.get("/p/"+firstID+"/edit"), 200, "Anyone been to **Lisbon**?")
			p = mia.post("/p/"+firstID+"/edit", url.Values{"body": {"Anyone been to *Lisbon* lately?"}})
			if p.status != 303 || p.loc != threadURL+"#p"+firstID {
				t.Fatalf("edit: %d\n%s", p.status, p.body)
			}
			expect(t, "edited thread", mia.get(threadURL), 200, "<em>Lisbon</em>", "edited")

			guest := newBrowser(t, a.URL())
			expect(t, "guest front page", guest.get("/"), 200, "Destinations", "Lisbon in March?")
			expect(t, "guest thread", guest.get(threadURL), 200, "Log in</a> or <a href=\"/register\">join</a> to reply")
			expect(t, "guest profile", guest.get("/m/2"), 200, "Mia Member", "Joined")
			p = guest.get("/t/" + threadID)
			if p.status != 301 || p.loc != threadURL {
				t.Fatalf("slugless thread URL: %d %q", p.status, p.loc)
			}
			expect(t, "unknown thread", guest.get("/t/99999/x"), 404, "Page not found")
			expect(t, "bad id", guest.get("/t/abc"), 404, "Page not found")
			expect(t, "page past the end", guest.get(threadURL+"?page=9"), 404)
			p = guest.get("/c/" + catID + "/new")
			if p.status != 303 || !strings.HasPrefix(p.loc, "/login") {
				t.Fatalf("guest new thread: %d %q", p.status, p.loc)
			}
			expect(t, "guest admin", guest.post("/admin/categories/new", url.Values{"name": {"x"}}), 401)
			expect(t, "member admin", mia.get("/admin"), 403, "Only admins")

			// Log out ends the session.
			if p = mia.post("/logout", nil); p.status != 303 {
				t.Fatalf("logout: %d", p.status)
			}
			expect(t, "after logout", mia.get("/"), 200, "Log in")
		})
	}
}

func TestSecurityHeadersAndCSRF(t *testing.T) {
	a := start(t, "sqlite")
	b := newBrowser(t, a.URL())
	p := b.get("/login")
	csp := p.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}
	if p.header.Get("X-Content-Type-Options") != "nosniff" || p.header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("headers %v", p.header)
	}
	// A cross-site form post is refused before it reaches a handler.
	req, _ := http.NewRequest("POST", a.URL()+"/login", strings.NewReader("email=a@b.c&password=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	p = b.do(req)
	expect(t, "cross-site post", p, 403, "another site")
	req, _ = http.NewRequest("POST", a.URL()+"/login", strings.NewReader("email=a@b.c&password=x"))
	req.Header.Set("Origin", "https://evil.example")
	expect(t, "foreign origin post", b.do(req), 403)
}

func TestLoginRateLimit(t *testing.T) {
	cfg := app.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := app.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	go a.Serve(ctx)
	b := newBrowser(t, a.URL())
	var last page
	for range 15 {
		last = b.post("/login", url.Values{"email": {"x@example.org"}, "password": {"wrong-password"}})
	}
	expect(t, "15th login", last, 429, "Too many login attempts", `value="x@example.org"`)
	if last.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
}

// api calls the JSON API and decodes the answer.
func api(t *testing.T, base, method, path, token string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	switch v := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(v)
	default:
		b, _ := json.Marshal(v)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, base+path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); res.StatusCode != 204 && !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s %s: content type %q", method, path, ct)
	}
	out := map[string]any{}
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// TestAPIFlow runs the same member flows through API v1 on both engines.
func TestAPIFlow(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			a := start(t, engine)
			base := a.URL()
			if _, err := a.Service.CreateMember(t.Context(), adminMember()); err != nil {
				t.Fatal(err)
			}
			st, out := api(t, base, "POST", "/api/v1/sessions", "", map[string]any{"email": "root@example.org", "password": "owner-password"})
			if st != 201 || out["token"] == "" {
				t.Fatalf("admin login: %d %v", st, out)
			}
			adminTok := out["token"].(string)
			st, out = api(t, base, "POST", "/api/v1/sessions", "", map[string]any{"email": "root@example.org", "password": "nope"})
			if st != 401 || out["error"] != "Wrong email or password." {
				t.Fatalf("wrong password: %d %v", st, out)
			}
			st, out = api(t, base, "POST", "/api/v1/categories", adminTok, map[string]any{"name": "Suppliers", "description": "Cruise lines and tour operators"})
			if st != 201 {
				t.Fatalf("create category: %d %v", st, out)
			}
			catID := out["id"].(float64)
			st, out = api(t, base, "POST", "/api/v1/members", "", map[string]any{"email": "sam@example.org", "name": "Sam Agent", "password": "sam-password"})
			if st != 202 || out["message"] != forum.RegisteredMessage || len(out) != 1 {
				t.Fatalf("register: %d %v", st, out)
			}
			_, out = api(t, base, "POST", "/api/v1/sessions", "", map[string]any{"email": "sam@example.org", "password": "sam-password"})
			sam := out["token"].(string)
			// Until sam opens the mailed link, sam reads but does not post.
			st, out = api(t, base, "POST", "/api/v1/threads", sam, map[string]any{"category_id": catID, "title": "Too early", "body": "Hello?"})
			if msg, _ := out["error"].(string); st != 403 || !strings.HasPrefix(msg, "Confirm your email address first") {
				t.Fatalf("unconfirmed member posted: %d %v", st, out)
			}
			if st, out = api(t, base, "POST", "/api/v1/email-confirmations/use", "", map[string]any{"token": confirmToken(t, a, "sam@example.org")}); st != 204 {
				t.Fatalf("confirm: %d %v", st, out)
			}
			st, out = api(t, base, "POST", "/api/v1/categories", sam, map[string]any{"name": "Mine"})
			if st != 403 {
				t.Fatalf("member created category: %d %v", st, out)
			}
			st, out = api(t, base, "POST", "/api/v1/threads", sam, map[string]any{"category_id": catID, "title": "Commission cut at Oceanic?", "body": "Has anyone seen the **new rates**?"})
			if st != 201 || !strings.HasPrefix(out["url"].(string), "/t/") {
				t.Fatalf("create thread: %d %v", st, out)
			}
			tid := int(out["id"].(float64))
			firstPost := out["post_id"].(float64)
			st, out = api(t, base, "POST", "/api/v1/threads/"+itoa(tid)+"/posts", adminTok, map[string]any{"body": "Yes, from May.", "quote_post_id": firstPost})
			if st != 201 || out["position"].(float64) != 2 {
				t.Fatalf("reply: %d %v", st, out)
			}
			replyID := int(out["id"].(float64))
			st, out = api(t, base, "GET", "/api/v1/threads/"+itoa(tid), "", nil)
			if st != 200 {
				t.Fatalf("get thread: %d %v", st, out)
			}
			posts := out["posts"].([]any)
			if len(posts) != 2 {
				t.Fatalf("posts: %v", posts)
			}
			reply := posts[1].(map[string]any)
			if !strings.Contains(reply["html"].(string), "<blockquote>") || !strings.Contains(reply["body"].(string), "Yes, from May.") || reply["author_name"] != "Root Admin" {
				t.Fatalf("reply as read: %v", reply)
			}
			st, out = api(t, base, "PATCH", "/api/v1/posts/"+itoa(replyID), sam, map[string]any{"body": "mine now"})
			if st != 403 {
				t.Fatalf("edit another's post: %d %v", st, out)
			}
			st, out = api(t, base, "PATCH", "/api/v1/posts/"+itoa(replyID), adminTok, map[string]any{"body": "Yes, from **May**."})
			if st != 200 || out["edited_at"] == nil {
				t.Fatalf("edit: %d %v", st, out)
			}
			st, out = api(t, base, "GET", "/api/v1/categories/"+itoa(int(catID))+"/threads?page=1", "", nil)
			if st != 200 || len(out["threads"].([]any)) != 1 || out["total"].(float64) != 1 {
				t.Fatalf("list threads: %d %v", st, out)
			}
			st, _ = api(t, base, "GET", "/api/v1/categories", "", nil)
			if st != 200 {
				t.Fatalf("categories: %d", st)
			}
			st, _ = api(t, base, "DELETE", "/api/v1/posts/"+itoa(replyID), adminTok, nil)
			if st != 204 {
				t.Fatalf("delete: %d", st)
			}
			st, _ = api(t, base, "POST", "/api/v1/posts/"+itoa(replyID)+"/restore", adminTok, nil)
			if st != 204 {
				t.Fatalf("restore: %d", st)
			}
			st, _ = api(t, base, "DELETE", "/api/v1/sessions", sam, nil)
			if st != 204 {
				t.Fatalf("logout: %d", st)
			}
			st, out = api(t, base, "GET", "/api/v1/me", sam, nil)
			if st != 401 {
				t.Fatalf("token after logout: %d %v", st, out)
			}
		})
	}
}

func adminMember() forum.NewMember {
	return forum.NewMember{Email: "root@example.org", Name: "Root Admin", Password: "owner-password", Role: "admin"}
}

// TestAPIErrors checks that bad requests get a clear JSON 4xx, never a 500.
func TestAPIErrors(t *testing.T) {
	a := start(t, "sqlite")
	base := a.URL()
	if _, err := a.Service.CreateMember(t.Context(), adminMember()); err != nil {
		t.Fatal(err)
	}
	_, out := api(t, base, "POST", "/api/v1/sessions", "", map[string]any{"email": "root@example.org", "password": "owner-password"})
	tok := out["token"].(string)
	_, out = api(t, base, "POST", "/api/v1/categories", tok, map[string]any{"name": "General"})
	cat := out["id"].(float64)

	tests := []struct {
		name, method, path, token string
		body                      any
		status                    int
		msg                       string
	}{
		{"empty title", "POST", "/api/v1/threads", tok, map[string]any{"category_id": cat, "title": "", "body": "x"}, 422, "Title must not be empty"},
		{"unknown category", "POST", "/api/v1/threads", tok, map[string]any{"category_id": 999, "title": "Hello there", "body": "x"}, 422, "does not exist"},
		{"wrong type", "POST", "/api/v1/threads", tok, `{"category_id":"one","title":"Hello there","body":"x"}`, 400, `"category_id" must be a whole number`},
		{"unknown field", "POST", "/api/v1/threads", tok, `{"category":1,"title":"Hello there","body":"x"}`, 400, "Unknown field"},
		{"not json", "POST", "/api/v1/threads", tok, `{"title":`, 400, "not valid JSON"},
		{"empty body", "POST", "/api/v1/threads", tok, "", 400, "empty"},
		{"invalid utf-8", "POST", "/api/v1/threads", tok, "{\"category_id\":1,\"title\":\"Hi \xff there\",\"body\":\"x\"}", 400, "UTF-8"},
		{"too large", "POST", "/api/v1/threads", tok, `{"category_id":1,"title":"big","body":"` + strings.Repeat("a", 1<<20) + `"}`, 413, "larger than"},
		{"body too long", "POST", "/api/v1/threads", tok, map[string]any{"category_id": cat, "title": "Hello there", "body": strings.Repeat("é", 50001)}, 422, "at most 50000"},
		{"guest posts", "POST", "/api/v1/threads", "", map[string]any{"category_id": cat, "title": "Hello there", "body": "x"}, 401, "Log in"},
		{"bad token", "GET", "/api/v1/me", "forged", nil, 401, "unknown or expired"},
		{"unknown thread", "GET", "/api/v1/threads/424242", "", nil, 404, "does not exist"},
		{"bad id", "GET", "/api/v1/threads/abc", "", nil, 404, "not a valid id"},
		{"bad page", "GET", "/api/v1/categories/1/threads?page=x", "", nil, 400, "page must be"},
		{"unknown endpoint", "GET", "/api/v1/nothing", "", nil, 404, "No such API endpoint"},
		{"wrong method", "PUT", "/api/v1/threads", tok, map[string]any{}, 405, "it takes POST"},
		{"reply to unknown thread", "POST", "/api/v1/threads/999/posts", tok, map[string]any{"body": "x"}, 404, ""},
		{"short password", "POST", "/api/v1/members", "", map[string]any{"email": "a@example.org", "name": "Al", "password": "x"}, 422, "at least 10"},
		{"common password", "POST", "/api/v1/members", "", map[string]any{"email": "a@example.org", "name": "Al", "password": "password123"}, 422, "one of the most common"},
	}
	for _, tt := range tests {
		st, out := api(t, base, tt.method, tt.path, tt.token, tt.body)
		msg, _ := out["error"].(string)
		if st != tt.status || !strings.Contains(msg, tt.msg) {
			t.Errorf("%s: %d %q, want %d containing %q", tt.name, st, msg, tt.status, tt.msg)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestGuestPageCache checks that guests' cached pages change as soon as
// the thread does, answer conditional requests with 304 and come gzipped.
func TestGuestPageCache(t *testing.T) {
	a := start(t, "sqlite")
	ctx := t.Context()
	svc := a.Service
	admin, err := svc.CreateMember(ctx, adminMember())
	if err != nil {
		t.Fatal(err)
	}
	cat, err := svc.CreateCategory(ctx, admin, forum.CategoryInput{Name: "General"})
	if err != nil {
		t.Fatal(err)
	}
	th, _, err := svc.CreateThread(ctx, admin, forum.NewThread{CategoryID: cat.ID, Title: "Cached thread", Body: "first"})
	if err != nil {
		t.Fatal(err)
	}
	guest := newBrowser(t, a.URL())
	path := "/t/" + strconv.FormatInt(th.ID, 10) + "/" + th.Slug
	p1 := guest.get(path)
	expect(t, "first view", p1, 200, "first")
	etag := p1.header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	req, _ := http.NewRequest("GET", a.URL()+path, nil)
	req.Header.Set("If-None-Match", etag)
	if p := guest.do(req); p.status != 304 {
		t.Fatalf("conditional request: %d", p.status)
	}
	if _, err := svc.Reply(ctx, admin, th.ID, "a fresh reply", 0); err != nil {
		t.Fatal(err)
	}
	p2 := guest.get(path)
	expect(t, "after reply", p2, 200, "a fresh reply")
	if p2.header.Get("ETag") == etag {
		t.Fatal("ETag unchanged after a reply")
	}
	expect(t, "front page after reply", guest.get("/"), 200, "Cached thread")
	req, _ = http.NewRequest("GET", a.URL()+path, nil)
	req.Header.Set("Accept-Encoding", "gzip, deflate, br")
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q", res.Header.Get("Content-Encoding"))
	}
}

// TestMemberPagesAreTheirOwn: two members reading the same thread page
// (served from one cached shell) each see their own name and only their
// own posts' edit links.
func TestMemberPagesAreTheirOwn(t *testing.T) {
	a := start(t, "sqlite")
	ctx := t.Context()
	svc := a.Service
	admin, _ := svc.CreateMember(ctx, adminMember())
	mia, _ := svc.CreateMember(ctx, forum.NewMember{Email: "mia@example.org", Name: "Mia <Member>", Password: "member-password"})
	sam, _ := svc.CreateMember(ctx, forum.NewMember{Email: "sam@example.org", Name: "Sam Agent", Password: "member-password"})
	cat, _ := svc.CreateCategory(ctx, admin, forum.CategoryInput{Name: "General"})
	th, p1, err := svc.CreateThread(ctx, mia, forum.NewThread{CategoryID: cat.ID, Title: "Shared page", Body: "by mia"})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := svc.Reply(ctx, sam, th.ID, "by sam", 0)
	if err != nil {
		t.Fatal(err)
	}
	path := "/t/" + strconv.FormatInt(th.ID, 10) + "/" + th.Slug
	login := func(email string) *browser {
		b := newBrowser(t, a.URL())
		b.post("/login", url.Values{"email": {email}, "password": {"member-password"}})
		return b
	}
	for range 2 { // the second round is served from the cached shell
		for _, c := range []struct {
			b        *browser
			name     string
			own, not int64
			id       int64
		}{
			{login("mia@example.org"), "Mia &lt;Member&gt;", p1.ID, p2.ID, mia.ID},
			{login("sam@example.org"), "Sam Agent", p2.ID, p1.ID, sam.ID},
		} {
			p := c.b.get(path)
			expect(t, "member page", p, 200, `<a href="/m/`+strconv.FormatInt(c.id, 10)+`">`+c.name+`</a>`, `/p/`+strconv.FormatInt(c.own, 10)+`/edit`)
			if strings.Contains(p.body, `/p/`+strconv.FormatInt(c.not, 10)+`/edit`) || strings.Contains(p.body, "zzHearth") || strings.Contains(p.body, "987654321987654321") {
				t.Fatalf("%s sees another's parts or a marker:\n%s", c.name, p.body)
			}
		}
	}
}
