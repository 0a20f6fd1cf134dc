package web

import (
	"net/http"

	"hearth/internal/forum"
)

type communityView struct {
	formView
	Default string // the configured name, used when the field is empty
}

// communityForm is the admin's page for the community's name, front page
// and introduction (forum.Community).
func (s *Server) communityForm(w http.ResponseWriter, r *http.Request) {
	if !s.requireAdmin(w, r) {
		return
	}
	c, err := s.svc.Community(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	v := communityView{formView: s.form(r, "Community"), Default: s.cfg.SiteName}
	v.Values["name"], v.Values["home"], v.Values["intro"] = c.Name, c.Home, c.Intro
	if r.URL.Query().Get("saved") == "1" {
		v.Notice = "Saved."
	}
	s.render(w, r, http.StatusOK, "community", v)
}

func (s *Server) saveCommunity(w http.ResponseWriter, r *http.Request) {
	if !s.requireAdmin(w, r) {
		return
	}
	in := forum.Community{Name: r.PostFormValue("name"), Home: r.PostFormValue("home"), Intro: r.PostFormValue("intro")}
	if _, err := s.svc.SetCommunity(r.Context(), actor(r), in); err != nil {
		v := communityView{formView: s.form(r, "Community"), Default: s.cfg.SiteName}
		v.Values["name"], v.Values["home"], v.Values["intro"] = in.Name, in.Home, in.Intro
		s.formErrorView(w, r, "community", &v, &v.formView, err)
		return
	}
	http.Redirect(w, r, "/admin/community?saved=1", http.StatusSeeOther)
}
