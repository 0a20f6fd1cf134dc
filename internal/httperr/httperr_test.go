package httperr_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
