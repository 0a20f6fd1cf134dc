package web

import (
	"net/http"
	"strings"

	"hearth/internal/forum"
)

// welcomeView is the new member's page: what to do next.
type welcomeView struct {
	Page
	Notice      string
	Next        string // where they were before joining, if anywhere
	Pending     bool
	ProfileDone bool
	Guide       *forum.Category // the guidelines, or the first category
	Intro       *forum.Category // where to introduce oneself
}

// welcome is /welcome, where a member lands after registering and logging
// in, and after confirming their address.
func (s *Server) welcome(w http.ResponseWriter, r *http.Request) {
	s.renderWelcome(w, r, "")
}

func (s *Server) renderWelcome(w http.ResponseWriter, r *http.Request, notice string) {
	a := actor(r)
	if a == nil {
		s.error(w, r, forum.Errorf(forum.EUNAUTHORIZED, "Log in to see what to do next."))
		return
	}
	v := welcomeView{Page: s.page(r, "Welcome"), Notice: notice, Pending: a.Status == forum.StatusPending,
		ProfileDone: a.Title != "" || a.Location != "" || a.Bio != ""}
	v.NoIndex = true
	if n := safeNext(r.URL.Query().Get("next")); n != "/" && !strings.HasPrefix(n, "/welcome") {
		v.Next = n
	}
	cats, err := s.svc.Categories(r.Context(), a)
	if err != nil {
		s.error(w, r, err)
		return
	}
	v.Guide, v.Intro = welcomeCategories(cats)
	s.render(w, r, http.StatusOK, "newmember", v)
}

// welcomeCategories picks, by name, the category of guidelines (else the
// first one) and the one to introduce oneself in (none if there is none
// such: a first post anywhere is not what the step means).
func welcomeCategories(cats []*forum.Category) (guide, intro *forum.Category) {
	var all []*forum.Category
	for _, c := range cats {
		all = append(all, c)
		all = append(all, c.Children...)
	}
	for _, c := range all {
		n := strings.ToLower(c.Name)
		if guide == nil && (strings.Contains(n, "guideline") || strings.Contains(n, "rules") || strings.Contains(n, "start here") || strings.Contains(n, "about")) {
			guide = c
		}
		if intro == nil && (strings.Contains(n, "introduc") || strings.Contains(n, "welcome") || strings.Contains(n, "hello")) {
			intro = c
		}
	}
	if guide == nil && len(cats) > 0 {
		guide = cats[0]
	}
	return guide, intro
}

// membersOnlyLogin answers a guest's "not found" for a thread that is
// members-only with the login form, which brings them back to it
// (forum.Service.ThreadNeedsLogin says what this reveals). It reports
// whether it answered.
func (s *Server) membersOnlyLogin(w http.ResponseWriter, r *http.Request, id int64, err error) bool {
	if actor(r) != nil || forum.ErrorCode(err) != forum.ENOTFOUND || !s.svc.ThreadNeedsLogin(r.Context(), id) {
		return false
	}
	v := s.form(r, "Log in")
	v.Next = safeNext(r.URL.RequestURI())
	v.Notice = "Log in to read this thread: it is for members only."
	s.render(w, r, http.StatusUnauthorized, "login", v)
	return true
}
