package web

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"time"

	"hearth/internal/forum"
	"hearth/internal/httperr"
	"hearth/internal/httpmw"
	"hearth/internal/status"
)

// siteMode puts the pages behind the gate the API shares: the maintenance
// page for everyone but admins while the forum is in maintenance mode, the
// degraded answer for everyone while the database is down. Static files
// always pass, and logging in passes maintenance so an admin can get in.
func (s *Server) siteMode(next http.Handler) http.Handler {
	gated := s.gate.Handler(next, s.errs, func(r *http.Request) bool {
		return actor(r).IsAdmin() || r.URL.Path == "/login"
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/static/") || ungated[r.URL.Path] {
			next.ServeHTTP(w, r)
			return
		}
		gated.ServeHTTP(w, r)
	})
}

// status returns the forum's mode and updates (normal when not configured).
func (s *Server) status() status.State { return s.gate.State() }

// banner is the line shown atop every page about the forum's mode.
func (s *Server) banner(r *http.Request) string {
	if s.cfg.StorageFull != nil && s.cfg.StorageFull() {
		return forum.StorageFullMessage
	}
	st := s.status()
	var b string
	switch st.Mode {
	case status.ReadOnly:
		b = "The forum is read-only for now: reading works, posting is paused."
		if st.Reason != "" {
			b = "The forum is read-only for now: " + st.Reason
		}
	case status.Maintenance:
		if actor(r).IsAdmin() {
			b = "Maintenance mode is on: everyone but admins sees the maintenance page."
		}
	default:
		return ""
	}
	if !st.Until.IsZero() && b != "" {
		b += " (until about " + st.Until.UTC().Format("15:04 UTC, 2 Jan") + ")"
	}
	return b
}

type maintenanceView struct {
	Page
	State     status.State
	Heading   string
	Message   string
	Kept      string // what the member was sending, so it is not lost
	RequestID string
}

// maintenance answers 503 with the maintenance page: the reason and the
// latest status updates, which live outside the database.
func (s *Server) maintenance(w http.ResponseWriter, r *http.Request, st status.State, message string) {
	w.Header().Set("Retry-After", strconv.Itoa(st.RetryAfter(time.Now())))
	v := maintenanceView{Page: s.page(r, "Back soon"), State: st, Heading: "We'll be back soon", Message: message,
		RequestID: httperr.RequestID(r.Context())}
	v.NoIndex, v.Banner = true, ""
	v.Incident = nil // its dismiss form cannot pass the gate; the page links to /status instead
	if r.Method == http.MethodPost {
		v.Kept = r.PostFormValue("body") // parsed, and capped, by limitBodies
	}
	if message != "" {
		v.Heading = "Back in a moment"
	}
	s.render(w, r, http.StatusServiceUnavailable, "maintenance", v)
}

// unavailable is the answer while the database is down: the last copy of
// the page if the cache has one, else the maintenance page; 503 either way
// so browsers and crawlers come back.
func (s *Server) unavailable(w http.ResponseWriter, r *http.Request) {
	const msg = httpmw.DownMessage
	if r.Method == http.MethodGet && s.cache != nil {
		if e := s.saved(s.cacheKey(r)); e != nil {
			w.Header().Set("Retry-After", "60")
			w.Header().Set("Content-Type", e.ctype)
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusServiceUnavailable)
			// Its times ("5m") are as of when it was saved: say when that was.
			saved := "You are reading a saved copy of this page"
			switch d := time.Since(e.at); {
			case d >= 24*time.Hour:
				saved += ", from " + fullTime(e.at, time.UTC)
			case d >= 2*time.Hour:
				saved += ", from " + strconv.Itoa(int(d/time.Hour)) + " hours ago"
			case d >= 2*time.Minute:
				saved += ", from " + strconv.Itoa(int(d/time.Minute)) + " minutes ago"
			}
			w.Write(withNotice(e.body, saved+": "+msg+" Reference for the admin: "+httperr.RequestID(r.Context())))
			return
		}
	}
	s.maintenance(w, r, s.status(), msg)
}

// withNotice puts a notice at the top of a cached page's main content.
func withNotice(page []byte, notice string) []byte {
	mark := []byte(`<main id="main" tabindex="-1">`)
	i := bytes.Index(page, mark)
	if i < 0 {
		return page
	}
	var b bytes.Buffer
	b.Grow(len(page) + len(notice) + 64)
	b.Write(page[:i+len(mark)])
	b.WriteString(`<p class="notice banner" role="status">`)
	b.WriteString(htmlEscape(notice))
	b.WriteString(`</p>`)
	b.Write(page[i+len(mark):])
	return b.Bytes()
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;")

func htmlEscape(s string) string { return htmlEscaper.Replace(s) }

// writesPaused reports whether a's posting forms should be hidden: the
// forum is read-only and a is not an admin.
func (s *Server) writesPaused(a *forum.Member) bool {
	if s.cfg.StorageFull != nil && s.cfg.StorageFull() {
		return true // nobody's writes fit on a full disk
	}
	return s.status().Mode == status.ReadOnly && !a.IsAdmin()
}
