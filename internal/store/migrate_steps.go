package store

import (
	"context"
	"database/sql"
	"fmt"

	"hearth/internal/forum"
)

// goSteps are migrations' parts that SQL alone cannot do well, run in the
// migration's transaction right after the file of their version, so they
// commit or roll back with it.
// They are named by file, so a test's own migrations of the same number
// run none.
var goSteps = map[string]func(ctx context.Context, tx *sql.Tx) error{
	"0011_notifications.sql": assignHandles, // a handle for every member
}

// runGoStep runs the Go step of migration file name, if it has one.
func runGoStep(ctx context.Context, tx *sql.Tx, name string) error {
	if step := goSteps[name]; step != nil {
		if err := step(ctx, tx); err != nil {
			return &MigrationError{name, err}
		}
	}
	return nil
}

// assignHandles gives every member without a handle one made from their
// name, oldest members first, a number added where it is taken
// (ada_lovelace, ada_lovelace2, …). Importers and seeds leave handles
// empty and call it too.
func assignHandles(ctx context.Context, tx *sql.Tx) error {
	taken := map[string]bool{}
	rows, err := tx.QueryContext(ctx, "SELECT handle FROM members WHERE handle IS NOT NULL UNION SELECT handle FROM member_handles")
	if err != nil {
		return fmt.Errorf("read handles: %w", err)
	}
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			rows.Close()
			return err
		}
		taken[h] = true
	}
	rows.Close()
	type need struct {
		id   int64
		name string
	}
	var todo []need
	rows, err = tx.QueryContext(ctx, "SELECT id, name FROM members WHERE handle IS NULL ORDER BY created_at, id")
	if err != nil {
		return fmt.Errorf("read members without a handle: %w", err)
	}
	for rows.Next() {
		var n need
		if err := rows.Scan(&n.id, &n.name); err != nil {
			rows.Close()
			return err
		}
		todo = append(todo, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, n := range todo {
		h := freeHandle(forum.SuggestHandle(n.name), func(h string) bool { return taken[h] })
		taken[h] = true
		if _, err := tx.ExecContext(ctx, "UPDATE members SET handle = $2 WHERE id = $1", n.id, h); err != nil {
			return fmt.Errorf("set handle of member %d: %w", n.id, err)
		}
	}
	return nil
}

// freeHandle returns base, or base with the lowest number from 2 up that
// taken does not hold.
func freeHandle(base string, taken func(string) bool) string {
	h := base
	for n := 2; taken(h); n++ {
		h = forum.NumberedHandle(base, n)
	}
	return h
}
