package forum

import (
	"sync"
	"time"
)

// sessionCache remembers who a session token belongs to for a few seconds,
// so a member browsing does not cost a database lookup per page. Logging
// out forgets the token at once on this node; any change to a member (role,
// status, name, password) changes the Global version and so empties the
// cache; other nodes notice within sessionCacheTTL. A password change or a
// suspension also deletes the member's other sessions in the database.
type sessionCache struct {
	mu sync.Mutex
	m  map[string]sessionEntry
}

type sessionEntry struct {
	member  Member // a copy: callers may change what they are given
	global  uint64
	expires time.Time
}

const (
	sessionCacheTTL  = 10 * time.Second
	sessionCacheSize = 20000
)

func (c *sessionCache) get(hash string, global uint64, now time.Time) (*Member, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[hash]
	if !ok || e.global != global || now.After(e.expires) {
		return nil, false
	}
	m := e.member
	return &m, true
}

func (c *sessionCache) put(hash string, m *Member, global uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= sessionCacheSize {
		c.m = make(map[string]sessionEntry) // rare: start afresh rather than track age
	}
	c.m[hash] = sessionEntry{member: *m, global: global, expires: now.Add(sessionCacheTTL)}
}

func (c *sessionCache) forget(hash string) {
	c.mu.Lock()
	delete(c.m, hash)
	c.mu.Unlock()
}
