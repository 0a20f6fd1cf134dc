package web

import (
	"fmt"
	"net/http"

	"hearth/internal/forum"
)

// Changing the email address: /settings/email asks for the new address
// and the password; the link mailed there opens a page with one button,
// as the confirmation link does, so that mail scanners change nothing.

func (s *Server) emailForm(w http.ResponseWriter, r *http.Request) {
	if actor(r) == nil {
		s.error(w, r, forum.Errorf(forum.EUNAUTHORIZED, "Log in to change your email address."))
		return
	}
	s.render(w, r, http.StatusOK, "emailchange", s.form(r, "Change your email address"))
}

func (s *Server) emailRequest(w http.ResponseWriter, r *http.Request) {
	if actor(r) == nil {
		s.error(w, r, forum.Errorf(forum.EUNAUTHORIZED, "Log in to change your email address."))
		return
	}
	v := s.form(r, "Change your email address")
	next := r.PostFormValue("email")
	v.Values["email"] = next
	if err := s.svc.RequestEmailChange(r.Context(), actor(r), next, r.PostFormValue("password")); err != nil {
		s.formError(w, r, "emailchange", v, err)
		return
	}
	v.Values["email"] = ""
	v.Notice = fmt.Sprintf(forum.EmailChangeSentMessage, next)
	s.render(w, r, http.StatusOK, "emailchange", v)
}

func (s *Server) emailChangeForm(w http.ResponseWriter, r *http.Request) {
	v := s.form(r, "Confirm your new email address")
	v.Values["token"] = r.URL.Query().Get("token")
	s.render(w, r, http.StatusOK, "emailchange", v)
}

func (s *Server) emailChange(w http.ResponseWriter, r *http.Request) {
	v := s.form(r, "Confirm your new email address")
	m, err := s.svc.ChangeEmail(r.Context(), r.PostFormValue("token"))
	if err != nil {
		s.formError(w, r, "emailchange", v, err)
		return
	}
	v.Notice = "Done: your account's address is " + m.Email + " now. We told your old address."
	if a := actor(r); a != nil && a.ID == m.ID {
		a.Email = m.Email // this page's header already
	}
	s.render(w, r, http.StatusOK, "emailchange", v)
}
