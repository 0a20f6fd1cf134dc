// Package api is Hearth's JSON API v1, a thin layer over forum.Service for
// scripts, integrations and our own tests. Clients authenticate with a
// bearer token from POST /api/v1/sessions. Every error is JSON
// {"error": "..."} with a 4xx or 5xx status; nothing answers with a stack trace.
package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"hearth/internal/forum"
	"hearth/internal/ratelimit"
)

// MaxBodyBytes bounds request bodies: a post of forum.MaxBodyLen characters
// in UTF-8 plus JSON framing fits comfortably.
const MaxBodyBytes = 256 << 10

// Config holds the API's limits.
type Config struct {
	LoginLimit    *ratelimit.Limiter // per client IP
	RegisterLimit *ratelimit.Limiter // per client IP
	ClientIP      func(*http.Request) string
}

// API serves /api/v1/.
type API struct {
	svc *forum.Service
	log *slog.Logger
	cfg Config
	mux *http.ServeMux
}

// New returns the API handler, to be mounted at /api/v1/.
func New(svc *forum.Service, log *slog.Logger, cfg Config) *API {
	a := &API{svc: svc, log: log, cfg: cfg, mux: http.NewServeMux()}
	if a.cfg.ClientIP == nil {
		a.cfg.ClientIP = func(r *http.Request) string { return r.RemoteAddr }
	}
	a.routes()
	return a
}

func (a *API) routes() {
	m := a.mux
	m.HandleFunc("POST /api/v1/sessions", a.createSession)
	m.HandleFunc("DELETE /api/v1/sessions", a.auth(a.deleteSession))
	m.HandleFunc("POST /api/v1/members", a.register)
	m.HandleFunc("GET /api/v1/me", a.auth(a.me))
	m.HandleFunc("GET /api/v1/members/{id}", a.auth(a.member))
	m.HandleFunc("GET /api/v1/categories", a.auth(a.categories))
	m.HandleFunc("POST /api/v1/categories", a.auth(a.createCategory))
	m.HandleFunc("GET /api/v1/categories/{id}/threads", a.auth(a.threads))
	m.HandleFunc("POST /api/v1/threads", a.auth(a.createThread))
	m.HandleFunc("GET /api/v1/threads/{id}", a.auth(a.thread))
	m.HandleFunc("PATCH /api/v1/threads/{id}", a.auth(a.updateThread))
	m.HandleFunc("POST /api/v1/threads/{id}/posts", a.auth(a.reply))
	m.HandleFunc("GET /api/v1/posts/{id}", a.auth(a.post))
	m.HandleFunc("PATCH /api/v1/posts/{id}", a.auth(a.editPost))
	m.HandleFunc("DELETE /api/v1/posts/{id}", a.auth(a.deletePost))
	m.HandleFunc("POST /api/v1/posts/{id}/restore", a.auth(a.restorePost))
	m.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		a.error(w, r, forum.Errorf(forum.ENOTFOUND, "No such API endpoint: %s %s.", r.Method, r.URL.Path))
	})
}

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	a.mux.ServeHTTP(w, r)
}

// handlerFunc is an API handler that knows who is calling (nil for a guest).
type handlerFunc func(w http.ResponseWriter, r *http.Request, actor *forum.Member)

// auth resolves the bearer token, if any. A token that is present but
// unknown or expired is refused rather than treated as a guest, so a
// client learns its token has gone.
func (a *API) auth(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		hdr := r.Header.Get("Authorization")
		if hdr == "" {
			h(w, r, nil)
			return
		}
		token, ok := strings.CutPrefix(hdr, "Bearer ")
		if !ok {
			a.error(w, r, forum.Errorf(forum.EUNAUTHORIZED, "The Authorization header must be \"Bearer TOKEN\"."))
			return
		}
		m, err := a.svc.SessionMember(r.Context(), strings.TrimSpace(token))
		if forum.ErrorCode(err) == forum.ENOTFOUND {
			err = forum.Errorf(forum.EUNAUTHORIZED, "The token is unknown or expired: create a new one with POST /api/v1/sessions.")
		}
		if err != nil {
			a.error(w, r, err)
			return
		}
		h(w, r, m)
	}
}

// status maps a domain error code to an HTTP status.
func status(code forum.Code) int {
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

type errorBody struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

// requestError is a malformed request: its own status, a clear message.
type requestError struct {
	status int
	msg    string
}

func (e *requestError) Error() string { return e.msg }

func (a *API) error(w http.ResponseWriter, r *http.Request, err error) {
	var re *requestError
	if errors.As(err, &re) {
		a.json(w, re.status, errorBody{Error: re.msg})
		return
	}
	code := forum.ErrorCode(err)
	st := status(code)
	if st >= 500 {
		a.log.Error("api request failed", "err", err, "method", r.Method, "path", r.URL.Path)
	}
	if st == http.StatusServiceUnavailable || st == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "60")
	}
	a.json(w, st, errorBody{Error: forum.ErrorMessage(err), Field: forum.ErrorField(err)})
}

func (a *API) json(w http.ResponseWriter, st int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		a.log.Error("api encode", "err", err)
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
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te):
			return &requestError{http.StatusBadRequest, fmt.Sprintf("Field %q must be of type %s.", te.Field, jsonType(te.Type.Kind().String()))}
		case errors.As(err, &se):
			return &requestError{http.StatusBadRequest, fmt.Sprintf("The body is not valid JSON (at byte %d).", se.Offset)}
		case errors.Is(err, io.EOF):
			return &requestError{http.StatusBadRequest, "The request body is empty; send a JSON object."}
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return &requestError{http.StatusBadRequest, "Unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ") + "."}
		}
		return &requestError{http.StatusBadRequest, "The body is not valid JSON."}
	}
	if dec.More() {
		return &requestError{http.StatusBadRequest, "The body must hold a single JSON object."}
	}
	return nil
}

func jsonType(kind string) string {
	switch kind {
	case "int", "int64", "int32", "uint", "uint64", "float64":
		return "number"
	case "bool":
		return "boolean"
	case "struct", "map":
		return "object"
	case "slice":
		return "array"
	}
	return kind
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, forum.Errorf(forum.ENOTFOUND, "%q is not a valid id.", r.PathValue("id"))
	}
	return id, nil
}

func pageNum(r *http.Request) (int, error) {
	p := r.URL.Query().Get("page")
	if p == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 {
		return 0, &requestError{http.StatusBadRequest, "page must be a whole number from 1."}
	}
	return n, nil
}
