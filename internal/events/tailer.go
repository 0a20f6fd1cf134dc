// Package events reads the event stream the store writes with every write
// (see internal/store/events.go) and hands events to what must react to
// them. The Tailer runs on every node and keeps that node's caches in step
// with writes made elsewhere; durable consumers (notifications, mail, the
// member roster, coming with later features) keep their cursor in the
// database and run on one node at a time.
package events

import (
	"context"
	"log/slog"
	"time"

	"hearth/internal/forum"
)

// Source is the stream as the store offers it.
type Source interface {
	Events(ctx context.Context, after forum.EventCursor, limit int) ([]forum.Event, forum.EventCursor, error)
	EventsHead(ctx context.Context) (forum.EventCursor, error)
	// WaitEvents returns when events may have been written (PostgreSQL
	// NOTIFY), or after at most d.
	WaitEvents(ctx context.Context, d time.Duration) error
	Node() string
}

// Tailer follows the stream from the moment it starts and applies every
// event written by another process. It keeps its cursor in memory: a node
// that starts has empty caches, so nothing before its start concerns it.
type Tailer struct {
	Source Source
	Apply  func(forum.Event)
	Log    *slog.Logger
	// Poll is the longest wait between reads: the fallback when no NOTIFY
	// comes (SQLite, or a lost listener). Default 500ms, so a write on
	// another node shows here within a second.
	Poll time.Duration
}

const batch = 500

// Run tails until ctx ends.
func (t *Tailer) Run(ctx context.Context) {
	poll := t.Poll
	if poll <= 0 {
		poll = 500 * time.Millisecond
	}
	var cursor forum.EventCursor
	for ctx.Err() == nil {
		c, err := t.Source.EventsHead(ctx)
		if err == nil {
			cursor = c
			break
		}
		sleep(ctx, poll) // the database is down: the monitor says so
	}
	self := t.Source.Node()
	for ctx.Err() == nil {
		evs, next, err := t.Source.Events(ctx, cursor, batch)
		if err != nil {
			if ctx.Err() == nil {
				t.Log.Debug("events: read failed, retrying", "err", err)
			}
			sleep(ctx, poll)
			continue
		}
		for _, e := range evs {
			if e.Node != self {
				t.Apply(e)
			}
		}
		cursor = next
		if len(evs) < batch {
			t.Source.WaitEvents(ctx, poll)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
