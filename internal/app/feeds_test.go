package app_test

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"hearth/internal/forum"
	"hearth/internal/store/storetest"
)

// atomDoc is what RFC 4287 requires of a feed and its entries (4.1.1,
// 4.1.2), read with encoding/xml to check each element is there.
type atomDoc struct {
	XMLName xml.Name     `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string       `xml:"id"`
	Title   string       `xml:"title"`
	Updated string       `xml:"updated"`
	Authors []atomAuthor `xml:"author"`
	Links   []atomHref   `xml:"link"`
	Entries []struct {
		ID      string       `xml:"id"`
		Title   string       `xml:"title"`
		Updated string       `xml:"updated"`
		Authors []atomAuthor `xml:"author"`
		Links   []atomHref   `xml:"link"`
		Content *struct {
			Type string `xml:"type,attr"`
			Text string `xml:",chardata"`
		} `xml:"content"`
	} `xml:"entry"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomHref struct {
	Rel  string `xml:"rel,attr"`
	Href string `xml:"href,attr"`
}

func hasLink(links []atomHref, rel string) string {
	for _, l := range links {
		if l.Rel == rel || (rel == "alternate" && l.Rel == "") {
			return l.Href
		}
	}
	return ""
}

// checkAtom fails t unless body holds every element RFC 4287 requires,
// with absolute URLs under base and RFC 3339 times.
func checkAtom(t *testing.T, what, base, body string) *atomDoc {
	t.Helper()
	var d atomDoc
	if err := xml.Unmarshal([]byte(body), &d); err != nil {
		t.Fatalf("%s: not Atom: %v", what, err)
	}
	stamp := func(where, s string) {
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			t.Errorf("%s: %s updated %q is not RFC 3339", what, where, s)
		}
	}
	if d.ID == "" || d.Title == "" {
		t.Errorf("%s: feed id %q, title %q", what, d.ID, d.Title)
	}
	stamp("feed", d.Updated)
	if self := hasLink(d.Links, "self"); !strings.HasPrefix(self, base+"/") {
		t.Errorf("%s: link rel=self %q", what, self)
	}
	for i, e := range d.Entries {
		if !strings.HasPrefix(e.ID, base+"/") || e.Title == "" {
			t.Errorf("%s: entry %d id %q, title %q", what, i, e.ID, e.Title)
		}
		stamp("entry "+e.ID, e.Updated)
		if len(d.Authors) == 0 && (len(e.Authors) == 0 || e.Authors[0].Name == "") {
			t.Errorf("%s: entry %s has no author, nor has the feed", what, e.ID)
		}
		if alt := hasLink(e.Links, "alternate"); !strings.HasPrefix(alt, base+"/") && e.Content == nil {
			t.Errorf("%s: entry %s has neither an alternate link nor content", what, e.ID)
		}
		if e.Content != nil && e.Content.Type != "html" {
			t.Errorf("%s: entry %s content type %q", what, e.ID, e.Content.Type)
		}
	}
	return &d
}

func TestFeeds(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			a, admin, _ := accountsForum(t, engine)
			ctx, svc, base := t.Context(), a.Service, a.URL()
			mk := func(in forum.CategoryInput) *forum.Category {
				c, err := svc.CreateCategory(ctx, admin, in)
				if err != nil {
					t.Fatal(err)
				}
				return c
			}
			thread := func(c *forum.Category, title, body string) (*forum.Thread, *forum.Post) {
				th, p, err := svc.CreateThread(ctx, admin, forum.NewThread{CategoryID: c.ID, Title: title, Body: body})
				if err != nil {
					t.Fatal(err)
				}
				return th, p
			}
			reply := func(th *forum.Thread, body string) *forum.Post {
				p, err := svc.Reply(ctx, admin, th.ID, body, 0)
				if err != nil {
					t.Fatal(err)
				}
				return p
			}
			gen := mk(forum.CategoryInput{Name: "General", Description: "Talk of the trade"})
			other := mk(forum.CategoryInput{Name: "Suppliers"})
			lounge := mk(forum.CategoryInput{Name: "Lounge", MembersOnly: true})
			staff := mk(forum.CategoryInput{Name: "Staff room", StaffOnly: true})
			under := mk(forum.CategoryInput{Name: "Under the lounge", ParentID: lounge.ID})

			ferry, first := thread(gen, "Ferry timetables", "The Lisbon ferries <b>run</b> late; see [the last post](/p/1) & more.")
			reply(ferry, "Public reply words")
			gone := reply(ferry, "Deleted reply words")
			must(t, svc.DeletePost(ctx, admin, gone.ID))
			dead, deadFirst := thread(gen, "Deleted thread title", "Deleted thread words")
			must(t, svc.DeletePost(ctx, admin, deadFirst.ID))
			cruise, _ := thread(other, "Cruise commissions", "Supplier words")
			secret, _ := thread(lounge, "Members secret title", "Members-only words")
			thread(staff, "Staff secret title", "Staff-only words")
			thread(under, "Under secret title", "Under-lounge words")

			id := func(n int64) string { return strconv.FormatInt(n, 10) }
			never := []string{"Deleted reply words", "Deleted thread", "secret title", "Members-only words", "Staff-only words", "Under-lounge"}
			mia := webLogin(t, a, "mia@example.org", miaPassword) // a member gets the guests' feed too
			guest := newBrowser(t, base)
			for _, tt := range []struct {
				path    string
				entries []string // titles, newest first
			}{
				{"/latest", []string{"Cruise commissions", "Ferry timetables"}},
				{"/c/" + id(gen.ID) + "/feed", []string{"Ferry timetables"}},
				{"/t/" + id(ferry.ID) + "/feed", []string{"Re: Ferry timetables (#2)", "Ferry timetables"}},
			} {
				for _, format := range []string{".atom", ".rss"} {
					for _, who := range []*browser{guest, mia} {
						what := tt.path + format
						p := who.get(what)
						expect(t, what, p, 200)
						if want := map[string]string{".atom": "application/atom+xml", ".rss": "application/rss+xml"}[format]; !strings.HasPrefix(p.header.Get("Content-Type"), want) {
							t.Errorf("%s: Content-Type %q", what, p.header.Get("Content-Type"))
						}
						for _, s := range never {
							if strings.Contains(p.body, s) {
								t.Errorf("%s shows %q", what, s)
							}
						}
						f, err := gofeed.NewParser().ParseString(p.body)
						if err != nil {
							t.Fatalf("%s: gofeed: %v\n%s", what, err, p.body)
						}
						if want := map[string]string{".atom": "atom", ".rss": "rss"}[format]; f.FeedType != want {
							t.Errorf("%s: feed type %q", what, f.FeedType)
						}
						var titles []string
						for _, it := range f.Items {
							titles = append(titles, it.Title)
							if !strings.HasPrefix(it.Link, base+"/") || it.GUID == "" || it.PublishedParsed == nil || len(it.Authors) == 0 && it.Author == nil {
								t.Errorf("%s: item %+v", what, it)
							}
						}
						if strings.Join(titles, "|") != strings.Join(tt.entries, "|") {
							t.Errorf("%s: titles %q, want %q", what, titles, tt.entries)
						}
						if format == ".atom" {
							checkAtom(t, what, base, p.body)
						}
						if tt.path == "/latest" && format == ".atom" {
							// The first post's HTML, escaped, its site links absolute.
							item := f.Items[1]
							if !strings.Contains(item.Content, `href="`+base+`/p/1"`) || !strings.Contains(item.Content, "&amp; more") || strings.Contains(item.Content, "<b>") {
								t.Errorf("latest content: %q", item.Content)
							}
							if item.GUID != base+"/t/"+id(ferry.ID) {
								t.Errorf("latest entry id %q: want the thread's permanent link", item.GUID)
							}
						}
					}
				}
			}
			for _, path := range []string{
				"/c/" + id(lounge.ID) + "/feed.atom", "/c/" + id(staff.ID) + "/feed.rss", "/c/" + id(under.ID) + "/feed.atom",
				"/t/" + id(secret.ID) + "/feed.atom", "/t/" + id(dead.ID) + "/feed.rss", "/c/999/feed.atom", "/t/x/feed.atom",
			} {
				for _, who := range []*browser{guest, mia} {
					if p := who.get(path); p.status != 404 {
						t.Errorf("%s: %d, want 404", path, p.status)
					}
				}
			}

			// The pages name their feeds; a members-only one has none.
			expect(t, "front page", guest.get("/"), 200, `<link rel="alternate" type="application/atom+xml" title="Latest threads (Atom)" href="`+base+`/latest.atom">`, `href="`+base+`/latest.rss"`)
			expect(t, "category page", guest.get("/c/"+id(gen.ID)+"/"+gen.Slug), 200, `href="`+base+`/c/`+id(gen.ID)+`/feed.atom"`)
			expect(t, "thread page", mia.get("/t/"+id(ferry.ID)+"/"+ferry.Slug), 200, `href="`+base+`/t/`+id(ferry.ID)+`/feed.rss"`)
			if p := mia.get("/c/" + id(lounge.ID) + "/" + lounge.Slug); p.status != 200 || strings.Contains(p.body, "application/atom+xml") {
				t.Errorf("members-only category page: %d, advertises a feed: %v", p.status, strings.Contains(p.body, "application/atom+xml"))
			}

			// Conditional GET, and which feeds a reply renders again.
			conditional := func(path string, header, value string) int {
				req, _ := http.NewRequest("GET", base+path, nil)
				req.Header.Set(header, value)
				return guest.do(req).status
			}
			paths := []string{"/latest.atom", "/c/" + id(gen.ID) + "/feed.atom", "/t/" + id(ferry.ID) + "/feed.rss", "/c/" + id(other.ID) + "/feed.rss", "/t/" + id(cruise.ID) + "/feed.atom"}
			etags, modified := map[string]string{}, map[string]string{}
			for _, path := range paths {
				p := guest.get(path)
				etags[path], modified[path] = p.header.Get("ETag"), p.header.Get("Last-Modified")
				if etags[path] == "" || modified[path] == "" {
					t.Fatalf("%s: ETag %q, Last-Modified %q", path, etags[path], modified[path])
				}
				if st := conditional(path, "If-None-Match", etags[path]); st != 304 {
					t.Errorf("%s If-None-Match: %d, want 304", path, st)
				}
				if st := conditional(path, "If-Modified-Since", modified[path]); st != 304 {
					t.Errorf("%s If-Modified-Since: %d, want 304", path, st)
				}
			}
			reply(ferry, "A fresh reply")
			for _, path := range paths {
				changed := !strings.Contains(path, id(other.ID)) && !strings.Contains(path, id(cruise.ID))
				if path == "/latest.atom" {
					changed = true
				}
				st := conditional(path, "If-None-Match", etags[path])
				switch {
				case changed && strings.HasPrefix(path, "/t/") && st != 200:
					t.Errorf("%s after a reply in it: %d, want 200", path, st)
				case !changed && st != 304:
					t.Errorf("%s after a reply elsewhere: %d, want 304 (rendered again for nothing)", path, st)
				}
				if changed {
					if st := conditional(path, "If-Modified-Since", modified[path]); st != 200 {
						t.Errorf("%s If-Modified-Since after a reply: %d, want 200 (a new rendering)", path, st)
					}
				}
			}
			expect(t, "thread feed after a reply", guest.get("/t/"+id(ferry.ID)+"/feed.atom"), 200, "A fresh reply")

			// An edit of a first post reaches the lists' feeds; a deletion takes it out.
			if _, err := svc.EditPost(ctx, admin, first.ID, "Edited opening words"); err != nil {
				t.Fatal(err)
			}
			expect(t, "latest after an edit", guest.get("/latest.atom"), 200, "Edited opening words")
			expect(t, "category after an edit", guest.get("/c/"+id(gen.ID)+"/feed.rss"), 200, "Edited opening words")
			must(t, svc.DeletePost(ctx, admin, first.ID))
			if p := guest.get("/latest.rss"); strings.Contains(p.body, "Ferry timetables") {
				t.Error("latest feed still lists a deleted thread")
			}
			if st := conditional("/latest.atom", "If-Modified-Since", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)); st != 304 {
				t.Errorf("If-Modified-Since in the future: %d", st)
			}
		})
	}
}
