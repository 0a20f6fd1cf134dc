package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"hearth/internal/forum"
)

const threadSelect = `SELECT t.id, t.category_id, t.author_id, COALESCE(a.name, ''), t.title, t.slug,
	t.post_count, t.last_position, t.sticky, t.locked, t.created_at, t.last_post_at,
	COALESCE(t.last_post_id, 0), COALESCE(t.last_poster_id, 0), COALESCE(lp.name, ''), t.deleted_at
FROM threads t
LEFT JOIN members a ON a.id = t.author_id
LEFT JOIN members lp ON lp.id = t.last_poster_id`

func scanThread(row rowScanner) (*forum.Thread, error) {
	var t forum.Thread
	var created, lastAt, deleted int64
	err := row.Scan(&t.ID, &t.CategoryID, &t.AuthorID, &t.AuthorName, &t.Title, &t.Slug,
		&t.PostCount, &t.LastPosition, &t.Sticky, &t.Locked, &created, &lastAt,
		&t.LastPostID, &t.LastPosterID, &t.LastPosterName, &deleted)
	if err != nil {
		return nil, err
	}
	t.CreatedAt, t.LastPostAt, t.DeletedAt = fromMillis(created), fromMillis(lastAt), fromMillis(deleted)
	return &t, nil
}

// CreateThread inserts t and its first post p in one transaction and
// counts them in the category and the author's post count. A zero
// p.AuthorID or p.CreatedAt is taken from t.
func (db *DB) CreateThread(ctx context.Context, t *forum.Thread, p *forum.Post) error {
	if p.AuthorID == 0 {
		p.AuthorID = t.AuthorID
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = t.CreatedAt
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = p.CreatedAt
	}
	at := toMillis(p.CreatedAt)
	var threadID, postID int64
	err := db.inWriteTx(ctx, "create thread", func(tx *sql.Tx) error {
		err := db.txRow(ctx, tx, `INSERT INTO threads
			(category_id, author_id, title, slug, post_count, last_position, sticky, locked,
			 created_at, last_post_at, last_poster_id)
			VALUES ($1, $2, $3, $4, 1, 1, $5, $6, $7, $8, $9) RETURNING id`,
			t.CategoryID, t.AuthorID, t.Title, t.Slug, t.Sticky, t.Locked,
			toMillis(t.CreatedAt), at, p.AuthorID).Scan(&threadID)
		if err != nil {
			return err
		}
		if postID, err = db.insertPost(ctx, tx, threadID, 1, p); err != nil {
			return err
		}
		if _, err := db.txExec(ctx, tx, "UPDATE threads SET last_post_id = $2 WHERE id = $1", threadID, postID); err != nil {
			return err
		}
		if err := db.countInCategory(ctx, tx, t.CategoryID, 1, 1); err != nil {
			return err
		}
		if err := db.bumpMember(ctx, tx, p.AuthorID, 1); err != nil {
			return err
		}
		if err := db.startTracking(ctx, tx, p.AuthorID, threadID); err != nil {
			return err
		}
		return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventThreadCreated,
			MemberID: p.AuthorID, CategoryID: t.CategoryID, ThreadID: threadID, PostID: postID})
	})
	if err != nil {
		return err
	}
	t.ID, t.PostCount, t.LastPosition = threadID, 1, 1
	t.LastPostID, t.LastPostAt, t.LastPosterID = postID, p.CreatedAt, p.AuthorID
	p.ID, p.ThreadID, p.Position = postID, threadID, 1
	return nil
}

// ThreadByID returns a thread, deleted or not; ErrNotFound if absent.
func (db *DB) ThreadByID(ctx context.Context, id int64) (*forum.Thread, error) {
	t, err := scanThread(db.readRow(ctx, threadSelect+" WHERE t.id = $1", id))
	return t, db.wrap(fmt.Sprintf("load thread %d", id), err)
}

// ListThreads returns one page of a category's threads, sticky first, then
// newest activity first, and the total matching the filter.
//
// Members' pages cost the same however deep: the total is the counter the
// category keeps in each write's transaction, and the page's ids are found
// in the threads_category_list index alone (OFFSET walks index entries,
// not joined rows) before only those threads are joined. Moderators, who
// see deleted threads too, are counted, and their page merges two ranges
// of the index.
func (db *DB) ListThreads(ctx context.Context, f forum.ThreadFilter) ([]*forum.Thread, int, error) {
	op := fmt.Sprintf("list threads of category %d", f.CategoryID)
	where, total := " WHERE category_id = $1 AND deleted_at = 0", 0
	var err error
	if f.IncludeDeleted {
		where = " WHERE category_id = $1"
		err = db.readRow(ctx, "SELECT COUNT(*) FROM threads"+where, f.CategoryID).Scan(&total)
	} else {
		err = db.readRow(ctx, "SELECT thread_count FROM categories WHERE id = $1", f.CategoryID).Scan(&total)
		if errors.Is(err, sql.ErrNoRows) {
			err = nil // no such category: no threads
		}
	}
	if err != nil {
		return nil, 0, db.wrap(op, err)
	}
	args := []any{f.CategoryID, limitOrAll(f.Limit), max(f.Offset, 0)}
	muted := ""
	if f.MemberID != 0 {
		// The member's muted threads are left out while walking the index:
		// one primary-key probe of thread_members per thread walked. The
		// total stays the category's count (pages may end a little early).
		muted = " AND NOT EXISTS (SELECT 1 FROM thread_members tm WHERE tm.member_id = $4 AND tm.thread_id = threads.id AND tm.level = 0)"
		args = append(args, f.MemberID)
	}
	page := "SELECT id FROM threads" + where + muted + " ORDER BY sticky DESC, last_post_at DESC, id DESC LIMIT $2 OFFSET $3"
	if f.IncludeDeleted {
		// The visible threads in threads_category_list's order, merged
		// with the deleted ones (few, sorted): no index holds both in
		// order, and one more would cost every reply its pages.
		page = "SELECT id, sticky, last_post_at FROM threads WHERE category_id = $1 AND deleted_at = 0" + muted +
			" UNION ALL SELECT id, sticky, last_post_at FROM threads WHERE category_id = $1 AND deleted_at > 0" + muted +
			" ORDER BY sticky DESC, last_post_at DESC, id DESC LIMIT $2 OFFSET $3"
	}
	rows, err := db.readRows(ctx, threadSelect+
		" JOIN ("+page+") page ON page.id = t.id"+
		" ORDER BY t.sticky DESC, t.last_post_at DESC, t.id DESC",
		args...)
	if err != nil {
		return nil, 0, db.wrap(op, err)
	}
	defer rows.Close()
	var out []*forum.Thread
	for rows.Next() {
		t, err := scanThread(rows)
		if err != nil {
			return nil, 0, db.wrap(op, err)
		}
		out = append(out, t)
	}
	return out, total, db.wrap(op, rows.Err())
}

// SetThreadFlags sets a thread's sticky and locked flags.
func (db *DB) SetThreadFlags(ctx context.Context, id int64, sticky, locked bool) error {
	return db.inTx(ctx, fmt.Sprintf("set flags of thread %d", id), func(tx *sql.Tx) error {
		var category int64
		err := db.txRow(ctx, tx, "UPDATE threads SET sticky = $2, locked = $3 WHERE id = $1 RETURNING category_id",
			id, sticky, locked).Scan(&category)
		if err != nil {
			return err
		}
		return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventThreadFlags, ThreadID: id, CategoryID: category})
	})
}

// bumpMember adds delta to a member's post count.
func (db *DB) bumpMember(ctx context.Context, tx *sql.Tx, memberID int64, delta int) error {
	err := mustAffect(db.txExec(ctx, tx,
		"UPDATE members SET post_count = post_count + $2 WHERE id = $1", memberID, delta))
	if err != nil {
		return fmt.Errorf("member %d: %w", memberID, err)
	}
	return nil
}
