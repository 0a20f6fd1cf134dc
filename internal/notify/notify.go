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
	NotifySources(ctx context.Context, ids []int64) (map[int64]*forum.NotifySource, error)
	PostByID(ctx context.Context, id int64) (*forum.Post, error)
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

// Handle writes the notifications of evs in one transaction. The posts
// they are about are read in one query; one gone or deleted by now is
// left out: nobody hears of what they could not read.
func (c *Consumer) Handle(ctx context.Context, evs []forum.Event) error {
	var ids []int64
	for _, e := range evs {
		switch e.Kind {
		case forum.EventPostCreated, forum.EventThreadCreated, forum.EventPostLiked:
			ids = append(ids, e.PostID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	srcs, err := c.Store.NotifySources(ctx, ids)
	if err != nil {
		return fmt.Errorf("notifications of events %d to %d: %w", evs[0].ID, evs[len(evs)-1].ID, err)
	}
	var rs []forum.NotifyRequest
	for _, e := range evs {
		src := srcs[e.PostID]
		if src == nil {
			continue
		}
		var r *forum.NotifyRequest
		var err error
		switch e.Kind {
		case forum.EventPostCreated, forum.EventThreadCreated:
			r, err = c.post(ctx, e, src)
		case forum.EventPostLiked:
			r = c.like(e, src)
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
	notified, err := c.Store.AddNotifications(ctx, rs)
	if err != nil {
		return err
	}
	if c.Notified != nil {
		for _, id := range notified {
			c.Notified(id)
		}
	}
	return nil
}

func (c *Consumer) post(ctx context.Context, e forum.Event, src *forum.NotifySource) (*forum.NotifyRequest, error) {
	p := &src.Post
	r := &forum.NotifyRequest{EventID: e.ID, ActorID: p.AuthorID, CategoryID: src.CategoryID,
		ThreadID: p.ThreadID, PostID: p.ID, At: p.CreatedAt}
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
			forum.NotifyStep{Kind: forum.NotifyReply, Members: []int64{src.ThreadAuthorID}},
			forum.NotifyStep{Kind: forum.NotifyPost, Watchers: forum.WatchThread})
	} else {
		r.Steps = append(r.Steps, forum.NotifyStep{Kind: forum.NotifyThread, Watchers: forum.WatchCategory})
	}
	return r, nil
}

func (c *Consumer) like(e forum.Event, src *forum.NotifySource) *forum.NotifyRequest {
	p := &src.Post
	return &forum.NotifyRequest{EventID: e.ID, ActorID: e.MemberID, CategoryID: src.CategoryID,
		ThreadID: p.ThreadID, PostID: p.ID, At: e.At,
		Steps: []forum.NotifyStep{{Kind: forum.NotifyLike, Members: []int64{p.AuthorID}}}}
}
