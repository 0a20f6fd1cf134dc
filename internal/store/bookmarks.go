package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"hearth/internal/forum"
)

// readable is the condition, on posts p, threads t, categories c and the
// parent category pc (LEFT JOINed), that a reader with access may read a
// post: the rule of forum's visible, in the query, so lists never hold
// what their reader may not see and are counted right.
func readable(access forum.Access) string {
	switch access {
	case forum.AccessStaff:
		return "TRUE"
	case forum.AccessMember:
		return `p.deleted_at = 0 AND t.deleted_at = 0
			AND NOT c.staff_only AND NOT COALESCE(pc.staff_only, FALSE)`
	}
	return `p.deleted_at = 0 AND t.deleted_at = 0
		AND NOT c.staff_only AND NOT COALESCE(pc.staff_only, FALSE)
		AND NOT c.members_only AND NOT COALESCE(pc.members_only, FALSE)`
}

// postJoins joins a post p to what readable needs.
const postJoins = `
JOIN threads t ON t.id = p.thread_id
JOIN categories c ON c.id = t.category_id
LEFT JOIN categories pc ON pc.id = c.parent_id`

// authorJoin joins a post p to its author a.
const authorJoin = `
LEFT JOIN members a ON a.id = p.author_id`

// AddBookmark records member's bookmark of post, once: a second one keeps
// the first's time, and appends no event.
func (db *DB) AddBookmark(ctx context.Context, member, post int64, at time.Time) (bool, error) {
	var added bool
	err := db.inTx(ctx, fmt.Sprintf("bookmark post %d", post), func(tx *sql.Tx) error {
		res, err := db.txExec(ctx, tx, `INSERT INTO bookmarks (member_id, post_id, created_at) VALUES ($1, $2, $3)
			ON CONFLICT (member_id, post_id) DO NOTHING`, member, post, toMillis(at))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		added = true
		return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventBookmarkAdded, MemberID: member, PostID: post})
	})
	return added, err
}

// RemoveBookmark deletes member's bookmark of post, if there is one.
func (db *DB) RemoveBookmark(ctx context.Context, member, post int64) (bool, error) {
	var removed bool
	err := db.inTx(ctx, fmt.Sprintf("remove bookmark of post %d", post), func(tx *sql.Tx) error {
		res, err := db.txExec(ctx, tx, "DELETE FROM bookmarks WHERE member_id = $1 AND post_id = $2", member, post)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		removed = true
		return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventBookmarkRemoved, MemberID: member, PostID: post})
	})
	return removed, err
}

// excerptChars is how much of a post's rendering a list reads for its
// excerpt: a post's HTML may be a megabyte.
const excerptChars = 2000

// ListBookmarks returns one page of a member's bookmarks, newest first,
// those f.Access may not read left out by the query, and their total. The
// member's rows come from bookmarks_member_recent in order; each joins its
// post, thread and categories by primary key.
func (db *DB) ListBookmarks(ctx context.Context, f forum.BookmarkFilter) ([]*forum.Bookmark, int, error) {
	op := fmt.Sprintf("list bookmarks of member %d", f.MemberID)
	from := " FROM bookmarks b JOIN posts p ON p.id = b.post_id" + postJoins
	where := " WHERE b.member_id = $1 AND " + readable(f.Access)
	var total int
	if err := db.readRow(ctx, "SELECT COUNT(*)"+from+where, f.MemberID).Scan(&total); err != nil {
		return nil, 0, db.wrap(op, err)
	}
	rows, err := db.readRows(ctx, `SELECT b.post_id, p.thread_id, p.position, t.title, t.slug, p.author_id, COALESCE(a.name, ''),
		SUBSTR(p.html, 1, `+fmt.Sprint(excerptChars)+`), p.created_at, b.created_at, p.deleted_at`+from+authorJoin+where+
		" ORDER BY b.created_at DESC, b.post_id DESC LIMIT $2 OFFSET $3",
		f.MemberID, limitOrAll(f.Limit), max(f.Offset, 0))
	if err != nil {
		return nil, 0, db.wrap(op, err)
	}
	defer rows.Close()
	var out []*forum.Bookmark
	for rows.Next() {
		var b forum.Bookmark
		var posted, created, deleted int64
		if err := rows.Scan(&b.PostID, &b.ThreadID, &b.Position, &b.ThreadTitle, &b.ThreadSlug, &b.AuthorID, &b.AuthorName,
			&b.HTML, &posted, &created, &deleted); err != nil {
			return nil, 0, db.wrap(op, err)
		}
		b.PostedAt, b.CreatedAt, b.Deleted = fromMillis(posted), fromMillis(created), deleted != 0
		out = append(out, &b)
	}
	return out, total, db.wrap(op, rows.Err())
}

// BookmarkedPosts returns the ids of a member's bookmarked posts, in the
// primary key's order.
func (db *DB) BookmarkedPosts(ctx context.Context, member int64) ([]int64, error) {
	op := fmt.Sprintf("bookmarked posts of member %d", member)
	rows, err := db.readRows(ctx, "SELECT post_id FROM bookmarks WHERE member_id = $1 ORDER BY post_id", member)
	if err != nil {
		return nil, db.wrap(op, err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, db.wrap(op, err)
		}
		ids = append(ids, id)
	}
	return ids, db.wrap(op, rows.Err())
}
