package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"hearth/internal/clientip"
	"hearth/internal/forum"
	"hearth/internal/httperr"
)

type ctxKey int

const (
	keyActor ctxKey = iota
	keySession
)

// actor returns the logged-in member, or nil for a guest.
func actor(r *http.Request) *forum.Member {
	m, _ := r.Context().Value(keyActor).(*forum.Member)
	return m
}

// smallFormBytes caps every form body but a post's: the longest of them,
// a profile, is well under 30 KB even with every character %-encoded.
const smallFormBytes = 64 << 10

// postFormBytes caps the forms that carry a post: the longest body the
// forum accepts, forum.MaxBodyLen runes of 4 UTF-8 bytes each sent as
// %XX (12 bytes a rune), with the title and the rest in the small cap.
const postFormBytes = forum.MaxBodyLen*12 + smallFormBytes

// postForms are the routes whose forms carry a post.
var postForms = map[string]bool{"POST /c/{id}/new": true, "POST /t/{id}/reply": true, "POST /p/{id}/edit": true, "POST /drafts": true}

// limitBodies reads every page's form here, before any handler, and at
// most its route's cap: a body over it is refused without reading it to
// the end. Multipart is refused outright, as no page takes uploads
// (attachments will get their own route and limit): net/http writes big
// multipart parts to temporary files and removes them only for the
// request it made, never for the copies our middleware hands on. With the
// form parsed here, handlers' PostFormValue never parses multipart.
func (s *Server) limitBodies(mux *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		if ct := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Type"))); strings.HasPrefix(ct, "multipart/") {
			s.refuseBody(w, r, http.StatusUnsupportedMediaType, "Not accepted",
				"This form was sent as a file upload, which the forum does not take here. Nothing was saved: go back and send the form again without a file.")
			return
		}
		limit := int64(smallFormBytes)
		if _, pattern := mux.Handler(r); postForms[pattern] {
			limit = postFormBytes
		}
		if r.ContentLength > limit {
			s.tooLarge(w, r, limit)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if !hasForm(r.Method) {
			next.ServeHTTP(w, r)
			return
		}
		if err := r.ParseForm(); err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				s.tooLarge(w, r, limit)
				return
			}
			s.refuseBody(w, r, http.StatusBadRequest, "That did not work",
				"The form could not be read: it did not arrive whole or in the usual form encoding. Nothing was saved: go back and try again.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hasForm reports the methods whose body net/http reads as a form.
func hasForm(method string) bool {
	return method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch
}

// tooLarge answers a form over its cap with the cap in words.
func (s *Server) tooLarge(w http.ResponseWriter, r *http.Request, limit int64) {
	msg := fmt.Sprintf("The form was larger than the forum accepts (%d KB). Nothing was saved: go back to shorten it.", limit>>10)
	if limit == postFormBytes {
		msg = fmt.Sprintf("The post was larger than the forum accepts: a post can have at most %d characters (%d KB as sent). Nothing was saved: go back to shorten it.", forum.MaxBodyLen, limit>>10)
	}
	s.refuseBody(w, r, http.StatusRequestEntityTooLarge, "Too large", msg)
}

// refuseBody answers with the error page and closes the connection after
// it, so the rest of a body the forum will not read is never read.
func (s *Server) refuseBody(w http.ResponseWriter, r *http.Request, status int, heading, msg string) {
	w.Header().Set("Connection", "close")
	v := errorView{Page: s.page(r, heading), Status: status, Heading: heading, Message: msg, RequestID: httperr.RequestID(r.Context())}
	v.NoIndex = true
	s.render(w, r, status, "error", v)
}

const sessionCookie = "hearth_session"

// loadActor puts the member of the session cookie, if any, in the context.
// The API authenticates with bearer tokens instead, in internal/api.
func (s *Server) loadActor(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		dbDown := s.cfg.DBDown != nil && s.cfg.DBDown()
		if err != nil || c.Value == "" || dbDown {
			next.ServeHTTP(w, r)
			return
		}
		m, err := s.svc.SessionMember(r.Context(), c.Value)
		switch forum.ErrorCode(err) {
		case "":
			ctx := context.WithValue(r.Context(), keyActor, m)
			ctx = context.WithValue(ctx, keySession, c.Value)
			r = r.WithContext(ctx)
		case forum.ENOTFOUND:
			s.clearSession(w) // expired or logged out elsewhere
		default:
			s.error(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) setSession(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/", MaxAge: int(forum.WebSessionTTL.Seconds()),
		HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}

// clientIP is the address rate limits are keyed by.
func (s *Server) clientIP(r *http.Request) string {
	if s.cfg.ClientIP != nil {
		return s.cfg.ClientIP(r)
	}
	return clientip.Proxies(nil).ClientIP(r)
}
