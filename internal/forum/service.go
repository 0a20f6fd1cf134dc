package forum

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	"hearth/internal/cache"
	"hearth/internal/ratelimit"
)

// Markup turns what members write into safe HTML. internal/render implements it.
type Markup interface {
	// Render returns sanitized HTML for markdown source, or an EINVALID
	// error (on "body") when the source is too big to render.
	Render(src string) (string, error)
	// Quote returns the markdown that quotes body by author, linking to postURL.
	Quote(author, postURL, body string) string
}

// Service is the forum's use cases. Every method that acts for someone
// takes the actor: a *Member, or nil for a guest.
type Service struct {
	store     Store
	markup    Markup
	now       func() time.Time
	changes   *Changes
	sessions  *cache.Cache[string, *sessionEntry]
	threads   *cache.Cache[threadPageKey, *threadPageEntry]
	states    *cache.Cache[int64, *Thread]     // threads as a reply checks them (see replyThread)
	bookmarks *cache.Cache[int64, BookmarkSet] // by member
	bells     *cache.Cache[int64, int]         // unread notifications, by member
	levels    *cache.Cache[levelKey, Level]    // a member's chosen level on a thread
	drafts    *cache.Cache[int64, []string]    // the forms a member has drafts for
	readOnly  func() (bool, string)
	limits    Limits
	parents   parentCache // for ApplyEvent
	reads     *readBuffer // read positions and visits, written every second
	site      Site        // for account mail
	secret    secretCache // for mail tokens
	cats      categoryCache
	community communityCache
	zones     zoneCache // members' time zones, for the pages' times

	draftsPruned atomic.Int64 // when drafts were last pruned, unix seconds

	PostsPerPage   int
	ThreadsPerPage int
}

// NewService returns a Service over store and markup.
func NewService(store Store, markup Markup) *Service {
	s := &Service{
		store:          store,
		markup:         markup,
		changes:        newChanges(),
		reads:          newReadBuffer(),
		now:            func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) },
		PostsPerPage:   20,
		ThreadsPerPage: 30,
	}
	s.sessions = newSessionCache(s.changes, func() time.Time { return s.now() })
	s.threads = newThreadPages(s.changes)
	s.states = cache.New[int64](cache.Options[*Thread]{MaxBytes: threadStateBytes})
	s.bookmarks = newBookmarkCache()
	newMemberCaches(s)
	return s
}

// Changes reports what was written, for caches of derived pages. Writes
// made elsewhere (another node, a command) are recorded through it too.
func (s *Service) Changes() *Changes { return s.changes }

// CacheStats returns the counters of the service's caches by name.
func (s *Service) CacheStats() map[string]cache.Stats {
	return map[string]cache.Stats{"sessions": s.sessions.Stats(), "thread_pages": s.threads.Stats(), "thread_states": s.states.Stats(), "bookmarks": s.bookmarks.Stats(),
		"bells": s.bells.Stats(), "levels": s.levels.Stats(), "drafts": s.drafts.Stats(), "zones": s.zones.get().Stats()}
}

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

// Limits are the service's per-member rate limits; a nil limiter allows
// everything. Moderators are exempt from the posting limit.
type Limits struct {
	Post           *ratelimit.Limiter // new threads, replies and edits
	PasswordChange *ratelimit.Limiter // attempts, right or wrong
	ConfirmMail    *ratelimit.Limiter // "send the link again", per member
}

// DefaultLimits are the production limits: 10 posts or edits at once, then
// one every 6 s; 5 password change attempts, then one a minute; 3
// confirmation links, then one every 10 minutes.
func DefaultLimits() Limits {
	return Limits{
		Post:           ratelimit.New(6*time.Second, 10),
		PasswordChange: ratelimit.New(time.Minute, 5),
		ConfirmMail:    ratelimit.New(10*time.Minute, 3),
	}
}

// SetLimits installs the rate limits.
func (s *Service) SetLimits(l Limits) { s.limits = l }

// allowPost applies the posting limit to a new thread, reply or edit.
func (s *Service) allowPost(actor *Member) error {
	if actor == nil || actor.IsModerator() || s.limits.Post.Allow(strconv.FormatInt(actor.ID, 10)) {
		return nil
	}
	return Errorf(ERATELIMIT, "You are posting very fast. Wait a few seconds and send again; your text is kept.")
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
