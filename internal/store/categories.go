package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"hearth/internal/forum"
)

// categorySelect fills a category and its latest activity in one query,
// following last_post_id to the post, its thread and its author.
const categorySelect = `SELECT c.id, COALESCE(c.parent_id, 0), c.name, c.slug, c.description,
	c.position, c.members_only, c.staff_only, c.check_only, c.thread_count, c.post_count,
	COALESCE(c.last_post_id, 0), c.last_post_at,
	COALESCE(t.id, 0), COALESCE(t.title, ''), COALESCE(t.slug, ''),
	COALESCE(lp.id, 0), COALESCE(lp.name, '')
FROM categories c
LEFT JOIN posts p ON p.id = c.last_post_id
LEFT JOIN threads t ON t.id = p.thread_id
LEFT JOIN members lp ON lp.id = p.author_id`

func scanCategory(row rowScanner) (*forum.Category, error) {
	var c forum.Category
	var lastAt int64
	err := row.Scan(&c.ID, &c.ParentID, &c.Name, &c.Slug, &c.Description,
		&c.Position, &c.MembersOnly, &c.StaffOnly, &c.CheckOnly, &c.ThreadCount, &c.PostCount,
		&c.LastPostID, &lastAt,
		&c.LastThreadID, &c.LastThreadTitle, &c.LastThreadSlug,
		&c.LastPosterID, &c.LastPosterName)
	if err != nil {
		return nil, err
	}
	c.LastPostAt = fromMillis(lastAt)
	return &c, nil
}

// CreateCategory inserts c and sets c.ID. Counters start at zero.
func (db *DB) CreateCategory(ctx context.Context, c *forum.Category) error {
	return db.inTx(ctx, "create category", func(tx *sql.Tx) error {
		err := db.txRow(ctx, tx, `INSERT INTO categories
			(parent_id, name, slug, description, position, members_only, staff_only, check_only)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			nullID(c.ParentID), c.Name, c.Slug, c.Description, c.Position, c.MembersOnly, c.StaffOnly || c.CheckOnly, c.CheckOnly).Scan(&c.ID)
		if err != nil {
			return err
		}
		return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventCategoryCreated, CategoryID: c.ID})
	})
}

// UpdateCategory saves parent, name, slug, description, position and visibility.
func (db *DB) UpdateCategory(ctx context.Context, c *forum.Category) error {
	return db.inTx(ctx, fmt.Sprintf("update category %d", c.ID), func(tx *sql.Tx) error {
		err := mustAffect(db.txExec(ctx, tx, `UPDATE categories SET parent_id = $2, name = $3,
			slug = $4, description = $5, position = $6, members_only = $7, staff_only = $8 WHERE id = $1`,
			c.ID, nullID(c.ParentID), c.Name, c.Slug, c.Description, c.Position, c.MembersOnly, c.StaffOnly))
		if err != nil {
			return err
		}
		return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventCategoryChanged, CategoryID: c.ID})
	})
}

// CategoryByID returns ErrNotFound if there is no such category.
func (db *DB) CategoryByID(ctx context.Context, id int64) (*forum.Category, error) {
	c, err := scanCategory(db.readRow(ctx, categorySelect+" WHERE c.id = $1", id))
	return c, db.wrap(fmt.Sprintf("load category %d", id), err)
}

// ListCategories returns every category ordered by position then id.
func (db *DB) ListCategories(ctx context.Context) ([]*forum.Category, error) {
	rows, err := db.readRows(ctx, categorySelect+" ORDER BY c.position, c.id")
	if err != nil {
		return nil, db.wrap("list categories", err)
	}
	defer rows.Close()
	var out []*forum.Category
	for rows.Next() {
		c, err := scanCategory(rows)
		if err != nil {
			return nil, db.wrap("list categories", err)
		}
		out = append(out, c)
	}
	return out, db.wrap("list categories", rows.Err())
}

// refreshCategoryLast points a category at the last post of its most
// recently active visible thread: the rule Recount applies too. Writes call
// it rather than comparing times, so clocks that disagree a little between
// requests cannot leave the pointer on a post that is no thread's last.
func (db *DB) refreshCategoryLast(ctx context.Context, tx *sql.Tx, categoryID int64) error {
	var lastID sql.NullInt64
	var lastAt int64
	err := db.txRow(ctx, tx, `SELECT last_post_id, last_post_at FROM threads
		WHERE category_id = $1 AND deleted_at = 0
		ORDER BY last_post_at DESC, last_post_id DESC LIMIT 1`, categoryID).Scan(&lastID, &lastAt)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	_, err = db.txExec(ctx, tx, "UPDATE categories SET last_post_id = $2, last_post_at = $3 WHERE id = $1",
		categoryID, lastID, lastAt)
	return err
}

// countInCategory adds threads and posts to a category's counters and
// refreshes its latest activity.
// One statement: every reply runs it, in the writer.
func (db *DB) countInCategory(ctx context.Context, tx *sql.Tx, categoryID int64, threads, posts int) error {
	err := mustAffect(db.txExec(ctx, tx, `UPDATE categories SET thread_count = thread_count + $2,
		post_count = post_count + $3,
		last_post_id = (SELECT last_post_id FROM threads WHERE category_id = $1 AND deleted_at = 0
			ORDER BY last_post_at DESC, last_post_id DESC LIMIT 1),
		last_post_at = COALESCE((SELECT last_post_at FROM threads WHERE category_id = $1 AND deleted_at = 0
			ORDER BY last_post_at DESC, last_post_id DESC LIMIT 1), 0)
		WHERE id = $1`, categoryID, threads, posts))
	if err != nil {
		return fmt.Errorf("category %d: %w", categoryID, err)
	}
	return nil
}
