package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"hearth/internal/forum"
	"hearth/internal/httperr"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// The icons in static/ are drawn by a program, not by hand.
//go:generate go run ./internal/icongen

// templates holds one parsed set per page (layout + partials + page) and
// the static assets with their checksum URLs.
type templates struct {
	pages  map[string]*template.Template
	assets map[string]asset // by file name
	// like is the "likeform" template rendered once per state (not liked,
	// liked) and cut where the post's id goes: a thread page writes it
	// for every post, and executing the template each time cost more
	// than the rest of the page's actions.
	like [2][2]string
	// threadLevel is the thread's "levelform" likewise, per level shown
	// (forum.Level 0-3), cut where the thread's id goes.
	threadLevel [4][2]string
}

type asset struct {
	body  []byte
	gz    []byte // gzip of body for text assets, compressed once at start; nil if it would not be smaller
	hash  string
	ctype string
}

func loadTemplates() (*templates, error) {
	t := &templates{pages: map[string]*template.Template{}, assets: map[string]asset{}}
	files, err := fs.Glob(staticFS, "static/*")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		b, err := staticFS.ReadFile(f)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		name := path.Base(f)
		a := asset{body: b, hash: hex.EncodeToString(sum[:6]), ctype: assetType(name)}
		if strings.HasPrefix(a.ctype, "text/") || strings.HasPrefix(a.ctype, "image/svg") {
			a.gz = gzipBest(b)
		}
		t.assets[name] = a
	}
	funcs := template.FuncMap{
		"asset": func(name string) string {
			a, ok := t.assets[name]
			if !ok {
				panic("unknown asset " + name)
			}
			return "/static/" + a.hash + "/" + name
		},
		"threadURL":   threadURL,
		"categoryURL": categoryURL,
		"postURL":     forum.PostURL,
		"memberURL":   func(id int64) string { return "/m/" + strconv.FormatInt(id, 10) },
		"levels":      func() []forum.Level { return forum.Levels },
		"levelLabel":  levelLabel,
		"freqLabel":   func(f forum.MailFrequency) string { return freqLabels[f] },
		"html":        func(s string) template.HTML { return template.HTML(s) }, // only for sanitized post HTML
		"date":        func(t time.Time) string { return t.UTC().Format("2 Jan 2006") },
		"datetime":    func(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") },
		"iso":         func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"pageURL":     pageURL,
		"excerpt":     excerpt,
		"row":         rowOf,
		"trow":        rowOfThread,
		"catLink":     catLink,
		"when":        when,
		"initials":    initials,
		"avatarHue":   func(id int64) int64 { return id % 8 },
		"add1":        func(n int) int { return n + 1 },
		"sub1":        func(n int) int { return n - 1 },
		"field":       func(f, current string) struct{ F, Field string } { return struct{ F, Field string }{f, current} },
		"roles": func() []string {
			return []string{string(forum.RoleMember), string(forum.RoleModerator), string(forum.RoleAdmin)}
		},
		"plural": func(n int, one, many string) string {
			if n == 1 {
				return "1 " + one
			}
			return strconv.Itoa(n) + " " + many
		},
	}
	partials, err := fs.Glob(templateFS, "templates/_*.html")
	if err != nil {
		return nil, err
	}
	pages, err := fs.Glob(templateFS, "templates/[a-z]*.html")
	if err != nil {
		return nil, err
	}
	for _, p := range pages {
		name := strings.TrimSuffix(path.Base(p), ".html")
		if name == "layout" {
			continue
		}
		files := append([]string{"templates/layout.html"}, partials...)
		files = append(files, p)
		tp, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, files...)
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		t.pages[name] = tp
	}
	for i, liked := range []bool{false, true} {
		const marker = 987654321987654321 // no post has this id: ids count up from 1
		var b strings.Builder
		err := t.pages["thread"].ExecuteTemplate(&b, "likeform", struct {
			ID    int64
			Liked bool
		}{marker, liked})
		before, after, ok := strings.Cut(b.String(), strconv.FormatInt(marker, 10))
		if err != nil || !ok || strings.Contains(after, strconv.FormatInt(marker, 10)) {
			return nil, fmt.Errorf("render the like form: %v", err)
		}
		t.like[i] = [2]string{before, after}
	}
	for l := range t.threadLevel {
		const marker = "987654321987654321"
		var b strings.Builder
		err := t.pages["thread"].ExecuteTemplate(&b, "levelform", levelForm{Action: "/t/" + marker + "/level", What: "thread", Level: forum.Level(l)})
		before, after, ok := strings.Cut(b.String(), marker)
		if err != nil || !ok || strings.Contains(after, marker) {
			return nil, fmt.Errorf("render the level form: %v", err)
		}
		t.threadLevel[l] = [2]string{before, after}
	}
	return t, nil
}

func threadURL(t *forum.Thread) string {
	return "/t/" + strconv.FormatInt(t.ID, 10) + "/" + t.Slug
}

func categoryURL(c *forum.Category) string {
	return "/c/" + strconv.FormatInt(c.ID, 10) + "/" + c.Slug
}

// pageURL adds ?page=n to base, leaving page 1 as the bare URL so each page
// has one canonical address.
func pageURL(base string, n int) string {
	if n <= 1 {
		return base
	}
	if strings.Contains(base, "?") { // a search's query string
		return base + "&page=" + strconv.Itoa(n)
	}
	return base + "?page=" + strconv.Itoa(n)
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render executes a page into a buffer first, so a template error becomes
// a clean error page rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, view any) {
	tp, ok := s.tmpl.pages[name]
	if !ok {
		s.error(w, r, fmt.Errorf("no template %q", name))
		return
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := tp.Execute(buf, view); err != nil {
		if name != "error" {
			s.error(w, r, fmt.Errorf("render %s: %w", name, err)) // logs it
			return
		}
		s.log.Error("render template", "template", name, "err", err, "request_id", httperr.RequestID(r.Context()))
		http.Error(w, "Something went wrong on our side. Reference for the admin: "+httperr.RequestID(r.Context()), http.StatusInternalServerError)
		return
	}
	s.writeHTML(w, r, status, buf.Bytes())
}

// writeHTML sends a rendered page, gzipped when the client takes it.
func (s *Server) writeHTML(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	if actor(r) != nil {
		h.Set("Cache-Control", "private, no-cache")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	// Guests' cached pages are compressed by the cache, once; pages made
	// for one member are compressed here, quickly.
	if _, rec := w.(*recorder); !rec && len(body) > 1024 && acceptsGzip(r) {
		zbuf := bufPool.Get().(*bytes.Buffer)
		zbuf.Reset()
		defer bufPool.Put(zbuf)
		zw := gzipPool.Get().(*gzip.Writer)
		zw.Reset(zbuf)
		zw.Write(body)
		zw.Close()
		gzipPool.Put(zw)
		body = zbuf.Bytes()
		h.Set("Content-Encoding", "gzip")
		h.Add("Vary", "Accept-Encoding")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

var gzipPool = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return zw
}}

// static serves embedded assets at checksum URLs, cacheable forever,
// gzipped for clients that take it.
func (s *Server) static(w http.ResponseWriter, r *http.Request) {
	a, ok := s.tmpl.assets[r.PathValue("file")]
	if !ok || a.hash != r.PathValue("hash") {
		http.NotFound(w, r)
		return
	}
	serveAsset(w, r, a, "public, max-age=31536000, immutable")
}

func serveAsset(w http.ResponseWriter, r *http.Request, a asset, cacheControl string) {
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("Cache-Control", cacheControl)
	body := a.body
	if a.gz != nil {
		h.Set("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			body = a.gz
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// assetType is the Content-Type of a static file; the system's MIME table
// varies and may not know .ico or .webmanifest.
func assetType(name string) string {
	switch path.Ext(name) {
	case ".ico":
		return "image/x-icon"
	case ".svg":
		return "image/svg+xml"
	case ".css":
		return "text/css; charset=utf-8"
	}
	return mime.TypeByExtension(path.Ext(name))
}

// gzipBest compresses b as small as gzip goes (done once per asset), or
// returns nil when that saves nothing.
func gzipBest(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	if buf.Len() >= len(b) {
		return nil
	}
	return buf.Bytes()
}

// Page is what every page's view carries for the layout.
type Page struct {
	Title       string
	Description string
	Canonical   string // absolute URL, or "" for pages not to index
	SiteName    string
	Actor       *forum.Member
	Crumbs      []Crumb
	NoIndex     bool
	Banner      string    // the forum's mode, when it is not normal
	Unread      int       // the member's unread notification groups, for the bell
	Feed        *feedLink // the page's feeds, for guests' feed readers

	// Incident is the latest incident's banner, after an outage; nil if
	// none or dismissed.
	Incident *incidentBanner

	Flash      *flash // what the member's last action did (flash.go)
	Next       string // where "Log in" comes back to: this page
	AdminBadge int    // for admins: registrations awaiting approval
	// Clock is now and the reader's time zone, for the times the page shows.
	Clock clock
}

// feedLink names a page's feeds: URL with ".atom" and with ".rss".
type feedLink struct{ Title, URL string }

func (s *Server) feedLink(title, path string) *feedLink {
	return &feedLink{Title: title, URL: s.canonical(path)}
}

// Crumb is one step of the breadcrumb trail.
type Crumb struct {
	Name, URL string
}

// page fills the common part of a view.
func (s *Server) page(r *http.Request, title string) Page {
	return Page{Title: title, SiteName: s.siteName(r), Actor: actor(r), Banner: s.banner(r), Unread: s.unread(r), Incident: s.incidentBanner(r),
		Flash: s.flashOf(r), Next: loginNext(r), AdminBadge: s.adminBadge(r), Clock: s.clockFor(r)}
}

// unread is the bell's count for the request's member: one index range
// read. A failure shows 0 rather than failing the page.
func (s *Server) unread(r *http.Request) int {
	a := actor(r)
	if a == nil {
		return 0
	}
	n, err := s.svc.UnreadNotifications(r.Context(), a)
	if err != nil {
		return 0
	}
	return n
}

// canonical returns the absolute URL for a path on this site.
func (s *Server) canonical(p string) string {
	base := strings.TrimRight(s.cfg.BaseURL, "/")
	if base == "" {
		return p
	}
	return base + p
}

// levelForm is the view of the "levelform" template.
type levelForm struct {
	Action string
	What   string // "thread" or "category"
	Level  forum.Level
}

// Shown is the level the form shows chosen: no choice shows as normal.
func (f levelForm) Shown() forum.Level {
	if f.Level == forum.LevelDefault {
		return forum.LevelNormal
	}
	return f.Level
}

func levelLabel(l forum.Level) string {
	switch l {
	case forum.LevelWatching:
		return "Watching: every post"
	case forum.LevelTracking:
		return "Tracking: mentions and replies to you, and counts"
	case forum.LevelMuted:
		return "Muted: nothing, and hidden from lists"
	}
	return "Normal: mentions and replies to you"
}
