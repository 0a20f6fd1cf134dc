package api

import (
	"net/http"

	"hearth/internal/forum"
)

// requestReset mails a password reset link; the same answer for any
// address.
func (a *API) requestReset(w http.ResponseWriter, r *http.Request, _ caller) {
	var in struct {
		Email string `json:"email"`
	}
	if err := decode(w, r, &in); err != nil {
		a.error(w, r, err)
		return
	}
	if !a.cfg.LoginLimit.Allow(a.cfg.ClientIP(r)) {
		a.error(w, r, forum.Errorf(forum.ERATELIMIT, "Too many attempts from your network. Wait a minute and try again."))
		return
	}
	if err := a.svc.RequestPasswordReset(r.Context(), in.Email); err != nil {
		a.error(w, r, err)
		return
	}
	a.json(w, http.StatusAccepted, map[string]string{"message": forum.ResetRequestedMessage})
}

// useReset sets a new password with the token from the mailed link.
func (a *API) useReset(w http.ResponseWriter, r *http.Request, _ caller) {
	var in struct {
		Token    string `json:"token"`
		Password string `json:"password"`
	}
	if err := decode(w, r, &in); err != nil {
		a.error(w, r, err)
		return
	}
	if _, err := a.svc.ResetPassword(r.Context(), in.Token, in.Password); err != nil {
		a.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
