package web

import (
	"context"
	"encoding/xml"
	"html"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"hearth/internal/forum"
)

// Feeds: RSS 2.0 and Atom (RFC 4287) of the newest threads of the forum
// (/latest.atom) and of a category (/c/{id}/feed.atom), and of the newest
// posts of a thread (/t/{id}/feed.atom); .rss for RSS. They are always
// read as a guest (asGuest), so the guests' page cache keeps them, with
// its ETag, gzip copy and 304s, under the feed's version: a reply renders
// again only its thread's, its category's and the forum's feed. Ids are
// permanent links without slugs, so a rename keeps them.

type feedFormat int

const (
	atomFeed feedFormat = iota
	rssFeed
)

// asGuest serves h as to a guest, whoever asks: a feed is the same for
// everyone and shows nothing a guest may not read.
func (s *Server) asGuest(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if actor(r) != nil {
			r = r.WithContext(context.WithValue(r.Context(), keyActor, (*forum.Member)(nil)))
		}
		h(w, r)
	}
}

func (s *Server) frontFeedVersion(*http.Request) (func() forum.Version, bool) {
	return s.svc.Changes().FrontFeedVersion, true
}

func (s *Server) categoryFeedVersion(r *http.Request) (func() forum.Version, bool) {
	id, err := pathID(r)
	if err != nil {
		return nil, false
	}
	ch := s.svc.Changes()
	return func() forum.Version { return ch.CategoryFeedVersion(id) }, true
}

// feedDoc is what either format is written from.
type feedDoc struct {
	id, title, subtitle, page, self string // absolute URLs but title and subtitle
	site                            string // the site's name: the feed's author
	updated                         time.Time
	entries                         []feedEntry
}

type feedEntry struct {
	id, title, link, author, authorURL, summary string
	content                                     string // HTML
	published, updated                          time.Time
}

// feed serves the feed the path names, in format.
func (s *Server) feed(format feedFormat) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var f forum.FeedFilter
		var err error
		switch {
		case strings.HasPrefix(r.URL.Path, "/c/"):
			f.CategoryID, err = pathID(r)
		case strings.HasPrefix(r.URL.Path, "/t/"):
			f.ThreadID, err = pathID(r)
		}
		if err != nil {
			s.error(w, r, err)
			return
		}
		feed, err := s.svc.Feed(r.Context(), f)
		if err != nil {
			s.error(w, r, err)
			return
		}
		shows(w, feed.Members())
		doc := s.feedDoc(feed, r.URL.Path)
		var body []byte
		ctype := "application/atom+xml; charset=utf-8"
		if format == rssFeed {
			body, err = doc.rss()
			ctype = "application/rss+xml; charset=utf-8"
		} else {
			body, err = doc.atom()
		}
		if err != nil {
			s.error(w, r, err)
			return
		}
		h := w.Header()
		h.Set("Content-Type", ctype)
		h.Set("Cache-Control", "no-cache")                               // revalidated each time (a 304 is cheap): a deletion leaves at once
		h.Set("Last-Modified", time.Now().UTC().Format(http.TimeFormat)) // the cache makes it each rendering's own
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	}
}

// feedDoc turns a feed into what both formats show, with absolute URLs
// from the configured base URL.
func (s *Server) feedDoc(feed *forum.Feed, path string) *feedDoc {
	name := s.knownSiteName()
	d := &feedDoc{self: s.canonical(path), site: name}
	base := strings.TrimSuffix(strings.TrimSuffix(path, ".atom"), ".rss")
	switch {
	case feed.Thread != nil:
		d.id = s.canonical("/t/" + strconv.FormatInt(feed.Thread.ID, 10))
		d.title, d.page = feed.Thread.Title+" · "+name, s.canonical(threadURL(feed.Thread))
		d.subtitle = "The newest posts of " + feed.Thread.Title
		d.updated = feed.Thread.CreatedAt
	case feed.Category != nil:
		d.id = s.canonical("/c/" + strconv.FormatInt(feed.Category.ID, 10))
		d.title, d.page = feed.Category.Name+" · "+name, s.canonical(categoryURL(feed.Category))
		d.subtitle = feed.Category.Description
		if d.subtitle == "" {
			d.subtitle = "The newest threads in " + feed.Category.Name
		}
	default:
		d.id = s.canonical(base)
		d.title, d.page = "Latest threads · "+name, s.canonical("/")
		d.subtitle = "The newest threads of " + name
	}
	for _, it := range feed.Items {
		e := feedEntry{
			author: it.AuthorName, authorURL: s.canonical("/m/" + strconv.FormatInt(it.AuthorID, 10)),
			published: it.CreatedAt, updated: it.Updated(),
		}
		if feed.Thread != nil {
			e.id = s.canonical(forum.PostURL(it.PostID))
			e.link = e.id
			e.title = it.ThreadTitle
			if it.Position > 1 {
				e.title = "Re: " + it.ThreadTitle + " (#" + strconv.Itoa(it.Position) + ")"
			}
		} else {
			e.id = s.canonical("/t/" + strconv.FormatInt(it.ThreadID, 10))
			e.link = s.canonical(threadURL(&forum.Thread{ID: it.ThreadID, Slug: it.ThreadSlug}))
			e.title = it.ThreadTitle
			e.summary = "Started by " + it.AuthorName + " · " + strconv.Itoa(it.Replies) + " replies"
			if it.Replies == 1 {
				e.summary = "Started by " + it.AuthorName + " · 1 reply"
			}
		}
		if it.Whole {
			e.content = s.absoluteLinks(it.HTML)
		} else {
			e.content = "<p>" + html.EscapeString(excerpt(it.HTML)) + `</p><p><a href="` +
				html.EscapeString(s.canonical(forum.PostURL(it.PostID))) + `">Read the whole post</a></p>`
		}
		if e.updated.After(d.updated) {
			d.updated = e.updated
		}
		d.entries = append(d.entries, e)
	}
	if d.updated.IsZero() {
		d.updated = time.Unix(0, 0)
	}
	return d
}

var rootLink = regexp.MustCompile(`(href|src)="/([^/"])`)

// absoluteLinks makes a post's links to this site's paths absolute: a feed
// is read far from the site, and RSS readers have no base to resolve them
// against. The sanitizer writes every attribute in double quotes.
func (s *Server) absoluteLinks(h string) string {
	base := strings.TrimRight(s.cfg.BaseURL, "/")
	if base == "" || !strings.Contains(h, `="/`) {
		return h
	}
	return rootLink.ReplaceAllString(h, `$1="`+strings.ReplaceAll(base, "$", "$$")+`/$2`)
}

// The formats' XML, written by encoding/xml, which escapes every text and
// attribute.

type atomLink struct {
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomPerson struct {
	Name string `xml:"name"`
	URI  string `xml:"uri,omitempty"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Text string `xml:",chardata"`
}

type atomEntry struct {
	ID        string     `xml:"id"`
	Title     string     `xml:"title"`
	Updated   string     `xml:"updated"`
	Published string     `xml:"published"`
	Author    atomPerson `xml:"author"`
	Link      atomLink   `xml:"link"`
	Summary   *atomText  `xml:"summary,omitempty"`
	Content   atomText   `xml:"content"`
}

type atomXML struct {
	XMLName   xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID        string      `xml:"id"`
	Title     string      `xml:"title"`
	Subtitle  string      `xml:"subtitle,omitempty"`
	Updated   string      `xml:"updated"`
	Author    atomPerson  `xml:"author"`
	Links     []atomLink  `xml:"link"`
	Generator string      `xml:"generator"`
	Entries   []atomEntry `xml:"entry"`
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (d *feedDoc) atom() ([]byte, error) {
	x := atomXML{
		ID: d.id, Title: d.title, Subtitle: d.subtitle, Updated: rfc3339(d.updated),
		// Every entry names its author too; this one covers the feed.
		Author:    atomPerson{Name: d.site, URI: d.page},
		Links:     []atomLink{{Rel: "self", Type: "application/atom+xml", Href: d.self}, {Rel: "alternate", Type: "text/html", Href: d.page}},
		Generator: "Hearth",
	}
	for _, e := range d.entries {
		ae := atomEntry{
			ID: e.id, Title: e.title, Updated: rfc3339(e.updated), Published: rfc3339(e.published),
			Author:  atomPerson{Name: e.author, URI: e.authorURL},
			Link:    atomLink{Rel: "alternate", Type: "text/html", Href: e.link},
			Content: atomText{Type: "html", Text: e.content},
		}
		if e.summary != "" {
			ae.Summary = &atomText{Type: "text", Text: e.summary}
		}
		x.Entries = append(x.Entries, ae)
	}
	return marshalXML(x)
}

type rssGUID struct {
	IsPermaLink string `xml:"isPermaLink,attr"`
	Value       string `xml:",chardata"`
}

type rssItem struct {
	Title       string  `xml:"title"`
	Link        string  `xml:"link"`
	Description string  `xml:"description"`
	Creator     string  `xml:"dc:creator"`
	GUID        rssGUID `xml:"guid"`
	PubDate     string  `xml:"pubDate"`
}

type rssXML struct {
	XMLName xml.Name `xml:"rss"`
	Version string   `xml:"version,attr"`
	AtomNS  string   `xml:"xmlns:atom,attr"`
	DCNS    string   `xml:"xmlns:dc,attr"`
	Channel struct {
		Title         string    `xml:"title"`
		Link          string    `xml:"link"`
		Description   string    `xml:"description"`
		Self          atomLink  `xml:"atom:link"`
		LastBuildDate string    `xml:"lastBuildDate"`
		Generator     string    `xml:"generator"`
		Items         []rssItem `xml:"item"`
	} `xml:"channel"`
}

func (d *feedDoc) rss() ([]byte, error) {
	x := rssXML{Version: "2.0", AtomNS: "http://www.w3.org/2005/Atom", DCNS: "http://purl.org/dc/elements/1.1/"}
	c := &x.Channel
	c.Title, c.Link, c.Description = d.title, d.page, d.subtitle
	c.Self = atomLink{Rel: "self", Type: "application/rss+xml", Href: d.self}
	c.LastBuildDate, c.Generator = d.updated.UTC().Format(time.RFC1123Z), "Hearth"
	for _, e := range d.entries {
		c.Items = append(c.Items, rssItem{
			Title: e.title, Link: e.link, Description: e.content, Creator: e.author,
			// Thread and post ids are permanent links; a thread's page
			// link carries its slug, its id does not.
			GUID:    rssGUID{IsPermaLink: "true", Value: e.id},
			PubDate: e.published.UTC().Format(time.RFC1123Z),
		})
	}
	return marshalXML(x)
}

func marshalXML(v any) ([]byte, error) {
	b, err := xml.MarshalIndent(v, "", " ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), b...), nil
}
