package forum

import (
	"context"
	"errors"
	"fmt"
	"html"
	"strconv"

	"hearth/internal/password"
)

// Changing the email address: the member asks with their password, a
// link goes to the new address (the old one keeps working until it is
// opened), and opening it moves the account there and tells the old
// address, in one transaction. If the new address is another member's, it
// gets a notice instead of a link, and the member hears the same answer
// either way: nobody learns who is a member by trying addresses.

// EmailChangeSentMessage is the answer to a request to change the address.
const EmailChangeSentMessage = "A link to confirm %s is on its way there. Your address changes when you open it (within 48 hours)."

// RequestEmailChange mails a confirmation link to next for the actor,
// who gives their password again.
func (s *Service) RequestEmailChange(ctx context.Context, actor *Member, next, current string) error {
	if actor == nil {
		return Errorf(EUNAUTHORIZED, "Log in to change your email address.")
	}
	addr, err := validEmail(next)
	if err != nil {
		return err
	}
	if addr == actor.Email {
		return FieldError("email", "That is your address already.")
	}
	m, err := s.store.MemberByID(ctx, actor.ID)
	if err != nil {
		return err
	}
	if ok, _ := password.Verify(current, m.PasswordHash); !ok {
		return FieldError("password", "That is not your current password.")
	}
	if !s.limits.ConfirmMail.Allow("email-change:" + strconv.FormatInt(actor.ID, 10)) {
		return Errorf(ERATELIMIT, "A link was sent a moment ago: look in that inbox, or wait ten minutes and ask again.")
	}
	now := s.now()
	if other, err := s.store.MemberByEmail(ctx, addr); err == nil && other.ID != actor.ID {
		_, err := s.store.EnqueueMail(ctx, &Mail{At: now, Key: fmt.Sprintf("email-taken:%d:%d", other.ID, now.UnixNano()),
			Kind: "account.email-taken", MemberID: other.ID, To: other.Email, Sender: SenderAccount,
			Subject: "Someone tried to use your address at " + s.siteName(),
			Text: fmt.Sprintf("Hello %s,\n\nA member of %s asked to move their account to this address, which is already yours there. Nothing changed.\n\nIf you forgot your password: %s/forgot\n",
				other.Name, s.siteName(), s.site.BaseURL)}, now)
		return err
	} else if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	token, hash, err := newToken()
	if err != nil {
		return err
	}
	link := s.site.BaseURL + "/email/change?token=" + token
	c := &Confirmation{TokenHash: hash, MemberID: m.ID, Email: addr, CreatedAt: now, ExpiresAt: now.Add(ConfirmLinkLife),
		Mail: &Mail{At: now, Key: "email-change:" + hash, Kind: "account.email-change", MemberID: m.ID, To: addr, Sender: SenderAccount,
			Subject: "Confirm your new email address for " + s.siteName(),
			Text: fmt.Sprintf("Hello %s,\n\nOpen this link within 48 hours to move your account at %s to this address:\n%s\n\nIf you did not ask, ignore this mail: nothing changes without the link.\n",
				m.Name, s.siteName(), link),
			HTML: fmt.Sprintf(`<p>Hello %s,</p><p>Move your account at %s to this address:</p><p><a href="%s">Confirm my new address</a> (the link works for 48 hours).</p><p>If you did not ask, ignore this mail: nothing changes without the link.</p>`,
				html.EscapeString(m.Name), html.EscapeString(s.siteName()), html.EscapeString(link))}}
	return s.store.CreateEmailConfirmation(ctx, c)
}

// ChangeEmail uses an email change link: the account moves to the new
// address, which counts as confirmed, and the old address is told.
func (s *Service) ChangeEmail(ctx context.Context, token string) (*Member, error) {
	if token == "" || len(token) > 100 {
		return nil, ConfirmLinkError
	}
	now := s.now()
	id, err := s.store.ChangeEmail(ctx, hashToken(token), now, func(m *Member, old string) *Mail {
		return &Mail{At: now, Key: fmt.Sprintf("email-changed:%d:%d", m.ID, now.UnixNano()), Kind: "account.email-changed",
			MemberID: m.ID, To: old, Sender: SenderAccount,
			Subject: "Your email address at " + s.siteName() + " was changed",
			Text: fmt.Sprintf("Hello %s,\n\nThe email address of your account at %s was changed on %s from this address to %s.\n\nIf that was not you, reply to this mail or write to the forum's admins at once.\n",
				m.Name, s.siteName(), now.UTC().Format("2 January 2006 at 15:04 MST"), m.Email)}
	})
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, ConfirmLinkError
	case errors.Is(err, ErrConflict):
		return nil, Errorf(ECONFLICT, "That address belongs to another account by now: nothing changed.")
	case err != nil:
		return nil, err
	}
	s.changes.MemberChanged(id)
	return s.store.MemberByID(ctx, id)
}

// registeredAgainMail tells a member that someone registered with their
// address: at most one such mail an hour.
func (s *Service) registeredAgainMail(ctx context.Context, addr string) error {
	m, err := s.store.MemberByEmail(ctx, addr)
	if err != nil {
		return nil // gone meanwhile: nobody to tell
	}
	now := s.now()
	_, err = s.store.EnqueueMail(ctx, &Mail{At: now, Key: fmt.Sprintf("registered-again:%d:%s", m.ID, now.UTC().Format("2006-01-02T15")),
		Kind: "account.registered-again", MemberID: m.ID, To: m.Email, Sender: SenderAccount,
		Subject: "Someone tried to join " + s.siteName() + " with your address",
		Text: fmt.Sprintf("Hello %s,\n\nSomeone tried to create an account at %s with this address, which already has one. Nothing changed.\n\nIf it was you: log in at %s/login, or choose a new password at %s/forgot\n",
			m.Name, s.siteName(), s.site.BaseURL, s.site.BaseURL)}, now)
	return err
}
