package store

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"hearth/internal/forum"
)

// seed imports a forum of members, one category, threads x perThread posts
// and recounts it, as the seeding tool would.
func seed(tb testing.TB, db *DB, members, threads, perThread int) {
	tb.Helper()
	seedNoRecount(tb, db, members, threads, perThread)
	if _, err := db.Recount(context.Background()); err != nil {
		tb.Fatal(err)
	}
}

func seedNoRecount(tb testing.TB, db *DB, members, threads, perThread int) {
	tb.Helper()
	var b forum.ImportBatch
	for i := 1; i <= members; i++ {
		b.Members = append(b.Members, &forum.Member{ID: int64(i), Email: fmt.Sprintf("m%d@example.org", i),
			Name: fmt.Sprintf("member %d", i), Role: forum.RoleMember, Status: forum.StatusActive, CreatedAt: t0})
	}
	b.Categories = []*forum.Category{{ID: 1, Name: "General", Slug: "general"}}
	body := strings.Repeat("Some words of a typical forum post. ", 12)
	html := "<p>" + body + "</p>"
	postID := int64(0)
	for th := 1; th <= threads; th++ {
		b.Threads = append(b.Threads, &forum.Thread{ID: int64(th), CategoryID: 1, AuthorID: int64(th%members + 1),
			Title: fmt.Sprintf("Thread %d", th), Slug: fmt.Sprintf("thread-%d", th), CreatedAt: at(th)})
		for pos := 1; pos <= perThread; pos++ {
			postID++
			b.Posts = append(b.Posts, &forum.Post{ID: postID, ThreadID: int64(th), AuthorID: postID%int64(members) + 1,
				Position: pos, Body: body, HTML: html, CreatedAt: at(th + pos)})
		}
	}
	ctx := context.Background()
	if err := db.Import(ctx, &b); err != nil {
		tb.Fatal(err)
	}
}

func benchDB(b *testing.B) *DB {
	db := openSQLiteTest(b)
	if _, err := db.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	seed(b, db, 50, 200, 20) // 4,000 posts
	return db
}

func BenchmarkListPosts(b *testing.B) {
	db := benchDB(b)
	ctx := context.Background()
	for b.Loop() {
		posts, err := db.ListPosts(ctx, 100, 1, 20)
		if err != nil || len(posts) != 20 {
			b.Fatalf("ListPosts: %d posts, %v", len(posts), err)
		}
	}
}

func BenchmarkListThreads(b *testing.B) {
	db := benchDB(b)
	ctx := context.Background()
	for b.Loop() {
		threads, total, err := db.ListThreads(ctx, forum.ThreadFilter{CategoryID: 1, Offset: 25, Limit: 25})
		if err != nil || len(threads) != 25 || total != 200 {
			b.Fatalf("ListThreads: %d threads of %d, %v", len(threads), total, err)
		}
	}
}

// BenchmarkCreatePostParallel: replies from many members into many threads
// at once, the posting load of a busy forum (each with its event).
func BenchmarkCreatePostParallel(b *testing.B) {
	for _, engine := range []string{engineSQLite, enginePostgres} {
		b.Run(engine, func(b *testing.B) {
			db := openEngineBench(b, engine)
			seed(b, db, 200, 500, 1)
			var n atomic.Int64
			b.SetParallelism(16)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					p := &forum.Post{ThreadID: i%500 + 1, AuthorID: i%200 + 1, Body: "reply", HTML: "<p>reply</p>", CreatedAt: t0}
					if err := db.CreatePost(context.Background(), p); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "replies/s")
		})
	}
}

// BenchmarkListThreadsDeep: a category of 40,000 threads, as the largest
// of the seeded data set's, read at its first, a middle and its last page.
func BenchmarkListThreadsDeep(b *testing.B) {
	for _, engine := range []string{engineSQLite, enginePostgres} {
		b.Run(engine, func(b *testing.B) {
			db := openEngineBench(b, engine)
			seed(b, db, 200, 40000, 1)
			if engine == enginePostgres {
				db.write.Exec("VACUUM ANALYZE") // as autovacuum would: the visibility map lets index-only scans skip the heap
			}
			ctx := context.Background()
			for _, page := range []int{1, 650, 1333} {
				b.Run(fmt.Sprintf("page-%d", page), func(b *testing.B) {
					for b.Loop() {
						threads, total, err := db.ListThreads(ctx, forum.ThreadFilter{CategoryID: 1, Offset: (page - 1) * 30, Limit: 30})
						if err != nil || len(threads) == 0 || total != 40000 {
							b.Fatalf("ListThreads: %d threads of %d, %v", len(threads), total, err)
						}
					}
				})
			}
		})
	}
}

// openEngineBench opens a fresh, migrated database of engine (PostgreSQL
// skips without HEARTH_TEST_POSTGRES).
func openEngineBench(b *testing.B, engine string) *DB {
	b.Helper()
	var db *DB
	if engine == engineSQLite {
		db = openSQLiteTest(b)
	} else {
		db = openPostgresTest(b)
	}
	if _, err := db.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	return db
}

// BenchmarkLatestThreads: the front page's latest threads across 12
// categories of 40,000 threads, as the seeded data set has; a guest's
// copy is read again after every reply.
func BenchmarkLatestThreads(b *testing.B) {
	for _, engine := range []string{engineSQLite, enginePostgres} {
		b.Run(engine, func(b *testing.B) {
			db := openEngineBench(b, engine)
			var batch forum.ImportBatch
			batch.Members = []*forum.Member{{ID: 1, Email: "m@example.org", Name: "m", Role: forum.RoleMember, Status: forum.StatusActive, CreatedAt: t0}}
			for c := int64(1); c <= 12; c++ {
				batch.Categories = append(batch.Categories, &forum.Category{ID: c, Name: fmt.Sprint("c", c), Slug: fmt.Sprint("c", c), Position: int(c)})
			}
			for th := 1; th <= 40000; th++ {
				batch.Threads = append(batch.Threads, &forum.Thread{ID: int64(th), CategoryID: int64(th%12 + 1), AuthorID: 1,
					Title: fmt.Sprintf("Thread %d", th), Slug: "t", CreatedAt: at(th)})
				batch.Posts = append(batch.Posts, &forum.Post{ID: int64(th), ThreadID: int64(th), AuthorID: 1, Position: 1,
					Body: "b", HTML: "<p>b</p>", CreatedAt: at(th)})
			}
			ctx := context.Background()
			if err := db.Import(ctx, &batch); err != nil {
				b.Fatal(err)
			}
			if _, err := db.Recount(ctx); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				threads, err := db.LatestThreads(ctx, forum.LatestFilter{Access: forum.AccessGuest, Limit: 30})
				if err != nil || len(threads) != 30 {
					b.Fatalf("LatestThreads: %d threads, %v", len(threads), err)
				}
			}
		})
	}
}
