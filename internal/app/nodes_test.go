package app_test

import (
	"hearth/internal/status"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"hearth/internal/app"
	"hearth/internal/app/apptest"
	"hearth/internal/forum"
	"hearth/internal/store/storetest"
)

// within polls ok until it holds, for at most d, and says how long it took.
func within(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	start := time.Now()
	for !ok() {
		if time.Since(start) > d {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("%s: after %v", what, time.Since(start).Round(time.Millisecond))
}

// TestTwoNodes runs two hearth serve nodes on one PostgreSQL: a write on
// one shows on the other's next page within a second, and a logout, a
// suspension or a password change on one is honoured by the other within
// a second, though each node caches pages and sessions.
func TestTwoNodes(t *testing.T) {
	dsn := storetest.CreatePostgres(t)
	nodeA := apptest.Start(t, app.Config{DB: dsn, Log: testLog(t)})
	nodeB := apptest.Start(t, app.Config{DB: dsn, Log: testLog(t)})
	ctx, svc := t.Context(), nodeA.Service
	admin, err := svc.CreateMember(ctx, adminMember())
	if err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"mia@example.org", "sam@example.org", "lee@example.org"} {
		if _, err := svc.CreateMember(ctx, forum.NewMember{Email: email, Name: "Member " + email[:3], Password: "member-password"}); err != nil {
			t.Fatal(err)
		}
	}
	cat, _ := svc.CreateCategory(ctx, admin, forum.CategoryInput{Name: "General"})
	th, first, err := svc.CreateThread(ctx, admin, forum.NewThread{CategoryID: cat.ID, Title: "Across nodes", Body: "Written on node A."})
	if err != nil {
		t.Fatal(err)
	}
	path := "/t/" + strconv.FormatInt(th.ID, 10) + "/" + th.Slug
	tid := strconv.FormatInt(th.ID, 10)
	guestB := newBrowser(t, nodeB.URL())
	expect(t, "guest on B", guestB.get(path), 200, "Written on node A.")
	expect(t, "guest on B, cached", guestB.get(path), 200, "Written on node A.")

	tokA := func(email string) string { return apiLogin(t, nodeA, email, "member-password") }
	mia := tokA("mia@example.org")
	if st, _ := api(t, nodeA.URL(), "POST", "/api/v1/threads/"+tid+"/posts", mia, map[string]any{"body": "A reply sent to node A."}); st != 201 {
		t.Fatalf("reply on A: %d", st)
	}
	within(t, "a reply on A on B's cached guest page", time.Second, func() bool {
		return strings.Contains(guestB.get(path).body, "A reply sent to node A.")
	})
	memberB := newBrowser(t, nodeB.URL())
	expect(t, "log in on B", memberB.post("/login", url.Values{"email": {"sam@example.org"}, "password": {"member-password"}}), 303)
	expect(t, "member on B", memberB.get(path), 200, "A reply sent to node A.")
	if _, err := svc.EditPost(ctx, admin, first.ID, "Edited on node A."); err != nil {
		t.Fatal(err)
	}
	within(t, "an edit on A on B's member page", time.Second, func() bool {
		p := memberB.get(path).body
		return strings.Contains(p, "Edited on node A.") && !strings.Contains(p, "Written on node A.")
	})

	// A member's bookmarks, cached per member on B, follow one made on A.
	if strings.Contains(memberB.get(path).body, "Remove bookmark") {
		t.Fatal("sam's page on B shows a bookmark before any")
	}
	if st, out := api(t, nodeA.URL(), "POST", "/api/v1/posts/"+strconv.FormatInt(first.ID, 10)+"/bookmark", tokA("sam@example.org"), nil); st != 204 {
		t.Fatalf("bookmark on A: %d %v", st, out)
	}
	within(t, "a bookmark on A on B's member page", time.Second, func() bool {
		return strings.Contains(memberB.get(path).body, "Remove bookmark")
	})

	// Sessions: each node caches them; every node honours an end.
	usable := func(tok string) bool {
		st, _ := api(t, nodeB.URL(), "GET", "/api/v1/me", tok, nil)
		return st == http.StatusOK
	}
	if !usable(mia) {
		t.Fatal("mia's token does not work on B")
	}
	if st, _ := api(t, nodeA.URL(), "DELETE", "/api/v1/sessions", mia, nil); st != 204 {
		t.Fatalf("log out on A: %d", st)
	}
	within(t, "a logout on A on B", time.Second, func() bool { return !usable(mia) })

	lee := tokA("lee@example.org")
	if !usable(lee) {
		t.Fatal("lee's token does not work on B")
	}
	leeM, err := nodeA.Store.MemberByEmail(ctx, "lee@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.SetMemberStatus(ctx, admin, leeM.ID, "", forum.StatusSuspended); err != nil {
		t.Fatal(err)
	}
	within(t, "a suspension on A on B", time.Second, func() bool { return !usable(lee) })

	sam := tokA("sam@example.org")
	if !usable(sam) {
		t.Fatal("sam's token does not work on B")
	}
	samA := newBrowser(t, nodeA.URL())
	expect(t, "log in on A", samA.post("/login", url.Values{"email": {"sam@example.org"}, "password": {"member-password"}}), 303)
	samM, _ := nodeA.Store.MemberByEmail(ctx, "sam@example.org")
	p := samA.post("/m/"+strconv.FormatInt(samM.ID, 10)+"/password", url.Values{"current": {"member-password"}, "new": {"a brand new passphrase"}})
	if p.status >= 400 {
		t.Fatalf("password change on A: %d\n%s", p.status, p.body)
	}
	within(t, "a password change on A on B", time.Second, func() bool { return !usable(sam) })
	if p := memberB.get("/"); strings.Contains(p.body, "Log out") {
		t.Error("sam's web session on B outlived the password change")
	}
}

// TestLeaseMovesBetweenNodes: exactly one of two nodes does the singleton
// work; when its holder stops renewing (it died: simulated by a holder that
// took the lease and vanished), another takes it once it runs out.
func TestLeaseMovesBetweenNodes(t *testing.T) {
	dsn := storetest.CreatePostgres(t)
	const ttl = 600 * time.Millisecond
	nodeA := apptest.Start(t, app.Config{DB: dsn, Log: testLog(t), LeaseTTL: ttl})
	nodeB := apptest.Start(t, app.Config{DB: dsn, Log: testLog(t), LeaseTTL: ttl})
	one := func() bool { return nodeA.Singleton() != nodeB.Singleton() }
	within(t, "one node holds the lease", 2*time.Second, one)
	for range 5 { // and it stays that way
		time.Sleep(ttl / 3)
		if !one() {
			t.Fatalf("holders: A %v, B %v", nodeA.Singleton(), nodeB.Singleton())
		}
	}
	ctx := t.Context()
	// A node that took the lease and died: it never renews.
	holder := nodeA.Store.Node()
	if nodeB.Singleton() {
		holder = nodeB.Store.Node()
	}
	// A live node may take the lease back between the release and the
	// dead node's take: release and take again until the dead node has it.
	for try := 0; ; try++ {
		if err := nodeA.Store.ReleaseLease(ctx, "singleton", holder); err != nil {
			t.Fatal(err)
		}
		ok, err := nodeA.Store.TryLease(ctx, "singleton", "a node that died", 3*ttl, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			break
		}
		if try == 20 {
			t.Fatal("the dead node never got the lease")
		}
		time.Sleep(ttl / 10)
		holder = nodeA.Store.Node()
		if nodeB.Singleton() {
			holder = nodeB.Store.Node()
		}
	}
	within(t, "both nodes see the lease taken", 2*time.Second, func() bool { return !nodeA.Singleton() && !nodeB.Singleton() })
	within(t, "a live node takes over once it runs out", 3*ttl+2*time.Second, one)
}

// TestModeAcrossNodes: a mode set on one node (its admin page or `hearth
// mode` against its data directory) reaches the other within seconds, and
// a later change on the other comes back.
func TestModeAcrossNodes(t *testing.T) {
	dsn := storetest.CreatePostgres(t)
	nodeA := apptest.Start(t, app.Config{DB: dsn, Log: testLog(t)})
	nodeB := apptest.Start(t, app.Config{DB: dsn, Log: testLog(t)})
	guestA, guestB := newBrowser(t, nodeA.URL()), newBrowser(t, nodeB.URL())
	expect(t, "B before", guestB.get("/"), 200)
	if err := nodeA.Status.SetMode(status.Maintenance, "Moving to a bigger server", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := nodeA.Status.Post("Copying the database."); err != nil {
		t.Fatal(err)
	}
	within(t, "maintenance set on A shows on B", 3*time.Second, func() bool {
		p := guestB.get("/")
		return p.status == http.StatusServiceUnavailable && strings.Contains(p.body, "Moving to a bigger server")
	})
	if err := nodeB.Status.SetMode(status.Normal, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	within(t, "normal set on B shows on A", 3*time.Second, func() bool { return guestA.get("/").status == http.StatusOK })
	if got := nodeA.Status.Get(); len(got.Updates) != 1 || got.Updates[0].Text != "Copying the database." {
		t.Errorf("A's updates: %+v", got.Updates)
	}
}
