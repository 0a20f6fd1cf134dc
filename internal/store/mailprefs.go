package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"hearth/internal/forum"
)

// Email confirmation and mail preferences (migrations/*/0016_mail_prefs.sql).

// RegisterMember inserts m, its confirmation link and mail, and its mail
// preferences, in one transaction: a member is never unconfirmed without
// a link on its way.
func (db *DB) RegisterMember(ctx context.Context, m *forum.Member, c *forum.Confirmation, prefs *forum.MailPrefs) error {
	return db.inTx(ctx, "register member", func(tx *sql.Tx) error {
		if err := db.memberHandle(ctx, tx, m); err != nil {
			return err
		}
		if err := db.txRow(ctx, tx, insertMember, insertMemberArgs(m)...).Scan(&m.ID); err != nil {
			return err
		}
		c.MemberID, c.Mail.MemberID, prefs.MemberID = m.ID, m.ID, m.ID
		if err := db.insertConfirmation(ctx, tx, c); err != nil {
			return err
		}
		if err := db.savePrefs(ctx, tx, prefs, m.CreatedAt); err != nil {
			return err
		}
		return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventMemberJoined, MemberID: m.ID})
	})
}

func (db *DB) insertConfirmation(ctx context.Context, tx *sql.Tx, c *forum.Confirmation) error {
	if _, err := db.txExec(ctx, tx, `INSERT INTO email_confirmations (token_hash, member_id, email, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, c.TokenHash, c.MemberID, c.Email, toMillis(c.CreatedAt), toMillis(c.ExpiresAt)); err != nil {
		return err
	}
	_, err := db.enqueueMail(ctx, tx, c.Mail, c.CreatedAt)
	return err
}

// CreateEmailConfirmation stores another confirmation link and enqueues
// its mail, in one transaction.
func (db *DB) CreateEmailConfirmation(ctx context.Context, c *forum.Confirmation) error {
	return db.inTx(ctx, "create an email confirmation", func(tx *sql.Tx) error {
		return db.insertConfirmation(ctx, tx, c)
	})
}

// ConfirmEmail spends a link mailed to the member's current address and
// confirms it; ErrNotFound if the link is used, expired or for an
// address the member no longer has.
func (db *DB) ConfirmEmail(ctx context.Context, tokenHash string, now time.Time) (int64, error) {
	var id int64
	err := db.inTx(ctx, "confirm an email address", func(tx *sql.Tx) error {
		err := db.txRow(ctx, tx, `UPDATE email_confirmations SET used_at = $2
			WHERE token_hash = $1 AND used_at = 0 AND expires_at > $2
			AND email = (SELECT m.email FROM members m WHERE m.id = email_confirmations.member_id)
			RETURNING member_id`, tokenHash, toMillis(now)).Scan(&id)
		if err != nil {
			return err
		}
		if _, err := db.txExec(ctx, tx, `UPDATE members SET email_unconfirmed = FALSE WHERE id = $1`, id); err != nil {
			return err
		}
		return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventMemberConfirmed, MemberID: id})
	})
	return id, err
}

const prefsColumns = `replies, mentions, quotes, watched_threads, watched_categories, digest, time_zone, broadcast_off, last_digest_at`

// prefLists are the lists in prefsColumns' order.
var prefLists = []string{forum.ListReplies, forum.ListMentions, forum.ListQuotes, forum.ListThreads, forum.ListCategories, forum.ListDigest}

type prefsScan struct {
	freq    [6]string
	tz      string
	bOff    bool
	lastDig int64
}

func (p *prefsScan) dest() []any {
	return []any{&p.freq[0], &p.freq[1], &p.freq[2], &p.freq[3], &p.freq[4], &p.freq[5], &p.tz, &p.bOff, &p.lastDig}
}

func (p *prefsScan) prefs(member int64) forum.MailPrefs {
	out := forum.DefaultMailPrefs()
	out.MemberID, out.TimeZone, out.BroadcastOff = member, p.tz, p.bOff
	for i, l := range prefLists {
		out.Freq[l] = forum.MailFrequency(p.freq[i])
	}
	if p.lastDig > 0 {
		out.LastDigestAt = fromMillis(p.lastDig)
	}
	return out
}

// MailPrefs returns a member's preferences, the defaults if they never chose.
func (db *DB) MailPrefs(ctx context.Context, memberID int64) (*forum.MailPrefs, error) {
	op := fmt.Sprintf("read mail preferences of member %d", memberID)
	var ps prefsScan
	err := db.readRow(ctx, `SELECT `+prefsColumns+` FROM mail_prefs WHERE member_id = $1`, memberID).Scan(ps.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		var one int
		if err := db.readRow(ctx, `SELECT 1 FROM members WHERE id = $1`, memberID).Scan(&one); err != nil {
			return nil, db.wrap(op, err)
		}
		p := forum.DefaultMailPrefs()
		p.MemberID = memberID
		return &p, nil
	}
	if err != nil {
		return nil, db.wrap(op, err)
	}
	p := ps.prefs(memberID)
	return &p, nil
}

// SaveMailPrefs stores p with its event, in one transaction.
func (db *DB) SaveMailPrefs(ctx context.Context, p *forum.MailPrefs, now time.Time) error {
	return db.inTx(ctx, fmt.Sprintf("save mail preferences of member %d", p.MemberID), func(tx *sql.Tx) error {
		if err := db.savePrefs(ctx, tx, p, now); err != nil {
			return err
		}
		return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventMemberMailPrefs, MemberID: p.MemberID})
	})
}

// savePrefs upserts every column of p but last_digest_at, which only a
// digest moves.
func (db *DB) savePrefs(ctx context.Context, tx *sql.Tx, p *forum.MailPrefs, now time.Time) error {
	args := []any{p.MemberID}
	for _, l := range prefLists {
		args = append(args, string(p.Of(l)))
	}
	args = append(args, p.TimeZone, p.BroadcastOff, toMillis(now))
	_, err := db.txExec(ctx, tx, `INSERT INTO mail_prefs (member_id, replies, mentions, quotes, watched_threads, watched_categories,
		digest, time_zone, broadcast_off, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (member_id) DO UPDATE SET replies = excluded.replies, mentions = excluded.mentions, quotes = excluded.quotes,
		watched_threads = excluded.watched_threads, watched_categories = excluded.watched_categories, digest = excluded.digest,
		time_zone = excluded.time_zone, broadcast_off = excluded.broadcast_off, updated_at = excluded.updated_at`, args...)
	return err
}

// MailOptOut reports whether the member turned the status broadcast off
// (false for a member who never chose).
func (db *DB) MailOptOut(ctx context.Context, memberID int64) (bool, error) {
	var off bool
	err := db.readRow(ctx, `SELECT broadcast_off FROM mail_prefs WHERE member_id = $1`, memberID).Scan(&off)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return off, db.wrap("read the broadcast opt-out", err)
}

// ChangeEmail spends a link mailed to a new address and moves the member
// there, telling the old address, in one transaction.
func (db *DB) ChangeEmail(ctx context.Context, tokenHash string, now time.Time, notice func(m *forum.Member, old string) *forum.Mail) (int64, error) {
	var id int64
	err := db.inTx(ctx, "change an email address", func(tx *sql.Tx) error {
		var addr string
		err := db.txRow(ctx, tx, `UPDATE email_confirmations SET used_at = $2
			WHERE token_hash = $1 AND used_at = 0 AND expires_at > $2
			AND email <> (SELECT m.email FROM members m WHERE m.id = email_confirmations.member_id)
			RETURNING member_id, email`, tokenHash, toMillis(now)).Scan(&id, &addr)
		if err != nil {
			return err
		}
		var old string
		if err := db.txRow(ctx, tx, "SELECT email FROM members WHERE id = $1", id).Scan(&old); err != nil {
			return err
		}
		var taken int
		if err := db.txRow(ctx, tx, "SELECT COUNT(*) FROM members WHERE email = $1", addr).Scan(&taken); err != nil {
			return err
		}
		if taken > 0 {
			return forum.ErrConflict
		}
		if _, err := db.txExec(ctx, tx, "UPDATE members SET email = $2, email_unconfirmed = FALSE WHERE id = $1", id, addr); err != nil {
			return err
		}
		m, err := scanMember(db.txRow(ctx, tx, "SELECT "+memberColumns+" FROM members m WHERE m.id = $1", id))
		if err != nil {
			return err
		}
		if _, err := db.enqueueMail(ctx, tx, notice(m, old), now); err != nil {
			return err
		}
		return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventMemberProfile, MemberID: id})
	})
	return id, db.wrap("change an email address", err)
}
