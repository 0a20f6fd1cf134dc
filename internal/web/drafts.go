package web

import (
	"context"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"hearth/internal/forum"
)

// saveDraft is POST /drafts: the page's script (drafts.js) saving what is
// typed in a post form, by sendBeacon or fetch. The cross-origin
// protection around every page's POST covers it: a beacon sends Origin
// and Sec-Fetch-Site like a form. It answers 204, or the error page's
// status (which nobody reads: the text stays in the form).
func (s *Server) saveDraft(w http.ResponseWriter, r *http.Request) {
	err := s.svc.SaveDraft(r.Context(), actor(r), r.PostFormValue("key"), r.PostFormValue("title"), r.PostFormValue("body"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// restoreDraft puts the member's draft for v.Draft into the form. A
// failure shows the form without it rather than no form.
func (s *Server) restoreDraft(r *http.Request, v *formView) {
	d, err := s.svc.Draft(r.Context(), actor(r), v.Draft)
	if err != nil || d == nil {
		return
	}
	if d.Title != "" {
		v.Values["title"] = d.Title
	}
	v.Values["body"] = d.Body
	v.DraftNote = "Your draft from " + sinceWords(d.UpdatedAt, time.Now()) + " is back in the box."
}

// dropDraft deletes the member's draft once its post is made. Should that
// fail, the draft comes back in the box later, which is a nuisance, not a loss.
// It goes on if the member has left meanwhile (the phone lost its signal
// while the post was saved): the post is made, so the draft is done with.
func (s *Server) dropDraft(r *http.Request, key string) {
	if err := s.svc.DeleteDraft(context.WithoutCancel(r.Context()), actor(r), key); err != nil {
		s.log.Warn("delete draft after posting", "err", err)
	}
}

// previewOrDraft handles a post form's Preview and Save draft buttons:
// the form comes back with what was typed, the preview above it, and the
// draft saved. It reports whether it handled the request.
func (s *Server) previewOrDraft(w http.ResponseWriter, r *http.Request, name string, view any, v *formView) bool {
	action := r.PostFormValue("action")
	if action != "preview" && action != "draft" {
		return false
	}
	if action == "preview" {
		h, err := s.svc.Preview(v.Values["body"])
		if err != nil {
			s.formErrorView(w, r, name, view, v, err)
			return true
		}
		v.Preview = safeHTML(h)
	}
	if v.Draft != "" {
		err := s.svc.SaveDraft(r.Context(), actor(r), v.Draft, v.Values["title"], v.Values["body"])
		switch {
		case err != nil && action == "draft":
			s.formErrorView(w, r, name, view, v, err)
			return true
		case err == nil:
			v.DraftNote = "Draft saved: it will be in this box when you come back."
		}
	}
	s.render(w, r, http.StatusOK, name, view)
	return true
}

// sinceWords says how long ago t was, in a few words.
func sinceWords(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute") + " ago"
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour") + " ago"
	case d < 60*24*time.Hour:
		return plural(int(d/(24*time.Hour)), "day") + " ago"
	}
	return "on " + t.UTC().Format("2 Jan 2006")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// safeHTML marks a post's rendering, which internal/render sanitized, as
// HTML for the template.
func safeHTML(s string) template.HTML { return template.HTML(s) }

// replyBox is the thread page's reply form for its reader: their draft
// for the thread in the box (a slot of the member's shell, see
// memberThread), without the note the full form shows.
func (s *Server) replyBox(r *http.Request, threadID int64, mayPost bool) formView {
	f := s.form(r, "")
	f.Submit = "Post reply"
	if !mayPost {
		return f
	}
	f.Draft = forum.DraftKeyThread(threadID)
	s.restoreDraft(r, &f)
	f.DraftNote = ""
	return f
}
