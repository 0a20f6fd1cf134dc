package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"hearth/internal/forum"
)

// Notification mail and digests: which notifications are waiting for
// mail, and what a digest lists.

// mailNotificationSelect reads notifications n with what their mail
// needs. may_read is the permission, decided here: the member is active
// and confirmed, thread and post are not deleted, and the category is not
// staff-only unless the member is staff (members-only categories are
// every active member's).
const mailNotificationSelect = `SELECT n.id, n.member_id, n.kind, n.actor_id, COALESCE(a.name, ''), n.thread_id, t.title, t.slug,
	n.post_id, COALESCE(p.position, 0), COALESCE(p.html, ''), n.created_at,
	CASE WHEN m.status = 'active' AND NOT m.email_unconfirmed AND t.deleted_at = 0 AND COALESCE(p.deleted_at, 0) = 0
		AND (m.role IN ('moderator', 'admin') OR NOT (c.staff_only OR COALESCE(pc.staff_only, FALSE))) THEN 1 ELSE 0 END,
	m.email, m.name, COALESCE(tm.last_read_position, 0), m.last_visit_at
	FROM notifications n
	JOIN members m ON m.id = n.member_id
	JOIN threads t ON t.id = n.thread_id
	JOIN categories c ON c.id = t.category_id
	LEFT JOIN categories pc ON pc.id = c.parent_id
	LEFT JOIN posts p ON p.id = n.post_id
	LEFT JOIN members a ON a.id = n.actor_id
	LEFT JOIN thread_members tm ON tm.member_id = n.member_id AND tm.thread_id = n.thread_id`

func (db *DB) mailNotifications(ctx context.Context, op, q string, args ...any) ([]*forum.MailNotification, error) {
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.wrap(op, err)
	}
	defer rows.Close()
	var out []*forum.MailNotification
	for rows.Next() {
		var n forum.MailNotification
		var kind string
		var created, visit int64
		var may int
		if err := rows.Scan(&n.ID, &n.MemberID, &kind, &n.ActorID, &n.ActorName, &n.ThreadID, &n.ThreadTitle, &n.ThreadSlug,
			&n.PostID, &n.PostPosition, &n.PostHTML, &created, &may, &n.Email, &n.Name, &n.ReadPosition, &visit); err != nil {
			return nil, db.wrap(op, err)
		}
		n.Kind, n.CreatedAt, n.MayRead = forum.NotificationKind(kind), fromMillis(created), may == 1
		if visit > 0 {
			n.LastVisitAt = fromMillis(visit)
		}
		out = append(out, &n)
	}
	return out, db.wrap(op, rows.Err())
}

// WaitingMailNotifications returns the oldest notifications not yet
// decided on for mail (the partial index notifications_mail_waiting).
func (db *DB) WaitingMailNotifications(ctx context.Context, limit int) ([]*forum.MailNotification, error) {
	return db.mailNotifications(ctx, "list notifications waiting for mail",
		mailNotificationSelect+` WHERE n.mail_state = 0 ORDER BY n.created_at, n.id LIMIT $1`, limitOrAll(limit))
}

// HeldMailNotifications returns a member's notifications kept for their digest.
func (db *DB) HeldMailNotifications(ctx context.Context, memberID int64, limit int) ([]*forum.MailNotification, error) {
	return db.mailNotifications(ctx, fmt.Sprintf("list the digest notifications of member %d", memberID),
		mailNotificationSelect+` WHERE n.member_id = $1 AND n.mail_state = 3 ORDER BY n.created_at, n.id LIMIT $2`, memberID, limitOrAll(limit))
}

// FinishMailNotifications enqueues mails and records what became of each
// notification, in one transaction: a notification is mailed once.
func (db *DB) FinishMailNotifications(ctx context.Context, states map[int64]forum.NotifyMailState, mails []*forum.Mail, now time.Time) error {
	if len(states) == 0 && len(mails) == 0 {
		return nil
	}
	return db.inTx(ctx, "record notification mail", func(tx *sql.Tx) error {
		for _, m := range mails {
			if _, err := db.enqueueMail(ctx, tx, m, now); err != nil {
				return err
			}
		}
		for id, st := range states {
			if _, err := db.txExec(ctx, tx, `UPDATE notifications SET mail_state = $2 WHERE id = $1`, id, int(st)); err != nil {
				return err
			}
		}
		return nil
	})
}

// NotifyMailsSince counts a member's notification mails enqueued since
// since (the outbox_member index).
func (db *DB) NotifyMailsSince(ctx context.Context, memberID int64, since time.Time) (int, error) {
	var n int
	err := db.readRow(ctx, `SELECT COUNT(*) FROM outbox WHERE member_id = $1 AND created_at >= $2 AND kind LIKE 'notify.%'`,
		memberID, toMillis(since)).Scan(&n)
	return n, db.wrap("count notification mails", err)
}

// DigestMembers returns the active, confirmed members with some list set
// to daily or weekly.
func (db *DB) DigestMembers(ctx context.Context) ([]*forum.DigestMember, error) {
	const op = "list the members who want digests"
	rows, err := db.read.QueryContext(ctx, `SELECT `+memberColumns+`, mp.replies, mp.mentions, mp.quotes, mp.watched_threads,
		mp.watched_categories, mp.digest, mp.time_zone, mp.broadcast_off, mp.last_digest_at, m.last_visit_at
		FROM mail_prefs mp JOIN members m ON m.id = mp.member_id
		WHERE m.status = 'active' AND NOT m.email_unconfirmed
		AND ('daily' IN (mp.replies, mp.mentions, mp.quotes, mp.watched_threads, mp.watched_categories, mp.digest)
			OR 'weekly' IN (mp.replies, mp.mentions, mp.quotes, mp.watched_threads, mp.watched_categories, mp.digest))
		ORDER BY m.id`)
	if err != nil {
		return nil, db.wrap(op, err)
	}
	defer rows.Close()
	var out []*forum.DigestMember
	for rows.Next() {
		var m forum.Member
		var created, visit int64
		var ps prefsScan
		dest := []any{&m.ID, &m.Email, &m.Name, &m.PasswordHash, &m.Role, &m.Status,
			&m.Title, &m.Location, &m.Bio, &m.PostCount, &created, &m.SessionEpoch,
			&m.Handle, &m.LikesGiven, &m.LikesReceived, &m.Unconfirmed, &m.Checker}
		dest = append(append(dest, ps.dest()...), &visit)
		if err := rows.Scan(dest...); err != nil {
			return nil, db.wrap(op, err)
		}
		m.CreatedAt = fromMillis(created)
		d := &forum.DigestMember{Member: m, Prefs: ps.prefs(m.ID)}
		if visit > 0 {
			d.LastVisitAt = fromMillis(visit)
		}
		out = append(out, d)
	}
	return out, db.wrap(op, rows.Err())
}

// DigestThreads returns the threads started since f.Since and the older
// ones with the most posts since then, those f.Access may read only.
func (db *DB) DigestThreads(ctx context.Context, f forum.DigestFilter) (fresh, active []*forum.DigestThread, err error) {
	vis := visibleCategory(forum.Visibility{Member: f.Access >= forum.AccessMember, Staff: f.Access == forum.AccessStaff})
	since, limit := toMillis(f.Since), limitOrAll(f.Limit)
	const from = ` FROM threads t JOIN categories c ON c.id = t.category_id LEFT JOIN categories pc ON pc.id = c.parent_id
		LEFT JOIN members a ON a.id = t.author_id `
	fresh, err = db.digestThreads(ctx, `SELECT t.id, t.title, t.slug, c.name, COALESCE(a.name, ''), t.created_at, t.post_count,
		COALESCE((SELECT p.html FROM posts p WHERE p.thread_id = t.id AND p.position = 1 AND p.deleted_at = 0), '')`+from+`
		WHERE t.created_at > $1 AND t.deleted_at = 0 AND `+vis+` ORDER BY t.created_at DESC, t.id DESC LIMIT $2`, since, limit)
	if err != nil {
		return nil, nil, err
	}
	active, err = db.digestThreads(ctx, `SELECT t.id, t.title, t.slug, c.name, COALESCE(a.name, ''), t.created_at,
		(SELECT COUNT(*) FROM posts p WHERE p.thread_id = t.id AND p.created_at > $1 AND p.deleted_at = 0) AS n, ''`+from+`
		WHERE t.last_post_at > $1 AND t.created_at <= $1 AND t.deleted_at = 0 AND `+vis+`
		ORDER BY n DESC, t.id DESC LIMIT $2`, since, limit)
	return fresh, active, err
}

func (db *DB) digestThreads(ctx context.Context, q string, args ...any) ([]*forum.DigestThread, error) {
	const op = "list a digest's threads"
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.wrap(op, err)
	}
	defer rows.Close()
	var out []*forum.DigestThread
	for rows.Next() {
		var t forum.DigestThread
		var created int64
		if err := rows.Scan(&t.ID, &t.Title, &t.Slug, &t.Category, &t.AuthorName, &created, &t.PostsSince, &t.Excerpt); err != nil {
			return nil, db.wrap(op, err)
		}
		t.CreatedAt = fromMillis(created)
		if t.PostsSince > 0 {
			out = append(out, &t)
		}
	}
	return out, db.wrap(op, rows.Err())
}

// FinishDigest records a member's digest, its mail and the notifications
// it carried, in one transaction: the next round finds it done.
func (db *DB) FinishDigest(ctx context.Context, memberID int64, at time.Time, m *forum.Mail, held []int64) error {
	return db.inTx(ctx, fmt.Sprintf("record the digest of member %d", memberID), func(tx *sql.Tx) error {
		if m != nil {
			if _, err := db.enqueueMail(ctx, tx, m, at); err != nil {
				return err
			}
		}
		if _, err := db.txExec(ctx, tx, `UPDATE mail_prefs SET last_digest_at = $2 WHERE member_id = $1`, memberID, toMillis(at)); err != nil {
			return err
		}
		for _, id := range held {
			if _, err := db.txExec(ctx, tx, `UPDATE notifications SET mail_state = 1 WHERE id = $1 AND mail_state = 3`, id); err != nil {
				return err
			}
		}
		return nil
	})
}
