package web

import (
	"net/http"
	"net/url"

	"hearth/internal/forum"
)

// Password reset: a form for the address, a mailed single-use link, a
// form for the new password. The answers never say whether an address is
// a member's.

func (s *Server) forgotForm(w http.ResponseWriter, r *http.Request) {
	v := s.form(r, "Forgot your password?")
	v.Values["email"] = r.URL.Query().Get("email")
	s.render(w, r, http.StatusOK, "forgot", v)
}

func (s *Server) forgot(w http.ResponseWriter, r *http.Request) {
	v := s.form(r, "Forgot your password?")
	v.Values["email"] = r.PostFormValue("email")
	if !s.cfg.LoginLimit.Allow(s.clientIP(r)) {
		s.formError(w, r, "forgot", v, forum.Errorf(forum.ERATELIMIT, "Too many attempts from your network. Wait a minute and try again."))
		return
	}
	if err := s.svc.RequestPasswordReset(r.Context(), v.Values["email"]); err != nil {
		s.formError(w, r, "forgot", v, err)
		return
	}
	v.Notice = forum.ResetRequestedMessage
	s.render(w, r, http.StatusOK, "forgot", v)
}

func (s *Server) resetForm(w http.ResponseWriter, r *http.Request) {
	v := s.form(r, "Choose a new password")
	token := r.URL.Query().Get("token")
	if _, err := s.svc.CheckResetToken(r.Context(), token); err != nil {
		s.formError(w, r, "reset", v, err)
		return
	}
	v.Values["token"] = token
	s.render(w, r, http.StatusOK, "reset", v)
}

func (s *Server) reset(w http.ResponseWriter, r *http.Request) {
	v := s.form(r, "Choose a new password")
	token := r.PostFormValue("token")
	m, err := s.svc.ResetPassword(r.Context(), token, r.PostFormValue("password"))
	if err == forum.ResetLinkError {
		s.formError(w, r, "reset", v, err) // no token kept: the page offers a new link
		return
	}
	if err != nil {
		v.Values["token"] = token
		s.formError(w, r, "reset", v, err)
		return
	}
	http.Redirect(w, r, "/login?"+url.Values{"reset": {"1"}, "email": {m.Email}}.Encode(), http.StatusSeeOther)
}
