package httperr_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"hearth/internal/forum"
	"hearth/internal/httperr"
)

// TestClassify: only internal failures are errors; the client going away
// is quiet (499, debug); a deadline of our own is a warning; the forum's
// refusals are debug and the database being down is info.
func TestClassify(t *testing.T) {
	live := context.Background()
	gone, cancel := context.WithCancel(live)
	cancel()
	expired, cancel2 := context.WithTimeout(live, time.Nanosecond)
	defer cancel2()
	<-expired.Done()
	for _, c := range []struct {
		name   string
		ctx    context.Context
		err    error
		status int
		level  slog.Level
	}{
		{"internal", live, errors.New("disk on fire"), 500, slog.LevelError},
		{"client gone, store saw the cancel", gone, fmt.Errorf("reply: %w", context.Canceled), httperr.StatusClientClosed, slog.LevelDebug},
		{"client gone, driver's own error", gone, errors.New("interrupted (9)"), httperr.StatusClientClosed, slog.LevelDebug},
		{"our deadline", expired, fmt.Errorf("list posts: %w", context.DeadlineExceeded), 503, slog.LevelWarn},
		{"a store timeout", live, fmt.Errorf("query: %w", context.DeadlineExceeded), 503, slog.LevelWarn},
		{"read-only", live, &forum.Error{Code: forum.EREADONLY, Message: "read-only"}, 503, slog.LevelDebug},
		{"rate limit", live, forum.Errorf(forum.ERATELIMIT, "slow down"), 429, slog.LevelDebug},
		{"database down", live, fmt.Errorf("thread 1: %w", forum.ErrUnavailable), 503, slog.LevelInfo},
		{"database busy", live, forum.ErrBusy, 503, slog.LevelInfo},
		{"not found", live, forum.ErrNotFound, 404, slog.LevelDebug},
		{"invalid", live, forum.FieldError("body", "empty"), 422, slog.LevelDebug},
		{"malformed", live, tooLarge{}, 413, slog.LevelDebug},
		{"malformed, client gone", gone, tooLarge{}, httperr.StatusClientClosed, slog.LevelDebug},
	} {
		o := httperr.Classify(c.ctx, c.err)
		if o.Status != c.status || o.Level != c.level {
			t.Errorf("%s: %d at %v, want %d at %v", c.name, o.Status, o.Level, c.status, c.level)
		}
		if o.Status >= 500 && o.Status != 503 && (o.Message == "" || o.Message == c.err.Error()) {
			t.Errorf("%s: message %q", c.name, o.Message)
		}
	}
}

type tooLarge struct{}

func (tooLarge) Error() string   { return "The request body is too large." }
func (tooLarge) HTTPStatus() int { return 413 }

// TestJSONResponder: the API's answers to failures carry the request ID
// from the context, Retry-After on 429 and 503 (the outcome's, else a
// minute), WWW-Authenticate on 401, and nothing at all when the client
// has gone.
func TestJSONResponder(t *testing.T) {
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	rs := httperr.Responder{Log: slog.New(slog.DiscardHandler), Surface: httperr.JSON}
	for _, c := range []struct {
		name                string
		ctx                 context.Context
		err                 error
		o                   *httperr.Outcome
		status              int
		retry, authenticate string
	}{
		{"not found", context.Background(), forum.ErrNotFound, nil, 404, "", ""},
		{"log in", context.Background(), forum.Errorf(forum.EUNAUTHORIZED, "log in"), nil, 401, "", `Bearer realm="hearth"`},
		{"rate limit", context.Background(), forum.Errorf(forum.ERATELIMIT, "slow down"), nil, 429, "60", ""},
		{"maintenance", context.Background(), nil, &httperr.Outcome{Status: 503, Message: "down", RetryAfter: 1800, Maintenance: true}, 503, "1800", ""},
		{"client gone", gone, forum.ErrNotFound, nil, httperr.StatusClientClosed, "", ""},
	} {
		r := httptest.NewRequestWithContext(httperr.WithRequestID(c.ctx, "req-1"), "GET", "/api/v1/x", nil)
		w := httptest.NewRecorder()
		if c.o != nil {
			rs.Answer(w, r, *c.o)
		} else {
			rs.Error(w, r, c.err)
		}
		if w.Code != c.status || w.Header().Get("Retry-After") != c.retry || w.Header().Get("WWW-Authenticate") != c.authenticate {
			t.Errorf("%s: %d Retry-After %q WWW-Authenticate %q", c.name, w.Code, w.Header().Get("Retry-After"), w.Header().Get("WWW-Authenticate"))
		}
		var body httperr.Body
		switch err := json.Unmarshal(w.Body.Bytes(), &body); {
		case c.status == httperr.StatusClientClosed:
			if w.Body.Len() != 0 {
				t.Errorf("%s: a body for nobody: %s", c.name, w.Body)
			}
		case err != nil || body.RequestID != "req-1" || body.Error == "":
			t.Errorf("%s: body %s", c.name, w.Body)
		}
	}
}
