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

	"hearth/internal/cache"
	"hearth/internal/forum"
)

// Guests' pages are kept as rendered bytes (internal/cache). Members read
// far more than they write and most readers are not logged in, so one
// rendering serves many requests until the page's version changes or a
// member it shows does (see forum.Changes). Entries also expire after
// pageCacheAge, which bounds staleness should a change ever go unrecorded.
type pageCache = cache.Cache[string, *cachedPage]

const pageCacheAge = 30 * time.Second

type cachedPage struct {
	shown *forum.Shown // the members the page shows
	// hidden is Version.Hidden when the page was rendered, and current
	// the page's version now: a saved copy is served only while nothing
	// it shows has been taken away since.
	hidden   uint64
	current  func() forum.Version
	body     []byte
	gz       []byte   // gzip of body, made on first request that accepts it
	gzLength []string // its Content-Length
	etag     string
	ctype    string
	cacheCt  string
	gzOnce   sync.Once
	// hdr is the response headers' values, made once (serveCached).
	hdr         cachedHeaders
	headersOnce sync.Once
	at          time.Time // when it was rendered: its relative times are as of then
	// renders is, for a list page (cachedList), how many renderings its
	// pace allowed still: see paced.
	renders float64
	// modified is the Last-Modified of a page whose handler asked for one
	// (feeds), else zero: see lastModified.
	modified time.Time
}

func newPageCache(ch *forum.Changes, maxBytes int) *pageCache {
	return cache.New[string](cache.Options[*cachedPage]{
		MaxBytes: maxBytes, MaxAge: pageCacheAge,
		Current: func(e *cachedPage) bool { return ch.Current(e.shown) },
	})
}

// size is what a page counts against the budget: its body and, roughly,
// the gzip copy.
func (e *cachedPage) size() int { return len(e.body) * 5 / 4 }

// saved returns the page for key whatever its age and however many posts
// it lacks: while the database is down, an old copy beats no page. But not
// once something it shows was deleted, edited or hidden, or a member it
// shows changed (a name taken back): then the copy is dropped, never shown.
func (s *Server) saved(key string) *cachedPage {
	e, ok := s.cache.Saved(key)
	if !ok {
		return nil
	}
	if e.current().Hidden != e.hidden || !s.svc.Changes().Current(e.shown) {
		s.cache.Delete(key)
		return nil
	}
	return e
}

type cachedHeaders struct {
	ctype, cacheCt, etag, modified []string
	length                         []string
}

func (e *cachedPage) makeHeaders() {
	e.hdr = cachedHeaders{ctype: []string{e.ctype}, cacheCt: []string{e.cacheCt}, etag: []string{e.etag},
		length: []string{strconv.Itoa(len(e.body))}}
	if !e.modified.IsZero() {
		e.hdr.modified = []string{e.modified.Format(http.TimeFormat)}
	}
}

// gzipped returns the entry's body compressed, compressing it once.
func (e *cachedPage) gzipped() []byte {
	e.gzOnce.Do(func() {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		zw.Write(e.body)
		zw.Close()
		e.gz = b.Bytes()
		e.gzLength = []string{strconv.Itoa(len(e.gz))}
	})
	return e.gz
}

// recorder captures a response so it can be cached.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
	shows  []int64 // the members the page shows, told by its handler
}

// shows tells the guests' page cache which members a page being rendered
// shows, so that a change to one of them, and only that, renders it again.
func shows(w http.ResponseWriter, ids []int64) {
	if rec, ok := w.(*recorder); ok {
		rec.shows = append(rec.shows, ids...)
	}
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
	return s.cachedPaced(version, h, false)
}

// cachedList is cached for a list of threads (the front page, a
// category), which every reply anywhere in it changes: under a steady
// stream of replies, guests get it rendered at most listRenders times a
// second (after a burst of listBurst), the newest rendering meanwhile.
// It then lags additions by a tenth of a second at most; what was
// deleted, hidden or renamed is never served (paced). Rendering the
// front page after each of 800 replies a second was a fifth of the
// mixed workload's CPU.
func (s *Server) cachedList(version versionOf, h http.HandlerFunc) http.HandlerFunc {
	return s.cachedPaced(version, h, true)
}

const (
	listRenders = 10 // a second, steadily
	listBurst   = 5  // in a row, after a quiet while: tests and the odd reply see every change at once
)

// paced returns the rendering of a list page to serve instead of a new
// one, if its pace allows no rendering now: the entry under key, current
// but for additions (nothing it shows hidden or changed since).
func (s *Server) paced(key string, v forum.Version, now time.Time) (*cachedPage, bool) {
	e, ok := s.cache.Saved(key)
	if !ok || e.hidden != v.Hidden || e.rendersLeft(now) >= 1 || !s.svc.Changes().Current(e.shown) {
		return nil, false
	}
	return e, true
}

// rendersLeft is how many renderings the pace of e's page allows at now:
// what was left after e's, refilled at listRenders a second.
func (e *cachedPage) rendersLeft(now time.Time) float64 {
	return min(listBurst, e.renders+now.Sub(e.at).Seconds()*listRenders)
}

func (s *Server) cachedPaced(version versionOf, h http.HandlerFunc, list bool) http.HandlerFunc {
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
		e, ok := s.cache.Get(key, v.Stamp)
		if !ok && list {
			e, ok = s.paced(key, v, time.Now())
		}
		if !ok {
			e, ok = s.renders.wait(r, key, v)
		}
		if !ok {
			f := s.renders.start(key, v)
			defer s.renders.finish(key, f) // also if the handler panics: nobody waits forever
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
				body: bytes.Clone(rec.body.Bytes()), hidden: v.Hidden, current: current, at: time.Now(),
				shown: s.svc.Changes().Shows(v, rec.shows),
				etag:  `"` + strconv.FormatUint(sum.Sum64(), 36) + `"`,
				ctype: rec.header.Get("Content-Type"), cacheCt: rec.header.Get("Cache-Control"),
			}
			if rec.header.Get("Last-Modified") != "" {
				e.modified = s.lastModified(key)
			}
			if list {
				e.renders = listBurst - 1
				if prev, ok := s.cache.Saved(key); ok {
					e.renders = max(0, prev.rendersLeft(e.at)-1)
				}
			}
			if e.shown != nil { // else a member changed while it was rendered: served once, not kept
				s.cache.Put(key, v.Stamp, e, e.size())
			}
			f.page = e
		}
		serveCached(w, r, e)
	}
}

// renderFlights lets the guests who miss a page while it is being
// rendered wait for that rendering instead of each rendering it again:
// after a reply, the front page and the busy category pages are missed by
// every reader at once, and rendering them once per change instead of
// once per reader is most of a read-heavy forum's CPU.
type renderFlights struct {
	mu sync.Mutex
	m  map[string]*flight
}

type flight struct {
	version forum.Version // read before the rendering's data
	done    chan struct{}
	page    *cachedPage // nil if the rendering was not a page to share
}

// wait returns the page of a rendering of key in flight whose version
// covers v (it read its data after every change ours counts, the members'
// too, so it is as fresh as a rendering of our own), once it is done.
func (f *renderFlights) wait(r *http.Request, key string, v forum.Version) (*cachedPage, bool) {
	f.mu.Lock()
	fl := f.m[key]
	f.mu.Unlock()
	if fl == nil || !fl.version.Covers(v) {
		return nil, false
	}
	select {
	case <-fl.done:
		return fl.page, fl.page != nil
	case <-r.Context().Done():
		return nil, false
	}
}

// start records a rendering of key at version v; finish ends it. A
// rendering older than one in flight is not waited for.
func (f *renderFlights) start(key string, v forum.Version) *flight {
	fl := &flight{version: v, done: make(chan struct{})}
	f.mu.Lock()
	if f.m == nil {
		f.m = map[string]*flight{}
	}
	if cur := f.m[key]; cur == nil || v.Covers(cur.version) {
		f.m[key] = fl
	}
	f.mu.Unlock()
	return fl
}

// finish ends a rendering; its page (if any) was set in fl.page before.
func (f *renderFlights) finish(key string, fl *flight) {
	close(fl.done)
	f.mu.Lock()
	if f.m[key] == fl {
		delete(f.m, key)
	}
	f.mu.Unlock()
}

var varyCached = []string{"Accept-Encoding, Cookie"}
var gzipEncoding = []string{"gzip"}

// serveCached answers with a cached page. It is most of what a guest's
// request costs, so its headers are the entry's own slices, set without
// canonicalizing (the keys are canonical already) or allocating.
func serveCached(w http.ResponseWriter, r *http.Request, e *cachedPage) {
	e.headersOnce.Do(e.makeHeaders)
	h := w.Header()
	h["Content-Type"], h["Cache-Control"], h["Etag"], h["Vary"] = e.hdr.ctype, e.hdr.cacheCt, e.hdr.etag, varyCached
	if e.hdr.modified != nil {
		h["Last-Modified"] = e.hdr.modified
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		if strings.Contains(inm, e.etag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	} else if since := r.Header.Get("If-Modified-Since"); since != "" && !e.modified.IsZero() {
		if ims, err := http.ParseTime(since); err == nil && !e.modified.After(ims) {
			w.WriteHeader(http.StatusNotModified) // If-None-Match, when sent, decides alone (RFC 9110)
			return
		}
	}
	body, length := e.body, e.hdr.length
	if acceptsGzip(r) {
		body = e.gzipped()
		length = e.gzLength
		h["Content-Encoding"] = gzipEncoding
	}
	h["Content-Length"] = length
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// lastModified is the Last-Modified of a new rendering of the page under
// key: when it was rendered, in whole seconds, and always later than the
// rendering before it. A copy is then never taken for current just
// because it was rendered in the same second as the current one, nor
// because the newest thing it lists is as old as before (a deletion
// takes the newest away). Past ten seconds ahead of the clock, which only
// many renderings a second for a while reach, it gives none: the ETag
// still works.
func (s *Server) lastModified(key string) time.Time {
	now := time.Now().UTC()
	t := now.Truncate(time.Second)
	if prev, ok := s.cache.Saved(key); ok && !prev.modified.IsZero() && !t.After(prev.modified) {
		t = prev.modified.Add(time.Second)
	}
	if t.After(now.Add(10 * time.Second)) {
		return time.Time{}
	}
	return t
}

// cacheKey names a guest's page: its URL and the banners it shows, so a
// change of mode or incident never serves a page with the old banner.
func (s *Server) cacheKey(r *http.Request) string {
	if b := s.banner(r) + s.incidentBanner(r).cacheKey(); b != "" {
		return r.URL.RequestURI() + "\x00" + b
	}
	return r.URL.RequestURI()
}

func acceptsGzip(r *http.Request) bool {
	for part := range strings.SplitSeq(r.Header.Get("Accept-Encoding"), ",") {
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

// threadVersion, categoryVersion and frontVersion pick the version a
// cached page depends on.
func (s *Server) threadVersion(r *http.Request) (func() forum.Version, bool) {
	id, err := pathID(r)
	if err != nil {
		return nil, false
	}
	ch := s.svc.Changes()
	return func() forum.Version { return ch.ThreadVersion(id) }, true
}

func (s *Server) categoryVersion(r *http.Request) (func() forum.Version, bool) {
	id, err := pathID(r)
	if err != nil {
		return nil, false
	}
	ch := s.svc.Changes()
	return func() forum.Version { return ch.CategoryVersion(id) }, true
}

func (s *Server) frontVersion(*http.Request) (func() forum.Version, bool) {
	return s.svc.Changes().FrontVersion, true
}
