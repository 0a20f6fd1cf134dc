package web

import (
	"fmt"
	"net/http"

	"hearth/internal/forum"
)

// Email confirmation: the link mailed at registration opens a page with
// one button (a GET changes nothing, so mail scanners that open links do
// not confirm for the member); "send the link again" for a member who
// lost it.

func (s *Server) confirmForm(w http.ResponseWriter, r *http.Request) {
	v := s.form(r, "Confirm your email address")
	v.Values["token"] = r.URL.Query().Get("token")
	s.render(w, r, http.StatusOK, "confirm", v)
}

func (s *Server) confirm(w http.ResponseWriter, r *http.Request) {
	v := s.form(r, "Confirm your email address")
	m, err := s.svc.ConfirmEmail(r.Context(), r.PostFormValue("token"))
	if err != nil {
		s.formError(w, r, "confirm", v, err)
		return
	}
	v.Notice = "Thank you: your address " + m.Email + " is confirmed, and you can post."
	if a := actor(r); a != nil && a.ID == m.ID {
		a.Unconfirmed = false           // this page's header already
		s.renderWelcome(w, r, v.Notice) // what to do next, now that they can
		return
	}
	s.render(w, r, http.StatusOK, "confirm", v)
}

func (s *Server) resendConfirm(w http.ResponseWriter, r *http.Request) {
	v := s.form(r, "Confirm your email address")
	a := actor(r)
	if err := s.svc.ResendConfirmation(r.Context(), a); err != nil {
		s.formError(w, r, "confirm", v, err)
		return
	}
	v.Notice = fmt.Sprintf(forum.ConfirmSentMessage, a.Email)
	s.render(w, r, http.StatusOK, "confirm", v)
}
