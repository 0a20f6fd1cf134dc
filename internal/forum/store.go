package forum

import (
	"context"
	"time"
)

// Store is the persistence the Service needs. internal/store implements it
// for SQLite and PostgreSQL. Methods wrap ErrNotFound, ErrConflict, ErrBusy
// and ErrUnavailable so callers never look at driver errors. Times are given
// by the caller (the Service's clock), never taken by the store.
type Store interface {
	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
	Close() error

	// CreateMember inserts m and sets m.ID. Returns ErrConflict if the email is taken.
	CreateMember(ctx context.Context, m *Member) error
	// MemberByID returns ErrNotFound if there is no such member.
	MemberByID(ctx context.Context, id int64) (*Member, error)
	// MemberByEmail looks up a lower-cased email. Returns ErrNotFound if absent.
	MemberByEmail(ctx context.Context, email string) (*Member, error)
	// CreateFirstMember voids the setting tokenKey if it holds tokenHash and
	// inserts m, in one transaction, only if there are no members yet.
	// ErrConflict if a member exists; ErrNotFound if the setting does not
	// hold tokenHash.
	CreateFirstMember(ctx context.Context, m *Member, tokenKey, tokenHash string) error
	// UpdateProfile saves name, title, location and bio, and nothing else,
	// so a profile edit never undoes a password, role or status change made
	// meanwhile. ErrNotFound if there is no such member.
	UpdateProfile(ctx context.Context, m *Member) error
	// SetPassword saves a new password hash, moves the member's session
	// epoch on and deletes every session of the member but keepTokenHash's
	// ("" keeps none) and enqueues notice (if not nil), in one transaction.
	// Returns how many of the ended
	// sessions were unexpired at now. ErrNotFound if there is no such member.
	SetPassword(ctx context.Context, id int64, hash, keepTokenHash string, now time.Time, notice *Mail) (int, error)
	// SetMemberRole saves a member's role. ErrNotFound if there is no such member.
	SetMemberRole(ctx context.Context, id int64, role Role) error
	// SetMemberStatus changes a member's status to to, if it is from (any
	// status when from is empty). Suspending moves the session epoch on and
	// deletes all the member's sessions in the same transaction.
	// ErrNotFound if there is no such member, ErrConflict if its status is
	// not from. approved, if not nil, is enqueued in the same transaction
	// when the change is from pending to active: the member's notice.
	SetMemberStatus(ctx context.Context, id int64, from, to MemberStatus, approved *Mail) error
	// ListMembers returns members with the given status (all if empty), oldest first.
	ListMembers(ctx context.Context, status MemberStatus, limit int) ([]*Member, error)
	// CountMembers returns the number of members of any status.
	CountMembers(ctx context.Context) (int, error)

	// CreateSession stores s. ErrNotFound if the member does not exist or its
	// session epoch is no longer s.Epoch (the password changed, or it was
	// suspended, since the login read it).
	CreateSession(ctx context.Context, s *Session) error
	// SessionMember returns the member of an unexpired session of the
	// member's current epoch. ErrNotFound otherwise.
	SessionMember(ctx context.Context, tokenHash string, now time.Time) (*Member, error)
	// DeleteSession removes a session; no error if it was already gone.
	DeleteSession(ctx context.Context, tokenHash string) error
	// DeleteExpiredSessions removes sessions that expired before now.
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error)

	// CreatePasswordReset stores a reset token's hash and enqueues the mail
	// carrying its link, in one transaction.
	CreatePasswordReset(ctx context.Context, tokenHash string, memberID int64, now, expires time.Time, m *Mail) error
	// PasswordResetMember returns the member of an unused, unexpired reset
	// token. ErrNotFound otherwise.
	PasswordResetMember(ctx context.Context, tokenHash string, now time.Time) (*Member, error)
	// ResetPassword spends the token, sets the password hash, ends every
	// session and enqueues notice, in one transaction, and returns the
	// member's id. ErrNotFound if the token is not valid.
	ResetPassword(ctx context.Context, tokenHash, hash string, now time.Time, notice *Mail) (int64, error)

	// MakeChecker marks a member as hearth verify's check account.
	MakeChecker(ctx context.Context, id int64) error
	// PurgeThread removes a deleted thread and what hangs on it for good.
	PurgeThread(ctx context.Context, id int64) error

	// Setting returns a site setting's value, or ErrNotFound.
	Setting(ctx context.Context, key string) (string, error)
	// SetSetting inserts or replaces a site setting.
	SetSetting(ctx context.Context, key, value string) error
	// EnsureSetting stores value under key unless the key has a value, and
	// returns the value the key has then: the first node to ask wins.
	EnsureSetting(ctx context.Context, key, value string) (string, error)

	// CreateCategory inserts c and sets c.ID.
	CreateCategory(ctx context.Context, c *Category) error
	// UpdateCategory saves parent, name, slug, description, position and visibility.
	UpdateCategory(ctx context.Context, c *Category) error
	// CategoryByID returns ErrNotFound if there is no such category.
	CategoryByID(ctx context.Context, id int64) (*Category, error)
	// ListCategories returns every category ordered by position then id,
	// with its latest activity, in one query.
	ListCategories(ctx context.Context) ([]*Category, error)

	// CreateThread inserts t and its first post p (position 1) in one
	// transaction, sets their IDs and updates the category's and author's
	// counters and last-post pointers.
	CreateThread(ctx context.Context, t *Thread, p *Post) error
	// ThreadByID returns a thread, deleted or not. ErrNotFound if absent.
	ThreadByID(ctx context.Context, id int64) (*Thread, error)
	// ListThreads returns one page of a category's threads, sticky first,
	// then newest activity first, and the total matching the filter.
	ListThreads(ctx context.Context, f ThreadFilter) ([]*Thread, int, error)
	// LatestThreads returns threads of every category f.Access may read,
	// newest activity first, from f.Before on; not deleted, and not those
	// f.MemberID muted (or in a category they muted). Each thread has its
	// CategoryName and CategorySlug filled.
	LatestThreads(ctx context.Context, f LatestFilter) ([]*Thread, error)
	// SetThreadFlags sets a thread's sticky and locked flags.
	SetThreadFlags(ctx context.Context, id int64, sticky, locked bool) error

	// CreatePost appends p to its thread at the next position, sets p.ID and
	// p.Position, and updates thread, category and author counters and
	// last-post pointers in the same transaction. ErrNotFound if the thread is absent.
	CreatePost(ctx context.Context, p *Post) error
	// PostByID returns a post with its author details. ErrNotFound if absent.
	PostByID(ctx context.Context, id int64) (*Post, error)
	// ListPosts returns a thread's posts with positions in [from, to],
	// deleted ones included, in order, with author details.
	ListPosts(ctx context.Context, threadID int64, from, to int) ([]*Post, error)
	// UpdatePost saves a new body, its rendering, the edit time and who
	// edited (the author or a moderator).
	UpdatePost(ctx context.Context, id int64, body, html string, editedAt time.Time, editedBy int64) error
	// SetPostDeleted soft-deletes (deleted=true) or restores a post and keeps
	// every counter and last-post pointer right. Deleting position 1 deletes
	// the thread too; restoring it restores the thread.
	SetPostDeleted(ctx context.Context, id int64, deleted bool, by int64, at time.Time) error

	// AddBookmark records that member bookmarked post at at, and reports
	// whether it was new (a bookmark already there is kept as it was).
	AddBookmark(ctx context.Context, member, post int64, at time.Time) (bool, error)
	// RemoveBookmark deletes a bookmark and reports whether there was one.
	RemoveBookmark(ctx context.Context, member, post int64) (bool, error)
	// ListBookmarks returns one page of a member's bookmarks, newest first,
	// and how many there are, leaving out in the query those of posts
	// f.Access may not read.
	ListBookmarks(ctx context.Context, f BookmarkFilter) ([]*Bookmark, int, error)
	// BookmarkedPosts returns the ids of every post member has bookmarked,
	// ascending.
	BookmarkedPosts(ctx context.Context, member int64) ([]int64, error)
	// FeedItems returns what a feed shows, as a guest may read it (public
	// categories, nothing deleted), the newest first: the first posts of
	// the newest threads (of f.CategoryID, or of the forum), or the newest
	// posts of thread f.ThreadID.
	FeedItems(ctx context.Context, f FeedFilter) ([]*FeedItem, error)
	// SitemapThreads returns up to limit threads a guest may read (public
	// categories, not deleted), by id from the offset-th, and CountSitemapThreads
	// how many there are: the guest check is in the query.
	SitemapThreads(ctx context.Context, offset, limit int) ([]SitemapThread, error)
	CountSitemapThreads(ctx context.Context) (int, error)
	// Search returns one page of the posts matching q that q.Viewer may
	// read, ranked (RankCandidates over at most SearchCandidates matches,
	// the newest), with their text bounded for snippets, and the number of
	// matches ranked. Permissions are part of the query.
	Search(ctx context.Context, q SearchQuery) ([]*SearchHit, int, error)
	// SearchIndexStatus counts the posts and the posts the search index
	// holds; they are equal when the index is complete.
	SearchIndexStatus(ctx context.Context) (posts, indexed int64, err error)
	// RebuildSearch rebuilds the search index from the posts and threads.
	RebuildSearch(ctx context.Context) error
	// SearchSegments counts the search index's segments, each of which a
	// search reads for each of its words (0 for an index without them);
	// MergeSearch does one step of merging them into one, writing about
	// pages pages, and reports whether there was anything to merge.
	SearchSegments(ctx context.Context) (int, error)
	MergeSearch(ctx context.Context, pages int) (merged bool, err error)

	// Import writes a batch of records with their IDs as given, in one
	// transaction, for seeding and importers. Counters are not maintained:
	// call Recount afterwards.
	Import(ctx context.Context, b *ImportBatch) error
	// Recount recomputes every counter and last-post pointer from the posts
	// and reports how many rows it changed.
	Recount(ctx context.Context) (RecountReport, error)

	SocialStore
	UnreadStore     // unread.go
	MailStore       // mailadmin.go
	MemberMailStore // below
	DraftStore      // drafts.go
}

// MemberMailStore is what confirmation links, mail preferences, notification
// mail and digests keep.
type MemberMailStore interface {
	// RegisterMember inserts m (as CreateMember does), its confirmation
	// link with the mail carrying it, and its mail preferences, in one
	// transaction. ErrConflict if the email is taken.
	RegisterMember(ctx context.Context, m *Member, c *Confirmation, prefs *MailPrefs) error
	// CreateEmailConfirmation stores another link for c.MemberID and
	// enqueues its mail, in one transaction.
	CreateEmailConfirmation(ctx context.Context, c *Confirmation) error
	// EnqueueMail writes a mail to the outbox (a no-op if its key is
	// there already) and reports whether it was added.
	EnqueueMail(ctx context.Context, m *Mail, now time.Time) (bool, error)
	// ChangeEmail spends an unused, unexpired link mailed to an address
	// other than the member's, moves the member there (confirmed) and
	// enqueues notice(member after, old address), in one transaction, and
	// returns the member's id. ErrNotFound if the link is not valid,
	// ErrConflict if another member has the address by now.
	ChangeEmail(ctx context.Context, tokenHash string, now time.Time, notice func(m *Member, old string) *Mail) (int64, error)
	// ConfirmEmail spends an unused, unexpired link mailed to the member's
	// current address and marks the address confirmed, with an event, and
	// returns the member's id. ErrNotFound if the link is not valid.
	ConfirmEmail(ctx context.Context, tokenHash string, now time.Time) (int64, error)

	// MailPrefs returns a member's preferences (the defaults if they never
	// chose). ErrNotFound if there is no such member.
	MailPrefs(ctx context.Context, memberID int64) (*MailPrefs, error)
	// SaveMailPrefs stores p with a member.mailprefs event, in one transaction.
	SaveMailPrefs(ctx context.Context, p *MailPrefs, now time.Time) error
	// MailOptOut reports whether the member turned the status broadcast off.
	MailOptOut(ctx context.Context, memberID int64) (bool, error)

	// WaitingMailNotifications returns up to limit notifications not yet
	// decided on for mail, oldest first, each with what its mail needs and
	// whether its member may read it now (decided in the query).
	WaitingMailNotifications(ctx context.Context, limit int) ([]*MailNotification, error)
	// HeldMailNotifications returns a member's notifications kept for their
	// digest, oldest first, at most limit, as WaitingMailNotifications does.
	HeldMailNotifications(ctx context.Context, memberID int64, limit int) ([]*MailNotification, error)
	// FinishMailNotifications sets the mail state of notifications and
	// enqueues mails, in one transaction.
	FinishMailNotifications(ctx context.Context, states map[int64]NotifyMailState, mails []*Mail, now time.Time) error
	// NotifyMailsSince counts the notification mails (kinds "notify.*")
	// enqueued for a member since since.
	NotifyMailsSince(ctx context.Context, memberID int64, since time.Time) (int, error)

	// DigestMembers returns the active, confirmed members who want some
	// mail daily or weekly, with their preferences.
	DigestMembers(ctx context.Context) ([]*DigestMember, error)
	// DigestThreads returns the threads f.Access may read that were
	// started since f.Since, and those with the most posts since then.
	DigestThreads(ctx context.Context, f DigestFilter) (fresh, active []*DigestThread, err error)
	// FinishDigest records a member's digest: its time, the mail (nil when
	// there was nothing to say) and the held notifications it carried, in
	// one transaction.
	FinishDigest(ctx context.Context, memberID int64, at time.Time, m *Mail, held []int64) error
}

// ThreadFilter selects threads for ListThreads.
type ThreadFilter struct {
	CategoryID     int64
	IncludeDeleted bool  // moderators see deleted threads
	MemberID       int64 // leaves out the threads this member muted
	Offset, Limit  int
}

// LatestFilter selects threads for LatestThreads: a keyset page.
type LatestFilter struct {
	Access   Access
	MemberID int64 // leaves out what this member muted; 0 for guests
	Before   LatestCursor
	Limit    int
}

// LatestCursor is where a page of the latest threads starts: threads
// whose activity is older than At, or as old with a last post id below
// PostID. The zero cursor is the newest.
type LatestCursor struct {
	At     time.Time
	PostID int64
}

// IsZero reports whether c is the newest page's cursor.
func (c LatestCursor) IsZero() bool { return c.At.IsZero() && c.PostID == 0 }

// ImportBatch is a set of rows written as they are, IDs included.
type ImportBatch struct {
	Members    []*Member
	Categories []*Category
	Threads    []*Thread
	Posts      []*Post
}

// RecountReport says what Recount corrected.
type RecountReport struct {
	Members, Categories, Threads int
}

// Access is what a reader may see, for queries that enforce it themselves:
// guests (and members awaiting approval) read public categories, members
// all but staff-only ones, moderators everything, deleted posts included.
type Access int

const (
	AccessGuest Access = iota
	AccessMember
	AccessStaff
)

// AccessOf returns actor's access, the same rule as the categories' own.
func AccessOf(actor *Member) Access {
	switch {
	case actor.IsModerator():
		return AccessStaff
	case actor.Active():
		return AccessMember
	}
	return AccessGuest
}

// BookmarkFilter selects bookmarks for ListBookmarks.
type BookmarkFilter struct {
	MemberID      int64
	Access        Access
	Offset, Limit int
}

// FeedFilter selects what FeedItems returns: a thread's posts, a
// category's threads or, with neither, the forum's threads.
type FeedFilter struct {
	CategoryID, ThreadID int64
	Limit                int
}
