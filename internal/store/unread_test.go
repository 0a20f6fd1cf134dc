package store

import (
	"database/sql"
	"maps"
	"slices"
	"testing"
	"time"

	"hearth/internal/forum"
)

func positions(t *testing.T, db *DB, member int64, threads ...int64) map[int64]int {
	t.Helper()
	r, err := db.MemberReads(t.Context(), member, threads, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r.Positions
}

// TestReadPositionsNeverBackwards: a position only moves forward, whatever
// order the flushes come in (from several nodes, say).
func TestReadPositionsNeverBackwards(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		ann := mkMember(t, db, "ann")
		c := mkCategory(t, db, "general", 1)
		th, _ := mkThread(t, db, c.ID, ann.ID, "t1", at(0))
		other, _ := mkThread(t, db, c.ID, ann.ID, "t2", at(1))
		for _, step := range []struct {
			pos, want int
		}{{5, 5}, {3, 5}, {5, 5}, {9, 9}, {1, 9}} {
			must(t, db.SaveReads(ctx, []forum.ReadMark{{MemberID: ann.ID, ThreadID: th.ID, Position: step.pos, At: at(2)}}, nil))
			if got := positions(t, db, ann.ID, th.ID, other.ID); !maps.Equal(got, map[int64]int{th.ID: step.want}) {
				t.Errorf("after position %d: %v, want {%d: %d}", step.pos, got, th.ID, step.want)
			}
		}
		// One flush with several members and threads, out of order.
		bob := mkMember(t, db, "bob")
		must(t, db.SaveReads(ctx, []forum.ReadMark{
			{MemberID: bob.ID, ThreadID: other.ID, Position: 1, At: at(3)},
			{MemberID: ann.ID, ThreadID: other.ID, Position: 1, At: at(3)},
			{MemberID: bob.ID, ThreadID: th.ID, Position: 2, At: at(3)},
		}, nil))
		if got := positions(t, db, bob.ID, th.ID, other.ID); !maps.Equal(got, map[int64]int{th.ID: 2, other.ID: 1}) {
			t.Errorf("bob: %v", got)
		}
		if _, err := db.MemberReads(ctx, 999, []int64{th.ID}, nil); err == nil {
			t.Error("MemberReads of an unknown member: no error")
		}
	})
}

// TestSaveReadsInAMixedBatch: read positions saved in a batch with a write
// that is not one statement (on PostgreSQL the batch then runs statement
// by statement, the marks passed as arrays through database/sql) and with
// replies (pipelined): every write lands.
func TestSaveReadsInAMixedBatch(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		ann := mkMember(t, db, "ann")
		c := mkCategory(t, db, "general", 1)
		th, _ := mkThread(t, db, c.ID, ann.ID, "t1", at(0))
		for _, mixed := range []bool{true, false} {
			release := holdBatcher(t, db)
			errs := make(chan error, 3)
			pos := 2
			if !mixed {
				pos = 3
			}
			go func() {
				errs <- db.SaveReads(ctx, []forum.ReadMark{{MemberID: ann.ID, ThreadID: th.ID, Position: pos, At: at(2)}},
					[]forum.VisitMark{{MemberID: ann.ID, At: at(3)}})
			}()
			go func() {
				errs <- db.CreatePost(ctx, &forum.Post{ThreadID: th.ID, AuthorID: ann.ID, Body: "r", HTML: "<p>r</p>", CreatedAt: at(2)})
			}()
			queued := 2
			if mixed {
				queued = 3
				go func() { errs <- db.inWriteTx(ctx, "plain", func(tx *sql.Tx) error { return nil }) }()
			}
			release(queued)
			for range queued {
				must(t, <-errs)
			}
			if got := positions(t, db, ann.ID, th.ID); got[th.ID] != pos {
				t.Errorf("mixed=%v: position %v, want %d", mixed, got, pos)
			}
		}
	})
}

// TestVisits: a request more than an hour after the last one starts a
// visit, and the visit before is what "new" compares against.
func TestVisits(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		ann := mkMember(t, db, "ann")
		for i, step := range []struct {
			seen           time.Time
			last, previous time.Time
		}{
			{at(0), at(0), time.Time{}},   // the first visit ever
			{at(30), at(30), time.Time{}}, // the same visit
			{at(200), at(200), at(30)},    // a new one: the last ended at 30
			{at(100), at(200), at(30)},    // a late flush does not go back
			{at(250), at(250), at(30)},
		} {
			must(t, db.SaveReads(ctx, nil, []forum.VisitMark{{MemberID: ann.ID, At: step.seen}}))
			r, err := db.MemberReads(ctx, ann.ID, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !r.LastVisitAt.Equal(step.last) || !r.PreviousVisitAt.Equal(step.previous) {
				t.Errorf("step %d: last %v previous %v, want %v %v", i, r.LastVisitAt, r.PreviousVisitAt, step.last, step.previous)
			}
		}
	})
}

// TestMarkRead: marking a category read moves the member's positions in
// its threads to the end and stamps it; other categories and members are
// untouched. Marking everything read moves all and stamps the member.
func TestMarkRead(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		ann, bob := mkMember(t, db, "ann"), mkMember(t, db, "bob")
		c1, c2 := mkCategory(t, db, "one", 1), mkCategory(t, db, "two", 2)
		t1, _ := mkThread(t, db, c1.ID, bob.ID, "t1", at(0))
		t2, _ := mkThread(t, db, c2.ID, bob.ID, "t2", at(0))
		for range 3 {
			mkPost(t, db, t1.ID, bob.ID, at(1))
			mkPost(t, db, t2.ID, bob.ID, at(1))
		}
		read := func(m int64) {
			must(t, db.SaveReads(ctx, []forum.ReadMark{{MemberID: m, ThreadID: t1.ID, Position: 1, At: at(2)}, {MemberID: m, ThreadID: t2.ID, Position: 2, At: at(2)}}, nil))
		}
		read(ann.ID)
		read(bob.ID)
		must(t, db.MarkCategoriesRead(ctx, ann.ID, []int64{c1.ID}, at(3)))
		if got := positions(t, db, ann.ID, t1.ID, t2.ID); !maps.Equal(got, map[int64]int{t1.ID: 4, t2.ID: 2}) {
			t.Errorf("ann after marking one read: %v", got)
		}
		if got := positions(t, db, bob.ID, t1.ID, t2.ID); !maps.Equal(got, map[int64]int{t1.ID: 1, t2.ID: 2}) {
			t.Errorf("bob, who marked nothing: %v", got)
		}
		r, err := db.MemberReads(ctx, ann.ID, nil, []int64{c1.ID, c2.ID})
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(r.CategoryMarks, map[int64]time.Time{c1.ID: at(3)}) || !r.MarkedReadAt.IsZero() {
			t.Errorf("marks: %v, everything %v", r.CategoryMarks, r.MarkedReadAt)
		}
		must(t, db.MarkCategoriesRead(ctx, ann.ID, []int64{c1.ID}, at(4))) // again: the mark moves on
		must(t, db.MarkAllRead(ctx, bob.ID, at(5)))
		if got := positions(t, db, bob.ID, t1.ID, t2.ID); !maps.Equal(got, map[int64]int{t1.ID: 4, t2.ID: 4}) {
			t.Errorf("bob after marking everything read: %v", got)
		}
		r, err = db.MemberReads(ctx, bob.ID, nil, nil)
		if err != nil || !r.MarkedReadAt.Equal(at(5)) {
			t.Errorf("bob's mark: %v, %v", r, err)
		}
		r, _ = db.MemberReads(ctx, ann.ID, nil, []int64{c1.ID})
		if !r.CategoryMarks[c1.ID].Equal(at(4)) {
			t.Errorf("ann's mark of one after marking it again: %v", r.CategoryMarks)
		}
	})
}

// TestUnreadThreads: what the front page counts, with the visibility in
// the query: a staff-only category's threads only for staff, deleted
// threads never, marks respected.
func TestUnreadThreads(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		ann, bob := mkMember(t, db, "ann"), mkMember(t, db, "bob")
		pub := mkCategory(t, db, "public", 1)
		staff := &forum.Category{Name: "staff", Slug: "staff", Position: 2, StaffOnly: true}
		must(t, db.CreateCategory(ctx, staff))
		sub := &forum.Category{Name: "sub", Slug: "sub", Position: 3, ParentID: staff.ID}
		must(t, db.CreateCategory(ctx, sub))

		old, _ := mkThread(t, db, pub.ID, bob.ID, "old", at(0))           // read, then replied to: unread
		seen, _ := mkThread(t, db, pub.ID, bob.ID, "seen", at(1))         // read to the end
		fresh, _ := mkThread(t, db, pub.ID, bob.ID, "fresh", at(100))     // never read, recent: new
		stale, _ := mkThread(t, db, pub.ID, bob.ID, "stale", at(2))       // never read, before since: nothing
		gone, _ := mkThread(t, db, pub.ID, bob.ID, "gone", at(101))       // deleted: nothing
		hidden, _ := mkThread(t, db, staff.ID, bob.ID, "hidden", at(102)) // staff only
		subHidden, _ := mkThread(t, db, sub.ID, bob.ID, "under", at(103)) // under a staff-only parent
		must(t, db.SaveReads(ctx, []forum.ReadMark{
			{MemberID: ann.ID, ThreadID: old.ID, Position: 1, At: at(3)},
			{MemberID: ann.ID, ThreadID: seen.ID, Position: 1, At: at(3)},
		}, nil))
		mkPost(t, db, old.ID, bob.ID, at(104))
		gp, err := db.ListPosts(ctx, gone.ID, 1, 1)
		must(t, err)
		must(t, db.SetPostDeleted(ctx, gp[0].ID, true, bob.ID, at(105)))
		_ = stale

		ids := func(see forum.Visibility) []int64 {
			list, err := db.UnreadThreads(ctx, ann.ID, at(50), see)
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, u := range list {
				if u.New != (u.ThreadID != old.ID && u.ThreadID != seen.ID) {
					t.Errorf("thread %d: new = %v", u.ThreadID, u.New)
				}
				out = append(out, u.ThreadID)
			}
			slices.Sort(out)
			return out
		}
		if got, want := ids(forum.Visibility{Member: true}), []int64{old.ID, fresh.ID}; !slices.Equal(got, want) {
			t.Errorf("member: %v, want %v", got, want)
		}
		if got, want := ids(forum.Visibility{Member: true, Staff: true}), []int64{old.ID, fresh.ID, hidden.ID, subHidden.ID}; !slices.Equal(got, want) {
			t.Errorf("staff: %v, want %v", got, want)
		}
		must(t, db.MarkCategoriesRead(ctx, ann.ID, []int64{pub.ID}, at(200)))
		if got := ids(forum.Visibility{Member: true}); len(got) != 0 {
			t.Errorf("after marking public read: %v", got)
		}
		mkPost(t, db, seen.ID, bob.ID, at(201))
		if got, want := ids(forum.Visibility{Member: true}), []int64{seen.ID}; !slices.Equal(got, want) {
			t.Errorf("a reply after the mark: %v, want %v", got, want)
		}
	})
}
