package forum

import "time"

// NotifyMailState is what became of a notification for mail.
type NotifyMailState int

const (
	NotifyMailWaiting NotifyMailState = 0 // its window is open
	NotifyMailSent    NotifyMailState = 1 // mailed, alone or bundled, or carried by a digest
	NotifyMailSkipped NotifyMailState = 2 // read meanwhile, not wanted, not readable, over the cap
	NotifyMailHeld    NotifyMailState = 3 // kept for the member's digest
)

// MailNotification is a notification with what its mail needs: the
// member's address and where they are in the thread, the post's excerpt.
// MayRead is decided by the query: the member is active and confirmed,
// the thread and post are not deleted, and the member may see the
// category now.
type MailNotification struct {
	ID, MemberID int64
	Kind         NotificationKind
	ActorID      int64
	ActorName    string
	ThreadID     int64
	ThreadTitle  string
	ThreadSlug   string
	PostID       int64
	PostPosition int
	PostHTML     string
	CreatedAt    time.Time

	MayRead      bool
	Email, Name  string
	ReadPosition int       // the member's last read position in the thread
	LastVisitAt  time.Time // the member's last request on the site
}

// DigestMember is a member who wants some mail in a digest.
type DigestMember struct {
	Member
	Prefs       MailPrefs
	LastVisitAt time.Time
}

// DigestFilter selects a digest's threads.
type DigestFilter struct {
	Access Access
	Since  time.Time
	Limit  int
}

// DigestThread is a thread a digest lists.
type DigestThread struct {
	ID          int64
	Title, Slug string
	Category    string
	AuthorName  string
	CreatedAt   time.Time
	PostsSince  int // posts since the filter's time
	Excerpt     string
}
