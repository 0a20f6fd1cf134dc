package store

import (
	"context"
	"time"
)

// CountActiveSessions returns the number of unexpired sessions, for metrics.
func (db *DB) CountActiveSessions(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := db.readRow(ctx, "SELECT COUNT(*) FROM sessions WHERE expires_at > $1", toMillis(now)).Scan(&n)
	return n, db.wrap("count sessions", err)
}
