package web

import (
	"bytes"
	"compress/gzip"
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"hearth/internal/forum"
)

// pageCache keeps the rendered bytes of pages as guests see them. Members
// read far more than they write and most readers are not logged in, so one
// rendering serves many requests until the page's version changes (see
// forum.Changes). Entries also expire after maxAge, which bounds staleness
// should a change ever go unrecorded.
type pageCache struct {
	mu      sync.Mutex
	entries map[string]*cachedPage
	size    int // bytes held
	max     int // budget in bytes
	maxAge  time.Duration
	now     func() time.Time
}

type cachedPage struct {
	version forum.Version
	// current is the page's version now, so a saved copy is served only
	// while nothing it shows has been taken away since (Version.Hidden).
	current func() forum.Version
	body    []byte
	gz      []byte // gzip of body, made on first request that accepts it
	etag    string
	ctype   string
	cacheCt string
	stored  time.Time
	gzOnce  sync.Once
}

func newPageCache(maxBytes int, maxAge time.Duration) *pageCache {
	return &pageCache{entries: map[string]*cachedPage{}, max: maxBytes, maxAge: maxAge, now: time.Now}
}

func (c *pageCache) get(key string, v forum.Version) *cachedPage {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[key]
	if e == nil {
		return nil
	}
	if e.version != v || c.now().Sub(e.stored) > c.maxAge {
		return nil // kept until replaced: stale serves it while the database is down
	}
	return e
}

// saved returns the entry for key whatever its age and however many posts
// it lacks: while the database is down, an old copy beats no page. But not
// once something it shows was deleted, edited or hidden: then the copy is
// dropped, never shown.
func (c *pageCache) saved(key string) *cachedPage {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[key]
	if e == nil {
		return nil
	}
	if e.current == nil || e.current().Hidden != e.version.Hidden {
		c.drop(key, e)
		return nil
	}
	return e
}

func (c *pageCache) put(key string, e *cachedPage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.entries[key]; old != nil {
		c.drop(key, old)
	}
	// Over budget: drop entries at random (map order) until there is room.
	for k, o := range c.entries {
		if c.size+len(e.body) <= c.max {
			break
		}
		c.drop(k, o)
	}
	c.entries[key] = e
	c.size += len(e.body) * 5 / 4 // the gzip copy, roughly
}

func (c *pageCache) drop(key string, e *cachedPage) {
	delete(c.entries, key)
	c.size -= len(e.body) * 5 / 4
}

// gzipped returns the entry's body compressed, compressing it once.
func (e *cachedPage) gzipped() []byte {
	e.gzOnce.Do(func() {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		zw.Write(e.body)
		zw.Close()
		e.gz = b.Bytes()
	})
	return e.gz
}

// recorder captures a response so it can be cached.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(status int)      { r.status = status }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }

// versionOf names what a page depends on: it returns the function giving
// that version, now or later, or false for a page that is not cached.
type versionOf func(r *http.Request) (current func() forum.Version, ok bool)

// cached serves guests' GET requests for a page from the cache when the
// version the page depends on has not changed since it was rendered.
// Members get the page rendered for them.
func (s *Server) cached(version versionOf, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if actor(r) != nil || s.cache == nil {
			h(w, r)
			return
		}
		current, ok := version(r)
		if !ok {
			h(w, r)
			return
		}
		v := current() // before rendering: a write meanwhile makes the entry stale, not wrong
		key := s.cacheKey(r)
		e := s.cache.get(key, v)
		if e == nil {
			rec := &recorder{header: http.Header{}, status: http.StatusOK}
			h(rec, r)
			if rec.status != http.StatusOK {
				copyHeader(w.Header(), rec.header)
				w.WriteHeader(rec.status)
				w.Write(rec.body.Bytes())
				return
			}
			sum := fnv.New64a()
			sum.Write(rec.body.Bytes())
			e = &cachedPage{
				version: v, body: bytes.Clone(rec.body.Bytes()), stored: s.cache.now(),
				current: current,
				etag:    `"` + strconv.FormatUint(sum.Sum64(), 36) + `"`,
				ctype:   rec.header.Get("Content-Type"), cacheCt: rec.header.Get("Cache-Control"),
			}
			s.cache.put(key, e)
		}
		serveCached(w, r, e)
	}
}

func serveCached(w http.ResponseWriter, r *http.Request, e *cachedPage) {
	h := w.Header()
	h.Set("Content-Type", e.ctype)
	h.Set("Cache-Control", e.cacheCt)
	h.Set("ETag", e.etag)
	h.Set("Vary", "Accept-Encoding, Cookie")
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, e.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := e.body
	if acceptsGzip(r) {
		body = e.gzipped()
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// cacheKey names a guest's page: its URL and the banner it shows, so a
// change of mode never serves a page with the old banner.
func (s *Server) cacheKey(r *http.Request) string {
	if b := s.banner(r); b != "" {
		return r.URL.RequestURI() + "\x00" + b
	}
	return r.URL.RequestURI()
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(enc) == "gzip" && strings.TrimSpace(q) != "q=0" {
			return true
		}
	}
	return false
}

func copyHeader(dst, src http.Header) {
	for k, v := range src {
		dst[k] = v
	}
}

// threadVersion and listsVersion pick the version a cached page depends on.
func (s *Server) threadVersion(r *http.Request) (func() forum.Version, bool) {
	id, err := pathID(r)
	if err != nil {
		return nil, false
	}
	ch := s.svc.Changes()
	return func() forum.Version { return ch.ThreadVersion(id) }, true
}

func (s *Server) listsVersion(*http.Request) (func() forum.Version, bool) {
	return s.svc.Changes().ListsVersion, true
}
