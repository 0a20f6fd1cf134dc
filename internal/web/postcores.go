package web

import (
	"bytes"
	"fmt"
	"html/template"
	"strconv"
	"sync"

	"hearth/internal/forum"
)

// postCores caches each post's rendered header and body ("postcore" in
// thread.html). Executing html/template costs most of a member's thread
// page; the part of a post that is the same for every reader only needs
// rendering when its thread changes (forum.Changes), so a thread page
// executes the template for the actions alone.
type postCores struct {
	mu  sync.Mutex
	m   map[int64]postCore
	max int
}

type postCore struct {
	version forum.Version
	html    template.HTML
}

func newPostCores(max int) *postCores { return &postCores{m: map[int64]postCore{}, max: max} }

func (c *postCores) get(id int64, v forum.Version) (template.HTML, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[id]
	if !ok || e.version != v {
		return "", false
	}
	return e.html, true
}

func (c *postCores) put(id int64, v forum.Version, h template.HTML) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.m { // over budget: drop one at random (map order)
		if len(c.m) < c.max {
			break
		}
		delete(c.m, k)
	}
	c.m[id] = postCore{v, h}
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
	ver := s.svc.Changes().ThreadVersion(tp.Thread.ID)
	var buf bytes.Buffer
	for _, p := range tp.Posts {
		core, ok := s.coreCache.get(p.ID, ver)
		if !ok || p.Deleted() {
			buf.Reset()
			data := struct {
				Post  *forum.Post
				IsMod bool
			}{p, v.IsMod}
			if err := s.tmpl.pages["thread"].ExecuteTemplate(&buf, "postcore", data); err != nil {
				return fmt.Errorf("render post %d: %w", p.ID, err)
			}
			core = template.HTML(buf.String())
			if !p.Deleted() {
				s.coreCache.put(p.ID, ver, core)
			}
		}
		id := strconv.FormatInt(p.ID, 10)
		out.WriteString(`<article class="post`)
		if p.Deleted() {
			out.WriteString(" deleted")
		}
		out.WriteString(`" id="p` + id + `" aria-labelledby="p` + id + `-by">`)
		out.WriteString(string(core))
		if a != nil && !v.Paused {
			out.WriteString(`<footer class="actions">`)
			switch {
			case !p.Deleted():
				if v.CanReply {
					out.WriteString(`<a href="/t/` + strconv.FormatInt(tp.Thread.ID, 10) + `/reply?quote=` + id + `#body">Quote</a> `)
				}
				if p.AuthorID == a.ID || v.IsMod {
					out.WriteString(`<a href="/p/` + id + `/edit">Edit</a> <form method="post" action="/p/` + id +
						`/delete" class="inline"><button type="submit" class="link">Delete</button></form>`)
				}
			case v.IsMod:
				out.WriteString(`<form method="post" action="/p/` + id + `/restore" class="inline"><button type="submit" class="link">Restore</button></form>`)
			}
			out.WriteString(`</footer>`)
		}
		out.WriteString("</article>\n")
	}
	return nil
}
