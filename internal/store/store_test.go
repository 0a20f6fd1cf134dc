package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"hearth/internal/forum"
)

// The suite runs against SQLite always and against PostgreSQL when
// HEARTH_TEST_POSTGRES holds a server URL; each test gets a fresh database.

const pgEnv = "HEARTH_TEST_POSTGRES"

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// at returns t0 plus n minutes: distinct, ordered times for fixtures.
func at(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }

// forEachEngine runs fn on a freshly migrated database of every engine.
func forEachEngine(t *testing.T, fn func(t *testing.T, db *DB)) {
	forEachEngineRaw(t, func(t *testing.T, db *DB) {
		if _, err := db.Migrate(t.Context()); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		fn(t, db)
	})
}

// forEachEngineRaw runs fn on an empty, unmigrated database of every engine.
func forEachEngineRaw(t *testing.T, fn func(t *testing.T, db *DB)) {
	t.Helper()
	engines := []struct {
		name string
		open func(testing.TB) *DB
	}{
		{engineSQLite, openSQLiteTest},
		{enginePostgres, openPostgresTest},
	}
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			fn(t, e.open(t))
		})
	}
}

func openSQLiteTest(tb testing.TB) *DB {
	tb.Helper()
	// A missing parent directory is created by Open.
	path := filepath.Join(tb.TempDir(), "data", "hearth.db")
	db, err := Open(context.Background(), "sqlite:"+path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func openPostgresTest(tb testing.TB) *DB {
	tb.Helper()
	base := os.Getenv(pgEnv)
	if base == "" {
		tb.Skip(pgEnv + " not set: skipping the PostgreSQL store suite; .ci/run sets it")
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatal(err)
	}
	var buf [6]byte
	rand.Read(buf[:])
	name := "hearth_test_" + hex.EncodeToString(buf[:])
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		tb.Fatalf("create test database: %v", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatal(err)
	}
	u.Path = "/" + name
	db, err := Open(ctx, u.String())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		db.Close()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("drop test database %s: %v", name, err)
		}
		admin.Close()
	})
	return db
}

// Fixtures.

func mkMember(t testing.TB, db *DB, name string) *forum.Member {
	t.Helper()
	m := &forum.Member{Email: name + "@example.org", Name: name, PasswordHash: "hash-" + name,
		Role: forum.RoleMember, Status: forum.StatusActive, CreatedAt: t0}
	if err := db.CreateMember(context.Background(), m); err != nil {
		t.Fatalf("create member %s: %v", name, err)
	}
	return m
}

func mkCategory(t testing.TB, db *DB, name string, position int) *forum.Category {
	t.Helper()
	c := &forum.Category{Name: name, Slug: name, Position: position}
	if err := db.CreateCategory(context.Background(), c); err != nil {
		t.Fatalf("create category %s: %v", name, err)
	}
	return c
}

func mkThread(t testing.TB, db *DB, categoryID, authorID int64, title string, when time.Time) (*forum.Thread, *forum.Post) {
	t.Helper()
	th := &forum.Thread{CategoryID: categoryID, AuthorID: authorID, Title: title, Slug: title, CreatedAt: when}
	p := &forum.Post{Body: "first post of " + title, HTML: "<p>first post of " + title + "</p>"}
	if err := db.CreateThread(context.Background(), th, p); err != nil {
		t.Fatalf("create thread %s: %v", title, err)
	}
	return th, p
}

func mkPost(t testing.TB, db *DB, threadID, authorID int64, when time.Time) *forum.Post {
	t.Helper()
	p := &forum.Post{ThreadID: threadID, AuthorID: authorID, Body: "reply", HTML: "<p>reply</p>", CreatedAt: when}
	if err := db.CreatePost(context.Background(), p); err != nil {
		t.Fatalf("create post in thread %d: %v", threadID, err)
	}
	return p
}

func getThread(t testing.TB, db *DB, id int64) *forum.Thread {
	t.Helper()
	th, err := db.ThreadByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return th
}

func getCategory(t testing.TB, db *DB, id int64) *forum.Category {
	t.Helper()
	c, err := db.CategoryByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func postCount(t testing.TB, db *DB, memberID int64) int {
	t.Helper()
	m, err := db.MemberByID(context.Background(), memberID)
	if err != nil {
		t.Fatal(err)
	}
	return m.PostCount
}

// assertConsistent checks that the counters the writes maintained are the
// ones Recount computes from scratch.
func assertConsistent(t testing.TB, db *DB) {
	t.Helper()
	r, err := db.Recount(context.Background())
	if err != nil {
		t.Fatalf("recount: %v", err)
	}
	if r != (forum.RecountReport{}) {
		t.Errorf("counters drifted from what Recount computes: %+v", r)
	}
}

func wantErr(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("error = %v, want %v", err, target)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func exec(t testing.TB, db *DB, query string, args ...any) {
	t.Helper()
	if _, err := db.write.ExecContext(context.Background(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func describe(v any) string { return fmt.Sprintf("%+v", v) }

// TestDSNEngine: one function decides a DSN's engine, and Open and the
// dialect agree with it; a SQLite path that merely mentions PostgreSQL is
// still a file.
func TestDSNEngine(t *testing.T) {
	for _, c := range []struct {
		dsn      string
		postgres bool
		file     string
	}{
		{"postgres://u@h/db", true, ""},
		{"postgresql://u@h/db?sslmode=disable", true, ""},
		{"/srv/hearth/hearth.db", false, "/srv/hearth/hearth.db"},
		{"sqlite:/srv/hearth/hearth.db", false, "/srv/hearth/hearth.db"},
		{"the PostgreSQL database/hearth.db", false, "the PostgreSQL database/hearth.db"},
		{"data/postgres://x.db", false, "data/postgres://x.db"},
	} {
		if got := IsPostgresDSN(c.dsn); got != c.postgres {
			t.Errorf("IsPostgresDSN(%q) = %v", c.dsn, got)
		}
		if got := SQLiteFile(c.dsn); got != c.file {
			t.Errorf("SQLiteFile(%q) = %q, want %q", c.dsn, got, c.file)
		}
	}
	path := filepath.Join(t.TempDir(), "the PostgreSQL database.db")
	db, err := Open(t.Context(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Engine() != engineSQLite || db.dialect != sqliteDialect || db.Path() != path {
		t.Errorf("engine %q, path %q", db.Engine(), db.Path())
	}
}
