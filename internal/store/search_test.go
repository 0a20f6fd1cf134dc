package store

import (
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"hearth/internal/forum"
)

// searchForum is a small forum for the search tests: a public, a
// members-only (with a sub-category) and a staff-only category.
type searchForum struct {
	ada, bob                       *forum.Member
	public, members, sub, staff    *forum.Category
	ferry, cruise, lounge, private *forum.Thread
	posts                          map[string]*forum.Post // by a short name
}

func buildSearchForum(t *testing.T, db *DB) *searchForum {
	t.Helper()
	ctx := t.Context()
	f := &searchForum{posts: map[string]*forum.Post{}}
	f.ada, f.bob = mkMember(t, db, "ada"), mkMember(t, db, "bob")
	f.public = mkCategory(t, db, "public", 1)
	f.members = &forum.Category{Name: "members", Slug: "members", Position: 2, MembersOnly: true}
	must(t, db.CreateCategory(ctx, f.members))
	f.sub = &forum.Category{Name: "sub", Slug: "sub", Position: 3, ParentID: f.members.ID}
	must(t, db.CreateCategory(ctx, f.sub))
	f.staff = &forum.Category{Name: "staff", Slug: "staff", Position: 4, StaffOnly: true}
	must(t, db.CreateCategory(ctx, f.staff))

	thread := func(name string, c *forum.Category, author *forum.Member, title, body string, when time.Time) *forum.Thread {
		th := &forum.Thread{CategoryID: c.ID, AuthorID: author.ID, Title: title, Slug: name, CreatedAt: when}
		p := &forum.Post{Body: body, HTML: "<p>" + body + "</p>"}
		must(t, db.CreateThread(ctx, th, p))
		f.posts[name] = p
		return th
	}
	reply := func(name string, th *forum.Thread, author *forum.Member, body string, when time.Time) {
		p := &forum.Post{ThreadID: th.ID, AuthorID: author.ID, Body: body, HTML: "<p>" + body + "</p>", CreatedAt: when}
		must(t, db.CreatePost(ctx, p))
		f.posts[name] = p
	}
	f.ferry = thread("ferry", f.public, f.ada, "Ferry timetables in Lisbon",
		"The ferry timetable changed in May; book the crossing early.", at(0))
	reply("ferry-reply", f.ferry, f.bob, "Timetables for the ferry are on the port's site. Café by the pier is lovely.", at(10))
	reply("ferry-late", f.ferry, f.ada, "Late ferry to Cacilhas: **cruising** past the bridge at night.", at(20))
	f.cruise = thread("cruise", f.public, f.bob, "Cruise commission",
		"Commission on cruises is on the net fare. Timetable of payments matters more than the ferry.", at(30))
	reply("cruise-reply", f.cruise, f.ada, "Cruise lines pay late. Müller at the agency agrees.", at(40))
	f.lounge = thread("lounge", f.members, f.ada, "Lounge access for members", "Airport lounge ferry trick for members.", at(50))
	subThread := thread("subpost", f.sub, f.bob, "Sub notes", "Ferry notes in a sub-category.", at(55))
	_ = subThread
	f.private = thread("private", f.staff, f.ada, "Staff ferry plans", "Ferry plans only staff may read.", at(60))
	return f
}

var (
	guest  = forum.ViewGuest
	member = forum.ViewMember
	staff  = forum.ViewStaff
)

// search runs q for v and returns the names of the posts found, in order.
func (f *searchForum) search(t *testing.T, db *DB, v forum.Viewer, q string, mod func(*forum.SearchQuery)) []string {
	t.Helper()
	terms, excluded := forum.ParseSearch(q)
	sq := forum.SearchQuery{Terms: terms, Excluded: excluded, Viewer: v, Now: at(100), Limit: 50}
	if mod != nil {
		mod(&sq)
	}
	hits, total, err := db.Search(t.Context(), sq)
	if err != nil {
		t.Fatalf("Search(%q): %v", q, err)
	}
	if len(hits) > total {
		t.Errorf("Search(%q): %d hits but total %d", q, len(hits), total)
	}
	names := map[int64]string{}
	for n, p := range f.posts {
		names[p.ID] = n
	}
	var out []string
	for _, h := range hits {
		out = append(out, names[h.PostID])
	}
	return out
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

func TestSearch(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		f := buildSearchForum(t, db)
		set := func(names ...string) []string { return sorted(names) }
		tests := []struct {
			name string
			v    forum.Viewer
			q    string
			mod  func(*forum.SearchQuery)
			want []string // as a set
		}{
			{"word, stemmed", guest, "timetables", nil, set("ferry", "ferry-reply", "cruise")},
			{"word in title only", guest, "lisbon", nil, set("ferry")},
			{"phrase", guest, `"ferry timetable"`, nil, set("ferry")},
			{"phrase across words", guest, `"timetable ferry"`, nil, nil},
			{"phrase of three words", guest, `"book the crossing"`, nil, set("ferry")},
			{"phrase in a title", guest, `"cruise commission"`, nil, set("cruise")},
			{"phrase and a word", guest, `"late ferry" bridge`, nil, set("ferry-late")},
			{"phrase not across title and body", guest, `"lisbon the ferry"`, nil, nil},
			{"two phrases", guest, `"cruise lines" "pay late"`, nil, set("cruise-reply")},
			{"exclude", guest, "ferry -timetable", nil, set("ferry-late")},
			{"exclude phrase", guest, `ferry -"net fare"`, nil, set("ferry", "ferry-reply", "ferry-late")},
			{"prefix", guest, "cruis*", nil, set("cruise", "cruise-reply", "ferry-late")},
			{"diacritics folded", guest, "cafe", nil, set("ferry-reply")},
			{"diacritics in query", guest, "MÜLLER", nil, set("cruise-reply")},
			{"two words", guest, "ferry commission", nil, set("cruise")},
			{"guest sees public only", guest, "ferry", nil, set("ferry", "ferry-reply", "ferry-late", "cruise")},
			{"member sees members-only and its sub", member, "ferry", nil,
				set("ferry", "ferry-reply", "ferry-late", "cruise", "lounge", "subpost")},
			{"staff sees all", staff, "ferry", nil,
				set("ferry", "ferry-reply", "ferry-late", "cruise", "lounge", "subpost", "private")},
			{"category with sub-categories", member, "ferry", func(q *forum.SearchQuery) { q.CategoryID = f.members.ID },
				set("lounge", "subpost")},
			{"staff-only category filter, member", member, "ferry", func(q *forum.SearchQuery) { q.CategoryID = f.staff.ID }, nil},
			{"author", guest, "ferry", func(q *forum.SearchQuery) { q.AuthorID = f.bob.ID }, set("ferry-reply", "cruise")},
			{"in this thread", guest, "ferry", func(q *forum.SearchQuery) { q.ThreadID = f.ferry.ID },
				set("ferry", "ferry-reply", "ferry-late")},
			{"first posts only", guest, "ferry", func(q *forum.SearchQuery) { q.FirstOnly = true }, set("ferry", "cruise")},
			{"date range", guest, "ferry", func(q *forum.SearchQuery) { q.From, q.To = at(5), at(25) },
				set("ferry-reply", "ferry-late")},
			{"nothing", guest, "zanzibar", nil, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got := sorted(f.search(t, db, tt.v, tt.q, tt.mod))
				if !slices.Equal(got, tt.want) {
					t.Errorf("search %q = %v, want %v", tt.q, got, tt.want)
				}
			})
		}
	})
}

func TestSearchRanking(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		// Ranking, not the budget: under the race detector on a busy
		// machine bm25 overran its 10 ms and recency ranked instead.
		db.relevanceBudget = time.Minute
		f := buildSearchForum(t, db)
		ctx := t.Context()
		// An exact title match comes first, before posts that say it more.
		th := &forum.Thread{CategoryID: f.public.ID, AuthorID: f.ada.ID, Title: "Cruise commission!", Slug: "cc", CreatedAt: at(5)}
		p := &forum.Post{Body: "Asking for a friend.", HTML: "<p>Asking for a friend.</p>"}
		must(t, db.CreateThread(ctx, th, p))
		f.posts["exact"] = p
		got := f.search(t, db, guest, "cruise commission", nil)
		if len(got) < 2 || got[0] != "exact" && got[0] != "cruise" || got[1] != "exact" && got[1] != "cruise" {
			t.Errorf("title matches not first: %v", got)
		}
		// A title and body match outranks body matches of the same word.
		got = f.search(t, db, guest, "timetables", nil)
		if len(got) == 0 || got[0] != "ferry" {
			t.Errorf("title and body match not first: %v", got)
		}
		// Relevance decides between equals; recency breaks near-ties mildly.
		for i, body := range []string{"gondola", "gondola gondola gondola gondola", "gondola"} {
			th := &forum.Thread{CategoryID: f.public.ID, AuthorID: f.ada.ID, Title: fmt.Sprintf("t%d", i), Slug: "t", CreatedAt: at(90 + i)}
			p := &forum.Post{Body: body + " and other words to make the post longer than one word", HTML: "x"}
			must(t, db.CreateThread(ctx, th, p))
			f.posts[fmt.Sprintf("g%d", i)] = p
		}
		got = f.search(t, db, guest, "gondola", nil)
		if !slices.Equal(got, []string{"g1", "g2", "g0"}) {
			t.Errorf("gondola ranking = %v, want the most relevant, then the newer", got)
		}
		// Pages: offset and limit over the ranked list, total counts all.
		terms, _ := forum.ParseSearch("ferry")
		hits, total, err := db.Search(ctx, forum.SearchQuery{Terms: terms, Viewer: guest, Now: at(100), Offset: 2, Limit: 2})
		must(t, err)
		if total != 4 || len(hits) != 2 {
			t.Errorf("page 2 of 2: %d hits of %d", len(hits), total)
		}
		if h := hits[0]; h.ThreadTitle == "" || h.CategoryName != "public" || h.AuthorName == "" || h.Text == "" {
			t.Errorf("hit details missing: %+v", h)
		}
	})
}

// The index follows edits, deletes, restores, and hearth repair rebuilds it.
func TestSearchIndexFollowsWrites(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		f := buildSearchForum(t, db)
		ctx := t.Context()
		p := f.posts["ferry-reply"]
		must(t, db.UpdatePost(ctx, p.ID, "Now about gondolas in Venice.", "<p>x</p>", at(70), f.bob.ID))
		if got := f.search(t, db, guest, "pier", nil); len(got) != 0 {
			t.Errorf("old words still found after an edit: %v", got)
		}
		if got := f.search(t, db, guest, "gondola", nil); !slices.Equal(got, []string{"ferry-reply"}) {
			t.Errorf("new words after an edit: %v", got)
		}
		if got := f.search(t, db, guest, `"gondolas in venice"`, nil); !slices.Equal(got, []string{"ferry-reply"}) {
			t.Errorf("new phrase after an edit: %v", got)
		}
		if got := f.search(t, db, guest, `"pier is lovely"`, nil); len(got) != 0 {
			t.Errorf("old phrase still found after an edit: %v", got)
		}

		must(t, db.SetPostDeleted(ctx, p.ID, true, f.bob.ID, at(71)))
		if got := f.search(t, db, member, "gondola", nil); len(got) != 0 {
			t.Errorf("deleted post found by a member: %v", got)
		}
		if got := f.search(t, db, staff, "gondola", nil); !slices.Equal(got, []string{"ferry-reply"}) {
			t.Errorf("staff should find the deleted post: %v", got)
		}
		must(t, db.SetPostDeleted(ctx, p.ID, false, 0, time.Time{}))
		if got := f.search(t, db, guest, "gondola", nil); !slices.Equal(got, []string{"ferry-reply"}) {
			t.Errorf("restored post: %v", got)
		}
		// Deleting a thread's first post hides the whole thread.
		must(t, db.SetPostDeleted(ctx, f.posts["cruise"].ID, true, f.bob.ID, at(72)))
		if got := f.search(t, db, guest, "commission", nil); len(got) != 0 {
			t.Errorf("deleted thread's posts found: %v", got)
		}
		// A title change reindexes the first post.
		exec(t, db, "UPDATE threads SET title = 'Vaporetto passes' WHERE id = $1", f.ferry.ID)
		if got := f.search(t, db, guest, "vaporetto", nil); !slices.Equal(got, []string{"ferry"}) {
			t.Errorf("renamed title: %v", got)
		}
		if got := f.search(t, db, guest, `"vaporetto passes"`, nil); !slices.Equal(got, []string{"ferry"}) {
			t.Errorf("renamed title's phrase: %v", got)
		}
		if got := f.search(t, db, guest, "lisbon", nil); len(got) != 0 {
			t.Errorf("old title still found: %v", got)
		}
		// A move to the staff-only category hides the thread from members.
		exec(t, db, "UPDATE threads SET category_id = $1 WHERE id = $2", f.staff.ID, f.ferry.ID)
		if got := f.search(t, db, member, "vaporetto", nil); len(got) != 0 {
			t.Errorf("moved thread still found by a member: %v", got)
		}

		posts, indexed, err := db.SearchIndexStatus(ctx)
		must(t, err)
		if posts != indexed || posts != int64(len(f.posts)) {
			t.Errorf("index status %d of %d posts, want all %d", indexed, posts, len(f.posts))
		}
		// Lose the index, then rebuild it.
		if db.Engine() == engineSQLite {
			exec(t, db, "INSERT INTO post_search (post_search) VALUES ('delete-all')")
		} else {
			exec(t, db, "UPDATE posts SET search = NULL")
		}
		if _, indexed, _ := db.SearchIndexStatus(ctx); indexed != 0 {
			t.Fatalf("index not emptied: %d", indexed)
		}
		must(t, db.RebuildSearch(ctx))
		if posts, indexed, _ := db.SearchIndexStatus(ctx); posts != indexed {
			t.Errorf("after rebuild %d of %d", indexed, posts)
		}
		if got := f.search(t, db, staff, `"vaporetto passes"`, nil); !slices.Equal(got, []string{"ferry"}) {
			t.Errorf("after rebuild: %v", got)
		}
		if db.Engine() == engineSQLite {
			exec(t, db, "INSERT INTO post_search (post_search, rank) VALUES ('integrity-check', 1)")
		}
	})
}

// Whatever a member types, the engines get a query they accept.
func TestSearchHostileQueries(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		f := buildSearchForum(t, db)
		hostile := []string{
			`"`, `""`, `"""`, `"ferry`, `ferry"`, `"ferry" "`, `*`, `**`, `-`, `--`, `- -`, `-*`, `*ferry`, `ferry**`,
			`fer*ry`, `NEAR(ferry cruise)`, `ferry NEAR cruise`, `NEAR`, `NOT`, `AND`, `OR`, `ferry OR`, `OR ferry`,
			`ferry AND NOT cruise`, `(`, `)`, `(ferry`, `ferry)`, `((ferry))`, `title:ferry`, `body:ferry`, `{title}: ferry`,
			`title : ferry`, `^ferry`, `ferry^2`, `ferry:*`, `ferry & cruise`, `ferry | cruise`, `!ferry`, `<->`, `ferry <-> cruise`,
			`'ferry'`, `'`, `\`, `\"ferry\"`, `%`, `_`, `ferry;DROP TABLE posts`, `$1`, `?`, `:`, `:ferry`, `ferry:`,
			"ferry\x00cruise", "\xff\xfe", "日本語 フェリー", "ferry 🚢", "é", "ǅ", "ﬁ", "Ⅻ", "\u202eferry", "a\u0301",
			strings.Repeat("ferry ", 500), strings.Repeat("x", 5000), strings.Repeat(`"a" `, 100), strings.Repeat("-", 300),
			strings.Repeat("(", 300), "a*", "ab*", "the", "the and of", `"the"`, `-ferry`, `-"ferry timetable"`,
			`"ferry timetable"*`, `ferry* -cruise*`, "e-mail o'brien 3.5", "__init__", "C++", "c#", ".net",
		}
		for _, q := range hostile {
			for _, v := range []forum.Viewer{guest, staff} {
				f.search(t, db, v, q, nil) // fails the test on any error
			}
		}
	})
}

// A read connection's quick_check after writes and a rebuild: FTS5 must
// check the index as it is, not as that connection last saw it (it reported
// corruption that was not there before integrity.go's check touched it).
func TestSearchQuickCheckAfterWrites(t *testing.T) {
	db := openSQLiteTest(t)
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	f := buildSearchForum(t, db)
	must(t, db.QuickCheck(t.Context()))
	for i := range 20 {
		mkPost(t, db, f.ferry.ID, f.ada.ID, at(80+i))
		must(t, db.QuickCheck(t.Context()))
	}
	must(t, db.RebuildSearch(t.Context()))
	must(t, db.QuickCheck(t.Context()))
	must(t, db.IntegrityCheck(t.Context()))
}

// Import (seed, importers) and ImportTables (restoring a backup, moving
// between engines) leave the index complete: the triggers index each row.
func TestSearchAfterImport(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		seed(t, db, 5, 10, 3)
		if posts, indexed, err := db.SearchIndexStatus(ctx); err != nil || posts != 30 || indexed != 30 {
			t.Fatalf("after Import: %d of %d indexed (%v)", indexed, posts, err)
		}
		terms, _ := forum.ParseSearch(`"typical forum"`)
		if _, total, err := db.Search(ctx, forum.SearchQuery{Terms: terms, Viewer: guest, Now: at(0), Limit: 20}); err != nil || total != 30 {
			t.Errorf("search after Import: %d, %v", total, err)
		}
		twin := openSQLiteTest(t)
		if _, err := twin.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		must(t, twin.ImportTables(ctx, false, func(emit func(string, map[string]any) error) error {
			return db.ExportTables(ctx, emit)
		}))
		if posts, indexed, err := twin.SearchIndexStatus(ctx); err != nil || posts != 30 || indexed != 30 {
			t.Errorf("after ImportTables from %s: %d of %d indexed (%v)", db.Engine(), indexed, posts, err)
		}
		terms, _ = forum.ParseSearch(`thread`)
		if _, total, err := twin.Search(ctx, forum.SearchQuery{Terms: terms, Viewer: guest, FirstOnly: true, Now: at(0), Limit: 20}); err != nil || total != 10 {
			t.Errorf("titles after ImportTables: %d, %v", total, err)
		}
	})
}

// A word in more posts than the candidates: the newest are ranked, a title
// match first (on SQLite by the title rule, as bm25 would count them all),
// and the total says there are more.
func TestSearchCommonWord(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		var b forum.ImportBatch
		b.Members = []*forum.Member{{ID: 1, Email: "a@example.org", Name: "a", Role: forum.RoleMember, Status: forum.StatusActive, CreatedAt: t0}}
		b.Categories = []*forum.Category{{ID: 1, Name: "General", Slug: "general"}}
		n := forum.SearchCandidates + 200
		for i := 1; i <= n; i++ {
			title := fmt.Sprintf("Thread %d", i)
			if i == n-10 {
				title = "Gondola prices this year"
			}
			b.Threads = append(b.Threads, &forum.Thread{ID: int64(i), CategoryID: 1, AuthorID: 1, Title: title, Slug: "t", CreatedAt: at(i)})
			b.Posts = append(b.Posts, &forum.Post{ID: int64(i), ThreadID: int64(i), AuthorID: 1, Position: 1,
				Body: "A gondola ride in Venice, and other words.", HTML: "x", CreatedAt: at(i)})
		}
		must(t, db.Import(t.Context(), &b))
		terms, _ := forum.ParseSearch("gondola")
		hits, total, err := db.Search(t.Context(), forum.SearchQuery{Terms: terms, Viewer: guest, Now: at(n), Limit: 3})
		must(t, err)
		if total != forum.SearchCandidates || len(hits) != 3 {
			t.Fatalf("%d hits of %d", len(hits), total)
		}
		if hits[0].ThreadTitle != "Gondola prices this year" || hits[1].PostID != int64(n) || hits[2].PostID != int64(n-1) {
			t.Errorf("ranked %d %q, %d, %d; want the title match, then the newest", hits[0].PostID, hits[0].ThreadTitle, hits[1].PostID, hits[2].PostID)
		}
	})
}

// TestSearchOverItsRelevanceBudget: when bm25 cannot rank a search's few
// matches in time (common words on a big forum), the search still answers
// them all, a title match first, then the newest.
func TestSearchOverItsRelevanceBudget(t *testing.T) {
	db := openSQLiteTest(t) // PostgreSQL's ts_rank reads only the matches: no budget there
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	db.relevanceBudget = time.Nanosecond
	f := buildSearchForum(t, db)
	th := &forum.Thread{CategoryID: f.public.ID, AuthorID: f.ada.ID, Title: "Cruise commission!", Slug: "cc", CreatedAt: at(5)}
	p := &forum.Post{Body: "Asking for a friend.", HTML: "<p>Asking for a friend.</p>"}
	must(t, db.CreateThread(t.Context(), th, p))
	f.posts["exact"] = p
	within := f.search(t, db, guest, "cruise commission", nil)
	db.relevanceBudget = time.Minute
	ranked := f.search(t, db, guest, "cruise commission", nil)
	if !slices.Equal(sorted(within), sorted(ranked)) {
		t.Errorf("over the budget %v, within it %v: want the same matches", within, ranked)
	}
	if len(within) == 0 || within[0] != "exact" && within[0] != "cruise" {
		t.Errorf("over the budget: %v, want a title match first", within)
	}
}

// TestSearchQueueWithinATransaction: a post reaches the index when its
// transaction commits, and what else that transaction did to it (an edit,
// a title change, a delete) before then leaves the index exactly right;
// a batch of replies through group commit is all found.
func TestSearchQueueWithinATransaction(t *testing.T) {
	db := openSQLiteTest(t)
	ctx := t.Context()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f := buildSearchForum(t, db)
	var kept, gone int64
	must(t, db.inTx(ctx, "test", func(tx *sql.Tx) error {
		var err error
		p := &forum.Post{AuthorID: f.ada.ID, Body: "About aqueducts.", CreatedAt: at(90)}
		if kept, err = db.insertPost(ctx, tx, f.ferry.ID, 90, p); err != nil {
			return err
		}
		if gone, err = db.insertPost(ctx, tx, f.ferry.ID, 91, &forum.Post{AuthorID: f.ada.ID, Body: "About zeppelins.", CreatedAt: at(91)}); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE posts SET body = 'About funiculars.' WHERE id = ?", kept); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM posts WHERE id = ?", gone)
		return err
	}))
	for q, want := range map[string]int{"funicular": 1, "aqueduct": 0, "zeppelin": 0} {
		if got := f.search(t, db, staff, q, nil); len(got) != want {
			t.Errorf("%q: %d results, want %d", q, len(got), want)
		}
	}
	var pending int
	must(t, db.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM post_search_pending").Scan(&pending))
	if pending != 0 {
		t.Errorf("%d posts still queued after the commit", pending)
	}

	// Many replies at once: group commit puts them in batches.
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Go(func() {
			p := &forum.Post{ThreadID: f.ferry.ID, AuthorID: f.bob.ID, Body: fmt.Sprintf("Reply about trams number %d.", i), HTML: "<p>x</p>", CreatedAt: at(100 + i)}
			if err := db.CreatePost(ctx, p); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := f.search(t, db, guest, "trams", func(q *forum.SearchQuery) { q.Limit = 100 }); len(got) != 60 {
		t.Errorf("found %d of 60 replies", len(got))
	}
	exec(t, db, "INSERT INTO post_search (post_search, rank) VALUES ('integrity-check', 1)")
	if posts, indexed, _ := db.SearchIndexStatus(ctx); posts != indexed {
		t.Errorf("index holds %d of %d posts", indexed, posts)
	}
}

// TestMergeSearch: replies committed one batch after another leave the
// SQLite index in several segments; merging step by step leaves one, and
// every post is found as before, a reply posted meanwhile too.
func TestMergeSearch(t *testing.T) {
	db := openSQLiteTest(t) // PostgreSQL's GIN index has no segments
	ctx := t.Context()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f := buildSearchForum(t, db)
	for i := range 40 { // each its own batch: a segment each until FTS5 merges some
		p := &forum.Post{ThreadID: f.ferry.ID, AuthorID: f.bob.ID, Body: fmt.Sprintf("Gondola number %d", i), HTML: "x", CreatedAt: at(70 + i)}
		must(t, db.CreatePost(ctx, p))
	}
	before, err := db.SearchSegments(ctx)
	must(t, err)
	if before < 2 {
		t.Fatalf("%d segments after 40 batches; want several", before)
	}
	count := func(q string) int {
		terms, _ := forum.ParseSearch(q)
		_, total, err := db.Search(ctx, forum.SearchQuery{Terms: terms, Viewer: staff, Now: at(200), Limit: 1})
		must(t, err)
		return total
	}
	gondolas, ferries := count("gondola"), count("ferry")
	steps := 0
	for merged := true; merged; steps++ {
		if steps == 1 { // a reply between two steps
			p := &forum.Post{ThreadID: f.cruise.ID, AuthorID: f.ada.ID, Body: "A gondola meanwhile", HTML: "x", CreatedAt: at(150)}
			must(t, db.CreatePost(ctx, p))
			gondolas++
		}
		if steps > 1000 {
			t.Fatal("merging never ends")
		}
		merged, err = db.MergeSearch(ctx, 2) // two pages a step: many steps
		must(t, err)
	}
	after, err := db.SearchSegments(ctx)
	must(t, err)
	if after != 1 {
		t.Errorf("%d segments after %d steps of merging (%d before); want 1", after, steps, before)
	}
	t.Logf("%d segments merged into one in %d steps", before, steps)
	if g, fe := count("gondola"), count("ferry"); g != gondolas || fe != ferries {
		t.Errorf("after merging: %d gondolas, %d ferries; want %d, %d", g, fe, gondolas, ferries)
	}
	must(t, db.SearchIntegrityCheck(ctx))
}
