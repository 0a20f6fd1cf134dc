package forum

import (
	"context"
	"sync"
	"time"
)

// ApplyEvent records what an event from the stream changed, for this
// process's caches: the tailer calls it for events written by other nodes
// (or other processes on the same database, such as hearth repair). The
// service records its own writes as it makes them; applying one twice only
// costs a page rendered again.
func (s *Service) ApplyEvent(e Event) {
	c := s.changes
	switch e.Kind {
	case EventPostCreated, EventThreadCreated:
		c.PostAdded(e.ThreadID, s.listsOf(e.CategoryID)...)
		c.LevelsChanged(e.MemberID) // posting starts tracking the thread
	case EventPostRestored, EventThreadRestored:
		c.PostRestored(e.ThreadID, s.listsOf(e.CategoryID)...)
		if e.Kind == EventThreadRestored {
			c.NotificationsChanged(0)
		}
	case EventThreadFlags:
		c.ThreadChanged(e.ThreadID, s.listsOf(e.CategoryID)...)
	case EventPostEdited:
		c.PostEdited(e.ThreadID)
	case EventPostLiked, EventPostUnliked:
		c.PostLiked(e.ThreadID)
	case EventPostDeleted, EventThreadDeleted:
		c.PostDeleted(e.ThreadID, s.listsOf(e.CategoryID)...)
		if e.Kind == EventThreadDeleted {
			c.NotificationsChanged(0) // bells leave deleted threads out
		}
	case EventMemberJoined, EventMemberProfile, EventMemberRole, EventMemberApproved,
		EventMemberSuspended, EventMemberReactivated, EventMemberStatus, EventMemberConfirmed, EventMailBounced, EventMailResumed:
		c.MemberChanged(e.MemberID)
	case EventMemberPassword, EventSessionEnded:
		c.SessionsEnded(e.MemberID)
	case EventBookmarkAdded, EventBookmarkRemoved:
		c.BookmarksChanged(e.MemberID)
	case EventNotified:
		c.NotificationsChanged(e.MemberID)
	case EventLevelChanged:
		c.LevelsChanged(e.MemberID)
	case EventDraftsChanged:
		c.DraftsChanged(e.MemberID)
	case EventCategoryCreated, EventCategoryChanged:
		s.parents.forget()
		c.VisibilityChanged() // it may have become members- or staff-only, or moved
	case EventSettingChanged:
		s.community.forget() // perhaps the community's settings: read them again
		c.ForumChanged()
	case EventMemberMailPrefs:
		c.PrefsChanged(e.MemberID) // the time zone the member's pages show times in
	default:
		// Settings, the mode, recounts and imports may show on any page.
		c.ForumChanged()
	}
}

// listsOf returns the category lists a change in category id shows on: its
// own and its parent's (which lists its sub-categories' counts).
func (s *Service) listsOf(id int64) []int64 {
	if id == 0 {
		return nil
	}
	if parent, ok := s.parents.get(id); ok {
		return withParent(id, parent)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	cat, err := s.store.CategoryByID(ctx, id)
	if err != nil {
		// Unknown here: every list may show it.
		s.changes.ForumChanged()
		return []int64{id}
	}
	s.parents.put(id, cat.ParentID)
	return withParent(id, cat.ParentID)
}

func withParent(id, parent int64) []int64 {
	if parent != 0 {
		return []int64{id, parent}
	}
	return []int64{id}
}

// parentCache remembers categories' parents for ApplyEvent: categories are
// few and move rarely (a category event empties it).
type parentCache struct {
	mu sync.Mutex
	m  map[int64]int64
}

func (p *parentCache) get(id int64) (int64, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v, ok := p.m[id]
	return v, ok
}

func (p *parentCache) put(id, parent int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[int64]int64{}
	}
	p.m[id] = parent
}

func (p *parentCache) forget() {
	p.mu.Lock()
	p.m = nil
	p.mu.Unlock()
}
