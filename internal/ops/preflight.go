package ops

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"hearth/internal/store"
)

// QuickCheckBudget bounds the integrity check Preflight runs: a large
// database is not held up at start; doctor checks it fully.
const QuickCheckBudget = 250 * time.Millisecond

// Preflight is the fast subset of Doctor that serve runs before it starts:
// the data directory is writable, the database opens, its schema is the one
// this binary knows, and (SQLite, within QuickCheckBudget) it passes the
// quick check. It returns one plain sentence naming the fix, or nil.
func Preflight(ctx context.Context, cfg Config) error {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("cannot create the data directory %s (%v): check --data and its permissions", cfg.DataDir, err)
	}
	f, err := os.CreateTemp(cfg.DataDir, ".preflight-")
	if err != nil {
		return fmt.Errorf("cannot write in the data directory %s (%v): give the user running Hearth write access to it", cfg.DataDir, err)
	}
	f.Close()
	os.Remove(f.Name())

	db, err := cfg.open(ctx)
	if err != nil {
		if store.IsCorrupt(err) {
			return fmt.Errorf("%v: %s", err, restoreFix(cfg))
		}
		return fmt.Errorf("cannot open %s (%v): check that it is reachable and --db (HEARTH_DB) is right", cfg.dbLabel(), err)
	}
	defer db.Close()
	if err := CheckSchema(ctx, db, cfg.version()); err != nil {
		if store.IsCorrupt(err) {
			return fmt.Errorf("the database %s is damaged (%v): %s", cfg.dbLabel(), err, restoreFix(cfg))
		}
		return err
	}
	qctx, cancel := context.WithTimeout(ctx, QuickCheckBudget)
	defer cancel()
	if err := db.QuickCheck(qctx); err != nil {
		if store.IsCorrupt(err) {
			return fmt.Errorf("the database %s is damaged (%v): %s", cfg.dbLabel(), err, restoreFix(cfg))
		}
		if !errors.Is(qctx.Err(), context.DeadlineExceeded) || ctx.Err() != nil {
			return fmt.Errorf("checking the database %s failed: %w", cfg.dbLabel(), err)
		}
		// Out of time: a large database. Serve; `hearth doctor` checks it all.
	}
	return nil
}
