package api

import (
	"fmt"
	"net/http"

	"hearth/internal/forum"
)

// resendConfirmation mails the caller a new confirmation link.
func (a *API) resendConfirmation(w http.ResponseWriter, r *http.Request, c caller) {
	if err := a.svc.ResendConfirmation(r.Context(), c.member); err != nil {
		a.error(w, r, err)
		return
	}
	a.json(w, http.StatusAccepted, map[string]string{"message": fmt.Sprintf(forum.ConfirmSentMessage, c.member.Email)})
}

// useConfirmation confirms an address with the token from the mailed link.
func (a *API) useConfirmation(w http.ResponseWriter, r *http.Request, _ caller) {
	var in struct {
		Token string `json:"token"`
	}
	if err := decode(w, r, &in); err != nil {
		a.error(w, r, err)
		return
	}
	if _, err := a.svc.ConfirmEmail(r.Context(), in.Token); err != nil {
		a.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// mailPrefsJSON is a member's mail preferences: a frequency per list
// (instant, daily, weekly, never) and the time zone.
type mailPrefsJSON struct {
	Lists        map[string]string `json:"lists"`
	TimeZone     string            `json:"time_zone"`
	BroadcastOff bool              `json:"broadcast_off"`
}

func prefsOut(p *forum.MailPrefs) mailPrefsJSON {
	out := mailPrefsJSON{Lists: map[string]string{}, TimeZone: p.TimeZone, BroadcastOff: p.BroadcastOff}
	for _, l := range forum.MailLists {
		out.Lists[l.Name] = string(p.Of(l.Name))
	}
	return out
}

func (a *API) mailPrefs(w http.ResponseWriter, r *http.Request, c caller) {
	p, err := a.svc.MailPrefs(r.Context(), c.member)
	if err != nil {
		a.error(w, r, err)
		return
	}
	a.json(w, http.StatusOK, prefsOut(p))
}

// setMailPrefs changes the lists named and the time zone, if given.
func (a *API) setMailPrefs(w http.ResponseWriter, r *http.Request, c caller) {
	var in struct {
		Lists    map[string]string `json:"lists"`
		TimeZone string            `json:"time_zone"`
	}
	if err := decode(w, r, &in); err != nil {
		a.error(w, r, err)
		return
	}
	p, err := a.svc.SetMailPrefs(r.Context(), c.member, forum.MailPrefsUpdate{Freq: in.Lists, TimeZone: in.TimeZone})
	if err != nil {
		a.error(w, r, err)
		return
	}
	a.json(w, http.StatusOK, prefsOut(p))
}
