package web

import (
	"net/http"
	"slices"

	"hearth/internal/forum"
)

// Mail settings (/settings/mail) and the one-click unsubscribe links
// every notification and digest carries (RFC 8058).

type mailSettingsView struct {
	formView
	Lists []mailListRow
	Zones []string
	Zone  string
}

type mailListRow struct {
	Name, Label string
	Current     forum.MailFrequency
	Choices     []forum.MailFrequency
}

var freqLabels = map[forum.MailFrequency]string{
	forum.FreqInstant: "Instantly", forum.FreqDaily: "In a daily digest", forum.FreqWeekly: "In a weekly digest", forum.FreqNever: "Never",
}

func (s *Server) mailSettingsView(r *http.Request, p *forum.MailPrefs) mailSettingsView {
	v := mailSettingsView{formView: s.form(r, "Mail settings"), Zone: p.TimeZone, Zones: forum.TimeZones}
	if !slices.Contains(v.Zones, p.TimeZone) {
		v.Zones = append([]string{p.TimeZone}, v.Zones...)
	}
	for _, l := range forum.MailLists {
		row := mailListRow{Name: l.Name, Label: l.Label, Current: p.Of(l.Name),
			Choices: []forum.MailFrequency{forum.FreqInstant, forum.FreqDaily, forum.FreqWeekly, forum.FreqNever}}
		if l.Name == forum.ListDigest {
			row.Choices = row.Choices[1:]
		}
		v.Lists = append(v.Lists, row)
	}
	return v
}

func (s *Server) mailSettings(w http.ResponseWriter, r *http.Request) {
	p, err := s.svc.MailPrefs(r.Context(), actor(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	v := s.mailSettingsView(r, p)
	if r.URL.Query().Get("saved") == "1" {
		v.Notice = "Saved: from now on your mail follows these settings."
	}
	s.render(w, r, http.StatusOK, "mailsettings", v)
}

func (s *Server) saveMailSettings(w http.ResponseWriter, r *http.Request) {
	u := forum.MailPrefsUpdate{Freq: map[string]string{}, TimeZone: r.PostFormValue("tz")}
	for _, l := range forum.MailLists {
		if f := r.PostFormValue(l.Name); f != "" {
			u.Freq[l.Name] = f
		}
	}
	if _, err := s.svc.SetMailPrefs(r.Context(), actor(r), u); err != nil {
		// What was chosen is kept: the page shows the choices sent.
		p := forum.DefaultMailPrefs()
		if cur, cerr := s.svc.MailPrefs(r.Context(), actor(r)); cerr == nil {
			p = *cur
		}
		for l, f := range u.Freq {
			p.Freq[l] = forum.MailFrequency(f)
		}
		if u.TimeZone != "" {
			p.TimeZone = u.TimeZone
		}
		v := s.mailSettingsView(r, &p)
		s.formErrorView(w, r, "mailsettings", &v, &v.formView, err)
		return
	}
	http.Redirect(w, r, "/settings/mail?saved=1", http.StatusSeeOther)
}

type unsubscribeView struct {
	Page
	Token, List, What string
	Done              bool
}

// unsubscribeForm is what a member sees who follows the link in a mail:
// one button, since opening a link (mail scanners do) changes nothing.
func (s *Server) unsubscribeForm(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	list, err := s.svc.UnsubscribeList(r.Context(), token)
	if err != nil {
		s.error(w, r, err)
		return
	}
	v := unsubscribeView{Page: s.page(r, "Unsubscribe"), Token: token, List: list, What: forum.ListLabel(list)}
	v.NoIndex = true
	s.render(w, r, http.StatusOK, "unsubscribe", v)
}

// unsubscribe is RFC 8058's one-click POST: no login, no cookie, no CSRF
// token (the token in the path is the capability; internal/httpmw exempts
// this route from the cross-origin check). It takes effect at once and
// answers 200.
func (s *Server) unsubscribe(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	list, err := s.svc.Unsubscribe(r.Context(), token)
	if err != nil {
		s.error(w, r, err)
		return
	}
	v := unsubscribeView{Page: s.page(r, "Unsubscribed"), List: list, What: forum.ListLabel(list), Done: true}
	v.NoIndex = true
	s.render(w, r, http.StatusOK, "unsubscribe", v)
}
