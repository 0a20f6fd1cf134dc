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

// error logs err as loudly as it deserves (httperr.Classify: only internal
// failures at ERROR) and answers it.
func (s *Server) error(w http.ResponseWriter, r *http.Request, err error) {
	o := httperr.Classify(r.Context(), err)
	httperr.Log(s.log, r, w, o, err)
	s.answer(w, r, o)
}

// answer writes the outcome of a failed request: nothing when the client
// has gone, the API's JSON error on /api/ paths, the degraded answer while
// the database is away, else the friendly page. Guests who hit a page that
// needs a login are sent to the login form instead.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, o httperr.Outcome) {
	switch {
	case o.Gone():
		w.WriteHeader(o.Status) // for the access log and metrics; nobody reads it
		return
	case httperr.IsAPI(r):
		httperr.WriteJSON(w, o.Status, o.Message, o.Field)
		return
	case o.Code == forum.EUNAVAILABLE:
		s.unavailable(w, r)
		return
	case o.Status == http.StatusUnauthorized && r.Method == http.MethodGet && actor(r) == nil:
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	if o.Status == http.StatusServiceUnavailable || o.Status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "60")
	}
	h := headings[o.Status]
	if h == "" {
		h = "That did not work"
	}
	v := errorView{Page: s.page(r, h), Status: o.Status, Heading: h, Message: o.Message, RequestID: RequestID(r.Context())}
	v.NoIndex = true
	s.render(w, r, o.Status, "error", v)
}
