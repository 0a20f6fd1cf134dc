package store

import (
	"context"
	"strconv"
	"strings"

	"hearth/internal/forum"
)

// categoryReadable is the condition, on categories c and the parent pc
// (LEFT JOINed), that a reader with access may read the category: the
// categories' part of readable.
func categoryReadable(access forum.Access) string {
	switch access {
	case forum.AccessStaff:
		return "TRUE"
	case forum.AccessMember:
		return "NOT c.staff_only AND NOT COALESCE(pc.staff_only, FALSE)"
	}
	return `NOT c.staff_only AND NOT COALESCE(pc.staff_only, FALSE)
		AND NOT c.members_only AND NOT COALESCE(pc.members_only, FALSE)`
}

// latestSelect is threadSelect with the category's name and slug.
var latestSelect = strings.Replace(threadSelect, "\nFROM threads t", ", c.name, c.slug\nFROM threads t", 1)

// latestUnionMax is how many categories LatestThreads reads one index
// range each for; past it (SQLite allows 500 terms in a compound SELECT)
// it sorts their threads instead.
const latestUnionMax = 200

// LatestThreads returns a page of the threads of every category f.Access
// may read, newest activity first, from the cursor on (keyset: the page's
// cost does not grow with its depth).
//
// There is no index over all threads by activity, but each category's
// threads_category_last (category_id, deleted_at, last_post_at DESC,
// last_post_id DESC) gives its newest threads before the cursor in order:
// the page is the newest Limit of the union of each readable category's
// first Limit, so it reads at most Limit index entries per category
// however deep it is. Which categories, and that none is deleted or
// muted, is decided in the queries themselves; the outer query checks
// the categories again, so a category made staff-only between the two
// reads shows nothing.
func (db *DB) LatestThreads(ctx context.Context, f forum.LatestFilter) ([]*forum.Thread, error) {
	return db.latestThreads(ctx, f, latestUnionMax)
}

// latestThreads is LatestThreads with one index range per category up to
// unionMax categories (tests try both ways).
func (db *DB) latestThreads(ctx context.Context, f forum.LatestFilter, unionMax int) ([]*forum.Thread, error) {
	op := "latest threads"
	catQuery := "SELECT c.id FROM categories c LEFT JOIN categories pc ON pc.id = c.parent_id WHERE " + categoryReadable(f.Access)
	var catArgs []any
	if f.MemberID != 0 {
		catQuery += ` AND NOT EXISTS (SELECT 1 FROM category_members cm
			WHERE cm.member_id = $1 AND cm.level = 0 AND (cm.category_id = c.id OR cm.category_id = c.parent_id))`
		catArgs = append(catArgs, f.MemberID)
	}
	rows, err := db.readRows(ctx, catQuery+" ORDER BY c.id", catArgs...)
	if err != nil {
		return nil, db.wrap(op, err)
	}
	var cats []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, db.wrap(op, err)
		}
		cats = append(cats, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, db.wrap(op, err)
	}
	if len(cats) == 0 || f.Limit <= 0 {
		return nil, nil
	}

	// The first page, the one everybody reads, is a query without
	// parameters for guests: PostgreSQL plans such a prepared statement
	// once and keeps the plan, where with parameters it planned the
	// union again at every render (4–7 ms of its CPU, twice the running).
	// So the limit is written into it and the cursor only on later pages.
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	limit := strconv.Itoa(f.Limit)
	cond := "deleted_at = 0"
	if !f.Before.IsZero() {
		// Before the cursor: the first term bounds the index range, the
		// second breaks ties of the same millisecond by last post id.
		at, post := arg(toMillis(f.Before.At)), arg(f.Before.PostID)
		cond += " AND last_post_at <= " + at + " AND (last_post_at < " + at + " OR last_post_id < " + post + ")"
	}
	if f.MemberID != 0 {
		cond += " AND NOT EXISTS (SELECT 1 FROM thread_members tm WHERE tm.member_id = " + arg(f.MemberID) +
			" AND tm.thread_id = threads.id AND tm.level = 0)"
	}
	// The candidates' ids and sort keys come from the index alone; only
	// the page's Limit threads are then read in full (reading all of them,
	// Limit per category, took most of the query's time).
	var ids strings.Builder
	ids.WriteString("SELECT id FROM (")
	if len(cats) > unionMax {
		ids.WriteString("SELECT id, last_post_at, last_post_id FROM threads WHERE " + cond + " AND category_id IN (")
		for i, c := range cats {
			if i > 0 {
				ids.WriteByte(',')
			}
			ids.WriteString(strconv.FormatInt(c, 10))
		}
		ids.WriteString(")")
	} else {
		for i, c := range cats {
			if i > 0 {
				ids.WriteString(" UNION ALL ")
			}
			n := strconv.Itoa(i)
			ids.WriteString("SELECT id, last_post_at, last_post_id FROM (SELECT id, last_post_at, last_post_id FROM threads WHERE category_id = " +
				strconv.FormatInt(c, 10) + " AND " + cond + " ORDER BY last_post_at DESC, last_post_id DESC LIMIT " + limit + ") l" + n)
		}
	}
	ids.WriteString(") candidates ORDER BY last_post_at DESC, last_post_id DESC LIMIT " + limit)
	q := latestSelect + `
JOIN categories c ON c.id = t.category_id
LEFT JOIN categories pc ON pc.id = c.parent_id
WHERE t.id IN (` + ids.String() + `) AND t.deleted_at = 0 AND ` + categoryReadable(f.Access) + `
ORDER BY t.last_post_at DESC, t.last_post_id DESC LIMIT ` + limit
	rows, err = db.readRows(ctx, q, args...)
	if err != nil {
		return nil, db.wrap(op, err)
	}
	defer rows.Close()
	var out []*forum.Thread
	for rows.Next() {
		var name, slug string
		t, err := scanThread(extraScan{rows, []any{&name, &slug}})
		if err != nil {
			return nil, db.wrap(op, err)
		}
		t.CategoryName, t.CategorySlug = name, slug
		out = append(out, t)
	}
	return out, db.wrap(op, rows.Err())
}

// extraScan scans a row into scanThread's columns and then extra ones.
type extraScan struct {
	row   rowScanner
	extra []any
}

func (e extraScan) Scan(dest ...any) error { return e.row.Scan(append(dest, e.extra...)...) }
