// Package httperr decides, once for both HTTP surfaces (the pages of
// internal/web and the JSON API of internal/api), how a failed request is
// answered and how loudly it is logged, and writes the API's JSON error
// body, which the pages' middleware also sends on /api/ paths.
package httperr

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"hearth/internal/forum"
)

// StatusClientClosed is the status recorded for a request whose client
// went away before its answer (nginx's 499). Nobody receives it; it keeps
// such requests out of the 5xx counts of the metrics and the access log,
// because the server did nothing wrong. A 503 would read as an outage and
// a 500 as a bug.
const StatusClientClosed = 499

// RequestIDHeader is the response header internal/web sets to the
// request's ID; JSON errors repeat it in their body.
const RequestIDHeader = "X-Request-Id"

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
}

// Gone reports whether the client went away: there is nobody to answer.
func (o Outcome) Gone() bool { return o.Status == StatusClientClosed }

// StatusError is an error that names its own status, such as a malformed
// request (400, 405, 413, 415). Its Error() is safe to show the client.
type StatusError interface {
	error
	HTTPStatus() int
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

// Log logs o for r at o's level, with the error (for us, never for the
// client) and the request ID the client sees.
func Log(log *slog.Logger, r *http.Request, w http.ResponseWriter, o Outcome, err error) {
	if !log.Enabled(r.Context(), o.Level) {
		return
	}
	log.Log(r.Context(), o.Level, o.Event, "err", err, "status", o.Status, "method", r.Method, "path", r.URL.Path,
		"request_id", w.Header().Get(RequestIDHeader))
}

// IsAPI reports whether r is for the JSON API, which answers everything,
// errors included, in JSON.
func IsAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

// Body is the API's error: {"error": "...", "field": "...", "request_id": "..."}.
type Body struct {
	Error     string `json:"error"`
	Field     string `json:"field,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// WriteJSON answers with the API's JSON error. 429 and 503 get
// Retry-After unless it is set already. The request ID is the one the web
// middleware put on the response.
func WriteJSON(w http.ResponseWriter, status int, msg, field string) {
	h := w.Header()
	b, _ := json.Marshal(Body{Error: msg, Field: field, RequestID: h.Get(RequestIDHeader)})
	if (status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests) && h.Get("Retry-After") == "" {
		h.Set("Retry-After", "60")
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)+1))
	h.Del("Content-Encoding")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
