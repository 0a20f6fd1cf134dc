package forum

import (
	"context"
	"fmt"
	"time"
)

// Unread tracking follows Discourse's topic_users: one row per member and
// thread they have read, holding the highest position they have seen, so
// "unread" is the thread's last position minus it and nothing is stored
// per post. A thread they never opened is "new" when it appeared since
// their previous visit (the last 2 days on a first visit); marking a
// category or everything read stamps a time before which nothing is new,
// and moves the rows they have to the threads' last positions.

const (
	// VisitGap is the idle time after which a request starts a new visit.
	VisitGap = time.Hour
	// FirstVisitNew is how far back threads are new on a member's first visit.
	FirstVisitNew = 48 * time.Hour
	// NewHorizon bounds "new since your last visit" for a member back after
	// a long absence: threads older than that are not new, which also keeps
	// the front page's counts a walk of recent threads only.
	NewHorizon = 14 * 24 * time.Hour
	// visitEvery is how often one member's visit time is written: its
	// precision, far below VisitGap.
	visitEvery = time.Minute
)

// UnreadStore is the persistence of what members have read.
type UnreadStore interface {
	// MemberReads returns, in one query, what a member knows: their read
	// position in each of threadIDs they have read, the time they marked
	// each of categoryIDs read, their visit times and their "everything
	// read" mark. A member who never read a thread has no position for it.
	MemberReads(ctx context.Context, memberID int64, threadIDs, categoryIDs []int64) (*MemberReads, error)
	// SaveReads moves read positions forward, never back, and records
	// visits, all in one transaction.
	SaveReads(ctx context.Context, reads []ReadMark, visits []VisitMark) error
	// MarkCategoriesRead stamps categoryIDs read at at for the member and
	// moves their positions in those categories' threads to the end.
	MarkCategoriesRead(ctx context.Context, memberID int64, categoryIDs []int64, at time.Time) error
	// MarkAllRead does the same for every category.
	MarkAllRead(ctx context.Context, memberID int64, at time.Time) error
	// UnreadThreads lists the threads, in categories the member may see,
	// that have posts past the member's read position (and after the
	// marks) or that they never read and were created after since (and
	// after the category's mark): what the front page counts.
	UnreadThreads(ctx context.Context, memberID int64, since time.Time, see Visibility) ([]UnreadThread, error)
}

// MemberReads is what a member knows of some threads and categories.
type MemberReads struct {
	Positions       map[int64]int       // thread -> last read position, for threads read
	CategoryMarks   map[int64]time.Time // category -> marked read at
	LastVisitAt     time.Time           // the last request seen (to visitEvery)
	PreviousVisitAt time.Time           // the last request of the visit before
	MarkedReadAt    time.Time           // "mark everything read"
}

// ReadMark is a read position to record.
type ReadMark struct {
	MemberID, ThreadID int64
	Position           int
	At                 time.Time
}

// VisitMark is a request seen from a member.
type VisitMark struct {
	MemberID int64
	At       time.Time
}

// ThreadUnread is what a member has not read of a thread.
type ThreadUnread struct {
	LastReadPosition int  // 0: never read
	Unread           int  // posts past LastReadPosition (all of them for a new thread)
	New              bool // never read, and appeared since the member's previous visit
}

// FirstUnread is the position of the first post the member has not read,
// or 0 when there is none.
func (u ThreadUnread) FirstUnread() int {
	if u.Unread <= 0 {
		return 0
	}
	return u.LastReadPosition + 1
}

// UnreadThread is a thread with something new or unread for a member.
type UnreadThread struct {
	ThreadID, CategoryID int64
	LastPosition         int
	New                  bool // never read; else read with posts since
}

// CategoryUnread counts a category's threads for one member.
type CategoryUnread struct {
	New    int // threads never read that appeared since their previous visit
	Unread int // threads read with posts since
}

// newSince is when threads must have appeared to be new. The request
// being served may start a visit its flush has not recorded yet: then
// the visit before is the one last recorded.
func (r *MemberReads) newSince(now time.Time) time.Time {
	since := r.PreviousVisitAt
	if now.Sub(r.LastVisitAt) > VisitGap {
		since = r.LastVisitAt
	}
	if since.IsZero() {
		since = now.Add(-FirstVisitNew)
	}
	if h := now.Add(-NewHorizon); since.Before(h) {
		since = h
	}
	if r.MarkedReadAt.After(since) {
		since = r.MarkedReadAt
	}
	return since
}

// thread computes a thread's unread state from r; since is newSince's.
// A mark (of the category or of everything) wins over a position
// recorded after it for a page seen before it: nothing older than the
// mark is unread.
func (r *MemberReads) thread(t *Thread, since time.Time) ThreadUnread {
	mark := r.MarkedReadAt
	if m := r.CategoryMarks[t.CategoryID]; m.After(mark) {
		mark = m
	}
	if pos := r.Positions[t.ID]; pos > 0 {
		u := ThreadUnread{LastReadPosition: pos}
		if t.LastPostAt.After(mark) {
			u.Unread = max(0, t.LastPosition-pos)
		}
		return u
	}
	if mark.After(since) {
		since = mark
	}
	if !t.Deleted() && t.CreatedAt.After(since) {
		return ThreadUnread{New: true, Unread: t.LastPosition}
	}
	return ThreadUnread{}
}

// ThreadsUnread returns what actor has not read of threads, by thread id,
// in one query whatever their number; nil for a guest, who sees no markers.
func (s *Service) ThreadsUnread(ctx context.Context, actor *Member, threads []*Thread) (map[int64]ThreadUnread, error) {
	if actor == nil || len(threads) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(threads))
	var cats []int64
	for i, t := range threads {
		ids[i] = t.ID
		if len(cats) == 0 || cats[len(cats)-1] != t.CategoryID {
			cats = append(cats, t.CategoryID)
		}
	}
	r, err := s.store.MemberReads(ctx, actor.ID, ids, cats)
	if err != nil {
		return nil, fmt.Errorf("read positions of member %d: %w", actor.ID, err)
	}
	s.reads.overlay(actor.ID, ids, r)
	since := r.newSince(s.now())
	out := make(map[int64]ThreadUnread, len(threads))
	for _, t := range threads {
		out[t.ID] = r.thread(t, since)
	}
	return out, nil
}

// CategoriesUnread returns actor's counts of new and unread threads for
// the categories of a tree (Categories): a parent's counts include its
// sub-categories', as its thread and post counts do. nil for a guest.
func (s *Service) CategoriesUnread(ctx context.Context, actor *Member, tree []*Category) (map[int64]CategoryUnread, error) {
	if actor == nil || len(tree) == 0 {
		return nil, nil
	}
	r, err := s.store.MemberReads(ctx, actor.ID, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("visits of member %d: %w", actor.ID, err)
	}
	list, err := s.store.UnreadThreads(ctx, actor.ID, r.newSince(s.now()), VisibilityOf(actor))
	if err != nil {
		return nil, fmt.Errorf("unread threads of member %d: %w", actor.ID, err)
	}
	ids := make([]int64, len(list))
	for i, u := range list {
		ids[i] = u.ThreadID
	}
	s.reads.overlay(actor.ID, ids, r) // what they read in the last second counts as read
	counts := map[int64]CategoryUnread{}
	for _, u := range list {
		n := counts[u.CategoryID]
		switch pos := r.Positions[u.ThreadID]; {
		case pos >= u.LastPosition:
		case u.New && pos == 0:
			n.New++
		default:
			n.Unread++
		}
		counts[u.CategoryID] = n
	}
	out := make(map[int64]CategoryUnread, len(tree))
	for _, c := range tree {
		sum := counts[c.ID]
		for _, ch := range c.Children {
			n := counts[ch.ID]
			out[ch.ID] = n
			sum.New += n.New
			sum.Unread += n.Unread
		}
		out[c.ID] = sum
	}
	return out, nil
}

// Viewed records that actor was shown a thread up to position: buffered,
// written within a second with others' (see readBuffer), never moving a
// position back. Guests are not tracked.
func (s *Service) Viewed(actor *Member, threadID int64, position int) {
	if actor == nil || position < 1 {
		return
	}
	s.reads.record(ReadMark{MemberID: actor.ID, ThreadID: threadID, Position: position, At: s.now()})
}

// MarkThreadRead records at once that actor has read a thread up to
// position (at most its last post; never moving back) and returns what
// is left unread.
func (s *Service) MarkThreadRead(ctx context.Context, actor *Member, threadID int64, position int) (ThreadUnread, error) {
	if actor == nil {
		return ThreadUnread{}, Errorf(EUNAUTHORIZED, "Log in to keep track of what you have read.")
	}
	if position < 1 {
		return ThreadUnread{}, FieldError("position", "The position must be a post's position in the thread: 1 or more.")
	}
	t, _, _, err := s.thread(ctx, actor, threadID)
	if err != nil {
		return ThreadUnread{}, err
	}
	position = min(position, t.LastPosition)
	if err := s.store.SaveReads(ctx, []ReadMark{{MemberID: actor.ID, ThreadID: t.ID, Position: position, At: s.now()}}, nil); err != nil {
		return ThreadUnread{}, fmt.Errorf("mark thread %d read: %w", t.ID, err)
	}
	u, err := s.ThreadsUnread(ctx, actor, []*Thread{t})
	if err != nil {
		return ThreadUnread{}, err
	}
	return u[t.ID], nil
}

// MarkCategoryRead marks a category the actor may see, and its
// sub-categories, read: nothing in them is new or unread any more.
func (s *Service) MarkCategoryRead(ctx context.Context, actor *Member, categoryID int64) error {
	if actor == nil {
		return Errorf(EUNAUTHORIZED, "Log in to keep track of what you have read.")
	}
	c, _, err := s.Category(ctx, actor, categoryID)
	if err != nil {
		return err
	}
	ids := []int64{c.ID}
	subs, err := s.SubCategories(ctx, actor, c.ID)
	if err != nil {
		return err
	}
	for _, ch := range subs {
		ids = append(ids, ch.ID)
	}
	if err := s.store.MarkCategoriesRead(ctx, actor.ID, ids, s.now()); err != nil {
		return fmt.Errorf("mark category %d read: %w", c.ID, err)
	}
	return nil
}

// MarkAllRead marks everything read for actor.
func (s *Service) MarkAllRead(ctx context.Context, actor *Member) error {
	if actor == nil {
		return Errorf(EUNAUTHORIZED, "Log in to keep track of what you have read.")
	}
	if err := s.store.MarkAllRead(ctx, actor.ID, s.now()); err != nil {
		return fmt.Errorf("mark everything read for member %d: %w", actor.ID, err)
	}
	return nil
}

// FlushReads writes the buffered read positions and visits now, in one
// transaction. Serve calls it every second and once more when it stops.
func (s *Service) FlushReads(ctx context.Context) error { return s.reads.flush(ctx, s.store) }

// RunReads flushes the buffered reads every interval until ctx ends.
// What is buffered when the process dies (at most an interval's worth)
// is lost: members see those posts as unread again, which is the price of
// not writing on every page view.
func (s *Service) RunReads(ctx context.Context, every time.Duration, onErr func(error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.FlushReads(ctx); err != nil && onErr != nil && ctx.Err() == nil {
				onErr(err)
			}
		}
	}
}
