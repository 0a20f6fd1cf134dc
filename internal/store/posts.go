package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"hearth/internal/forum"
)

const postSelect = `SELECT p.id, p.thread_id, p.author_id, p.position, p.body, p.html,
	COALESCE(p.quote_post_id, 0), p.created_at, p.edited_at, p.deleted_at, COALESCE(p.deleted_by, 0), COALESCE(p.edited_by, 0),
	p.like_count, COALESCE(a.name, ''), COALESCE(a.title, ''), COALESCE(a.role, ''), COALESCE(a.post_count, 0)
FROM posts p
LEFT JOIN members a ON a.id = p.author_id`

func scanPost(row rowScanner) (*forum.Post, error) {
	var p forum.Post
	var created, edited, deleted int64
	err := row.Scan(&p.ID, &p.ThreadID, &p.AuthorID, &p.Position, &p.Body, &p.HTML,
		&p.QuotePostID, &created, &edited, &deleted, &p.DeletedBy, &p.EditedBy,
		&p.LikeCount, &p.AuthorName, &p.AuthorTitle, &p.AuthorRole, &p.AuthorPostCount)
	if err != nil {
		return nil, err
	}
	p.CreatedAt, p.EditedAt, p.DeletedAt = fromMillis(created), fromMillis(edited), fromMillis(deleted)
	return &p, nil
}

func (db *DB) insertPost(ctx context.Context, tx *sql.Tx, threadID int64, position int, p *forum.Post) (int64, error) {
	var id int64
	err := db.txRow(ctx, tx, `INSERT INTO posts
		(thread_id, author_id, position, body, html, quote_post_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		threadID, p.AuthorID, position, p.Body, p.HTML, nullID(p.QuotePostID), toMillis(p.CreatedAt)).Scan(&id)
	return id, err
}

// CreatePost appends p to its thread at the next position and updates the
// thread, category and author in the same transaction.
func (db *DB) CreatePost(ctx context.Context, p *forum.Post) error {
	at := toMillis(p.CreatedAt)
	var postID int64
	var position int
	op := fmt.Sprintf("create post in thread %d", p.ThreadID)
	if db.dialect.name == enginePostgres {
		if err := db.inWriteRow(ctx, op, db.createPostPostgres(p, &postID, &position)); err != nil {
			return err
		}
		p.ID, p.Position = postID, position
		return nil
	}
	err := db.inWriteTx(ctx, op, func(tx *sql.Tx) error {
		// Taking the position with an UPDATE locks the thread row on
		// PostgreSQL, so concurrent replies get consecutive positions.
		var categoryID, threadDeleted int64
		// The columns the category indexes hold (last post's time and id)
		// change in the second, so those indexes change once.
		err := db.txRow(ctx, tx, `UPDATE threads SET last_position = last_position + 1,
			post_count = post_count + 1
			WHERE id = $1 RETURNING last_position, category_id, deleted_at`,
			p.ThreadID).Scan(&position, &categoryID, &threadDeleted)
		if err != nil {
			return err
		}
		if postID, err = db.insertPost(ctx, tx, p.ThreadID, position, p); err != nil {
			return err
		}
		if _, err := db.txExec(ctx, tx, "UPDATE threads SET last_post_id = $2, last_post_at = $3, last_poster_id = $4 WHERE id = $1",
			p.ThreadID, postID, at, p.AuthorID); err != nil {
			return err
		}
		// A deleted thread's posts count in no category until it is restored.
		if threadDeleted == 0 {
			if err := db.countInCategory(ctx, tx, categoryID, 0, 1); err != nil {
				return err
			}
		}
		if err := db.bumpMember(ctx, tx, p.AuthorID, 1); err != nil {
			return err
		}
		if err := db.startTracking(ctx, tx, p.AuthorID, p.ThreadID); err != nil {
			return err
		}
		return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventPostCreated,
			MemberID: p.AuthorID, CategoryID: categoryID, ThreadID: p.ThreadID, PostID: postID})
	})
	if err != nil {
		return err
	}
	p.ID, p.Position = postID, position
	return nil
}

// createPostPostgres is CreatePost's writes in one statement, which the
// caller's postID and position get: the batch's transaction runs its
// writes one after another on one connection, so there a reply costs its
// round trips (seven statements took 1.1 ms a reply on loopback), not the
// server's work, and a batch of such replies goes in one round trip
// (batcher.pipelined). Every part sees the statement's one snapshot, so
// the category's last post is the later of this one and the other
// threads' latest. The author starts tracking the thread as in
// startTracking.
func (db *DB) createPostPostgres(p *forum.Post, postID *int64, position *int) *rowWrite {
	return &rowWrite{query: `WITH new AS (SELECT nextval(pg_get_serial_sequence('posts', 'id')) AS id),
		t AS (UPDATE threads SET last_position = last_position + 1, post_count = post_count + 1,
				last_post_id = (SELECT id FROM new), last_post_at = $3, last_poster_id = $2
			WHERE id = $1 RETURNING last_position, category_id, deleted_at),
		p AS (INSERT INTO posts (id, thread_id, author_id, position, body, html, quote_post_id, created_at)
			SELECT new.id, $1, $2, t.last_position, $4, $5, $6, $3 FROM new, t RETURNING id, position),
		o AS (SELECT last_post_at AS at, COALESCE(last_post_id, 0) AS id FROM threads
			WHERE category_id = (SELECT category_id FROM t) AND deleted_at = 0 AND id <> $1
			ORDER BY last_post_at DESC, last_post_id DESC LIMIT 1),
		c AS (UPDATE categories SET post_count = post_count + 1,
				last_post_id = CASE WHEN o.at IS NULL OR ($3, new.id) >= (o.at, o.id) THEN new.id ELSE o.id END,
				last_post_at = CASE WHEN o.at IS NULL OR ($3, new.id) >= (o.at, o.id) THEN $3 ELSE o.at END
			FROM new LEFT JOIN o ON TRUE
			WHERE categories.id = (SELECT category_id FROM t WHERE deleted_at = 0)),
		m AS (UPDATE members SET post_count = post_count + 1
			WHERE id = $2 AND EXISTS (SELECT 1 FROM t) RETURNING id),
		tm AS (INSERT INTO thread_members (member_id, thread_id, level)
			SELECT $2, $1, 2 FROM t WHERE NOT EXISTS (
				SELECT 1 FROM categories c ` + watchingCategory("$2") + `
				WHERE c.id = t.category_id)
			ON CONFLICT (member_id, thread_id) DO UPDATE SET level = 2 WHERE thread_members.level IS NULL),
		e AS (INSERT INTO events (kind, member_id, category_id, thread_id, post_id, node, at)
			SELECT $7, $2, t.category_id, $1, new.id, $8, $9 FROM t, new)
		SELECT p.id, p.position, (SELECT count(*) FROM m), pg_notify('` + eventsChannel + `', '') IS NULL FROM p`,
		args: []any{p.ThreadID, p.AuthorID, toMillis(p.CreatedAt), p.Body, p.HTML, nullID(p.QuotePostID),
			string(forum.EventPostCreated), db.node, time.Now().UnixMilli()},
		scan: func(row rowScanner) error {
			var bumped int
			err := row.Scan(postID, position, &bumped, new(bool))
			if err == nil && bumped == 0 {
				err = fmt.Errorf("member %d: %w", p.AuthorID, forum.ErrNotFound)
			}
			return err
		}}
}

// PostByID returns a post with its author details; ErrNotFound if absent.
func (db *DB) PostByID(ctx context.Context, id int64) (*forum.Post, error) {
	p, err := scanPost(db.readRow(ctx, postSelect+" WHERE p.id = $1", id))
	return p, db.wrap(fmt.Sprintf("load post %d", id), err)
}

// ListPosts returns a thread's posts with positions in [from, to], deleted
// ones included, in order.
func (db *DB) ListPosts(ctx context.Context, threadID int64, from, to int) ([]*forum.Post, error) {
	op := fmt.Sprintf("list posts of thread %d", threadID)
	return db.queryPosts(ctx, op, postSelect+
		" WHERE p.thread_id = $1 AND p.position BETWEEN $2 AND $3 ORDER BY p.position", threadID, from, to)
}

// queryPosts runs a query of postSelect's columns and scans its posts.
func (db *DB) queryPosts(ctx context.Context, op, q string, args ...any) ([]*forum.Post, error) {
	rows, err := db.readRows(ctx, q, args...)
	if err != nil {
		return nil, db.wrap(op, err)
	}
	defer rows.Close()
	var out []*forum.Post
	for rows.Next() {
		p, err := scanPost(rows)
		if err != nil {
			return nil, db.wrap(op, err)
		}
		out = append(out, p)
	}
	return out, db.wrap(op, rows.Err())
}

// UpdatePost saves a new body, its rendering, the edit time and the editor.
func (db *DB) UpdatePost(ctx context.Context, id int64, body, html string, editedAt time.Time, editedBy int64) error {
	return db.inWriteTx(ctx, fmt.Sprintf("update post %d", id), func(tx *sql.Tx) error {
		var thread, author, category int64
		err := db.txRow(ctx, tx, `UPDATE posts SET body = $2, html = $3, edited_at = $4, edited_by = $5
			WHERE id = $1 RETURNING thread_id, author_id`,
			id, body, html, toMillis(editedAt), nullID(editedBy)).Scan(&thread, &author)
		if err != nil {
			return err
		}
		if err := db.txRow(ctx, tx, "SELECT category_id FROM threads WHERE id = $1", thread).Scan(&category); err != nil {
			return err
		}
		return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventPostEdited,
			MemberID: author, CategoryID: category, ThreadID: thread, PostID: id})
	})
}

// SetPostDeleted soft-deletes or restores a post and keeps every counter and
// pointer right. Doing what is already done changes nothing.
func (db *DB) SetPostDeleted(ctx context.Context, id int64, deleted bool, by int64, at time.Time) error {
	op := fmt.Sprintf("delete post %d", id)
	if !deleted {
		op = fmt.Sprintf("restore post %d", id)
	}
	if deleted && at.IsZero() {
		return fmt.Errorf("%s: the deletion time is zero", op)
	}
	return db.inWriteTx(ctx, op, func(tx *sql.Tx) error {
		var threadID, authorID int64
		var position int
		var err error
		if deleted {
			err = db.txRow(ctx, tx, `UPDATE posts SET deleted_at = $2, deleted_by = $3
				WHERE id = $1 AND deleted_at = 0 RETURNING thread_id, position, author_id`,
				id, toMillis(at), nullID(by)).Scan(&threadID, &position, &authorID)
		} else {
			err = db.txRow(ctx, tx, `UPDATE posts SET deleted_at = 0, deleted_by = NULL
				WHERE id = $1 AND deleted_at <> 0 RETURNING thread_id, position, author_id`,
				id).Scan(&threadID, &position, &authorID)
		}
		if errors.Is(err, sql.ErrNoRows) {
			// Already in the wanted state, or absent.
			var one int
			return db.txRow(ctx, tx, "SELECT 1 FROM posts WHERE id = $1", id).Scan(&one)
		}
		if err != nil {
			return err
		}
		delta := 1
		if deleted {
			delta = -1
		}

		var categoryID, threadDeletedAt int64
		var postCount int
		err = db.txRow(ctx, tx, `UPDATE threads SET post_count = post_count + $2
			WHERE id = $1 RETURNING category_id, deleted_at, post_count`,
			threadID, delta).Scan(&categoryID, &threadDeletedAt, &postCount)
		if err != nil {
			return fmt.Errorf("thread %d: %w", threadID, err)
		}
		wasVisible, visible := threadDeletedAt == 0, threadDeletedAt == 0
		if position == 1 {
			// The first post carries the thread: deleting it deletes the thread.
			visible = !deleted
			var threadDeleted int64 // restoring clears it
			if deleted {
				threadDeleted = toMillis(at)
			}
			if _, err := db.txExec(ctx, tx, "UPDATE threads SET deleted_at = $2 WHERE id = $1",
				threadID, threadDeleted); err != nil {
				return err
			}
		}
		if err := db.refreshThreadLast(ctx, tx, threadID); err != nil {
			return err
		}

		// A category counts its visible threads and their posts.
		before, after := 0, 0
		if wasVisible {
			before = postCount - delta
		}
		if visible {
			after = postCount
		}
		if err := db.countInCategory(ctx, tx, categoryID, b2i(visible)-b2i(wasVisible), after-before); err != nil {
			return err
		}
		if err := db.bumpMember(ctx, tx, authorID, delta); err != nil {
			return err
		}
		kind := map[[2]bool]forum.EventKind{ // {first post, deleted}
			{false, true}: forum.EventPostDeleted, {false, false}: forum.EventPostRestored,
			{true, true}: forum.EventThreadDeleted, {true, false}: forum.EventThreadRestored,
		}[[2]bool{position == 1, deleted}]
		return db.appendEvent(ctx, tx, forum.Event{Kind: kind,
			MemberID: authorID, CategoryID: categoryID, ThreadID: threadID, PostID: id})
	})
}

// refreshThreadLast points a thread at its newest visible post, or at its
// newest post when none is visible: the rule Recount applies too.
func (db *DB) refreshThreadLast(ctx context.Context, tx *sql.Tx, threadID int64) error {
	var id, at, author int64
	err := db.txRow(ctx, tx, `SELECT id, created_at, author_id FROM posts
		WHERE thread_id = $1 AND deleted_at = 0 ORDER BY position DESC LIMIT 1`, threadID).Scan(&id, &at, &author)
	if errors.Is(err, sql.ErrNoRows) {
		err = db.txRow(ctx, tx, `SELECT id, created_at, author_id FROM posts
			WHERE thread_id = $1 ORDER BY position DESC LIMIT 1`, threadID).Scan(&id, &at, &author)
	}
	if err != nil {
		return fmt.Errorf("newest post of thread %d: %w", threadID, err)
	}
	_, err = db.txExec(ctx, tx, `UPDATE threads SET last_post_id = $2, last_post_at = $3, last_poster_id = $4
		WHERE id = $1`, threadID, id, at, author)
	return err
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
