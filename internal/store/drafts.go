package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"hearth/internal/forum"
)

// SaveDraft inserts or replaces a member's draft and drops their drafts
// beyond the keep newest, in one transaction. Nodes cache which forms a
// member has drafts for, not the drafts: an event (drafts.changed) tells
// them when that set changed, not when a draft's words did, which is
// every few seconds while someone types.
func (db *DB) SaveDraft(ctx context.Context, d *forum.Draft, keep int) error {
	return db.inWriteTx(ctx, fmt.Sprintf("save draft %s of member %d", d.Key, d.MemberID), func(tx *sql.Tx) error {
		var had int
		err := db.txRow(ctx, tx, `SELECT COUNT(*) FROM drafts WHERE member_id = $1 AND key = $2`, d.MemberID, d.Key).Scan(&had)
		if err != nil {
			return err
		}
		if _, err := db.txExec(ctx, tx, `INSERT INTO drafts (member_id, key, title, body, updated_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (member_id, key) DO UPDATE SET title = excluded.title, body = excluded.body, updated_at = excluded.updated_at`,
			d.MemberID, d.Key, d.Title, d.Body, toMillis(d.UpdatedAt)); err != nil {
			return err
		}
		res, err := db.txExec(ctx, tx, `DELETE FROM drafts WHERE member_id = $1 AND key NOT IN
			(SELECT key FROM drafts WHERE member_id = $1 ORDER BY updated_at DESC, key LIMIT $2)`, d.MemberID, max(keep, 1))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); had == 0 || n > 0 {
			return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventDraftsChanged, MemberID: d.MemberID})
		}
		return nil
	})
}

// DraftKeys returns the keys of a member's drafts, sorted.
func (db *DB) DraftKeys(ctx context.Context, member int64) ([]string, error) {
	op := fmt.Sprintf("drafts of member %d", member)
	rows, err := db.readRows(ctx, "SELECT key FROM drafts WHERE member_id = $1 ORDER BY key", member)
	if err != nil {
		return nil, db.wrap(op, err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, db.wrap(op, err)
		}
		keys = append(keys, k)
	}
	return keys, db.wrap(op, rows.Err())
}

// Draft returns a member's draft for key; ErrNotFound if there is none.
func (db *DB) Draft(ctx context.Context, member int64, key string) (*forum.Draft, error) {
	d := &forum.Draft{MemberID: member, Key: key}
	var updated int64
	err := db.readRow(ctx, "SELECT title, body, updated_at FROM drafts WHERE member_id = $1 AND key = $2", member, key).
		Scan(&d.Title, &d.Body, &updated)
	if err != nil {
		return nil, db.wrap(fmt.Sprintf("draft %s of member %d", key, member), err)
	}
	d.UpdatedAt = fromMillis(updated)
	return d, nil
}

// DeleteDraft removes a draft, if there is one.
func (db *DB) DeleteDraft(ctx context.Context, member int64, key string) error {
	return db.inWriteTx(ctx, fmt.Sprintf("delete draft %s of member %d", key, member), func(tx *sql.Tx) error {
		res, err := db.txExec(ctx, tx, "DELETE FROM drafts WHERE member_id = $1 AND key = $2", member, key)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventDraftsChanged, MemberID: member})
		}
		return nil
	})
}

// PruneDrafts removes the drafts last saved before before.
func (db *DB) PruneDrafts(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := db.inWriteTx(ctx, "prune drafts", func(tx *sql.Tx) error {
		res, err := db.txExec(ctx, tx, "DELETE FROM drafts WHERE updated_at < $1", toMillis(before))
		if err != nil {
			return err
		}
		if n, _ = res.RowsAffected(); n > 0 {
			return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventDraftsChanged}) // several members'
		}
		return nil
	})
	return n, err
}

// MemberThreads returns the newest threads member started that access may
// read: their first post is readable (deleting it deletes the thread).
func (db *DB) MemberThreads(ctx context.Context, member int64, access forum.Access, limit int) ([]*forum.Thread, error) {
	op := fmt.Sprintf("threads of member %d", member)
	rows, err := db.readRows(ctx, threadSelect+`
		JOIN posts p ON p.thread_id = t.id AND p.position = 1
		JOIN categories c ON c.id = t.category_id
		LEFT JOIN categories pc ON pc.id = c.parent_id
		WHERE t.author_id = $1 AND `+readable(access)+`
		ORDER BY t.id DESC LIMIT $2`, member, limitOrAll(limit))
	if err != nil {
		return nil, db.wrap(op, err)
	}
	defer rows.Close()
	var out []*forum.Thread
	for rows.Next() {
		t, err := scanThread(rows)
		if err != nil {
			return nil, db.wrap(op, err)
		}
		out = append(out, t)
	}
	return out, db.wrap(op, rows.Err())
}

// MemberPosts returns the member's newest replies that access may read,
// with the start of each one's rendering for an excerpt.
func (db *DB) MemberPosts(ctx context.Context, member int64, access forum.Access, limit int) ([]*forum.Bookmark, error) {
	op := fmt.Sprintf("posts of member %d", member)
	rows, err := db.readRows(ctx, `SELECT p.id, p.thread_id, p.position, t.title, t.slug, p.author_id, COALESCE(a.name, ''),
		SUBSTR(p.html, 1, `+fmt.Sprint(excerptChars)+`), p.created_at, p.deleted_at
		FROM posts p`+postJoins+authorJoin+`
		WHERE p.author_id = $1 AND p.position > 1 AND `+readable(access)+`
		ORDER BY p.id DESC LIMIT $2`, member, limitOrAll(limit))
	if err != nil {
		return nil, db.wrap(op, err)
	}
	defer rows.Close()
	var out []*forum.Bookmark
	for rows.Next() {
		var b forum.Bookmark
		var posted, deleted int64
		if err := rows.Scan(&b.PostID, &b.ThreadID, &b.Position, &b.ThreadTitle, &b.ThreadSlug, &b.AuthorID, &b.AuthorName,
			&b.HTML, &posted, &deleted); err != nil {
			return nil, db.wrap(op, err)
		}
		b.PostedAt, b.Deleted = fromMillis(posted), deleted != 0
		out = append(out, &b)
	}
	return out, db.wrap(op, rows.Err())
}

// LastSeen returns the member's last visit and whether they hide it.
func (db *DB) LastSeen(ctx context.Context, member int64) (time.Time, bool, error) {
	var at int64
	var hide bool
	err := db.readRow(ctx, "SELECT last_visit_at, hide_last_seen FROM members WHERE id = $1", member).Scan(&at, &hide)
	if err != nil {
		return time.Time{}, false, db.wrap(fmt.Sprintf("last seen of member %d", member), err)
	}
	return fromMillis(at), hide, nil
}

// SetHideLastSeen saves the member's choice. ErrNotFound if no such member.
func (db *DB) SetHideLastSeen(ctx context.Context, member int64, hide bool) error {
	op := fmt.Sprintf("hide last seen of member %d", member)
	res, err := db.writeExec(ctx, "UPDATE members SET hide_last_seen = $2 WHERE id = $1", member, hide)
	if err != nil {
		return db.wrap(op, err)
	}
	n, err := res.RowsAffected()
	if err == nil && n == 0 {
		err = forum.ErrNotFound
	}
	return db.wrap(op, err)
}
