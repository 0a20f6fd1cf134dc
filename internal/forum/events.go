package forum

import "time"

// EventKind names what happened. Kinds are stable strings: they are stored,
// and consumers of later versions read events written by earlier ones.
type EventKind string

// Every write that anything else must learn of (caches on other nodes,
// later notifications, mail, search, the member roster) appends one of
// these in the same transaction as the write.
const (
	EventMemberJoined      EventKind = "member.joined"
	EventMemberProfile     EventKind = "member.profile"  // name, title, location, bio
	EventMemberPassword    EventKind = "member.password" // and every other session ended
	EventMemberRole        EventKind = "member.role"
	EventMemberApproved    EventKind = "member.approved"
	EventMemberSuspended   EventKind = "member.suspended" // and every session ended
	EventMemberReactivated EventKind = "member.reactivated"
	EventMemberStatus      EventKind = "member.status"    // any other change of status
	EventMemberConfirmed   EventKind = "member.confirmed" // opened the link mailed at registration
	EventMemberMailPrefs   EventKind = "member.mailprefs" // mail preferences, time zone or an unsubscribe
	EventSessionEnded      EventKind = "session.ended"    // a logout
	EventCategoryCreated   EventKind = "category.created"
	EventCategoryChanged   EventKind = "category.changed" // renamed, moved, reordered, visibility
	EventThreadCreated     EventKind = "thread.created"
	EventThreadFlags       EventKind = "thread.flags" // pinned or locked
	EventThreadDeleted     EventKind = "thread.deleted"
	EventThreadRestored    EventKind = "thread.restored"
	EventPostCreated       EventKind = "post.created"
	EventPostEdited        EventKind = "post.edited"
	EventPostDeleted       EventKind = "post.deleted"
	EventPostRestored      EventKind = "post.restored"
	EventPostLiked         EventKind = "post.liked"   // MemberID liked PostID
	EventPostUnliked       EventKind = "post.unliked" // MemberID took the like back
	EventSettingChanged    EventKind = "setting.changed"
	EventModeChanged       EventKind = "mode.changed"
	EventRecounted         EventKind = "forum.recounted"      // hearth repair corrected counters
	EventImported          EventKind = "forum.imported"       // rows written by seed or an importer
	EventBookmarkAdded     EventKind = "bookmark.added"       // MemberID bookmarked PostID
	EventBookmarkRemoved   EventKind = "bookmark.removed"     // and took it back
	EventNotified          EventKind = "notification.changed" // MemberID's notifications came or were read; 0: several members'
	EventLevelChanged      EventKind = "level.changed"        // MemberID chose a level on a thread or category
	EventMailBounced       EventKind = "member.mail_bounced"  // a bounce of mail to MemberID was recorded (it may have stopped their mail)
	EventMailResumed       EventKind = "member.mail_resumed"  // the member turned their mail back on after bounces
	EventDraftsChanged     EventKind = "drafts.changed"       // MemberID's forms with a draft are others now; 0: several members'
)

// Event is one entry of the event stream. It names its subjects by id and
// never holds a copy of their data, which a later change would make wrong:
// a consumer reads what it needs when it handles the event.
type Event struct {
	ID         int64
	Kind       EventKind
	MemberID   int64
	CategoryID int64
	ThreadID   int64
	PostID     int64
	Node       string // the process that wrote it, so a node can skip its own
	At         time.Time
}

// EventCursor is a consumer's position in the stream, opaque outside the
// store (an id on SQLite, a snapshot on PostgreSQL). The zero cursor is the
// start of the stream.
type EventCursor string
