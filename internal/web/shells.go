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

	"hearth/internal/cache"
)

// Member thread pages are cached as shells: the page rendered once per
// thread version and kind of reader, with markers where the member's own
// parts go (their id and name in the header, the posts with their
// actions). Serving a member is then copying the shell and filling the
// three slots, instead of executing html/template, which was most of the
// cost of a member's page once its data came from caches. A shell is
// kept (internal/cache) under the version its thread page was read at
// (ThreadPage.Version): what it shows besides the reader's parts is the
// thread and its categories, and no other member.
type shellKey struct {
	thread                              int64
	page                                int
	mod, admin, active, canPost, paused bool
	unconfirmed                         bool
	banner                              string
	adminBadge                          int // the header's count for admins
}

type shellCache = cache.Cache[shellKey, *shell]

func newShellCache(maxBytes int) *shellCache {
	return cache.New[shellKey](cache.Options[*shell]{MaxBytes: maxBytes})
}

type shell struct {
	parts [][]byte // len(parts) == len(slots)+1
	slots []slot
}

// size is what a shell counts against the budget.
func (sh *shell) size() int {
	n := 64
	for _, p := range sh.parts {
		n += len(p) + 24
	}
	return n + 8*len(sh.slots)
}

type slot int

const (
	slotMemberID slot = iota
	slotMemberName
	slotPosts
	slotUnread // the bell's count
	slotLevel  // the reader's notification level form
	slotDraft  // the reader's draft in the reply box
)

// shellMarkers are the placeholders a shell is rendered with. They are
// drawn at random for each rendering, so no member text (a thread title, a
// name, a category description) can contain them: text written before the
// markers existed cannot know them. Fixed markers let a title holding the
// marker strings show each reader their own name and copy every post into
// the title.
type shellMarkers struct {
	id     int64  // the placeholder reader's id, rendered as digits
	name   string // the placeholder reader's name: letters and digits survive escaping
	posts  string
	unread int    // the placeholder bell count, digits too
	level  string // the level form
	draft  string // the reply box's text
}

func newShellMarkers() shellMarkers {
	var b [48]byte
	rand.Read(b[:])
	// A positive id of 18 digits (so it cannot collide with a real one,
	// which counts up from 1), the bell's count likewise; the name and
	// posts markers are hex.
	id := int64(binary.BigEndian.Uint64(b[:8])%9e17) + 1e17
	unread := int(binary.BigEndian.Uint64(b[24:32])%9e17) + 1e17
	return shellMarkers{
		id:     id,
		name:   "zzName" + hex.EncodeToString(b[8:16]) + "zz",
		posts:  "zzPosts" + hex.EncodeToString(b[16:24]) + "zz",
		unread: unread,
		level:  "zzLevel" + hex.EncodeToString(b[32:40]) + "zz",
		draft:  "zzDraft" + hex.EncodeToString(b[40:48]) + "zz",
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
		{[]byte(strconv.Itoa(m.unread)), slotUnread},
		{[]byte(m.level), slotLevel},
		{[]byte(m.draft), slotDraft},
	}
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
	if v.Flash != nil { // rare, and the member's own: not worth a shell
		html, err := s.postsHTML(v)
		if err != nil {
			s.error(w, r, err)
			return
		}
		f := s.tmpl.threadLevel[v.LevelForm.Shown()]
		v.PostsHTML, v.LevelHTML = html, template.HTML(f[0]+strconv.FormatInt(v.Thread.ID, 10)+f[1])
		s.render(w, r, http.StatusOK, "thread", v)
		return
	}
	k := shellKey{
		thread: v.Thread.ID, page: v.Pager.Page,
		mod: a.IsModerator(), admin: a.IsAdmin(), active: a.Active(), unconfirmed: a.Unconfirmed, canPost: v.CanReply, paused: v.Paused, banner: v.Banner + v.Incident.cacheKey(),
		adminBadge: v.AdminBadge,
	}
	// Kept under the version the page's data was read at, not the
	// thread's now: an edit landing since must leave the shell stale, not
	// stored as new.
	sh, err := s.shellCache.Load(k, v.TP.Version.Stamp, func() (*shell, int, error) {
		ms := newShellMarkers()
		ph := *a // the placeholder reader: same role and status, marked id and name
		ph.ID, ph.Name = ms.id, ms.name
		unread, draft := v.Unread, v.Reply.Values["body"]
		v.Actor, v.PostsHTML, v.Unread, v.LevelHTML = &ph, template.HTML(ms.posts), ms.unread, template.HTML(ms.level)
		v.Reply.Values["body"] = ms.draft
		defer func() { v.Unread, v.Reply.Values["body"] = unread, draft }()
		buf := bufPool.Get().(*bytes.Buffer)
		buf.Reset()
		defer bufPool.Put(buf)
		if err := s.tmpl.pages["thread"].Execute(buf, v); err != nil {
			return nil, 0, err
		}
		sh := splitShell(buf.Bytes(), ms) // copies out of buf
		return sh, sh.size(), nil
	})
	if err != nil {
		s.error(w, r, err)
		return
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
		case slotUnread:
			out.WriteString(strconv.Itoa(v.Unread))
		case slotLevel:
			f := s.tmpl.threadLevel[v.LevelForm.Shown()]
			out.WriteString(f[0])
			out.WriteString(strconv.FormatInt(v.Thread.ID, 10))
			out.WriteString(f[1])
		case slotDraft:
			out.WriteString(html.EscapeString(v.Reply.Values["body"]))
		}
		out.Write(sh.parts[i+1])
	}
	s.writeHTML(w, r, http.StatusOK, out.Bytes())
}
