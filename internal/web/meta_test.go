package web

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"hearth/internal/forum"
	"hearth/internal/render"
	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

const metaBase = "https://forum.example.org"

// metaForum is a forum with public, deleted and hidden threads, served
// by a web Server whose sitemap files hold sitemapMax URLs (0: 50,000).
func metaForum(t *testing.T, db *store.DB) (svc *forum.Service, public, hidden []string) {
	t.Helper()
	ctx := t.Context()
	svc = forum.NewService(db, render.New())
	admin, err := svc.CreateMember(ctx, forum.NewMember{Email: "admin@example.org", Name: "Ada Admin", Password: "ferry timetables in lisbon", Role: forum.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	cat := func(in forum.CategoryInput) *forum.Category {
		c, err := svc.CreateCategory(ctx, admin, in)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	thread := func(c *forum.Category, title string) (string, *forum.Post) {
		th, p, err := svc.CreateThread(ctx, admin, forum.NewThread{CategoryID: c.ID, Title: title, Body: "Words of " + title})
		if err != nil {
			t.Fatal(err)
		}
		return metaBase + threadURL(th), p
	}
	gen := cat(forum.CategoryInput{Name: "General"})
	lounge := cat(forum.CategoryInput{Name: "Lounge", MembersOnly: true})
	staff := cat(forum.CategoryInput{Name: "Staff room", StaffOnly: true})
	under := cat(forum.CategoryInput{Name: "Under the lounge", ParentID: lounge.ID})
	for _, title := range []string{"Ferry timetables", "Cruise commissions", "Rail passes"} {
		u, _ := thread(gen, title)
		public = append(public, u)
	}
	dead, p := thread(gen, "Deleted thread")
	if err := svc.DeletePost(ctx, admin, p.ID); err != nil {
		t.Fatal(err)
	}
	hidden = append(hidden, dead, metaBase+categoryURL(lounge), metaBase+categoryURL(staff))
	for _, c := range []*forum.Category{lounge, staff, under} {
		u, _ := thread(c, "Secret in "+c.Name)
		hidden = append(hidden, u)
	}
	public = append(public, metaBase+"/", metaBase+categoryURL(gen))
	return svc, public, hidden
}

func metaServer(t *testing.T, svc *forum.Service, sitemapMax int) *httptest.Server {
	t.Helper()
	s, err := New(svc, slog.New(slog.NewTextHandler(io.Discard, nil)), Config{SiteName: "Travel Agents Guild", BaseURL: metaBase})
	if err != nil {
		t.Fatal(err)
	}
	s.sitemapMax = sitemapMax
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts
}

// rawClient shows what the server sent: no transparent gzip.
var rawClient = &http.Client{Transport: &http.Transport{DisableCompression: true}}

type fetched struct {
	status int
	header http.Header
	body   []byte
}

func fetch(t *testing.T, url string, header ...string) fetched {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := rawClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return fetched{resp.StatusCode, resp.Header, b}
}

type sitemapDoc struct {
	XMLName xml.Name
	URLs    []struct {
		Loc     string `xml:"loc"`
		LastMod string `xml:"lastmod"`
	} `xml:"url"`
	Maps []struct {
		Loc string `xml:"loc"`
	} `xml:"sitemap"`
}

func readSitemap(t *testing.T, url string) sitemapDoc {
	t.Helper()
	f := fetch(t, url)
	if f.status != 200 || !strings.HasPrefix(f.header.Get("Content-Type"), "application/xml") {
		t.Fatalf("%s: %d %q\n%s", url, f.status, f.header.Get("Content-Type"), f.body)
	}
	var d sitemapDoc
	if err := xml.Unmarshal(f.body, &d); err != nil {
		t.Fatalf("%s: %v\n%s", url, err, f.body)
	}
	if d.XMLName.Space != "http://www.sitemaps.org/schemas/sitemap/0.9" {
		t.Errorf("%s: namespace %q", url, d.XMLName.Space)
	}
	for _, u := range d.URLs {
		if _, err := time.Parse(time.RFC3339, u.LastMod); u.LastMod != "" && err != nil {
			t.Errorf("%s: lastmod %q", url, u.LastMod)
		}
	}
	return d
}

func TestSitemap(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		svc, public, hidden := metaForum(t, db)
		locs := func(d sitemapDoc) map[string]bool {
			m := map[string]bool{}
			for _, u := range d.URLs {
				m[u.Loc] = true
			}
			return m
		}
		check := func(what string, got map[string]bool) {
			t.Helper()
			for _, u := range public {
				if !got[u] {
					t.Errorf("%s lacks %s", what, u)
				}
			}
			for _, u := range hidden {
				if got[u] {
					t.Errorf("%s lists %s, which guests may not read", what, u)
				}
			}
			if len(got) != len(public) {
				t.Errorf("%s: %d URLs, want %d: %v", what, len(got), len(public), got)
			}
		}

		// Everything fits in one file.
		one := metaServer(t, svc, 0)
		d := readSitemap(t, one.URL+"/sitemap.xml")
		if d.XMLName.Local != "urlset" {
			t.Fatalf("sitemap.xml is a %s", d.XMLName.Local)
		}
		check("sitemap.xml", locs(d))
		for _, u := range d.URLs {
			if strings.Contains(u.Loc, "/t/") && u.LastMod == "" {
				t.Errorf("%s has no lastmod", u.Loc)
			}
		}

		// Two threads a file: an index of the pages and two thread files.
		paged := metaServer(t, svc, 2)
		idx := readSitemap(t, paged.URL+"/sitemap.xml")
		var files []string
		for _, m := range idx.Maps {
			files = append(files, m.Loc)
		}
		want := []string{metaBase + "/sitemap/pages.xml", metaBase + "/sitemap/threads-1.xml", metaBase + "/sitemap/threads-2.xml"}
		if idx.XMLName.Local != "sitemapindex" || strings.Join(files, " ") != strings.Join(want, " ") {
			t.Fatalf("index %s: %v, want %v", idx.XMLName.Local, files, want)
		}
		all := map[string]bool{}
		for _, f := range want {
			for u := range locs(readSitemap(t, paged.URL+strings.TrimPrefix(f, metaBase))) {
				all[u] = true
			}
		}
		check("the index's files", all)
		for _, bad := range []string{"threads-3.xml", "threads-0.xml", "threads-01.xml", "threads-x.xml", "threads-1", "other.xml"} {
			if f := fetch(t, paged.URL+"/sitemap/"+bad); f.status != 404 {
				t.Errorf("/sitemap/%s: %d, want 404", bad, f.status)
			}
		}
	})
}

func TestRobotsManifestIcons(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	svc, _, _ := metaForum(t, db)
	ts := metaServer(t, svc, 0)

	robots := fetch(t, ts.URL+"/robots.txt")
	for _, want := range []string{"User-agent: *\n", "Disallow: /notifications\n", "Disallow: /bookmarks\n", "Disallow: /admin\n", "Disallow: /search\n", "Sitemap: " + metaBase + "/sitemap.xml\n"} {
		if robots.status != 200 || !bytes.Contains(robots.body, []byte(want)) {
			t.Errorf("robots.txt lacks %q:\n%s", want, robots.body)
		}
	}
	if bytes.Contains(robots.body, []byte("Disallow: /t/\n")) || bytes.Contains(robots.body, []byte("Disallow: /\n")) {
		t.Errorf("robots.txt hides the threads:\n%s", robots.body)
	}

	m := fetch(t, ts.URL+"/manifest.webmanifest")
	var man struct {
		Name      string
		ShortName string `json:"short_name"`
		StartURL  string `json:"start_url"`
		Icons     []struct{ Src, Sizes, Type string }
	}
	if err := json.Unmarshal(m.body, &man); err != nil || m.header.Get("Content-Type") != "application/manifest+json" {
		t.Fatalf("manifest: %v %q\n%s", err, m.header.Get("Content-Type"), m.body)
	}
	if man.Name != "Travel Agents Guild" || man.ShortName == "" || man.StartURL != "/" || len(man.Icons) != 3 {
		t.Errorf("manifest: %s", m.body)
	}
	for _, ic := range man.Icons {
		f := fetch(t, ts.URL+ic.Src)
		if f.status != 200 || f.header.Get("Content-Type") != ic.Type || !strings.Contains(f.header.Get("Cache-Control"), "immutable") {
			t.Errorf("icon %s: %d %q %q", ic.Src, f.status, f.header.Get("Content-Type"), f.header.Get("Cache-Control"))
		}
		if ic.Type == "image/png" {
			size := strings.Split(ic.Sizes, "x")[0]
			// The PNG header's width, bytes 16-19.
			if len(f.body) < 24 || strconv.Itoa(int(f.body[16])<<24|int(f.body[17])<<16|int(f.body[18])<<8|int(f.body[19])) != size {
				t.Errorf("icon %s is not %s wide", ic.Src, ic.Sizes)
			}
		}
	}

	ico := fetch(t, ts.URL+"/favicon.ico")
	if ico.status != 200 || ico.header.Get("Content-Type") != "image/x-icon" || !bytes.HasPrefix(ico.body, []byte{0, 0, 1, 0}) {
		t.Errorf("favicon.ico: %d %q % x", ico.status, ico.header.Get("Content-Type"), ico.body[:min(8, len(ico.body))])
	}

	home := fetch(t, ts.URL+"/")
	for _, want := range []string{`<link rel="manifest" href="/manifest.webmanifest">`, `rel="icon" href="/favicon.ico"`, `type="image/svg+xml"`, `rel="apple-touch-icon"`} {
		if !bytes.Contains(home.body, []byte(want)) {
			t.Errorf("the pages' head lacks %s", want)
		}
	}
}

// TestStaticCompressed: the stylesheet is gzipped once at start and sent
// so to clients that take it, under a content-hashed URL cached for a year.
func TestStaticCompressed(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	ts := metaServer(t, forum.NewService(db, render.New()), 0)
	home := fetch(t, ts.URL+"/")
	css := regexp.MustCompile(`href="(/static/[0-9a-f]+/style\.css)"`).FindSubmatch(home.body)
	if css == nil {
		t.Fatalf("no stylesheet link in\n%s", home.body)
	}
	plain := fetch(t, ts.URL+string(css[1]))
	zipped := fetch(t, ts.URL+string(css[1]), "Accept-Encoding", "br, gzip;q=0.8")
	refused := fetch(t, ts.URL+string(css[1]), "Accept-Encoding", "gzip;q=0")
	for what, f := range map[string]fetched{"plain": plain, "gzip": zipped, "refused": refused} {
		h := f.header
		if f.status != 200 || h.Get("Vary") != "Accept-Encoding" || h.Get("Cache-Control") != "public, max-age=31536000, immutable" || !strings.HasPrefix(h.Get("Content-Type"), "text/css") {
			t.Errorf("%s: %d %v", what, f.status, h)
		}
		if h.Get("Content-Length") != strconv.Itoa(len(f.body)) {
			t.Errorf("%s: Content-Length %s for %d bytes", what, h.Get("Content-Length"), len(f.body))
		}
	}
	if plain.header.Get("Content-Encoding") != "" || refused.header.Get("Content-Encoding") != "" || zipped.header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding: plain %q, refused %q, gzip %q", plain.header.Get("Content-Encoding"), refused.header.Get("Content-Encoding"), zipped.header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped.body))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	if !bytes.Equal(unzipped, plain.body) || len(zipped.body)*2 > len(plain.body) {
		t.Errorf("gzip: %d bytes for %d, same content %v", len(zipped.body), len(plain.body), bytes.Equal(unzipped, plain.body))
	}
	if f := fetch(t, ts.URL+"/static/000000000000/style.css"); f.status != 404 {
		t.Errorf("a stale hash: %d, want 404", f.status)
	}
}
