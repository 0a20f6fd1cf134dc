package store

import (
	"context"
	"database/sql"
	"errors"
	netmail "net/mail"
	"strings"
	"time"

	"hearth/internal/forum"
)

// RecordBounce: see forum.BounceStore.
func (db *DB) RecordBounce(ctx context.Context, b forum.Bounce) (bool, error) {
	stopped := false
	err := db.inTx(ctx, "record a bounce", func(tx *sql.Tx) error {
		var to string
		if err := db.txRow(ctx, tx, `SELECT to_addr FROM outbox WHERE id = $1 AND member_id = $2`, b.OutboxID, b.MemberID).Scan(&to); err != nil {
			return err
		}
		addr := strings.ToLower(to)
		if a, err := netmail.ParseAddress(to); err == nil {
			addr = strings.ToLower(a.Address)
		}
		hard := 0
		if b.Hard {
			hard = 1
		}
		res, err := db.txExec(ctx, tx, `INSERT INTO mail_bounces (outbox_id, member_id, address, hard, status, reason, at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (outbox_id) DO NOTHING`,
			b.OutboxID, b.MemberID, addr, hard, b.Status, b.Reason, toMillis(b.At))
		if err != nil {
			return err
		}
		var stoppedAt, cleared int64
		var was string
		err = db.txRow(ctx, tx, `SELECT address, stopped_at, cleared_at FROM member_mail_state WHERE member_id = $1`, b.MemberID).Scan(&was, &stoppedAt, &cleared)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			stopped = stoppedAt > 0 && was == addr // reported before: nothing changes
			return nil
		}
		if stoppedAt > 0 && was == addr {
			stopped = true
		} else {
			stop := b.Hard
			if !stop {
				since := max(toMillis(b.At.Add(-forum.SoftBounceWindow)), cleared)
				var soft int
				if err := db.txRow(ctx, tx, `SELECT COUNT(*) FROM mail_bounces
					WHERE member_id = $1 AND hard = 0 AND at > $2 AND address = $3`, b.MemberID, since, addr).Scan(&soft); err != nil {
					return err
				}
				stop = soft >= forum.SoftBounceLimit
			}
			if stop {
				reason := b.Reason
				if reason == "" {
					reason = "the receiving server refused it"
				}
				if b.Status != "" {
					reason = b.Status + " " + reason
				}
				if _, err := db.txExec(ctx, tx, `INSERT INTO member_mail_state (member_id, address, stopped_at, reason, cleared_at)
					VALUES ($1, $2, $3, $4, 0)
					ON CONFLICT (member_id) DO UPDATE SET address = excluded.address, stopped_at = excluded.stopped_at, reason = excluded.reason`,
					b.MemberID, addr, toMillis(b.At), reason); err != nil {
					return err
				}
				stopped = true
			}
		}
		return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventMailBounced, MemberID: b.MemberID})
	})
	return stopped, err
}

// MailBounced: see forum.BounceStore. A stop applies while the member's
// address is the one that bounced.
func (db *DB) MailBounced(ctx context.Context, memberID int64) (bool, string, error) {
	var reason string
	err := db.read.QueryRowContext(ctx, `SELECT s.reason FROM member_mail_state s JOIN members m ON m.id = s.member_id
		WHERE s.member_id = $1 AND s.stopped_at > 0 AND s.address = m.email`, memberID).Scan(&reason)
	if errors.Is(err, sql.ErrNoRows) {
		return false, "", nil
	}
	if err != nil {
		return false, "", db.wrap("read a member's mail state", err)
	}
	return true, reason, nil
}

// ResumeMail: see forum.BounceStore.
func (db *DB) ResumeMail(ctx context.Context, memberID int64, now time.Time) error {
	return db.inTx(ctx, "turn mail back on", func(tx *sql.Tx) error {
		res, err := db.txExec(ctx, tx, `UPDATE member_mail_state SET stopped_at = 0, reason = '', cleared_at = $2 WHERE member_id = $1`,
			memberID, toMillis(now))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventMailResumed, MemberID: memberID})
	})
}

// EnqueueAnswer: see forum.BounceStore.
func (db *DB) EnqueueAnswer(ctx context.Context, senderKey string, since time.Time, m *forum.Mail) (bool, error) {
	added := false
	now := m.At
	if now.IsZero() {
		now = time.Now()
	}
	err := db.inTx(ctx, "answer a mail", func(tx *sql.Tx) error {
		res, err := db.txExec(ctx, tx, `INSERT INTO mail_answers (sender_key, answered_at) VALUES ($1, $2)
			ON CONFLICT (sender_key) DO UPDATE SET answered_at = excluded.answered_at WHERE mail_answers.answered_at <= $3`,
			senderKey, toMillis(now), toMillis(since))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		added, err = db.enqueueMail(ctx, tx, m, now)
		return err
	})
	return added, err
}

// MailStops returns, in two queries, the members whose current address
// bounces (as MailBounced decides) and those who turned broadcasts off
// (MailOptOut): for the roster's rebuild.
func (db *DB) MailStops(ctx context.Context) (bounced, optedOut map[int64]bool, err error) {
	ids := func(q string) (map[int64]bool, error) {
		rows, err := db.read.QueryContext(ctx, q)
		if err != nil {
			return nil, db.wrap("read the members' mail stops", err)
		}
		defer rows.Close()
		out := map[int64]bool{}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return nil, db.wrap("read the members' mail stops", err)
			}
			out[id] = true
		}
		return out, db.wrap("read the members' mail stops", rows.Err())
	}
	if bounced, err = ids(`SELECT s.member_id FROM member_mail_state s JOIN members m ON m.id = s.member_id
		WHERE s.stopped_at > 0 AND s.address = m.email`); err != nil {
		return nil, nil, err
	}
	if optedOut, err = ids(`SELECT member_id FROM mail_prefs WHERE broadcast_off`); err != nil {
		return nil, nil, err
	}
	return bounced, optedOut, nil
}
