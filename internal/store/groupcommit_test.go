package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
)

// TestBatchUndoesAFailedWriteAlone: writes that share a batch with failing
// ones commit; a failing write's statements are undone, whether it failed
// in SQL (which aborts the whole transaction on PostgreSQL) or in Go after
// writing; every caller gets its own verdict.
func TestBatchUndoesAFailedWriteAlone(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		// Hold the batcher so that the writes below queue up and run as
		// one batch.
		started, release := make(chan struct{}), make(chan struct{})
		held := make(chan error, 1)
		go func() {
			held <- db.batch.do(ctx, func(tx *sql.Tx) error {
				close(started)
				<-release
				return nil
			})
		}()
		<-started

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
		for len(db.batch.queue) < len(writes) {
			runtime.Gosched()
		}
		close(release)
		wg.Wait()
		if err := <-held; err != nil {
			t.Fatalf("holding write: %v", err)
		}
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
