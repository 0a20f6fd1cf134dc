package web

import (
	"net/http"
	"net/url"

	"hearth/internal/forum"
)

// errorView is the friendly error page.
type errorView struct {
	Page
	Status    int
	Heading   string
	Message   string
	RequestID string
}

// httpStatus maps a domain error code to an HTTP status, once for all pages.
func httpStatus(code forum.Code) int {
	switch code {
	case forum.EINVALID:
		return http.StatusUnprocessableEntity
	case forum.ENOTFOUND:
		return http.StatusNotFound
	case forum.EFORBIDDEN:
		return http.StatusForbidden
	case forum.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case forum.ECONFLICT:
		return http.StatusConflict
	case forum.ERATELIMIT:
		return http.StatusTooManyRequests
	case forum.EUNAVAILABLE, forum.EREADONLY:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

var headings = map[int]string{
	http.StatusNotFound:            "Page not found",
	http.StatusForbidden:           "Not allowed",
	http.StatusUnauthorized:        "Please log in",
	http.StatusTooManyRequests:     "Slow down a little",
	http.StatusServiceUnavailable:  "Back in a moment",
	http.StatusInternalServerError: "Something went wrong",
}

// error answers err with the friendly page. Guests who hit a page that
// needs a login are sent to the login form instead. Internal errors are
// logged with the request ID shown to the member.
func (s *Server) error(w http.ResponseWriter, r *http.Request, err error) {
	code := forum.ErrorCode(err)
	if code == forum.EUNAVAILABLE {
		s.log.Warn("database unavailable", "err", err, "path", r.URL.Path, "request_id", RequestID(r.Context()))
		s.unavailable(w, r)
		return
	}
	st := httpStatus(code)
	if st == http.StatusUnauthorized && r.Method == http.MethodGet && actor(r) == nil {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	if st >= 500 {
		s.log.Error("request failed", "err", err, "path", r.URL.Path, "request_id", RequestID(r.Context()))
	}
	if st == http.StatusServiceUnavailable || st == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "60")
	}
	h := headings[st]
	if h == "" {
		h = "That did not work"
	}
	v := errorView{Page: s.page(r, h), Status: st, Heading: h, Message: forum.ErrorMessage(err), RequestID: RequestID(r.Context())}
	v.NoIndex = true
	s.render(w, r, st, "error", v)
}
