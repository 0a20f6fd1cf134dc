package store

import (
	"context"

	"hearth/internal/forum"
)

// guestThread is the condition, on threads t, categories c and parent pc,
// that a guest may read the thread: readable(AccessGuest) without a post.
const guestThread = `t.deleted_at = 0
	AND NOT c.staff_only AND NOT COALESCE(pc.staff_only, FALSE)
	AND NOT c.members_only AND NOT COALESCE(pc.members_only, FALSE)`

const guestThreadJoins = `FROM threads t
JOIN categories c ON c.id = t.category_id
LEFT JOIN categories pc ON pc.id = c.parent_id
WHERE ` + guestThread

// SitemapThreads returns the threads a guest may read, by id.
func (db *DB) SitemapThreads(ctx context.Context, offset, limit int) ([]forum.SitemapThread, error) {
	op := "sitemap threads"
	rows, err := db.readRows(ctx, `SELECT t.id, t.slug, t.last_post_at, t.created_at `+guestThreadJoins+`
ORDER BY t.id LIMIT $1 OFFSET $2`, limit, offset)
	if err != nil {
		return nil, db.wrap(op, err)
	}
	defer rows.Close()
	var out []forum.SitemapThread
	for rows.Next() {
		var t forum.SitemapThread
		var last, created int64
		if err := rows.Scan(&t.ID, &t.Slug, &last, &created); err != nil {
			return nil, db.wrap(op, err)
		}
		t.Updated = fromMillis(max(last, created))
		out = append(out, t)
	}
	return out, db.wrap(op, rows.Err())
}

// CountSitemapThreads counts the threads a guest may read.
func (db *DB) CountSitemapThreads(ctx context.Context) (int, error) {
	var n int
	err := db.readRow(ctx, `SELECT COUNT(*) `+guestThreadJoins).Scan(&n)
	return n, db.wrap("count sitemap threads", err)
}
