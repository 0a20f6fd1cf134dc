package app_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"hearth/internal/forum"
	"hearth/internal/store/storetest"
)

// TestFrontPage: the front page is the latest threads by default, as each
// reader may see them, with the categories one tap away; the admin makes
// the categories the front page, names the community and writes the
// guests' introduction (markdown, sanitized); only admins may; a guest's
// cached front page follows replies and the settings; the cursor pages.
func TestFrontPage(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			a := start(t, engine)
			ctx, svc := t.Context(), a.Service
			admin, err := svc.CreateMember(ctx, adminMember())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.CreateMember(ctx, forum.NewMember{Email: "mia@example.org", Name: "Mia Member", Password: "member-password"}); err != nil {
				t.Fatal(err)
			}
			pub, _ := svc.CreateCategory(ctx, admin, forum.CategoryInput{Name: "Destinations"})
			lounge, _ := svc.CreateCategory(ctx, admin, forum.CategoryInput{Name: "Lounge", MembersOnly: true})
			lisbon, _, err := svc.CreateThread(ctx, admin, forum.NewThread{CategoryID: pub.ID, Title: "Lisbon in March", Body: "Who has been?"})
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := svc.CreateThread(ctx, admin, forum.NewThread{CategoryID: lounge.ID, Title: "Members gossip", Body: "Psst."}); err != nil {
				t.Fatal(err)
			}
			guest, mia, root := newBrowser(t, a.URL()), newBrowser(t, a.URL()), newBrowser(t, a.URL())
			for _, b := range []struct {
				b           *browser
				email, pass string
			}{{mia, "mia@example.org", "member-password"}, {root, "root@example.org", "owner-password"}} {
				if p := b.b.post("/login", url.Values{"email": {b.email}, "password": {b.pass}}); p.status != 303 {
					t.Fatalf("log in %s: %d", b.email, p.status)
				}
			}
			catLink := fmt.Sprintf(`<a class="cat" href="/c/%d/%s">Destinations</a>`, pub.ID, pub.Slug)

			// The default: the latest threads, what each reader may read.
			p := guest.get("/")
			expect(t, "guest front page", p, 200, `<a href="/" aria-current="page">Latest</a>`, `<a href="/categories">Categories</a>`,
				"Lisbon in March", catLink, "<title>Hearth</title>", `<time datetime="`)
			if strings.Contains(p.body, "Members gossip") {
				t.Fatal("a guest sees a members-only thread on the front page")
			}
			expect(t, "member front page", mia.get("/"), 200, "Lisbon in March", "Members gossip", `<span class="badge new">New</span>`, "Mark everything read")
			expect(t, "the categories", guest.get("/categories"), 200, `<a href="/categories" aria-current="page">Categories</a>`, ">Destinations</a>", "1 thread",
				"<title>Categories · Hearth</title>")
			expect(t, "the latest threads at /latest", guest.get("/latest"), 200, "Lisbon in March", `<link rel="canonical" href="`)

			// A reply moves the guest's cached front page.
			_, _, err = svc.CreateThread(ctx, admin, forum.NewThread{CategoryID: pub.ID, Title: "Porto by train", Body: "Tips?"})
			if err != nil {
				t.Fatal(err)
			}
			if p := guest.get("/"); strings.Index(p.body, "Porto by train") < 0 || strings.Index(p.body, "Porto by train") > strings.Index(p.body, "Lisbon in March") {
				t.Fatalf("the new thread is not first on the guest's front page:\n%s", p.body)
			}
			if _, err := svc.Reply(ctx, admin, lisbon.ID, "Me, last year.", 0); err != nil {
				t.Fatal(err)
			}
			if p := guest.get("/"); strings.Index(p.body, "Lisbon in March") > strings.Index(p.body, "Porto by train") {
				t.Fatalf("the replied thread did not move up on the guest's front page:\n%s", p.body)
			}

			// Paging by cursor, 2 a page, as Mia (members' pages are not cached).
			svc.ThreadsPerPage = 2
			p = mia.get("/")
			older := regexp.MustCompile(`href="(/\?before=[0-9.]+)">Older`).FindStringSubmatch(p.body)
			if older == nil {
				t.Fatalf("no Older link:\n%s", p.body)
			}
			p = mia.get(older[1])
			expect(t, "the older page", p, 200, "Members gossip", `<meta name="robots" content="noindex">`, `href="/">‹ Newest</a>`)
			if strings.Contains(p.body, "Older") || strings.Contains(p.body, "Porto by train") {
				t.Errorf("the last page links to an older one:\n%s", p.body)
			}
			svc.ThreadsPerPage = 30
			for _, bad := range []string{"/?before=x", "/?before=1.-2", "/latest?before=12"} {
				expect(t, bad, guest.get(bad), 404)
			}

			// Only admins change the settings.
			form := url.Values{"name": {"Travel Agents Club"}, "home": {"categories"}, "intro": {"**Welcome**, agents. <script>alert(1)</script>"}}
			if p := mia.post("/admin/community", form); p.status != 403 {
				t.Fatalf("a member changes the community: %d", p.status)
			}
			if p := guest.post("/admin/community", form); p.status != 401 && p.status != 403 {
				t.Fatalf("a guest changes the community: %d", p.status)
			}
			expect(t, "a refused front page choice keeps the input", root.post("/admin/community", url.Values{"name": {"Keep me"}, "home": {"forums"}}), 422,
				"front page", `value="Keep me"`)
			expect(t, "the admin's form", root.get("/admin/community"), 200, `name="name"`, `value="latest" checked`)
			if p := root.post("/admin/community", form); p.status != 303 || p.loc != "/admin/community?saved=1" {
				t.Fatalf("save the community: %d %q\n%s", p.status, p.loc, p.body)
			}
			expect(t, "saved", root.get("/admin/community?saved=1"), 200, "Saved.", `value="Travel Agents Club"`, `value="categories" checked`)

			// The categories are the front page now, with the new name; the
			// latest threads one tap away; the introduction for guests only.
			p = guest.get("/")
			expect(t, "guest front page, categories", p, 200, `<a href="/" aria-current="page">Categories</a>`, `<a href="/latest">Latest</a>`,
				">Destinations</a>", `<a class="brand" href="/">Travel Agents Club</a>`, "<title>Travel Agents Club</title>",
				`<section class="intro"`, "<strong>Welcome</strong>, agents.")
			if strings.Contains(p.body, "<script>alert") {
				t.Fatalf("the introduction is not sanitized:\n%s", p.body)
			}
			if p := mia.get("/"); strings.Contains(p.body, `class="intro"`) || !strings.Contains(p.body, "Travel Agents Club") {
				t.Fatalf("a member's front page: intro shown or the name missing:\n%s", p.body)
			}
			expect(t, "latest, not the front page", guest.get("/latest"), 200, `<a href="/latest" aria-current="page">Latest</a>`, "Lisbon in March",
				"<title>Latest · Travel Agents Club</title>", `<section class="intro"`)
			expect(t, "other pages have the name", guest.get(fmt.Sprintf("/t/%d/%s", lisbon.ID, lisbon.Slug)), 200,
				"<title>Lisbon in March · Travel Agents Club</title>")

			// Back to the latest threads, and the configured name.
			if p := root.post("/admin/community", url.Values{"home": {"latest"}}); p.status != 303 {
				t.Fatalf("save the community: %d", p.status)
			}
			expect(t, "back to latest", guest.get("/"), 200, `<a href="/" aria-current="page">Latest</a>`, "<title>Hearth</title>")
		})
	}
}

// TestTimesInReadersZone: a post's time is in each reader's zone (Mia's
// Tokyo, a guest's UTC), although the post's header is cached once for
// both; lists likewise; a change of zone shows at once.
func TestTimesInReadersZone(t *testing.T) {
	a := start(t, "sqlite")
	ctx, svc := t.Context(), a.Service
	admin, err := svc.CreateMember(ctx, adminMember())
	if err != nil {
		t.Fatal(err)
	}
	mia, err := svc.CreateMember(ctx, forum.NewMember{Email: "mia@example.org", Name: "Mia Member", Password: "member-password"})
	if err != nil {
		t.Fatal(err)
	}
	cat, _ := svc.CreateCategory(ctx, admin, forum.CategoryInput{Name: "Destinations"})
	th, _, err := svc.CreateThread(ctx, admin, forum.NewThread{CategoryID: cat.ID, Title: "Lisbon in March", Body: "Who has been?"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetMailPrefs(ctx, mia, forum.MailPrefsUpdate{TimeZone: "Asia/Tokyo"}); err != nil {
		t.Fatal(err)
	}
	guest, b := newBrowser(t, a.URL()), newBrowser(t, a.URL())
	if p := b.post("/login", url.Values{"email": {"mia@example.org"}, "password": {"member-password"}}); p.status != 303 {
		t.Fatalf("log in: %d", p.status)
	}
	zoneOf := regexp.MustCompile(`<time datetime="[^"]+" title="[^"]+ (\w+)">now</time>`)
	zones := func(who string, p page) string {
		t.Helper()
		m := zoneOf.FindAllStringSubmatch(p.body, -1)
		if p.status != 200 || len(m) == 0 {
			t.Fatalf("%s: %d, no time of now:\n%s", who, p.status, p.body)
		}
		return m[0][1]
	}
	tu := fmt.Sprintf("/t/%d/%s", th.ID, th.Slug)
	if z := zones("guest's thread", guest.get(tu)); z != "UTC" {
		t.Errorf("a guest's time is in %s", z)
	}
	cores := a.CacheStats()["post_cores"]
	if z := zones("Mia's thread", b.get(tu)); z != "JST" {
		t.Errorf("Mia's time is in %s, want JST", z)
	}
	if now := a.CacheStats()["post_cores"]; now.Hits <= cores.Hits {
		t.Errorf("Mia's page rendered the post's core again: %+v then %+v", cores, now)
	}
	if z := zones("Mia's latest", b.get("/")); z != "JST" {
		t.Errorf("Mia's list time is in %s, want JST", z)
	}
	if _, err := svc.SetMailPrefs(ctx, mia, forum.MailPrefsUpdate{TimeZone: "Asia/Kolkata"}); err != nil {
		t.Fatal(err)
	}
	if z := zones("Mia's thread", b.get(tu)); z != "IST" {
		t.Errorf("after moving to Kolkata (no daylight saving time), Mia's time is in %s, want IST", z)
	}
}
