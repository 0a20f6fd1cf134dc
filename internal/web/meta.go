package web

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
	"time"

	"hearth/internal/forum"
)

// What browsers and search engines ask of every site: /favicon.ico,
// /robots.txt, /manifest.webmanifest and /sitemap.xml. The first three
// need no database and pass the maintenance gate (siteMode).

// ungated are the paths served whatever the forum's mode.
var ungated = map[string]bool{"/favicon.ico": true, "/robots.txt": true, "/manifest.webmanifest": true}

func (s *Server) metaRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /favicon.ico", s.favicon)
	mux.HandleFunc("GET /robots.txt", s.robots)
	mux.HandleFunc("GET /manifest.webmanifest", s.manifest)
	mux.HandleFunc("GET /sitemap.xml", s.asGuest(s.cached(s.sitemapVersion, s.sitemap)))
	mux.HandleFunc("GET /sitemap/{file}", s.asGuest(s.cached(s.sitemapVersion, s.sitemapFile)))
}

// favicon is for browsers that ask the root whatever the page says; its
// URL cannot change with its content, so it is cached for a day only.
func (s *Server) favicon(w http.ResponseWriter, r *http.Request) {
	serveAsset(w, r, s.tmpl.assets["favicon.ico"], "public, max-age=86400")
}

// robotsDisallowed are what crawlers have no business in: members' own
// pages, forms, search results (endless and thin) and the API.
var robotsDisallowed = []string{
	"/admin", "/notifications", "/bookmarks", "/search", "/login", "/logout", "/register",
	"/forgot", "/reset", "/setup", "/pending", "/read", "/api/",
	"/m/*/edit", "/t/*/reply", "/c/*/new", "/p/*/edit",
}

func (s *Server) robots(w http.ResponseWriter, r *http.Request) {
	var b strings.Builder
	b.WriteString("User-agent: *\n")
	for _, p := range robotsDisallowed {
		b.WriteString("Disallow: " + p + "\n")
	}
	b.WriteString("\nSitemap: " + s.absolute(r, "/sitemap.xml") + "\n")
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=3600")
	w.Write([]byte(b.String()))
}

// absolute is p on the configured base URL, or on the request's own
// origin without one: robots.txt and sitemaps need whole URLs.
func (s *Server) absolute(r *http.Request, p string) string {
	if u := s.canonical(p); !strings.HasPrefix(u, "/") {
		return u
	}
	scheme := "http://"
	if r.TLS != nil {
		scheme = "https://"
	}
	return scheme + r.Host + p
}

type manifestIcon struct {
	Src   string `json:"src"`
	Sizes string `json:"sizes"`
	Type  string `json:"type"`
}

// manifest is the web app manifest: what a phone needs to put the forum
// on its home screen under its name and icon.
func (s *Server) manifest(w http.ResponseWriter, r *http.Request) {
	name := s.siteName(r)
	short := name
	if r := []rune(short); len(r) > 12 {
		short = string(r[:12])
	}
	asset := func(n string) string { a := s.tmpl.assets[n]; return "/static/" + a.hash + "/" + n }
	b, _ := json.Marshal(struct {
		Name       string         `json:"name"`
		ShortName  string         `json:"short_name"`
		StartURL   string         `json:"start_url"`
		Scope      string         `json:"scope"`
		Display    string         `json:"display"`
		Background string         `json:"background_color"`
		Theme      string         `json:"theme_color"`
		Icons      []manifestIcon `json:"icons"`
	}{name, short, "/", "/", "standalone", "#fbfaf7", "#1d232b", []manifestIcon{
		{asset("icon.svg"), "any", "image/svg+xml"},
		{asset("icon-192.png"), "192x192", "image/png"},
		{asset("icon-512.png"), "512x512", "image/png"},
	}})
	h := w.Header()
	h.Set("Content-Type", "application/manifest+json")
	h.Set("Cache-Control", "public, max-age=3600")
	w.Write(b)
}

// sitemapVersion: the sitemap lists threads and categories, which the
// front page's version follows (a new, deleted or moved thread moves it).
func (s *Server) sitemapVersion(*http.Request) (func() forum.Version, bool) {
	return s.svc.Changes().FrontVersion, true
}

type sitemapURL struct {
	Loc     string `xml:"loc"`
	LastMod string `xml:"lastmod,omitempty"`
}

type urlset struct {
	XMLName xml.Name     `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
	URLs    []sitemapURL `xml:"url"`
}

type sitemapIndex struct {
	XMLName  xml.Name     `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 sitemapindex"`
	Sitemaps []sitemapURL `xml:"sitemap"`
}

func lastmod(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// sitemapPages is the front page and the categories guests may read.
func (s *Server) sitemapPages(r *http.Request) ([]sitemapURL, error) {
	cats, err := s.svc.Categories(r.Context(), nil)
	if err != nil {
		return nil, err
	}
	var newest time.Time
	var out []sitemapURL
	add := func(c *forum.Category) {
		out = append(out, sitemapURL{s.absolute(r, categoryURL(c)), lastmod(c.LastPostAt)})
		if c.LastPostAt.After(newest) {
			newest = c.LastPostAt
		}
	}
	for _, c := range cats {
		add(c)
		for _, sub := range c.Children {
			add(sub)
		}
	}
	return append([]sitemapURL{{s.absolute(r, "/"), lastmod(newest)}}, out...), nil
}

func (s *Server) sitemapThreads(r *http.Request, page int) ([]sitemapURL, error) {
	ts, err := s.svc.SitemapThreads(r.Context(), page, s.sitemapSize())
	if err != nil {
		return nil, err
	}
	out := make([]sitemapURL, len(ts))
	for i, t := range ts {
		out[i] = sitemapURL{s.absolute(r, "/t/"+strconv.FormatInt(t.ID, 10)+"/"+t.Slug), lastmod(t.Updated)}
	}
	return out, nil
}

func (s *Server) sitemapSize() int {
	if s.sitemapMax > 0 {
		return s.sitemapMax
	}
	return forum.SitemapSize
}

// sitemap is one file with every public page while they fit in one
// (50,000 URLs); beyond, an index of /sitemap/pages.xml and
// /sitemap/threads-N.xml.
func (s *Server) sitemap(w http.ResponseWriter, r *http.Request) {
	n, err := s.svc.SitemapThreadCount(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	pages, err := s.sitemapPages(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	size := s.sitemapSize()
	if len(pages)+n <= size {
		threads, err := s.sitemapThreads(r, 1)
		if err != nil {
			s.error(w, r, err)
			return
		}
		writeXML(w, urlset{URLs: append(pages, threads...)})
		return
	}
	idx := sitemapIndex{Sitemaps: []sitemapURL{{Loc: s.absolute(r, "/sitemap/pages.xml")}}}
	for i := 1; (i-1)*size < n; i++ {
		idx.Sitemaps = append(idx.Sitemaps, sitemapURL{Loc: s.absolute(r, "/sitemap/threads-"+strconv.Itoa(i)+".xml")})
	}
	writeXML(w, idx)
}

// sitemapFile is one file of the index: pages.xml or threads-N.xml.
func (s *Server) sitemapFile(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	var urls []sitemapURL
	var err error
	if file == "pages.xml" {
		urls, err = s.sitemapPages(r)
	} else {
		num, ok := strings.CutPrefix(strings.TrimSuffix(file, ".xml"), "threads-")
		page, perr := strconv.Atoi(num)
		if !ok || !strings.HasSuffix(file, ".xml") || perr != nil || page < 1 || num != strconv.Itoa(page) {
			s.error(w, r, forum.ErrNotFound)
			return
		}
		urls, err = s.sitemapThreads(r, page)
		if err == nil && len(urls) == 0 {
			err = forum.ErrNotFound
		}
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeXML(w, urlset{URLs: urls})
}

func writeXML(w http.ResponseWriter, v any) {
	b, _ := xml.Marshal(v) // our own structs of strings: it cannot fail
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write([]byte(xml.Header))
	w.Write(b)
}
