package store

import (
	"context"
	"database/sql"

	"hearth/internal/forum"
)

// The Recount statements are set-based UPDATE ... FROM (both engines have it
// since SQLite 3.33) and touch only rows whose stored values differ, so
// RowsAffected is the number of rows corrected. Each rule is the one the
// incremental writes in threads.go, posts.go and categories.go follow.

// A thread counts its visible posts; last_position is its highest position,
// deleted or not; it points at its newest visible post, else its newest post.
// One pass over posts in (thread_id, position) order, then one index lookup
// per thread.
const recountThreads = `UPDATE threads SET post_count = s.visible, last_position = s.last_position,
	last_post_id = s.last_id, last_post_at = s.last_at, last_poster_id = s.last_author
FROM (
	SELECT a.thread_id, a.visible, a.last_position, p.id AS last_id, p.created_at AS last_at, p.author_id AS last_author
	FROM (
		SELECT thread_id,
			SUM(CASE WHEN deleted_at = 0 THEN 1 ELSE 0 END) AS visible,
			MAX(position) AS last_position,
			COALESCE(MAX(CASE WHEN deleted_at = 0 THEN position END), MAX(position)) AS pick
		FROM posts GROUP BY thread_id
	) a
	JOIN posts p ON p.thread_id = a.thread_id AND p.position = a.pick
) s
WHERE threads.id = s.thread_id AND (threads.post_count <> s.visible
	OR threads.last_position <> s.last_position
	OR threads.last_post_id IS DISTINCT FROM s.last_id
	OR threads.last_post_at <> s.last_at
	OR threads.last_poster_id IS DISTINCT FROM s.last_author)`

// A thread without any post has nothing to count or point at.
const recountEmptyThreads = `UPDATE threads SET post_count = 0, last_position = 0,
	last_post_id = NULL, last_post_at = 0, last_poster_id = NULL
WHERE NOT EXISTS (SELECT 1 FROM posts p WHERE p.thread_id = threads.id)
	AND (post_count <> 0 OR last_position <> 0 OR last_post_id IS NOT NULL
		OR last_post_at <> 0 OR last_poster_id IS NOT NULL)`

// A category counts its visible threads and their posts, and points at the
// newest post of its most recently active visible thread.
const recountCategories = `UPDATE categories SET thread_count = s.threads, post_count = s.posts,
	last_post_id = s.last_id, last_post_at = s.last_at
FROM (
	SELECT c.id,
		COALESCE(a.threads, 0) AS threads,
		COALESCE(a.posts, 0) AS posts,
		(SELECT t.last_post_id FROM threads t WHERE t.category_id = c.id AND t.deleted_at = 0
			ORDER BY t.last_post_at DESC, t.last_post_id DESC LIMIT 1) AS last_id,
		COALESCE((SELECT MAX(t.last_post_at) FROM threads t WHERE t.category_id = c.id AND t.deleted_at = 0), 0) AS last_at
	FROM categories c
	LEFT JOIN (
		SELECT category_id, COUNT(*) AS threads, SUM(post_count) AS posts
		FROM threads WHERE deleted_at = 0 GROUP BY category_id
	) a ON a.category_id = c.id
) s
WHERE categories.id = s.id AND (categories.thread_count <> s.threads
	OR categories.post_count <> s.posts
	OR categories.last_post_id IS DISTINCT FROM s.last_id
	OR categories.last_post_at <> s.last_at)`

// A member counts their visible posts, in deleted threads too.
const recountMembers = `UPDATE members SET post_count = s.n
FROM (
	SELECT m.id, COALESCE(a.n, 0) AS n
	FROM members m
	LEFT JOIN (SELECT author_id, COUNT(*) AS n FROM posts WHERE deleted_at = 0 GROUP BY author_id) a
		ON a.author_id = m.id
) s
WHERE members.id = s.id AND members.post_count <> s.n`

// Recount recomputes every counter and last-post pointer from the posts, in
// one transaction, and reports how many rows it corrected per table; then,
// on PostgreSQL, it refreshes the planner's statistics.
func (db *DB) Recount(ctx context.Context) (forum.RecountReport, error) {
	var r forum.RecountReport
	err := db.inTx(ctx, "recount", func(tx *sql.Tx) error {
		// Threads first: categories are computed from them.
		steps := []struct {
			query string
			count *int
		}{
			{recountThreads, &r.Threads},
			{recountEmptyThreads, &r.Threads},
			{recountCategories, &r.Categories},
			{recountMembers, &r.Members},
		}
		for _, s := range steps {
			res, err := tx.ExecContext(ctx, s.query)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			*s.count += int(n)
		}
		if r.Threads+r.Categories+r.Members == 0 {
			return nil
		}
		// Running servers learn that counts changed under their caches.
		return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventRecounted})
	})
	if err != nil {
		return forum.RecountReport{}, err
	}
	// Recount follows every bulk import (seed, importers): the statistics
	// are as stale as the counters were.
	if db.dialect.analyzeSQL != "" {
		if _, err := db.write.ExecContext(ctx, db.dialect.analyzeSQL); err != nil {
			return r, db.wrap("analyze", err)
		}
	}
	return r, nil
}
