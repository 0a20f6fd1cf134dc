// Package httperr decides, once for both HTTP surfaces (the pages of
// internal/web and the JSON API of internal/api), how a failed request is
// answered and how loudly it is logged. Each surface says only how its
// answers look (a Surface: the pages render an error page, the API writes
// JSON, here), and every answer carries the request's ID, which the shared
// middleware (internal/httpmw) gives each request.
package httperr

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"hearth/internal/forum"
)

// StatusClientClosed is the status recorded for a request whose client
// went away before its answer (nginx's 499). Nobody receives it; it keeps
// such requests out of the 5xx counts of the metrics and the access log,
// because the server did nothing wrong. A 503 would read as an outage and
// a 500 as a bug.
const StatusClientClosed = 499

// RequestIDHeader is the response header carrying the request's ID;
// error pages show it and JSON errors repeat it in their body.
const RequestIDHeader = "X-Request-Id"

type requestIDKey struct{}

// WithRequestID returns ctx carrying the request ID id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the ID given to the request, shown on error pages and
// logged, so a member's report leads to the log line.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// Status maps a domain error code to an HTTP status.
func Status(code forum.Code) int {
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

// Outcome is how to answer and log one failed request.
type Outcome struct {
	Code    forum.Code
	Status  int
	Message string // safe to show: never a driver error or a path
	Field   string
	Level   slog.Level // how loudly to log it
	Event   string     // the log message

	// RetryAfter, in seconds, is sent with a 429 or 503; 0 means a minute.
	RetryAfter int
	// Maintenance: the forum is in maintenance mode, not failing.
	Maintenance bool
}

// Gone reports whether the client went away: there is nobody to answer.
func (o Outcome) Gone() bool { return o.Status == StatusClientClosed }

// StatusError is an error that names its own status, such as a malformed
// request (400, 405, 413, 415). Its Error() is safe to show the client.
type StatusError interface {
	error
	HTTPStatus() int
}

// badRequest is a malformed request: 400, with a message safe to show.
type badRequest string

func (e badRequest) Error() string   { return string(e) }
func (e badRequest) HTTPStatus() int { return http.StatusBadRequest }

// ParsePage reads ?page=N, 1 when absent, the same for both surfaces: a
// page that is not a whole number from 1 is a malformed request (400); a
// page past the end is the service's to refuse (404).
func ParsePage(r *http.Request) (int, error) {
	p := r.URL.Query().Get("page")
	if p == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 {
		return 0, badRequest("page must be a whole number from 1.")
	}
	return n, nil
}

// Classify returns the outcome of err for a request with context ctx.
//
//   - The client went away (its context was cancelled): debug, status 499,
//     whatever err says, since the error is most likely the cancellation
//     reaching the store.
//   - A deadline of our own ran out (a store timeout): a warning worth
//     looking into, and 503 "try again" to the client.
//   - The forum's normal refusals (invalid or malformed input, not found,
//     read-only, rate limit, ...): debug. The database being down: info, since the
//     monitor already warns once about the outage.
//   - Anything else is an internal failure: ERROR.
func Classify(ctx context.Context, err error) Outcome {
	code := forum.ErrorCode(err)
	o := Outcome{Code: code, Status: Status(code), Message: forum.ErrorMessage(err), Field: forum.ErrorField(err),
		Level: slog.LevelDebug, Event: "request refused"}
	var se StatusError
	if errors.As(err, &se) {
		o.Code, o.Status, o.Message, o.Field = forum.EINVALID, se.HTTPStatus(), se.Error(), ""
	}
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		o.Status, o.Event = StatusClientClosed, "client went away"
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		o.Code, o.Status, o.Level, o.Event = forum.EUNAVAILABLE, http.StatusServiceUnavailable, slog.LevelWarn, "request timed out"
		o.Message, o.Field = "The forum took too long to answer. Please try again in a moment.", ""
	case code == forum.EUNAVAILABLE:
		o.Level, o.Event = slog.LevelInfo, "database unavailable"
	case o.Status >= 500 && o.Code != forum.EREADONLY:
		o.Level, o.Event = slog.LevelError, "request failed"
	}
	return o
}

// logOutcome logs o for r at o's level, with the error (for us, never for the
// client) and the request ID the client sees.
func logOutcome(log *slog.Logger, r *http.Request, o Outcome, err error) {
	if !log.Enabled(r.Context(), o.Level) {
		return
	}
	log.Log(r.Context(), o.Level, o.Event, "err", err, "status", o.Status, "method", r.Method, "path", r.URL.Path,
		"request_id", RequestID(r.Context()))
}

// A Surface writes the answer to a failed request in its own form: an
// error page, a JSON body. It is not called when the client has gone.
type Surface interface {
	Answer(w http.ResponseWriter, r *http.Request, o Outcome)
}

// Responder answers the failed requests of one surface: it classifies the
// error, logs it as loudly as it deserves, and has the surface write the
// answer. Both surfaces and the middleware they share answer through one.
type Responder struct {
	Log     *slog.Logger
	Surface Surface
}

// Error logs err (for us, never for the client) and answers it.
func (rs Responder) Error(w http.ResponseWriter, r *http.Request, err error) {
	o := Classify(r.Context(), err)
	logOutcome(rs.Log, r, o, err)
	rs.Answer(w, r, o)
}

// Answer writes o, already logged if it needed to be: nothing but the
// status for the access log when the client has gone, else the surface's
// answer.
func (rs Responder) Answer(w http.ResponseWriter, r *http.Request, o Outcome) {
	if o.Gone() {
		w.WriteHeader(o.Status) // for the access log and metrics; nobody reads it
		return
	}
	rs.Surface.Answer(w, r, o)
}

// RetryAfter sets Retry-After for a 429 or 503, unless it is set already.
func RetryAfter(w http.ResponseWriter, o Outcome) {
	if o.Status != http.StatusServiceUnavailable && o.Status != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "" {
		return
	}
	secs := o.RetryAfter
	if secs <= 0 {
		secs = 60
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
}

// JSON is the API's surface: every error is
// {"error": "...", "field": "...", "request_id": "..."}.
var JSON Surface = jsonSurface{}

type jsonSurface struct{}

func (jsonSurface) Answer(w http.ResponseWriter, r *http.Request, o Outcome) {
	if o.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="hearth"`) // RFC 7235: a 401 names its scheme
	}
	RetryAfter(w, o)
	writeJSON(w, r, o.Status, o.Message, o.Field)
}

// Body is the API's error: {"error": "...", "field": "...", "request_id": "..."}.
type Body struct {
	Error     string `json:"error"`
	Field     string `json:"field,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// writeJSON answers with the API's JSON error, carrying r's request ID.
func writeJSON(w http.ResponseWriter, r *http.Request, status int, msg, field string) {
	h := w.Header()
	b, _ := json.Marshal(Body{Error: msg, Field: field, RequestID: RequestID(r.Context())})
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)+1))
	h.Del("Content-Encoding")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// ParseSearch reads a search's query string, the same for both surfaces:
// q, category, author, thread (ids), first (1, true or on), from and to
// (YYYY-MM-DD) and page. A filter that does not parse is EINVALID on its
// field, with a sentence saying what it takes.
func ParseSearch(r *http.Request) (forum.SearchInput, error) {
	v := r.URL.Query()
	in := forum.SearchInput{Q: v.Get("q")}
	var err error
	if in.Page, err = ParsePage(r); err != nil {
		return in, err
	}
	ids := []struct {
		field, what string
		to          *int64
	}{
		{"category", "a category", &in.CategoryID}, {"author", "a member", &in.AuthorID}, {"thread", "a thread", &in.ThreadID},
	}
	for _, f := range ids {
		s := strings.TrimSpace(v.Get(f.field))
		if s == "" {
			continue
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			return in, forum.FieldError(f.field, "%s must be the number of %s.", f.field, f.what)
		}
		*f.to = n
	}
	switch strings.ToLower(v.Get("first")) {
	case "", "0", "false", "off":
	case "1", "true", "on":
		in.FirstOnly = true
	default:
		return in, forum.FieldError("first", "first must be 1 or 0.")
	}
	dates := []struct {
		field string
		to    *time.Time
	}{{"from", &in.From}, {"to", &in.To}}
	for _, f := range dates {
		s := strings.TrimSpace(v.Get(f.field))
		if s == "" {
			continue
		}
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return in, forum.FieldError(f.field, "%s must be a date like 2026-12-01.", f.field)
		}
		*f.to = d
	}
	return in, nil
}
