package web

import (
	"context"
	"net/http"
	"strconv"

	"hearth/internal/forum"
)

type notificationsView struct {
	Page
	Groups []*forum.NotificationGroup
}

// notifications lists the member's notifications, grouped, unread first
// in bold, with a button to mark each read and one for all.
func (s *Server) notifications(w http.ResponseWriter, r *http.Request) {
	a := actor(r)
	if a == nil {
		http.Redirect(w, r, "/login?next=/notifications", http.StatusSeeOther)
		return
	}
	gs, err := s.svc.Notifications(r.Context(), a)
	if err != nil {
		s.error(w, r, err)
		return
	}
	v := notificationsView{Page: s.page(r, "Notifications"), Groups: gs}
	v.NoIndex = true
	s.render(w, r, http.StatusOK, "notifications", v)
}

func (s *Server) markNotificationRead(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.svc.MarkNotificationRead(r.Context(), actor(r), id); err != nil {
		s.error(w, r, err)
		return
	}
	http.Redirect(w, r, "/notifications", http.StatusSeeOther)
}

func (s *Server) markAllNotificationsRead(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.MarkAllNotificationsRead(r.Context(), actor(r)); err != nil {
		s.error(w, r, err)
		return
	}
	http.Redirect(w, r, "/notifications", http.StatusSeeOther)
}

// likePost likes a post (undo=1: takes the like back) and returns to it.
func (s *Server) likePost(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	act := s.svc.Like
	if r.PostFormValue("undo") == "1" {
		act = s.svc.Unlike
	}
	if err := act(r.Context(), actor(r), id); err != nil {
		s.error(w, r, err)
		return
	}
	s.afterPost(w, r, id)
}

// threadLevel and categoryLevel save the member's notification level.
func (s *Server) threadLevel(w http.ResponseWriter, r *http.Request) {
	s.saveLevel(w, r, s.svc.SetThreadLevel, "/t/")
}

func (s *Server) categoryLevel(w http.ResponseWriter, r *http.Request) {
	s.saveLevel(w, r, s.svc.SetCategoryLevel, "/c/")
}

func (s *Server) saveLevel(w http.ResponseWriter, r *http.Request, set func(ctx context.Context, a *forum.Member, id int64, l forum.Level) error, back string) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	l, err := forum.ParseLevel(r.PostFormValue("level"))
	if err == nil {
		err = set(r.Context(), actor(r), id, l)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	http.Redirect(w, r, back+strconv.FormatInt(id, 10), http.StatusSeeOther)
}
