package forum

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// LatestList is a page of the latest threads across categories.
type LatestList struct {
	Threads []*Thread
	// Next is the cursor of the following (older) page; zero when this
	// page is the last.
	Next LatestCursor
	// First reports whether this is the newest page.
	First bool
}

// Latest returns a page of the threads of every category actor may read,
// newest activity first, starting at before (zero: the newest page).
// Deleted threads are left out for everyone, moderators too (they find
// them on the category pages), and so are the threads and categories the
// actor muted.
func (s *Service) Latest(ctx context.Context, actor *Member, before LatestCursor) (*LatestList, error) {
	per := s.ThreadsPerPage
	threads, err := s.store.LatestThreads(ctx, LatestFilter{
		Access: AccessOf(actor), MemberID: memberID(actor), Before: before, Limit: per + 1,
	})
	if err != nil {
		return nil, fmt.Errorf("latest threads: %w", err)
	}
	l := &LatestList{Threads: threads, First: before.IsZero()}
	if len(threads) > per {
		l.Threads = threads[:per]
		last := l.Threads[per-1]
		l.Next = LatestCursor{At: last.LastPostAt, PostID: last.LastPostID}
	}
	return l, nil
}

// String is the cursor as a URL's ?before= value: milliseconds, a dot
// and the post id.
func (c LatestCursor) String() string {
	if c.IsZero() {
		return ""
	}
	return strconv.FormatInt(c.At.UnixMilli(), 10) + "." + strconv.FormatInt(c.PostID, 10)
}

// ParseLatestCursor reads a ?before= value; "" is the newest page, and
// anything malformed is ErrNotFound, as a page number past the end.
func ParseLatestCursor(v string) (LatestCursor, error) {
	if v == "" {
		return LatestCursor{}, nil
	}
	ms, id, ok := strings.Cut(v, ".")
	at, err1 := strconv.ParseInt(ms, 10, 64)
	post, err2 := strconv.ParseInt(id, 10, 64)
	if !ok || err1 != nil || err2 != nil || at <= 0 || post <= 0 {
		return LatestCursor{}, ErrNotFound
	}
	return LatestCursor{At: time.UnixMilli(at).UTC(), PostID: post}, nil
}
