package forum

import (
	"context"
	"errors"
	"fmt"

	pw "hearth/internal/password"
)

// hearth verify's own check account and check category: when verify runs
// on the forum's machine it makes them itself, so a check needs no setup
// and no moderator. The account (Member.Checker) reads and posts in
// check-only categories, which are staff-only to everyone else, and
// nowhere else; a thread deleted there is removed for good.

// CheckCategoryName is the check category's name.
const CheckCategoryName = "Hearth checks"

// checkerMayPost refuses the check account outside check-only categories.
func checkerMayPost(actor *Member, c *Category) error {
	if actor != nil && actor.Checker && !c.CheckOnly {
		return Errorf(EFORBIDDEN, "The check account posts only in the check category.")
	}
	return nil
}

// purgeCheckThread removes a check thread for good once its first post
// (the thread) is deleted: a check every five minutes leaves nothing.
func (s *Service) purgeCheckThread(ctx context.Context, p *Post) error {
	if p.Position != 1 {
		return nil
	}
	t, err := s.store.ThreadByID(ctx, p.ThreadID)
	if err != nil {
		return err
	}
	c, err := s.store.CategoryByID(ctx, t.CategoryID)
	if err != nil || !c.CheckOnly {
		return err
	}
	if err := s.store.PurgeThread(ctx, t.ID); err != nil {
		return fmt.Errorf("remove check thread %d: %w", t.ID, err)
	}
	s.changes.PostDeleted(t.ID, lists(c, nil)...)
	return nil
}

// EnsureCheckAccount makes (or finds) the check category and the check
// account with email, and sets the account's password: what `hearth
// verify` does on the forum's machine before each run.
func (s *Service) EnsureCheckAccount(ctx context.Context, email, password string) (*Member, *Category, error) {
	cats, err := s.store.ListCategories(ctx)
	if err != nil {
		return nil, nil, err
	}
	var cat *Category
	for _, c := range cats {
		if c.CheckOnly {
			cat = c
			break
		}
	}
	if cat == nil {
		cat = &Category{Name: CheckCategoryName, Slug: Slugify(CheckCategoryName), StaffOnly: true, CheckOnly: true,
			Description: "Where hearth verify posts and deletes its checks. Only the check account and staff see it."}
		if err := s.store.CreateCategory(ctx, cat); err != nil {
			return nil, nil, fmt.Errorf("create the check category: %w", err)
		}
		s.parents.forget()
		s.changes.VisibilityChanged()
	}
	m, err := s.store.MemberByEmail(ctx, email)
	switch {
	case errors.Is(err, ErrNotFound):
		if m, err = s.CreateMember(ctx, NewMember{Email: email, Name: "Hearth check", Password: password}); err != nil {
			return nil, nil, fmt.Errorf("create the check account: %w", err)
		}
	case err != nil:
		return nil, nil, err
	default:
		if m.IsModerator() {
			return nil, nil, Errorf(EINVALID, "%s is a moderator or admin: the check account must be a plain member", email)
		}
		// Set only when it differs: setting it ends sessions and mails a
		// notice, which a check every five minutes must not.
		if ok, _ := pw.Verify(password, m.PasswordHash); !ok {
			if _, err := s.SetMemberPassword(ctx, Operator(), m.ID, password); err != nil {
				return nil, nil, err
			}
		}
	}
	if err := s.store.MakeChecker(ctx, m.ID); err != nil {
		return nil, nil, err
	}
	s.changes.MemberChanged(m.ID)
	m.Checker = true
	return m, cat, nil
}
