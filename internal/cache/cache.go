// Package cache is the one mechanism for what Hearth derives from its
// database and keeps in memory (guests' pages, member page shells, post
// cores, thread pages, sessions).
//
// A Cache holds values under keys, each with the version of what it was
// made from. Get finds a value only while the version the caller reads now
// is the one it was stored under, so the caller must read the version
// BEFORE reading the data the value is made from: a write that lands in
// between moves the version on, and the entry is stale (never served)
// rather than wrong. Load is that order written once.
//
// The cache keeps within a byte budget (callers say how big each value
// is) and a maximum age, and evicts with CLOCK: every entry has a
// referenced bit that a hit sets; the clock hand passes over referenced
// entries once, clearing the bit, and evicts the first one it finds
// unreferenced, so entries read again since the hand last passed stay and
// one-off entries go first.
package cache

import (
	"sync"
	"sync/atomic"
	"time"
)

// Options set a cache's bounds.
type Options[V any] struct {
	// MaxBytes is the budget: the sum of the sizes given to Put.
	MaxBytes int
	// MaxAge bounds how long an entry is served after it was stored;
	// 0 means no limit.
	MaxAge time.Duration
	// Current, if set, is asked on every hit whether the value still
	// holds by what it carries besides its key's version (the members a
	// page shows, say); false makes the hit a miss.
	Current func(V) bool
	// Now is the clock, for tests; time.Now if nil.
	Now func() time.Time
}

// Cache is safe for concurrent use.
type Cache[K comparable, V any] struct {
	// Read by every Get, written never: apart from what is written, so
	// that cores reading do not wait for each other's cache lines.
	max     int
	maxAge  time.Duration
	current func(V) bool
	now     func() time.Time
	_       [64]byte

	// Written by every Get: the lock's reader count and the counters
	// share a cache line, which a Get takes once for all of them.
	mu                      sync.RWMutex
	hits, misses, evictions atomic.Uint64
	m                       map[K]*entry[K, V]
	hand                    *entry[K, V] // the next entry the clock looks at; nil when empty
	size                    int
}

// entry is immutable once stored, but for the referenced bit and the ring
// links (held under the write lock), so a reader may look at it after
// letting go of the lock.
type entry[K comparable, V any] struct {
	key        K
	value      V
	version    uint64
	size       int
	stored     time.Time
	ref        atomic.Bool
	prev, next *entry[K, V]
}

// New returns an empty cache.
func New[K comparable, V any](o Options[V]) *Cache[K, V] {
	c := &Cache[K, V]{m: map[K]*entry[K, V]{}, max: o.MaxBytes, maxAge: o.MaxAge, current: o.Current, now: o.Now}
	if c.now == nil {
		c.now = time.Now
	}
	return c
}

// Get returns the value under key if it was stored under version, is
// younger than the maximum age and, with Options.Current, still current.
func (c *Cache[K, V]) Get(key K, version uint64) (V, bool) {
	c.mu.RLock()
	e := c.m[key]
	c.mu.RUnlock()
	if e == nil || e.version != version ||
		(c.maxAge > 0 && c.now().Sub(e.stored) > c.maxAge) ||
		(c.current != nil && !c.current(e.value)) {
		// A stale entry stays until replaced or evicted: Saved may
		// still want it, and nobody references it, so it goes first.
		c.misses.Add(1)
		var zero V
		return zero, false
	}
	if !e.ref.Load() { // most hits find it set: no write to a shared line
		e.ref.Store(true)
	}
	c.hits.Add(1)
	return e.value, true
}

// Put stores v under key with version, which must have been read before
// the data v was made from (see the package comment). size is what v
// counts against the budget; a value larger than the whole budget is not
// kept.
func (c *Cache[K, V]) Put(key K, version uint64, v V, size int) {
	if size > c.max {
		c.Delete(key) // whatever was there is older still
		return
	}
	e := &entry[K, V]{key: key, value: v, version: version, size: size}
	if c.maxAge > 0 {
		e.stored = c.now() // a clock read costs, on some machines, more than the rest of Put
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[key]; old != nil {
		// A new version of a page readers asked for again: it takes the
		// old one's place on the clock, referenced.
		e.ref.Store(true)
		c.replace(old, e)
	} else {
		c.insert(e)
	}
	c.m[key] = e
	c.size += size
	for c.size > c.max {
		c.evictOne(e)
	}
}

// Load returns the value under key if Get finds it, else calls load and
// keeps what it returns under version, unless load fails or gives a
// negative size (a value that may be used once but not kept). The caller
// reads version before calling Load, so before load reads any data.
func (c *Cache[K, V]) Load(key K, version uint64, load func() (V, int, error)) (V, error) {
	if v, ok := c.Get(key, version); ok {
		return v, nil
	}
	v, size, err := load()
	if err != nil {
		return v, err
	}
	if size >= 0 {
		c.Put(key, version, v, size)
	}
	return v, nil
}

// Saved returns the value under key whatever its version and age (a
// saved copy to show while the database is down), without counting as a
// hit or keeping it from eviction.
func (c *Cache[K, V]) Saved(key K) (V, bool) {
	c.mu.RLock()
	e := c.m[key]
	c.mu.RUnlock()
	if e == nil {
		var zero V
		return zero, false
	}
	return e.value, true
}

// Delete drops the entry under key, if any.
func (c *Cache[K, V]) Delete(key K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.m[key]; e != nil {
		c.remove(e)
	}
}

// Stats are a cache's counters since it was made, and what it holds now.
type Stats struct {
	Hits, Misses, Evictions uint64
	Entries, Bytes          int
}

// Stats returns the counters (for /metrics).
func (c *Cache[K, V]) Stats() Stats {
	c.mu.RLock()
	n, size := len(c.m), c.size
	c.mu.RUnlock()
	return Stats{Hits: c.hits.Load(), Misses: c.misses.Load(), Evictions: c.evictions.Load(), Entries: n, Bytes: size}
}

// evictOne moves the hand one step: an unreferenced entry goes, a
// referenced one loses its bit and stays for another round. keep (the
// entry being stored) is never evicted.
func (c *Cache[K, V]) evictOne(keep *entry[K, V]) {
	e := c.hand
	if e == keep || e.ref.Load() {
		e.ref.Store(false)
		c.hand = e.next
		return
	}
	c.remove(e)
	c.evictions.Add(1)
}

// insert puts e on the ring just behind the hand: the last place the hand
// comes to, so a new entry gets a whole round to be read again.
func (c *Cache[K, V]) insert(e *entry[K, V]) {
	if c.hand == nil {
		e.prev, e.next = e, e
		c.hand = e
		return
	}
	h := c.hand
	e.prev, e.next = h.prev, h
	h.prev.next = e
	h.prev = e
}

// replace puts e where old was on the ring.
func (c *Cache[K, V]) replace(old, e *entry[K, V]) {
	c.size -= old.size
	if old.next == old {
		e.prev, e.next = e, e
	} else {
		e.prev, e.next = old.prev, old.next
		old.prev.next = e
		old.next.prev = e
	}
	if c.hand == old {
		c.hand = e
	}
}

// remove takes e off the ring and out of the map.
func (c *Cache[K, V]) remove(e *entry[K, V]) {
	delete(c.m, e.key)
	c.size -= e.size
	if e.next == e {
		c.hand = nil
	} else {
		e.prev.next = e.next
		e.next.prev = e.prev
		if c.hand == e {
			c.hand = e.next
		}
	}
	e.prev, e.next = nil, nil
}
