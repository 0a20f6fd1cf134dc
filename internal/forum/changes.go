package forum

import "sync"

// Changes counts writes so that readers can tell whether what they derived
// (a cached page, later a live update) is still current. Lists (the front
// page, category pages) change with every post; a thread's pages change only
// with its own posts; Global changes with anything shown on every page
// (category names, member names).
//
// The counts live in this process. Several nodes on one PostgreSQL will
// need them passed along (LISTEN/NOTIFY); until then readers also bound how
// long they trust what they cached.
type Changes struct {
	mu      sync.RWMutex
	global  uint64
	lists   uint64
	threads map[int64]uint64
}

// Version is a snapshot of the counts something was derived from.
type Version struct{ Global, Lists, Thread uint64 }

func newChanges() *Changes { return &Changes{threads: map[int64]uint64{}} }

// ListsVersion is the version the front page and category pages depend on.
func (c *Changes) ListsVersion() Version {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return Version{Global: c.global, Lists: c.lists}
}

// ThreadVersion is the version a thread's pages depend on.
func (c *Changes) ThreadVersion(id int64) Version {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return Version{Global: c.global, Thread: c.threads[id]}
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

// everything records a change that may show on any page.
func (c *Changes) everything() {
	c.mu.Lock()
	c.global++
	c.mu.Unlock()
}
