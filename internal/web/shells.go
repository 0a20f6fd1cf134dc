package web

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"html"
	"html/template"
	"net/http"
	"strconv"
	"sync"

	"hearth/internal/forum"
)

// Member thread pages are cached as shells: the page rendered once per
// thread version and kind of reader, with markers where the member's own
// parts go (their id and name in the header, the posts with their
// actions). Serving a member is then copying the shell and filling the
// three slots, instead of executing html/template, which was most of the
// cost of a member's page once its data came from caches.
type shellKey struct {
	thread                              int64
	page                                int
	version                             forum.Version
	mod, admin, active, canPost, paused bool
	banner                              string
}

type shell struct {
	parts [][]byte // len(parts) == len(slots)+1
	slots []slot
}

type slot int

const (
	slotMemberID slot = iota
	slotMemberName
	slotPosts
)

const maxShells = 2000

// shellMarkers are the placeholders a shell is rendered with. They are
// drawn at random for each rendering, so no member text (a thread title, a
// name, a category description) can contain them: text written before the
// markers existed cannot know them. Fixed markers let a title holding the
// marker strings show each reader their own name and copy every post into
// the title.
type shellMarkers struct {
	id    int64  // the placeholder reader's id, rendered as digits
	name  string // the placeholder reader's name: letters and digits survive escaping
	posts string
}

func newShellMarkers() shellMarkers {
	var b [24]byte
	rand.Read(b[:])
	// A positive id of 18 digits (so it cannot collide with a real one,
	// which counts up from 1); the name and posts markers are hex.
	id := int64(binary.BigEndian.Uint64(b[:8])%9e17) + 1e17
	return shellMarkers{
		id:    id,
		name:  "zzName" + hex.EncodeToString(b[8:16]) + "zz",
		posts: "zzPosts" + hex.EncodeToString(b[16:24]) + "zz",
	}
}

func (m shellMarkers) list() []struct {
	text []byte
	slot slot
} {
	return []struct {
		text []byte
		slot slot
	}{
		{[]byte(strconv.FormatInt(m.id, 10)), slotMemberID},
		{[]byte(m.name), slotMemberName},
		{[]byte(m.posts), slotPosts},
	}
}

type shells struct {
	mu sync.Mutex
	m  map[shellKey]*shell
}

func (c *shells) get(k shellKey) (*shell, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	sh, ok := c.m[k]
	return sh, ok
}

func (c *shells) put(k shellKey, sh *shell) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxShells {
		c.m = map[shellKey]*shell{} // versions move on: start afresh rather than track age
	}
	c.m[k] = sh
}

// splitShell cuts a page rendered with ms at its markers.
func splitShell(page []byte, ms shellMarkers) *shell {
	sh := &shell{}
	markers := ms.list()
	for {
		at, which := -1, 0
		for i, m := range markers {
			if j := bytes.Index(page, m.text); j >= 0 && (at < 0 || j < at) {
				at, which = j, i
			}
		}
		if at < 0 {
			sh.parts = append(sh.parts, bytes.Clone(page))
			return sh
		}
		sh.parts = append(sh.parts, bytes.Clone(page[:at]))
		sh.slots = append(sh.slots, markers[which].slot)
		page = page[at+len(markers[which].text):]
	}
}

// memberThread serves a member's thread page from its shell, rendering the
// shell first if this version has none yet.
func (s *Server) memberThread(w http.ResponseWriter, r *http.Request, v *threadView) {
	a := v.Actor
	k := shellKey{
		thread: v.Thread.ID, page: v.Pager.Page, version: s.svc.Changes().ThreadVersion(v.Thread.ID),
		mod: a.IsModerator(), admin: a.IsAdmin(), active: a.Active(), canPost: v.CanReply, paused: v.Paused, banner: v.Banner,
	}
	sh, ok := s.shellCache.get(k)
	if !ok {
		ms := newShellMarkers()
		ph := *a // the placeholder reader: same role and status, marked id and name
		ph.ID, ph.Name = ms.id, ms.name
		v.Actor, v.PostsHTML = &ph, template.HTML(ms.posts)
		buf := bufPool.Get().(*bytes.Buffer)
		buf.Reset()
		defer bufPool.Put(buf)
		if err := s.tmpl.pages["thread"].Execute(buf, v); err != nil {
			s.error(w, r, err)
			return
		}
		sh = splitShell(buf.Bytes(), ms)
		s.shellCache.put(k, sh)
	}
	out := bufPool.Get().(*bytes.Buffer)
	out.Reset()
	defer bufPool.Put(out)
	v.Actor = a
	out.Write(sh.parts[0])
	for i, sl := range sh.slots {
		switch sl {
		case slotMemberID:
			out.WriteString(strconv.FormatInt(a.ID, 10))
		case slotMemberName:
			out.WriteString(html.EscapeString(a.Name))
		case slotPosts:
			if err := s.writePosts(out, v); err != nil {
				s.error(w, r, err)
				return
			}
		}
		out.Write(sh.parts[i+1])
	}
	s.writeHTML(w, r, http.StatusOK, out.Bytes())
}
