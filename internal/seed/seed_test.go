package seed

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"hearth/internal/forum"
	"hearth/internal/render"
	"hearth/internal/store"
)

// markup adapts render until it grows a Quote method.
type markup struct{ *render.Renderer }

func (markup) Quote(a, u, b string) string { return render.Quote(a, u, b) }

var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func openDB(t testing.TB, path string) *store.DB {
	t.Helper()
	db, err := store.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return db
}

func seed(t *testing.T, opt Options) (*store.DB, Report) {
	t.Helper()
	db := openDB(t, filepath.Join(t.TempDir(), "hearth.db"))
	var out strings.Builder
	r, err := Run(t.Context(), db, markup{render.New()}, opt, &out)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), Password) {
		t.Errorf("progress does not mention the password:\n%s", out.String())
	}
	return db, r
}

func TestRunSmall(t *testing.T) {
	ctx := t.Context()
	mk := markup{render.New()}
	opt := Options{Members: 50, Threads: 40, Posts: 500, Now: now}
	db, r := seed(t, opt)
	if r.Members != 50 || r.Threads != 40 || r.Posts != 500 || r.Categories != 12 {
		t.Errorf("report = %+v", r)
	}
	if n, err := db.CountMembers(ctx); err != nil || n != 50 {
		t.Errorf("CountMembers = %d, %v; want 50", n, err)
	}
	// Import indexes what it writes: search finds the seeded posts at once.
	if posts, indexed, err := db.SearchIndexStatus(ctx); err != nil || posts != 500 || indexed != 500 {
		t.Errorf("search index holds %d of %d posts (%v), want all 500", indexed, posts, err)
	}
	cats, err := db.ListCategories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var threads, posts int
	for _, c := range cats {
		threads += c.ThreadCount
		posts += c.PostCount
	}
	if len(cats) != 12 || threads != 40 || posts != 500 {
		t.Errorf("%d categories hold %d threads, %d posts; want 12, 40, 500", len(cats), threads, posts)
	}

	admin, err := db.MemberByEmail(ctx, "admin@example.com")
	if err != nil || admin.ID != 1 || admin.Role != forum.RoleAdmin {
		t.Fatalf("admin = %+v, %v", admin, err)
	}
	svc := forum.NewService(db, mk)
	if _, err := svc.Authenticate(ctx, "admin@example.com", Password); err != nil {
		t.Errorf("admin cannot log in with %q: %v", Password, err)
	}

	byAuthor := map[int64]int{}
	quotes, lists := 0, 0
	for id := int64(1); id <= 40; id++ {
		th, err := db.ThreadByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		ps, err := db.ListPosts(ctx, id, 1, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) == 0 || th.PostCount != len(ps) || th.LastPosition != len(ps) {
			t.Fatalf("thread %d: %d posts, PostCount %d, LastPosition %d", id, len(ps), th.PostCount, th.LastPosition)
		}
		last := ps[len(ps)-1]
		if th.LastPostID != last.ID || !th.LastPostAt.Equal(last.CreatedAt) || th.LastPosterID != last.AuthorID {
			t.Errorf("thread %d last post = %d at %v, want %d at %v", id, th.LastPostID, th.LastPostAt, last.ID, last.CreatedAt)
		}
		for i, p := range ps {
			if p.Position != i+1 {
				t.Fatalf("thread %d: post %d has position %d", id, i+1, p.Position)
			}
			if i > 0 && !p.CreatedAt.After(ps[i-1].CreatedAt) {
				t.Errorf("thread %d: post %d not after post %d", id, i+1, i)
			}
			if p.CreatedAt.After(now) {
				t.Errorf("post %d is in the future: %v", p.ID, p.CreatedAt)
			}
			// The HTML is assembled from pre-rendered units: it must be
			// exactly what rendering the whole body gives.
			if want, _ := mk.Render(p.Body); p.HTML != want {
				t.Fatalf("post %d: stored HTML differs from rendering the body\nbody:\n%s\nstored:\n%s\nwant:\n%s", p.ID, p.Body, p.HTML, want)
			}
			if p.QuotePostID != 0 {
				quotes++
				if !strings.Contains(p.Body, "[wrote]("+forum.PostURL(p.QuotePostID)+")") {
					t.Errorf("post %d quotes %d but its body does not link to it", p.ID, p.QuotePostID)
				}
			}
			if strings.Contains(p.HTML, "<li>") {
				lists++
			}
			byAuthor[p.AuthorID]++
		}
	}
	if quotes == 0 || lists == 0 {
		t.Errorf("no variety: %d quotes, %d posts with lists", quotes, lists)
	}
	var sum int
	for id, n := range byAuthor {
		m, err := db.MemberByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if m.PostCount != n {
			t.Errorf("member %d PostCount = %d, has %d posts", id, m.PostCount, n)
		}
		sum += n
	}
	if sum != 500 {
		t.Errorf("posts by author sum to %d", sum)
	}
}

func TestDeterministic(t *testing.T) {
	opt := Options{Members: 20, Threads: 10, Posts: 60, Seed: 7, Now: now}
	a, _ := seed(t, opt)
	b, _ := seed(t, opt)
	for id := int64(1); id <= 10; id++ {
		ta, err := a.ThreadByID(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		tb, err := b.ThreadByID(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if ta.Title != tb.Title || ta.PostCount != tb.PostCount || !ta.LastPostAt.Equal(tb.LastPostAt) {
			t.Errorf("thread %d differs: %q/%d vs %q/%d", id, ta.Title, ta.PostCount, tb.Title, tb.PostCount)
		}
	}
}

func TestRefusals(t *testing.T) {
	db, _ := seed(t, Options{Members: 3, Threads: 2, Posts: 2, Now: now})
	mk := markup{render.New()}
	if _, err := Run(t.Context(), db, mk, Options{Members: 3, Threads: 2, Posts: 2}, nil); err == nil ||
		!strings.Contains(err.Error(), "empty database") {
		t.Errorf("seeding a non-empty database: err = %v", err)
	}
	empty := openDB(t, filepath.Join(t.TempDir(), "empty.db"))
	for _, opt := range []Options{{Members: 5, Threads: 10, Posts: 9}, {Members: 0, Threads: 1, Posts: 1}, {Members: 5, Posts: 3}} {
		if _, err := Run(t.Context(), empty, mk, opt, nil); err == nil {
			t.Errorf("Run(%+v) succeeded", opt)
		}
	}
}

func TestLengths(t *testing.T) {
	g := &generator{opt: Options{Threads: 4000, Posts: 50000}, rng: newRand(3)}
	ls := g.lengths()
	var sum, short, long int
	for _, n := range ls {
		if n < 1 {
			t.Fatalf("thread of %d posts", n)
		}
		sum += n
		if n <= 10 {
			short++
		}
		if n >= 100 {
			long++
		}
	}
	if sum != 50000 || short < len(ls)/2 || long == 0 {
		t.Errorf("sum %d, %d threads of <= 10 posts, %d of >= 100", sum, short, long)
	}
}

// TestSeedLarge is the benchmark run, off by default:
//
//	HEARTH_SEED_DB=/tmp/seed.db HEARTH_SEED_SIZE=8000,40000,500000 go test -run SeedLarge -v -timeout 30m ./internal/seed/
func TestSeedLarge(t *testing.T) {
	path := os.Getenv("HEARTH_SEED_DB")
	if path == "" {
		t.Skip("set HEARTH_SEED_DB (and HEARTH_SEED_SIZE=members,threads,posts) to run")
	}
	size := strings.Split(os.Getenv("HEARTH_SEED_SIZE")+",,", ",")
	atoi := func(s string, def int) int {
		if n, err := strconv.Atoi(s); err == nil {
			return n
		}
		return def
	}
	opt := Options{Members: atoi(size[0], 8000), Threads: atoi(size[1], 40000), Posts: atoi(size[2], 500000)}
	os.Remove(path)
	os.Remove(path + "-wal")
	os.Remove(path + "-shm")
	db := openDB(t, path)
	r, err := Run(context.Background(), db, markup{render.New()}, opt, os.Stdout)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if fi, err := os.Stat(path); err == nil {
		t.Logf("%s; %s is %.1f MB", r, path, float64(fi.Size())/1e6)
	}
}
