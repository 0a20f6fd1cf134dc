package forum

import (
	"context"
	"errors"
	"time"
)

// MailStore is the outbox as the admin page sees it (internal/store).
type MailStore interface {
	// OutboxStats counts the outbox by state.
	OutboxStats(ctx context.Context) (OutboxStats, error)
	// ListMail returns the newest rows in a state ("" for all).
	ListMail(ctx context.Context, state MailState, limit int) ([]*OutboxMail, error)
	// ListMailErrors returns the newest rows whose last try failed.
	ListMailErrors(ctx context.Context, limit int) ([]*OutboxMail, error)
	// RetryMail makes a failed mail pending again, due at now, with a fresh
	// series of tries. ErrNotFound if id is not a failed mail.
	RetryMail(ctx context.Context, id int64, now time.Time) error

	BounceStore // bounce.go
}

// MailOverview is the admin's page of the outbox.
type MailOverview struct {
	Stats  OutboxStats
	Latest []*OutboxMail // newest first
	Errors []*OutboxMail // the newest rows with an error
	Now    time.Time     // for ages
}

// OldestPendingAge is how long the oldest pending mail has waited (0 if none).
func (o *MailOverview) OldestPendingAge() time.Duration {
	if o.Stats.OldestPending.IsZero() {
		return 0
	}
	return o.Now.Sub(o.Stats.OldestPending).Round(time.Second)
}

// MailOverview returns the outbox at a glance and its latest mails, with
// their addresses: admins only.
func (s *Service) MailOverview(ctx context.Context, actor *Member, latest int) (*MailOverview, error) {
	if !actor.IsAdmin() {
		return nil, Errorf(EFORBIDDEN, "Only admins can see the outbox.")
	}
	o := &MailOverview{Now: s.now()}
	var err error
	if o.Stats, err = s.store.OutboxStats(ctx); err != nil {
		return nil, err
	}
	if o.Latest, err = s.store.ListMail(ctx, "", latest); err != nil {
		return nil, err
	}
	if o.Errors, err = s.store.ListMailErrors(ctx, 10); err != nil {
		return nil, err
	}
	return o, nil
}

// RetryMail sends a failed mail again now: for an admin who fixed what made
// it fail (a wrong SMTP password, a full mailbox emptied).
func (s *Service) RetryMail(ctx context.Context, actor *Member, id int64) error {
	if !actor.IsAdmin() {
		return Errorf(EFORBIDDEN, "Only admins can retry mail.")
	}
	err := s.store.RetryMail(ctx, id, s.now())
	if errors.Is(err, ErrNotFound) {
		return Errorf(ENOTFOUND, "Mail %d is not a failed mail (it may have been retried already).", id)
	}
	return err
}
