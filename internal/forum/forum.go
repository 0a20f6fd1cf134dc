// Package forum holds Hearth's domain: members, categories, threads and posts,
// the rules that govern them, and the Service the HTTP surfaces call. It knows
// nothing of HTTP or SQL: storage is the Store interface, implemented in
// internal/store.
package forum

import "time"

// Role is what a member may do. Guests are represented by a nil *Member.
type Role string

const (
	RoleMember    Role = "member"
	RoleModerator Role = "moderator"
	RoleAdmin     Role = "admin"
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	return r == RoleMember || r == RoleModerator || r == RoleAdmin
}

// MemberStatus says whether a member may take part.
type MemberStatus string

const (
	StatusActive    MemberStatus = "active"
	StatusPending   MemberStatus = "pending"   // registered, awaiting an admin's approval
	StatusSuspended MemberStatus = "suspended" // may not log in
)

// Valid reports whether s is one of the known statuses.
func (s MemberStatus) Valid() bool {
	return s == StatusActive || s == StatusPending || s == StatusSuspended
}

// Member is a registered person.
type Member struct {
	ID           int64
	Email        string // stored lower-cased
	Name         string
	Handle       string // lower-case, unique: @handle mentions the member
	PasswordHash string
	Role         Role
	Status       MemberStatus
	Title        string // title or organization
	Location     string
	Bio          string
	PostCount    int
	CreatedAt    time.Time
	// Likes the member gave and received, counted with each like.
	LikesGiven, LikesReceived int
	// Unconfirmed is set from registration until the member opens the
	// link mailed to them: they read, but may not post.
	Unconfirmed bool
	// Checker is hearth verify's own check account: it reads and posts in
	// check-only categories and nowhere else.
	Checker bool
	// SessionEpoch moves on when the password changes or the member is
	// suspended; sessions made in an earlier epoch no longer count.
	SessionEpoch int64
}

// Active reports whether m is a member who may take part (not a guest,
// not pending, not suspended).
func (m *Member) Active() bool { return m != nil && m.Status == StatusActive }

// CanPost reports whether m is an active member whose address is
// confirmed: what the posting forms are shown for (Service.MayPost says why not).
func (m *Member) CanPost() bool { return m.Active() && !m.Unconfirmed }

// IsModerator reports whether m may moderate (moderators and admins).
func (m *Member) IsModerator() bool {
	return m.Active() && (m.Role == RoleModerator || m.Role == RoleAdmin)
}

// IsAdmin reports whether m is an active admin.
func (m *Member) IsAdmin() bool { return m.Active() && m.Role == RoleAdmin }

// Session is a login: a web cookie or an API bearer token. Only the SHA-256
// of the token is stored, so a copy of the database does not log anyone in.
type Session struct {
	TokenHash string
	MemberID  int64
	Kind      string // "web" or "api"
	CreatedAt time.Time
	ExpiresAt time.Time
	Epoch     int64 // the member's SessionEpoch when they logged in
}

// Category groups threads. A category has at most one level of parent.
type Category struct {
	ID          int64
	ParentID    int64 // 0 for a top-level category
	Name        string
	Slug        string
	Description string
	Position    int  // ordering among siblings, ascending
	MembersOnly bool // hidden from guests
	StaffOnly   bool // visible to moderators and admins only
	CheckOnly   bool // hearth verify's: staff-only, and the check account reads and posts there
	ThreadCount int
	PostCount   int

	// Latest activity, filled by Store.ListCategories and CategoryByID.
	LastPostID      int64
	LastPostAt      time.Time
	LastThreadID    int64
	LastThreadTitle string
	LastThreadSlug  string
	LastPosterID    int64
	LastPosterName  string

	// Children is filled by the Service (one level).
	Children []*Category
}

// Thread is a conversation: a title and its posts in order.
type Thread struct {
	ID           int64
	CategoryID   int64
	AuthorID     int64
	AuthorName   string // filled on reads
	Title        string
	Slug         string
	PostCount    int // visible (not deleted) posts, including the first
	LastPosition int // position of the newest post, deleted or not
	Sticky       bool
	Locked       bool
	CreatedAt    time.Time
	LastPostAt   time.Time
	LastPostID   int64
	LastPosterID int64
	// LastPosterName is filled on reads.
	LastPosterName string
	DeletedAt      time.Time // zero unless the thread's first post was deleted
	// CategoryName and CategorySlug are filled by the lists across
	// categories (LatestThreads) only.
	CategoryName, CategorySlug string
}

// Replies is the number of visible replies (posts after the first).
func (t *Thread) Replies() int {
	if t.PostCount < 1 {
		return 0
	}
	return t.PostCount - 1
}

// Deleted reports whether the thread was soft-deleted.
func (t *Thread) Deleted() bool { return !t.DeletedAt.IsZero() }

// Post is one message in a thread. Body is the markdown the member wrote;
// HTML is its sanitized rendering, cached so pages never re-render.
type Post struct {
	ID          int64
	ThreadID    int64
	AuthorID    int64
	Position    int // 1 for the thread's first post, then 2, 3, ...
	Body        string
	HTML        string
	QuotePostID int64 // 0 unless the post quotes another
	CreatedAt   time.Time
	EditedAt    time.Time // zero unless edited
	EditedBy    int64     // who last edited: the author or a moderator; 0 if never
	DeletedAt   time.Time // zero unless soft-deleted
	DeletedBy   int64
	LikeCount   int // members who like it

	// Author details, filled on reads.
	AuthorName      string
	AuthorTitle     string
	AuthorRole      Role
	AuthorPostCount int
}

// Edited reports whether the post was changed after it was made.
func (p *Post) Edited() bool { return !p.EditedAt.IsZero() }

// Deleted reports whether the post was soft-deleted.
func (p *Post) Deleted() bool { return !p.DeletedAt.IsZero() }
