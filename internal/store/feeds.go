package store

import (
	"context"
	"fmt"

	"hearth/internal/forum"
)

// FeedItems returns a feed's entries as a guest may read them, newest
// first: readable(AccessGuest) in the query keeps out everything
// members-only, staff-only and deleted, whatever the caller checked.
//
// A post's rendering comes whole up to forum.MaxFeedHTML characters, else
// only its start. The forum's feed walks threads by primary key from the
// newest; a category's uses threads_category_newest; a thread's its
// (thread_id, position) key backwards.
func (db *DB) FeedItems(ctx context.Context, f forum.FeedFilter) ([]*forum.FeedItem, error) {
	op := "feed items"
	whole := fmt.Sprint(forum.MaxFeedHTML)
	cols := `SELECT p.id, t.id, p.position, t.title, t.slug, p.author_id, COALESCE(a.name, ''),
		CASE WHEN LENGTH(p.html) <= ` + whole + ` THEN p.html ELSE SUBSTR(p.html, 1, ` + fmt.Sprint(excerptChars) + `) END,
		LENGTH(p.html) <= ` + whole + `, t.post_count, p.created_at, p.edited_at
FROM posts p` + postJoins + authorJoin + " WHERE " + readable(forum.AccessGuest)
	var q string
	var args []any
	switch {
	case f.ThreadID != 0:
		q, args = cols+" AND p.thread_id = $1 ORDER BY p.position DESC LIMIT $2", []any{f.ThreadID, f.Limit}
	case f.CategoryID != 0:
		q, args = cols+" AND p.position = 1 AND t.category_id = $1 ORDER BY t.id DESC LIMIT $2", []any{f.CategoryID, f.Limit}
	default:
		q, args = cols+" AND p.position = 1 ORDER BY t.id DESC LIMIT $1", []any{f.Limit}
	}
	rows, err := db.readRows(ctx, q, args...)
	if err != nil {
		return nil, db.wrap(op, err)
	}
	defer rows.Close()
	var out []*forum.FeedItem
	for rows.Next() {
		var it forum.FeedItem
		var posts int
		var created, edited int64
		if err := rows.Scan(&it.PostID, &it.ThreadID, &it.Position, &it.ThreadTitle, &it.ThreadSlug, &it.AuthorID, &it.AuthorName,
			&it.HTML, &it.Whole, &posts, &created, &edited); err != nil {
			return nil, db.wrap(op, err)
		}
		it.Replies, it.CreatedAt, it.EditedAt = max0(posts-1), fromMillis(created), fromMillis(edited)
		out = append(out, &it)
	}
	return out, db.wrap(op, rows.Err())
}

func max0(n int) int { return max(n, 0) }
