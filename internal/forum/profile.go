package forum

import (
	"context"
	"time"
)

// ProfileStore is what a member's page shows beyond the member: what they
// wrote lately, when they were last seen.
type ProfileStore interface {
	// MemberThreads returns the newest threads member started that a
	// reader with access may read, at most limit: the permission is in the
	// query, as in every list.
	MemberThreads(ctx context.Context, member int64, access Access, limit int) ([]*Thread, error)
	// MemberPosts returns the member's newest replies (not first posts)
	// that access may read, at most limit, with an excerpt.
	MemberPosts(ctx context.Context, member int64, access Access, limit int) ([]*Bookmark, error)
	// LastSeen returns the member's last request on the site (zero if
	// never) and whether they hide it.
	LastSeen(ctx context.Context, member int64) (time.Time, bool, error)
	// SetHideLastSeen saves whether the member hides when they were last seen.
	SetHideLastSeen(ctx context.Context, member int64, hide bool) error
}

// ProfileActivity is what a member's page lists of their activity.
type ProfileActivity struct {
	Threads []*Thread
	// Posts are the newest replies, as bookmarks are listed: post,
	// thread and excerpt (PostedAt is the post's time).
	Posts []*Bookmark
	Likes []*Post // the posts the member liked lately
	// LastSeen is when the member was last on the site; zero when never,
	// or hidden from this reader.
	LastSeen time.Time
	// HideLastSeen is the member's setting (only for themselves and admins).
	HideLastSeen bool
}

// ProfileListLen is how many of each the profile shows.
const ProfileListLen = 10

// Activity returns the member's recent threads, replies and likes that
// actor may read, and when the member was last seen: shown to members,
// unless the member hides it (the member themselves and admins still see
// it). Guests never see it.
func (s *Service) Activity(ctx context.Context, actor *Member, id int64) (*ProfileActivity, error) {
	m, err := s.Member(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	access := AccessOf(actor)
	a := &ProfileActivity{}
	if a.Threads, err = s.store.MemberThreads(ctx, m.ID, access, ProfileListLen); err != nil {
		return nil, err
	}
	if a.Posts, err = s.store.MemberPosts(ctx, m.ID, access, ProfileListLen); err != nil {
		return nil, err
	}
	if a.Likes, err = s.store.MemberLikes(ctx, m.ID, VisibilityOf(actor), 0, ProfileListLen); err != nil {
		return nil, err
	}
	seen, hidden, err := s.store.LastSeen(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	self := actor != nil && actor.ID == m.ID
	if self || actor.IsAdmin() {
		a.HideLastSeen = hidden
	}
	if actor != nil && (!hidden || self || actor.IsAdmin()) {
		a.LastSeen = seen
	}
	return a, nil
}

// SetHideLastSeen saves whether member id hides when they were last seen:
// their own choice, or an admin's.
func (s *Service) SetHideLastSeen(ctx context.Context, actor *Member, id int64, hide bool) error {
	if actor == nil || (actor.ID != id && !actor.IsAdmin()) {
		return Errorf(EFORBIDDEN, "You can only change your own profile.")
	}
	if err := s.writable(actor); err != nil {
		return err
	}
	return s.store.SetHideLastSeen(ctx, id, hide)
}

// PendingCount is how many registrations await an admin's approval (at
// most 100 are counted): the admin header's badge.
func (s *Service) PendingCount(ctx context.Context, actor *Member) (int, error) {
	if !actor.IsAdmin() {
		return 0, Errorf(EFORBIDDEN, "Only admins can list members.")
	}
	ms, err := s.store.ListMembers(ctx, StatusPending, 100)
	return len(ms), err
}

// ThreadNeedsLogin reports whether a guest asking for thread id would read
// it as a member: it exists, is not deleted, and its category is
// members-only, not staff-only. The surfaces then ask the guest to log in
// instead of answering "not found". That tells a guest only that a
// members-only thread has this id; staff-only, deleted and missing
// threads stay the same "not found" for them.
func (s *Service) ThreadNeedsLogin(ctx context.Context, id int64) bool {
	t, err := s.store.ThreadByID(ctx, id)
	if err != nil || t.Deleted() {
		return false
	}
	c, err := s.store.CategoryByID(ctx, t.CategoryID)
	if err != nil {
		return false
	}
	var parent *Category
	if c.ParentID != 0 {
		if parent, err = s.store.CategoryByID(ctx, c.ParentID); err != nil {
			return false
		}
	}
	member := &Member{Role: RoleMember, Status: StatusActive}
	return !visible(nil, c, parent) && visible(member, c, parent)
}
