package api

import (
	"context"
	"net/http"

	"hearth/internal/forum"
)

// Likes, notification levels and notifications.

func (a *API) likePost(w http.ResponseWriter, r *http.Request, c caller) {
	a.postAction(w, r, c, a.svc.Like)
}

func (a *API) unlikePost(w http.ResponseWriter, r *http.Request, c caller) {
	a.postAction(w, r, c, a.svc.Unlike)
}

// memberLikes lists the posts a member liked that the caller may see.
func (a *API) memberLikes(w http.ResponseWriter, r *http.Request, c caller) {
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
	ps, err := a.svc.MemberLikes(r.Context(), c.member, id, n)
	if err != nil {
		a.error(w, r, err)
		return
	}
	out := make([]postJSON, 0, len(ps))
	for _, p := range ps {
		out = append(out, toPost(p))
	}
	a.json(w, http.StatusOK, map[string]any{"posts": out, "page": n})
}

func (a *API) threadLevel(w http.ResponseWriter, r *http.Request, c caller) {
	a.level(w, r, c, a.svc.SetThreadLevel)
}

func (a *API) categoryLevel(w http.ResponseWriter, r *http.Request, c caller) {
	a.level(w, r, c, a.svc.SetCategoryLevel)
}

// level sets the caller's level from {"level": "watching"|"tracking"|"normal"|"muted"|"default"}.
func (a *API) level(w http.ResponseWriter, r *http.Request, c caller, set func(context.Context, *forum.Member, int64, forum.Level) error) {
	id, err := pathID(r)
	if err != nil {
		a.error(w, r, err)
		return
	}
	var in struct {
		Level string `json:"level"`
	}
	if err := decode(w, r, &in); err != nil {
		a.error(w, r, err)
		return
	}
	l, err := forum.ParseLevel(in.Level)
	if err == nil {
		err = set(r.Context(), c.member, id, l)
	}
	if err != nil {
		a.error(w, r, err)
		return
	}
	a.json(w, http.StatusOK, map[string]string{"level": l.String()})
}

// notifications returns the caller's notifications, grouped, and the
// bell's count.
func (a *API) notifications(w http.ResponseWriter, r *http.Request, c caller) {
	gs, err := a.svc.Notifications(r.Context(), c.member)
	if err != nil {
		a.error(w, r, err)
		return
	}
	unread := 0
	out := make([]notificationJSON, 0, len(gs))
	for _, g := range gs {
		if g.Unread {
			unread++
		}
		out = append(out, toNotification(g))
	}
	a.json(w, http.StatusOK, map[string]any{"notifications": out, "unread": unread})
}

func (a *API) markRead(w http.ResponseWriter, r *http.Request, c caller) {
	a.postAction(w, r, c, a.svc.MarkNotificationRead)
}

func (a *API) markAllRead(w http.ResponseWriter, r *http.Request, c caller) {
	if err := a.svc.MarkAllNotificationsRead(r.Context(), c.member); err != nil {
		a.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
