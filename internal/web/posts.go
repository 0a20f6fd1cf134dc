package web

import (
	"context"
	"net/http"
	"strconv"

	"hearth/internal/forum"
	"hearth/internal/render"
)

// excerpt describes a page by the start of a post's rendered HTML.
func excerpt(html string) string { return render.HTMLExcerpt(html, 160) }

// postForm is the view of the new-thread, reply and edit forms.
type postForm struct {
	formView
	Category *forum.Category
	Thread   *forum.Thread
	Post     *forum.Post
	Action   string
	QuoteID  int64
}

func (s *Server) newThreadForm(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if actor(r) == nil {
		s.error(w, r, forum.Errorf(forum.EUNAUTHORIZED, "Log in to start a thread."))
		return
	}
	c, _, err := s.svc.Category(r.Context(), actor(r), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	v := postForm{formView: s.form(r, "New thread in "+c.Name), Category: c, Action: r.URL.Path}
	s.render(w, r, http.StatusOK, "newthread", v)
}

func (s *Server) newThread(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	c, _, err := s.svc.Category(r.Context(), actor(r), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	v := postForm{formView: s.form(r, "New thread in "+c.Name), Category: c, Action: r.URL.Path}
	v.Values["title"], v.Values["body"] = r.PostFormValue("title"), r.PostFormValue("body")
	t, _, err := s.svc.CreateThread(r.Context(), actor(r), forum.NewThread{CategoryID: id, Title: v.Values["title"], Body: v.Values["body"]})
	if err != nil {
		s.formErrorView(w, r, "newthread", &v, &v.formView, err)
		return
	}
	http.Redirect(w, r, threadURL(t), http.StatusSeeOther)
}

// replyForm is the full-page reply form, used to quote a post (the quote is
// pre-filled so the member can trim it) and when a reply needs fixing.
func (s *Server) replyForm(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	a := actor(r)
	if a == nil {
		s.error(w, r, forum.Errorf(forum.EUNAUTHORIZED, "Log in to reply."))
		return
	}
	tp, err := s.svc.Thread(r.Context(), a, id, 1)
	if err != nil {
		s.error(w, r, err)
		return
	}
	v := postForm{formView: s.form(r, "Reply to "+tp.Thread.Title), Thread: tp.Thread, Action: "/t/" + strconv.FormatInt(id, 10) + "/reply"}
	if q, _ := strconv.ParseInt(r.URL.Query().Get("quote"), 10, 64); q > 0 {
		p, err := s.svc.Post(r.Context(), a, q)
		if err != nil || p.Deleted() {
			s.error(w, r, forum.ErrNotFound)
			return
		}
		v.QuoteID = q
		v.Values["body"] = render.Quote(p.AuthorName, forum.PostURL(p.ID), p.Body)
	}
	s.render(w, r, http.StatusOK, "reply", v)
}

func (s *Server) reply(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	a := actor(r)
	v := postForm{formView: s.form(r, "Reply"), Action: r.URL.Path}
	v.Values["body"] = r.PostFormValue("body")
	v.QuoteID, _ = strconv.ParseInt(r.PostFormValue("quote_post_id"), 10, 64)
	fail := func(err error) {
		if tp, terr := s.svc.Thread(r.Context(), a, id, 1); terr == nil {
			v.Thread = tp.Thread
			v.Title = "Reply to " + tp.Thread.Title
		}
		s.formErrorView(w, r, "reply", &v, &v.formView, err)
	}
	p, err := s.svc.Reply(r.Context(), a, id, v.Values["body"], v.QuoteID)
	if err != nil {
		fail(err)
		return
	}
	s.afterPost(w, r, p.ID)
}

func (s *Server) editPostForm(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	a := actor(r)
	if a == nil {
		s.error(w, r, forum.Errorf(forum.EUNAUTHORIZED, "Log in to edit."))
		return
	}
	p, err := s.svc.Post(r.Context(), a, id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if p.AuthorID != a.ID && !a.IsModerator() {
		s.error(w, r, forum.Errorf(forum.EFORBIDDEN, "You can only edit your own posts."))
		return
	}
	v := postForm{formView: s.form(r, "Edit post"), Post: p, Action: r.URL.Path}
	v.Values["body"] = p.Body
	s.render(w, r, http.StatusOK, "editpost", v)
}

func (s *Server) editPost(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	v := postForm{formView: s.form(r, "Edit post"), Post: &forum.Post{ID: id}, Action: r.URL.Path}
	v.Values["body"] = r.PostFormValue("body")
	if _, err := s.svc.EditPost(r.Context(), actor(r), id, v.Values["body"]); err != nil {
		s.formErrorView(w, r, "editpost", &v, &v.formView, err)
		return
	}
	s.afterPost(w, r, id)
}

func (s *Server) deletePost(w http.ResponseWriter, r *http.Request) {
	s.postAction(w, r, s.svc.DeletePost)
}

func (s *Server) restorePost(w http.ResponseWriter, r *http.Request) {
	s.postAction(w, r, s.svc.RestorePost)
}

// postAction runs a delete or restore and returns to the post.
func (s *Server) postAction(w http.ResponseWriter, r *http.Request, act func(ctx context.Context, a *forum.Member, id int64) error) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if err := act(r.Context(), actor(r), id); err != nil {
		s.error(w, r, err)
		return
	}
	// The post (or its whole thread) may now be hidden from this member.
	u, err := s.postPage(r.Context(), actor(r), id)
	if err != nil {
		u = "/"
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
}

func (s *Server) threadFlags(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	sticky, locked := r.PostFormValue("sticky") == "1", r.PostFormValue("locked") == "1"
	if err := s.svc.SetThreadFlags(r.Context(), actor(r), id, sticky, locked); err != nil {
		s.error(w, r, err)
		return
	}
	http.Redirect(w, r, "/t/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}
