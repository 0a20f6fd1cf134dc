package web

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"hearth/internal/forum"
)

type profileView struct {
	Page
	Member *forum.Member
	IsSelf bool
	Notice string
	// Bounced is why mail to the member stopped (their address bounced),
	// shown to them and to admins with a button to try again; "" if not.
	Bounced string
	// Activity is what they wrote and liked lately, as the reader may
	// read it, and when they were last seen.
	Activity *forum.ProfileActivity
	SeenAgo  string // "3 hours ago"; "" when not shown
	CanHide  bool   // the reader may hide or show the member's last seen
}

func (s *Server) profile(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	m, err := s.svc.Member(r.Context(), actor(r), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	a := actor(r)
	v := profileView{Page: s.page(r, m.Name), Member: m, IsSelf: a != nil && a.ID == m.ID}
	v.Canonical = s.canonical("/m/" + strconv.FormatInt(m.ID, 10))
	if q := r.URL.Query(); v.IsSelf && q.Get("password") == "changed" {
		n, _ := strconv.Atoi(q.Get("ended"))
		v.Notice = passwordChanged(max(n, 0))
	}
	if v.IsSelf || a.IsAdmin() {
		stopped, why, err := s.svc.MailBounced(r.Context(), m.ID)
		if err != nil {
			s.error(w, r, err)
			return
		}
		if stopped {
			v.Bounced = why
		}
		if r.URL.Query().Get("mail") == "resumed" {
			v.Notice = "Mail to your address is turned back on. If it bounces again, it stops again."
		}
	}
	if v.Activity, err = s.svc.Activity(r.Context(), a, m.ID); err != nil {
		s.error(w, r, err)
		return
	}
	if !v.Activity.LastSeen.IsZero() {
		v.SeenAgo = sinceWords(v.Activity.LastSeen, time.Now())
	}
	v.CanHide = v.IsSelf || a.IsAdmin()
	if v.IsSelf && r.URL.Query().Get("seen") != "" {
		v.Notice = "Saved: others see when you were last here."
		if v.Activity.HideLastSeen {
			v.Notice = "Saved: only you and the admins see when you were last here."
		}
	}
	s.render(w, r, http.StatusOK, "profile", v)
}

// setLastSeen is the profile's choice to hide or show "last seen".
func (s *Server) setLastSeen(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		err = s.svc.SetHideLastSeen(r.Context(), actor(r), id, r.PostFormValue("hide") == "1")
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	http.Redirect(w, r, "/m/"+strconv.FormatInt(id, 10)+"?seen=1#lastseen", http.StatusSeeOther)
}

type profileForm struct {
	formView
	Member *forum.Member
}

func (s *Server) editProfileForm(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	a := actor(r)
	if a == nil {
		s.error(w, r, forum.Errorf(forum.EUNAUTHORIZED, "Log in to edit your profile."))
		return
	}
	if a.ID != id && !a.IsAdmin() {
		s.error(w, r, forum.Errorf(forum.EFORBIDDEN, "You can only edit your own profile."))
		return
	}
	m, err := s.svc.Member(r.Context(), a, id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	v := profileForm{formView: s.form(r, "Edit profile"), Member: m}
	v.Values = map[string]string{"name": m.Name, "title": m.Title, "location": m.Location, "bio": m.Bio, "handle": m.Handle}
	s.render(w, r, http.StatusOK, "editprofile", v)
}

func (s *Server) editProfile(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	v := profileForm{formView: s.form(r, "Edit profile"), Member: &forum.Member{ID: id}}
	if m, err := s.svc.Member(r.Context(), actor(r), id); err == nil {
		v.Values["handle"] = m.Handle
	}
	for _, f := range []string{"name", "title", "location", "bio"} {
		v.Values[f] = r.PostFormValue(f)
	}
	_, err = s.svc.UpdateProfile(r.Context(), actor(r), id, forum.ProfileUpdate{
		Name: v.Values["name"], Title: v.Values["title"], Location: v.Values["location"], Bio: v.Values["bio"],
	})
	if err != nil {
		s.formErrorView(w, r, "editprofile", &v, &v.formView, err)
		return
	}
	http.Redirect(w, r, "/m/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	a := actor(r)
	if a == nil || a.ID != id {
		s.error(w, r, forum.Errorf(forum.EFORBIDDEN, "You can only change your own password."))
		return
	}
	v := profileForm{formView: s.form(r, "Edit profile"), Member: a}
	v.Values = map[string]string{"name": a.Name, "title": a.Title, "location": a.Location, "bio": a.Bio, "handle": a.Handle}
	session, _ := r.Context().Value(keySession).(string)
	ended, err := s.svc.ChangePassword(r.Context(), a, session, r.PostFormValue("current"), r.PostFormValue("new"))
	if err != nil {
		if forum.ErrorField(err) == "password" {
			err = forum.FieldError("new", "%s", forum.ErrorMessage(err))
		}
		s.formErrorView(w, r, "editprofile", &v, &v.formView, err)
		return
	}
	http.Redirect(w, r, "/m/"+strconv.FormatInt(id, 10)+"?password=changed&ended="+strconv.Itoa(ended), http.StatusSeeOther)
}

// passwordChanged is the notice after a password change: ended is how many
// other sessions it logged out.
func passwordChanged(ended int) string {
	switch ended {
	case 0:
		return "Password changed. No other device was logged in."
	case 1:
		return "Password changed. You were logged out on 1 other device."
	}
	return fmt.Sprintf("Password changed. You were logged out on %d other devices.", ended)
}

// editHandle changes a member's handle from the profile form.
func (s *Server) editHandle(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	a := actor(r)
	v := profileForm{formView: s.form(r, "Edit profile"), Member: &forum.Member{ID: id}}
	if m, err := s.svc.Member(r.Context(), a, id); err == nil {
		v.Member = m
		v.Values = map[string]string{"name": m.Name, "title": m.Title, "location": m.Location, "bio": m.Bio}
	}
	v.Values["handle"] = r.PostFormValue("handle")
	if _, err := s.svc.SetHandle(r.Context(), a, id, v.Values["handle"]); err != nil {
		s.formErrorView(w, r, "editprofile", &v, &v.formView, err)
		return
	}
	http.Redirect(w, r, "/m/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

// handleRedirect sends /u/{handle}, where mentions link, to the member's
// page: for a former handle too, permanently only for the current one.
func (s *Server) handleRedirect(w http.ResponseWriter, r *http.Request) {
	m, current, err := s.svc.MemberByHandle(r.Context(), actor(r), r.PathValue("handle"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	code := http.StatusMovedPermanently
	if !current {
		code = http.StatusFound // the old handle may go to someone else later
	}
	http.Redirect(w, r, "/m/"+strconv.FormatInt(m.ID, 10), code)
}

// resumeMail turns mail back on after the member's address bounced.
func (s *Server) resumeMail(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		err = s.svc.ResumeMail(r.Context(), actor(r), id)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	http.Redirect(w, r, "/m/"+strconv.FormatInt(id, 10)+"?mail=resumed", http.StatusSeeOther)
}
