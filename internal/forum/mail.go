package forum

import "time"

// MailSender names which From address a mail goes out with: account mail
// (confirmations, resets, notices) or notification mail and digests.
type MailSender string

const (
	SenderAccount MailSender = "account"
	SenderNotify  MailSender = "notify"
)

// Mail is one message for the outbox, composed when it is enqueued: what
// was promised (a reset link, a notification) is kept as it was, whatever
// changes later. Key makes a second enqueue of the same mail (a replayed
// event, a retried request) add nothing.
type Mail struct {
	Key      string
	Kind     string // "account.confirm", "notify.reply", "test", …: for the admin and /metrics
	MemberID int64  // 0 for mail to an address that is no member's
	To       string
	Sender   MailSender
	Subject  string
	Text     string            // the plain-text part
	HTML     string            // the HTML part; "" for text only
	Headers  map[string]string // extra headers: List-Unsubscribe, In-Reply-To, References, …
	At       time.Time         // when it was written, by the service's clock, for store calls that take no time of their own
}

// MailState is where an outbox row is.
type MailState string

const (
	MailPending MailState = "pending"
	MailSending MailState = "sending" // claimed by the worker; found so after a crash, it may have gone out
	MailSent    MailState = "sent"
	MailFailed  MailState = "failed"
)

// OutboxMail is a row of the outbox.
type OutboxMail struct {
	ID int64
	Mail
	State     MailState
	Attempts  int
	InDoubt   bool // it was being sent when the worker stopped: it may have gone out
	NextAt    time.Time
	LastError string
	CreatedAt time.Time
	SentAt    time.Time
	// Stopped, when not "", is why mail to the member's address stopped
	// (it bounced): the worker fails the mail without sending it.
	Stopped string
}

// OutboxStats is the outbox at a glance, for the admin page, `hearth mail
// status`, doctor and /metrics.
type OutboxStats struct {
	Pending, Sending, Sent, Failed, InDoubt int
	OldestPending                           time.Time // zero if none
	LastError                               string    // of the latest failed or retried row
}

// MailResult is what became of one claimed mail.
type MailResult struct {
	ID     int64
	Sent   bool
	Failed bool      // permanently: it is not tried again
	Retry  time.Time // when neither sent nor failed: when to try again
	Err    string    // why not sent, for the admin
}
