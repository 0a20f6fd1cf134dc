package web

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"hearth/internal/forum"
)

// bookmarkButtons are the "bookmark" template rendered once per state
// with a marker id, cut at the marker: a thread page writes each post's
// button by copying the parts around its id, so the markup lives in the
// template while the page, filled per member (shells.go), executes no
// template per post.
type bookmarkButtons struct {
	off, on [][]byte
}

func newBookmarkButtons(t *templates) (*bookmarkButtons, error) {
	const marker = 918273645546372819 // no fixed text of the template holds it
	cut := func(on bool) ([][]byte, error) {
		var buf bytes.Buffer
		data := struct {
			ID int64
			On bool
		}{marker, on}
		if err := t.pages["thread"].ExecuteTemplate(&buf, "bookmark", data); err != nil {
			return nil, fmt.Errorf("render bookmark button: %w", err)
		}
		return bytes.Split(buf.Bytes(), []byte(strconv.FormatInt(marker, 10))), nil
	}
	off, err := cut(false)
	if err != nil {
		return nil, err
	}
	on, err := cut(true)
	return &bookmarkButtons{off: off, on: on}, err
}

// write writes the button of post id (its decimal digits), marked or not.
func (b *bookmarkButtons) write(out *bytes.Buffer, id string, marked bool) {
	parts := b.off
	if marked {
		parts = b.on
	}
	out.Write(parts[0])
	for _, p := range parts[1:] {
		out.WriteString(id)
		out.Write(p)
	}
}

// setBookmark bookmarks a post (on=1) or takes the bookmark back (on=0),
// then sends the member back: to their bookmarks page when they came from
// it, else to the post's page and anchor.
func (s *Server) setBookmark(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	on := r.PostFormValue("on") != "0"
	if err := s.svc.SetBookmark(r.Context(), actor(r), id, on); err != nil {
		s.error(w, r, err)
		return
	}
	if next := safeNext(r.PostFormValue("next")); next == "/bookmarks" || strings.HasPrefix(next, "/bookmarks?") {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	s.afterPost(w, r, id)
}

type bookmarksView struct {
	Page
	*forum.BookmarkList
	Items  []bookmarkItem
	Pager  pager
	Here   string // this page's address, where a removal comes back to
	Paused bool   // read-only mode: no removing either
}

type bookmarkItem struct {
	*forum.Bookmark
	Excerpt string
}

// bookmarks lists the member's bookmarks, newest first.
func (s *Server) bookmarks(w http.ResponseWriter, r *http.Request) {
	n, err := pageNum(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	list, err := s.svc.Bookmarks(r.Context(), actor(r), n)
	if errors.Is(err, forum.ErrNotFound) && n > 1 {
		// Past the end, as after removing the last one of a page.
		http.Redirect(w, r, "/bookmarks", http.StatusSeeOther)
		return
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	v := bookmarksView{Page: s.page(r, "Bookmarks"), BookmarkList: list, Pager: pager{"/bookmarks", n, list.Pages, ""},
		Here: pageURL("/bookmarks", n), Paused: s.writesPaused(actor(r))}
	if n > 1 {
		v.Title += " (page " + strconv.Itoa(n) + ")"
	}
	v.NoIndex = true
	for _, b := range list.Bookmarks {
		v.Items = append(v.Items, bookmarkItem{b, excerpt(b.HTML)})
	}
	s.render(w, r, http.StatusOK, "bookmarks", v)
}
