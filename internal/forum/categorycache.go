package forum

import (
	"context"
	"sync"
)

// categoryCache keeps every category's name, place and visibility (not
// its counters or latest post, which move with every reply), so that
// checking whether a reader may see a thread, on every reply and every
// uncached thread page, costs no query. It is read again after any change
// that moves the global count: every category change does (ForumChanged,
// VisibilityChanged), on this node or, through its event, on another.
type categoryCache struct {
	mu      sync.Mutex
	version uint64
	loaded  bool
	byID    map[int64]*Category
}

// GlobalVersion is the count every page depends on: category names and
// visibility, settings, the mode.
func (c *Changes) GlobalVersion() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.global
}

// categoryStatic returns category id's static fields (a copy), from the
// cache while no category changed.
func (s *Service) categoryStatic(ctx context.Context, id int64) (*Category, error) {
	v := s.changes.GlobalVersion() // before reading
	s.cats.mu.Lock()
	if s.cats.loaded && s.cats.version == v {
		// An id it does not hold may be a category another node made
		// whose event is not here yet: read them all again then.
		if c, ok := s.cats.byID[id]; ok {
			s.cats.mu.Unlock()
			cp := *c
			return &cp, nil
		}
	}
	s.cats.mu.Unlock()
	all, err := s.store.ListCategories(ctx)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*Category, len(all))
	for _, c := range all {
		byID[c.ID] = &Category{ID: c.ID, ParentID: c.ParentID, Name: c.Name, Slug: c.Slug, Description: c.Description,
			Position: c.Position, MembersOnly: c.MembersOnly, StaffOnly: c.StaffOnly, CheckOnly: c.CheckOnly}
	}
	s.cats.mu.Lock()
	s.cats.version, s.cats.loaded, s.cats.byID = v, true, byID
	s.cats.mu.Unlock()
	c, ok := byID[id]
	if !ok {
		return nil, ErrNotFound
	}
	cp := *c
	return &cp, nil
}

// categoryForThread is Category for the checks on a thread: the static
// fields only (no counters), from the cache.
func (s *Service) categoryForThread(ctx context.Context, actor *Member, id int64) (c, parent *Category, err error) {
	if c, err = s.categoryStatic(ctx, id); err != nil {
		return nil, nil, err
	}
	if c.ParentID != 0 {
		if parent, err = s.categoryStatic(ctx, c.ParentID); err != nil {
			return nil, nil, err
		}
	}
	if !visible(actor, c, parent) {
		return nil, nil, ErrNotFound
	}
	return c, parent, nil
}
