package web

import (
	"net/http"
	"net/url"

	"hearth/internal/forum"
	"hearth/internal/httperr"
)

// errorView is the friendly error page.
type errorView struct {
	Page
	Status    int
	Heading   string
	Message   string
	RequestID string
}

// httpStatus maps a domain error code to an HTTP status, the same for
// pages and the API.
func httpStatus(code forum.Code) int { return httperr.Status(code) }

var headings = map[int]string{
	http.StatusNotFound:            "Page not found",
	http.StatusForbidden:           "Not allowed",
	http.StatusUnauthorized:        "Please log in",
	http.StatusTooManyRequests:     "Slow down a little",
	http.StatusServiceUnavailable:  "Back in a moment",
	http.StatusInternalServerError: "Something went wrong",
}

// pages is the pages' httperr.Surface: failures answered as pages.
type pages struct{ s *Server }

func (p pages) Answer(w http.ResponseWriter, r *http.Request, o httperr.Outcome) { p.s.answer(w, r, o) }

// Responder is how the pages answer failures, for the middleware around
// them.
func (s *Server) Responder() httperr.Responder { return s.errs }

// error logs err as loudly as it deserves (httperr.Classify: only internal
// failures at ERROR) and answers it.
func (s *Server) error(w http.ResponseWriter, r *http.Request, err error) { s.errs.Error(w, r, err) }

// answer writes the page for a failed request: the maintenance page in
// maintenance mode, the degraded answer while the database is away, else
// the friendly error page with the request's ID. Guests who hit a page
// that needs a login are sent to the login form instead.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, o httperr.Outcome) {
	switch {
	case o.Maintenance:
		s.maintenance(w, r, s.gate.State(), "")
		return
	case o.Code == forum.EUNAVAILABLE:
		s.unavailable(w, r)
		return
	case o.Status == http.StatusUnauthorized && r.Method == http.MethodGet && actor(r) == nil:
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	httperr.RetryAfter(w, o)
	h := headings[o.Status]
	if h == "" {
		h = "That did not work"
	}
	v := errorView{Page: s.page(r, h), Status: o.Status, Heading: h, Message: o.Message, RequestID: httperr.RequestID(r.Context())}
	v.NoIndex = true
	s.render(w, r, o.Status, "error", v)
}
