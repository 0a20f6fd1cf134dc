package ops

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hearth/internal/forum"
	"hearth/internal/store"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// newForum returns the config of a fresh data directory holding a
// migrated SQLite forum with some members, threads and posts.
func newForum(t *testing.T, posts int) Config {
	t.Helper()
	cfg := Config{DataDir: filepath.Join(t.TempDir(), "data"), Version: "test"}
	db := openMigrated(t, cfg.DSN())
	fill(t, db, posts)
	db.Close()
	return cfg
}

func openMigrated(t *testing.T, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	must(t, err)
	t.Cleanup(func() { db.Close() })
	_, err = db.Migrate(context.Background())
	must(t, err)
	return db
}

// fill adds 3 members, 2 categories, a thread per 10 posts and posts.
func fill(t *testing.T, db *store.DB, posts int) {
	t.Helper()
	ctx := context.Background()
	var members []int64
	for _, n := range []string{"ada", "bo", "cy"} {
		m := &forum.Member{Email: n + "@example.org", Name: n, PasswordHash: "x", Role: forum.RoleMember, Status: forum.StatusActive, CreatedAt: t0}
		must(t, db.CreateMember(ctx, m))
		members = append(members, m.ID)
	}
	cat := &forum.Category{Name: "General", Slug: "general"}
	must(t, db.CreateCategory(ctx, cat))
	must(t, db.CreateCategory(ctx, &forum.Category{Name: "Inner", Slug: "inner", ParentID: cat.ID}))
	must(t, db.CreateSession(ctx, &forum.Session{TokenHash: "old", MemberID: members[0], Kind: "web", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}))
	var thread int64
	for i := range posts {
		body := fmt.Sprintf("post %d %s", i, strings.Repeat("lorem ipsum ", 40))
		p := &forum.Post{AuthorID: members[i%3], Body: body, HTML: "<p>" + body + "</p>", CreatedAt: t0.Add(time.Duration(i) * time.Second)}
		if i%10 == 0 {
			th := &forum.Thread{CategoryID: cat.ID, AuthorID: p.AuthorID, Title: fmt.Sprint("thread ", i), Slug: "t", CreatedAt: p.CreatedAt}
			must(t, db.CreateThread(ctx, th, p))
			thread = th.ID
			continue
		}
		p.ThreadID = thread
		must(t, db.CreatePost(ctx, p))
	}
}

// counts opens dsn and returns its row counts.
func counts(t *testing.T, dsn string) map[string]int64 {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	must(t, err)
	defer db.Close()
	c, err := db.TableCounts(context.Background())
	must(t, err)
	return c
}

// rawExec runs SQL on a SQLite file behind the store's back (to break it).
func rawExec(t *testing.T, path, query string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	must(t, err)
	defer db.Close()
	if _, err := db.Exec(query); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	must(t, os.MkdirAll(filepath.Dir(path), 0o750))
	must(t, os.WriteFile(path, []byte(content), 0o640))
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	must(t, err)
	return string(b)
}

func backup(t *testing.T, cfg Config, opts BackupOptions) Entry {
	t.Helper()
	db, err := store.Open(context.Background(), cfg.DSN())
	must(t, err)
	defer db.Close()
	e, err := (&Backuper{Config: cfg, DB: db}).Backup(context.Background(), opts)
	must(t, err)
	return e
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErrContains(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}
