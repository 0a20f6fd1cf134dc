package app_test

import (
	"database/sql"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"hearth/internal/app"
	"hearth/internal/app/apptest"
	"hearth/internal/forum"
	"hearth/internal/ratelimit"
	"hearth/internal/status"
	"hearth/internal/store/storetest"
)

// errorForum is Hearth with its log captured, an admin, a member (mia)
// and a moderator, a thread, a browser logged in as mia and API tokens.
type errorForum struct {
	a                  *app.App
	log                *apptest.Log
	threadID, replyID  int64
	mia                *browser
	miaToken, modToken string
}

func newErrorForum(t *testing.T, engine string) *errorForum {
	t.Helper()
	f := &errorForum{log: apptest.NewLog(t)}
	cfg := app.Config{Log: f.log.Logger()}
	if engine == "postgres" {
		cfg.DB = storetest.CreatePostgres(t)
	}
	f.a = apptest.Start(t, cfg)
	ctx, svc := t.Context(), f.a.Service
	admin, err := svc.CreateMember(ctx, adminMember())
	if err != nil {
		t.Fatal(err)
	}
	mia, err := svc.CreateMember(ctx, forum.NewMember{Email: "mia@example.org", Name: "Mia Member", Password: "member-password"})
	if err != nil {
		t.Fatal(err)
	}
	mod, err := svc.CreateMember(ctx, forum.NewMember{Email: "mo@example.org", Name: "Mo Moderator", Password: "moderator-password", Role: forum.RoleModerator})
	if err != nil {
		t.Fatal(err)
	}
	cat, _ := svc.CreateCategory(ctx, admin, forum.CategoryInput{Name: "General"})
	th, _, err := svc.CreateThread(ctx, admin, forum.NewThread{CategoryID: cat.ID, Title: "Hello all", Body: "first"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := svc.Reply(ctx, mia, th.ID, "a reply", 0)
	if err != nil {
		t.Fatal(err)
	}
	f.threadID, f.replyID = th.ID, p.ID
	f.mia = newBrowser(t, f.a.URL())
	if p := f.mia.post("/login", url.Values{"email": {"mia@example.org"}, "password": {"member-password"}}); p.status != 303 {
		t.Fatalf("log in: %d", p.status)
	}
	if f.miaToken, err = svc.StartSession(ctx, mia, "api"); err != nil {
		t.Fatal(err)
	}
	if f.modToken, err = svc.StartSession(ctx, mod, "api"); err != nil {
		t.Fatal(err)
	}
	return f
}

// request builds a request to the forum: a form for pages, JSON for /api/.
func (f *errorForum) request(t *testing.T, method, path, token, body string) *http.Request {
	req, err := http.NewRequest(method, f.a.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(path, "/api/") {
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
	} else {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", f.a.URL())
	}
	return req
}

// holdWrites takes the database's write lock from a connection of its own,
// as a stuck writer or a long migration would, so writes wait. release
// gives it back.
func holdWrites(t *testing.T, a *app.App, engine string) (release func()) {
	t.Helper()
	ctx := t.Context()
	// The server's own writers (the read buffer, the consumers) may hold
	// the lock for a moment: wait for it as they do.
	driver, lock := "sqlite", "PRAGMA busy_timeout = 10000; BEGIN IMMEDIATE"
	if engine == "postgres" {
		driver, lock = "pgx", "BEGIN; LOCK TABLE threads IN EXCLUSIVE MODE"
	}
	db, err := sql.Open(driver, a.Config.DSN())
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for q := range strings.SplitSeq(lock, "; ") {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	return func() {
		conn.ExecContext(ctx, "ROLLBACK")
		conn.Close()
		db.Close()
	}
}

// checkJSONError fails unless p is a JSON error carrying the request ID of
// its X-Request-Id header.
func checkJSONError(t *testing.T, what string, p page) {
	t.Helper()
	var raw map[string]any
	if ct := p.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") || json.Unmarshal([]byte(p.body), &raw) != nil {
		t.Errorf("%s: %d %q, want a JSON error:\n%.300s", what, p.status, ct, p.body)
		return
	}
	if id := p.header.Get("X-Request-Id"); raw["error"] == nil || id == "" || raw["request_id"] != id {
		t.Errorf("%s: %s lacks request_id %q", what, p.body, id)
	}
}

// TestClientGoneIsNotAnError: a client that gives up while its reply waits
// for the database (another connection holds the write lock) is no server
// failure: on both surfaces and engines the request ends as 499 in the
// access log, with nothing logged at ERROR.
func TestClientGoneIsNotAnError(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			f := newErrorForum(t, engine)
			tid := strconv.FormatInt(f.threadID, 10)
			for _, c := range []struct{ surface, path, token, body string }{
				{"page", "/t/" + tid + "/reply", "", "body=" + url.QueryEscape("typed, then the train went into a tunnel")},
				{"api", "/api/v1/threads/" + tid + "/posts", f.miaToken, `{"body":"typed, then the train went into a tunnel"}`},
			} {
				release := holdWrites(t, f.a, engine)
				impatient := &http.Client{Jar: f.mia.c.Jar, Timeout: 300 * time.Millisecond}
				res, err := impatient.Do(f.request(t, "POST", c.path, c.token, c.body))
				if err == nil {
					res.Body.Close()
					release()
					t.Fatalf("%s: answered %d while the database was held", c.surface, res.StatusCode)
				}
				time.Sleep(200 * time.Millisecond) // the server sees the connection close
				release()
				waitFor(t, c.surface+" request to end", func() bool { return len(f.log.Lines("msg=request ", "path="+c.path)) > 0 })
				if l := f.log.Lines("msg=request ", "path="+c.path); !strings.Contains(l[0], "status=499") {
					t.Errorf("%s: %s", c.surface, l[0])
				}
			}
			f.log.CheckNoFailures(t)
		})
	}
}

// TestRefusalsAreNotErrors: read-only mode, the posting rate limit and
// maintenance mode are the forum's normal answers, not failures: the API
// answers them in JSON with the request ID, and the log has them at debug
// level only, nothing at ERROR and no warning but the access log's.
func TestRefusalsAreNotErrors(t *testing.T) {
	f := newErrorForum(t, "sqlite")
	a := f.a
	tid, rid := strconv.FormatInt(f.threadID, 10), strconv.FormatInt(f.replyID, 10)
	b := newBrowser(t, a.URL())
	refused := func(what string, req *http.Request, status int) {
		t.Helper()
		p := b.do(req)
		if p.status != status {
			t.Fatalf("%s: %d, want %d\n%.300s", what, p.status, status, p.body)
		}
		if strings.HasPrefix(req.URL.Path, "/api/") {
			checkJSONError(t, what, p)
		}
		if p.header.Get("Retry-After") == "" && status != 403 {
			t.Errorf("%s: no Retry-After", what)
		}
	}

	if err := a.Status.SetMode(status.ReadOnly, "Moving servers.", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	refused("API reply in read-only", f.request(t, "POST", "/api/v1/threads/"+tid+"/posts", f.miaToken, `{"body":"x"}`), 503)
	refused("API pin in read-only", f.request(t, "PATCH", "/api/v1/threads/"+tid, f.modToken, `{"sticky":true}`), 503)
	refused("API restore in read-only", f.request(t, "POST", "/api/v1/posts/"+rid+"/restore", f.modToken, ""), 503)
	if p := f.mia.post("/t/"+tid+"/reply", url.Values{"body": {"x"}}); p.status != 503 {
		t.Errorf("page reply in read-only: %d", p.status)
	}

	if err := a.Status.SetMode(status.Normal, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	a.Service.SetLimits(forum.Limits{Post: ratelimit.New(time.Hour, 1)})
	if p := b.do(f.request(t, "POST", "/api/v1/threads/"+tid+"/posts", f.miaToken, `{"body":"one"}`)); p.status != 201 {
		t.Fatalf("first reply: %d %s", p.status, p.body)
	}
	refused("API reply over the rate limit", f.request(t, "POST", "/api/v1/threads/"+tid+"/posts", f.miaToken, `{"body":"two"}`), 429)
	a.Service.SetLimits(forum.Limits{})

	if err := a.Status.SetMode(status.Maintenance, "Upgrading.", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	refused("API in maintenance", f.request(t, "GET", "/api/v1/categories", "", ""), 503)
	if p := b.get("/"); p.status != 503 {
		t.Errorf("page in maintenance: %d", p.status)
	}

	f.log.CheckNoFailures(t)
	for _, l := range f.log.Lines("level=WARN") {
		if !strings.Contains(l, "msg=request ") {
			t.Errorf("a refusal logged as a warning: %s", l)
		}
	}
	if n := len(f.log.Lines("level=DEBUG", `msg="request refused"`, "request_id=")); n < 4 {
		t.Errorf("%d refusals logged at debug with their request ID, want 4 or more", n)
	}
}

// TestAPIPathsAnswerJSON: what answers an /api/ path before or instead of
// the API's own handlers (the pages' 404, the API's 405, the cross-site
// refusal) answers in JSON with the request ID, never with an HTML page.
func TestAPIPathsAnswerJSON(t *testing.T) {
	f := newErrorForum(t, "sqlite")
	b := newBrowser(t, f.a.URL())
	tid := strconv.FormatInt(f.threadID, 10)
	crossSite := f.request(t, "POST", "/api/v1/threads/"+tid+"/posts", f.miaToken, `{"body":"x"}`)
	crossSite.Header.Set("Sec-Fetch-Site", "cross-site")
	for _, c := range []struct {
		what   string
		req    *http.Request
		status int
		allow  string
	}{
		{"an older API version", f.request(t, "GET", "/api/v0/threads", "", ""), 404, ""},
		{"the API's parent", f.request(t, "GET", "/api/", "", ""), 404, ""},
		{"the API's root", f.request(t, "GET", "/api/v1/", "", ""), 404, ""},
		{"PUT on a POST route", f.request(t, "PUT", "/api/v1/threads", f.miaToken, "{}"), 405, "POST"},
		{"GET on a POST route", f.request(t, "GET", "/api/v1/threads/"+tid+"/posts", "", ""), 405, "POST"},
		{"DELETE on a GET and PATCH route", f.request(t, "DELETE", "/api/v1/threads/"+tid, f.miaToken, ""), 405, "GET, PATCH"},
		{"a cross-site post", crossSite, 403, ""},
	} {
		p := b.do(c.req)
		if p.status != c.status || p.header.Get("Allow") != c.allow {
			t.Errorf("%s: %d Allow %q, want %d %q", c.what, p.status, p.header.Get("Allow"), c.status, c.allow)
		}
		checkJSONError(t, c.what, p)
	}
	f.log.CheckNoFailures(t)
}
