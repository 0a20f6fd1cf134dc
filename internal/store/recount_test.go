package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"hearth/internal/forum"
)

// buildForum posts a small forum the normal way, with a deleted reply, a
// deleted thread and a subcategory, on db.
func buildForum(t *testing.T, db *DB) {
	t.Helper()
	ctx := t.Context()
	ms := []*forum.Member{mkMember(t, db, "ann"), mkMember(t, db, "ben"), mkMember(t, db, "cy")}
	top := mkCategory(t, db, "top", 1)
	sub := &forum.Category{ParentID: top.ID, Name: "sub", Slug: "sub", Position: 2}
	must(t, db.CreateCategory(ctx, sub))
	mkCategory(t, db, "empty", 3)
	minute := 0
	for i, cat := range []*forum.Category{top, sub, top, sub, top} {
		minute++
		th, _ := mkThread(t, db, cat.ID, ms[i%3].ID, "thread", at(minute))
		for j := range i + 2 {
			minute++
			p := mkPost(t, db, th.ID, ms[(i+j)%3].ID, at(minute))
			if j == 1 {
				must(t, db.SetPostDeleted(ctx, p.ID, true, ms[0].ID, at(minute)))
			}
		}
		if i == 2 {
			first, err := db.ListPosts(ctx, th.ID, 1, 1)
			must(t, err)
			must(t, db.SetPostDeleted(ctx, first[0].ID, true, ms[0].ID, at(minute)))
		}
	}
}

// snapshot reads every row the way callers see them.
func snapshot(t *testing.T, db *DB) *forum.ImportBatch {
	t.Helper()
	ctx := t.Context()
	var b forum.ImportBatch
	var err error
	b.Members, err = db.ListMembers(ctx, "", 0)
	must(t, err)
	b.Categories, err = db.ListCategories(ctx)
	must(t, err)
	for _, c := range b.Categories {
		threads, _, err := db.ListThreads(ctx, forum.ThreadFilter{CategoryID: c.ID, IncludeDeleted: true})
		must(t, err)
		b.Threads = append(b.Threads, threads...)
		for _, th := range threads {
			posts, err := db.ListPosts(ctx, th.ID, 1, 1<<30)
			must(t, err)
			b.Posts = append(b.Posts, posts...)
		}
	}
	return &b
}

func TestImportThenRecount(t *testing.T) {
	forEachEngine(t, func(t *testing.T, src *DB) {
		ctx := t.Context()
		buildForum(t, src)
		want := snapshot(t, src)

		// Import copies with every counter and pointer zeroed.
		var in forum.ImportBatch
		for _, m := range want.Members {
			c := *m
			c.PostCount = 0
			in.Members = append(in.Members, &c)
		}
		for i := len(want.Categories) - 1; i >= 0; i-- { // children before parents: Import must cope
			c := *want.Categories[i]
			c.ThreadCount, c.PostCount, c.LastPostID, c.LastPostAt = 0, 0, 0, time.Time{}
			in.Categories = append(in.Categories, &c)
		}
		for _, th := range want.Threads {
			c := *th
			c.PostCount, c.LastPosition, c.LastPostID, c.LastPosterID = 0, 0, 0, 0
			in.Threads = append(in.Threads, &c)
		}
		in.Posts = want.Posts

		dst := openTwin(t, src)
		must(t, dst.Import(ctx, &in))
		r, err := dst.Recount(ctx)
		must(t, err)
		if r.Members != 3 || r.Threads != len(want.Threads) || r.Categories != 2 {
			t.Errorf("first Recount after Import = %+v, want 3 members, %d threads, 2 categories", r, len(want.Threads))
		}
		if got := snapshot(t, dst); dump(got) != dump(want) {
			t.Errorf("imported and recounted forum differs from the posted one:\n got %s\nwant %s", dump(got), dump(want))
		}
		assertConsistent(t, dst)

		// Importing the same IDs again conflicts and changes nothing.
		wantErr(t, dst.Import(ctx, &forum.ImportBatch{Members: in.Members[:1]}), forum.ErrConflict)

		// New rows get fresh IDs after imported ones (PostgreSQL sequences).
		m := mkMember(t, dst, "newcomer")
		th, p := mkThread(t, dst, in.Categories[0].ID, m.ID, "after import", at(1000))
		if m.ID <= want.Members[len(want.Members)-1].ID || p.ID <= maxPostID(want) || th.ID == 0 {
			t.Errorf("IDs after import collide: member %d, thread %d, post %d", m.ID, th.ID, p.ID)
		}
		c := &forum.Category{Name: "later", Slug: "later"}
		must(t, dst.CreateCategory(ctx, c))
		assertConsistent(t, dst)
	})
}

func maxPostID(b *forum.ImportBatch) int64 {
	var id int64
	for _, p := range b.Posts {
		id = max(id, p.ID)
	}
	return id
}

// openTwin opens another empty, migrated database of db's engine.
func openTwin(t *testing.T, db *DB) *DB {
	t.Helper()
	var twin *DB
	if db.Engine() == enginePostgres {
		twin = openPostgresTest(t)
	} else {
		twin = openSQLiteTest(t)
	}
	if _, err := twin.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return twin
}

func TestRecountRepairs(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		buildForum(t, db)
		assertConsistent(t, db)
		want := snapshot(t, db)

		tests := []struct {
			name     string
			sabotage string
			want     forum.RecountReport
		}{
			{"member count", "UPDATE members SET post_count = 99 WHERE id = 1", forum.RecountReport{Members: 1}},
			{"thread count", "UPDATE threads SET post_count = 0 WHERE id = 1", forum.RecountReport{Threads: 1}},
			{"thread pointer", "UPDATE threads SET last_post_id = NULL, last_poster_id = 2 WHERE id = 2", forum.RecountReport{Threads: 1}},
			{"every thread", "UPDATE threads SET last_position = 0", forum.RecountReport{Threads: len(want.Threads)}},
			{"category counts", "UPDATE categories SET thread_count = 7, post_count = 0", forum.RecountReport{Categories: 3}},
			{"category pointer", "UPDATE categories SET last_post_id = NULL WHERE id = 1", forum.RecountReport{Categories: 1}},
			{"empty category pointer", "UPDATE categories SET last_post_at = 5 WHERE slug = 'empty'", forum.RecountReport{Categories: 1}},
		}
		for _, tt := range tests {
			exec(t, db, tt.sabotage)
			r, err := db.Recount(ctx)
			must(t, err)
			if r != tt.want {
				t.Errorf("%s: Recount = %+v, want %+v", tt.name, r, tt.want)
			}
			if got := snapshot(t, db); dump(got) != dump(want) {
				t.Errorf("%s: Recount did not restore the forum", tt.name)
			}
		}
		assertConsistent(t, db)
	})
}

func TestErrors(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		m := mkMember(t, db, "m")
		must(t, db.Ping(ctx))
		must(t, db.Close())
		_, err := db.MemberByID(ctx, m.ID)
		wantErr(t, err, forum.ErrUnavailable)
		wantErr(t, db.CreateMember(ctx, &forum.Member{Email: "x@y.z"}), forum.ErrUnavailable)
		wantErr(t, db.CreatePost(ctx, &forum.Post{ThreadID: 1, AuthorID: m.ID}), forum.ErrUnavailable)
		wantErr(t, db.Ping(ctx), forum.ErrUnavailable)
		if code := forum.ErrorCode(err); code != forum.EUNAVAILABLE {
			t.Errorf("ErrorCode of a closed database = %s", code)
		}
	})
}

// dump prints a batch row by row, for comparing two forums.
func dump(b *forum.ImportBatch) string {
	var sb strings.Builder
	for _, m := range b.Members {
		fmt.Fprintf(&sb, "%+v\n", *m)
	}
	for _, c := range b.Categories {
		fmt.Fprintf(&sb, "%+v\n", *c)
	}
	for _, t := range b.Threads {
		fmt.Fprintf(&sb, "%+v\n", *t)
	}
	for _, p := range b.Posts {
		fmt.Fprintf(&sb, "%+v\n", *p)
	}
	return sb.String()
}
