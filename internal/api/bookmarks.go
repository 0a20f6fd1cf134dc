package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"hearth/internal/forum"
	"hearth/internal/render"
)

type bookmarkJSON struct {
	PostID       int64     `json:"post_id"`
	ThreadID     int64     `json:"thread_id"`
	ThreadTitle  string    `json:"thread_title"`
	Position     int       `json:"position"`
	AuthorID     int64     `json:"author_id"`
	AuthorName   string    `json:"author_name"`
	Excerpt      string    `json:"excerpt"`
	PostedAt     time.Time `json:"posted_at"`
	BookmarkedAt time.Time `json:"bookmarked_at"`
	Deleted      bool      `json:"deleted,omitempty"` // moderators still see deleted posts
	URL          string    `json:"url"`
	ThreadURL    string    `json:"thread_url"`
}

func toBookmark(b *forum.Bookmark) bookmarkJSON {
	return bookmarkJSON{PostID: b.PostID, ThreadID: b.ThreadID, ThreadTitle: b.ThreadTitle, Position: b.Position,
		AuthorID: b.AuthorID, AuthorName: b.AuthorName, Excerpt: render.HTMLExcerpt(b.HTML, 160),
		PostedAt: b.PostedAt, BookmarkedAt: b.CreatedAt, Deleted: b.Deleted,
		URL: forum.PostURL(b.PostID), ThreadURL: fmt.Sprintf("/t/%d/%s", b.ThreadID, b.ThreadSlug)}
}

// bookmarks lists the caller's bookmarks, newest first.
func (a *API) bookmarks(w http.ResponseWriter, r *http.Request, c caller) {
	n, err := pageNum(r)
	if err != nil {
		a.error(w, r, err)
		return
	}
	list, err := a.svc.Bookmarks(r.Context(), c.member, n)
	if err != nil {
		a.error(w, r, err)
		return
	}
	out := make([]bookmarkJSON, 0, len(list.Bookmarks))
	for _, b := range list.Bookmarks {
		out = append(out, toBookmark(b))
	}
	a.json(w, http.StatusOK, map[string]any{"bookmarks": out, "page": list.Page, "pages": list.Pages, "total": list.Total})
}

func (a *API) bookmark(w http.ResponseWriter, r *http.Request, c caller) {
	a.postAction(w, r, c, func(ctx context.Context, m *forum.Member, id int64) error {
		return a.svc.SetBookmark(ctx, m, id, true)
	})
}

func (a *API) unbookmark(w http.ResponseWriter, r *http.Request, c caller) {
	a.postAction(w, r, c, func(ctx context.Context, m *forum.Member, id int64) error {
		return a.svc.SetBookmark(ctx, m, id, false)
	})
}
