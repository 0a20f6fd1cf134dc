package app_test

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hearth/internal/app"
	"hearth/internal/app/apptest"
	"hearth/internal/forum"
	"hearth/internal/status"
	"hearth/internal/store/storetest"
)

// TestModes checks read-only and maintenance mode as members, admins and
// API clients meet them.
func TestModes(t *testing.T) {
	a := start(t, "sqlite")
	ctx := t.Context()
	svc := a.Service
	admin, err := svc.CreateMember(ctx, adminMember())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateMember(ctx, forum.NewMember{Email: "mia@example.org", Name: "Mia Member", Password: "member-password"}); err != nil {
		t.Fatal(err)
	}
	cat, _ := svc.CreateCategory(ctx, admin, forum.CategoryInput{Name: "General"})
	th, _, err := svc.CreateThread(ctx, admin, forum.NewThread{CategoryID: cat.ID, Title: "Hello all", Body: "first"})
	if err != nil {
		t.Fatal(err)
	}
	threadPath := "/t/" + strconv.FormatInt(th.ID, 10) + "/" + th.Slug
	mia := newBrowser(t, a.URL())
	mia.post("/login", url.Values{"email": {"mia@example.org"}, "password": {"member-password"}})
	root := newBrowser(t, a.URL())
	root.post("/login", url.Values{"email": {"root@example.org"}, "password": {"owner-password"}})
	guest := newBrowser(t, a.URL())
	expect(t, "guest before", guest.get(threadPath), 200, "first")

	if err := a.Status.SetMode(status.ReadOnly, "Moving to a bigger server.", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	expect(t, "guest in read-only", guest.get(threadPath), 200, "read-only for now: Moving to a bigger server.")
	p := mia.get(threadPath)
	expect(t, "member in read-only", p, 200, "Moving to a bigger server.")
	if strings.Contains(p.body, "Post reply") {
		t.Error("reply form shown in read-only mode")
	}
	p = mia.post("/t/"+strconv.FormatInt(th.ID, 10)+"/reply", url.Values{"body": {"typed while read-only"}})
	expect(t, "member posts in read-only", p, 503, "read-only for now", "typed while read-only")
	_, out := api(t, a.URL(), "POST", "/api/v1/sessions", "", map[string]any{"email": "mia@example.org", "password": "member-password"})
	st, out := api(t, a.URL(), "POST", "/api/v1/threads/"+strconv.FormatInt(th.ID, 10)+"/posts", out["token"].(string), map[string]any{"body": "x"})
	if st != 503 || !strings.Contains(out["error"].(string), "read-only") {
		t.Errorf("API post in read-only: %d %v", st, out)
	}
	if p := root.post("/t/"+strconv.FormatInt(th.ID, 10)+"/reply", url.Values{"body": {"admin note"}}); p.status != 303 {
		t.Errorf("admin reply in read-only: %d", p.status)
	}

	if err := a.Status.SetMode(status.Maintenance, "Upgrading the database.", time.Now().Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := a.Status.Post("Backup done, upgrade under way."); err != nil {
		t.Fatal(err)
	}
	p = guest.get(threadPath)
	expect(t, "guest in maintenance", p, 503, "be back soon", "Upgrading the database.", "Backup done, upgrade under way.")
	if ra, _ := strconv.Atoi(p.header.Get("Retry-After")); ra < 60 {
		t.Errorf("Retry-After %q", p.header.Get("Retry-After"))
	}
	expect(t, "member in maintenance", mia.get("/"), 503, "be back soon")
	expect(t, "login page in maintenance", guest.get("/login"), 200, "Log in")
	expect(t, "admin in maintenance", root.get(threadPath), 200, "Maintenance mode is on", "admin note")
	if st, _ := api(t, a.URL(), "GET", "/api/v1/categories", "", nil); st != 503 {
		t.Errorf("API in maintenance: %d", st)
	}
	expect(t, "healthz in maintenance", guest.get("/healthz"), 200, "ok")

	if err := a.Status.SetMode(status.Normal, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	expect(t, "back to normal", guest.get(threadPath), 200, "admin note")
}

// proxy is a TCP proxy to PostgreSQL that a test can cut and mend, so the
// database "disappears" under a running server as it would in an outage.
type proxy struct {
	ln      net.Listener
	target  string
	mu      sync.Mutex
	cut     bool
	stalled bool // bytes are dropped, connections kept: a network that times out
	conns   []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); p.setCut(true) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			if p.cut {
				p.mu.Unlock()
				c.Close()
				continue
			}
			if p.stalled { // a connection that never gets an answer
				p.conns = append(p.conns, c)
				p.mu.Unlock()
				go io.Copy(io.Discard, c)
				continue
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				p.mu.Unlock()
				c.Close()
				continue
			}
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { p.pipe(u, c); u.Close() }()
			go func() { p.pipe(c, u); c.Close() }()
		}
	}()
	return p
}

// pipe copies src to dst, dropping what comes while the proxy is stalled.
func (p *proxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			stalled := p.stalled
			p.mu.Unlock()
			if !stalled {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// setStalled makes the network drop every byte, keeping connections open,
// or lets bytes through again. Connections that lost bytes are cut when
// it mends, as a real network's would time out.
func (p *proxy) setStalled(stalled bool) {
	p.mu.Lock()
	p.stalled = stalled
	p.mu.Unlock()
	if !stalled {
		p.setCut(true)
		p.setCut(false)
	}
}

// setCut drops every connection and refuses new ones, or lets them through.
func (p *proxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for _, c := range p.conns {
			c.Close()
		}
		p.conns = nil
	}
}

// outageForum starts Hearth with one thread; the returned functions take
// the database away and bring it back.
type outage struct {
	a              *app.App
	threadPath     string
	cutDB, restore func()
}

// TestDatabaseOutage takes the database away under a running server: pages
// seen before come from the cache, the rest is the maintenance page with
// the latest status update, 503 with Retry-After, no crash; and the forum
// recovers by itself when the database is back.
//
// It runs on PostgreSQL, whose server can go away: a TCP proxy between
// Hearth and PostgreSQL is cut and mended. An embedded SQLite file does not
// vanish under its open connections; its failures (a damaged file, disk
// errors) are the doctor's and preflight's tests in internal/ops, and map
// to the same degraded answer (forum.ErrUnavailable).
func TestDatabaseOutage(t *testing.T) {
	{
		engine := "postgres"
		t.Run(engine, func(t *testing.T) {
			o := newOutage(t)
			a := o.a
			guest := newBrowser(t, a.URL())
			expect(t, "thread before the outage", guest.get(o.threadPath), 200, "Before the outage")
			if err := a.Status.Post("The database server is being replaced; back within the hour."); err != nil {
				t.Fatal(err)
			}

			o.cutDB()
			waitFor(t, "the monitor to notice", func() bool { return guest.get(o.threadPath).status == 503 })
			expect(t, "readyz during the outage", guest.get("/readyz"), 503, "not answering")
			p := guest.get(o.threadPath)
			expect(t, "cached thread during the outage", p, 503, "saved copy", "Before the outage")
			if p.header.Get("Retry-After") == "" {
				t.Error("no Retry-After on the cached copy")
			}
			p = guest.get("/m/1")
			expect(t, "uncached page during the outage", p, 503, "not answering", "back within the hour")
			if strings.Contains(p.body, "goroutine") || strings.Contains(p.body, "sql:") {
				t.Errorf("internals leaked: %s", p.body)
			}
			st, out := api(t, a.URL(), "GET", "/api/v1/categories", "", nil)
			if st != 503 || out["error"] == nil {
				t.Errorf("API during the outage: %d %v", st, out)
			}
			req, _ := http.NewRequest("GET", a.URL()+"/api/v1/threads/1", nil)
			checkJSONError(t, "API during the outage", guest.do(req))
			expect(t, "healthz during the outage", guest.get("/healthz"), 200)

			o.restore()
			waitFor(t, "the forum to recover", func() bool { return guest.get(o.threadPath).status == 200 })
			expect(t, "readyz after recovery", guest.get("/readyz"), 200, "ready")
			expect(t, "thread after recovery", guest.get(o.threadPath), 200, "Before the outage")
			expect(t, "profile after recovery", guest.get("/m/1"), 200, "Root Admin")
		})
	}
}

func newOutage(t *testing.T) *outage {
	cfg := app.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), NoLimits: true, Log: testLog(t)}
	o := &outage{}
	u, err := url.Parse(storetest.CreatePostgres(t))
	if err != nil {
		t.Fatal(err)
	}
	px := newProxy(t, u.Host)
	u.Host = px.ln.Addr().String()
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	cfg.DB = u.String()
	o.cutDB, o.restore = func() { px.setCut(true) }, func() { px.setCut(false) }
	ctx := t.Context()
	a := apptest.Start(t, cfg)
	admin, err := a.Service.CreateMember(ctx, adminMember())
	if err != nil {
		t.Fatal(err)
	}
	cat, _ := a.Service.CreateCategory(ctx, admin, forum.CategoryInput{Name: "General"})
	th, _, err := a.Service.CreateThread(ctx, admin, forum.NewThread{CategoryID: cat.ID, Title: "Before the outage", Body: "All is well."})
	if err != nil {
		t.Fatal(err)
	}
	o.a, o.threadPath = a, "/t/"+strconv.FormatInt(th.ID, 10)+"/"+th.Slug
	return o
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if ok() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestAdminSetsMode switches modes from the admin page.
func TestAdminSetsMode(t *testing.T) {
	a := start(t, "sqlite")
	if _, err := a.Service.CreateMember(t.Context(), adminMember()); err != nil {
		t.Fatal(err)
	}
	root := newBrowser(t, a.URL())
	root.post("/login", url.Values{"email": {"root@example.org"}, "password": {"owner-password"}})
	if p := root.post("/admin/mode", url.Values{"mode": {"read-only"}, "reason": {"Tidying up."}, "hours": {"2"}}); p.status != 303 {
		t.Fatalf("set mode: %d %s", p.status, p.body)
	}
	if p := root.post("/admin/status", url.Values{"text": {"Almost done."}}); p.status != 303 {
		t.Fatalf("post update: %d", p.status)
	}
	st := a.Status.Get()
	if st.Mode != status.ReadOnly || st.Reason != "Tidying up." || st.Until.IsZero() || st.Updates[0].Text != "Almost done." {
		t.Fatalf("state %+v", st)
	}
	expect(t, "admin page", root.get("/admin"), 200, "read-only", "Almost done.")
	guest := newBrowser(t, a.URL())
	expect(t, "guest", guest.post("/admin/mode", url.Values{"mode": {"normal"}}), 401)
}
