package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"hearth/internal/app"
	"hearth/internal/forum"
)

// benchPost is a typical post of about 600 characters: prose, a link, a
// list and a code block.
const benchPost = `Thanks for the write-up! I ran into the same problem last week, see
[my earlier post](/p/1) for the details. What fixed it for me:

- upgrade to the **latest** release (1.4.2 or later),
- clear the cache directory, and
- restart the service with ` + "`--verbose`" + ` so the logs show the reload.

` + "```" + `
server:
  port: 8080
  workers: 4
` + "```" + `

If that still fails, the docs at https://example.com/docs/troubleshooting
have a whole section on it. Good luck, and _do_ report back.
`

// benchForum is Hearth on a SQLite database in a temporary directory with
// one category and one thread of 20 posts by 5 members.
type benchForum struct {
	handler   http.Handler
	threadURL string
	cookie    string // a member's session cookie
	threadID  int64
	apiToken  string // the same member's API token
	app       *app.App
	members   []*forum.Member
	reader    *forum.Member // the member of cookie and apiToken
	catID     int64
	catURL    string
}

func newBenchThread(catID int64, title string) forum.NewThread {
	return forum.NewThread{CategoryID: catID, Title: title, Body: benchPost}
}

func newBenchForum(b *testing.B) *benchForum {
	b.Helper()
	ctx := context.Background()
	a, err := app.New(ctx, app.Config{Addr: "127.0.0.1:0", DataDir: b.TempDir(), NoLimits: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	svc := a.Service
	// Members are imported rather than registered: five argon2id hashes
	// would cost more CPU than the benchmarks and crowd their profiles.
	var members []*forum.Member
	for i := 1; i <= 5; i++ {
		m := &forum.Member{ID: int64(i), Email: fmt.Sprintf("m%d@example.org", i), Name: fmt.Sprintf("Member %d", i),
			PasswordHash: "not-a-hash", Role: forum.RoleMember, Status: forum.StatusActive, CreatedAt: time.Now()}
		if i == 1 {
			m.Role = forum.RoleAdmin
		}
		members = append(members, m)
	}
	if err := a.Store.Import(ctx, &forum.ImportBatch{Members: members}); err != nil {
		b.Fatal(err)
	}
	admin := members[0]
	cat, err := svc.CreateCategory(ctx, admin, forum.CategoryInput{Name: "Destinations", Description: "Trips and fam tours"})
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 3; i++ { // a few other threads for the lists
		if _, _, err := svc.CreateThread(ctx, members[i+1], forum.NewThread{CategoryID: cat.ID, Title: fmt.Sprintf("Other thread %d", i), Body: benchPost}); err != nil {
			b.Fatal(err)
		}
	}
	t, _, err := svc.CreateThread(ctx, members[1], forum.NewThread{CategoryID: cat.ID, Title: "Lisbon in March?", Body: benchPost})
	if err != nil {
		b.Fatal(err)
	}
	for i := 2; i <= 20; i++ {
		if _, err := svc.Reply(ctx, members[i%len(members)], t.ID, fmt.Sprintf("Reply %d. %s", i, benchPost), 0); err != nil {
			b.Fatal(err)
		}
	}
	token, err := svc.StartSession(ctx, members[2], "web")
	if err != nil {
		b.Fatal(err)
	}
	apiToken, err := svc.StartSession(ctx, members[2], "api")
	if err != nil {
		b.Fatal(err)
	}
	return &benchForum{handler: a.Handler(), threadURL: fmt.Sprintf("/t/%d/%s", t.ID, t.Slug), cookie: "hearth_session=" + token,
		threadID: t.ID, apiToken: apiToken, app: a, members: members, reader: members[2],
		catID: cat.ID, catURL: fmt.Sprintf("/c/%d/%s", cat.ID, cat.Slug)}
}

// get serves one request through the complete handler (middleware
// included) and checks the answer once.
func benchGet(b *testing.B, h http.Handler, path, cookie, acceptEncoding string, mustContain string) {
	b.Helper()
	req := func() *http.Request {
		r := httptest.NewRequest("GET", path, nil)
		if cookie != "" {
			r.Header.Set("Cookie", cookie)
		}
		if acceptEncoding != "" {
			r.Header.Set("Accept-Encoding", acceptEncoding)
		}
		return r
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req())
	if w.Code != http.StatusOK || (mustContain != "" && w.Header().Get("Content-Encoding") == "" && !strings.Contains(w.Body.String(), mustContain)) {
		b.Fatalf("GET %s: %d\n%.500s", path, w.Code, w.Body.String())
	}
	b.SetBytes(int64(w.Body.Len()))
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req())
	}
}

// BenchmarkThreadPage is a guest's view of a thread page of 20 posts.
func BenchmarkThreadPage(b *testing.B) {
	f := newBenchForum(b)
	benchGet(b, f.handler, f.threadURL, "", "", "Reply 20.")
}

// BenchmarkThreadPageMember is the same page for a logged-in member.
func BenchmarkThreadPageMember(b *testing.B) {
	f := newBenchForum(b)
	benchGet(b, f.handler, f.threadURL, f.cookie, "", "Reply 20.")
}

// BenchmarkThreadPageGzip is the guest's view as a browser asks for it.
func BenchmarkThreadPageGzip(b *testing.B) {
	f := newBenchForum(b)
	benchGet(b, f.handler, f.threadURL, "", "gzip, br", "Reply 20.")
}

// BenchmarkFrontPage is a guest's view of the front page.
func BenchmarkFrontPage(b *testing.B) {
	f := newBenchForum(b)
	benchGet(b, f.handler, "/", "", "", "Destinations")
}

// BenchmarkFrontPageMember is the front page for a logged-in member.
func BenchmarkFrontPageMember(b *testing.B) {
	f := newBenchForum(b)
	benchGet(b, f.handler, "/", f.cookie, "", "Destinations")
}

// BenchmarkReplyAPI is a member's reply through the JSON API: session
// lookup, markdown rendering and the write transaction (SQLite in WAL mode
// with synchronous=FULL, so one fsync per reply).
func BenchmarkReplyAPI(b *testing.B) {
	f := newBenchForum(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := f.reply(); err != nil {
			b.Fatal(err)
		}
	}
}

// reply posts one reply through the API as the benchmark member.
func (f *benchForum) reply() error {
	path := "/api/v1/threads/" + strconv.FormatInt(f.threadID, 10) + "/posts"
	body := `{"body":"Thanks, that settles the **booking** question; see the [rates](/p/1) and\n\n- check the dates\n- confirm by mail"}`
	r := httptest.NewRequest("POST", path, strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+f.apiToken)
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	f.handler.ServeHTTP(w, r)
	if w.Code != http.StatusCreated {
		return fmt.Errorf("POST %s: %d %s", path, w.Code, w.Body.String())
	}
	return nil
}

// BenchmarkReplyAPIParallel is many members replying at once, as at a busy
// hour: the SQLite writer commits the replies that wait together (group
// commit), one fsync for many.
func BenchmarkReplyAPIParallel(b *testing.B) {
	f := newBenchForum(b)
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := f.reply(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
