package web

import (
	"bytes"
	"fmt"
	"html/template"
	"strconv"
	"time"

	"hearth/internal/cache"
	"hearth/internal/forum"
)

// postCores keeps each post's rendered header and body ("postcore" in
// thread.html; internal/cache). Executing html/template costs most of a
// member's thread page; the part of a post that is the same for every
// reader only needs rendering when its thread or its author changes, so
// a thread page executes the template for the actions alone. A core is
// kept under the version its thread page was read at (ThreadPage.Version),
// never one read after the data, and with its author (forum.Shown): a
// rename renders again that member's posts, not their neighbours'.
type postCores = cache.Cache[int64, postCore]

type postCore struct {
	// parts are the core's HTML cut where its times go (see times.go):
	// len(parts) == len(times)+1. The times are written per reader, in
	// their zone and relative to now, so no reader's zone is cached.
	parts []string
	times []time.Time
	shown *forum.Shown
}

func (c postCore) size() int {
	n := 96 + 24*len(c.times)
	for _, p := range c.parts {
		n += len(p) + 16
	}
	return n
}

func newPostCores(ch *forum.Changes, maxBytes int) *postCores {
	return cache.New[int64](cache.Options[postCore]{
		MaxBytes: maxBytes,
		Current:  func(c postCore) bool { return ch.Current(c.shown) },
	})
}

// postsHTML renders the posts of a thread page: each post's core from the
// cache (or the "postcore" template), then the actions this reader may
// take on it. The actions are written here rather than in the template:
// they hold only numbers and fixed words, and executing html/template for
// them on every post was most of a member's page. Deleted posts differ
// between moderators and members and are rare, so they are rendered each time.
func (s *Server) postsHTML(v *threadView) (template.HTML, error) {
	var out bytes.Buffer
	out.Grow(len(v.TP.Posts) * 2048)
	if err := s.writePosts(&out, v); err != nil {
		return "", err
	}
	return template.HTML(out.String()), nil
}

// writePosts writes the posts of a thread page to out (see postsHTML).
func (s *Server) writePosts(out *bytes.Buffer, v *threadView) error {
	tp, a := v.TP, v.Actor
	ver, ch := tp.Version.Stamp, s.svc.Changes()
	var buf bytes.Buffer
	for _, p := range tp.Posts {
		core, ok := s.coreCache.Get(p.ID, ver)
		if !ok || p.Deleted() {
			buf.Reset()
			marks := newTimeMarks()
			data := struct {
				Post  *forum.Post
				IsMod bool
				Clock clock
			}{p, v.IsMod, clock{marks: marks}}
			if err := s.tmpl.pages["thread"].ExecuteTemplate(&buf, "postcore", data); err != nil {
				return fmt.Errorf("render post %d: %w", p.ID, err)
			}
			parts, cut := cutTimes(buf.String(), marks)
			if !cut {
				return fmt.Errorf("render post %d: %d time markers for %d times", p.ID, len(parts)-1, len(marks.times))
			}
			core = postCore{parts: parts, times: marks.times}
			// The page's data is current (it came from the store after
			// tp.Version was read, or from a cache that checked it), so
			// the author's count now is the one it was read at, unless
			// a member changed since tp.Version: then Shows says no.
			if shown := ch.Shows(tp.Version, []int64{p.AuthorID}); shown != nil && !p.Deleted() {
				core.shown = shown
				s.coreCache.Put(p.ID, ver, core, core.size())
			}
		}
		id := strconv.FormatInt(p.ID, 10)
		out.WriteString(`<article class="post`)
		if p.Deleted() {
			out.WriteString(" deleted")
		}
		out.WriteString(`" id="p`)
		out.WriteString(id)
		out.WriteString(`" aria-labelledby="p`)
		out.WriteString(id)
		out.WriteString(`-by">`)
		out.WriteString(core.parts[0])
		for i, t := range core.times {
			writeTime(out, v.Clock, t)
			out.WriteString(core.parts[i+1])
		}
		if a != nil && !v.Paused {
			out.WriteString(`<footer class="actions">`)
			switch {
			case !p.Deleted():
				if v.CanReply {
					out.WriteString(`<a href="/t/`)
					out.Write(strconv.AppendInt(out.AvailableBuffer(), tp.Thread.ID, 10))
					out.WriteString(`/reply?quote=`)
					out.WriteString(id)
					out.WriteString(`#body">Quote</a> `)
				}
				if p.AuthorID != a.ID && a.Active() {
					f := s.tmpl.like[b2i(v.Liked[p.ID])]
					out.WriteString(f[0])
					out.WriteString(id)
					out.WriteString(f[1])
					out.WriteByte(' ')
				}
				s.bookmarkButtons.write(out, id, v.Marks.Has(p.ID))
				out.WriteByte(' ')
				if p.AuthorID == a.ID || v.IsMod {
					// Delete asks first, on its own page (GET /p/{id}/delete).
					out.WriteString(`<a href="/p/`)
					out.WriteString(id)
					out.WriteString(`/edit">Edit</a> <a href="/p/`)
					out.WriteString(id)
					out.WriteString(`/delete">Delete</a>`)
				}
			case v.IsMod:
				out.WriteString(`<form method="post" action="/p/` + id + `/restore" class="inline"><button type="submit" class="link">Restore</button></form>`)
			case s.svc.CanUndoDelete(a, p): // the author, for a few minutes
				out.WriteString(`<form method="post" action="/p/` + id + `/restore" class="inline"><button type="submit" class="link">Undo delete</button></form>`)
			}
			out.WriteString(`</footer>`)
		}
		out.WriteString("</article>\n")
	}
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
