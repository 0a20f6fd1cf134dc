package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// holdBatcher keeps the batcher busy with a write of its own until
// release(n) finds n writes queued behind it, which then run as one batch.
func holdBatcher(t *testing.T, db *DB) (release func(queued int)) {
	started, done := make(chan struct{}), make(chan struct{})
	held := make(chan error, 1)
	go func() {
		held <- db.batch.do(context.Background(), func(tx *sql.Tx) error {
			close(started)
			<-done
			return nil
		})
	}()
	<-started
	return func(queued int) {
		for len(db.batch.queue) < queued {
			runtime.Gosched()
		}
		close(done)
		if err := <-held; err != nil {
			t.Fatalf("holding write: %v", err)
		}
	}
}

// TestBatchUndoesAFailedWriteAlone: writes that share a batch with failing
// ones commit; a failing write's statements are undone, whether it failed
// in SQL (which aborts the whole transaction on PostgreSQL) or in Go after
// writing; every caller gets its own verdict.
func TestBatchUndoesAFailedWriteAlone(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		release := holdBatcher(t, db)

		errGo := errors.New("refused after writing")
		type write struct {
			key  string
			fail string // "", "sql" or "go"
		}
		var writes []write
		for i := range 12 {
			writes = append(writes, write{fmt.Sprintf("k%d", i), []string{"", "sql", "", "go"}[i%4]})
		}
		var wg sync.WaitGroup
		errs := make([]error, len(writes))
		for i, w := range writes {
			wg.Go(func() {
				errs[i] = db.batch.do(ctx, func(tx *sql.Tx) error {
					if _, err := tx.Exec("INSERT INTO settings (key, value) VALUES ($1, 'v')", w.key); err != nil {
						return err
					}
					switch w.fail {
					case "sql":
						_, err := tx.Exec("INSERT INTO settings (key, value) VALUES ($1, 'again')", w.key)
						return err // duplicate key
					case "go":
						return errGo
					}
					return nil
				})
			})
		}
		release(len(writes))
		wg.Wait()
		for i, w := range writes {
			var n int
			if err := db.read.QueryRow("SELECT COUNT(*) FROM settings WHERE key = $1", w.key).Scan(&n); err != nil {
				t.Fatal(err)
			}
			switch {
			case w.fail == "" && (errs[i] != nil || n != 1):
				t.Errorf("write %s: error %v, %d rows; want it committed", w.key, errs[i], n)
			case w.fail == "go" && !errors.Is(errs[i], errGo):
				t.Errorf("write %s: error %v, want %v", w.key, errs[i], errGo)
			case w.fail == "sql" && errs[i] == nil:
				t.Errorf("write %s: no error for a duplicate key", w.key)
			case w.fail != "" && n != 0:
				t.Errorf("write %s failed (%v) but left %d rows", w.key, errs[i], n)
			}
		}
	})
}

// TestBatchOfRowWrites: one-statement writes batched together (on
// PostgreSQL sent in one round trip, see batcher.pipelined) commit
// together; one the server refuses is undone alone, the batch run again
// with savepoints; one that answers no row is its own error and changes
// nothing.
func TestBatchOfRowWrites(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		release := holdBatcher(t, db)
		queries := map[string]string{
			"":        "INSERT INTO settings (key, value) VALUES ($1, 'v') RETURNING key",
			"refused": "INSERT INTO settings (key, value) VALUES ($1, 'v'), ($1, 'again') RETURNING key", // duplicate key
			"no row":  "INSERT INTO settings (key, value) SELECT $1, 'v' WHERE 1 = 0 RETURNING key",
		}
		kinds := []string{"", "refused", "", "no row"}
		var wg sync.WaitGroup
		errs, got := make([]error, 12), make([]string, 12)
		for i := range errs {
			key, kind := fmt.Sprintf("r%d", i), kinds[i%len(kinds)]
			w := &rowWrite{query: queries[kind], args: []any{key},
				scan: func(row rowScanner) error { return row.Scan(&got[i]) }}
			wg.Go(func() {
				errs[i] = db.batch.doRow(ctx, func(tx *sql.Tx) error { return w.scan(tx.QueryRow(w.query, w.args...)) }, w)
			})
		}
		release(len(errs))
		wg.Wait()
		for i, err := range errs {
			key, kind := fmt.Sprintf("r%d", i), kinds[i%len(kinds)]
			var n int
			if err := db.read.QueryRow("SELECT COUNT(*) FROM settings WHERE key = $1", key).Scan(&n); err != nil {
				t.Fatal(err)
			}
			switch {
			case kind == "" && (err != nil || n != 1 || got[i] != key):
				t.Errorf("write %s: error %v, %d rows, scanned %q; want it committed", key, err, n, got[i])
			case kind == "refused" && (err == nil || n != 0):
				t.Errorf("write %s: error %v, %d rows; want refused, nothing left", key, err, n)
			case kind == "no row" && (!errors.Is(err, sql.ErrNoRows) && !errors.Is(err, pgx.ErrNoRows) || n != 0):
				t.Errorf("write %s: error %v, %d rows; want no rows", key, err, n)
			}
		}
	})
}

// TestBatchGathersConcurrentWrites: once writes come concurrently (the
// last batch held more than one), a batch waits for gatherBatch of them
// rather than committing each as it comes.
func TestBatchGathersConcurrentWrites(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		db.batch.wait = time.Minute // only the count ends the gathering
		write := func() error {
			return db.batch.do(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES ('g', '1') ON CONFLICT (key) DO UPDATE SET value = excluded.value")
				return err
			})
		}
		release := holdBatcher(t, db)
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				if err := write(); err != nil {
					t.Error(err)
				}
			})
		}
		release(2)
		wg.Wait() // a batch of two: the writes are concurrent

		commits := db.Commits()
		for range gatherBatch {
			wg.Go(func() {
				if err := write(); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if got := db.Commits() - commits; got != 1 {
			t.Errorf("%d concurrent writes took %d commits, want 1", gatherBatch, got)
		}
	})
}
