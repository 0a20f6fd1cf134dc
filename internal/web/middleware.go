package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

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
	return ClientIP(r, s.cfg.TrustProxy)
}

// ClientIP returns the client's IP: the first X-Forwarded-For entry when
// behind a trusted proxy, else the connection's address.
func ClientIP(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if f := r.Header.Get("X-Forwarded-For"); f != "" {
			ip, _, _ := strings.Cut(f, ",")
			return strings.TrimSpace(ip)
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
