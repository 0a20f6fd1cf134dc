package forum

import (
	"context"
	"fmt"
	"time"
)

// FeedItem is one entry of a feed: a post, with its thread.
type FeedItem struct {
	PostID, ThreadID        int64
	Position                int
	ThreadTitle, ThreadSlug string
	AuthorID                int64
	AuthorName              string
	// HTML is the post's rendering when Whole, else only its start (a
	// post too long to put whole in a feed), for a summary.
	HTML                string
	Whole               bool
	Replies             int // the thread's replies, for an entry about a thread
	CreatedAt, EditedAt time.Time
}

// Updated is when the entry last changed.
func (i *FeedItem) Updated() time.Time {
	if i.EditedAt.After(i.CreatedAt) {
		return i.EditedAt
	}
	return i.CreatedAt
}

// Feed is what a feed shows: the newest threads of the forum or of a
// category, or the newest posts of a thread.
type Feed struct {
	Category *Category // nil for the forum's feed
	Thread   *Thread   // nil but for a thread's feed
	Items    []*FeedItem
}

// FeedLength is how many entries a feed holds.
const FeedLength = 30

// MaxFeedHTML is the longest rendering a feed carries whole; a longer
// post is summarised, so a feed stays small whatever members write.
const MaxFeedHTML = 16 << 10

// Feed returns the feed f selects, read as a guest: a category or thread
// a guest may not read is ErrNotFound, and the store's query itself
// leaves out everything members-only, staff-only or deleted.
func (s *Service) Feed(ctx context.Context, f FeedFilter) (*Feed, error) {
	feed := &Feed{}
	var err error
	switch {
	case f.ThreadID != 0:
		if feed.Thread, feed.Category, _, err = s.thread(ctx, nil, f.ThreadID); err != nil {
			return nil, err
		}
	case f.CategoryID != 0:
		if feed.Category, _, err = s.Category(ctx, nil, f.CategoryID); err != nil {
			return nil, err
		}
	}
	if f.Limit <= 0 {
		f.Limit = FeedLength
	}
	if feed.Items, err = s.store.FeedItems(ctx, f); err != nil {
		return nil, fmt.Errorf("feed items: %w", err)
	}
	return feed, nil
}

// Members returns the ids of the members the feed shows.
func (f *Feed) Members() []int64 {
	ids := make([]int64, 0, len(f.Items))
	for _, it := range f.Items {
		ids = append(ids, it.AuthorID)
	}
	return ids
}

// Public reports whether guests may read category c (whose parent is
// parent, or nil): pages advertise feeds only for what guests may read.
func Public(c, parent *Category) bool { return visible(nil, c, parent) }
