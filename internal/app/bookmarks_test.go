package app_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"

	"hearth/internal/forum"
	"hearth/internal/store/storetest"
)

// TestBookmarksWeb: Mia bookmarks a post from its thread page (served
// from the shared shell, her button filled in), finds it on /bookmarks,
// Bob's page of the same thread stays unmarked, and she removes it from
// /bookmarks; posts in a category she can no longer read leave the list.
func TestBookmarksWeb(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			a, admin, mia := accountsForum(t, engine)
			ctx, svc := t.Context(), a.Service
			_, err := svc.CreateMember(ctx, forum.NewMember{Email: "bob@example.org", Name: "Bob Member", Password: "bob-password-1"})
			if err != nil {
				t.Fatal(err)
			}
			cat, err := svc.CreateCategory(ctx, admin, forum.CategoryInput{Name: "General"})
			if err != nil {
				t.Fatal(err)
			}
			th, first, err := svc.CreateThread(ctx, admin, forum.NewThread{CategoryID: cat.ID, Title: "Ferry timetables", Body: "The **Lisbon** ferries run late in summer."})
			if err != nil {
				t.Fatal(err)
			}
			reply, err := svc.Reply(ctx, admin, th.ID, "A reply to keep", 0)
			if err != nil {
				t.Fatal(err)
			}
			path := "/t/" + strconv.FormatInt(th.ID, 10) + "/" + th.Slug
			pid := strconv.FormatInt(reply.ID, 10)
			button := `action="/p/` + pid + `/bookmark"`

			m := webLogin(t, a, "mia@example.org", miaPassword)
			b := webLogin(t, a, "bob@example.org", "bob-password-1")
			expect(t, "Bob's page first (renders the shell)", b.get(path), 200, button, ">Bookmark</button>")
			expect(t, "Mia's page before", m.get(path), 200, button, `name="on" value="1"`)
			expect(t, "no bookmarks yet", m.get("/bookmarks"), 200, "No bookmarks yet")

			p := m.post("/p/"+pid+"/bookmark", url.Values{"on": {"1"}})
			if p.status != 303 || p.loc != path+"#p"+pid {
				t.Fatalf("bookmark: %d %q", p.status, p.loc)
			}
			mp := m.get(path)
			expect(t, "Mia's page after", mp, 200, "Remove bookmark")
			if n := strings.Count(mp.body, "Remove bookmark"); n != 1 {
				t.Errorf("Mia's page has %d marked posts, want 1", n)
			}
			if bp := b.get(path); strings.Contains(bp.body, "Remove bookmark") {
				t.Error("Bob's page shows Mia's bookmark")
			}
			// Twice is the same as once.
			m.post("/p/"+pid+"/bookmark", url.Values{"on": {"1"}})
			if _, err := svc.Reply(ctx, admin, th.ID, "later words", 0); err != nil { // the shell renders again
				t.Fatal(err)
			}
			expect(t, "marked after a reply", m.get(path), 200, "Remove bookmark", "later words")
			m.post("/p/"+strconv.FormatInt(first.ID, 10)+"/bookmark", url.Values{"on": {"1"}})

			list := m.get("/bookmarks")
			expect(t, "bookmarks", list, 200, "2 bookmarks", `href="/p/`+pid+`"`, "A reply to keep", "Lisbon ferries run late", "Ferry timetables")
			if i, j := strings.Index(list.body, `href="/p/`+pid+`"`), strings.Index(list.body, `href="/p/`+strconv.FormatInt(first.ID, 10)+`"`); j < 0 || i < j {
				t.Error("bookmarks not newest first: the first post, bookmarked last, comes first")
			}
			expect(t, "guests have none", newBrowser(t, a.URL()).get("/bookmarks"), 303)

			p = m.post("/p/"+pid+"/bookmark", url.Values{"on": {"0"}, "next": {"/bookmarks"}})
			if p.status != 303 || p.loc != "/bookmarks" {
				t.Fatalf("remove: %d %q", p.status, p.loc)
			}
			expect(t, "after removal", m.get("/bookmarks"), 200, "1 bookmark")
			if mp := m.get(path); strings.Count(mp.body, "Remove bookmark") != 1 {
				t.Error("thread page still marks the removed bookmark, or lost the other")
			}

			// A post she may no longer read is left out.
			if _, err := svc.UpdateCategory(ctx, admin, cat.ID, forum.CategoryInput{Name: "General", StaffOnly: true}); err != nil {
				t.Fatal(err)
			}
			expect(t, "hidden category", m.get("/bookmarks"), 200, "0 bookmarks")
			expect(t, "bookmarking a post she cannot see", m.post("/p/"+pid+"/bookmark", url.Values{"on": {"1"}}), 404)
			expect(t, "bookmarking nothing", m.post("/p/999999/bookmark", url.Values{"on": {"1"}}), 404)
			expect(t, "a bad page", m.get("/bookmarks?page=x"), 400)
			_ = mia
		})
	}
}

// TestBookmarksAPI runs the bookmark endpoints.
func TestBookmarksAPI(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			a, admin, _ := accountsForum(t, engine)
			ctx, svc, base := t.Context(), a.Service, a.URL()
			cat, err := svc.CreateCategory(ctx, admin, forum.CategoryInput{Name: "General"})
			if err != nil {
				t.Fatal(err)
			}
			th, first, err := svc.CreateThread(ctx, admin, forum.NewThread{CategoryID: cat.ID, Title: "Cruise lines", Body: "Which cruise lines pay commission on time?"})
			if err != nil {
				t.Fatal(err)
			}
			tok := apiLogin(t, a, "mia@example.org", miaPassword)
			id := strconv.FormatInt(first.ID, 10)
			for _, tt := range []struct {
				method, path, token string
				status              int
			}{
				{"GET", "/api/v1/bookmarks", "", 401},
				{"POST", "/api/v1/posts/" + id + "/bookmark", "", 401},
				{"POST", "/api/v1/posts/" + id + "/bookmark", tok, 204},
				{"POST", "/api/v1/posts/" + id + "/bookmark", tok, 204},
				{"POST", "/api/v1/posts/999999/bookmark", tok, 404},
				{"POST", "/api/v1/posts/abc/bookmark", tok, 404},
				{"GET", "/api/v1/bookmarks?page=0", tok, 400},
				{"GET", "/api/v1/bookmarks?page=2", tok, 404},
			} {
				if st, out := api(t, base, tt.method, tt.path, tt.token, nil); st != tt.status {
					t.Errorf("%s %s: %d %v, want %d", tt.method, tt.path, st, out, tt.status)
				}
			}
			st, out := api(t, base, "GET", "/api/v1/bookmarks", tok, nil)
			bs, _ := out["bookmarks"].([]any)
			if st != 200 || len(bs) != 1 || out["total"] != float64(1) {
				t.Fatalf("list: %d %v", st, out)
			}
			b := bs[0].(map[string]any)
			if b["post_id"] != float64(first.ID) || b["thread_title"] != "Cruise lines" || b["url"] != "/p/"+id ||
				!strings.Contains(b["excerpt"].(string), "cruise lines pay commission") || b["thread_url"] != "/t/"+strconv.FormatInt(th.ID, 10)+"/"+th.Slug {
				t.Errorf("bookmark: %v", b)
			}
			// A deleted post leaves the list; the bookmark can still be taken back.
			if _, err := svc.Reply(ctx, admin, th.ID, "keep the thread", 0); err != nil {
				t.Fatal(err)
			}
			if err := svc.DeletePost(ctx, admin, first.ID); err != nil {
				t.Fatal(err)
			}
			if st, out := api(t, base, "GET", "/api/v1/bookmarks", tok, nil); st != 200 || out["total"] != float64(0) {
				t.Errorf("after deletion: %d %v", st, out)
			}
			if st, out := api(t, base, "DELETE", "/api/v1/posts/"+id+"/bookmark", tok, nil); st != 204 {
				t.Errorf("delete: %d %v", st, out)
			}
			if st, out := api(t, base, "DELETE", "/api/v1/posts/"+id+"/bookmark", tok, nil); st != 204 {
				t.Errorf("delete again: %d %v", st, out)
			}
		})
	}
}
