package forum

import (
	"context"
	"time"
)

// Markup turns what members write into safe HTML. internal/render implements it.
type Markup interface {
	// Render returns sanitized HTML for markdown source.
	Render(src string) (string, error)
	// Quote returns the markdown that quotes body by author, linking to postURL.
	Quote(author, postURL, body string) string
}

// Hooks are the points later features (mail, notifications, webhooks,
// search) hang off. Each is called after its write has committed; a nil
// hook is skipped. Hooks must not block: they record work (an outbox row)
// rather than do it.
type Hooks struct {
	MemberJoined func(ctx context.Context, m *Member)
	ThreadPosted func(ctx context.Context, t *Thread, first *Post)
	PostCreated  func(ctx context.Context, t *Thread, p *Post)
}

// Service is the forum's use cases. Every method that acts for someone
// takes the actor: a *Member, or nil for a guest.
type Service struct {
	store    Store
	markup   Markup
	hooks    Hooks
	now      func() time.Time
	changes  *Changes
	sessions sessionCache
	threads  threadPages
	readOnly func() (bool, string)

	PostsPerPage   int
	ThreadsPerPage int
}

// NewService returns a Service over store and markup.
func NewService(store Store, markup Markup) *Service {
	return &Service{
		store:          store,
		markup:         markup,
		changes:        newChanges(),
		now:            func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) },
		PostsPerPage:   20,
		ThreadsPerPage: 30,
	}
}

// Changes reports what was written, for caches of derived pages.
func (s *Service) Changes() *Changes { return s.changes }

// SetHooks installs the hooks called after writes.
func (s *Service) SetHooks(h Hooks) { s.hooks = h }

// SetReadOnly installs the check of whether the admin has made the forum
// read-only, and why. While it is, only admins can write.
func (s *Service) SetReadOnly(f func() (on bool, reason string)) { s.readOnly = f }

// writable refuses writes by anyone but admins while the forum is read-only.
func (s *Service) writable(actor *Member) error {
	if s.readOnly == nil || actor.IsAdmin() {
		return nil
	}
	if on, reason := s.readOnly(); on {
		msg := "The forum is read-only for now, so posting is paused."
		if reason != "" {
			msg = "The forum is read-only for now: " + reason
		}
		return &Error{Code: EREADONLY, Message: msg}
	}
	return nil
}

// SetClock replaces the clock, for tests.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Ping reports whether storage answers.
func (s *Service) Ping(ctx context.Context) error { return s.store.Ping(ctx) }

// pages returns how many pages of size per hold n items (at least 1).
func pages(n, per int) int {
	if n <= 0 {
		return 1
	}
	return (n + per - 1) / per
}
