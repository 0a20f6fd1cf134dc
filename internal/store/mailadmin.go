package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"hearth/internal/forum"
)

// ListMailErrors returns the newest outbox rows that carry an error (failed
// ones, and pending ones whose last try failed), for the admin page.
func (db *DB) ListMailErrors(ctx context.Context, limit int) ([]*forum.OutboxMail, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+outboxCols+` FROM outbox WHERE last_error <> ''
		ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, db.wrap("list the outbox's errors", err)
	}
	out, err := scanOutbox(rows)
	return out, db.wrap("list the outbox's errors", err)
}

// RetryMail puts a failed mail back in the queue, due now, with a fresh
// series of tries. ErrNotFound if there is no failed mail of that id.
func (db *DB) RetryMail(ctx context.Context, id int64, now time.Time) error {
	return db.inTx(ctx, "retry a mail", func(tx *sql.Tx) error {
		res, err := db.txExec(ctx, tx, `UPDATE outbox SET state = 'pending', attempts = 0, next_at = $2
			WHERE id = $1 AND state = 'failed'`, id, toMillis(now))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("mail %d is not a failed mail: %w", id, forum.ErrNotFound)
		}
		return nil
	})
}
