package web

import (
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"hearth/internal/forum"
)

// The front page is the latest threads across categories or the
// categories, as the admin chooses (forum.Community.Home); the other list
// is one tap away, at /categories or /latest.

// tabs are the two lists' links above each of them.
type tabs struct {
	Current                  string // forum.HomeLatest or forum.HomeCategories
	LatestURL, CategoriesURL string
}

func (s *Server) community(r *http.Request) forum.Community {
	if s.cfg.DBDown != nil && s.cfg.DBDown() {
		c, _ := s.svc.CachedCommunity()
		return c
	}
	c, _ := s.svc.Community(r.Context()) // the defaults if it fails: the page goes on
	return c
}

// siteName is the community's name: the admin's, else the configured one.
func (s *Server) siteName(r *http.Request) string {
	if n := s.community(r).Name; n != "" {
		return n
	}
	return s.cfg.SiteName
}

// knownSiteName is siteName where no request is at hand (a feed): the
// admin's name if it is in memory, else the configured one.
func (s *Server) knownSiteName() string {
	if c, ok := s.svc.CachedCommunity(); ok && c.Name != "" {
		return c.Name
	}
	return s.cfg.SiteName
}

func tabsFor(c forum.Community, current string) tabs {
	if c.HomeIsCategories() {
		return tabs{current, "/latest", "/"}
	}
	return tabs{current, "/", "/categories"}
}

// front is GET /: the list the admin chose.
func (s *Server) front(w http.ResponseWriter, r *http.Request) {
	if s.community(r).HomeIsCategories() {
		s.home(w, r)
		return
	}
	s.latest(w, r)
}

// homeVersion is the version of the front page: the version of the list
// it is. The choice is a setting, whose change moves every version.
func (s *Server) homeVersion(r *http.Request) (func() forum.Version, bool) {
	if s.community(r).HomeIsCategories() {
		return s.frontVersion(r)
	}
	return s.latestVersion(r)
}

func (s *Server) latestVersion(*http.Request) (func() forum.Version, bool) {
	return s.svc.Changes().LatestVersion, true
}

type latestView struct {
	Page
	Threads []*forum.Thread
	Unread  map[int64]*unreadMark // the member's markers by thread; nil for guests
	Tabs    tabs
	Intro   template.HTML // the community's introduction, for guests on the first page
	Newer   string        // the newest page's URL, on the pages after it
	Older   string        // the next page's URL; "" on the last
	// Categories are listed when there is no thread yet, to start one in.
	Categories []*forum.Category
}

// latest is the latest threads of every category the reader may read,
// newest activity first, a page at a time by cursor (?before=).
func (s *Server) latest(w http.ResponseWriter, r *http.Request) {
	before, err := forum.ParseLatestCursor(r.URL.Query().Get("before"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	a := actor(r)
	list, err := s.svc.Latest(r.Context(), a, before)
	if err != nil {
		s.error(w, r, err)
		return
	}
	c := s.community(r)
	var cats []*forum.Category // no thread yet: the categories to start one in
	if list.First && len(list.Threads) == 0 {
		if setup, err := s.svc.SetupRequired(r.Context()); err == nil && setup {
			v := s.form(r, "Welcome to Hearth")
			s.render(w, r, http.StatusOK, "welcome", v)
			return
		}
		if cats, err = s.svc.Categories(r.Context(), a); err != nil {
			s.error(w, r, err)
			return
		}
	}
	base := r.URL.Path // "/" or "/latest"
	v := latestView{Page: s.page(r, "Latest"), Threads: list.Threads, Tabs: tabsFor(c, forum.HomeLatest), Categories: cats}
	if base == "/" {
		v.Title = v.SiteName
	}
	if list.First {
		v.Canonical = s.canonical(v.Tabs.LatestURL)
		v.Description = v.SiteName + ": the latest threads"
		if a == nil {
			v.Intro = template.HTML(c.IntroHTML) // sanitized by the renderer
		}
	} else {
		v.NoIndex = true // a cursor's page moves with every reply
		v.Newer = base
	}
	if !list.Next.IsZero() {
		v.Older = base + "?before=" + list.Next.String()
	}
	v.Feed = s.feedLink("Latest threads", "/latest")
	if v.Unread, err = s.unreadMarks(r, list.Threads); err != nil {
		s.error(w, r, err)
		return
	}
	ids := make([]int64, 0, len(list.Threads))
	for _, t := range list.Threads {
		ids = append(ids, t.LastPosterID) // the rows show no author
	}
	shows(w, ids)
	s.render(w, r, http.StatusOK, "latest", v)
}

// threadRow is the view of the "threadrow" template: a thread on a list.
type threadRow struct {
	T        *forum.Thread
	U        *unreadMark
	Clock    clock
	Category bool // show the thread's category (lists across categories)
}

func rowOfThread(t *forum.Thread, marks map[int64]*unreadMark, c clock, category bool) threadRow {
	return threadRow{T: t, U: marks[t.ID], Clock: c, Category: category}
}

// catLink is a thread's category's URL, on lists across categories.
func catLink(t *forum.Thread) string {
	return "/c/" + strconv.FormatInt(t.CategoryID, 10) + "/" + t.CategorySlug
}

// initials are the avatar placeholder's letters: the first of the name's
// first and last words, "?" for a name with no letters.
func initials(name string) string {
	var out []rune
	words := strings.Fields(name)
	for i, w := range words {
		if i != 0 && i != len(words)-1 {
			continue
		}
		for _, r := range w {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				out = append(out, unicode.ToUpper(r))
				break
			}
		}
	}
	if len(out) == 0 {
		return "?"
	}
	return string(out)
}
