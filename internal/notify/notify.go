// Package notify makes members' notifications from the event stream: a
// durable consumer (internal/events) that reads each new post, thread and
// like and writes one notification per event and recipient. What it
// writes is keyed by (event, recipient, kind), so handling an event again
// after a crash adds nothing.
package notify

import (
	"context"
	"errors"
	"fmt"

	"hearth/internal/forum"
	"hearth/internal/render"
)

// Store is what the consumer reads and writes (internal/store).
type Store interface {
	PostByID(ctx context.Context, id int64) (*forum.Post, error)
	ThreadByID(ctx context.Context, id int64) (*forum.Thread, error)
	MembersByHandle(ctx context.Context, hs []string) (map[string]int64, error)
	AddNotifications(ctx context.Context, rs []forum.NotifyRequest) ([]int64, error)
}

// Consumer is the notifications consumer. Who may hear of an event
// (active, not the actor, allowed to see the category, not muted) is
// decided by the store's insert; the consumer says who is concerned and
// how, in order of precedence: mentioned, quoted, replied to, watching.
type Consumer struct {
	Store Store
	// Notified, if set, hears of the members notified (0: many), once
	// their notifications are written: this node's cached bells. Other
	// nodes learn from the notification.changed events.
	Notified func(member int64)
}

// Name is the consumer's cursor in event_cursors.
func (c *Consumer) Name() string { return "notifications" }

// Handle writes the notifications of evs in one transaction.
func (c *Consumer) Handle(ctx context.Context, evs []forum.Event) error {
	var rs []forum.NotifyRequest
	for _, e := range evs {
		var r *forum.NotifyRequest
		var err error
		switch e.Kind {
		case forum.EventPostCreated, forum.EventThreadCreated:
			r, err = c.post(ctx, e)
		case forum.EventPostLiked:
			r, err = c.like(ctx, e)
		}
		if err != nil {
			return fmt.Errorf("notifications of event %d (%s): %w", e.ID, e.Kind, err)
		}
		if r != nil {
			rs = append(rs, *r)
		}
	}
	if len(rs) == 0 {
		return nil
	}
	ids, err := c.Store.AddNotifications(ctx, rs)
	if err != nil {
		return err
	}
	if c.Notified != nil {
		for _, id := range ids {
			c.Notified(id)
		}
	}
	return nil
}

// visiblePost loads the event's post and thread, or nil when either is
// gone or deleted by now: nobody hears of what they could not read.
func (c *Consumer) visiblePost(ctx context.Context, id int64) (*forum.Post, *forum.Thread, error) {
	p, err := c.Store.PostByID(ctx, id)
	if errors.Is(err, forum.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	t, err := c.Store.ThreadByID(ctx, p.ThreadID)
	if errors.Is(err, forum.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if p.Deleted() || t.Deleted() {
		return nil, nil, nil
	}
	return p, t, nil
}

func (c *Consumer) post(ctx context.Context, e forum.Event) (*forum.NotifyRequest, error) {
	p, t, err := c.visiblePost(ctx, e.PostID)
	if p == nil || err != nil {
		return nil, err
	}
	r := &forum.NotifyRequest{EventID: e.ID, ActorID: p.AuthorID, CategoryID: t.CategoryID,
		ThreadID: t.ID, PostID: p.ID, At: p.CreatedAt}
	if hs := render.Mentions(p.HTML); len(hs) > 0 {
		ids, err := c.Store.MembersByHandle(ctx, hs)
		if err != nil {
			return nil, err
		}
		var ms []int64
		for _, h := range hs {
			if id, ok := ids[h]; ok {
				ms = append(ms, id)
			}
		}
		r.Steps = append(r.Steps, forum.NotifyStep{Kind: forum.NotifyMention, Members: ms})
	}
	if p.QuotePostID != 0 {
		q, err := c.Store.PostByID(ctx, p.QuotePostID)
		if err != nil && !errors.Is(err, forum.ErrNotFound) {
			return nil, err
		}
		if err == nil && !q.Deleted() {
			r.Steps = append(r.Steps, forum.NotifyStep{Kind: forum.NotifyQuote, Members: []int64{q.AuthorID}})
		}
	}
	if p.Position > 1 {
		r.Steps = append(r.Steps,
			forum.NotifyStep{Kind: forum.NotifyReply, Members: []int64{t.AuthorID}},
			forum.NotifyStep{Kind: forum.NotifyPost, Watchers: forum.WatchThread})
	} else {
		r.Steps = append(r.Steps, forum.NotifyStep{Kind: forum.NotifyThread, Watchers: forum.WatchCategory})
	}
	return r, nil
}

func (c *Consumer) like(ctx context.Context, e forum.Event) (*forum.NotifyRequest, error) {
	p, t, err := c.visiblePost(ctx, e.PostID)
	if p == nil || err != nil {
		return nil, err
	}
	return &forum.NotifyRequest{EventID: e.ID, ActorID: e.MemberID, CategoryID: t.CategoryID,
		ThreadID: t.ID, PostID: p.ID, At: e.At,
		Steps: []forum.NotifyStep{{Kind: forum.NotifyLike, Members: []int64{p.AuthorID}}}}, nil
}
