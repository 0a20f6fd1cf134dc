package forum

import (
	"context"
	"errors"
	"fmt"
	"html"
	"strings"
	"time"

	"hearth/internal/password"
)

// Site is what account mail says about the forum: its name and the
// address its links start with.
type Site struct {
	Name       string
	BaseURL    string
	MailDomain string // the domain of reply and bounce addresses
}

// SetSite tells the service the forum's name and public URL, for mail.
func (s *Service) SetSite(site Site) { s.site = site }

// ResetLinkLife is how long a password reset link works.
const ResetLinkLife = time.Hour

// ResetRequestedMessage is the one answer to a reset request, whether or
// not the address is a member's: it tells nobody who is one.
const ResetRequestedMessage = "If that address belongs to an account here, a link to choose a new password is on its way. It works for an hour."

// RequestPasswordReset mails a single-use link to choose a new password,
// if email is an active or pending member's, and says nothing either way.
// Requests are limited per address, so nobody can flood a member's inbox.
func (s *Service) RequestPasswordReset(ctx context.Context, email string) error {
	email = strings.ToLower(strings.TrimSpace(email))
	if _, err := validEmail(email); err != nil {
		return err
	}
	if !s.limits.PasswordChange.Allow("reset:" + email) {
		return nil // the same answer: the member already has a link in their inbox
	}
	m, err := s.store.MemberByEmail(ctx, email)
	if errors.Is(err, ErrNotFound) || (err == nil && m.Status == StatusSuspended) {
		return nil
	}
	if err != nil {
		return err
	}
	token, hash, err := newToken()
	if err != nil {
		return err
	}
	now := s.now()
	link := s.site.BaseURL + "/reset?token=" + token
	mail := &Mail{
		Key: "reset:" + hash, Kind: "account.reset", MemberID: m.ID, To: m.Email, Sender: SenderAccount,
		Subject: "Choose a new password for " + s.siteName(),
		Text: fmt.Sprintf("Hello %s,\n\nSomeone (we hope you) asked to choose a new password for your account at %s.\n\nOpen this link within an hour to choose one:\n%s\n\nIf it was not you, ignore this mail: your password stays as it is.\n",
			m.Name, s.siteName(), link),
		HTML: fmt.Sprintf(`<p>Hello %s,</p><p>Someone (we hope you) asked to choose a new password for your account at %s.</p><p><a href="%s">Choose a new password</a> (the link works for an hour).</p><p>If it was not you, ignore this mail: your password stays as it is.</p>`,
			html.EscapeString(m.Name), html.EscapeString(s.siteName()), html.EscapeString(link)),
	}
	return s.store.CreatePasswordReset(ctx, hash, m.ID, now, now.Add(ResetLinkLife), mail)
}

// ResetLinkError is the answer to a link that is not valid (any more).
var ResetLinkError = Errorf(EINVALID, "This link to choose a new password has expired or was already used. Ask for a new one.")

// CheckResetToken returns the member a reset link is for, or the error to
// show when it is used up or expired.
func (s *Service) CheckResetToken(ctx context.Context, token string) (*Member, error) {
	if token == "" {
		return nil, ResetLinkError
	}
	m, err := s.store.PasswordResetMember(ctx, hashToken(token), s.now())
	if errors.Is(err, ErrNotFound) {
		return nil, ResetLinkError
	}
	return m, err
}

// ResetPassword sets a new password with a reset link, ends every session
// of the member, and mails them a notice. The link then no longer works,
// nor does any other sent before it.
func (s *Service) ResetPassword(ctx context.Context, token, next string) (*Member, error) {
	m, err := s.CheckResetToken(ctx, token)
	if err != nil {
		return nil, err
	}
	if err := validPassword(next, m.Email, m.Name); err != nil {
		return nil, err
	}
	hash, err := password.Hash(next)
	if err != nil {
		return nil, err
	}
	now := s.now()
	notice := s.passwordChangedMail(m, now)
	if _, err := s.store.ResetPassword(ctx, hashToken(token), hash, now, notice); errors.Is(err, ErrNotFound) {
		return nil, ResetLinkError // used meanwhile, from another tab
	} else if err != nil {
		return nil, err
	}
	s.changes.SessionsEnded(m.ID)
	return m, nil
}

// passwordChangedMail tells a member their password changed: if it was
// not them, they know at once.
func (s *Service) passwordChangedMail(m *Member, now time.Time) *Mail {
	return &Mail{
		Key: fmt.Sprintf("password-changed:%d:%d", m.ID, now.UnixNano()), Kind: "account.password-changed", MemberID: m.ID, To: m.Email, Sender: SenderAccount,
		Subject: "Your password at " + s.siteName() + " was changed",
		Text: fmt.Sprintf("Hello %s,\n\nThe password of your account at %s was changed on %s, and every device logged in was logged out.\n\nIf that was not you, choose a new password at once: %s/forgot\n",
			m.Name, s.siteName(), now.UTC().Format("2 January 2006 at 15:04 MST"), s.site.BaseURL),
	}
}

// approvedMail tells a member who waited for approval that they may post.
func (s *Service) approvedMail(m *Member) *Mail {
	return &Mail{
		At:  s.now(),
		Key: fmt.Sprintf("approved:%d", m.ID), Kind: "account.approved", MemberID: m.ID, To: m.Email, Sender: SenderAccount,
		Subject: "Welcome to " + s.siteName() + ": your account is approved",
		Text:    fmt.Sprintf("Hello %s,\n\nAn admin of %s approved your account: you can post now.\n\nLog in at %s/login\n", m.Name, s.siteName(), s.site.BaseURL),
	}
}
