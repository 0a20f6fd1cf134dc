package web

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"hearth/internal/broadcast"
	"hearth/internal/forum"
	"hearth/internal/status"
)

// The status page's part of the pages: the banner members see after an
// incident, and the admin page's section to open, update and resolve
// incidents, set components and turn an incident into a thread. The admin
// section needs a login, which needs the database; while it is down,
// `hearth status …` from the shell is the way (the README says so).

// bannerHours is how long after an incident's last change its banner shows.
const bannerHours = 24

// statusSeenCookie holds the incident banner a member dismissed.
const statusSeenCookie = "hearth_status_seen"

// incidentBanner is the banner's view.
type incidentBanner struct {
	Key     string // incident and latest update: a new update shows the banner again
	ID      int64
	Open    bool
	State   string
	Title   string
	Summary string
	Back    string // the page to return to after dismissing
}

// incidentBanner returns the banner of the latest incident (or maintenance
// in progress) if it is open or changed in the last bannerHours, and the
// reader has not dismissed this version of it.
func (s *Server) incidentBanner(r *http.Request) *incidentBanner {
	if s.cfg.StatusPage == nil {
		return nil
	}
	p := s.cfg.StatusPage.Get()
	var latest *status.Incident
	for i := range p.Incidents {
		inc := &p.Incidents[i]
		if inc.Kind == status.KindMaintenance && inc.State != status.InProgress && inc.State != status.Completed {
			continue // scheduled: the status page announces it, the banner is for what is happening
		}
		if latest == nil || inc.UpdatedAt.After(latest.UpdatedAt) {
			latest = inc
		}
	}
	if latest == nil || !latest.Open() && time.Since(latest.UpdatedAt) > bannerHours*time.Hour {
		return nil
	}
	u := latest.Latest()
	key := strconv.FormatInt(latest.ID, 10) + "." + strconv.FormatInt(u.ID, 10)
	if c, err := r.Cookie(statusSeenCookie); err == nil && c.Value == key {
		return nil
	}
	summary := u.Text
	if utf8.RuneCountInString(summary) > 200 {
		summary = string([]rune(summary)[:199]) + "…"
	}
	return &incidentBanner{Key: key, ID: latest.ID, Open: latest.Open(), State: u.State.Label(), Title: latest.Title, Summary: summary, Back: r.URL.RequestURI()}
}

// bannerKey is what of the incident banner a cached page depends on.
func (b *incidentBanner) cacheKey() string {
	if b == nil {
		return ""
	}
	return "\x00i" + b.Key
}

// dismissStatus hides the incident banner until the incident changes.
func (s *Server) dismissStatus(w http.ResponseWriter, r *http.Request) {
	key := r.PostFormValue("key")
	if a, b, ok := strings.Cut(key, "."); !ok || !digits(a) || !digits(b) {
		s.error(w, r, forum.Errorf(forum.EINVALID, "This banner cannot be dismissed: reload the page and try again."))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: statusSeenCookie, Value: key, Path: "/", MaxAge: bannerHours * 3600,
		HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
	back := r.PostFormValue("back")
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") || strings.HasPrefix(back, "/\\") {
		back = "/"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

func digits(s string) bool {
	if s == "" || len(s) > 18 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// statusAdmin is the admin page's status section.
type statusAdmin struct {
	Page    status.Page
	Open    []status.Incident
	Discuss []status.Incident // open, or closed in the last 14 days: a thread may be made of them
	States  []status.ComponentStatus
	Impacts []string

	IncidentStates, MaintenanceStates []status.IncidentState
	Error, BroadcastError             string
	Values                            map[string]string // what was typed, kept when a form is refused
	FormFor                           int64             // the incident whose update form failed (0: the open form)
	Categories                        []*forum.Category
	CanBroadcast                      bool
	Broadcasts                        []broadcast.Progress
}

// Broadcaster sends a broadcast to every member on the roster and lists
// the broadcasts (internal/app).
type Broadcaster interface {
	Start(subject, body string) (id string, err error)
	List() []broadcast.Progress
}

// adminBroadcast mails every member on the roster: the same as `hearth
// broadcast`, which is the way while the database is down (logging in
// here needs it).
func (s *Server) adminBroadcast(w http.ResponseWriter, r *http.Request) {
	if !s.requireStatusPage(w, r) {
		return
	}
	if s.cfg.Broadcasts == nil {
		s.error(w, r, forum.Errorf(forum.EINVALID, "Broadcasts are not available on this server."))
		return
	}
	subject, body := strings.TrimSpace(r.PostFormValue("subject")), strings.TrimSpace(r.PostFormValue("body"))
	var err error
	switch {
	case subject == "" || body == "":
		err = forum.Errorf(forum.EINVALID, "A broadcast needs a subject and a message.")
	case r.PostFormValue("confirm") != "yes":
		err = forum.Errorf(forum.EINVALID, "Tick the box to confirm that every member should get this mail.")
	default:
		_, err = s.cfg.Broadcasts.Start(subject, body)
	}
	if err == nil {
		http.Redirect(w, r, "/admin#broadcast", http.StatusSeeOther)
		return
	}
	msg := err.Error()
	if fe, ok := errors.AsType[*forum.Error](err); ok {
		msg = fe.Message
	}
	s.adminPage(w, r, http.StatusUnprocessableEntity, func(v *adminView) {
		if v.StatusPage == nil {
			return
		}
		v.StatusPage.BroadcastError = msg
		v.StatusPage.Values["subject"], v.StatusPage.Values["body"] = subject, body
	})
}

func (s *Server) statusAdminView() *statusAdmin {
	if s.cfg.StatusPage == nil {
		return nil
	}
	v := &statusAdmin{Page: s.cfg.StatusPage.Get(), Values: map[string]string{}, CanBroadcast: s.cfg.Broadcasts != nil,
		States:            []status.ComponentStatus{status.Operational, status.Degraded, status.PartialOutage, status.MajorOutage, status.UnderMaintenance},
		Impacts:           []string{"minor", "major", "critical", "none"},
		IncidentStates:    []status.IncidentState{status.Investigating, status.Identified, status.Monitoring, status.Resolved},
		MaintenanceStates: []status.IncidentState{status.Scheduled, status.InProgress, status.Completed}}
	for _, i := range v.Page.Incidents {
		if i.Open() {
			v.Open = append(v.Open, i)
		}
		if i.Open() || time.Since(i.ResolvedAt) < 14*24*time.Hour {
			v.Discuss = append(v.Discuss, i)
		}
	}
	if s.cfg.Broadcasts != nil {
		v.Broadcasts = s.cfg.Broadcasts.List()
	}
	return v
}

// requireStatusPage is requireAdmin for the status page's forms.
func (s *Server) requireStatusPage(w http.ResponseWriter, r *http.Request) bool {
	if !s.requireAdmin(w, r) {
		return false
	}
	if s.cfg.StatusPage == nil {
		s.error(w, r, forum.Errorf(forum.EINVALID, "The status page is not available on this server."))
		return false
	}
	return true
}

// statusDone answers a status form: back to the admin page's section, or
// the page again with the refusal and what was typed.
func (s *Server) statusDone(w http.ResponseWriter, r *http.Request, formFor int64, fields []string, err error) {
	if err == nil {
		if s.cfg.StatusChanged != nil {
			s.cfg.StatusChanged()
		}
		http.Redirect(w, r, doneURL("/admin#flash", "saved"), http.StatusSeeOther)
		return
	}
	te, ok := err.(*status.TextError)
	if !ok {
		s.statusError(w, r, "The status page was not changed", err)
		return
	}
	s.adminPage(w, r, http.StatusUnprocessableEntity, func(v *adminView) {
		if v.StatusPage == nil {
			return
		}
		v.StatusPage.Error = strings.ToUpper(te.Error()[:1]) + te.Error()[1:] + "."
		v.StatusPage.FormFor = formFor
		for _, f := range fields {
			v.StatusPage.Values[f] = r.PostFormValue(f)
		}
	})
}

func (s *Server) adminOpenIncident(w http.ResponseWriter, r *http.Request) {
	if !s.requireStatusPage(w, r) {
		return
	}
	r.ParseForm()
	impact, err := status.ParseImpact(r.PostFormValue("impact"))
	if err == nil {
		_, err = s.cfg.StatusPage.Open(status.NewIncident{Title: r.PostFormValue("title"), Impact: impact,
			Components: r.PostForm["component"], Text: r.PostFormValue("text")})
	}
	s.statusDone(w, r, 0, []string{"title", "impact", "text"}, err)
}

func (s *Server) adminUpdateIncident(w http.ResponseWriter, r *http.Request) {
	if !s.requireStatusPage(w, r) {
		return
	}
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	var st status.IncidentState
	if v := r.PostFormValue("state"); v != "" {
		st, err = status.ParseState(v)
	}
	if err == nil {
		_, err = s.cfg.StatusPage.Post(id, st, r.PostFormValue("text"))
	}
	s.statusDone(w, r, id, []string{"state", "text"}, err)
}

func (s *Server) adminSetComponent(w http.ResponseWriter, r *http.Request) {
	if !s.requireStatusPage(w, r) {
		return
	}
	st, err := status.ParseComponentStatus(r.PostFormValue("status"))
	if err == nil {
		err = s.cfg.StatusPage.SetComponent(r.PathValue("id"), st, false)
	}
	s.statusDone(w, r, 0, nil, err)
}

// adminIncidentThread turns an incident into a forum thread: its updates,
// oldest first, as the first post in the category the admin chose, where
// members can comment.
func (s *Server) adminIncidentThread(w http.ResponseWriter, r *http.Request) {
	if !s.requireStatusPage(w, r) {
		return
	}
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	p := s.cfg.StatusPage.Get()
	inc, ok := p.Incident(id)
	if !ok {
		s.error(w, r, forum.ErrNotFound)
		return
	}
	if inc.ThreadID != 0 {
		s.error(w, r, forum.Errorf(forum.ECONFLICT, "Incident %d already has a thread: /t/%d.", id, inc.ThreadID))
		return
	}
	cat, _ := strconv.ParseInt(r.PostFormValue("category"), 10, 64)
	th, _, err := s.svc.CreateThread(r.Context(), actor(r), forum.NewThread{CategoryID: cat, Title: incidentThreadTitle(inc), Body: s.incidentPost(inc)})
	if err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.cfg.StatusPage.SetThread(id, th.ID); err != nil {
		s.log.Warn("the incident's thread was made but not recorded on the status page", "incident", id, "thread", th.ID, "err", err)
	}
	http.Redirect(w, r, threadURL(th), http.StatusSeeOther)
}

func incidentThreadTitle(inc *status.Incident) string {
	prefix := "Incident: "
	if inc.Kind == status.KindMaintenance {
		prefix = "Maintenance: "
	}
	return prefix + inc.Title
}

// incidentPost is the thread's first post: the incident's story in
// markdown, each update under its state and time, oldest first.
func (s *Server) incidentPost(inc *status.Incident) string {
	var b strings.Builder
	if inc.Kind == status.KindMaintenance {
		fmt.Fprintf(&b, "Planned maintenance from %s to %s.", inc.StartsAt.UTC().Format("2 Jan 2006 15:04"), inc.EndsAt.UTC().Format("2 Jan 2006 15:04 UTC"))
	} else {
		fmt.Fprintf(&b, "Impact: %s.", inc.Impact)
	}
	if len(inc.Components) > 0 {
		fmt.Fprintf(&b, " Affected: %s.", strings.Join(inc.Components, ", "))
	}
	b.WriteString("\n\n")
	ups := slices.Clone(inc.Updates)
	slices.Reverse(ups)
	for _, u := range ups {
		fmt.Fprintf(&b, "**%s** · %s\n\n%s\n\n", u.State.Label(), u.At.UTC().Format("2 Jan 2006 15:04 UTC"), u.Text)
	}
	fmt.Fprintf(&b, "The status page: %s/status#incident-%d", strings.TrimRight(s.cfg.BaseURL, "/"), inc.ID)
	return b.String()
}
