package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"hearth/internal/app"
	"hearth/internal/app/apptest"
	"hearth/internal/forum"
	"hearth/internal/mail"
	"hearth/internal/status"
	"hearth/internal/statuspage"
)

// TestStatusPageWithTheDatabaseDown: with the SQLite file gone and the
// forum in maintenance mode, /status, /status.json and the feed answer
// 200, and the outage watcher's API still opens and updates incidents.
func TestStatusPageWithTheDatabaseDown(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	f := newFailForum(t, app.Config{DataDir: data, Status: app.StatusConfig{Token: "watcher-token"}})
	db := filepath.Join(data, "hearth.db")
	must(t, os.Link(db, db+".kept"))
	must(t, os.Remove(db))
	waitFor(t, "the monitor to notice", func() bool { return f.guest.get("/m/1").status == 503 })

	call := func(path, body string) (int, map[string]any) {
		req, _ := http.NewRequest("POST", f.a.URL()+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer watcher-token")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	code, out := call("/api/v1/status/incidents", `{"title":"The forum is down","impact":"critical","components":["forum"],"text":"The database is not answering."}`)
	if code != 201 {
		t.Fatalf("open an incident with the database down: %d %v", code, out)
	}
	id := int64(out["incident"].(map[string]any)["id"].(float64))
	if code, out := call("/api/v1/status/incidents/"+strconv.FormatInt(id, 10)+"/updates", `{"state":"identified","text":"The database file went missing."}`); code != 201 {
		t.Fatalf("update: %d %v", code, out)
	}
	if err := f.a.Status.SetMode(status.Maintenance, "Restoring the database", time.Time{}); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct{ path, ctype, want string }{
		{"/status", "text/html", "The database file went missing."},
		{"/status.json", "application/json", `"indicator": "critical"`},
		{"/status/feed.atom", "application/atom+xml", "The forum is down"},
		{"/status/style.css", "text/css", "body"},
	} {
		resp, err := http.Get(f.a.URL() + c.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), c.ctype) || !strings.Contains(string(b), c.want) {
			t.Errorf("%s with the database down: %d %s\n%s", c.path, resp.StatusCode, resp.Header.Get("Content-Type"), b)
		}
		if c.path == "/status/feed.atom" {
			if _, err := gofeed.NewParser().ParseString(string(b)); err != nil {
				t.Errorf("feed: %v", err)
			}
		}
	}
	// The forum's own pages still say they are down.
	expect(t, "a forum page meanwhile", f.guest.get("/"), 503)
	must(t, os.Rename(db+".kept", db))
}

// TestStatusPageAdminAndBanner: the admin opens and updates an incident
// from the admin page (a refused form keeps its text), members see a
// banner linking to /status until they dismiss it, a new update shows it
// again, and one click makes the incident a thread members can reply to.
func TestStatusPageAdminAndBanner(t *testing.T) {
	a := start(t, "sqlite")
	ctx := t.Context()
	admin, err := a.Service.CreateMember(ctx, adminMember())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Service.CreateMember(ctx, forum.NewMember{Email: "mia@example.org", Name: "Mia Member", Password: "member-password"}); err != nil {
		t.Fatal(err)
	}
	cat, err := a.Service.CreateCategory(ctx, admin, forum.CategoryInput{Name: "Announcements"})
	if err != nil {
		t.Fatal(err)
	}
	root := newBrowser(t, a.URL())
	expect(t, "admin logs in", root.post("/login", url.Values{"email": {"root@example.org"}, "password": {"owner-password"}}), 303)
	expect(t, "admin page", root.get("/admin"), 200, "Status page", "Open an incident", "hearth status incident")

	p := root.post("/admin/status/incidents", url.Values{"title": {"Replies fail"}, "impact": {"major"}, "component": {"nope"}, "text": {"Typed with care."}})
	expect(t, "a refused incident keeps its text", p, 422, `no component &#34;nope&#34;`, "Typed with care.", "Replies fail")
	expect(t, "open an incident", root.post("/admin/status/incidents", url.Values{"title": {"Replies fail"}, "impact": {"major"}, "component": {"forum"}, "text": {"Some replies are refused."}}), 303)
	inc := a.StatusPage.Get().Incidents[0]
	id := strconv.FormatInt(inc.ID, 10)
	expect(t, "update it", root.post("/admin/status/incidents/"+id+"/updates", url.Values{"state": {"identified"}, "text": {"A full disk."}}), 303)
	expect(t, "a wrong state keeps the text", root.post("/admin/status/incidents/"+id+"/updates", url.Values{"state": {"completed"}, "text": {"Kept update."}}), 422, "Kept update.")
	expect(t, "set a component", root.post("/admin/status/components/email", url.Values{"status": {"degraded_performance"}}), 303)
	expect(t, "the status page", root.get("/status"), 200, "A full disk.", "Degraded performance")

	mia := newBrowser(t, a.URL())
	expect(t, "mia logs in", mia.post("/login", url.Values{"email": {"mia@example.org"}, "password": {"member-password"}}), 303)
	expect(t, "mia sees the banner", mia.get("/"), 200, "Replies fail", "A full disk.", `href="/status#incident-`+id, `action="/status/dismiss"`)
	guest := newBrowser(t, a.URL())
	expect(t, "guests too", guest.get("/"), 200, "Replies fail")
	p = mia.post("/status/dismiss", url.Values{"key": {bannerKey(t, mia.get("/").body)}, "back": {"/"}})
	if p.status != 303 || p.loc != "/" {
		t.Fatalf("dismiss: %d %s", p.status, p.loc)
	}
	if p := mia.get("/"); strings.Contains(p.body, "Replies fail") {
		t.Error("the banner shows after it was dismissed")
	}
	expect(t, "guest still sees it (cache keyed by banner)", guest.get("/"), 200, "Replies fail")
	expect(t, "dismissing elsewhere is refused", mia.post("/status/dismiss", url.Values{"key": {"x"}, "back": {"//evil.example"}}), 422)
	expect(t, "resolve", root.post("/admin/status/incidents/"+id+"/updates", url.Values{"state": {"resolved"}, "text": {"Room again; replies work."}}), 303)
	expect(t, "a new update shows the banner again", mia.get("/"), 200, "Resolved: Replies fail", "Room again")

	p = root.post("/admin/status/incidents/"+id+"/thread", url.Values{"category": {strconv.FormatInt(cat.ID, 10)}})
	if p.status != 303 || !strings.HasPrefix(p.loc, "/t/") {
		t.Fatalf("make a thread: %d %s\n%s", p.status, p.loc, p.body)
	}
	expect(t, "the thread", guest.get(p.loc), 200, "Incident: Replies fail", "Some replies are refused.", "A full disk.", "Room again; replies work.")
	tid := strings.Split(p.loc, "/")[2]
	expect(t, "mia comments", mia.post("/t/"+tid+"/reply", url.Values{"body": {"Thanks for telling us."}}), 303)
	expect(t, "only one thread per incident", root.post("/admin/status/incidents/"+id+"/thread", url.Values{"category": {strconv.FormatInt(cat.ID, 10)}}), 409)
	expect(t, "members cannot", mia.post("/admin/status/incidents", url.Values{"title": {"x"}, "text": {"y"}}), 403)
}

func bannerKey(t *testing.T, body string) string {
	t.Helper()
	_, after, ok := strings.Cut(body, `name="key" value="`)
	if !ok {
		t.Fatal("no banner form")
	}
	key, _, _ := strings.Cut(after, `"`)
	return key
}

// TestStatusPagePublishAndWebhooks: an incident opened from the shell (its
// own store on the data directory, as `hearth status` is) is published to
// --status-publish and POSTed, signed, to --status-webhook by the running
// server.
func TestStatusPagePublishAndWebhooks(t *testing.T) {
	got := make(chan *http.Request, 4)
	bodies := make(chan []byte, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r
		bodies <- b
	}))
	defer hook.Close()
	data, site := t.TempDir(), filepath.Join(t.TempDir(), "site")
	a := apptest.Start(t, app.Config{DataDir: data, Log: testLog(t), Status: app.StatusConfig{
		PublishDir: site, Webhooks: []statuspage.Hook{{URL: hook.URL, Secret: "s"}}}})
	waitFor(t, "the first publish", func() bool { _, err := os.Stat(filepath.Join(site, "index.html")); return err == nil })
	// The deliverer has started its journal: what follows is new to it.
	waitFor(t, "the webhook journal", func() bool { _, err := os.Stat(filepath.Join(data, statuspage.JournalFile)); return err == nil })
	shell, err := status.OpenPage(data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := shell.Open(status.NewIncident{Title: "Search is down", Impact: status.ImpactMajor, Components: []string{"search"}, Text: "Searching fails."}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the publish of the change", func() bool {
		b, _ := os.ReadFile(filepath.Join(site, "index.html"))
		return strings.Contains(string(b), "Search is down")
	})
	select {
	case r := <-got:
		b := <-bodies
		if !statuspage.Verify("s", b, r.Header.Get("X-Hearth-Signature")) || r.Header.Get("X-Hearth-Event") != "incident.created" || !strings.Contains(string(b), "Search is down") {
			t.Errorf("webhook %v %s", r.Header, b)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no webhook")
	}
	expect(t, "and the server's own page", newBrowser(t, a.URL()).get("/status"), 200, "Search is down")
}

// TestBroadcastFromTheAdminPage: the status section's form mails every
// member on the roster, once, and lists the broadcast with its count; a
// form without the confirmation keeps what was typed.
func TestBroadcastFromTheAdminPage(t *testing.T) {
	a, sink := startWithSink(t, &mail.Sink{}, app.Config{Mail: app.MailConfig{DisableDKIM: true}})
	ctx := t.Context()
	if _, err := a.Service.CreateMember(ctx, adminMember()); err != nil {
		t.Fatal(err)
	}
	for _, e := range []string{"mia@example.org", "bo@example.org"} {
		if _, err := a.Service.CreateMember(ctx, forum.NewMember{Email: e, Name: "Member " + e[:2], Password: "member-password"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := app.RosterConsumer(a.Config, a.Store, a.Service, nil).Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	root := newBrowser(t, a.URL())
	expect(t, "admin logs in", root.post("/login", url.Values{"email": {"root@example.org"}, "password": {"owner-password"}}), 303)
	expect(t, "the form", root.get("/admin"), 200, "Tell every member by mail")
	expect(t, "unconfirmed", root.post("/admin/status/broadcast", url.Values{"subject": {"Planned downtime"}, "body": {"Tonight 22:00."}}), 422,
		"Tick the box", "Planned downtime", "Tonight 22:00.")
	expect(t, "sent", root.post("/admin/status/broadcast", url.Values{"subject": {"Planned downtime"}, "body": {"Tonight 22:00."}, "confirm": {"yes"}}), 303)
	waitFor(t, "the broadcast to reach everyone", func() bool { return sink.Count() >= 3 })
	expect(t, "listed", root.get("/admin"), 200, "Planned downtime", "3 sent of 3")
	seen := map[string]int{}
	for _, m := range sink.Messages() {
		seen[m.To[0]]++
	}
	if len(seen) != 3 || seen["mia@example.org"] != 1 {
		t.Errorf("received: %v", seen)
	}
}
