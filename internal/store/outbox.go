package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"hearth/internal/forum"
)

// EnqueueMail adds m to the outbox, due now. A mail whose Key is already
// there adds nothing: a replayed event or a retried request sends once.
// It reports whether the mail was added.
func (db *DB) EnqueueMail(ctx context.Context, m *forum.Mail, now time.Time) (bool, error) {
	added := false
	err := db.inTx(ctx, "enqueue mail", func(tx *sql.Tx) error {
		var err error
		added, err = db.enqueueMail(ctx, tx, m, now)
		return err
	})
	return added, err
}

// enqueueMail adds m in tx: how a write puts the mail it causes into the
// outbox in its own transaction.
func (db *DB) enqueueMail(ctx context.Context, tx *sql.Tx, m *forum.Mail, now time.Time) (bool, error) {
	if m.Key == "" || m.To == "" {
		return false, fmt.Errorf("enqueue mail: a mail needs a key and an address")
	}
	headers := ""
	if len(m.Headers) > 0 {
		b, err := json.Marshal(m.Headers)
		if err != nil {
			return false, err
		}
		headers = string(b)
	}
	sender := m.Sender
	if sender == "" {
		sender = forum.SenderAccount
	}
	res, err := db.txExec(ctx, tx, `INSERT INTO outbox (dedupe_key, kind, member_id, to_addr, sender, message_id,
		subject, body_text, body_html, headers, next_at, created_at)
		VALUES ($1, $2, $3, $4, $5, '', $6, $7, $8, $9, $10, $10)
		ON CONFLICT (dedupe_key) DO NOTHING`,
		m.Key, m.Kind, m.MemberID, m.To, string(sender), m.Subject, m.Text, m.HTML, headers, toMillis(now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

const outboxCols = `id, dedupe_key, kind, member_id, to_addr, sender, subject, body_text, body_html, headers,
	state, attempts, in_doubt, next_at, last_error, created_at, sent_at`

func scanOutbox(rows *sql.Rows) ([]*forum.OutboxMail, error) { return scanOutboxStopped(rows, false) }

// claimStopped is the reason mail to a claimed row's member is stopped
// (their address bounced; see mailstate.go), "" if it is not. A password
// reset goes out regardless: the member asked for it in person, and it is
// their way back to the profile where mail is turned on again.
const claimStopped = `, COALESCE((SELECT s.reason FROM member_mail_state s JOIN members m ON m.id = s.member_id
	WHERE s.member_id = outbox.member_id AND s.stopped_at > 0 AND s.address = m.email AND outbox.kind <> 'account.reset'), '')`

// scanOutboxStopped reads rows of outboxCols, and of claimStopped after
// them if stopped.
func scanOutboxStopped(rows *sql.Rows, stopped bool) ([]*forum.OutboxMail, error) {
	defer rows.Close()
	var out []*forum.OutboxMail
	for rows.Next() {
		var m forum.OutboxMail
		var sender, state, headers string
		var inDoubt int
		var next, created, sent int64
		dest := []any{&m.ID, &m.Key, &m.Kind, &m.MemberID, &m.To, &sender, &m.Subject, &m.Text, &m.HTML, &headers,
			&state, &m.Attempts, &inDoubt, &next, &m.LastError, &created, &sent}
		if stopped {
			dest = append(dest, &m.Stopped)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		m.Sender, m.State, m.InDoubt = forum.MailSender(sender), forum.MailState(state), inDoubt != 0
		m.NextAt, m.CreatedAt = fromMillis(next), fromMillis(created)
		if sent > 0 {
			m.SentAt = fromMillis(sent)
		}
		if headers != "" {
			if err := json.Unmarshal([]byte(headers), &m.Headers); err != nil {
				return nil, fmt.Errorf("outbox mail %d: headers: %w", m.ID, err)
			}
		}
		out = append(out, &m)
	}
	return out, rows.Err()
}

// ClaimMail marks up to limit due pending mails as being sent and returns
// them, oldest due first. One worker runs per forum (the singleton lease),
// so claims never overlap.
func (db *DB) ClaimMail(ctx context.Context, now time.Time, limit int) ([]*forum.OutboxMail, error) {
	var out []*forum.OutboxMail
	err := db.inTx(ctx, "claim mail", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE outbox SET state = 'sending', attempts = attempts + 1
			WHERE id IN (SELECT id FROM outbox WHERE state = 'pending' AND next_at <= $1 ORDER BY next_at, id LIMIT $2)
			RETURNING `+outboxCols+claimStopped, toMillis(now), limit)
		if err != nil {
			return err
		}
		out, err = scanOutboxStopped(rows, true)
		return err
	})
	// RETURNING gives no order.
	slices.SortFunc(out, func(a, b *forum.OutboxMail) int { return cmp.Compare(a.ID, b.ID) })
	return out, err
}

// FinishMail records the results of a round of sends in one transaction.
func (db *DB) FinishMail(ctx context.Context, results []forum.MailResult, now time.Time) error {
	if len(results) == 0 {
		return nil
	}
	return db.inTx(ctx, "record mail sent", func(tx *sql.Tx) error {
		var sent []any
		for _, r := range results {
			switch {
			case r.Sent:
				sent = append(sent, r.ID)
			case r.Failed:
				if _, err := db.txExec(ctx, tx, `UPDATE outbox SET state = 'failed', last_error = $2 WHERE id = $1`, r.ID, r.Err); err != nil {
					return err
				}
			default:
				if _, err := db.txExec(ctx, tx, `UPDATE outbox SET state = 'pending', next_at = $2, last_error = $3 WHERE id = $1`,
					r.ID, toMillis(r.Retry), r.Err); err != nil {
					return err
				}
			}
		}
		for len(sent) > 0 {
			n := min(len(sent), 500)
			ph := make([]string, n)
			for i := range ph {
				ph[i] = fmt.Sprintf("$%d", i+2)
			}
			args := append([]any{toMillis(now)}, sent[:n]...)
			if _, err := tx.ExecContext(ctx, `UPDATE outbox SET state = 'sent', sent_at = $1, last_error = '' WHERE id IN (`+
				strings.Join(ph, ", ")+`)`, args...); err != nil {
				return err
			}
			sent = sent[n:]
		}
		return nil
	})
}

// RecoverMail puts mails left in 'sending' (the worker stopped in the
// middle of sending them) back to pending, marked in doubt: each may have
// gone out already, so it is sent again (at least once beats at most
// once for mail members wait for) and counted for the admin. It reports
// how many it found.
func (db *DB) RecoverMail(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := db.inTx(ctx, "recover mail in doubt", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET state = 'pending', in_doubt = 1, next_at = $1 WHERE state = 'sending'`, toMillis(now))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// OutboxStats counts the outbox by state.
func (db *DB) OutboxStats(ctx context.Context) (forum.OutboxStats, error) {
	var s forum.OutboxStats
	rows, err := db.read.QueryContext(ctx, `SELECT state, COUNT(*), COALESCE(MIN(CASE WHEN state = 'pending' THEN created_at END), 0),
		COALESCE(SUM(in_doubt), 0) FROM outbox GROUP BY state`)
	if err != nil {
		return s, db.wrap("count the outbox", err)
	}
	defer rows.Close()
	for rows.Next() {
		var state string
		var n, doubt int
		var oldest int64
		if err := rows.Scan(&state, &n, &oldest, &doubt); err != nil {
			return s, db.wrap("count the outbox", err)
		}
		s.InDoubt += doubt
		switch forum.MailState(state) {
		case forum.MailPending:
			s.Pending = n
			if oldest > 0 {
				s.OldestPending = fromMillis(oldest)
			}
		case forum.MailSending:
			s.Sending = n
		case forum.MailSent:
			s.Sent = n
		case forum.MailFailed:
			s.Failed = n
		}
	}
	if err := rows.Err(); err != nil {
		return s, db.wrap("count the outbox", err)
	}
	err = db.read.QueryRowContext(ctx, `SELECT last_error FROM outbox WHERE last_error <> '' ORDER BY id DESC LIMIT 1`).Scan(&s.LastError)
	if err == sql.ErrNoRows {
		err = nil
	}
	return s, db.wrap("count the outbox", err)
}

// ListMail returns the newest outbox rows in a state (all if ""), for the
// admin page.
func (db *DB) ListMail(ctx context.Context, state forum.MailState, limit int) ([]*forum.OutboxMail, error) {
	q, args := `SELECT `+outboxCols+` FROM outbox`, []any{}
	if state != "" {
		q += ` WHERE state = $1`
		args = append(args, string(state))
	}
	q += fmt.Sprintf(` ORDER BY id DESC LIMIT %d`, limit)
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.wrap("list the outbox", err)
	}
	out, err := scanOutbox(rows)
	return out, db.wrap("list the outbox", err)
}

// MailByKey returns the outbox row enqueued with key, or ErrNotFound.
func (db *DB) MailByKey(ctx context.Context, key string) (*forum.OutboxMail, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+outboxCols+` FROM outbox WHERE dedupe_key = $1`, key)
	if err != nil {
		return nil, db.wrap("read the outbox", err)
	}
	out, err := scanOutbox(rows)
	if err != nil {
		return nil, db.wrap("read the outbox", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("read the outbox: %w", forum.ErrNotFound)
	}
	return out[0], nil
}

// CreatePasswordReset stores a reset link's token hash for member id and
// enqueues the mail carrying it, in one transaction: the link is never
// valid without its mail on its way, nor mailed without being valid.
func (db *DB) CreatePasswordReset(ctx context.Context, tokenHash string, memberID int64, now, expires time.Time, m *forum.Mail) error {
	return db.inTx(ctx, "create a password reset", func(tx *sql.Tx) error {
		if _, err := db.txExec(ctx, tx, `INSERT INTO password_resets (token_hash, member_id, created_at, expires_at)
			VALUES ($1, $2, $3, $4)`, tokenHash, memberID, toMillis(now), toMillis(expires)); err != nil {
			return err
		}
		_, err := db.enqueueMail(ctx, tx, m, now)
		return err
	})
}

// PasswordResetMember returns the member of an unused, unexpired reset
// token, or ErrNotFound.
func (db *DB) PasswordResetMember(ctx context.Context, tokenHash string, now time.Time) (*forum.Member, error) {
	var id int64
	err := db.read.QueryRowContext(ctx, `SELECT member_id FROM password_resets
		WHERE token_hash = $1 AND used_at = 0 AND expires_at > $2`, tokenHash, toMillis(now)).Scan(&id)
	if err != nil {
		return nil, db.wrap("read a password reset", err)
	}
	return db.MemberByID(ctx, id)
}

// ResetPassword uses a reset token: if it is unused and unexpired, it is
// spent, the password set, every session ended and notice enqueued, in
// one transaction. ErrNotFound if the token is not (or no longer) valid.
func (db *DB) ResetPassword(ctx context.Context, tokenHash, hash string, now time.Time, notice *forum.Mail) (int64, error) {
	var id int64
	err := db.inTx(ctx, "reset a password", func(tx *sql.Tx) error {
		err := db.txRow(ctx, tx, `UPDATE password_resets SET used_at = $3
			WHERE token_hash = $1 AND used_at = 0 AND expires_at > $2 RETURNING member_id`, tokenHash, toMillis(now), toMillis(now)).Scan(&id)
		if err != nil {
			return err
		}
		var epoch int64
		if err := db.txRow(ctx, tx, `UPDATE members SET password_hash = $2, session_epoch = session_epoch + 1
			WHERE id = $1 RETURNING session_epoch`, id, hash).Scan(&epoch); err != nil {
			return err
		}
		if _, err := db.endSessions(ctx, tx, id, epoch, "", now); err != nil {
			return err
		}
		// Other links mailed before this one die with it.
		if _, err := db.txExec(ctx, tx, `UPDATE password_resets SET used_at = $2 WHERE member_id = $1 AND used_at = 0`, id, toMillis(now)); err != nil {
			return err
		}
		if notice != nil {
			if _, err := db.enqueueMail(ctx, tx, notice, now); err != nil {
				return err
			}
		}
		return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventMemberPassword, MemberID: id})
	})
	return id, err
}
