// Package api is Hearth's JSON API v1, a thin layer over forum.Service for
// scripts, integrations and our own tests. Clients authenticate with a
// bearer token from POST /api/v1/sessions. internal/app mounts it at /api/
// beside the pages, inside the middleware both share (internal/httpmw),
// answering through Responder: every error, from a handler or the
// middleware, is JSON {"error": "...", "field": "...", "request_id": "..."}
// with a 4xx or 5xx status; nothing answers with a stack trace.
package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"hearth/internal/forum"
	"hearth/internal/httperr"
	"hearth/internal/httpmw"
	"hearth/internal/metrics"
	"hearth/internal/ratelimit"
)

// MaxBodyBytes bounds request bodies so that every post the forum accepts
// fits, however the client encodes it. The largest request is a new thread
// with title and body at their limits in characters. JSON may escape every
// character as \uXXXX (Python's json.dumps does so for all non-ASCII text):
// six bytes for a character of the BMP, twelve for one beyond it (a
// surrogate pair). 4 KiB more cover field names, ids and whitespace.
const MaxBodyBytes = 12*(forum.MaxBodyLen+forum.MaxTitleLen) + 4<<10

// Config holds the API's limits and its gate.
type Config struct {
	LoginLimit    *ratelimit.Limiter // per client IP
	RegisterLimit *ratelimit.Limiter // per client IP
	ClientIP      func(*http.Request) string
	// Gate answers 503 while the forum is in maintenance mode or its
	// database is down; its zero value never closes.
	Gate httpmw.Gate
}

// API serves /api/v1/.
type API struct {
	svc     *forum.Service
	log     *slog.Logger
	cfg     Config
	errs    httperr.Responder // failures answered as JSON
	mux     *http.ServeMux
	handler http.Handler // the mux behind the gate
	methods []string     // of all routes, for the Allow header of a 405
}

// New returns the API handler, to be mounted at /api/: it answers every
// path under it, in JSON.
func New(svc *forum.Service, log *slog.Logger, cfg Config) *API {
	a := &API{svc: svc, log: log, cfg: cfg, mux: http.NewServeMux(), errs: Responder(log)}
	if a.cfg.ClientIP == nil {
		a.cfg.ClientIP = func(r *http.Request) string { return r.RemoteAddr }
	}
	for _, rt := range a.routes() {
		a.mux.HandleFunc(rt.pattern, a.authorize(rt.access, rt.h))
		if m, _, ok := strings.Cut(rt.pattern, " "); ok && !slices.Contains(a.methods, m) {
			a.methods = append(a.methods, m)
		}
	}
	a.mux.HandleFunc(catchAll, a.noRoute)
	// No one passes maintenance mode: the API has no admin exception yet.
	a.handler = a.cfg.Gate.Handler(metrics.Routed(a.mux), a.errs, nil)
	return a
}

// Responder is how the API answers failures: JSON, logged with log.
func Responder(log *slog.Logger) httperr.Responder {
	return httperr.Responder{Log: log, Surface: httperr.JSON}
}

// access says who may call a route.
type access int

const (
	open   access = iota // the Authorization header is not read: logging in, registering
	anyone               // guests and members; a token sent must be valid
	member               // members only: guests get 401 before the handler reads anything
)

// route is one endpoint of the API.
type route struct {
	pattern string
	access  access
	h       handlerFunc
}

// routes is the API's route table.
func (a *API) routes() []route {
	return []route{
		{"POST /api/v1/sessions", open, a.createSession},
		{"DELETE /api/v1/sessions", member, a.deleteSession},
		{"POST /api/v1/members", open, a.register},
		{"POST /api/v1/password-resets", open, a.requestReset},
		{"POST /api/v1/password-resets/use", open, a.useReset},
		{"POST /api/v1/email-confirmations", member, a.resendConfirmation},
		{"POST /api/v1/email-confirmations/use", open, a.useConfirmation},
		{"GET /api/v1/me/mail-preferences", member, a.mailPrefs},
		{"PUT /api/v1/me/mail-preferences", member, a.setMailPrefs},
		{"GET /api/v1/me", member, a.me},
		{"GET /api/v1/members/{id}", anyone, a.member},
		{"GET /api/v1/categories", anyone, a.categories},
		{"POST /api/v1/categories", member, a.createCategory},
		{"GET /api/v1/categories/{id}/threads", anyone, a.threads},
		{"POST /api/v1/threads", member, a.createThread},
		{"GET /api/v1/threads/{id}", anyone, a.thread},
		{"PATCH /api/v1/threads/{id}", member, a.updateThread},
		{"POST /api/v1/threads/{id}/posts", member, a.reply},
		{"GET /api/v1/posts/{id}", anyone, a.post},
		{"PATCH /api/v1/posts/{id}", member, a.editPost},
		{"DELETE /api/v1/posts/{id}", member, a.deletePost},
		{"POST /api/v1/posts/{id}/restore", member, a.restorePost},
		{"POST /api/v1/posts/{id}/like", member, a.likePost},
		{"DELETE /api/v1/posts/{id}/like", member, a.unlikePost},
		{"GET /api/v1/members/{id}/likes", anyone, a.memberLikes},
		{"PUT /api/v1/threads/{id}/level", member, a.threadLevel},
		{"PUT /api/v1/categories/{id}/level", member, a.categoryLevel},
		{"GET /api/v1/notifications", member, a.notifications},
		{"POST /api/v1/notifications/read", member, a.markAllRead},
		{"POST /api/v1/notifications/{id}/read", member, a.markRead},
		{"POST /api/v1/posts/{id}/bookmark", member, a.bookmark},
		{"DELETE /api/v1/posts/{id}/bookmark", member, a.unbookmark},
		{"GET /api/v1/bookmarks", member, a.bookmarks},
		{"POST /api/v1/threads/{id}/read", member, a.markThreadRead},
		{"POST /api/v1/categories/{id}/read", member, a.markCategoryRead},
		{"POST /api/v1/read", member, a.markEverythingRead},
		{"GET /api/v1/search", anyone, a.search},
	}
}

// catchAll answers what no route matches: an unknown endpoint, another
// version, the API's root.
const catchAll = "/api/"

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	a.handler.ServeHTTP(w, r)
}

// noRoute answers what no route matches: 405 with Allow when the path has
// routes for other methods, else 404.
func (a *API) noRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range a.methods {
		probe := *r
		probe.Method = m
		if _, p := a.mux.Handler(&probe); p != catchAll {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		a.error(w, r, forum.Errorf(forum.ENOTFOUND, "No such API endpoint: %s %s.", r.Method, r.URL.Path))
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	a.error(w, r, &requestError{http.StatusMethodNotAllowed,
		fmt.Sprintf("%s is not allowed on %s; it takes %s.", r.Method, r.URL.Path, strings.Join(allow, ", "))})
}

// caller is who sends a request: a member and the token they
// authenticated with, or the zero caller for a guest.
type caller struct {
	member *forum.Member
	token  string
}

// handlerFunc is an API handler that knows who is calling.
type handlerFunc func(w http.ResponseWriter, r *http.Request, c caller)

// authorize resolves the bearer token, if any, and hands the handler the
// member and the exact token that authenticated them. A token that is
// present but unknown or expired is refused rather than treated as a
// guest, so a client learns its token has gone. Member routes refuse
// guests here, before their handler reads the body.
func (a *API) authorize(acc access, h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var c caller
		if acc != open {
			var err error
			if c, err = a.authenticate(r); err != nil {
				a.error(w, r, err)
				return
			}
		}
		if acc == member && c.member == nil {
			a.error(w, r, forum.Errorf(forum.EUNAUTHORIZED, "Log in first: send a token from POST /api/v1/sessions as Authorization: Bearer TOKEN."))
			return
		}
		h(w, r, c)
	}
}

// authenticate reads "Authorization: Bearer TOKEN", the scheme in any case
// and followed by one or more spaces (RFC 7235), in this one place.
func (a *API) authenticate(r *http.Request) (caller, error) {
	hdr := r.Header.Get("Authorization")
	if hdr == "" {
		return caller{}, nil
	}
	scheme, token, _ := strings.Cut(hdr, " ")
	token = strings.TrimLeft(token, " ")
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return caller{}, forum.Errorf(forum.EUNAUTHORIZED, "The Authorization header must be \"Bearer TOKEN\".")
	}
	m, err := a.svc.SessionMember(r.Context(), token)
	if forum.ErrorCode(err) == forum.ENOTFOUND {
		err = forum.Errorf(forum.EUNAUTHORIZED, "The token is unknown or expired: create a new one with POST /api/v1/sessions.")
	}
	if err != nil {
		return caller{}, err
	}
	return caller{member: m, token: token}, nil
}

// requestError is a malformed request: its own status, a clear message.
type requestError struct {
	status int
	msg    string
}

func (e *requestError) Error() string   { return e.msg }
func (e *requestError) HTTPStatus() int { return e.status }

// error logs err as loudly as it deserves (httperr.Classify: only internal
// failures at ERROR, once, with the request ID) and answers it as JSON.
func (a *API) error(w http.ResponseWriter, r *http.Request, err error) { a.errs.Error(w, r, err) }

func (a *API) json(w http.ResponseWriter, st int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		a.log.Error("api encode", "err", err, "request_id", w.Header().Get(httperr.RequestIDHeader))
		st, b = http.StatusInternalServerError, []byte(`{"error":"Could not encode the response."}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(st)
	w.Write(append(b, '\n'))
}

// decode reads a JSON body into dst, refusing what is too large, not JSON,
// not UTF-8, of the wrong types or with unknown fields, each with a message
// that says what to fix.
func decode(w http.ResponseWriter, r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, _ := mime.ParseMediaType(ct); mt != "application/json" {
			return &requestError{http.StatusUnsupportedMediaType, "Send the body as JSON with Content-Type: application/json."}
		}
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &requestError{http.StatusRequestEntityTooLarge, fmt.Sprintf("The request body is larger than %d bytes.", MaxBodyBytes)}
		}
		return &requestError{http.StatusBadRequest, "Could not read the request body."}
	}
	if !utf8.Valid(raw) {
		return &requestError{http.StatusBadRequest, "The request body is not valid UTF-8."}
	}
	switch body := bytes.TrimLeft(raw, " \t\r\n"); {
	case len(body) == 0:
		return &requestError{http.StatusBadRequest, "The request body is empty; send a JSON object."}
	case body[0] != '{':
		return &requestError{http.StatusBadRequest, "The body must be a JSON object: {\"field\": value, ...}."}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te) && te.Field != "":
			return &requestError{http.StatusBadRequest, fmt.Sprintf("Field %q must be %s.", te.Field, jsonType(te.Type))}
		case errors.As(err, &se):
			return &requestError{http.StatusBadRequest, fmt.Sprintf("The body is not valid JSON (at byte %d).", se.Offset)}
		case errors.Is(err, io.ErrUnexpectedEOF):
			return &requestError{http.StatusBadRequest, "The body is not valid JSON (it ends too early)."}
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			// encoding/json has no error type for this; its text is all there is.
			return &requestError{http.StatusBadRequest, "Unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ") + "."}
		}
		return &requestError{http.StatusBadRequest, "The body is not valid JSON."}
	}
	if dec.More() {
		return &requestError{http.StatusBadRequest, "The body must hold a single JSON object."}
	}
	return nil
}

// jsonType names what a field of type t takes, for a client to fix.
func jsonType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return fmt.Sprintf("a whole number (at most %d)", int64(1)<<(t.Bits()-1)-1)
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "of another type"
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, forum.Errorf(forum.ENOTFOUND, "%q is not a valid id.", r.PathValue("id"))
	}
	return id, nil
}

// pageNum parses ?page=N as the pages do (httperr.ParsePage).
func pageNum(r *http.Request) (int, error) { return httperr.ParsePage(r) }
