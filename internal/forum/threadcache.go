package forum

import (
	"slices"

	"hearth/internal/cache"
)

// Thread pages are kept as read from the store (internal/cache), until the
// thread's version moves on or a member they show changes. Every reader of
// a page needs the same posts, so a member's thread page costs no query
// for them once someone has read it; what differs per reader (who may see
// a deleted post, which actions they have) is decided on the way out:
// the entry holds the posts as moderators see them and as everyone else
// does (deleted posts without their text), and readers share them.
type threadPageKey struct {
	thread int64
	page   int
}

type threadPageEntry struct {
	thread           Thread
	category, parent *Category
	posts            []*Post // as moderators see them
	public           []*Post // as everyone else does: deleted posts blanked
	shown            *Shown
}

// newThreadPageEntry keeps posts as read from the store, and their public
// view: the same posts but for copies of the deleted ones without text.
func newThreadPageEntry(t *Thread, c, parent *Category, posts []*Post) *threadPageEntry {
	e := &threadPageEntry{thread: *t, category: c, parent: parent, posts: posts, public: posts}
	cloned := false
	for i, p := range posts {
		if !p.Deleted() {
			continue
		}
		if !cloned {
			e.public, cloned = slices.Clone(posts), true
		}
		blank := *p
		hideText(&blank)
		e.public[i] = &blank
	}
	return e
}

// threadCacheBytes bounds the text the cache holds.
const threadCacheBytes = 24 << 20

func newThreadPages(ch *Changes) *cache.Cache[threadPageKey, *threadPageEntry] {
	return cache.New[threadPageKey](cache.Options[*threadPageEntry]{
		MaxBytes: threadCacheBytes,
		Current:  func(e *threadPageEntry) bool { return ch.Current(e.shown) },
	})
}

// members returns the members the entry shows (see ThreadPage.Members).
func (e *threadPageEntry) members() []int64 {
	ids := make([]int64, 0, len(e.posts)+2)
	ids = append(ids, e.thread.AuthorID, e.thread.LastPosterID)
	for _, p := range e.posts {
		ids = append(ids, p.AuthorID)
	}
	return ids
}

// size is roughly the bytes the entry holds.
func (e *threadPageEntry) size() int {
	n := 1024
	for _, p := range e.posts {
		n += len(p.Body) + len(p.HTML) + 256
	}
	return n
}

// page builds a ThreadPage from the entry for one reader. Its thread and
// categories are copies; its posts are the entry's, shared by every reader
// and never changed.
func (e *threadPageEntry) page(page, pages int, v Version, moderator bool) *ThreadPage {
	t := e.thread
	posts := e.public
	if moderator {
		posts = e.posts
	}
	c := *e.category
	tp := &ThreadPage{Thread: &t, Category: &c, Posts: posts, Page: page, Pages: pages, Version: v}
	if e.parent != nil {
		parent := *e.parent
		tp.Parent = &parent
	}
	return tp
}

// Members returns the members a thread page shows: the posts' authors,
// and the thread's author and last poster.
func (tp *ThreadPage) Members() []int64 {
	ids := make([]int64, 0, len(tp.Posts)+2)
	ids = append(ids, tp.Thread.AuthorID, tp.Thread.LastPosterID)
	for _, p := range tp.Posts {
		ids = append(ids, p.AuthorID)
	}
	return ids
}

// Members returns the members a list of threads shows: their authors and
// last posters.
func (l *ThreadList) Members() []int64 {
	ids := make([]int64, 0, 2*len(l.Threads))
	for _, t := range l.Threads {
		ids = append(ids, t.AuthorID, t.LastPosterID)
	}
	return ids
}

// CategoryMembers returns the members a list of categories shows: the
// latest posters, the sub-categories' included.
func CategoryMembers(cats []*Category) []int64 {
	var ids []int64
	for _, c := range cats {
		ids = append(ids, c.LastPosterID)
		for _, k := range c.Children {
			ids = append(ids, k.LastPosterID)
		}
	}
	return ids
}
