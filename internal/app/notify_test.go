package app_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"hearth/internal/forum"
	"hearth/internal/store/storetest"
)

// eventually polls cond for up to 10 s: notifications are written by the
// event consumer, a moment after the write that causes them.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("%s: not within 10 s", what)
}

var bellCount = regexp.MustCompile(`aria-label="Notifications: (\d+) unread"`)

func bell(t *testing.T, b *browser) string {
	t.Helper()
	m := bellCount.FindStringSubmatch(b.get("/").body)
	if m == nil {
		t.Fatal("no bell on the front page")
	}
	return m[1]
}

// TestSocialFlow: handles at registration, a mention notifying through
// the consumer (API and bell), likes with their counts on cached pages,
// muting, watching a category, a handle change and its redirect.
func TestSocialFlow(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			a := start(t, engine)
			ctx, svc, base := t.Context(), a.Service, a.URL()
			ada, err := svc.CreateMember(ctx, forum.NewMember{Email: "ada@example.org", Name: "Ada Admin", Password: "owner-password", Role: forum.RoleAdmin})
			if err != nil {
				t.Fatal(err)
			}
			cat, err := svc.CreateCategory(ctx, ada, forum.CategoryInput{Name: "Lounge"})
			if err != nil {
				t.Fatal(err)
			}
			// Handles: chosen through the API, taken, made from the name on the web form.
			st, out := api(t, base, "POST", "/api/v1/members", "", map[string]any{"email": "bob@example.org", "name": "Bob Builder", "handle": "@Bobby", "password": "member-password"})
			if st != 202 {
				t.Fatalf("register bob: %d %v", st, out)
			}
			st, out = api(t, base, "POST", "/api/v1/members", "", map[string]any{"email": "x@example.org", "name": "Xavier", "handle": "bobby", "password": "member-password"})
			if st != 422 || out["field"] != "handle" {
				t.Fatalf("taken handle: %d %v", st, out)
			}
			guest := newBrowser(t, base)
			p := guest.post("/register", url.Values{"email": {"cy@example.org"}, "name": {"Cy Ørsted"}, "handle": {"no spaces"}, "password": {"member-password"}})
			expect(t, "bad handle", p, 422, "A handle is 3 to 20 characters", `value="Cy Ørsted"`)
			p = guest.post("/register", url.Values{"email": {"cy@example.org"}, "name": {"Cy Ørsted"}, "password": {"member-password"}})
			if p.status != 303 {
				t.Fatalf("register cy: %d %s", p.status, p.body)
			}
			confirmMember(t, a, "bob@example.org")
			confirmMember(t, a, "cy@example.org")
			bobTok := apiLogin(t, a, "bob@example.org", "member-password")
			_, me := api(t, base, "GET", "/api/v1/me", bobTok, nil)
			bobID := int64(me["id"].(float64))
			if me["handle"] != "bobby" {
				t.Errorf("bob's handle = %v", me["handle"])
			}
			cy, _ := a.Store.MemberByEmail(ctx, "cy@example.org")
			if cy.Handle != "cy_orsted" {
				t.Errorf("cy's handle = %q, want cy_orsted", cy.Handle)
			}

			// A mention: bob hears of it in the API and on the bell.
			adaWeb, bobWeb := webLogin(t, a, "ada@example.org", "owner-password"), webLogin(t, a, "bob@example.org", "member-password")
			if n := bell(t, bobWeb); n != "0" {
				t.Fatalf("bob's bell before = %s", n)
			}
			p = adaWeb.post(fmt.Sprintf("/c/%d/new", cat.ID), url.Values{"title": {"Ferry timetables"}, "body": {"What do you think, @bobby?"}})
			if p.status != 303 {
				t.Fatalf("new thread: %d %s", p.status, p.body)
			}
			thread := p.loc
			tp := guest.get(thread)
			expect(t, "the mention links", tp, 200, `<a href="/u/bobby" class="mention" rel="nofollow ugc noopener">@bobby</a>`)
			eventually(t, "bob's mention", func() bool { return bell(t, bobWeb) == "1" })
			_, out = api(t, base, "GET", "/api/v1/notifications", bobTok, nil)
			ns := out["notifications"].([]any)
			if len(ns) != 1 || ns[0].(map[string]any)["text"] != "Ada Admin mentioned you in Ferry timetables" {
				t.Fatalf("bob's notifications: %v", out)
			}
			expect(t, "notifications page", bobWeb.get("/notifications"), 200, "Ada Admin mentioned you in", "Ferry timetables", "Mark all read")

			// A like: the count on pages cached before it, for guests and members.
			firstPost := int64(ns[0].(map[string]any)["post_id"].(float64))
			expect(t, "member page before the like", adaWeb.get(thread), 200)
			if st, _ := api(t, base, "POST", fmt.Sprintf("/api/v1/posts/%d/like", firstPost), bobTok, nil); st != 204 {
				t.Fatalf("like: %d", st)
			}
			if st, _ := api(t, base, "POST", fmt.Sprintf("/api/v1/posts/%d/like", firstPost), bobTok, nil); st != 204 {
				t.Fatalf("like again: %d", st)
			}
			expect(t, "guest page after the like", guest.get(thread), 200, "1 like")
			expect(t, "member page after the like", adaWeb.get(thread), 200, "1 like")
			expect(t, "bob's page shows Unlike", bobWeb.get(thread), 200, `aria-pressed="true">Unlike`)
			adaTok := apiLogin(t, a, "ada@example.org", "owner-password")
			if st, out := api(t, base, "POST", fmt.Sprintf("/api/v1/posts/%d/like", firstPost), adaTok, nil); st != 422 || !strings.Contains(out["error"].(string), "own post") {
				t.Errorf("liking one's own post: %d %v", st, out)
			}
			eventually(t, "ada's like notification", func() bool {
				_, out := api(t, base, "GET", "/api/v1/notifications", adaTok, nil)
				ns, _ := out["notifications"].([]any)
				return len(ns) == 1 && ns[0].(map[string]any)["text"] == "Bob Builder liked your post in Ferry timetables"
			})
			_, out = api(t, base, "GET", fmt.Sprintf("/api/v1/members/%d/likes", bobID), "", nil)
			if ps := out["posts"].([]any); len(ps) != 1 {
				t.Errorf("bob's likes: %v", out)
			}
			_, out = api(t, base, "GET", fmt.Sprintf("/api/v1/members/%d", ada.ID), "", nil)
			if out["likes_received"] != float64(1) {
				t.Errorf("ada's likes received: %v", out)
			}
			expect(t, "unlike on the web", bobWeb.post(fmt.Sprintf("/p/%d/like", firstPost), url.Values{"undo": {"1"}}), 303)
			if p := guest.get(thread); strings.Contains(p.body, "1 like") {
				t.Error("the like count stayed after the unlike")
			}

			// Muting a thread hides it from bob's category list, not ada's.
			threadID := strings.Split(thread, "/")[2]
			if st, out := api(t, base, "PUT", "/api/v1/threads/"+threadID+"/level", bobTok, map[string]any{"level": "muted"}); st != 200 {
				t.Fatalf("mute: %d %v", st, out)
			}
			catPage := fmt.Sprintf("/c/%d/lounge", cat.ID)
			if p := bobWeb.get(catPage); strings.Contains(p.body, "Ferry timetables") {
				t.Error("bob's list shows the muted thread")
			}
			expect(t, "ada's list", adaWeb.get(catPage), 200, "Ferry timetables")
			expect(t, "thread page shows the level", bobWeb.get(thread), 200, `<option value="muted" selected>`)

			// Watching the category (the web form): a new thread there notifies bob.
			expect(t, "watch the category", bobWeb.post(fmt.Sprintf("/c/%d/level", cat.ID), url.Values{"level": {"watching"}}), 303)
			expect(t, "category form shows watching", bobWeb.get(catPage), 200, `<option value="watching" selected>`)
			if _, _, err := svc.CreateThread(ctx, ada, forum.NewThread{CategoryID: cat.ID, Title: "Cruise pricing", Body: "New rates."}); err != nil {
				t.Fatal(err)
			}
			eventually(t, "bob's new-thread notification", func() bool {
				return strings.Contains(bobWeb.get("/notifications").body, "Ada Admin started a thread in a category you watch:")
			})
			expect(t, "mark all read", bobWeb.post("/notifications/read", nil), 303)
			if n := bell(t, bobWeb); n != "0" {
				t.Errorf("bell after marking all read = %s", n)
			}

			// A handle change: the old handle still leads to bob.
			p = bobWeb.post(fmt.Sprintf("/m/%d/handle", bobID), url.Values{"handle": {"ada_admin"}})
			expect(t, "taken handle on the profile", p, 422, "@ada_admin is taken")
			expect(t, "change handle", bobWeb.post(fmt.Sprintf("/m/%d/handle", bobID), url.Values{"handle": {"Bob_The_Builder"}}), 303)
			for _, c := range []struct {
				path   string
				status int
			}{{"/u/bob_the_builder", 301}, {"/u/bobby", 302}, {"/u/BOBBY", 302}, {"/u/nobody_at_all", 404}, {"/u/x", 404}} {
				p := guest.get(c.path)
				if p.status != c.status || (c.status < 400 && p.loc != fmt.Sprintf("/m/%d", bobID)) {
					t.Errorf("%s: %d %q", c.path, p.status, p.loc)
				}
			}
		})
	}
}
