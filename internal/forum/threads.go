package forum

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ThreadList is one page of a category's threads.
type ThreadList struct {
	Category *Category
	Parent   *Category // nil for a top-level category
	Threads  []*Thread
	Page     int
	Pages    int
	Total    int
}

// ThreadPage is one page of a thread's posts.
type ThreadPage struct {
	Thread   *Thread
	Category *Category
	Parent   *Category
	Posts    []*Post // shared with the cache of thread pages: read, never change
	Page     int
	Pages    int
	// Version is the thread's version read before the page was: what
	// the surfaces' caches of the page rendered keep it under.
	Version Version
}

// NewThread is what a member provides to start a thread.
type NewThread struct {
	CategoryID int64
	Title      string
	Body       string
}

// Threads returns page (1-based) of a category's threads.
func (s *Service) Threads(ctx context.Context, actor *Member, categoryID int64, page int) (*ThreadList, error) {
	c, parent, err := s.Category(ctx, actor, categoryID)
	if err != nil {
		return nil, err
	}
	if page < 1 {
		return nil, ErrNotFound
	}
	per := s.ThreadsPerPage
	threads, total, err := s.store.ListThreads(ctx, ThreadFilter{
		CategoryID: c.ID, IncludeDeleted: actor.IsModerator(), MemberID: memberID(actor),
		Offset: (page - 1) * per, Limit: per,
	})
	if err != nil {
		return nil, fmt.Errorf("list threads of category %d: %w", c.ID, err)
	}
	n := pages(total, per)
	if page > n {
		return nil, ErrNotFound
	}
	return &ThreadList{Category: c, Parent: parent, Threads: threads, Page: page, Pages: n, Total: total}, nil
}

func memberID(m *Member) int64 {
	if m == nil {
		return 0
	}
	return m.ID
}

// thread loads a thread the actor may see, with its category and parent.
func (s *Service) thread(ctx context.Context, actor *Member, id int64) (*Thread, *Category, *Category, error) {
	t, err := s.store.ThreadByID(ctx, id)
	if err != nil {
		return nil, nil, nil, err
	}
	return s.visibleThread(ctx, actor, t)
}

// visibleThread returns t with its category and the category's parent if
// the actor may see them.
func (s *Service) visibleThread(ctx context.Context, actor *Member, t *Thread) (*Thread, *Category, *Category, error) {
	if t.Deleted() && !actor.IsModerator() {
		return nil, nil, nil, ErrNotFound
	}
	c, parent, err := s.categoryForThread(ctx, actor, t.CategoryID)
	if err != nil {
		return nil, nil, nil, err
	}
	return t, c, parent, nil
}

// threadStateBytes bounds the cache of threads as replies check them: a
// few hundred bytes each, so thousands of busy threads.
const threadStateBytes = 1 << 20

// replyThread is thread for a reply's checks, from a cache kept until the
// thread's state (deleted, locked, its category's rules) changes: a reply
// moves the thread's pages on but not its state, so on a busy thread the
// replies after the first read nothing for it (a read a reply, 7% of
// Hearth's CPU while posting). Its counts and last post may be old: the
// checks use none of them.
func (s *Service) replyThread(ctx context.Context, actor *Member, id int64) (*Thread, *Category, *Category, error) {
	v := s.changes.ThreadStateVersion(id) // before reading: a change meanwhile makes the entry stale, not wrong
	t, err := s.states.Load(id, v, func() (*Thread, int, error) {
		t, err := s.store.ThreadByID(ctx, id)
		if err != nil {
			return nil, 0, err
		}
		return t, 256 + len(t.Title) + len(t.Slug) + len(t.AuthorName) + len(t.LastPosterName), nil
	})
	if err != nil {
		return nil, nil, nil, err
	}
	return s.visibleThread(ctx, actor, t)
}

// Thread returns page (1-based) of a thread the actor may see, from the
// cache of thread pages when the thread has not changed since it was read.
// Deleted posts keep their place but lose their text for everyone except
// moderators.
func (s *Service) Thread(ctx context.Context, actor *Member, id int64, page int) (*ThreadPage, error) {
	per := s.PostsPerPage
	v := s.changes.ThreadVersion(id) // before reading: a write meanwhile makes the entry stale, not wrong
	e, err := s.threads.Load(threadPageKey{id, page}, v.Stamp, func() (*threadPageEntry, int, error) {
		t, c, parent, err := s.thread(ctx, actor, id)
		if err != nil {
			return nil, 0, err
		}
		if n := pages(t.LastPosition, per); page < 1 || page > n {
			return nil, 0, ErrNotFound
		}
		posts, err := s.store.ListPosts(ctx, t.ID, (page-1)*per+1, page*per)
		if err != nil {
			return nil, 0, fmt.Errorf("list posts of thread %d: %w", t.ID, err)
		}
		e := newThreadPageEntry(t, c, parent, posts)
		if e.shown = s.changes.Shows(v, e.members()); e.shown == nil {
			return e, -1, nil // a member changed while it was read: use it once, keep it not
		}
		return e, e.size(), nil
	})
	if err != nil {
		return nil, err
	}
	// Read for another reader maybe: this one may not see it all.
	if (e.thread.Deleted() && !actor.IsModerator()) || !visible(actor, e.category, e.parent) {
		return nil, ErrNotFound
	}
	return e.page(page, pages(e.thread.LastPosition, per), v, actor.IsModerator()), nil
}

// CreateThread starts a thread in a category the actor may see.
func (s *Service) CreateThread(ctx context.Context, actor *Member, nt NewThread) (*Thread, *Post, error) {
	if err := s.MayPost(actor); err != nil {
		return nil, nil, err
	}
	if err := s.allowPost(actor); err != nil {
		return nil, nil, err
	}
	c, parent, err := s.Category(ctx, actor, nt.CategoryID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, FieldError("category_id", "Category %d does not exist.", nt.CategoryID)
	}
	if err != nil {
		return nil, nil, err
	}
	if err := checkerMayPost(actor, c); err != nil {
		return nil, nil, err
	}
	title, err := text("title", "Title", nt.Title, minThreadTitleLen, MaxTitleLen)
	if err != nil {
		return nil, nil, err
	}
	p, err := s.newPost(actor, nt.Body)
	if err != nil {
		return nil, nil, err
	}
	t := &Thread{
		CategoryID: c.ID, AuthorID: actor.ID, AuthorName: actor.Name,
		Title: title, Slug: Slugify(title), CreatedAt: p.CreatedAt, LastPostAt: p.CreatedAt,
	}
	if err := s.store.CreateThread(ctx, t, p); err != nil {
		return nil, nil, fmt.Errorf("create thread: %w", err)
	}
	s.changes.PostAdded(t.ID, lists(c, parent)...)
	s.changes.LevelsChanged(actor.ID) // they track it now
	s.Viewed(actor, t.ID, 1)          // their own thread is neither new nor unread to them
	return t, p, nil
}

// Reply appends a post to a thread. With quotePostID, the quoted post is put
// on top as a linked quote, unless the body already links to it (the web
// form pre-fills the quote so the member can trim it).
func (s *Service) Reply(ctx context.Context, actor *Member, threadID int64, src string, quotePostID int64) (*Post, error) {
	if err := s.MayPost(actor); err != nil {
		return nil, err
	}
	if err := s.allowPost(actor); err != nil {
		return nil, err
	}
	t, c, parent, err := s.replyThread(ctx, actor, threadID)
	if err != nil {
		return nil, err
	}
	if err := checkerMayPost(actor, c); err != nil {
		return nil, err
	}
	if t.Deleted() {
		return nil, Errorf(EINVALID, "This thread was deleted; restore it before replying.")
	}
	if t.Locked && !actor.IsModerator() {
		return nil, Errorf(EFORBIDDEN, "This thread is locked: no new replies.")
	}
	if quotePostID != 0 {
		q, err := s.Post(ctx, actor, quotePostID)
		if err != nil || q.Deleted() {
			return nil, FieldError("quote_post_id", "The quoted post %d does not exist.", quotePostID)
		}
		link := PostURL(q.ID)
		if !strings.Contains(src, "("+link+")") {
			src = s.markup.Quote(q.AuthorName, link, q.Body) + src
		}
	}
	p, err := s.newPost(actor, src)
	if err != nil {
		return nil, err
	}
	p.ThreadID, p.QuotePostID = t.ID, quotePostID
	if err := s.store.CreatePost(ctx, p); err != nil {
		return nil, fmt.Errorf("reply to thread %d: %w", t.ID, err)
	}
	s.changes.PostAdded(t.ID, lists(c, parent)...)
	s.changes.LevelsChanged(actor.ID) // they track it now
	s.Viewed(actor, t.ID, p.Position) // their own reply is not unread to them
	return p, nil
}

// newPost validates and renders a body into an unsaved post by actor.
func (s *Service) newPost(actor *Member, src string) (*Post, error) {
	b, err := body(src)
	if err != nil {
		return nil, err
	}
	html, err := s.markup.Render(b)
	if err != nil {
		return nil, renderError(err, "render post")
	}
	return &Post{
		AuthorID: actor.ID, AuthorName: actor.Name, AuthorTitle: actor.Title, AuthorRole: actor.Role,
		Body: b, HTML: html, CreatedAt: s.now(),
	}, nil
}

// renderError passes on a body Markup refused as too big to render
// (EINVALID: the member is told what and keeps the text) and wraps
// anything else, which is an internal failure.
func renderError(err error, what string) error {
	if ErrorCode(err) == EINVALID {
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}

// MayPost returns nil if actor may post now (start threads, reply, edit),
// else the error to answer: a surface asks before reading the request.
func (s *Service) MayPost(actor *Member) error {
	if err := s.writable(actor); err != nil {
		return err
	}
	switch {
	case actor == nil:
		return Errorf(EUNAUTHORIZED, "Log in to post.")
	case actor.Status == StatusPending:
		return Errorf(EFORBIDDEN, "Your account is awaiting approval by an admin; you can post once it is approved.")
	case !actor.Active():
		return Errorf(EFORBIDDEN, "Your account cannot post.")
	case actor.Unconfirmed:
		return Errorf(EFORBIDDEN, "%s", ConfirmFirstMessage)
	}
	return nil
}

// PostURL is the permanent link of a post; it redirects to its page.
func PostURL(id int64) string { return fmt.Sprintf("/p/%d", id) }

// Post returns a post in a thread the actor may see.
func (s *Service) Post(ctx context.Context, actor *Member, id int64) (*Post, error) {
	p, err := s.store.PostByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, _, _, err := s.thread(ctx, actor, p.ThreadID); err != nil {
		return nil, err
	}
	if p.Deleted() && !actor.IsModerator() {
		hideText(p)
	}
	return p, nil
}

// hideText leaves of a deleted post what everyone but moderators sees of
// it: its place, author and times, not its text.
func hideText(p *Post) { p.Body, p.HTML = "", "" }

// PostLocation returns the thread of a post and the page it is on.
func (s *Service) PostLocation(ctx context.Context, actor *Member, id int64) (*Thread, int, error) {
	p, err := s.store.PostByID(ctx, id)
	if err != nil {
		return nil, 0, err
	}
	t, _, _, err := s.thread(ctx, actor, p.ThreadID)
	if err != nil {
		return nil, 0, err
	}
	return t, (p.Position-1)/s.PostsPerPage + 1, nil
}

// EditPost changes a post's body: the author's own, or any for moderators.
func (s *Service) EditPost(ctx context.Context, actor *Member, id int64, src string) (*Post, error) {
	p, t, _, err := s.ownPost(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if p.Deleted() {
		return nil, Errorf(EINVALID, "This post was deleted; restore it before editing.")
	}
	if t.Locked && !actor.IsModerator() {
		return nil, Errorf(EFORBIDDEN, "This thread is locked: posts can no longer be edited.")
	}
	if err := s.allowPost(actor); err != nil {
		return nil, err
	}
	b, err := body(src)
	if err != nil {
		return nil, err
	}
	html, err := s.markup.Render(b)
	if err != nil {
		return nil, renderError(err, fmt.Sprintf("render post %d", id))
	}
	p.Body, p.HTML, p.EditedAt, p.EditedBy = b, html, s.now(), actor.ID
	if err := s.store.UpdatePost(ctx, id, p.Body, p.HTML, p.EditedAt, p.EditedBy); err != nil {
		return nil, fmt.Errorf("edit post %d: %w", id, err)
	}
	s.changes.PostEdited(t.ID) // saved copies must not keep the old words
	return p, nil
}

// DeletePost soft-deletes a post: the author's own, or any for moderators.
// Deleting a thread's first post deletes the thread.
func (s *Service) DeletePost(ctx context.Context, actor *Member, id int64) error {
	p, _, cats, err := s.ownPost(ctx, actor, id)
	if err != nil {
		return err
	}
	defer s.changes.PostDeleted(p.ThreadID, cats...) // after the write, failed or not
	if err := s.store.SetPostDeleted(ctx, id, true, actor.ID, s.now()); err != nil {
		return err
	}
	return s.purgeCheckThread(ctx, p)
}

// UndoWindow is how long authors may restore a post they deleted
// themselves; moderators may restore any post at any time.
const UndoWindow = 10 * time.Minute

// CanUndoDelete reports whether actor may still restore deleted post p as
// its author: they deleted it themselves, within UndoWindow.
func (s *Service) CanUndoDelete(actor *Member, p *Post) bool {
	return actor != nil && p.Deleted() && p.AuthorID == actor.ID && p.DeletedBy == actor.ID &&
		s.now().Sub(p.DeletedAt) <= UndoWindow
}

// RestorePost undoes a deletion: moderators any, authors their own for
// UndoWindow after they deleted it (not one a moderator deleted).
func (s *Service) RestorePost(ctx context.Context, actor *Member, id int64) error {
	if actor == nil {
		return Errorf(EUNAUTHORIZED, "Log in to restore posts.")
	}
	if err := s.writable(actor); err != nil {
		return err
	}
	p, err := s.store.PostByID(ctx, id)
	if err != nil {
		return err
	}
	var t *Thread
	var c, parent *Category
	if actor.IsModerator() {
		if t, c, parent, err = s.thread(ctx, actor, p.ThreadID); err != nil {
			return err
		}
	} else {
		if err := s.MayPost(actor); err != nil {
			return err
		}
		if t, err = s.store.ThreadByID(ctx, p.ThreadID); err != nil {
			return err
		}
		if c, parent, err = s.Category(ctx, actor, t.CategoryID); err != nil {
			return err
		}
		// A deleted thread is the author's to bring back only when it was
		// deleted with its first post, this one.
		if t.Deleted() && p.Position != 1 {
			return ErrNotFound
		}
		if p.AuthorID != actor.ID {
			return Errorf(EFORBIDDEN, "Only moderators can restore others' posts.")
		}
		if !p.Deleted() {
			return nil
		}
		if !s.CanUndoDelete(actor, p) {
			return Errorf(EFORBIDDEN, "This post can no longer be restored: authors can undo a delete for %d minutes. A moderator can still restore it.", int(UndoWindow/time.Minute))
		}
	}
	defer s.changes.PostRestored(t.ID, lists(c, parent)...)
	return s.store.SetPostDeleted(ctx, id, false, actor.ID, s.now())
}

// ownPost loads a post the actor may change, its thread and the
// categories whose lists show the thread.
func (s *Service) ownPost(ctx context.Context, actor *Member, id int64) (*Post, *Thread, []int64, error) {
	if err := s.MayPost(actor); err != nil {
		return nil, nil, nil, err
	}
	p, err := s.store.PostByID(ctx, id)
	if err != nil {
		return nil, nil, nil, err
	}
	t, c, parent, err := s.thread(ctx, actor, p.ThreadID)
	if err != nil {
		return nil, nil, nil, err
	}
	if p.AuthorID != actor.ID && !actor.IsModerator() {
		return nil, nil, nil, Errorf(EFORBIDDEN, "You can only change your own posts.")
	}
	return p, t, lists(c, parent), nil
}

// lists returns the categories whose pages list a thread in c: c, and its
// parent, whose page shows its sub-categories' counts and latest posts.
func lists(c, parent *Category) []int64 {
	if parent != nil {
		return []int64{c.ID, parent.ID}
	}
	return []int64{c.ID}
}

// MayPinOrLock returns nil if actor may pin or lock threads now, else the
// error to answer: a surface asks before reading the request.
func (s *Service) MayPinOrLock(actor *Member) error {
	if !actor.IsModerator() {
		return Errorf(EFORBIDDEN, "Only moderators can pin or lock threads.")
	}
	return s.writable(actor)
}

// SetThreadFlags makes a thread sticky or locked (moderators).
func (s *Service) SetThreadFlags(ctx context.Context, actor *Member, id int64, sticky, locked bool) error {
	if err := s.MayPinOrLock(actor); err != nil {
		return err
	}
	t, c, parent, err := s.thread(ctx, actor, id)
	if err != nil {
		return err
	}
	defer s.changes.ThreadChanged(t.ID, lists(c, parent)...)
	return s.store.SetThreadFlags(ctx, id, sticky, locked)
}
