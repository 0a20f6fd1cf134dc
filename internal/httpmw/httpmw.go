// Package httpmw is the middleware both HTTP surfaces share, which
// internal/app puts around each of them: request IDs, the access log,
// panic recovery, security headers and cross-origin protection. Gate is
// the shared answer while the forum is in maintenance or its database is
// down. Every failure is answered through the surface's httperr.Responder,
// so the API's answers are JSON and the pages' are pages, decided by where
// the surface is mounted rather than by looking at paths.
package httpmw

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"time"

	"hearth/internal/forum"
	"hearth/internal/httperr"
)

// Wrap returns h inside the shared middleware. rs answers what the
// middleware refuses or recovers from; baseURL is the public origin, which
// the cross-origin check trusts even when a proxy in front rewrites Host.
func Wrap(h http.Handler, rs httperr.Responder, baseURL string) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs.Error(w, r, forum.Errorf(forum.EFORBIDDEN, "This request came from another site and was refused (cross-site request forgery protection)."))
	}))
	if u, err := url.Parse(baseURL); err == nil && u.Scheme != "" && u.Host != "" {
		cop.AddTrustedOrigin(u.Scheme + "://" + u.Host)
	}
	// RFC 8058's one-click unsubscribe is a POST from the mail provider
	// (or a mail client) on the member's behalf: the token in the path is
	// its capability, and it is the one state change with no CSRF check.
	cop.AddInsecureBypassPattern("POST /unsubscribe/{token}")
	return requestID(logRequests(rs.Log, recoverPanics(rs, securityHeaders(cop.Handler(h)))))
}

// requestID gives every request an ID, sent back in X-Request-Id, shown on
// error pages and in JSON errors, and logged.
var requestIDKey = http.CanonicalHeaderKey(httperr.RequestIDHeader)

func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [8]byte
		rand.Read(b[:])
		id := hex.EncodeToString(b[:])
		w.Header()[requestIDKey] = []string{id}
		next.ServeHTTP(w, r.WithContext(httperr.WithRequestID(r.Context(), id)))
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

func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		status := sw.status
		if errors.Is(r.Context().Err(), context.Canceled) {
			// The client left before the answer (whatever the handler
			// wrote went nowhere), as nginx logs it: a reply whose write
			// had started is saved all the same.
			status = httperr.StatusClientClosed
		}
		// Every request at debug level; failures always. Checking first
		// spares the hot path the log call's allocations.
		level := slog.LevelDebug
		if status >= 500 {
			level = slog.LevelWarn
		}
		if !log.Enabled(r.Context(), level) {
			return
		}
		log.Log(r.Context(), level, "request", "method", r.Method, "path", r.URL.Path,
			"status", status, "duration", time.Since(start), "request_id", httperr.RequestID(r.Context()))
	})
}

// errPanic is what a recovered panic is answered as: an internal failure.
var errPanic = errors.New("panic")

// recoverPanics logs a panic once, with its stack, and answers the 500 of
// an internal failure in the surface's form. Nobody sees a stack trace.
func recoverPanics(rs httperr.Responder, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				rs.Log.Error("panic", "value", v, "method", r.Method, "path", r.URL.Path,
					"request_id", httperr.RequestID(r.Context()), "stack", string(debug.Stack()))
				if sw, ok := w.(*statusWriter); ok && sw.wrote {
					panic(http.ErrAbortHandler) // the answer has begun: cut it off rather than append a 500
				}
				rs.Answer(w, r, httperr.Classify(r.Context(), errPanic))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// csp allows only our own scripts and styles: member HTML is sanitized, and
// this is the second wall should anything slip through.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; " +
	"font-src 'self'; connect-src 'self'; manifest-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

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
