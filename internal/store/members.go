package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"hearth/internal/forum"
)

const memberColumns = `m.id, m.email, m.name, m.password_hash, m.role, m.status,
	m.title, m.location, m.bio, m.post_count, m.created_at, m.session_epoch,
	COALESCE(m.handle, ''), m.likes_given, m.likes_received, m.email_unconfirmed, m.checker`

func scanMember(row rowScanner) (*forum.Member, error) {
	var m forum.Member
	var created int64
	err := row.Scan(&m.ID, &m.Email, &m.Name, &m.PasswordHash, &m.Role, &m.Status,
		&m.Title, &m.Location, &m.Bio, &m.PostCount, &created, &m.SessionEpoch,
		&m.Handle, &m.LikesGiven, &m.LikesReceived, &m.Unconfirmed, &m.Checker)
	if err != nil {
		return nil, err
	}
	m.CreatedAt = fromMillis(created)
	return &m, nil
}

const insertMember = `INSERT INTO members
	(email, name, password_hash, role, status, title, location, bio, post_count, created_at, handle, email_unconfirmed)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`

func insertMemberArgs(m *forum.Member) []any {
	return []any{m.Email, m.Name, m.PasswordHash, string(m.Role), string(m.Status),
		m.Title, m.Location, m.Bio, m.PostCount, toMillis(m.CreatedAt), m.Handle, m.Unconfirmed}
}

// memberHandle checks the handle m chose is free, or gives m one made from
// its name (numbered where taken). ErrHandleTaken if the chosen one is
// another member's.
func (db *DB) memberHandle(ctx context.Context, tx *sql.Tx, m *forum.Member) error {
	taken := func(h string) bool {
		var one int
		return db.txRow(ctx, tx, "SELECT 1 FROM members WHERE handle = $1", h).Scan(&one) == nil
	}
	if m.Handle != "" {
		if taken(m.Handle) {
			return forum.ErrHandleTaken
		}
		_, err := db.txExec(ctx, tx, "DELETE FROM member_handles WHERE handle = $1", m.Handle)
		return err
	}
	m.Handle = freeHandle(forum.SuggestHandle(m.Name), func(h string) bool {
		if taken(h) {
			return true
		}
		var one int // another member's old handle: left to lead to them
		return db.txRow(ctx, tx, "SELECT 1 FROM member_handles WHERE handle = $1", h).Scan(&one) == nil
	})
	return nil
}

// CreateMember inserts m and sets m.ID; ErrConflict if the email is taken.
func (db *DB) CreateMember(ctx context.Context, m *forum.Member) error {
	return db.inTx(ctx, "create member", func(tx *sql.Tx) error {
		if err := db.memberHandle(ctx, tx, m); err != nil {
			return err
		}
		if err := db.txRow(ctx, tx, insertMember, insertMemberArgs(m)...).Scan(&m.ID); err != nil {
			return err
		}
		return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventMemberJoined, MemberID: m.ID})
	})
}

// CreateFirstMember voids the setting tokenKey if it holds tokenHash and
// inserts m if there are no members yet, in one transaction: of concurrent
// setups with the same token, exactly one creates the admin. ErrConflict
// if a member exists, ErrNotFound if the setting does not hold tokenHash.
func (db *DB) CreateFirstMember(ctx context.Context, m *forum.Member, tokenKey, tokenHash string) error {
	return db.inTx(ctx, "create first member", func(tx *sql.Tx) error {
		// Voiding first takes the setting's row lock on PostgreSQL: a
		// concurrent setup waits here, then finds the token void and the
		// admin created (SQLite runs write transactions one at a time).
		res, err := db.txExec(ctx, tx, `UPDATE settings SET value = ''
			WHERE key = $1 AND value = $2 AND value <> ''`, tokenKey, tokenHash)
		if err != nil {
			return err
		}
		voided, err := res.RowsAffected()
		if err != nil {
			return err
		}
		var n int
		if err := db.txRow(ctx, tx, "SELECT COUNT(*) FROM members").Scan(&n); err != nil {
			return err
		}
		switch {
		case n > 0:
			return forum.ErrConflict
		case voided == 0:
			return forum.ErrNotFound
		}
		if err := db.memberHandle(ctx, tx, m); err != nil {
			return err
		}
		if err := db.txRow(ctx, tx, insertMember, insertMemberArgs(m)...).Scan(&m.ID); err != nil {
			return err
		}
		return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventMemberJoined, MemberID: m.ID})
	})
}

// MemberByID returns ErrNotFound if there is no such member.
func (db *DB) MemberByID(ctx context.Context, id int64) (*forum.Member, error) {
	m, err := scanMember(db.read.QueryRowContext(ctx,
		"SELECT "+memberColumns+" FROM members m WHERE m.id = $1", id))
	return m, db.wrap(fmt.Sprintf("load member %d", id), err)
}

// MemberByEmail looks up a lower-cased email; ErrNotFound if absent.
func (db *DB) MemberByEmail(ctx context.Context, email string) (*forum.Member, error) {
	m, err := scanMember(db.read.QueryRowContext(ctx,
		"SELECT "+memberColumns+" FROM members m WHERE m.email = $1", email))
	return m, db.wrap("load member by email", err)
}

// UpdateProfile saves name, title, location and bio, and nothing else.
func (db *DB) UpdateProfile(ctx context.Context, m *forum.Member) error {
	return db.inTx(ctx, fmt.Sprintf("update profile of member %d", m.ID), func(tx *sql.Tx) error {
		err := mustAffect(db.txExec(ctx, tx, `UPDATE members SET name = $2, title = $3, location = $4, bio = $5
			WHERE id = $1`, m.ID, m.Name, m.Title, m.Location, m.Bio))
		if err != nil {
			return err
		}
		return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventMemberProfile, MemberID: m.ID})
	})
}

// SetPassword saves a new password hash, moves the session epoch on and
// ends every session of the member but keepTokenHash's, in one
// transaction. It returns how many unexpired sessions ended at now.
func (db *DB) SetPassword(ctx context.Context, id int64, hash, keepTokenHash string, now time.Time, notice *forum.Mail) (int, error) {
	var ended int
	err := db.inTx(ctx, fmt.Sprintf("set password of member %d", id), func(tx *sql.Tx) error {
		var epoch int64
		err := db.txRow(ctx, tx, `UPDATE members SET password_hash = $2, session_epoch = session_epoch + 1
			WHERE id = $1 RETURNING session_epoch`, id, hash).Scan(&epoch)
		if err != nil {
			return err
		}
		if ended, err = db.endSessions(ctx, tx, id, epoch, keepTokenHash, now); err != nil {
			return err
		}
		if notice != nil {
			if _, err := db.enqueueMail(ctx, tx, notice, now); err != nil {
				return err
			}
		}
		return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventMemberPassword, MemberID: id})
	})
	return ended, err
}

// SetMemberRole saves a member's role.
func (db *DB) SetMemberRole(ctx context.Context, id int64, role forum.Role) error {
	return db.inTx(ctx, fmt.Sprintf("set role of member %d", id), func(tx *sql.Tx) error {
		if err := mustAffect(db.txExec(ctx, tx, "UPDATE members SET role = $2 WHERE id = $1", id, string(role))); err != nil {
			return err
		}
		return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventMemberRole, MemberID: id})
	})
}

// SetMemberStatus changes a member's status to to if it is from (any when
// from is empty). Suspending moves the session epoch on and ends all the
// member's sessions in the same transaction. ErrNotFound if there is no
// such member, ErrConflict if its status is not from.
func (db *DB) SetMemberStatus(ctx context.Context, id int64, from, to forum.MemberStatus, approved *forum.Mail) error {
	bump := 0
	if to == forum.StatusSuspended {
		bump = 1
	}
	q := "UPDATE members SET status = $2, session_epoch = session_epoch + $3 WHERE id = $1"
	args := []any{id, string(to), bump}
	if from != "" {
		q += " AND status = $4"
		args = append(args, string(from))
	}
	return db.inTx(ctx, fmt.Sprintf("set status of member %d", id), func(tx *sql.Tx) error {
		was := from
		if was == "" {
			if err := db.txRow(ctx, tx, "SELECT status FROM members WHERE id = $1", id).Scan(&was); err != nil {
				return err
			}
		}
		var epoch int64
		err := db.txRow(ctx, tx, q+" RETURNING session_epoch", args...).Scan(&epoch)
		if errors.Is(err, sql.ErrNoRows) && from != "" {
			var found int64
			if err = db.txRow(ctx, tx, "SELECT id FROM members WHERE id = $1", id).Scan(&found); err == nil {
				return forum.ErrConflict // it exists, in another status
			}
		}
		if err != nil {
			return err
		}
		if bump != 0 {
			if _, err := db.endSessions(ctx, tx, id, epoch, "", time.Time{}); err != nil {
				return err
			}
		}
		if approved != nil && forum.MemberStatus(was) == forum.StatusPending && to == forum.StatusActive {
			if _, err := db.enqueueMail(ctx, tx, approved, approved.At); err != nil {
				return err
			}
		}
		return db.appendEvent(ctx, tx, forum.Event{Kind: memberStatusEvent(was, to), MemberID: id})
	})
}

// endSessions deletes member id's sessions but keep's ("" for none), which
// moves to epoch, and returns how many of them were unexpired at now.
func (db *DB) endSessions(ctx context.Context, tx *sql.Tx, id, epoch int64, keep string, now time.Time) (int, error) {
	rows, err := tx.QueryContext(ctx, "DELETE FROM sessions WHERE member_id = $1 AND token_hash <> $2 RETURNING expires_at", id, keep)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	live := 0
	for rows.Next() {
		var exp int64
		if err := rows.Scan(&exp); err != nil {
			return 0, err
		}
		if exp > toMillis(now) {
			live++
		}
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if keep != "" {
		if _, err := db.txExec(ctx, tx, "UPDATE sessions SET epoch = $3 WHERE token_hash = $1 AND member_id = $2", keep, id, epoch); err != nil {
			return 0, err
		}
	}
	return live, nil
}

// ListMembers returns members with the given status (all if empty), oldest first.
func (db *DB) ListMembers(ctx context.Context, status forum.MemberStatus, limit int) ([]*forum.Member, error) {
	var rows *sql.Rows
	var err error
	if status == "" {
		rows, err = db.readRows(ctx, "SELECT "+memberColumns+
			" FROM members m ORDER BY m.created_at, m.id LIMIT $1", limitOrAll(limit))
	} else {
		rows, err = db.readRows(ctx, "SELECT "+memberColumns+
			" FROM members m WHERE m.status = $1 ORDER BY m.created_at, m.id LIMIT $2", string(status), limitOrAll(limit))
	}
	if err != nil {
		return nil, db.wrap("list members", err)
	}
	defer rows.Close()
	var out []*forum.Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, db.wrap("list members", err)
		}
		out = append(out, m)
	}
	return out, db.wrap("list members", rows.Err())
}

// CountMembers returns the number of members of any status.
func (db *DB) CountMembers(ctx context.Context) (int, error) {
	var n int
	err := db.readRow(ctx, "SELECT COUNT(*) FROM members").Scan(&n)
	return n, db.wrap("count members", err)
}

// MakeChecker marks member id as hearth verify's check account, with the
// event that tells other nodes' caches.
func (db *DB) MakeChecker(ctx context.Context, id int64) error {
	return db.inTx(ctx, fmt.Sprintf("make member %d the check account", id), func(tx *sql.Tx) error {
		res, err := db.txExec(ctx, tx, "UPDATE members SET checker = TRUE WHERE id = $1 AND NOT checker", id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventMemberStatus, MemberID: id})
	})
}

// PurgeThread removes a deleted thread and what hangs on it for good (its
// posts, their likes, bookmarks and search rows, its notifications and
// read positions): the check threads of hearth verify.
func (db *DB) PurgeThread(ctx context.Context, id int64) error {
	return db.inTx(ctx, fmt.Sprintf("remove thread %d", id), func(tx *sql.Tx) error {
		var categoryID, deletedAt int64
		if err := db.txRow(ctx, tx, "SELECT category_id, deleted_at FROM threads WHERE id = $1", id).Scan(&categoryID, &deletedAt); err != nil {
			return err
		}
		if deletedAt == 0 {
			return fmt.Errorf("thread %d is not deleted", id)
		}
		for _, q := range []string{
			"DELETE FROM notifications WHERE thread_id = $1",
			"DELETE FROM thread_members WHERE thread_id = $1",
			"DELETE FROM post_likes WHERE post_id IN (SELECT id FROM posts WHERE thread_id = $1)",
			"UPDATE categories SET last_post_id = NULL WHERE last_post_id IN (SELECT id FROM posts WHERE thread_id = $1)",
			"UPDATE threads SET last_post_id = NULL WHERE id = $1",
			"DELETE FROM posts WHERE thread_id = $1",
			"DELETE FROM threads WHERE id = $1",
		} {
			if _, err := db.txExec(ctx, tx, q, id); err != nil {
				return err
			}
		}
		if err := db.refreshCategoryLast(ctx, tx, categoryID); err != nil {
			return err
		}
		return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventThreadDeleted, ThreadID: id, CategoryID: categoryID})
	})
}
