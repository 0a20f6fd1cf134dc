package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"hearth/internal/forum"
)

// CreateSession stores s; ErrConflict if the token hash exists,
// ErrNotFound if the member does not, or its session epoch is no longer
// s.Epoch (its password changed, or it was suspended, since the login).
func (db *DB) CreateSession(ctx context.Context, s *forum.Session) error {
	err := mustAffect(db.writeExec(ctx, `INSERT INTO sessions (token_hash, member_id, kind, created_at, expires_at, epoch)
		SELECT CAST($1 AS TEXT), id, CAST($3 AS TEXT), CAST($4 AS BIGINT), CAST($5 AS BIGINT), session_epoch
		FROM members WHERE id = $2 AND session_epoch = $6`,
		s.TokenHash, s.MemberID, s.Kind, toMillis(s.CreatedAt), toMillis(s.ExpiresAt), s.Epoch))
	return db.wrap("create session", err)
}

// SessionMember returns the member of a session that expires after now and
// belongs to the member's current session epoch.
func (db *DB) SessionMember(ctx context.Context, tokenHash string, now time.Time) (*forum.Member, error) {
	m, err := scanMember(db.readRow(ctx, "SELECT "+memberColumns+
		" FROM sessions s JOIN members m ON m.id = s.member_id"+
		" WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.epoch = m.session_epoch",
		tokenHash, toMillis(now)))
	return m, db.wrap("load session", err)
}

// DeleteSession removes a session; no error if it was already gone. The
// logout's event names the member, so every node forgets the session.
func (db *DB) DeleteSession(ctx context.Context, tokenHash string) error {
	return db.inTx(ctx, "delete session", func(tx *sql.Tx) error {
		var member int64
		err := db.txRow(ctx, tx, "DELETE FROM sessions WHERE token_hash = $1 RETURNING member_id", tokenHash).Scan(&member)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventSessionEnded, MemberID: member})
	})
}

// DeleteExpiredSessions removes the sessions SessionMember would no longer
// accept at now (expires_at <= now).
func (db *DB) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := db.writeExec(ctx, "DELETE FROM sessions WHERE expires_at <= $1", toMillis(now))
	if err != nil {
		return 0, db.wrap("delete expired sessions", err)
	}
	n, err := res.RowsAffected()
	return n, db.wrap("delete expired sessions", err)
}

// Setting returns a site setting's value, or ErrNotFound.
func (db *DB) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := db.readRow(ctx, "SELECT value FROM settings WHERE key = $1", key).Scan(&v)
	return v, db.wrap(fmt.Sprintf("load setting %q", key), err)
}

// SetSetting inserts or replaces a site setting.
func (db *DB) SetSetting(ctx context.Context, key, value string) error {
	return db.inTx(ctx, fmt.Sprintf("save setting %q", key), func(tx *sql.Tx) error {
		_, err := db.txExec(ctx, tx, `INSERT INTO settings (key, value) VALUES ($1, $2)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
		if err != nil {
			return err
		}
		return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventSettingChanged})
	})
}

// EnsureSetting stores value under key unless the key has a value, and
// returns the value the key has then.
func (db *DB) EnsureSetting(ctx context.Context, key, value string) (string, error) {
	var v string
	err := db.inTx(ctx, fmt.Sprintf("save setting %q", key), func(tx *sql.Tx) error {
		if _, err := db.txExec(ctx, tx, `INSERT INTO settings (key, value) VALUES ($1, $2)
			ON CONFLICT (key) DO NOTHING`, key, value); err != nil {
			return err
		}
		return db.txRow(ctx, tx, "SELECT value FROM settings WHERE key = $1", key).Scan(&v)
	})
	return v, err
}

// StatusKey is the setting that carries the forum's mode and status
// updates between nodes; each node keeps its own copy in its status file.
const StatusKey = "status"

// SaveStatus stores the mode and status updates (status.State as JSON) for
// the other nodes, with the event that tells them.
func (db *DB) SaveStatus(ctx context.Context, value string) error {
	return db.inTx(ctx, "save the mode", func(tx *sql.Tx) error {
		_, err := db.txExec(ctx, tx, `INSERT INTO settings (key, value) VALUES ($1, $2)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, StatusKey, value)
		if err != nil {
			return err
		}
		return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventModeChanged})
	})
}
