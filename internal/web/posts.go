package web

import (
	"net/http"
	"strconv"
	"time"

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
	v := s.newThreadView(r, c)
	s.restoreDraft(r, &v.formView)
	s.render(w, r, http.StatusOK, "newthread", v)
}

func (s *Server) newThreadView(r *http.Request, c *forum.Category) postForm {
	v := postForm{formView: s.form(r, "New thread in "+c.Name), Category: c, Action: "/c/" + strconv.FormatInt(c.ID, 10) + "/new"}
	v.Submit, v.Draft = "Post thread", forum.DraftKeyCategory(c.ID)
	return v
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
	v := s.newThreadView(r, c)
	v.Values["title"], v.Values["body"] = r.PostFormValue("title"), r.PostFormValue("body")
	if s.previewOrDraft(w, r, "newthread", &v, &v.formView) {
		return
	}
	t, _, err := s.svc.CreateThread(r.Context(), actor(r), forum.NewThread{CategoryID: id, Title: v.Values["title"], Body: v.Values["body"]})
	if err != nil {
		s.formErrorView(w, r, "newthread", &v, &v.formView, err)
		return
	}
	s.dropDraft(r, v.Draft)
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
	v.Submit, v.Draft = "Post reply", forum.DraftKeyThread(id)
	s.restoreDraft(r, &v.formView)
	if q, _ := strconv.ParseInt(r.URL.Query().Get("quote"), 10, 64); q > 0 {
		p, err := s.svc.Post(r.Context(), a, q)
		if err != nil || p.Deleted() {
			s.error(w, r, forum.ErrNotFound)
			return
		}
		v.QuoteID = q
		quote := render.Quote(p.AuthorName, forum.PostURL(p.ID), p.Body)
		if d := v.Values["body"]; d != "" { // the draft stays, the quote goes below it
			quote = d + "\n\n" + quote
		}
		v.Values["body"] = quote
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
	v := postForm{formView: s.form(r, "Reply"), Action: "/t/" + strconv.FormatInt(id, 10) + "/reply"}
	v.Submit, v.Draft = "Post reply", forum.DraftKeyThread(id)
	v.Values["body"] = r.PostFormValue("body")
	v.QuoteID, _ = strconv.ParseInt(r.PostFormValue("quote_post_id"), 10, 64)
	withThread := func() {
		if tp, terr := s.svc.Thread(r.Context(), a, id, 1); terr == nil {
			v.Thread = tp.Thread
			v.Title = "Reply to " + tp.Thread.Title
		}
	}
	if r.PostFormValue("action") != "" {
		withThread()
		if s.previewOrDraft(w, r, "reply", &v, &v.formView) {
			return
		}
	}
	p, err := s.svc.Reply(r.Context(), a, id, v.Values["body"], v.QuoteID)
	if err != nil {
		withThread()
		s.formErrorView(w, r, "reply", &v, &v.formView, err)
		return
	}
	s.dropDraft(r, v.Draft)
	s.afterPost(w, r, p.ID)
}

func (s *Server) editPostForm(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	p, ok := s.ownPostForForm(w, r, id, "edit")
	if !ok {
		return
	}
	v := postForm{formView: s.form(r, "Edit post"), Post: p, Action: r.URL.Path}
	v.Submit = "Save changes"
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
	v.Submit = "Save changes"
	v.Values["body"] = r.PostFormValue("body")
	if s.previewOrDraft(w, r, "editpost", &v, &v.formView) {
		return
	}
	if _, err := s.svc.EditPost(r.Context(), actor(r), id, v.Values["body"]); err != nil {
		s.formErrorView(w, r, "editpost", &v, &v.formView, err)
		return
	}
	s.afterPost(w, r, id)
}

// ownPostForForm loads post id for the edit or delete form of its author
// or a moderator, answering the request itself when it may not.
func (s *Server) ownPostForForm(w http.ResponseWriter, r *http.Request, id int64, verb string) (*forum.Post, bool) {
	a := actor(r)
	if a == nil {
		s.error(w, r, forum.Errorf(forum.EUNAUTHORIZED, "Log in to %s posts.", verb))
		return nil, false
	}
	p, err := s.svc.Post(r.Context(), a, id)
	if err != nil {
		s.error(w, r, err)
		return nil, false
	}
	if p.AuthorID != a.ID && !a.IsModerator() {
		s.error(w, r, forum.Errorf(forum.EFORBIDDEN, "You can only %s your own posts.", verb))
		return nil, false
	}
	return p, true
}

// deletePostView is the page asking before a post is deleted.
type deletePostView struct {
	Page
	Post        *forum.Post
	Thread      *forum.Thread
	Excerpt     string
	IsAuthor    bool
	UndoMinutes int
}

// deletePostForm asks first: a plain page with the post's excerpt, Delete
// and Cancel, so no script is needed for a second thought.
func (s *Server) deletePostForm(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	p, ok := s.ownPostForForm(w, r, id, "delete")
	if !ok {
		return
	}
	a := actor(r)
	if p.Deleted() {
		s.afterPost(w, r, id)
		return
	}
	v := deletePostView{Page: s.page(r, "Delete this post?"), Post: p, Excerpt: excerpt(p.HTML),
		IsAuthor: p.AuthorID == a.ID, UndoMinutes: int(forum.UndoWindow / time.Minute)}
	v.NoIndex = true
	if t, _, err := s.svc.PostLocation(r.Context(), a, id); err == nil {
		v.Thread = t
	}
	s.render(w, r, http.StatusOK, "deletepost", v)
}

// deletePost deletes and lands on the post's place, with "Post deleted"
// and Undo; after a first post, whose thread is now gone for the author,
// on the front page with the same.
func (s *Server) deletePost(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.svc.DeletePost(r.Context(), actor(r), id); err != nil {
		s.error(w, r, err)
		return
	}
	post := strconv.FormatInt(id, 10)
	u, err := s.postPage(r.Context(), actor(r), id)
	if err != nil {
		http.Redirect(w, r, doneURL("/", "thread-deleted", "post", post), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, doneURL(u, "deleted", "post", post), http.StatusSeeOther)
}

func (s *Server) restorePost(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.svc.RestorePost(r.Context(), actor(r), id); err != nil {
		s.error(w, r, err)
		return
	}
	u, err := s.postPage(r.Context(), actor(r), id)
	if err != nil {
		u = "/"
	}
	http.Redirect(w, r, doneURL(u, "restored"), http.StatusSeeOther)
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
