package forum

import (
	"context"
	"errors"
	"fmt"

	"hearth/internal/password"
)

// Operator is whoever runs `hearth user …` at the shell: an admin who is
// no member (id 0), so the admin rules of each action apply and its event
// is written as for the admin page.
func Operator() *Member {
	return &Member{Name: "the operator", Role: RoleAdmin, Status: StatusActive}
}

// SetMemberPassword gives member id a new password (admins; `hearth user
// passwd`): the password rules apply, every session of the member ends,
// and they are mailed a notice, as when they change it themselves. It
// returns how many sessions ended.
func (s *Service) SetMemberPassword(ctx context.Context, actor *Member, id int64, next string) (int, error) {
	if !actor.IsAdmin() {
		return 0, Errorf(EFORBIDDEN, "Only admins can set members' passwords.")
	}
	if actor.ID == id {
		return 0, Errorf(EINVALID, "Change your own password on your profile.")
	}
	m, err := s.store.MemberByID(ctx, id)
	if err != nil {
		return 0, err
	}
	if err := validPassword(next, m.Email, m.Name); err != nil {
		return 0, err
	}
	hash, err := password.Hash(next)
	if err != nil {
		return 0, err
	}
	now := s.now()
	ended, err := s.store.SetPassword(ctx, id, hash, "", now, s.passwordChangedMail(m, now))
	if err != nil {
		return 0, fmt.Errorf("set password of member %d: %w", id, err)
	}
	s.changes.SessionsEnded(id)
	return ended, nil
}

// SendPasswordReset mails member id a link to choose a new password
// (admins, from the admin page): the same link and limits as "Forgot your
// password?". A suspended member gets none, and the admin is told why.
func (s *Service) SendPasswordReset(ctx context.Context, actor *Member, id int64) (*Member, error) {
	if !actor.IsAdmin() {
		return nil, Errorf(EFORBIDDEN, "Only admins can send password resets.")
	}
	m, err := s.store.MemberByID(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(ENOTFOUND, "There is no such member.")
	}
	if err != nil {
		return nil, err
	}
	if m.Status == StatusSuspended {
		return nil, Errorf(EINVALID, "%s is suspended: reactivate them first, then send the link.", m.Name)
	}
	return m, s.RequestPasswordReset(ctx, m.Email)
}
