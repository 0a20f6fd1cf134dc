package api

import (
	"net/http"
	"time"

	"hearth/internal/forum"
	"hearth/internal/httperr"
)

type searchHitJSON struct {
	PostID       int64     `json:"post_id"`
	ThreadID     int64     `json:"thread_id"`
	ThreadTitle  string    `json:"thread_title"`
	CategoryID   int64     `json:"category_id"`
	CategoryName string    `json:"category_name"`
	AuthorID     int64     `json:"author_id"`
	AuthorName   string    `json:"author_name"`
	Position     int       `json:"position"`
	CreatedAt    time.Time `json:"created_at"`
	Deleted      bool      `json:"deleted,omitempty"`
	URL          string    `json:"url"`
	// HTML: the text escaped, the matching words in <mark>; nothing else.
	Snippet   string `json:"snippet_html"`
	TitleHTML string `json:"thread_title_html"`
}

// search answers GET /api/v1/search?q=&category=&author=&thread=&first=&from=&to=&page=.
func (a *API) search(w http.ResponseWriter, r *http.Request, c caller) {
	in, err := httperr.ParseSearch(r)
	if err != nil {
		a.error(w, r, err)
		return
	}
	res, err := a.svc.Search(r.Context(), c.member, in)
	if err != nil {
		a.error(w, r, err)
		return
	}
	out := make([]searchHitJSON, 0, len(res.Hits))
	for _, h := range res.Hits {
		out = append(out, searchHitJSON{PostID: h.PostID, ThreadID: h.ThreadID, ThreadTitle: h.ThreadTitle,
			CategoryID: h.CategoryID, CategoryName: h.CategoryName, AuthorID: h.AuthorID, AuthorName: h.AuthorName,
			Position: h.Position, CreatedAt: h.CreatedAt, Deleted: h.Deleted, URL: forum.PostURL(h.PostID),
			Snippet: h.Snippet, TitleHTML: h.TitleHTML})
	}
	a.json(w, http.StatusOK, map[string]any{
		"query": res.Query, "results": out, "total": res.Total, "more": res.More,
		"page": res.Page, "pages": res.Pages, "message": res.Message,
	})
}
