package app_test

import (
	"html"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"hearth/internal/store/storetest"
)

// hugeTable is the body of the finding "one post can take gigabytes": 12 KB
// of markdown, a table of 2,000 columns and 2,000 one-cell rows, that
// goldmark padded to 4 million cells (9 s, 1.4 GB, 40 MB of HTML stored).
func hugeTable() string {
	return strings.Repeat("|a", 2000) + "|\n" + strings.Repeat("|-", 2000) + "|\n" + strings.Repeat("a\n", 2000)
}

const hugeTableMsg = "This table has 2,000 columns; posts can have tables of at most 64 columns."

// TestRenderLimitsRefuseHugeTable: a reply or an edit whose body is too big
// to render gets a 422 that says why (JSON in the API; on the web the form
// comes back with the text kept), and nothing is stored.
func TestRenderLimitsRefuseHugeTable(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			a := start(t, engine)
			base := a.URL()
			if _, err := a.Service.CreateMember(t.Context(), adminMember()); err != nil {
				t.Fatal(err)
			}
			tok := apiLogin(t, a, "root@example.org", "owner-password")
			_, out := api(t, base, "POST", "/api/v1/categories", tok, map[string]any{"name": "Suppliers"})
			cat := out["id"].(float64)
			st, out := api(t, base, "POST", "/api/v1/threads", tok, map[string]any{"category_id": cat, "title": "Rates for May", "body": "See the table below."})
			if st != 201 {
				t.Fatalf("create thread: %d %v", st, out)
			}
			tid, threadURL := strconv.Itoa(int(out["id"].(float64))), out["url"].(string)
			pid := strconv.Itoa(int(out["post_id"].(float64)))

			// API: reply and edit.
			st, out = api(t, base, "POST", "/api/v1/threads/"+tid+"/posts", tok, map[string]any{"body": hugeTable()})
			if st != 422 || out["error"] != hugeTableMsg {
				t.Fatalf("API reply with the table: %d %v", st, out)
			}
			st, out = api(t, base, "PATCH", "/api/v1/posts/"+pid, tok, map[string]any{"body": hugeTable()})
			if st != 422 || out["error"] != hugeTableMsg {
				t.Fatalf("API edit with the table: %d %v", st, out)
			}
			st, out = api(t, base, "GET", "/api/v1/threads/"+tid, "", nil)
			posts, _ := out["posts"].([]any)
			if st != 200 || len(posts) != 1 || posts[0].(map[string]any)["body"] != "See the table below." {
				t.Fatalf("thread after the refusals: %d %v", st, out)
			}

			// Web: the reply and edit forms come back with the text kept.
			b := newBrowser(t, base)
			if p := b.post("/login", url.Values{"email": {"root@example.org"}, "password": {"owner-password"}}); p.status != 303 {
				t.Fatalf("web login: %d\n%s", p.status, p.body)
			}
			kept := `aria-describedby="form-error">` + html.EscapeString(hugeTable()) + "</textarea>"
			expect(t, "web reply with the table", b.post("/t/"+tid+"/reply", url.Values{"body": {hugeTable()}}), 422, hugeTableMsg, kept)
			expect(t, "web edit with the table", b.post("/p/"+pid+"/edit", url.Values{"body": {hugeTable()}}), 422, hugeTableMsg, kept)
			expect(t, "thread after the refusals", b.get(threadURL), 200, "See the table below.")
		})
	}
}
