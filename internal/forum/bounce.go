package forum

import (
	"context"
	"errors"
	"strconv"
	"time"
)

// BounceStore keeps what bounced mail says of members' addresses
// (internal/store).
type BounceStore interface {
	// RecordBounce records a bounce of outbox mail b.OutboxID to member
	// b.MemberID and, in the same transaction, stops mail to the member's
	// address if it was hard or the SoftBounceLimit-th soft one within
	// SoftBounceWindow (since the member last turned mail back on), with
	// an event. A second report of the same mail's bounce changes
	// nothing. It reports whether mail to the member is stopped now.
	// ErrNotFound if that mail was not sent to that member.
	RecordBounce(ctx context.Context, b Bounce) (stopped bool, err error)
	// MailBounced reports whether mail to the member's current address is
	// stopped, and why.
	MailBounced(ctx context.Context, memberID int64) (bool, string, error)
	// ResumeMail clears the member's stop (and the soft bounces counted so
	// far), with an event. No error if nothing was stopped.
	ResumeMail(ctx context.Context, memberID int64, now time.Time) error
	// EnqueueAnswer enqueues m, the answer to a mail received, unless an
	// answer went to the same sender (senderKey) after since; it reports
	// whether it did. The check and the enqueue are one statement's and
	// one transaction's, so two mails at once get one answer.
	EnqueueAnswer(ctx context.Context, senderKey string, since time.Time, m *Mail) (bool, error)
}

// Bounce is one delivery failure reported for one outbox mail.
type Bounce struct {
	OutboxID, MemberID int64
	Hard               bool   // a 5.x.x status: the address does not take mail
	Status             string // "5.1.1", or "" if the report named none
	Reason             string // the receiving server's words, for the member and the admin
	At                 time.Time
}

// Soft bounces (a full mailbox, a server down) stop mail only when they
// repeat: SoftBounceLimit of them within SoftBounceWindow.
const (
	SoftBounceLimit  = 3
	SoftBounceWindow = 7 * 24 * time.Hour
)

// BounceMail is a delivery report received at a bounce address.
type BounceMail struct {
	Token  string // the bounce address's token: after "bounce+"
	Hard   bool
	Status string
	Reason string
}

// ReceiveBounce records a delivery report for the mail its token names.
// A token that is not ours, or names a mail that was not that member's,
// is dropped without an error: nobody is told of a bounce (never a loop).
func (s *Service) ReceiveBounce(ctx context.Context, b BounceMail) (stopped bool, err error) {
	member, extra, err := s.CheckMailToken(ctx, TokenBounce, b.Token)
	if errors.Is(err, ErrBadToken) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	outboxID, err := strconv.ParseInt(extra, 10, 64)
	if err != nil {
		return false, nil
	}
	reason := b.Reason
	if len(reason) > 500 {
		reason = reason[:500]
	}
	stopped, err = s.store.RecordBounce(ctx, Bounce{OutboxID: outboxID, MemberID: member, Hard: b.Hard, Status: b.Status, Reason: reason, At: s.now()})
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return stopped, err
}

// MailBounced reports whether mail to the member stopped because it
// bounced, and the receiving server's reason: for the roster and the
// member's profile.
func (s *Service) MailBounced(ctx context.Context, memberID int64) (bool, string, error) {
	return s.store.MailBounced(ctx, memberID)
}

// ResumeMail turns mail to a member's address back on after it bounced:
// the member (or an admin) says the address works again.
func (s *Service) ResumeMail(ctx context.Context, actor *Member, memberID int64) error {
	if actor == nil {
		return Errorf(EUNAUTHORIZED, "Log in to turn your mail back on.")
	}
	if actor.ID != memberID && !actor.IsAdmin() {
		return Errorf(EFORBIDDEN, "You can only turn your own mail back on.")
	}
	return s.store.ResumeMail(ctx, memberID, s.now())
}
