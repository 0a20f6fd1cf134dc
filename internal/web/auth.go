package web

import (
	"html/template"
	"net/http"
	"net/url"
	"path"
	"strings"
	"unicode"

	"hearth/internal/forum"
)

// formView is a form page: what was typed is kept, and the error (if any)
// is shown next to its field.
type formView struct {
	Page
	Error  string
	Field  string
	Values map[string]string
	Next   string
	Token  string
	Notice string // what the last step did, shown above the form

	// Post forms: Draft is the draft's key ("t:1", "c:2") where drafts
	// are kept, with DraftNote saying what became of it; Preview is the
	// rendered post after "Preview"; Submit names the post button.
	Draft     string
	DraftNote string
	Preview   template.HTML
	Submit    string
}

func (s *Server) form(r *http.Request, title string) formView {
	v := formView{Page: s.page(r, title), Values: map[string]string{}}
	v.NoIndex = true
	return v
}

// formError re-renders a form with err shown and the input kept.
func (s *Server) formError(w http.ResponseWriter, r *http.Request, name string, v formView, err error) {
	s.formErrorView(w, r, name, &v, &v, err)
}

// formErrorView re-renders view (which embeds fv) with err shown next to
// its field and the input kept. Errors that are not about the input become
// the error page.
func (s *Server) formErrorView(w http.ResponseWriter, r *http.Request, name string, view any, fv *formView, err error) {
	code := forum.ErrorCode(err)
	if r.Context().Err() != nil {
		s.error(w, r, err) // the member gave up: nobody reads a form now
		return
	}
	switch code {
	case forum.EINVALID, forum.EUNAUTHORIZED, forum.ECONFLICT, forum.ERATELIMIT, forum.EFORBIDDEN, forum.EREADONLY:
	case forum.EUNAVAILABLE: // the database failed under this very request: keep the text in its form
		err = forum.Errorf(forum.EUNAVAILABLE, "The forum's database did not answer, so nothing was saved. What you typed is kept below: send it again in a minute.")
	default:
		s.error(w, r, err)
		return
	}
	fv.Error, fv.Field = forum.ErrorMessage(err), forum.ErrorField(err)
	if code == forum.ERATELIMIT || code == forum.EREADONLY || code == forum.EUNAVAILABLE {
		w.Header().Set("Retry-After", "60")
	}
	s.render(w, r, httpStatus(code), name, view)
}

func (s *Server) setupForm(w http.ResponseWriter, r *http.Request) {
	v := s.form(r, "Set up your forum")
	v.Token = r.URL.Query().Get("token")
	if err := s.svc.CheckSetupToken(r.Context(), v.Token); err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "setup", v)
}

func (s *Server) setup(w http.ResponseWriter, r *http.Request) {
	v := s.form(r, "Set up your forum")
	v.Token = r.PostFormValue("token")
	v.Values["email"], v.Values["name"], v.Values["handle"] = r.PostFormValue("email"), r.PostFormValue("name"), r.PostFormValue("handle")
	if !s.cfg.RegisterLimit.Allow(s.clientIP(r)) {
		s.formError(w, r, "setup", v, forum.Errorf(forum.ERATELIMIT, "Too many attempts. Wait a few minutes and try again."))
		return
	}
	m, err := s.svc.Setup(r.Context(), v.Token, forum.NewMember{
		Email: v.Values["email"], Name: v.Values["name"], Handle: v.Values["handle"], Password: r.PostFormValue("password"),
	})
	if err != nil {
		s.formError(w, r, "setup", v, err)
		return
	}
	s.startSession(w, r, m, "/admin")
}

func (s *Server) startSession(w http.ResponseWriter, r *http.Request, m *forum.Member, next string) {
	token, err := s.svc.StartSession(r.Context(), m, "web")
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.setSession(w, token)
	if m.Status == forum.StatusPending {
		next = "/pending"
	}
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	v := s.form(r, "Log in")
	q := r.URL.Query()
	v.Next = safeNext(q.Get("next"))
	v.Values["email"] = q.Get("email")
	switch {
	case q.Get("registered") == "1":
		v.Notice = forum.RegisteredMessage
	case q.Get("reset") == "1":
		v.Notice = "Your new password is saved, and every device was logged out. Log in with it."
	}
	s.render(w, r, http.StatusOK, "login", v)
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	v := s.form(r, "Log in")
	v.Next = safeNext(r.PostFormValue("next"))
	v.Values["email"] = r.PostFormValue("email")
	if !s.cfg.LoginLimit.Allow(s.clientIP(r)) {
		s.formError(w, r, "login", v, forum.Errorf(forum.ERATELIMIT, "Too many login attempts. Wait a minute and try again."))
		return
	}
	m, err := s.svc.Authenticate(r.Context(), v.Values["email"], r.PostFormValue("password"))
	if err != nil {
		s.formError(w, r, "login", v, err)
		return
	}
	s.startSession(w, r, m, v.Next)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if token, _ := r.Context().Value(keySession).(string); token != "" {
		if err := s.svc.EndSession(r.Context(), token); err != nil {
			s.error(w, r, err)
			return
		}
	}
	s.clearSession(w)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) registerForm(w http.ResponseWriter, r *http.Request) {
	v := s.form(r, "Join")
	if n := safeNext(r.URL.Query().Get("next")); n != "/" {
		v.Next = n
	}
	if setup, err := s.svc.SetupRequired(r.Context()); err == nil && setup {
		v.Error = "This forum is not set up yet: its admin must first open the setup link."
	}
	s.render(w, r, http.StatusOK, "register", v)
}

func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	v := s.form(r, "Join")
	if n := safeNext(r.PostFormValue("next")); n != "/" {
		v.Next = n
	}
	v.Values["email"], v.Values["name"], v.Values["handle"] = r.PostFormValue("email"), r.PostFormValue("name"), r.PostFormValue("handle")
	v.Values["digest"], v.Values["tz"] = r.PostFormValue("digest"), r.PostFormValue("tz")
	if !s.cfg.RegisterLimit.Allow(s.clientIP(r)) {
		s.formError(w, r, "register", v, forum.Errorf(forum.ERATELIMIT, "Too many registrations from your network. Wait a few minutes and try again."))
		return
	}
	err := s.svc.Register(r.Context(), forum.NewMember{
		Email: v.Values["email"], Name: v.Values["name"], Handle: v.Values["handle"], Password: r.PostFormValue("password"),
		Digest: v.Values["digest"] != "", TimeZone: v.Values["tz"],
	})
	if err != nil {
		s.formError(w, r, "register", v, err)
		return
	}
	// The same answer whether the address was free or taken: no session,
	// the login form with the email filled in.
	// After logging in, the welcome page, which links back to where they were.
	welcome := "/welcome"
	if v.Next != "" {
		welcome += "?" + url.Values{"next": {v.Next}}.Encode()
	}
	q := url.Values{"registered": {"1"}, "email": {strings.TrimSpace(v.Values["email"])}, "next": {welcome}}
	http.Redirect(w, r, "/login?"+q.Encode(), http.StatusSeeOther)
}

func (s *Server) pending(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "pending", s.form(r, "Awaiting approval"))
}

// maxNext bounds a post-login target: the forum's own URLs are short.
const maxNext = 2048

// safeNext returns next as a path on this site, cleaned the way the
// redirect will clean it, or "/" when it is anything else. The check is
// made on the cleaned path: "/./\evil.example" passes a check of the raw
// text and becomes "/\evil.example", another host to a browser, after.
func safeNext(next string) string {
	if next == "" || len(next) > maxNext || strings.ContainsFunc(next, unsafeInURL) {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(u.Path, "/") || strings.ContainsFunc(u.Path, unsafeInURL) {
		return "/"
	}
	p := path.Clean(u.Path)
	if strings.HasSuffix(u.Path, "/") && p != "/" {
		p += "/"
	}
	// Rebuilt from the cleaned path and the query only: the output is
	// escaped by net/url, so nothing in it decodes to a second slash later.
	out := (&url.URL{Path: p, RawQuery: u.RawQuery}).String()
	if !strings.HasPrefix(out, "/") || strings.HasPrefix(out, "//") {
		return "/"
	}
	return out
}

// unsafeInURL reports what has no place in a target of ours: a backslash,
// which browsers read as a slash, and whitespace or control characters,
// which browsers drop ("/\t/evil.example" is "//evil.example" to them).
func unsafeInURL(r rune) bool {
	return r == '\\' || r <= ' ' || r == 0x7f || unicode.IsSpace(r) || unicode.IsControl(r)
}

// loginNext is where the header's "Log in" link brings a guest back to:
// the page they are on, unless it is a page about logging in itself.
func loginNext(r *http.Request) string {
	if actor(r) != nil || r.Method != http.MethodGet {
		return ""
	}
	switch r.URL.Path {
	case "/", "/login", "/register", "/logout", "/forgot", "/reset", "/setup", "/pending", "/welcome":
		return ""
	}
	if n := safeNext(r.URL.RequestURI()); n != "/" {
		return n
	}
	return ""
}
