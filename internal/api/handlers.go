package api

import (
	"context"
	"net/http"

	"hearth/internal/forum"
)

// Handlers check who is calling before they read the body: guests are
// refused by the route table (member routes), members who may not act by
// the service's May* checks, so a refusal never depends on what was sent.

func (a *API) createSession(w http.ResponseWriter, r *http.Request, _ caller) {
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := decode(w, r, &in); err != nil {
		a.error(w, r, err)
		return
	}
	if !a.cfg.LoginLimit.Allow(a.cfg.ClientIP(r)) {
		a.error(w, r, forum.Errorf(forum.ERATELIMIT, "Too many login attempts. Wait a minute and try again."))
		return
	}
	m, err := a.svc.Authenticate(r.Context(), in.Email, in.Password)
	if err != nil {
		a.error(w, r, err)
		return
	}
	token, err := a.svc.StartSession(r.Context(), m, "api")
	if err != nil {
		a.error(w, r, err)
		return
	}
	a.json(w, http.StatusCreated, map[string]any{"token": token, "member": toMember(m, m)})
}

// deleteSession revokes the very token that authenticated the request.
func (a *API) deleteSession(w http.ResponseWriter, r *http.Request, c caller) {
	if err := a.svc.EndSession(r.Context(), c.token); err != nil {
		a.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) register(w http.ResponseWriter, r *http.Request, _ caller) {
	var in struct {
		Email    string `json:"email"`
		Name     string `json:"name"`
		Handle   string `json:"handle"`
		Password string `json:"password"`
		Digest   bool   `json:"digest"`    // the weekly digest
		TimeZone string `json:"time_zone"` // IANA name; default UTC
	}
	if err := decode(w, r, &in); err != nil {
		a.error(w, r, err)
		return
	}
	if !a.cfg.RegisterLimit.Allow(a.cfg.ClientIP(r)) {
		a.error(w, r, forum.Errorf(forum.ERATELIMIT, "Too many registrations from your network. Wait a few minutes and try again."))
		return
	}
	if err := a.svc.Register(r.Context(), forum.NewMember{Email: in.Email, Name: in.Name, Handle: in.Handle, Password: in.Password,
		Digest: in.Digest, TimeZone: in.TimeZone}); err != nil {
		a.error(w, r, err)
		return
	}
	// The same answer whether the address was free or taken: no member
	// data, no token; the client logs in with POST /api/v1/sessions.
	a.json(w, http.StatusAccepted, map[string]string{"message": forum.RegisteredMessage})
}

func (a *API) me(w http.ResponseWriter, r *http.Request, c caller) {
	a.json(w, http.StatusOK, toMember(c.member, c.member))
}

func (a *API) member(w http.ResponseWriter, r *http.Request, c caller) {
	id, err := pathID(r)
	if err != nil {
		a.error(w, r, err)
		return
	}
	m, err := a.svc.Member(r.Context(), c.member, id)
	if err != nil {
		a.error(w, r, err)
		return
	}
	a.json(w, http.StatusOK, toMember(m, c.member))
}

func (a *API) categories(w http.ResponseWriter, r *http.Request, c caller) {
	cats, err := a.svc.Categories(r.Context(), c.member)
	if err != nil {
		a.error(w, r, err)
		return
	}
	out := make([]categoryJSON, 0, len(cats))
	for _, c := range cats {
		out = append(out, toCategory(c))
	}
	a.json(w, http.StatusOK, map[string]any{"categories": out})
}

func (a *API) createCategory(w http.ResponseWriter, r *http.Request, c caller) {
	if err := forum.MayCreateCategory(c.member); err != nil {
		a.error(w, r, err)
		return
	}
	var in struct {
		Name        string `json:"name"`
		Description string `json:"description"`
		ParentID    int64  `json:"parent_id"`
		MembersOnly bool   `json:"members_only"`
		StaffOnly   bool   `json:"staff_only"`
	}
	if err := decode(w, r, &in); err != nil {
		a.error(w, r, err)
		return
	}
	cat, err := a.svc.CreateCategory(r.Context(), c.member, forum.CategoryInput(in))
	if err != nil {
		a.error(w, r, err)
		return
	}
	a.json(w, http.StatusCreated, toCategory(cat))
}

func (a *API) threads(w http.ResponseWriter, r *http.Request, c caller) {
	id, err := pathID(r)
	if err != nil {
		a.error(w, r, err)
		return
	}
	n, err := pageNum(r)
	if err != nil {
		a.error(w, r, err)
		return
	}
	list, err := a.svc.Threads(r.Context(), c.member, id, n)
	if err != nil {
		a.error(w, r, err)
		return
	}
	us, err := a.svc.ThreadsUnread(r.Context(), c.member, list.Threads) // one query for the page
	if err != nil {
		a.error(w, r, err)
		return
	}
	out := make([]threadJSON, 0, len(list.Threads))
	for _, t := range list.Threads {
		j := toThread(t)
		j.withUnread(us)
		out = append(out, j)
	}
	a.json(w, http.StatusOK, map[string]any{
		"category": toCategory(list.Category), "threads": out,
		"page": list.Page, "pages": list.Pages, "total": list.Total,
	})
}

func (a *API) createThread(w http.ResponseWriter, r *http.Request, c caller) {
	if err := a.svc.MayPost(c.member); err != nil {
		a.error(w, r, err)
		return
	}
	var in struct {
		CategoryID int64  `json:"category_id"`
		Title      string `json:"title"`
		Body       string `json:"body"`
	}
	if err := decode(w, r, &in); err != nil {
		a.error(w, r, err)
		return
	}
	t, p, err := a.svc.CreateThread(r.Context(), c.member, forum.NewThread(in))
	if err != nil {
		a.error(w, r, err)
		return
	}
	j := toThread(t)
	a.json(w, http.StatusCreated, map[string]any{"id": t.ID, "url": j.URL, "post_id": p.ID})
}

func (a *API) thread(w http.ResponseWriter, r *http.Request, c caller) {
	id, err := pathID(r)
	if err != nil {
		a.error(w, r, err)
		return
	}
	n, err := pageNum(r)
	if err != nil {
		a.error(w, r, err)
		return
	}
	tp, err := a.svc.Thread(r.Context(), c.member, id, n)
	if err != nil {
		a.error(w, r, err)
		return
	}
	us, err := a.svc.ThreadsUnread(r.Context(), c.member, []*forum.Thread{tp.Thread})
	if err != nil {
		a.error(w, r, err)
		return
	}
	j := toThread(tp.Thread)
	j.withUnread(us)
	j.Page, j.Pages = tp.Page, tp.Pages
	j.Posts = make([]postJSON, 0, len(tp.Posts))
	for _, p := range tp.Posts {
		j.Posts = append(j.Posts, toPost(p))
	}
	a.json(w, http.StatusOK, j)
}

// updateThread pins or locks a thread; a field left out or null keeps its
// value.
func (a *API) updateThread(w http.ResponseWriter, r *http.Request, c caller) {
	id, err := pathID(r)
	if err != nil {
		a.error(w, r, err)
		return
	}
	if err := a.svc.MayPinOrLock(c.member); err != nil {
		a.error(w, r, err)
		return
	}
	var in struct {
		Sticky *bool `json:"sticky"`
		Locked *bool `json:"locked"`
	}
	if err := decode(w, r, &in); err != nil {
		a.error(w, r, err)
		return
	}
	tp, err := a.svc.Thread(r.Context(), c.member, id, 1)
	if err != nil {
		a.error(w, r, err)
		return
	}
	t := tp.Thread
	if in.Sticky != nil {
		t.Sticky = *in.Sticky
	}
	if in.Locked != nil {
		t.Locked = *in.Locked
	}
	if err := a.svc.SetThreadFlags(r.Context(), c.member, id, t.Sticky, t.Locked); err != nil {
		a.error(w, r, err)
		return
	}
	a.json(w, http.StatusOK, toThread(t))
}

func (a *API) reply(w http.ResponseWriter, r *http.Request, c caller) {
	id, err := pathID(r)
	if err != nil {
		a.error(w, r, err)
		return
	}
	if err := a.svc.MayPost(c.member); err != nil {
		a.error(w, r, err)
		return
	}
	var in struct {
		Body        string `json:"body"`
		QuotePostID int64  `json:"quote_post_id"`
	}
	if err := decode(w, r, &in); err != nil {
		a.error(w, r, err)
		return
	}
	p, err := a.svc.Reply(r.Context(), c.member, id, in.Body, in.QuotePostID)
	if err != nil {
		a.error(w, r, err)
		return
	}
	a.json(w, http.StatusCreated, map[string]any{"id": p.ID, "position": p.Position, "url": forum.PostURL(p.ID)})
}

func (a *API) post(w http.ResponseWriter, r *http.Request, c caller) {
	id, err := pathID(r)
	if err != nil {
		a.error(w, r, err)
		return
	}
	p, err := a.svc.Post(r.Context(), c.member, id)
	if err != nil {
		a.error(w, r, err)
		return
	}
	a.json(w, http.StatusOK, toPost(p))
}

func (a *API) editPost(w http.ResponseWriter, r *http.Request, c caller) {
	id, err := pathID(r)
	if err != nil {
		a.error(w, r, err)
		return
	}
	if err := a.svc.MayPost(c.member); err != nil {
		a.error(w, r, err)
		return
	}
	var in struct {
		Body string `json:"body"`
	}
	if err := decode(w, r, &in); err != nil {
		a.error(w, r, err)
		return
	}
	p, err := a.svc.EditPost(r.Context(), c.member, id, in.Body)
	if err != nil {
		a.error(w, r, err)
		return
	}
	a.json(w, http.StatusOK, toPost(p))
}

func (a *API) deletePost(w http.ResponseWriter, r *http.Request, c caller) {
	a.postAction(w, r, c, a.svc.DeletePost)
}

func (a *API) restorePost(w http.ResponseWriter, r *http.Request, c caller) {
	a.postAction(w, r, c, a.svc.RestorePost)
}

func (a *API) postAction(w http.ResponseWriter, r *http.Request, c caller, act func(ctx context.Context, a *forum.Member, id int64) error) {
	id, err := pathID(r)
	if err != nil {
		a.error(w, r, err)
		return
	}
	if err := act(r.Context(), c.member, id); err != nil {
		a.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
