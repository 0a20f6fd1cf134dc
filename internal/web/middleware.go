package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"hearth/internal/clientip"
	"hearth/internal/forum"
	"hearth/internal/httperr"
)

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyActor
	keySession
)

// RequestID returns the ID given to the request, shown on error pages and
// logged, so a member's report leads to the log line.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(keyRequestID).(string)
	return id
}

// actor returns the logged-in member, or nil for a guest.
func actor(r *http.Request) *forum.Member {
	m, _ := r.Context().Value(keyActor).(*forum.Member)
	return m
}

func (s *Server) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 8)
		rand.Read(b)
		id := hex.EncodeToString(b)
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyRequestID, id)))
	})
}

// statusWriter records the status for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		// Every request at debug level; failures always. Checking first
		// spares the hot path the log call's allocations.
		level := slog.LevelDebug
		if sw.status >= 500 {
			level = slog.LevelWarn
		}
		if !s.log.Enabled(r.Context(), level) {
			return
		}
		s.log.Log(r.Context(), level, "request", "method", r.Method, "path", r.URL.Path,
			"status", sw.status, "duration", time.Since(start), "request_id", RequestID(r.Context()))
	})
}

// recoverPanics logs a panic once, with its stack, and answers the 500 of
// an internal failure: the friendly page, or the API's JSON error on /api/
// paths. Nobody sees a stack trace.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "value", v, "method", r.Method, "path", r.URL.Path,
					"request_id", RequestID(r.Context()), "stack", string(debug.Stack()))
				if sw, ok := w.(*statusWriter); ok && sw.wrote {
					panic(http.ErrAbortHandler) // the answer has begun: cut it off rather than append a 500
				}
				s.answer(w, r, httperr.Classify(r.Context(), errPanic))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// smallFormBytes caps every form body but a post's: the longest of them,
// a profile, is well under 30 KB even with every character %-encoded.
const smallFormBytes = 64 << 10

// postFormBytes caps the forms that carry a post: the longest body the
// forum accepts, forum.MaxBodyLen runes of 4 UTF-8 bytes each sent as
// %XX (12 bytes a rune), with the title and the rest in the small cap.
const postFormBytes = forum.MaxBodyLen*12 + smallFormBytes

// postForms are the routes whose forms carry a post.
var postForms = map[string]bool{"POST /c/{id}/new": true, "POST /t/{id}/reply": true, "POST /p/{id}/edit": true}

// limitBodies reads every page's form here, before any handler, and at
// most its route's cap: a body over it is refused without reading it to
// the end. Multipart is refused outright, as no page takes uploads
// (attachments will get their own route and limit): net/http writes big
// multipart parts to temporary files and removes them only for the
// request it made, never for the copies our middleware hands on. With the
// form parsed here, handlers' PostFormValue never parses multipart. The
// API (/api/) reads its JSON with its own cap.
func (s *Server) limitBodies(mux *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody || strings.HasPrefix(r.URL.Path, "/api/") {
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
	v := errorView{Page: s.page(r, heading), Status: status, Heading: heading, Message: msg, RequestID: RequestID(r.Context())}
	v.NoIndex = true
	s.render(w, r, status, "error", v)
}

// errPanic is what a recovered panic is answered as: an internal failure.
var errPanic = errors.New("panic")

// csp allows only our own scripts and styles: member HTML is sanitized, and
// this is the second wall should anything slip through.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; " +
	"font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// The header values are shared, never modified, slices: setting them costs
// no allocation per request.
var securityHeaderValues = map[string][]string{
	"Content-Security-Policy": {csp},
	"X-Content-Type-Options":  {"nosniff"},
	"X-Frame-Options":         {"DENY"},
	"Referrer-Policy":         {"same-origin"},
	"Permissions-Policy":      {"camera=(), microphone=(), geolocation=()"},
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for k, v := range securityHeaderValues {
			h[k] = v
		}
		next.ServeHTTP(w, r)
	})
}

const sessionCookie = "hearth_session"

// loadActor puts the member of the session cookie, if any, in the context.
// API requests authenticate with bearer tokens in internal/api instead.
func (s *Server) loadActor(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		dbDown := s.cfg.DBDown != nil && s.cfg.DBDown()
		if err != nil || c.Value == "" || strings.HasPrefix(r.URL.Path, "/api/") || dbDown {
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
