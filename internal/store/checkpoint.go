package store

import (
	"context"
	"database/sql"
	"time"
)

// Checkpoints. In WAL mode SQLite copies the log back into the database
// file (a checkpoint) once it passes wal_autocheckpoint pages, on the
// connection that commits: the writer, while the replies of the next
// batch wait behind it, and with an fsync of the database file of its
// own. The writer instead leaves that to a connection of its own here,
// nudged after commits and at least every checkpointEvery, which copies
// what no reader still needs (PASSIVE) while the writer goes on. The
// writer's own automatic checkpoint stays as a backstop, far higher, for
// when this one cannot keep up or fails.
const (
	checkpointEvery = time.Second
	checkpointGap   = 200 * time.Millisecond // at most five a second under load
	// writerAutoCheckpoint is the backstop, in pages (40 MB of log).
	writerAutoCheckpoint = 10000
)

type checkpointer struct {
	pool  *sql.DB
	nudge chan struct{}
	stop  chan struct{}
	gone  chan struct{}
}

func newCheckpointer(pool *sql.DB) *checkpointer {
	c := &checkpointer{pool: pool, nudge: make(chan struct{}, 1), stop: make(chan struct{}), gone: make(chan struct{})}
	go c.loop()
	return c
}

// committed tells the checkpointer the log grew; it never blocks.
func (c *checkpointer) committed() {
	if c == nil {
		return
	}
	select {
	case c.nudge <- struct{}{}:
	default:
	}
}

func (c *checkpointer) loop() {
	defer close(c.gone)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		case <-c.nudge:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		// A failure is left for the next round, or the writer's backstop.
		c.pool.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
		cancel()
		select {
		case <-c.stop:
			return
		case <-time.After(checkpointGap):
		}
	}
}

// close stops the loop and closes the pool. The last connection to close
// checkpoints the rest (the writer's, after this).
func (c *checkpointer) close() error {
	if c == nil {
		return nil
	}
	close(c.stop)
	<-c.gone
	return c.pool.Close()
}
