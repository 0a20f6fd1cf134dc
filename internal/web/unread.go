package web

import (
	"net/http"
	"strconv"

	"hearth/internal/forum"
)

// Unread markers. Members' list pages are rendered for each of them (only
// guests' are cached whole), so the markers are part of the rendering:
// one query for a page's threads, two for the front page's counts. The
// member thread page keeps its shell: reading it only records the
// position in the service's buffer, and the markers live on the lists.

// unreadMark is a thread's marker on a list: what is unread and the link
// to the first post not read.
type unreadMark struct {
	forum.ThreadUnread
	URL string
}

// unreadMarks returns the markers of a list's threads for actor, nil for
// a guest.
func (s *Server) unreadMarks(r *http.Request, threads []*forum.Thread) (map[int64]*unreadMark, error) {
	us, err := s.svc.ThreadsUnread(r.Context(), actor(r), threads)
	if err != nil || us == nil {
		return nil, err
	}
	out := make(map[int64]*unreadMark, len(us))
	for _, t := range threads {
		u := us[t.ID]
		if u.Unread == 0 && !u.New {
			continue
		}
		out[t.ID] = &unreadMark{ThreadUnread: u, URL: s.firstUnreadURL(t, u)}
	}
	return out, nil
}

// firstUnreadURL is the page and anchor of the first post u has not read
// of t: /t/{id}/{slug}?page=N#n{position} (every post carries its
// position as an anchor, so no post id needs looking up).
func (s *Server) firstUnreadURL(t *forum.Thread, u forum.ThreadUnread) string {
	pos := max(u.FirstUnread(), 1)
	return pageURL(threadURL(t), (pos-1)/s.svc.PostsPerPage+1) + "#n" + strconv.Itoa(pos)
}

// catRow is a category on the front page with the reader's counts.
type catRow struct {
	*forum.Category
	Unread *forum.CategoryUnread // nil for guests and when nothing is new or unread
	Clock  clock
}

// rowOf is the template function pairing a category with its counts.
func rowOf(c *forum.Category, counts map[int64]forum.CategoryUnread, cl clock) catRow {
	row := catRow{Category: c, Clock: cl}
	if n, ok := counts[c.ID]; ok && (n.New > 0 || n.Unread > 0) {
		row.Unread = &n
	}
	return row
}

// markCategoryRead is "Mark this category read" (and its sub-categories).
func (s *Server) markCategoryRead(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.svc.MarkCategoryRead(r.Context(), actor(r), id); err != nil {
		s.error(w, r, err)
		return
	}
	c, _, err := s.svc.Category(r.Context(), actor(r), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	http.Redirect(w, r, categoryURL(c), http.StatusSeeOther)
}

// markAllRead is "Mark everything read" on the front page.
func (s *Server) markAllRead(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.MarkAllRead(r.Context(), actor(r)); err != nil {
		s.error(w, r, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
