package forum

import (
	"context"
	"fmt"
	"slices"
	"time"

	"hearth/internal/cache"
)

// Bookmark is a post a member keeps, with what a list shows of it.
type Bookmark struct {
	PostID, ThreadID        int64
	Position                int
	ThreadTitle, ThreadSlug string
	AuthorID                int64
	AuthorName              string
	HTML                    string // the start of the post's rendering: enough for an excerpt
	PostedAt                time.Time
	CreatedAt               time.Time // when it was bookmarked
	Deleted                 bool      // the post was deleted (only moderators still see it)
}

// BookmarkList is one page of a member's bookmarks.
type BookmarkList struct {
	Bookmarks          []*Bookmark
	Page, Pages, Total int
}

// BookmarkSet is the posts a member has bookmarked, for marking a thread
// page's posts: ids ascending.
type BookmarkSet []int64

// Has reports whether post id is bookmarked.
func (b BookmarkSet) Has(id int64) bool {
	_, ok := slices.BinarySearch(b, id)
	return ok
}

// A member's bookmark set is cached (internal/cache) under the member's
// bookmarks version, so a member's thread page, a cached shell filled in,
// costs no query for it: one per member and change. maxAge bounds what a
// lost event from another node could leave stale.
const (
	bookmarkCacheBytes = 8 << 20
	bookmarkCacheAge   = 5 * time.Minute
)

func newBookmarkCache() *cache.Cache[int64, BookmarkSet] {
	return cache.New[int64](cache.Options[BookmarkSet]{MaxBytes: bookmarkCacheBytes, MaxAge: bookmarkCacheAge})
}

// BookmarksPerPage is the length of a page of /bookmarks.
const BookmarksPerPage = 30

// SetBookmark bookmarks post id for actor (on) or takes the bookmark back.
// Bookmarking needs a post the actor may read; taking one back does not,
// since a post may have been deleted or hidden since.
func (s *Service) SetBookmark(ctx context.Context, actor *Member, id int64, on bool) error {
	if actor == nil {
		return Errorf(EUNAUTHORIZED, "Log in to bookmark posts.")
	}
	if err := s.writable(actor); err != nil {
		return err
	}
	if on {
		p, err := s.Post(ctx, actor, id)
		if err != nil {
			return err
		}
		if p.Deleted() && !actor.IsModerator() {
			return ErrNotFound
		}
	}
	var changed bool
	var err error
	if on {
		changed, err = s.store.AddBookmark(ctx, actor.ID, id, s.now())
	} else {
		changed, err = s.store.RemoveBookmark(ctx, actor.ID, id)
	}
	if err != nil {
		return fmt.Errorf("bookmark post %d: %w", id, err)
	}
	if changed {
		s.changes.BookmarksChanged(actor.ID)
	}
	return nil
}

// Bookmarks returns page (1-based) of actor's bookmarks, newest first,
// without those of posts the actor can no longer read.
func (s *Service) Bookmarks(ctx context.Context, actor *Member, page int) (*BookmarkList, error) {
	if actor == nil {
		return nil, Errorf(EUNAUTHORIZED, "Log in to see your bookmarks.")
	}
	if page < 1 {
		return nil, ErrNotFound
	}
	per := BookmarksPerPage
	bs, total, err := s.store.ListBookmarks(ctx, BookmarkFilter{
		MemberID: actor.ID, Access: AccessOf(actor), Offset: (page - 1) * per, Limit: per,
	})
	if err != nil {
		return nil, fmt.Errorf("list bookmarks of member %d: %w", actor.ID, err)
	}
	n := pages(total, per)
	if page > n {
		return nil, ErrNotFound
	}
	return &BookmarkList{Bookmarks: bs, Page: page, Pages: n, Total: total}, nil
}

// BookmarkedPosts returns the posts actor has bookmarked (none for a
// guest), from the cache while the member's bookmarks have not changed.
func (s *Service) BookmarkedPosts(ctx context.Context, actor *Member) (BookmarkSet, error) {
	if actor == nil {
		return nil, nil
	}
	v := s.changes.BookmarksVersion(actor.ID) // before reading
	return s.bookmarks.Load(actor.ID, v, func() (BookmarkSet, int, error) {
		ids, err := s.store.BookmarkedPosts(ctx, actor.ID)
		if err != nil {
			return nil, 0, fmt.Errorf("bookmarks of member %d: %w", actor.ID, err)
		}
		return BookmarkSet(ids), 64 + 8*len(ids), nil
	})
}
