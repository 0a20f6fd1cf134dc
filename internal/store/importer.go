package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"hearth/internal/forum"
)

// Import writes b's rows with their IDs in one transaction: members,
// categories (parents first), threads, then posts. Counters are written as
// given; call Recount afterwards.
func (db *DB) Import(ctx context.Context, b *forum.ImportBatch) error {
	return db.inTx(ctx, "import", func(tx *sql.Tx) error {
		err := db.bulkInsert(ctx, tx, "members", []string{"id", "email", "name", "password_hash", "role",
			"status", "title", "location", "bio", "post_count", "created_at", "handle"}, len(b.Members),
			func(i int, a []any) []any {
				m := b.Members[i]
				var handle any // NULL: assignHandles makes one from the name
				if m.Handle != "" {
					handle = m.Handle
				}
				return append(a, m.ID, m.Email, m.Name, m.PasswordHash, string(m.Role), string(m.Status),
					m.Title, m.Location, m.Bio, m.PostCount, toMillis(m.CreatedAt), handle)
			})
		if err != nil {
			return err
		}
		if len(b.Members) > 0 {
			if err := assignHandles(ctx, tx); err != nil {
				return err
			}
		}

		// A parent must exist before its children reference it.
		cats := make([]*forum.Category, 0, len(b.Categories))
		for _, c := range b.Categories {
			if c.ParentID == 0 {
				cats = append(cats, c)
			}
		}
		for _, c := range b.Categories {
			if c.ParentID != 0 {
				cats = append(cats, c)
			}
		}
		err = db.bulkInsert(ctx, tx, "categories", []string{"id", "parent_id", "name", "slug", "description",
			"position", "members_only", "staff_only", "thread_count", "post_count", "last_post_id", "last_post_at"}, len(cats),
			func(i int, a []any) []any {
				c := cats[i]
				return append(a, c.ID, nullID(c.ParentID), c.Name, c.Slug, c.Description, c.Position,
					c.MembersOnly, c.StaffOnly, c.ThreadCount, c.PostCount, nullID(c.LastPostID), toMillis(c.LastPostAt))
			})
		if err != nil {
			return err
		}

		err = db.bulkInsert(ctx, tx, "threads", []string{"id", "category_id", "author_id", "title", "slug",
			"post_count", "last_position", "sticky", "locked", "created_at", "last_post_at", "last_post_id",
			"last_poster_id", "deleted_at"}, len(b.Threads),
			func(i int, a []any) []any {
				t := b.Threads[i]
				return append(a, t.ID, t.CategoryID, t.AuthorID, t.Title, t.Slug, t.PostCount, t.LastPosition,
					t.Sticky, t.Locked, toMillis(t.CreatedAt), toMillis(t.LastPostAt), nullID(t.LastPostID),
					nullID(t.LastPosterID), toMillis(t.DeletedAt))
			})
		if err != nil {
			return err
		}

		err = db.bulkInsert(ctx, tx, "posts", []string{"id", "thread_id", "author_id", "position", "body",
			"html", "quote_post_id", "created_at", "edited_at", "deleted_at", "deleted_by", "edited_by"}, len(b.Posts),
			func(i int, a []any) []any {
				p := b.Posts[i]
				return append(a, p.ID, p.ThreadID, p.AuthorID, p.Position, p.Body, p.HTML,
					nullID(p.QuotePostID), toMillis(p.CreatedAt), toMillis(p.EditedAt),
					toMillis(p.DeletedAt), nullID(p.DeletedBy), nullID(p.EditedBy))
			})
		if err != nil {
			return err
		}
		if err := db.dialect.resetSequences(ctx, tx, idTables...); err != nil {
			return err
		}
		return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventImported})
	})
}

// bulkInsert writes n rows into table with multi-row INSERTs, preparing
// one statement for full chunks and one for the remainder. row appends the
// i-th row's values to a and returns it.
func (db *DB) bulkInsert(ctx context.Context, tx *sql.Tx, table string, cols []string, n int,
	row func(i int, a []any) []any) error {
	if n == 0 {
		return nil
	}
	perStmt := min(500, db.dialect.maxParams/len(cols))
	stmts := map[int]*sql.Stmt{}
	defer func() {
		for _, s := range stmts {
			s.Close()
		}
	}()
	args := make([]any, 0, perStmt*len(cols))
	for start := 0; start < n; start += perStmt {
		size := min(perStmt, n-start)
		stmt, ok := stmts[size]
		if !ok {
			var err error
			stmt, err = tx.PrepareContext(ctx, db.insertSQL(table, cols, size))
			if err != nil {
				return fmt.Errorf("import %s: %w", table, err)
			}
			stmts[size] = stmt
		}
		args = args[:0]
		for i := start; i < start+size; i++ {
			args = row(i, args)
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("import %s (rows %d-%d): %w", table, start, start+size-1, err)
		}
	}
	return nil
}

// insertSQL returns INSERT INTO table (cols) VALUES ($1, ...), ... for rows rows.
func (db *DB) insertSQL(table string, cols []string, rows int) string {
	var sb strings.Builder
	sb.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
	n := 1
	for r := range rows {
		if r > 0 {
			sb.WriteString(", ")
		}
		sb.WriteByte('(')
		for c := range cols {
			if c > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(db.dialect.placeholder(n))
			n++
		}
		sb.WriteByte(')')
	}
	return sb.String()
}
