package forum

import "sync"

// threadPages keeps the pages of threads as read from the store, until the
// thread's version (Changes) moves on. Every reader of a page needs the
// same posts, so a member's thread page costs no query for them once
// someone has read it; what differs per reader (who may see a deleted
// post, which actions they have) is applied to a copy on the way out.
type threadPages struct {
	mu   sync.Mutex
	m    map[threadPageKey]*threadPageEntry
	size int // bytes of text held, roughly
	max  int
}

type threadPageKey struct {
	thread int64
	page   int
}

type threadPageEntry struct {
	version          Version
	thread           Thread
	category, parent *Category
	posts            []Post
	size             int
}

// threadCacheBytes bounds the text the cache holds.
const threadCacheBytes = 24 << 20

func (c *threadPages) get(id int64, page int, v Version) (*threadPageEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[threadPageKey{id, page}]
	if !ok || e.version != v {
		return nil, false
	}
	return e, true
}

func (c *threadPages) put(id int64, page int, e *threadPageEntry) {
	for i := range e.posts {
		e.size += len(e.posts[i].Body) + len(e.posts[i].HTML) + 256
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m, c.max = map[threadPageKey]*threadPageEntry{}, threadCacheBytes
	}
	key := threadPageKey{id, page}
	if old := c.m[key]; old != nil {
		c.size -= old.size
		delete(c.m, key)
	}
	for k, o := range c.m { // over budget: drop entries at random (map order)
		if c.size+e.size <= c.max {
			break
		}
		c.size -= o.size
		delete(c.m, k)
	}
	c.m[key] = e
	c.size += e.size
}

// page builds a ThreadPage from the entry for one reader: copies, so the
// reader's changes (blanking deleted posts) never reach the cache.
func (e *threadPageEntry) page(page, pages int) *ThreadPage {
	t := e.thread
	posts := make([]*Post, len(e.posts))
	for i := range e.posts {
		p := e.posts[i]
		posts[i] = &p
	}
	c := *e.category
	tp := &ThreadPage{Thread: &t, Category: &c, Posts: posts, Page: page, Pages: pages}
	if e.parent != nil {
		parent := *e.parent
		tp.Parent = &parent
	}
	return tp
}
