package store

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"hearth/internal/forum"
)

// readAll drains the stream from c and returns the events and the cursor
// after them, reading in small pages so paging is exercised too.
func readAll(t *testing.T, db *DB, c forum.EventCursor) ([]forum.Event, forum.EventCursor) {
	t.Helper()
	var out []forum.Event
	for range 1000 {
		evs, next, err := db.Events(t.Context(), c, 3)
		if err != nil {
			t.Fatal(err)
		}
		out, c = append(out, evs...), next
		if len(evs) < 3 {
			return out, c
		}
	}
	t.Fatal("the stream does not end")
	return nil, c
}

func kinds(evs []forum.Event) []forum.EventKind {
	var k []forum.EventKind
	for _, e := range evs {
		k = append(k, e.Kind)
	}
	return k
}

// Every write appends its event in its own transaction, naming its
// subjects, and a reader by cursor sees each exactly once.
func TestWritesAppendEvents(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		db.SetNode("node-a")
		_, c := readAll(t, db, "")
		m := &forum.Member{Email: "ev@example.org", Name: "Eve", Role: forum.RoleMember, Status: forum.StatusPending, CreatedAt: at(0)}
		must(t, db.CreateMember(ctx, m))
		must(t, db.SetMemberStatus(ctx, m.ID, forum.StatusPending, forum.StatusActive, nil))
		m.Name = "Eve Evans"
		must(t, db.UpdateProfile(ctx, m))
		must(t, db.SetMemberRole(ctx, m.ID, forum.RoleModerator))
		must(t, db.CreateSession(ctx, &forum.Session{TokenHash: "h1", MemberID: m.ID, Kind: "web", CreatedAt: at(1), ExpiresAt: at(100)}))
		must(t, db.DeleteSession(ctx, "h1"))
		must(t, db.DeleteSession(ctx, "h1")) // gone already: no event
		if _, err := db.SetPassword(ctx, m.ID, "hash", "", at(2), nil); err != nil {
			t.Fatal(err)
		}
		cat := &forum.Category{Name: "General", Slug: "general"}
		must(t, db.CreateCategory(ctx, cat))
		cat.Description = "All sorts"
		must(t, db.UpdateCategory(ctx, cat))
		th := &forum.Thread{CategoryID: cat.ID, AuthorID: m.ID, Title: "Hello", Slug: "hello"}
		first := &forum.Post{Body: "hi", HTML: "<p>hi</p>", CreatedAt: at(3)}
		must(t, db.CreateThread(ctx, th, first))
		reply := &forum.Post{ThreadID: th.ID, AuthorID: m.ID, Body: "again", HTML: "<p>again</p>", CreatedAt: at(4)}
		must(t, db.CreatePost(ctx, reply))
		must(t, db.UpdatePost(ctx, reply.ID, "edited", "<p>edited</p>", at(5), m.ID))
		must(t, db.SetThreadFlags(ctx, th.ID, true, false))
		must(t, db.SetPostDeleted(ctx, reply.ID, true, m.ID, at(6)))
		must(t, db.SetPostDeleted(ctx, reply.ID, false, m.ID, at(7)))
		must(t, db.SetPostDeleted(ctx, first.ID, true, m.ID, at(8)))
		must(t, db.SetMemberStatus(ctx, m.ID, "", forum.StatusSuspended, nil))
		must(t, db.SetSetting(ctx, "require_approval", "1"))
		must(t, db.RecordEvent(ctx, forum.Event{Kind: forum.EventModeChanged}))

		evs, c2 := readAll(t, db, c)
		want := []forum.EventKind{
			forum.EventMemberJoined, forum.EventMemberApproved, forum.EventMemberProfile, forum.EventMemberRole,
			forum.EventSessionEnded, forum.EventMemberPassword, forum.EventCategoryCreated, forum.EventCategoryChanged,
			forum.EventThreadCreated, forum.EventPostCreated, forum.EventPostEdited, forum.EventThreadFlags,
			forum.EventPostDeleted, forum.EventPostRestored, forum.EventThreadDeleted, forum.EventMemberSuspended,
			forum.EventSettingChanged, forum.EventModeChanged,
		}
		if got := kinds(evs); !slices.Equal(got, want) {
			t.Fatalf("events\n got %v\nwant %v", got, want)
		}
		byKind := map[forum.EventKind]forum.Event{}
		for _, e := range evs {
			byKind[e.Kind] = e
			if e.Node != "node-a" || e.At.IsZero() {
				t.Errorf("%s: node %q at %v", e.Kind, e.Node, e.At)
			}
		}
		if e := byKind[forum.EventPostEdited]; e.PostID != reply.ID || e.ThreadID != th.ID || e.CategoryID != cat.ID || e.MemberID != m.ID {
			t.Errorf("post.edited names %+v", e)
		}
		if e := byKind[forum.EventThreadDeleted]; e.PostID != first.ID || e.ThreadID != th.ID || e.CategoryID != cat.ID {
			t.Errorf("thread.deleted names %+v", e)
		}
		if e := byKind[forum.EventSessionEnded]; e.MemberID != m.ID {
			t.Errorf("session.ended names %+v", e)
		}
		if again, _ := readAll(t, db, c2); len(again) != 0 {
			t.Errorf("read again after the end: %v", kinds(again))
		}
		head, err := db.EventsHead(ctx)
		must(t, err)
		if tail, _ := readAll(t, db, head); len(tail) != 0 {
			t.Errorf("read from the head: %v", kinds(tail))
		}

		// A failed write leaves no event.
		if err := db.CreateMember(ctx, &forum.Member{Email: "ev@example.org", Name: "Twin", CreatedAt: at(9)}); err == nil {
			t.Fatal("a second member with the same email")
		}
		if none, _ := readAll(t, db, c2); len(none) != 0 {
			t.Errorf("a failed write left events: %v", kinds(none))
		}
	})
}

// On PostgreSQL transactions commit in another order than they take ids:
// an event whose transaction commits after a later id was read must still
// be read, once.
func TestEventsOutOfOrderCommits(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		if db.dialect.name != enginePostgres {
			t.Skip("SQLite has one writer: commits are in id order")
		}
		ctx := t.Context()
		head, err := db.EventsHead(ctx)
		must(t, err)
		slow, err := db.write.BeginTx(ctx, nil)
		must(t, err)
		must(t, db.appendEvent(ctx, slow, forum.Event{Kind: forum.EventPostCreated, PostID: 1})) // the lower id
		must(t, db.RecordEvent(ctx, forum.Event{Kind: forum.EventPostCreated, PostID: 2}))       // commits first
		first, c := readAll(t, db, head)
		if len(first) != 1 || first[0].PostID != 2 {
			t.Fatalf("before the slow commit: %+v", first)
		}
		must(t, slow.Commit())
		second, c := readAll(t, db, c)
		if len(second) != 1 || second[0].PostID != 1 {
			t.Fatalf("after the slow commit: %+v", second)
		}
		if none, _ := readAll(t, db, c); len(none) != 0 {
			t.Errorf("read twice: %+v", none)
		}
	})
}

// Many concurrent writers and a reader racing them: the reader ends with
// every committed event exactly once.
func TestEventsConcurrentWritersReadOnce(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		c, err := db.EventsHead(ctx)
		must(t, err)
		const writers, each = 8, 25
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					if err := db.RecordEvent(context.Background(), forum.Event{Kind: forum.EventPostCreated, PostID: int64(w*1000 + i)}); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		seen := map[int64]int{}
		var dbg []string
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		for finished := false; !finished; {
			select {
			case <-done:
				finished = true
			default:
			}
			evs, next, err := db.Events(ctx, c, 7)
			must(t, err)
			var ids []int64
			for _, e := range evs {
				seen[e.PostID]++
				ids = append(ids, e.ID)
			}
			dbg = append(dbg, fmt.Sprint(c, " ", ids))
			c = next
			time.Sleep(time.Millisecond)
		}
		rest, _ := readAll(t, db, c)
		for _, e := range rest {
			seen[e.PostID]++
		}
		if len(seen) != writers*each {
			t.Errorf("read %d distinct events, want %d", len(seen), writers*each)
			rows, _ := db.read.QueryContext(ctx, "SELECT id, post_id, txid::text FROM events ORDER BY id")
			for rows.Next() {
				var id, pid int64
				var tx string
				rows.Scan(&id, &pid, &tx)
				if seen[pid] == 0 {
					t.Logf("MISSED id %d post %d tx %s", id, pid, tx)
				}
			}
			rows.Close()
			for _, l := range dbg {
				t.Log(l)
			}
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("event of post %d read %d times", id, n)
			}
		}
	})
}

// Cursors are kept per consumer; pruning keeps what a consumer has not read.
func TestConsumerCursorsAndPrune(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		if c, err := db.ConsumerCursor(ctx, "mail"); err != nil || c != "" {
			t.Fatalf("a new consumer's cursor: %q %v", c, err)
		}
		for i := range 5 {
			must(t, db.RecordEvent(ctx, forum.Event{Kind: forum.EventPostCreated, PostID: int64(i + 1)}))
		}
		evs, c := readAll(t, db, "")
		if len(evs) != 5 {
			t.Fatalf("%d events", len(evs))
		}
		must(t, db.SaveConsumerCursor(ctx, "mail", c, at(1)))
		if got, err := db.ConsumerCursor(ctx, "mail"); err != nil || got != c {
			t.Fatalf("saved cursor %q, read %q %v", c, got, err)
		}
		must(t, db.SaveConsumerCursor(ctx, "slow", "", at(1))) // read nothing yet
		if n, err := db.PruneEvents(ctx, time.Now().Add(time.Hour)); err != nil || n != 0 {
			t.Errorf("pruned %d (%v) while a consumer has read nothing", n, err)
		}
		must(t, db.SaveConsumerCursor(ctx, "slow", c, at(2)))
		must(t, db.RecordEvent(ctx, forum.Event{Kind: forum.EventPostCreated, PostID: 6})) // unread by both
		n, err := db.PruneEvents(ctx, time.Now().Add(time.Hour))
		must(t, err)
		if n != 5 {
			t.Errorf("pruned %d, want the 5 both consumers read", n)
		}
		if rest, _ := readAll(t, db, c); len(rest) != 1 || rest[0].PostID != 6 {
			t.Errorf("after pruning, unread: %+v", rest)
		}
	})
}

// A lease is held by one holder until it runs out or is released.
func TestLeases(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		now := time.Now()
		steps := []struct {
			holder string
			at     time.Duration
			want   bool
		}{
			{"a", 0, true},                 // free: a takes it
			{"b", time.Second, false},      // a holds it
			{"a", 5 * time.Second, true},   // a renews
			{"b", 10 * time.Second, false}, // still a's until 15s
			{"b", 16 * time.Second, true},  // a stopped renewing: b takes over
			{"a", 17 * time.Second, false},
		}
		for _, s := range steps {
			got, err := db.TryLease(ctx, "singleton", s.holder, 10*time.Second, now.Add(s.at))
			if err != nil || got != s.want {
				t.Fatalf("%s at %v: %v %v, want %v", s.holder, s.at, got, err, s.want)
			}
		}
		must(t, db.ReleaseLease(ctx, "singleton", "a")) // not a's: nothing happens
		if got, _ := db.TryLease(ctx, "singleton", "a", 10*time.Second, now.Add(18*time.Second)); got {
			t.Fatal("a took b's lease after releasing what it did not hold")
		}
		must(t, db.ReleaseLease(ctx, "singleton", "b"))
		if got, _ := db.TryLease(ctx, "singleton", "a", 10*time.Second, now.Add(19*time.Second)); !got {
			t.Fatal("a could not take the released lease")
		}
	})
}
