package forum

import "sync"

// Changes counts writes so that readers can tell whether what they derived
// (a cached page, later a live update) is still current. Lists (the front
// page, category pages) change with every post; a thread's pages change only
// with its own posts; Global changes with anything shown on every page
// (category names, member names).
//
// Hidden counts only the changes that take something away from readers (a
// post deleted or edited, a thread deleted, a category made members- or
// staff-only): a saved copy served while the database is down may be older
// than the forum, but must never show what the forum would now refuse.
//
// The counts live in this process. Several nodes on one PostgreSQL will
// need them passed along (LISTEN/NOTIFY); until then readers also bound how
// long they trust what they cached.
type Changes struct {
	mu      sync.RWMutex
	global  uint64
	lists   uint64
	threads map[int64]uint64

	hiddenGlobal  uint64 // visibility of categories
	hiddenLists   uint64 // threads or last posts gone from lists
	hiddenThreads map[int64]uint64
}

// Version is a snapshot of the counts something was derived from. Hidden
// moves whenever something that the derived page may show was taken away
// (it moves with the other counts too).
type Version struct{ Global, Lists, Thread, Hidden uint64 }

func newChanges() *Changes {
	return &Changes{threads: map[int64]uint64{}, hiddenThreads: map[int64]uint64{}}
}

// ListsVersion is the version the front page and category pages depend on.
func (c *Changes) ListsVersion() Version {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return Version{Global: c.global, Lists: c.lists, Hidden: c.hiddenGlobal + c.hiddenLists}
}

// ThreadVersion is the version a thread's pages depend on.
func (c *Changes) ThreadVersion(id int64) Version {
	c.mu.RLock()
	defer c.mu.RUnlock()
	// Sums of counts that only grow: equal sums mean neither moved.
	return Version{Global: c.global, Thread: c.threads[id], Hidden: c.hiddenGlobal + c.hiddenThreads[id]}
}

// globalVersion is the count of changes that may show anywhere.
func (c *Changes) globalVersion() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.global
}

// thread records a change to a thread's posts, which also changes lists.
func (c *Changes) thread(id int64) {
	c.mu.Lock()
	c.threads[id]++
	c.lists++
	c.mu.Unlock()
}

// threadHidden records a change that took something of a thread away from
// readers (a post deleted or edited, the thread deleted): its pages and the
// lists, where its title and last post show.
func (c *Changes) threadHidden(id int64) {
	c.mu.Lock()
	c.threads[id]++
	c.lists++
	c.hiddenThreads[id]++
	c.hiddenLists++
	c.mu.Unlock()
}

// visibilityChanged records that what guests or members may see changed
// (a category became members-only or staff-only): every page may show what
// is no longer visible.
func (c *Changes) visibilityChanged() {
	c.mu.Lock()
	c.global++
	c.hiddenGlobal++
	c.mu.Unlock()
}

// everything records a change that may show on any page.
func (c *Changes) everything() {
	c.mu.Lock()
	c.global++
	c.mu.Unlock()
}
