package forum

import (
	"context"
	"errors"
	"fmt"
	"html"
	"strconv"
	"time"
)

// ConfirmLinkLife is how long an email confirmation link works.
const ConfirmLinkLife = 48 * time.Hour

// ConfirmFirstMessage is what an unconfirmed member hears when they try
// to post, on the pages and in the API's 403.
const ConfirmFirstMessage = "Confirm your email address first: open the link we mailed you (it works for 48 hours). No mail? Send the link again at /confirm."

// ConfirmLinkError is the answer to a confirmation link that is not valid
// (any more).
var ConfirmLinkError = Errorf(EINVALID, "This confirmation link has expired or was already used. Log in and send the link again.")

// Confirmation is a link mailed to confirm an address: only its token's
// hash is stored, with the address it was mailed to, and the mail that
// carries it is enqueued in the same transaction.
type Confirmation struct {
	TokenHash string
	MemberID  int64 // set by the store for a registration
	Email     string
	CreatedAt time.Time
	ExpiresAt time.Time
	Mail      *Mail // its MemberID is set by the store for a registration
}

// newConfirmation makes a confirmation link for m and its mail.
func (s *Service) newConfirmation(m *Member) (*Confirmation, error) {
	token, hash, err := newToken()
	if err != nil {
		return nil, err
	}
	now := s.now()
	link := s.site.BaseURL + "/confirm?token=" + token
	return &Confirmation{
		TokenHash: hash, MemberID: m.ID, Email: m.Email, CreatedAt: now, ExpiresAt: now.Add(ConfirmLinkLife),
		Mail: &Mail{
			At:  now,
			Key: "confirm:" + hash, Kind: "account.confirm", MemberID: m.ID, To: m.Email, Sender: SenderAccount,
			Subject: "Confirm your email address for " + s.siteName(),
			Text: fmt.Sprintf("Hello %s,\n\nWelcome to %s. Open this link within 48 hours to confirm your email address, so you can post:\n%s\n\nIf you did not join, ignore this mail: nothing happens without the link.\n",
				m.Name, s.siteName(), link),
			HTML: fmt.Sprintf(`<p>Hello %s,</p><p>Welcome to %s. Confirm your email address so you can post:</p><p><a href="%s">Confirm my address</a> (the link works for 48 hours).</p><p>If you did not join, ignore this mail: nothing happens without the link.</p>`,
				html.EscapeString(m.Name), html.EscapeString(s.siteName()), html.EscapeString(link)),
		},
	}, nil
}

// ConfirmEmail uses a confirmation link: the member may post from now on.
// It works once, within ConfirmLinkLife, for the address it was mailed to.
func (s *Service) ConfirmEmail(ctx context.Context, token string) (*Member, error) {
	if token == "" || len(token) > 100 {
		return nil, ConfirmLinkError
	}
	id, err := s.store.ConfirmEmail(ctx, hashToken(token), s.now())
	if errors.Is(err, ErrNotFound) {
		return nil, ConfirmLinkError
	}
	if err != nil {
		return nil, err
	}
	s.changes.MemberChanged(id) // its cached sessions hold the flag
	return s.store.MemberByID(ctx, id)
}

// ConfirmSentMessage is the answer to "send the link again".
const ConfirmSentMessage = "A new confirmation link is on its way to %s. It works for 48 hours."

// ResendConfirmation mails the actor a new confirmation link, a few times
// and then at most every ten minutes. Links mailed before keep working
// until they expire.
func (s *Service) ResendConfirmation(ctx context.Context, actor *Member) error {
	switch {
	case actor == nil:
		return Errorf(EUNAUTHORIZED, "Log in to confirm your email address.")
	case !actor.Unconfirmed:
		return Errorf(EINVALID, "Your email address is already confirmed.")
	case !s.limits.ConfirmMail.Allow("confirm:" + strconv.FormatInt(actor.ID, 10)):
		return Errorf(ERATELIMIT, "A link was sent a moment ago: look in your inbox (and spam folder), or wait ten minutes and ask again.")
	}
	c, err := s.newConfirmation(actor)
	if err != nil {
		return err
	}
	return s.store.CreateEmailConfirmation(ctx, c)
}
