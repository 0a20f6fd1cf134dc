package metrics

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"
)

// routeKey finds the request's routeHolder in its context.
type routeKey struct{}

// routeHolder carries the matched ServeMux pattern back out to Middleware.
// It lives in the context because middleware between Middleware and the
// mux may replace the *http.Request (r.WithContext), so the pattern the mux
// writes into its request is not visible on the one Middleware holds.
type routeHolder struct {
	mu      sync.Mutex
	pattern string
}

// SetRoute records r.Pattern, the pattern the ServeMux matched, as the
// route label of the request being measured. Call it after the mux has
// run; Routed does. A later call wins, so a mux nested inside another (each
// surface's own behind the root mux) gives the more specific pattern.
// Without Middleware in front it does nothing.
func SetRoute(r *http.Request) {
	h, _ := r.Context().Value(routeKey{}).(*routeHolder)
	if h == nil || r.Pattern == "" {
		return
	}
	h.mu.Lock()
	h.pattern = r.Pattern
	h.mu.Unlock()
}

// Routed wraps a ServeMux so the pattern it matched reaches Middleware:
// wrap the mux itself, innermost, e.g. s.loadActor(metrics.Routed(mux)).
// A ServeMux sets Pattern on the request it was given and passes that same
// request to nested handlers, so the innermost match is read afterwards.
func Routed(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer SetRoute(r) // also after a panic, which the outer recovery answers
		mux.ServeHTTP(w, r)
	})
}

// Middleware counts and times every request by route pattern, method and
// status code. Put it outermost so panics answered by inner recovery and
// time spent in other middleware are included.
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		h := &routeHolder{}
		r = r.WithContext(context.WithValue(r.Context(), routeKey{}, h))
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			h.mu.Lock()
			pattern := h.pattern
			h.mu.Unlock()
			if pattern == "" {
				pattern = r.Pattern // next was the mux itself
			}
			code := sw.status
			if v := recover(); v != nil {
				code = http.StatusInternalServerError
				defer panic(v)
			}
			route, method := routeLabel(pattern, code), methodLabel(r.Method)
			s := m.httpSeriesFor(route, method, code)
			s.requests.Inc()
			s.duration.Observe(time.Since(start).Seconds())
		}()
		next.ServeHTTP(sw, r)
	})
}

// routeLabel keeps label cardinality bounded: a matched pattern, or
// "other" when nothing matched (404/405 from the mux itself) or a subtree
// catch-all such as "/" or "/api/" answered "not found".
func routeLabel(pattern string, code int) string {
	if pattern == "" || (code == http.StatusNotFound && strings.HasSuffix(pattern, "/")) {
		return "other"
	}
	return pattern
}

// methodLabel folds unknown methods into one label: clients choose them.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}

// statusWriter records the status code written.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote && code >= 200 { // 1xx informational answers are not the status
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
