package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"hearth/internal/app"
	"hearth/internal/status"
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
