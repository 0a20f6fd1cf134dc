package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"hearth/internal/forum"
	"hearth/internal/status"
)

type adminView struct {
	Page
	Status          status.State
	RequireApproval bool
	Pending         []*forum.Member
	Members         []*forum.Member
	Categories      []*forum.Category
	StatusPage      *statusAdmin // nil without a status page
	Notice          string       // what the last member action did, e.g. a reset link sent
}

// requireAdmin answers non-admins and reports whether to go on.
func (s *Server) requireAdmin(w http.ResponseWriter, r *http.Request) bool {
	a := actor(r)
	if a == nil {
		s.error(w, r, forum.Errorf(forum.EUNAUTHORIZED, "Log in as an admin."))
		return false
	}
	if !a.IsAdmin() {
		s.error(w, r, forum.Errorf(forum.EFORBIDDEN, "Only admins can see this page."))
		return false
	}
	return true
}

func (s *Server) admin(w http.ResponseWriter, r *http.Request) {
	s.adminPage(w, r, http.StatusOK, nil)
}

// adminPage renders the admin page; edit, if set, fills in a refused
// form's message and values.
func (s *Server) adminPage(w http.ResponseWriter, r *http.Request, code int, edit func(*adminView)) {
	if !s.requireAdmin(w, r) {
		return
	}
	ctx, a := r.Context(), actor(r)
	v := adminView{Page: s.page(r, "Administration"), Status: s.status(), StatusPage: s.statusAdminView()}
	v.NoIndex = true
	var err error
	if v.RequireApproval, err = s.svc.RequireApproval(ctx); err != nil {
		s.error(w, r, err)
		return
	}
	if v.Pending, err = s.svc.Members(ctx, a, forum.StatusPending); err != nil {
		s.error(w, r, err)
		return
	}
	if v.Members, err = s.svc.Members(ctx, a, ""); err != nil {
		s.error(w, r, err)
		return
	}
	if v.Categories, err = s.svc.Categories(ctx, a); err != nil {
		s.error(w, r, err)
		return
	}
	if id, err := strconv.ParseInt(r.URL.Query().Get("reset"), 10, 64); err == nil {
		for _, m := range v.Members {
			if m.ID == id {
				v.Notice = fmt.Sprintf("A link to choose a new password is on its way to %s <%s>. It works for an hour.", m.Name, m.Email)
			}
		}
	}
	if edit != nil {
		edit(&v)
	}
	s.render(w, r, code, "admin", v)
}

func (s *Server) adminSettings(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.SetRequireApproval(r.Context(), actor(r), r.PostFormValue("require_approval") == "1"); err != nil {
		s.error(w, r, err)
		return
	}
	http.Redirect(w, r, doneURL("/admin#flash", "saved"), http.StatusSeeOther)
}

func (s *Server) adminMemberStatus(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	from, to := forum.MemberStatus(r.PostFormValue("from")), forum.MemberStatus(r.PostFormValue("status"))
	if err == nil {
		err = s.svc.SetMemberStatus(r.Context(), actor(r), id, from, to)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	done, back := "status", "/admin#flash"
	if from == forum.StatusPending {
		done, back = "approved", "/admin#flash"
		if to != forum.StatusActive {
			done = "rejected"
		}
	}
	http.Redirect(w, r, doneURL(back, done, "m", strconv.FormatInt(id, 10)), http.StatusSeeOther)
}

func (s *Server) adminMemberRole(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		err = s.svc.SetMemberRole(r.Context(), actor(r), id, forum.Role(r.PostFormValue("role")))
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	http.Redirect(w, r, doneURL("/admin#flash", "role", "m", strconv.FormatInt(id, 10)), http.StatusSeeOther)
}

// adminMemberReset mails a member a link to choose a new password.
func (s *Server) adminMemberReset(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		_, err = s.svc.SendPasswordReset(r.Context(), actor(r), id)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin?reset="+strconv.FormatInt(id, 10)+"#members", http.StatusSeeOther)
}

type categoryForm struct {
	formView
	ID      int64
	Parents []*forum.Category
}

// categoryForm shows the form to create (no id) or edit a category.
func (s *Server) categoryForm(w http.ResponseWriter, r *http.Request) {
	if !s.requireAdmin(w, r) {
		return
	}
	v, err := s.categoryFormView(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if v.ID != 0 {
		c, _, err := s.svc.Category(r.Context(), actor(r), v.ID)
		if err != nil {
			s.error(w, r, err)
			return
		}
		v.Values["name"], v.Values["description"] = c.Name, c.Description
		v.Values["parent_id"] = strconv.FormatInt(c.ParentID, 10)
		switch {
		case c.StaffOnly:
			v.Values["visibility"] = "staff"
		case c.MembersOnly:
			v.Values["visibility"] = "members"
		}
	}
	s.render(w, r, http.StatusOK, "categoryform", v)
}

func (s *Server) categoryFormView(r *http.Request) (categoryForm, error) {
	v := categoryForm{formView: s.form(r, "New category")}
	if r.PathValue("id") != "" {
		id, err := pathID(r)
		if err != nil {
			return v, err
		}
		v.ID, v.Title = id, "Edit category"
	}
	var err error
	v.Parents, err = s.svc.ParentChoices(r.Context(), actor(r), v.ID)
	return v, err
}

func (s *Server) saveCategory(w http.ResponseWriter, r *http.Request) {
	if !s.requireAdmin(w, r) {
		return
	}
	v, err := s.categoryFormView(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	for _, f := range []string{"name", "description", "parent_id", "visibility"} {
		v.Values[f] = r.PostFormValue(f)
	}
	parent, _ := strconv.ParseInt(v.Values["parent_id"], 10, 64)
	in := forum.CategoryInput{Name: v.Values["name"], Description: v.Values["description"], ParentID: parent,
		MembersOnly: v.Values["visibility"] == "members", StaffOnly: v.Values["visibility"] == "staff"}
	var c *forum.Category
	if v.ID == 0 {
		c, err = s.svc.CreateCategory(r.Context(), actor(r), in)
	} else {
		c, err = s.svc.UpdateCategory(r.Context(), actor(r), v.ID, in)
	}
	if err != nil {
		s.formErrorView(w, r, "categoryform", &v, &v.formView, err)
		return
	}
	http.Redirect(w, r, doneURL(categoryURL(c), "saved"), http.StatusSeeOther)
}

func (s *Server) moveCategory(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		delta := 1
		if r.PostFormValue("dir") == "up" {
			delta = -1
		}
		err = s.svc.MoveCategory(r.Context(), actor(r), id, delta)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	http.Redirect(w, r, doneURL("/admin#flash", "moved"), http.StatusSeeOther)
}

// adminMode switches the forum's mode. It writes the status file, not the
// database, so it works while the database is in trouble.
func (s *Server) adminMode(w http.ResponseWriter, r *http.Request) {
	if !s.requireStatusAdmin(w, r) {
		return
	}
	m, err := status.ParseMode(r.PostFormValue("mode"))
	if err != nil {
		s.error(w, r, forum.Errorf(forum.EINVALID, "%s", err.Error()))
		return
	}
	var until time.Time
	if h, _ := strconv.Atoi(r.PostFormValue("hours")); h > 0 && h <= 72 {
		until = time.Now().Add(time.Duration(h) * time.Hour)
	}
	if err := s.cfg.Status.SetMode(m, r.PostFormValue("reason"), until); err != nil {
		s.statusError(w, r, "The mode was not changed", err)
		return
	}
	http.Redirect(w, r, doneURL("/admin#flash", "mode"), http.StatusSeeOther)
}

// adminStatusUpdate posts an update members see on the maintenance page.
func (s *Server) adminStatusUpdate(w http.ResponseWriter, r *http.Request) {
	if !s.requireStatusAdmin(w, r) {
		return
	}
	if err := s.cfg.Status.Post(r.PostFormValue("text")); err != nil {
		s.statusError(w, r, "The update was not posted", err)
		return
	}
	http.Redirect(w, r, doneURL("/admin#flash", "update"), http.StatusSeeOther)
}

// statusError answers a change of the status file that failed, beginning
// with what did not happen: what is wrong with the text, or a plain
// sentence when the file could not be read or written. That error names
// the file's path, so it goes to the log only.
func (s *Server) statusError(w http.ResponseWriter, r *http.Request, what string, err error) {
	if te, ok := errors.AsType[*status.TextError](err); ok {
		s.error(w, r, forum.Errorf(forum.EINVALID, "%s: %s.", what, te.Error()))
		return
	}
	safe := forum.Errorf(forum.EINTERNAL, "%s: the forum could not save its status. The server's log says why; `hearth doctor` checks the data directory.", what)
	s.error(w, r, fmt.Errorf("%w: %w", safe, err))
}

// requireStatusAdmin is requireAdmin for the mode and status forms, which
// also need the status file.
func (s *Server) requireStatusAdmin(w http.ResponseWriter, r *http.Request) bool {
	if !s.requireAdmin(w, r) {
		return false
	}
	if s.cfg.Status == nil {
		s.error(w, r, forum.Errorf(forum.EINVALID, "Modes and status updates are not available on this server."))
		return false
	}
	return true
}
