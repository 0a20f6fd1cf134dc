package web

import (
	"net/http"
	"strconv"

	"hearth/internal/forum"
)

type adminMailView struct {
	Page
	*forum.MailOverview
	Notice string
}

// adminMailLatest is how many of the newest mails the page lists.
const adminMailLatest = 50

// adminMail is the outbox at a glance: counts, age of the oldest pending
// mail, the last errors and the newest mails, with retry for failed ones.
func (s *Server) adminMail(w http.ResponseWriter, r *http.Request) {
	if !s.requireAdmin(w, r) {
		return
	}
	o, err := s.svc.MailOverview(r.Context(), actor(r), adminMailLatest)
	if err != nil {
		s.error(w, r, err)
		return
	}
	v := adminMailView{Page: s.page(r, "Mail"), MailOverview: o}
	v.NoIndex = true
	v.Crumbs = []Crumb{{Name: "Administration", URL: "/admin"}}
	if id := r.URL.Query().Get("retried"); id != "" {
		v.Notice = "Mail " + id + " is queued again; the mail worker sends it within seconds."
	}
	s.render(w, r, http.StatusOK, "adminmail", v)
}

func (s *Server) adminMailRetry(w http.ResponseWriter, r *http.Request) {
	if !s.requireAdmin(w, r) {
		return
	}
	id, err := pathID(r)
	if err == nil {
		err = s.svc.RetryMail(r.Context(), actor(r), id)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/mail?retried="+strconv.FormatInt(id, 10), http.StatusSeeOther)
}
