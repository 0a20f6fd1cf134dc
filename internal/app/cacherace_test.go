package app_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hearth/internal/app"
	"hearth/internal/forum"
)

// raceForum is what TestCacheRaceNoStalePageAfterWrite writes to and reads:
//
//	Parent (top-level) ⊃ Child: threads "Fresh n" by A, started one by one
//	Other (top-level): T1 by A (its second post is edited over and over),
//	                   T2 by B (replied to over and over),
//	                   T3 by the admin with replies "[doomed i]", deleted one by one
//
// while A is renamed "Racer n" and the member reader R "Reader n".
type raceForum struct {
	app                   *app.App
	admin, a, b, r        *forum.Member
	parent, child, other  *forum.Category
	t1, t2, t3            *forum.Thread
	edited                *forum.Post
	doomed                []*forum.Post
	parentP, childP       string
	otherP, t1P, t2P, t3P string
	readerCookie          string
}

// raceDone is what writers have finished: every read that starts after
// must show at least this.
type raceDone struct {
	edit, fresh, replies, deleted, renameA, renameR int
}

var (
	reEdit    = regexp.MustCompile(`\[edit (\d+)\]`)
	reFresh   = regexp.MustCompile(`Fresh (\d+)`)
	reRacer   = regexp.MustCompile(`Racer (\d+)`)
	reReader  = regexp.MustCompile(`Reader (\d+)`)
	reDoomed  = regexp.MustCompile(`\[doomed (\d+)\]`)
	reReplies = regexp.MustCompile(`(\d+) repl`)
	reThreads = regexp.MustCompile(`(\d+) threads?`)
)

// numbers returns every number matched by re's group in s.
func numbers(re *regexp.Regexp, s string) []int {
	var out []int
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		n, _ := strconv.Atoi(m[1])
		out = append(out, n)
	}
	return out
}

// atLeast checks that s shows re's number and none below min.
func atLeast(what string, re *regexp.Regexp, s string, min int) error {
	ns := numbers(re, s)
	if len(ns) == 0 {
		return fmt.Errorf("%s: not shown", what)
	}
	for _, n := range ns {
		if n < min {
			return fmt.Errorf("%s: shows %d after %d was written", what, n, min)
		}
	}
	return nil
}

// between returns the part of s after the first from and before the next
// to (empty if there is no from).
func between(s, from, to string) string {
	_, s, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	s, _, _ = strings.Cut(s, to)
	return s
}

func newRaceForum(t *testing.T, engine string) *raceForum {
	t.Helper()
	a := start(t, engine)
	ctx, svc := t.Context(), a.Service
	f := &raceForum{app: a}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var err error
	f.admin, err = svc.CreateMember(ctx, adminMember())
	must(err)
	f.a, err = svc.CreateMember(ctx, forum.NewMember{Email: "a@example.org", Name: "Racer 0", Password: "member-password"})
	must(err)
	f.b, err = svc.CreateMember(ctx, forum.NewMember{Email: "b@example.org", Name: "Bea Writer", Password: "member-password"})
	must(err)
	f.r, err = svc.CreateMember(ctx, forum.NewMember{Email: "r@example.org", Name: "Reader 0", Password: "member-password"})
	must(err)
	f.parent, err = svc.CreateCategory(ctx, f.admin, forum.CategoryInput{Name: "Parent"})
	must(err)
	f.child, err = svc.CreateCategory(ctx, f.admin, forum.CategoryInput{Name: "Child", ParentID: f.parent.ID})
	must(err)
	f.other, err = svc.CreateCategory(ctx, f.admin, forum.CategoryInput{Name: "Other"})
	must(err)
	f.t1, _, err = svc.CreateThread(ctx, f.a, forum.NewThread{CategoryID: f.other.ID, Title: "Edited thread", Body: "Opening words."})
	must(err)
	f.edited, err = svc.Reply(ctx, f.a, f.t1.ID, "[edit 0]", 0)
	must(err)
	_, err = svc.Reply(ctx, f.b, f.t1.ID, "A word from B.", 0)
	must(err)
	f.t2, _, err = svc.CreateThread(ctx, f.b, forum.NewThread{CategoryID: f.other.ID, Title: "Counting thread", Body: "Count with me."})
	must(err)
	f.t3, _, err = svc.CreateThread(ctx, f.admin, forum.NewThread{CategoryID: f.other.ID, Title: "Doomed thread", Body: "These go."})
	must(err)
	for i := 1; i <= 10; i++ {
		p, err := svc.Reply(ctx, f.b, f.t3.ID, fmt.Sprintf("[doomed %d]", i), 0)
		must(err)
		f.doomed = append(f.doomed, p)
	}
	_, _, err = svc.CreateThread(ctx, f.a, forum.NewThread{CategoryID: f.child.ID, Title: "Fresh 0", Body: "The first."})
	must(err)
	token, err := svc.StartSession(ctx, f.r, "web")
	must(err)
	f.readerCookie = "hearth_session=" + token
	path := func(kind string, id int64, slug string) string {
		return "/" + kind + "/" + strconv.FormatInt(id, 10) + "/" + slug
	}
	f.parentP, f.childP, f.otherP = path("c", f.parent.ID, f.parent.Slug), path("c", f.child.ID, f.child.Slug), path("c", f.other.ID, f.other.Slug)
	f.t1P, f.t2P, f.t3P = path("t", f.t1.ID, f.t1.Slug), path("t", f.t2.ID, f.t2.Slug), path("t", f.t3.ID, f.t3.Slug)
	return f
}

// TestCacheRaceNoStalePageAfterWrite races writers (edits, new threads,
// replies, deletions, renames) against guests and a member reading the
// thread, category and front pages, and checks that once a write has
// returned, no page read after shows what it replaced: every cache (guest
// pages, member shells, post cores, thread pages, sessions) keeps a value
// only under the version read before its data. Run it with -race.
func TestCacheRaceNoStalePageAfterWrite(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		f := newRaceForum(t, engine)
		ctx, svc := t.Context(), f.app.Service

		var mu sync.Mutex
		var done raceDone
		type doneAt struct {
			at time.Time
			d  raceDone
		}
		var history []doneAt // every state of done, oldest first
		finished := func(set func(*raceDone)) {
			mu.Lock()
			set(&done)
			history = append(history, doneAt{time.Now(), done})
			mu.Unlock()
		}
		snapshot := func() raceDone {
			mu.Lock()
			defer mu.Unlock()
			return done
		}
		// listLag is how long guests' list pages may lag additions under
		// a stream of them: a tenth of a second (web.listRenders) after
		// a rendering that may itself take a while under -race.
		const listLag = 500 * time.Millisecond
		// lagged is done as a guest's list page must show it: additions
		// as of listLag ago, the rest (deletions, renames) as of now.
		lagged := func() raceDone {
			mu.Lock()
			defer mu.Unlock()
			d, then := done, time.Now().Add(-listLag)
			d.fresh, d.replies = 0, 0
			for _, h := range history {
				if h.at.After(then) {
					break
				}
				d.fresh, d.replies = h.d.fresh, h.d.replies
			}
			return d
		}

		// The writers: each returns once its last write has.
		const edits, freshes, replies, renames = 150, 40, 40, 40
		var writers sync.WaitGroup
		writer := func(name string, n int, write func(i int) error, set func(*raceDone, int)) {
			writers.Go(func() {
				for i := 1; i <= n; i++ {
					if err := write(i); err != nil {
						t.Errorf("%s %d: %v", name, i, err)
						return
					}
					finished(func(d *raceDone) { set(d, i) })
				}
			})
		}
		writer("edit", edits, func(i int) error {
			_, err := svc.EditPost(ctx, f.admin, f.edited.ID, fmt.Sprintf("[edit %d]", i))
			return err
		}, func(d *raceDone, i int) { d.edit = i })
		writer("new thread", freshes, func(i int) error {
			_, _, err := svc.CreateThread(ctx, f.a, forum.NewThread{CategoryID: f.child.ID, Title: fmt.Sprintf("Fresh %d", i), Body: "Another one."})
			return err
		}, func(d *raceDone, i int) { d.fresh = i })
		writer("reply", replies, func(i int) error {
			_, err := svc.Reply(ctx, f.b, f.t2.ID, fmt.Sprintf("Reply number %d.", i), 0)
			return err
		}, func(d *raceDone, i int) { d.replies = i })
		writer("delete", len(f.doomed), func(i int) error {
			return svc.DeletePost(ctx, f.admin, f.doomed[i-1].ID)
		}, func(d *raceDone, i int) { d.deleted = i })
		writer("rename", renames, func(i int) error {
			if _, err := svc.UpdateProfile(ctx, f.admin, f.a.ID, forum.ProfileUpdate{Name: fmt.Sprintf("Racer %d", i)}); err != nil {
				return err
			}
			_, err := svc.UpdateProfile(ctx, f.admin, f.r.ID, forum.ProfileUpdate{Name: fmt.Sprintf("Reader %d", i)})
			return err
		}, func(d *raceDone, i int) { d.renameA, d.renameR = i, i })

		// What each page must show, given the writes finished before it
		// was asked for.
		type check struct {
			path  string
			guest bool // a guest reads it; else the member R does, too
			list  bool // a list of threads, which may lag additions for guests
			ok    func(body string, d raceDone) error
		}
		noDoomed := func(body string, d raceDone) error {
			for _, n := range numbers(reDoomed, body) {
				if n <= d.deleted {
					return fmt.Errorf("shows [doomed %d] after %d were deleted", n, d.deleted)
				}
			}
			return nil
		}
		checks := []check{
			{f.t1P, false, false, func(body string, d raceDone) error {
				if ns := numbers(reEdit, body); len(ns) != 1 {
					return fmt.Errorf("shows the edited post %d times", len(ns))
				}
				if err := atLeast("the edited post", reEdit, body, d.edit); err != nil {
					return err
				}
				return atLeast("A's name", reRacer, body, d.renameA)
			}},
			{f.t2P, false, false, func(body string, d raceDone) error {
				return atLeast("the replies counted", reReplies, body, d.replies)
			}},
			{f.t3P, false, false, noDoomed},
			{f.childP, true, true, func(body string, d raceDone) error {
				if err := atLeast("the newest thread", reFresh, between(body, `<ol class="threads">`, "</li>"), d.fresh); err != nil {
					return err
				}
				return atLeast("A's name", reRacer, body, d.renameA)
			}},
			{f.parentP, true, true, func(body string, d raceDone) error {
				return atLeast("the sub-category's threads", reThreads, between(body, ">Child</a>", "</li>"), d.fresh+1)
			}},
			{f.otherP, true, true, func(body string, d raceDone) error {
				if err := atLeast("the replies counted", reReplies, between(body, ">Counting thread</a>", "</li>"), d.replies); err != nil {
					return err
				}
				return atLeast("A's name", reRacer, body, d.renameA)
			}},
			{"/", true, true, func(body string, d raceDone) error { // the latest threads across categories
				if ns := numbers(reFresh, between(body, `<ol class="threads">`, "</ol>")); len(ns) == 0 || ns[0] < d.fresh {
					return fmt.Errorf("the newest thread: shows %v after %d was written", ns, d.fresh)
				}
				return noDoomed(body, d)
			}},
			{"/categories", true, true, func(body string, d raceDone) error {
				if err := atLeast("the latest thread", reFresh, between(body, ">Parent</a>", "</li>"), d.fresh); err != nil {
					return err
				}
				return atLeast("A's name", reRacer, between(body, ">Parent</a>", "</li>"), d.renameA)
			}},
		}
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
		get := func(path, cookie string) (string, error) {
			req, _ := http.NewRequestWithContext(ctx, "GET", f.app.URL()+path, nil)
			if cookie != "" {
				req.Header.Set("Cookie", cookie)
			}
			res, err := client.Do(req)
			if err != nil {
				return "", err
			}
			defer res.Body.Close()
			body, err := io.ReadAll(res.Body)
			if res.StatusCode != 200 {
				return "", fmt.Errorf("status %d", res.StatusCode)
			}
			return string(body), err
		}
		read := func(who, cookie string, c check) error {
			d := snapshot() // before asking: what the page must show at least
			if cookie == "" && c.list {
				d = lagged()
			}
			body, err := get(c.path, cookie)
			if err != nil {
				return fmt.Errorf("%s GET %s: %v", who, c.path, err)
			}
			err = c.ok(body, d)
			if err == nil && cookie != "" {
				err = atLeast("the reader's own name", reReader, body, d.renameR)
			}
			if err != nil {
				return fmt.Errorf("%s GET %s: %v (writes done: %+v)", who, c.path, err, d)
			}
			return nil
		}

		stop := make(chan struct{})
		var readers sync.WaitGroup
		var failures sync.Map // one report per reader and path is plenty
		reader := func(who, cookie string, offset int) {
			readers.Go(func() {
				for i := offset; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					c := checks[i%len(checks)]
					if cookie != "" && c.guest {
						continue
					}
					if err := read(who, cookie, c); err != nil {
						if _, seen := failures.LoadOrStore(who+c.path, true); !seen {
							t.Error(err)
						}
					}
				}
			})
		}
		for i := range 3 {
			reader(fmt.Sprintf("guest %d", i), "", i)
			reader(fmt.Sprintf("member %d", i), f.readerCookie, i)
		}
		writers.Wait()
		close(stop)
		readers.Wait()

		// Once everything is written, every page shows all of it (the
		// guests' lists after their lag).
		time.Sleep(listLag)
		d := snapshot()
		if d != (raceDone{edits, freshes, replies, len(f.doomed), renames, renames}) {
			t.Fatalf("writes done: %+v", d)
		}
		for _, c := range checks {
			for _, who := range []struct{ name, cookie string }{{"guest", ""}, {"member", f.readerCookie}} {
				if err := read("after the writes, "+who.name, who.cookie, c); err != nil {
					t.Error(err)
				}
			}
		}
	})
}

// TestCacheVersionsAreFineGrained: a reply renders again only its thread,
// its category's page, the parent category's and the front page; a
// profile edit only the pages that show the member; and neither drops
// another member's cached session.
func TestCacheVersionsAreFineGrained(t *testing.T) {
	a := start(t, "sqlite")
	ctx, svc := t.Context(), a.Service
	admin, err := svc.CreateMember(ctx, adminMember())
	if err != nil {
		t.Fatal(err)
	}
	xena, _ := svc.CreateMember(ctx, forum.NewMember{Email: "x@example.org", Name: "Xena Poster", Password: "member-password"})
	yuri, _ := svc.CreateMember(ctx, forum.NewMember{Email: "y@example.org", Name: "Yuri Poster", Password: "member-password"})
	parent, _ := svc.CreateCategory(ctx, admin, forum.CategoryInput{Name: "Parent"})
	kid, _ := svc.CreateCategory(ctx, admin, forum.CategoryInput{Name: "Kid", ParentID: parent.ID})
	other, _ := svc.CreateCategory(ctx, admin, forum.CategoryInput{Name: "Other"})
	tx, _, err := svc.CreateThread(ctx, xena, forum.NewThread{CategoryID: kid.ID, Title: "By Xena", Body: "x"})
	if err != nil {
		t.Fatal(err)
	}
	ty, _, _ := svc.CreateThread(ctx, yuri, forum.NewThread{CategoryID: other.ID, Title: "By Yuri", Body: "y"})
	if _, err := svc.Reply(ctx, xena, ty.ID, "Xena answers Yuri", 0); err != nil {
		t.Fatal(err)
	}
	ta, _, _ := svc.CreateThread(ctx, admin, forum.NewThread{CategoryID: other.ID, Title: "By the admin", Body: "a"})
	path := func(kind string, id int64, slug string) string {
		return "/" + kind + "/" + strconv.FormatInt(id, 10) + "/" + slug
	}
	pages := map[string]string{
		"front": "/categories", "latest": "/", "parent": path("c", parent.ID, parent.Slug), "kid": path("c", kid.ID, kid.Slug), "other": path("c", other.ID, other.Slug),
		"xena's thread": path("t", tx.ID, tx.Slug), "yuri's thread": path("t", ty.ID, ty.Slug), "admin's thread": path("t", ta.ID, ta.Slug),
	}
	guest := newBrowser(t, a.URL())
	for _, p := range pages {
		expect(t, "first view", guest.get(p), 200)
	}
	// rendered says which pages a guest's next read renders again.
	rendered := func(step string, want ...string) {
		t.Helper()
		for name, p := range pages {
			before := a.CacheStats()["guest_pages"]
			expect(t, name, guest.get(p), 200)
			after := a.CacheStats()["guest_pages"]
			if again := after.Misses > before.Misses; again != slices.Contains(want, name) {
				t.Errorf("after %s, the %s page rendered again: %v", step, name, again)
			}
		}
	}
	rendered("nothing")
	if _, err := svc.Reply(ctx, admin, tx.ID, "a reply", 0); err != nil {
		t.Fatal(err)
	}
	rendered("a reply in Kid", "xena's thread", "kid", "parent", "front", "latest")

	yb := newBrowser(t, a.URL())
	xb := newBrowser(t, a.URL())
	for _, b := range []struct {
		b     *browser
		email string
	}{{yb, "y@example.org"}, {xb, "x@example.org"}} {
		if p := b.b.post("/login", url.Values{"email": {b.email}, "password": {"member-password"}}); p.status != 303 {
			t.Fatalf("log in: %d", p.status)
		}
		expect(t, "member's first page", b.b.get("/"), 200) // caches the session
	}
	if _, err := svc.UpdateProfile(ctx, yuri, yuri.ID, forum.ProfileUpdate{Name: "Yuri Renamed"}); err != nil {
		t.Fatal(err)
	}
	// Of Yuri's thread, only Yuri's post renders again, not Xena's reply.
	cores := a.CacheStats()["post_cores"]
	rendered("Yuri's rename", "yuri's thread", "other") // the latest threads show last posters, and Yuri is none
	if now := a.CacheStats()["post_cores"]; now.Misses != cores.Misses+1 || now.Hits < cores.Hits+1 {
		t.Errorf("Yuri's rename: post cores %+v then %+v, want one rendered again", cores, now)
	}
	expect(t, "Yuri's thread", guest.get(pages["yuri's thread"]), 200, "Yuri Renamed", "Xena Poster")
	before := a.CacheStats()["sessions"]
	expect(t, "Xena's page", xb.get("/"), 200, "Xena Poster")
	if after := a.CacheStats()["sessions"]; after.Hits != before.Hits+1 {
		t.Errorf("Yuri's rename dropped Xena's cached session: %+v then %+v", before, after)
	}
	expect(t, "Yuri's page", yb.get("/"), 200, "Yuri Renamed")

	if _, err := svc.UpdateProfile(ctx, admin, xena.ID, forum.ProfileUpdate{Name: "Xena Renamed", Title: "Guide"}); err != nil {
		t.Fatal(err)
	}
	rendered("Xena's rename", "xena's thread", "kid", "yuri's thread", "other", "latest")
	expect(t, "the Kid page", guest.get(pages["kid"]), 200, "Xena Renamed")
	expect(t, "Yuri's thread", guest.get(pages["yuri's thread"]), 200, "Yuri Renamed", "Xena Renamed")
}

// TestSavedCopiesDropRenamedMembers: a saved copy served while the
// database is down never shows a name its member has since changed (the
// name may have been taken back for a reason); copies that do not show
// the member are still served.
func TestSavedCopiesDropRenamedMembers(t *testing.T) {
	o := newOutage(t) // PostgreSQL: its server can go away under the forum
	a, ctx, svc := o.a, t.Context(), o.a.Service
	admin, err := a.Store.MemberByEmail(ctx, "root@example.org")
	if err != nil {
		t.Fatal(err)
	}
	ren, err := svc.CreateMember(ctx, forum.NewMember{Email: "ren@example.org", Name: "Ren Realname", Password: "member-password"})
	if err != nil {
		t.Fatal(err)
	}
	th, _, err := svc.CreateThread(ctx, ren, forum.NewThread{CategoryID: 1, Title: "Signed with my name", Body: "Hello."})
	if err != nil {
		t.Fatal(err)
	}
	renPath := "/t/" + strconv.FormatInt(th.ID, 10) + "/" + th.Slug
	guest := newBrowser(t, a.URL())
	expect(t, "before", guest.get(renPath), 200, "Ren Realname")
	expect(t, "before", guest.get(o.threadPath), 200, "All is well.")
	if _, err := svc.UpdateProfile(ctx, admin, ren.ID, forum.ProfileUpdate{Name: "Ren Anonymous"}); err != nil {
		t.Fatal(err)
	}
	o.cutDB()
	waitFor(t, "the monitor to notice", func() bool { return guest.get(o.threadPath).status == 503 })
	expect(t, "a page not showing Ren, during the outage", guest.get(o.threadPath), 503, "saved copy", "All is well.")
	if got := guest.get(renPath); got.status != 503 || strings.Contains(got.body, "Ren Realname") || strings.Contains(got.body, "saved copy") {
		t.Errorf("a saved copy showed the old name: %d\n%s", got.status, got.body)
	}
	o.restore()
}
