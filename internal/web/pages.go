package web

import (
	"context"
	"html/template"
	"net/http"
	"strconv"

	"hearth/internal/forum"
	"hearth/internal/httperr"
)

// pager is the pagination of a list or thread.
type pager struct {
	Base        string
	Page, Pages int
	Label       string // names the navigation landmark; "Pages" if empty
}

// Links returns the page numbers to show: first, last, and two around the
// current page; 0 marks a gap.
func (p pager) Links() []int {
	var out []int
	for n := 1; n <= p.Pages; n++ {
		if n == 1 || n == p.Pages || (n >= p.Page-2 && n <= p.Page+2) {
			out = append(out, n)
		} else if len(out) > 0 && out[len(out)-1] != 0 {
			out = append(out, 0)
		}
	}
	return out
}

// pathID parses the {id} path value; a malformed one is a plain 404.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, forum.ErrNotFound
	}
	return id, nil
}

// pageNum parses ?page=N as the API does (httperr.ParsePage).
func pageNum(r *http.Request) (int, error) { return httperr.ParsePage(r) }

type homeView struct {
	Page
	Categories []*forum.Category
	Unread     map[int64]forum.CategoryUnread // the member's counts by category; nil for guests
	Tabs       tabs
	Intro      template.HTML // the community's introduction, for guests
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	cats, err := s.svc.Categories(r.Context(), actor(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	if len(cats) == 0 {
		if setup, err := s.svc.SetupRequired(r.Context()); err == nil && setup {
			v := s.form(r, "Welcome to Hearth")
			s.render(w, r, http.StatusOK, "welcome", v)
			return
		}
	}
	shows(w, forum.CategoryMembers(cats))
	c := s.community(r)
	v := homeView{Page: s.page(r, "Categories"), Categories: cats, Tabs: tabsFor(c, forum.HomeCategories)}
	if r.URL.Path == "/" {
		v.Title = v.SiteName
	}
	if actor(r) == nil {
		v.Intro = template.HTML(c.IntroHTML) // sanitized by the renderer
	}
	if v.Unread, err = s.svc.CategoriesUnread(r.Context(), actor(r), cats); err != nil {
		s.error(w, r, err)
		return
	}
	v.Canonical = s.canonical(v.Tabs.CategoriesURL)
	v.Description = v.SiteName + ": community forum"
	v.Feed = s.feedLink("Latest threads", "/latest")
	s.render(w, r, http.StatusOK, "home", v)
}

type categoryView struct {
	Page
	*forum.ThreadList
	Pager     pager
	CanPost   bool
	LevelForm *levelForm            // members only
	Unread    map[int64]*unreadMark // the member's markers by thread; nil for guests
}

func (s *Server) category(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	n, err := pageNum(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	list, err := s.svc.Threads(r.Context(), actor(r), id, n)
	if err != nil {
		s.error(w, r, err)
		return
	}
	base := categoryURL(list.Category)
	if r.PathValue("slug") != list.Category.Slug {
		http.Redirect(w, r, pageURL(base, n), http.StatusMovedPermanently)
		return
	}
	v := categoryView{Page: s.page(r, list.Category.Name), ThreadList: list, Pager: pager{base, n, list.Pages, ""}, CanPost: actor(r).CanPost() && !s.writesPaused(actor(r))}
	if n > 1 {
		v.Title += " (page " + strconv.Itoa(n) + ")"
	}
	v.Canonical = s.canonical(pageURL(base, n))
	v.Description = list.Category.Description
	if forum.Public(list.Category, list.Parent) {
		v.Feed = s.feedLink(list.Category.Name, "/c/"+strconv.FormatInt(id, 10)+"/feed")
	}
	if list.Parent != nil {
		v.Crumbs = []Crumb{{list.Parent.Name, categoryURL(list.Parent)}}
	}
	// Sub-categories are listed above the threads on the first page.
	if n == 1 && list.Parent == nil {
		if list.Category.Children, err = s.svc.SubCategories(r.Context(), actor(r), list.Category.ID); err != nil {
			s.error(w, r, err)
			return
		}
	}
	if a := actor(r); a != nil {
		lvl, err := s.svc.CategoryLevel(r.Context(), a, list.Category.ID)
		if err != nil {
			s.error(w, r, err)
			return
		}
		v.LevelForm = &levelForm{Action: "/c/" + strconv.FormatInt(list.Category.ID, 10) + "/level", What: "category", Level: lvl}
	}
	if v.Unread, err = s.unreadMarks(r, list.Threads); err != nil {
		s.error(w, r, err)
		return
	}
	shows(w, list.Members())
	shows(w, forum.CategoryMembers(list.Category.Children))
	s.render(w, r, http.StatusOK, "category", v)
}

type threadView struct {
	Page
	TP          *forum.ThreadPage
	Thread      *forum.Thread // direct fields: the template finds them faster than promoted ones
	Pager       pager
	BottomPager pager // the same pages again below the posts, named apart
	CanReply    bool
	IsMod       bool
	Paused      bool          // read-only mode: no edit, delete, restore or moderation for this reader
	PostsHTML   template.HTML // the posts, rendered by postsHTML
	Reply       formView      // the reply box at the bottom
	LevelHTML   template.HTML // the member's level form (a shell slot)
	LevelForm   levelForm
	Liked       map[int64]bool    // the posts of the page the member likes
	Marks       forum.BookmarkSet // the reader's bookmarks, for the posts' buttons
}

func (s *Server) thread(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	n, err := pageNum(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	a := actor(r)
	tp, err := s.svc.Thread(r.Context(), a, id, n)
	if err != nil {
		if !s.membersOnlyLogin(w, r, id, err) {
			s.error(w, r, err)
		}
		return
	}
	base := threadURL(tp.Thread)
	if r.PathValue("slug") != tp.Thread.Slug {
		http.Redirect(w, r, pageURL(base, n), http.StatusMovedPermanently)
		return
	}
	v := threadView{
		Page: s.page(r, tp.Thread.Title), TP: tp, Thread: tp.Thread,
		Pager: pager{base, n, tp.Pages, ""}, BottomPager: pager{base, n, tp.Pages, "Pages (bottom)"},
		CanReply: a.CanPost() && !tp.Thread.Deleted() && (!tp.Thread.Locked || a.IsModerator()) && !s.writesPaused(a),
		IsMod:    a.IsModerator(),
		Paused:   s.writesPaused(a),
		Reply:    s.replyBox(r, tp.Thread.ID, a.CanPost() && !s.writesPaused(a)),
	}
	if n > 1 {
		v.Title += " (page " + strconv.Itoa(n) + ")"
	}
	v.Canonical = s.canonical(pageURL(base, n))
	if len(tp.Posts) > 0 && n == 1 && a == nil { // for search engines, which come as guests
		v.Description = excerpt(tp.Posts[0].HTML)
	}
	if tp.Parent != nil {
		v.Crumbs = append(v.Crumbs, Crumb{tp.Parent.Name, categoryURL(tp.Parent)})
	}
	v.Crumbs = append(v.Crumbs, Crumb{tp.Category.Name, categoryURL(tp.Category)})
	if forum.Public(tp.Category, tp.Parent) && !tp.Thread.Deleted() {
		v.Feed = s.feedLink(tp.Thread.Title, "/t/"+strconv.FormatInt(id, 10)+"/feed")
	}
	if a != nil {
		lvl, err := s.svc.ThreadLevel(r.Context(), a, tp.Thread.ID)
		if err != nil {
			s.error(w, r, err)
			return
		}
		v.LevelForm = levelForm{Action: "/t/" + strconv.FormatInt(tp.Thread.ID, 10) + "/level", What: "thread", Level: lvl}
		if v.Liked, err = s.svc.LikedPosts(r.Context(), a, tp); err != nil {
			s.error(w, r, err)
			return
		}
		if v.Marks, err = s.svc.BookmarkedPosts(r.Context(), a); err != nil {
			s.error(w, r, err)
			return
		}
		if len(tp.Posts) > 0 { // buffered: the page view writes nothing itself
			s.svc.Viewed(a, tp.Thread.ID, tp.Posts[len(tp.Posts)-1].Position)
		}
		s.memberThread(w, r, &v)
		return
	}
	shows(w, tp.Members())
	if v.PostsHTML, err = s.postsHTML(&v); err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "thread", v)
}

// postRedirect sends /p/{id} to the page and anchor of the post.
func (s *Server) postRedirect(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	u, err := s.postPage(r.Context(), actor(r), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	http.Redirect(w, r, u, http.StatusFound)
}

// postPage returns the thread page and anchor of post id, where a form
// about a post sends the member: one redirect, rather than one to /p/{id}
// that redirects again.
func (s *Server) postPage(ctx context.Context, a *forum.Member, id int64) (string, error) {
	t, page, err := s.svc.PostLocation(ctx, a, id)
	if err != nil {
		return "", err
	}
	return pageURL(threadURL(t), page) + "#p" + strconv.FormatInt(id, 10), nil
}

// afterPost sends the member to post id's page and anchor. The post is
// saved already, so should finding its page fail, its permanent link
// still gets them there.
func (s *Server) afterPost(w http.ResponseWriter, r *http.Request, id int64) {
	u, err := s.postPage(r.Context(), actor(r), id)
	if err != nil {
		u = forum.PostURL(id)
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
}
