package forum

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Level is a member's notification level on a thread or a category, as
// stored in thread_members.level and category_members.level.
type Level int

const (
	LevelDefault  Level = -1 // no choice made: the category's level, or normal
	LevelMuted    Level = 0  // nothing, and the thread is hidden from lists
	LevelNormal   Level = 1  // mentions and replies to the member
	LevelTracking Level = 2  // as normal (the unread counts show)
	LevelWatching Level = 3  // every post (every new thread, for a category)
)

// Levels are the choices a member has, in the order forms show them.
var Levels = []Level{LevelWatching, LevelTracking, LevelNormal, LevelMuted}

// String is the level's name in forms and the API.
func (l Level) String() string {
	switch l {
	case LevelMuted:
		return "muted"
	case LevelNormal:
		return "normal"
	case LevelTracking:
		return "tracking"
	case LevelWatching:
		return "watching"
	}
	return "default"
}

// ParseLevel reads a level's name (or its number).
func ParseLevel(s string) (Level, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, l := range append(Levels, LevelDefault) {
		if s == l.String() || s == strconv.Itoa(int(l)) {
			return l, nil
		}
	}
	return 0, FieldError("level", "Choose a level: watching, tracking, normal or muted.")
}

// NotificationKind says why a member is notified.
type NotificationKind string

const (
	NotifyMention NotificationKind = "mention" // @handle in a post
	NotifyQuote   NotificationKind = "quote"   // a post quoting theirs
	NotifyReply   NotificationKind = "reply"   // a reply in their thread
	NotifyPost    NotificationKind = "post"    // a post in a thread they watch
	NotifyThread  NotificationKind = "thread"  // a new thread in a category they watch
	NotifyLike    NotificationKind = "like"    // a like of their post
)

// Notification is one row: one event, one recipient.
type Notification struct {
	ID          int64
	MemberID    int64
	Kind        NotificationKind
	GroupKey    string // what it is grouped with: its thread's posts, its post's likes
	EventID     int64
	ActorID     int64
	ActorName   string
	ThreadID    int64
	ThreadTitle string
	ThreadSlug  string
	PostID      int64
	CreatedAt   time.Time
	ReadAt      time.Time // zero while unread
}

// WatchScope names the watchers a notification step adds.
type WatchScope int

const (
	WatchNone     WatchScope = iota
	WatchThread              // members whose level on the thread (or its category) is watching
	WatchCategory            // members watching the category (or its parent)
)

// NotifyStep is one kind of notification for some members. A recipient
// gets one notification per event: that of the first step naming them.
type NotifyStep struct {
	Kind     NotificationKind
	Members  []int64
	Watchers WatchScope
}

// NotifyRequest is what one event notifies. The store leaves out the
// actor, members who are not active, who cannot see the category, and who
// muted the thread or the category, in the query; and inserts each row at
// most once per event, recipient and kind.
type NotifyRequest struct {
	EventID                               int64
	ActorID, CategoryID, ThreadID, PostID int64
	At                                    time.Time
	Steps                                 []NotifyStep
}

// NotifySource is what the notifications of an event about a post are
// made from: the post (without its author's details) and its thread's
// author and category.
type NotifySource struct {
	Post           Post
	ThreadAuthorID int64
	CategoryID     int64
}

// GroupKey is what a notification of kind about thread and post is
// grouped by: posts by thread, likes by post, the rest one by one.
func GroupKey(kind NotificationKind, thread, post int64) string {
	switch kind {
	case NotifyReply, NotifyPost:
		return "t" + strconv.FormatInt(thread, 10)
	case NotifyLike:
		return "l" + strconv.FormatInt(post, 10)
	}
	return string(kind[:1]) + strconv.FormatInt(post, 10)
}

// SocialStore is the part of Store for handles, likes, levels and
// notifications.
type SocialStore interface {
	// HandleOwner returns the member whose handle, or former handle, h is
	// (lower-case). ErrNotFound if none.
	HandleOwner(ctx context.Context, h string) (int64, error)
	// MembersByHandle returns the ids of the members whose current handles
	// are among hs; unknown handles are left out.
	MembersByHandle(ctx context.Context, hs []string) (map[string]int64, error)
	// SetHandle changes a member's handle, keeping the old one for
	// redirects. ErrHandleTaken if another member has it.
	SetHandle(ctx context.Context, id int64, h string, at time.Time) error

	// LikePost records member's like of a post and counts it; false if it
	// was liked already. UnlikePost takes it back; false if it was not.
	LikePost(ctx context.Context, member, post int64, at time.Time) (bool, error)
	UnlikePost(ctx context.Context, member, post int64) (bool, error)
	// LikedPosts returns which posts of a thread with positions in
	// [from, to] member liked.
	LikedPosts(ctx context.Context, member, thread int64, from, to int) (map[int64]bool, error)
	// MemberLikes returns the posts a member liked, newest like first, in
	// categories the viewer may see (f), deleted ones left out.
	MemberLikes(ctx context.Context, member int64, f Visibility, offset, limit int) ([]*Post, error)

	// SetThreadLevel and SetCategoryLevel save a member's level
	// (LevelDefault clears it), and nothing else of the row.
	SetThreadLevel(ctx context.Context, member, thread int64, l Level) error
	SetCategoryLevel(ctx context.Context, member, category int64, l Level) error
	// ThreadLevel and CategoryLevel return the level chosen, or LevelDefault.
	ThreadLevel(ctx context.Context, member, thread int64) (Level, error)
	CategoryLevel(ctx context.Context, member, category int64) (Level, error)

	// AddNotifications writes what the requests notify, in one transaction;
	// writing the same requests again adds nothing. It returns the members
	// notified (0: too many to name).
	AddNotifications(ctx context.Context, rs []NotifyRequest) ([]int64, error)
	// Notifications returns a member's newest notifications, at most limit,
	// with actor names and thread titles.
	Notifications(ctx context.Context, member int64, limit int) ([]*Notification, error)
	// UnreadNotifications counts a member's unread notification groups.
	UnreadNotifications(ctx context.Context, member int64) (int, error)
	// MarkNotificationRead marks notification id and the rest of its group
	// read; ErrNotFound if it is not the member's.
	MarkNotificationRead(ctx context.Context, member, id int64, at time.Time) error
	// MarkAllNotificationsRead marks every notification of member read.
	MarkAllNotificationsRead(ctx context.Context, member int64, at time.Time) error
}

// Visibility is what a reader may see, for queries that filter by it.
type Visibility struct {
	Member bool // members-only categories
	Staff  bool // staff-only categories
}

// VisibilityOf returns what actor may see.
func VisibilityOf(actor *Member) Visibility {
	return Visibility{Member: actor.Active(), Staff: actor.IsModerator()}
}

// MemberByHandle returns the member whose handle, or former handle, h is,
// and whether h is their handle now.
func (s *Service) MemberByHandle(ctx context.Context, actor *Member, h string) (*Member, bool, error) {
	h, ok := NormalizeHandle(h)
	if !ok {
		return nil, false, ErrNotFound
	}
	id, err := s.store.HandleOwner(ctx, h)
	if err != nil {
		return nil, false, err
	}
	m, err := s.Member(ctx, actor, id)
	if err != nil {
		return nil, false, err
	}
	return m, m.Handle == h, nil
}

// SetHandle changes a member's handle (their own; admins any). The old
// one keeps leading to the member.
func (s *Service) SetHandle(ctx context.Context, actor *Member, id int64, handle string) (*Member, error) {
	if actor == nil || (actor.ID != id && !actor.IsAdmin()) {
		return nil, Errorf(EFORBIDDEN, "You can only edit your own profile.")
	}
	if err := s.writable(actor); err != nil {
		return nil, err
	}
	h, err := handleField(handle)
	if err != nil {
		return nil, err
	}
	m, err := s.store.MemberByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if m.Handle == h {
		return m, nil
	}
	if err := s.store.SetHandle(ctx, id, h, s.now()); err != nil {
		if errors.Is(err, ErrHandleTaken) {
			return nil, handleTaken(h)
		}
		return nil, fmt.Errorf("set handle of member %d: %w", id, err)
	}
	m.Handle = h
	s.changes.MemberChanged(id)
	return m, nil
}

func handleTaken(h string) error {
	return FieldError("handle", "The handle @%s is taken: choose another.", h)
}

// likable loads a post the actor may like or unlike.
func (s *Service) likable(ctx context.Context, actor *Member, id int64) (*Post, *Thread, []int64, error) {
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
	if p.Deleted() {
		return nil, nil, nil, ErrNotFound
	}
	if p.AuthorID == actor.ID {
		return nil, nil, nil, Errorf(EINVALID, "You cannot like your own post.")
	}
	return p, t, lists(c, parent), nil
}

// Like records the actor's like of a post (not their own). Liking twice
// is one like.
func (s *Service) Like(ctx context.Context, actor *Member, id int64) error {
	p, _, _, err := s.likable(ctx, actor, id)
	if err != nil {
		return err
	}
	if _, err := s.store.LikePost(ctx, actor.ID, id, s.now()); err != nil {
		return fmt.Errorf("like post %d: %w", id, err)
	}
	s.changes.PostLiked(p.ThreadID)
	return nil
}

// Unlike takes the actor's like of a post back.
func (s *Service) Unlike(ctx context.Context, actor *Member, id int64) error {
	p, _, _, err := s.likable(ctx, actor, id)
	if err != nil {
		return err
	}
	if _, err := s.store.UnlikePost(ctx, actor.ID, id); err != nil {
		return fmt.Errorf("unlike post %d: %w", id, err)
	}
	s.changes.PostLiked(p.ThreadID)
	return nil
}

// LikedPosts returns which posts of a thread page the actor liked (none
// for guests). A page whose posts nobody liked costs no query.
func (s *Service) LikedPosts(ctx context.Context, actor *Member, tp *ThreadPage) (map[int64]bool, error) {
	if actor == nil || len(tp.Posts) == 0 {
		return nil, nil
	}
	liked := false
	for _, p := range tp.Posts {
		liked = liked || p.LikeCount > 0
	}
	if !liked {
		return nil, nil
	}
	return s.store.LikedPosts(ctx, actor.ID, tp.Thread.ID, tp.Posts[0].Position, tp.Posts[len(tp.Posts)-1].Position)
}

// MemberLikes returns page (1-based, 30 a page) of the posts member id
// liked that the actor may see.
func (s *Service) MemberLikes(ctx context.Context, actor *Member, id int64, page int) ([]*Post, error) {
	if _, err := s.Member(ctx, actor, id); err != nil {
		return nil, err
	}
	if page < 1 {
		return nil, ErrNotFound
	}
	const per = 30
	return s.store.MemberLikes(ctx, id, VisibilityOf(actor), (page-1)*per, per)
}

// mayChooseLevel refuses guests.
func mayChooseLevel(actor *Member) error {
	if actor == nil {
		return Errorf(EUNAUTHORIZED, "Log in to choose what you hear about.")
	}
	if actor.Status == StatusSuspended {
		return Errorf(EFORBIDDEN, "Your account cannot do this.")
	}
	return nil
}

// SetThreadLevel sets the actor's level on a thread they may see. A muted
// thread leaves the actor's category lists.
func (s *Service) SetThreadLevel(ctx context.Context, actor *Member, id int64, l Level) error {
	if err := mayChooseLevel(actor); err != nil {
		return err
	}
	if _, _, _, err := s.thread(ctx, actor, id); err != nil {
		return err
	}
	if err := s.store.SetThreadLevel(ctx, actor.ID, id, l); err != nil {
		return err
	}
	s.changes.LevelsChanged(actor.ID)
	return nil
}

// CategoryLevel returns the actor's level on a category.
func (s *Service) CategoryLevel(ctx context.Context, actor *Member, id int64) (Level, error) {
	if actor == nil {
		return LevelDefault, nil
	}
	return s.store.CategoryLevel(ctx, actor.ID, id)
}

// SetCategoryLevel sets the actor's level on a category they may see.
func (s *Service) SetCategoryLevel(ctx context.Context, actor *Member, id int64, l Level) error {
	if err := mayChooseLevel(actor); err != nil {
		return err
	}
	if _, _, err := s.Category(ctx, actor, id); err != nil {
		return err
	}
	if err := s.store.SetCategoryLevel(ctx, actor.ID, id, l); err != nil {
		return err
	}
	s.changes.LevelsChanged(actor.ID)
	return nil
}

// NotificationGroup is what the bell lists: one notification, or several
// grouped (a thread's new posts, a post's likes).
type NotificationGroup struct {
	ID          int64 // the newest notification's: marking it read marks the group
	Kind        NotificationKind
	Count       int
	Actors      []string // distinct names, newest first
	ThreadID    int64
	ThreadTitle string
	ThreadSlug  string
	PostID      int64 // the newest post: where the group leads
	CreatedAt   time.Time
	Unread      bool
}

// Text says what happened, in a sentence without the thread's title:
// "Ada and 4 others liked your post in", "3 new replies in".
func (g *NotificationGroup) Text() string {
	who := ""
	if len(g.Actors) > 0 {
		who = g.Actors[0]
		switch n := len(g.Actors) - 1; {
		case n == 1:
			who += " and " + g.Actors[1]
		case n > 1:
			who += " and " + strconv.Itoa(n) + " others"
		}
	}
	switch g.Kind {
	case NotifyLike:
		return who + " liked your post in"
	case NotifyMention:
		return who + " mentioned you in"
	case NotifyQuote:
		return who + " quoted you in"
	case NotifyThread:
		return who + " started a thread in a category you watch:"
	case NotifyReply:
		if g.Count > 1 {
			return strconv.Itoa(g.Count) + " new replies in"
		}
		return who + " replied in"
	}
	if g.Count > 1 {
		return strconv.Itoa(g.Count) + " new posts in"
	}
	return who + " posted in"
}

// maxNotifications bounds the rows the notifications page groups.
const maxNotifications = 200

// Notifications returns the actor's notifications, grouped, newest first.
func (s *Service) Notifications(ctx context.Context, actor *Member) ([]*NotificationGroup, error) {
	if actor == nil {
		return nil, Errorf(EUNAUTHORIZED, "Log in to see your notifications.")
	}
	ns, err := s.store.Notifications(ctx, actor.ID, maxNotifications)
	if err != nil {
		return nil, err
	}
	return GroupNotifications(ns), nil
}

// GroupNotifications groups rows (newest first) by their group key,
// unread ones apart from read ones, keeping the order of each group's
// newest row.
func GroupNotifications(ns []*Notification) []*NotificationGroup {
	var out []*NotificationGroup
	at := map[string]*NotificationGroup{}
	seen := map[*NotificationGroup]map[string]bool{}
	for _, n := range ns {
		unread := n.ReadAt.IsZero()
		key := n.GroupKey + "/" + strconv.FormatBool(unread)
		g := at[key]
		if g == nil {
			g = &NotificationGroup{ID: n.ID, Kind: n.Kind, ThreadID: n.ThreadID, ThreadTitle: n.ThreadTitle,
				ThreadSlug: n.ThreadSlug, PostID: n.PostID, CreatedAt: n.CreatedAt, Unread: unread}
			at[key], seen[g] = g, map[string]bool{}
			out = append(out, g)
		}
		g.Count++
		if n.Kind == NotifyReply && g.Kind == NotifyPost {
			g.Kind = NotifyReply // replies to you, with the thread's other posts
		}
		if !seen[g][n.ActorName] {
			seen[g][n.ActorName] = true
			g.Actors = append(g.Actors, n.ActorName)
		}
	}
	return out
}

// MarkNotificationRead marks one of the actor's notifications (and its
// group) read.
func (s *Service) MarkNotificationRead(ctx context.Context, actor *Member, id int64) error {
	if actor == nil {
		return Errorf(EUNAUTHORIZED, "Log in to see your notifications.")
	}
	if err := s.store.MarkNotificationRead(ctx, actor.ID, id, s.now()); err != nil {
		return err
	}
	s.changes.NotificationsChanged(actor.ID)
	return nil
}

// MarkAllNotificationsRead marks all of the actor's notifications read.
func (s *Service) MarkAllNotificationsRead(ctx context.Context, actor *Member) error {
	if actor == nil {
		return Errorf(EUNAUTHORIZED, "Log in to see your notifications.")
	}
	if err := s.store.MarkAllNotificationsRead(ctx, actor.ID, s.now()); err != nil {
		return err
	}
	s.changes.NotificationsChanged(actor.ID)
	return nil
}
