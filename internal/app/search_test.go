package app_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"

	"hearth/internal/forum"
)

// TestSearchSurfaces: the header's box on every page, the results page
// with its filters, pagination and safe snippets, the API's answer and its
// errors, members-only results for members only; on both engines.
func TestSearchSurfaces(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			a, admin, mia := accountsForum(t, engine)
			ctx, svc := t.Context(), a.Service
			pub, _ := svc.CreateCategory(ctx, admin, forum.CategoryInput{Name: "Cruises"})
			club, _ := svc.CreateCategory(ctx, admin, forum.CategoryInput{Name: "Club", MembersOnly: true})
			th, _, err := svc.CreateThread(ctx, admin, forum.NewThread{CategoryID: pub.ID, Title: "Fjord cruise deals",
				Body: "The fjord <script>alert(1)</script> cruise & ferry deals are <b>back</b>."})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 25 {
				if _, err := svc.Reply(ctx, mia, th.ID, "Another fjord reply number "+strconv.Itoa(i), 0); err != nil {
					t.Fatal(err)
				}
			}
			if _, _, err := svc.CreateThread(ctx, admin, forum.NewThread{CategoryID: club.ID, Title: "Club fjord secrets",
				Body: "Members only fjord talk."}); err != nil {
				t.Fatal(err)
			}

			guest := newBrowser(t, a.URL())
			expect(t, "the header box", guest.get("/"), 200, `role="search"`, `action="/search"`, `name="q"`)
			p := guest.get("/search?q=" + url.QueryEscape("fjord deals"))
			expect(t, "results", p, 200, `1 result for “fjord deals”`, "<mark>Fjord</mark>", "<mark>deals</mark>",
				"&lt;script&gt;", `href="/p/`)
			if strings.Contains(p.body, "<script>alert") || strings.Contains(p.body, "<b>back") {
				t.Error("member HTML reached the results page")
			}
			p = guest.get("/search?q=fjord")
			expect(t, "a guest's results", p, 200, "26 results", `rel="next"`, "&amp;page=2")
			if strings.Contains(p.body, "Club fjord") {
				t.Error("a guest found a members-only thread")
			}
			expect(t, "page 2", guest.get("/search?q=fjord&page=2"), 200, "26 results", `rel="prev"`)
			expect(t, "past the last page", guest.get("/search?q=fjord&page=9"), 404)
			expect(t, "nothing found", guest.get("/search?q=zanzibar"), 200, "Nothing found.")
			expect(t, "only exclusions", guest.get("/search?q=-fjord"), 200, "Add a word to search for")
			expect(t, "hostile", guest.get("/search?q="+url.QueryEscape(`"NEAR( title: * -`)), 200)
			expect(t, "empty form", guest.get("/search"), 200, `id="q"`, `<details class="filters" open>`)
			p = guest.get("/search?q=fjord&from=yesterday")
			expect(t, "bad date", p, 422, "from must be a date", `value="yesterday"`, `value="fjord"`,
				`<details class="filters" open>`) // the wrong filter is in sight
			p = guest.get("/search?q=fjord&first=1&category=" + itoa(int(pub.ID)))
			expect(t, "first posts", p, 200, "1 result", "Filters · 2 on")
			if strings.Contains(p.body, `<details class="filters" open>`) {
				t.Error("the filters are unfolded above the results")
			}

			member := newBrowser(t, a.URL())
			member.post("/login", url.Values{"email": {"mia@example.org"}, "password": {miaPassword}})
			expect(t, "a member's results", member.get("/search?q=secrets"), 200, "Club fjord <mark>secrets</mark>")
			expect(t, "in this thread", member.get("/search?q=secrets&thread="+itoa(int(th.ID))), 200, "Nothing found.")

			status, body := api(t, a.URL(), "GET", "/api/v1/search?q=fjord&first=1", "", nil)
			results, _ := body["results"].([]any)
			if status != 200 || len(results) != 1 || body["total"] != float64(1) {
				t.Fatalf("API search: %d %v", status, body)
			}
			r := results[0].(map[string]any)
			if r["thread_title"] != "Fjord cruise deals" || !strings.Contains(r["snippet_html"].(string), "<mark>fjord</mark>") ||
				!strings.HasPrefix(r["url"].(string), "/p/") {
				t.Errorf("API hit: %v", r)
			}
			token := apiLogin(t, a, "mia@example.org", miaPassword)
			if _, body := api(t, a.URL(), "GET", "/api/v1/search?q=secrets", token, nil); body["total"] != float64(1) {
				t.Errorf("a member's API search: %v", body)
			}
			if status, body := api(t, a.URL(), "GET", "/api/v1/search?q=fjord&author=ada", "", nil); status != 422 || body["field"] != "author" {
				t.Errorf("bad author: %d %v", status, body)
			}
			if status, _ := api(t, a.URL(), "GET", "/api/v1/search?q=fjord&page=0", "", nil); status != 400 {
				t.Errorf("page 0: %d", status)
			}
			if status, body := api(t, a.URL(), "GET", "/api/v1/search?q=*", "", nil); status != 200 || body["message"] == "" {
				t.Errorf("nothing to search: %d %v", status, body)
			}
		})
	}
}
