package forum

import (
	"context"
	"fmt"
	"slices"
)

// CategoryInput is what an admin provides to create or edit a category.
type CategoryInput struct {
	Name        string
	Description string
	ParentID    int64
	MembersOnly bool
	StaffOnly   bool
}

// visible reports whether actor may read category c (whose parent, if any,
// is parent). A parent's restriction applies to its sub-categories too.
func visible(actor *Member, c, parent *Category) bool {
	switch {
	case c.StaffOnly || (parent != nil && parent.StaffOnly):
		return actor.IsModerator() || (c.CheckOnly && actor != nil && actor.Checker && actor.Active())
	case c.MembersOnly || (parent != nil && parent.MembersOnly):
		return actor.Active()
	}
	return true
}

// Categories returns the top-level categories the actor may see, ordered,
// each with its visible sub-categories in Children. A parent's counts and
// latest post include those of its visible sub-categories.
func (s *Service) Categories(ctx context.Context, actor *Member) ([]*Category, error) {
	all, err := s.store.ListCategories(ctx)
	if err != nil {
		return nil, fmt.Errorf("list categories: %w", err)
	}
	return tree(actor, all), nil
}

// SubCategories returns the visible sub-categories of category id, in
// order, with their own counts: none for a sub-category, which cannot
// have any, or for one the actor may not see.
func (s *Service) SubCategories(ctx context.Context, actor *Member, id int64) ([]*Category, error) {
	top, err := s.Categories(ctx, actor)
	if err != nil {
		return nil, err
	}
	for _, c := range top {
		if c.ID == id {
			return c.Children, nil
		}
	}
	return nil, nil
}

// ParentChoices returns the categories category id may be placed under (id
// 0: a new category): the top-level ones but itself, as sub-categories go
// one level deep, and none when id has sub-categories of its own, which
// keeps it at the top. Admins only.
func (s *Service) ParentChoices(ctx context.Context, actor *Member, id int64) ([]*Category, error) {
	if !actor.IsAdmin() {
		return nil, Errorf(EFORBIDDEN, "Only admins can arrange categories.")
	}
	top, err := s.Categories(ctx, actor)
	if err != nil {
		return nil, err
	}
	var out []*Category
	for _, c := range top {
		if c.ID == id {
			if len(c.Children) > 0 {
				return nil, nil
			}
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

// tree arranges a flat, ordered list into visible parents with children.
func tree(actor *Member, all []*Category) []*Category {
	byID := make(map[int64]*Category, len(all))
	for _, c := range all {
		c.Children = nil
		byID[c.ID] = c
	}
	var top []*Category
	for _, c := range all {
		if c.ParentID == 0 {
			if visible(actor, c, nil) {
				top = append(top, c)
			}
			continue
		}
		if p := byID[c.ParentID]; p != nil && visible(actor, c, p) {
			p.Children = append(p.Children, c)
			rollUp(p, c)
		}
	}
	return top
}

// rollUp adds a visible sub-category's counts and latest post to its
// parent's, as forum members expect of a parent's row on the front page.
func rollUp(parent, c *Category) {
	parent.ThreadCount += c.ThreadCount
	parent.PostCount += c.PostCount
	if c.LastPostAt.After(parent.LastPostAt) {
		parent.LastPostID, parent.LastPostAt = c.LastPostID, c.LastPostAt
		parent.LastThreadID, parent.LastThreadTitle, parent.LastThreadSlug = c.LastThreadID, c.LastThreadTitle, c.LastThreadSlug
		parent.LastPosterID, parent.LastPosterName = c.LastPosterID, c.LastPosterName
	}
}

// Category returns a category the actor may see, and its parent (nil for a
// top-level one).
func (s *Service) Category(ctx context.Context, actor *Member, id int64) (c, parent *Category, err error) {
	c, err = s.store.CategoryByID(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if c.ParentID != 0 {
		if parent, err = s.store.CategoryByID(ctx, c.ParentID); err != nil {
			return nil, nil, fmt.Errorf("category %d parent: %w", id, err)
		}
	}
	if !visible(actor, c, parent) {
		return nil, nil, ErrNotFound
	}
	return c, parent, nil
}

// validateCategory checks input and the one-level parent rule.
func (s *Service) validateCategory(ctx context.Context, id int64, in CategoryInput) (*Category, error) {
	name, err := text("name", "Name", in.Name, 1, MaxCategoryName)
	if err != nil {
		return nil, err
	}
	desc, err := text("description", "Description", in.Description, 0, MaxCategoryDesc)
	if err != nil {
		return nil, err
	}
	if in.ParentID != 0 {
		if in.ParentID == id {
			return nil, FieldError("parent_id", "A category cannot be its own parent.")
		}
		p, err := s.store.CategoryByID(ctx, in.ParentID)
		if err != nil {
			return nil, FieldError("parent_id", "The parent category %d does not exist.", in.ParentID)
		}
		if p.ParentID != 0 {
			return nil, FieldError("parent_id", "Sub-categories go one level deep: %q is already a sub-category.", p.Name)
		}
	}
	return &Category{ID: id, ParentID: in.ParentID, Name: name, Slug: Slugify(name), Description: desc, MembersOnly: in.MembersOnly, StaffOnly: in.StaffOnly}, nil
}

// MayCreateCategory returns nil if actor may create categories, else the
// error to answer: a surface asks before reading the request.
func MayCreateCategory(actor *Member) error {
	if !actor.IsAdmin() {
		return Errorf(EFORBIDDEN, "Only admins can create categories.")
	}
	return nil
}

// CreateCategory adds a category at the end of its siblings (admins).
func (s *Service) CreateCategory(ctx context.Context, actor *Member, in CategoryInput) (*Category, error) {
	if err := MayCreateCategory(actor); err != nil {
		return nil, err
	}
	c, err := s.validateCategory(ctx, 0, in)
	if err != nil {
		return nil, err
	}
	all, err := s.store.ListCategories(ctx)
	if err != nil {
		return nil, fmt.Errorf("list categories: %w", err)
	}
	for _, o := range all {
		if o.ParentID == c.ParentID && o.Position >= c.Position {
			c.Position = o.Position + 1
		}
	}
	if err := s.store.CreateCategory(ctx, c); err != nil {
		return nil, fmt.Errorf("create category: %w", err)
	}
	s.changes.ForumChanged()
	return c, nil
}

// UpdateCategory edits a category (admins). A category that has
// sub-categories cannot itself become one.
func (s *Service) UpdateCategory(ctx context.Context, actor *Member, id int64, in CategoryInput) (*Category, error) {
	if !actor.IsAdmin() {
		return nil, Errorf(EFORBIDDEN, "Only admins can edit categories.")
	}
	old, err := s.store.CategoryByID(ctx, id)
	if err != nil {
		return nil, err
	}
	c, err := s.validateCategory(ctx, id, in)
	if err != nil {
		return nil, err
	}
	if c.ParentID != 0 {
		all, err := s.store.ListCategories(ctx)
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(all, func(o *Category) bool { return o.ParentID == id }) {
			return nil, FieldError("parent_id", "%q has sub-categories, so it cannot become one.", old.Name)
		}
	}
	c.Position = old.Position
	if err := s.store.UpdateCategory(ctx, c); err != nil {
		return nil, fmt.Errorf("update category %d: %w", id, err)
	}
	if c.MembersOnly != old.MembersOnly || c.StaffOnly != old.StaffOnly || c.ParentID != old.ParentID {
		s.changes.VisibilityChanged() // a parent's restriction applies to its children
	} else {
		s.changes.ForumChanged()
	}
	return c, nil
}

// MoveCategory moves a category one place up (delta < 0) or down among its
// siblings (admins), renumbering the siblings so positions stay distinct.
func (s *Service) MoveCategory(ctx context.Context, actor *Member, id int64, delta int) error {
	if !actor.IsAdmin() {
		return Errorf(EFORBIDDEN, "Only admins can reorder categories.")
	}
	all, err := s.store.ListCategories(ctx)
	if err != nil {
		return fmt.Errorf("list categories: %w", err)
	}
	i := slices.IndexFunc(all, func(c *Category) bool { return c.ID == id })
	if i < 0 {
		return ErrNotFound
	}
	var sib []*Category
	for _, c := range all {
		if c.ParentID == all[i].ParentID {
			sib = append(sib, c)
		}
	}
	j := slices.Index(sib, all[i])
	k := j + 1
	if delta < 0 {
		k = j - 1
	}
	if k < 0 || k >= len(sib) {
		return nil // already first or last
	}
	sib[j], sib[k] = sib[k], sib[j]
	defer s.changes.ForumChanged()
	for n, c := range sib {
		if c.Position != n+1 {
			c.Position = n + 1
			if err := s.store.UpdateCategory(ctx, c); err != nil {
				return fmt.Errorf("reorder category %d: %w", c.ID, err)
			}
		}
	}
	return nil
}
