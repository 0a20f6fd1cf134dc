package api

import "net/http"

// markThreadRead records, at once, that the member has read a thread up
// to a position (clamped to its last post; never moving back). Reading a
// thread through GET does not move the position: a client says what its
// reader saw.
func (a *API) markThreadRead(w http.ResponseWriter, r *http.Request, c caller) {
	id, err := pathID(r)
	if err != nil {
		a.error(w, r, err)
		return
	}
	var in struct {
		Position int `json:"position"`
	}
	if err := decode(w, r, &in); err != nil {
		a.error(w, r, err)
		return
	}
	u, err := a.svc.MarkThreadRead(r.Context(), c.member, id, in.Position)
	if err != nil {
		a.error(w, r, err)
		return
	}
	a.json(w, http.StatusOK, map[string]any{"thread_id": id, "last_read_position": u.LastReadPosition, "unread": u.Unread, "new": u.New})
}

// markCategoryRead marks a category and its sub-categories read.
func (a *API) markCategoryRead(w http.ResponseWriter, r *http.Request, c caller) {
	id, err := pathID(r)
	if err != nil {
		a.error(w, r, err)
		return
	}
	if err := a.svc.MarkCategoryRead(r.Context(), c.member, id); err != nil {
		a.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// markAllRead marks everything read.
func (a *API) markEverythingRead(w http.ResponseWriter, r *http.Request, c caller) {
	if err := a.svc.MarkAllRead(r.Context(), c.member); err != nil {
		a.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
