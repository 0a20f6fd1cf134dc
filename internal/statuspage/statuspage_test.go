package statuspage

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"hearth/internal/httperr"
	"hearth/internal/status"
)

type fixture struct {
	dir  string
	page *status.PageStore
	mode *status.Store
	site Site
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	p, err := status.OpenPage(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := status.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{dir: dir, page: p, mode: m, site: Site{Name: "Travel Forum", ForumURL: "https://forum.example.org"}}
}

// incidents fills the page: one open incident with two updates, one
// resolved, one maintenance scheduled.
func (f *fixture) incidents(t *testing.T) status.Incident {
	t.Helper()
	open, err := f.page.Open(status.NewIncident{Title: "Posting fails", Impact: status.ImpactMajor, Components: []string{"forum"}, Text: "Replies are refused.\n\nWe are looking <into> it."})
	if err != nil {
		t.Fatal(err)
	}
	if open, err = f.page.Post(open.ID, status.Identified, "The database's disk is full."); err != nil {
		t.Fatal(err)
	}
	old, err := f.page.Open(status.NewIncident{Title: "Mail delayed", Components: []string{"email"}, Text: "Mail is slow."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.page.Resolve(old.ID, "Mail flows again."); err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Minute)
	if _, err := f.page.Open(status.NewIncident{Kind: status.KindMaintenance, Title: "Search reindex", StartsAt: start, EndsAt: start.Add(time.Hour), Components: []string{"search"}}); err != nil {
		t.Fatal(err)
	}
	return open
}

func (f *fixture) server(t *testing.T, token string) *httptest.Server {
	h := &Handler{Page: f.page, Mode: f.mode, Renderer: NewRenderer(f.site), Token: func() string { return token },
		Errors: httperr.Responder{Log: slog.New(slog.DiscardHandler), Surface: httperr.JSON}}
	mux := http.NewServeMux()
	h.Mount(mux)
	h.MountAPI(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestPageHTML(t *testing.T) {
	f := newFixture(t)
	f.incidents(t)
	if err := f.mode.SetMode(status.ReadOnly, "Moving to a bigger disk", time.Time{}); err != nil {
		t.Fatal(err)
	}
	srv := f.server(t, "")
	code, h, body := get(t, srv.URL+"/status")
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Fatalf("/status: %d %s", code, h.Get("Content-Type"))
	}
	for _, want := range []string{
		"Partial System Outage", `name="viewport"`, "Posting fails", "Identified", "The database&#39;s disk is full.",
		"We are looking &lt;into&gt; it.", "<p>Replies are refused.</p>", // paragraphs, escaped
		"Past incidents", "Mail delayed", "Mail flows again.", "Search reindex", "Scheduled maintenance",
		"The forum is read-only", "Moving to a bigger disk", `href="/status/style.css"`, "Partial outage",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/status lacks %q", want)
		}
	}
	if strings.Contains(body, "<script") || strings.Contains(body, "style=") {
		t.Error("the page has a script or an inline style")
	}
	if code, h, _ := get(t, srv.URL+"/status/style.css"); code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/css") {
		t.Errorf("style.css: %d", code)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/status", nil)
	req.Header.Set("If-None-Match", h.Get("ETag"))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 304 {
		t.Errorf("revalidation: %v %v", resp.StatusCode, err)
	}
}

// TestSummaryJSON: /status.json has the shape of Statuspage's summary.
func TestSummaryJSON(t *testing.T) {
	f := newFixture(t)
	open := f.incidents(t)
	srv := f.server(t, "")
	code, _, body := get(t, srv.URL+"/status.json")
	if code != 200 {
		t.Fatalf("%d", code)
	}
	var s struct {
		Page struct {
			ID, Name, URL string
			UpdatedAt     time.Time `json:"updated_at"`
		}
		Status     struct{ Indicator, Description string }
		Components []struct {
			ID, Name, Status string
			Position         int
		}
		Incidents []struct {
			ID, Name, Status, Impact, Shortlink string
			IncidentUpdates                     []struct {
				ID, Status, Body string
				IncidentID       string `json:"incident_id"`
			} `json:"incident_updates"`
			Components []struct{ ID, Status string }
		}
		ScheduledMaintenances []struct {
			Name, Status   string
			ScheduledFor   *time.Time `json:"scheduled_for"`
			ScheduledUntil *time.Time `json:"scheduled_until"`
		} `json:"scheduled_maintenances"`
	}
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatal(err)
	}
	if s.Page.Name != "Travel Forum" || s.Page.URL != "https://forum.example.org/status" || s.Page.UpdatedAt.IsZero() {
		t.Errorf("page %+v", s.Page)
	}
	if s.Status.Indicator != "major" || s.Status.Description != "Partial System Outage" {
		t.Errorf("status %+v", s.Status)
	}
	if len(s.Components) != 3 || s.Components[0].ID != "forum" || s.Components[0].Status != "partial_outage" || s.Components[0].Position != 1 {
		t.Errorf("components %+v", s.Components)
	}
	if len(s.Incidents) != 1 {
		t.Fatalf("incidents %+v", s.Incidents)
	}
	i := s.Incidents[0]
	if i.Name != "Posting fails" || i.Status != "identified" || i.Impact != "major" || len(i.IncidentUpdates) != 2 ||
		i.IncidentUpdates[0].Status != "identified" || i.IncidentUpdates[0].IncidentID != i.ID || i.ID == "" ||
		len(i.Components) != 1 || i.Components[0].ID != "forum" || !strings.HasSuffix(i.Shortlink, "#incident-"+i.ID) {
		t.Errorf("incident %+v", i)
	}
	if len(s.ScheduledMaintenances) != 1 || s.ScheduledMaintenances[0].Status != "scheduled" || s.ScheduledMaintenances[0].ScheduledFor == nil {
		t.Errorf("maintenances %+v", s.ScheduledMaintenances)
	}
	var raw map[string]json.RawMessage
	json.Unmarshal([]byte(body), &raw)
	for _, k := range []string{"page", "status", "components", "incidents", "scheduled_maintenances"} {
		if raw[k] == nil {
			t.Errorf("no %q", k)
		}
	}
	_ = open
}

func TestAtomFeed(t *testing.T) {
	f := newFixture(t)
	f.incidents(t)
	srv := f.server(t, "")
	code, h, body := get(t, srv.URL+"/status/feed.atom")
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "application/atom+xml") {
		t.Fatalf("%d %s", code, h.Get("Content-Type"))
	}
	feed, err := gofeed.NewParser().ParseString(body)
	if err != nil {
		t.Fatal(err)
	}
	if feed.FeedType != "atom" || feed.Title != "Travel Forum status" || len(feed.Items) != 3 {
		t.Fatalf("feed %s %q, %d items", feed.FeedType, feed.Title, len(feed.Items))
	}
	first := feed.Items[0] // newest first: the maintenance
	if !strings.Contains(first.Title, "Search reindex") || first.UpdatedParsed == nil {
		t.Errorf("first entry %+v", first)
	}
	var posting *gofeed.Item
	for _, it := range feed.Items {
		if strings.Contains(it.Title, "Posting fails") {
			posting = it
		}
	}
	if posting == nil || !strings.HasPrefix(posting.Title, "[Identified]") || !strings.Contains(posting.Content, "disk is full") ||
		!strings.Contains(posting.Content, "We are looking &lt;into&gt; it.") || !strings.HasPrefix(posting.Link, "https://forum.example.org/status#incident-") {
		t.Errorf("incident entry %+v", posting)
	}
}

// TestAPI: the outage watcher's calls, with and without the token.
func TestAPI(t *testing.T) {
	f := newFixture(t)
	srv := f.server(t, "s3cret")
	call := func(token, path, body string) (int, map[string]any) {
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	for _, c := range []struct {
		token, path, body string
		want              int
	}{
		{"", "/api/v1/status/incidents", `{"title":"x","text":"y"}`, 401},
		{"wrong", "/api/v1/status/incidents", `{"title":"x","text":"y"}`, 401},
		{"s3cret", "/api/v1/status/incidents", `{"title":"","text":"y"}`, 422},
		{"s3cret", "/api/v1/status/incidents", `{"title":"x","text":"y","impact":"apocalyptic"}`, 422},
		{"s3cret", "/api/v1/status/incidents", `{"title":"x","text":"y","color":"red"}`, 422},
		{"s3cret", "/api/v1/status/incidents", `{"title":"Database down","text":"The forum is not answering.","impact":"critical","components":["forum"]}`, 201},
		{"s3cret", "/api/v1/status/incidents/1/updates", `{"state":"identified","text":"The server restarted."}`, 201},
		{"s3cret", "/api/v1/status/incidents/1/updates", `{"state":"scheduled","text":"no"}`, 422},
		{"s3cret", "/api/v1/status/incidents/99/updates", `{"text":"no"}`, 404},
		{"s3cret", "/api/v1/status/incidents/1/updates", `{"state":"resolved","text":"Back."}`, 201},
		{"s3cret", "/api/v1/status/components/email", `{"status":"degraded"}`, 200},
	} {
		if got, out := call(c.token, c.path, c.body); got != c.want {
			t.Errorf("%s %s: %d %v", c.path, c.body, got, out)
		}
	}
	p := f.page.Get()
	inc, ok := p.Incident(1)
	if !ok || inc.State != status.Resolved || len(inc.Updates) != 3 {
		t.Fatalf("incident after the API: %+v", inc)
	}
	if c, _ := p.Component("email"); c.Status != status.Degraded {
		t.Errorf("email %s", c.Status)
	}
	off := newFixture(t).server(t, "")
	req, _ := http.NewRequest("POST", off.URL+"/api/v1/status/incidents", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer ")
	if resp, _ := http.DefaultClient.Do(req); resp.StatusCode != 404 {
		t.Errorf("API without a token configured: %d", resp.StatusCode)
	}
}

// TestPublish: the published directory, served by a plain file server,
// is the status page.
func TestPublish(t *testing.T) {
	f := newFixture(t)
	f.incidents(t)
	out := t.TempDir()
	r := NewRenderer(f.site)
	if err := Publish(out, r, f.page.Get(), f.mode.Get(), time.Now()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(out)))
	defer srv.Close()
	code, _, body := get(t, srv.URL+"/")
	if code != 200 || !strings.Contains(body, "Posting fails") || !strings.Contains(body, `href="style.css"`) || !strings.Contains(body, `href="https://forum.example.org"`) {
		t.Fatalf("index: %d\n%s", code, body)
	}
	for _, p := range []string{"/style.css", "/status.json", "/feed.atom"} {
		if code, _, b := get(t, srv.URL+p); code != 200 || len(b) == 0 {
			t.Errorf("%s: %d", p, code)
		}
	}
	_, _, js := get(t, srv.URL+"/status.json")
	if !json.Valid([]byte(js)) || !strings.Contains(js, `"indicator": "major"`) {
		t.Errorf("status.json %s", js)
	}
	if _, err := gofeed.NewParser().ParseString(func() string { _, _, b := get(t, srv.URL+"/feed.atom"); return b }()); err != nil {
		t.Error(err)
	}
}

// TestPublisherFollowsOtherProcesses: a change made through another store
// on the same files (as `hearth status` is) is published by itself, and
// the command runs after.
func TestPublisherFollowsOtherProcesses(t *testing.T) {
	f := newFixture(t)
	out := t.TempDir()
	marker := t.TempDir() + "/ran"
	p := &Publisher{Dir: out, Cmd: "ls \"$HEARTH_STATUS_DIR\" > " + marker, Page: f.page, Mode: f.mode, Renderer: NewRenderer(f.site),
		Log: slog.New(slog.DiscardHandler), Debounce: 50 * time.Millisecond, Poll: 20 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { p.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()
	other, err := status.OpenPage(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	waitFile(t, out+"/index.html", "All Systems Operational")
	if _, err := other.Open(status.NewIncident{Title: "Search is slow", Text: "Looking.", Components: []string{"search"}}); err != nil {
		t.Fatal(err)
	}
	waitFile(t, out+"/index.html", "Search is slow")
	waitFile(t, marker, "index.html")
}

func waitFile(t *testing.T, name, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(name); err == nil && bytes.Contains(b, []byte(want)) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never contained %q", name, want)
}
