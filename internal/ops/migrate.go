package ops

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"

	"hearth/internal/progress"
	"hearth/internal/store"
)

// ErrMigrationsPending means the database needs `hearth migrate`.
var ErrMigrationsPending = errors.New("database migrations are pending")

// CheckSchema returns nil when this binary can serve the database: its
// schema is the one the binary knows, or it was never migrated (a new, empty
// file: creating the schema risks no data). Otherwise it returns a
// plain-language error wrapping ErrMigrationsPending or store.ErrSchemaTooNew.
func CheckSchema(ctx context.Context, db *store.DB, version string) error {
	current, latest, err := db.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("read the database's schema version: %w", err)
	}
	switch {
	case current == 0 || current == latest:
		return nil
	case current < latest:
		return fmt.Errorf("%w: the database schema is at version %d and this Hearth needs version %d: run `hearth migrate` (it takes a verified backup first)",
			ErrMigrationsPending, current, latest)
	default:
		_, name, _ := db.LastMigration(ctx)
		return fmt.Errorf("%w: this binary (Hearth %s, schema %d) is older than the database (schema %d, last migration %s): install a newer Hearth, or restore a backup made by this version with `hearth restore`",
			store.ErrSchemaTooNew, version, latest, current, name)
	}
}

// MigrateReport says what SafeMigrate did or, in a dry run, would do.
type MigrateReport struct {
	From, To int      // schema versions before and after
	Pending  []string // migration files pending before
	Applied  []string // applied (or, in a dry run, that applied cleanly to the copy)
	Backup   string   // the pre-migration backup, if one was taken
	DryRun   bool
}

// SafeMigrate applies pending migrations safely: a verified backup first,
// then every migration in one transaction; on failure it checks the
// database is as it was (integrity, version, row counts) and restores the
// backup if not. Nothing pending: nothing done.
func SafeMigrate(ctx context.Context, cfg Config, log *slog.Logger) (MigrateReport, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var rep MigrateReport
	db, err := cfg.open(ctx)
	if err != nil {
		return rep, err
	}
	defer func() { db.Close() }()
	if rep.Pending, rep.From, rep.To, err = pending(ctx, db, cfg); err != nil || len(rep.Pending) == 0 {
		return rep, err
	}

	var before map[string]int64
	if rep.From > 0 { // a database never migrated is empty: nothing to back up
		e, err := (&Backuper{Config: cfg, DB: db, Log: log}).Backup(ctx, BackupOptions{Kind: "pre-migrate"})
		if err != nil {
			return rep, fmt.Errorf("could not take a verified backup before migrating, so nothing was changed: %w", err)
		}
		rep.Backup, before = e.Path(cfg.DataDir), e.Counts
		log.Info("pre-migration backup", "file", rep.Backup)
	}

	cfg.Progress.Stage(fmt.Sprintf("applying %d migration(s)", len(rep.Pending)), 0, progress.Rows)
	_, err = db.Migrate(ctx)
	cfg.Progress.Done()
	if err != nil {
		failed := describeFailure(err)
		state := checkUnchanged(ctx, db, rep.From, before)
		if state == nil {
			return rep, fmt.Errorf("%s; the database is unchanged%s", failed, backupNote(rep.Backup))
		}
		if rep.Backup == "" || !cfg.isSQLite() {
			return rep, fmt.Errorf("%s, and the database is not as it was (%v)%s", failed, state, backupNote(rep.Backup))
		}
		// SQLite's rollback should have made this impossible; put the copy
		// back. No serve lock: serve --migrate may be the caller and hold it.
		db.Close()
		if _, rerr := restoreUnlocked(ctx, cfg, rep.Backup, RestoreOptions{}); rerr != nil {
			return rep, fmt.Errorf("%s, the database was left changed (%v) and restoring the backup %s failed too: %v", failed, state, rep.Backup, rerr)
		}
		return rep, fmt.Errorf("%s; the database was restored from the backup %s", failed, rep.Backup)
	}
	rep.Applied = rep.Pending
	rep.To, _, err = db.SchemaVersion(ctx)
	return rep, err
}

func backupNote(path string) string {
	if path == "" {
		return ""
	}
	return " (backup at " + path + ")"
}

// describeFailure turns Migrate's error into "migration F failed: why".
func describeFailure(err error) string {
	if me, ok := errors.AsType[*store.MigrationError](err); ok {
		return fmt.Sprintf("migration %s failed: %v", me.Name, me.Err)
	}
	return "migrating failed: " + err.Error()
}

// checkUnchanged returns nil when the database after a failed migration
// has its old version, passes the quick check and holds the same rows.
func checkUnchanged(ctx context.Context, db *store.DB, version int, counts map[string]int64) error {
	cur, _, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if cur != version {
		return fmt.Errorf("its schema version is %d, was %d", cur, version)
	}
	if err := db.QuickCheck(ctx); err != nil {
		return err
	}
	if counts == nil {
		return nil
	}
	got, err := db.TableCounts(ctx)
	if err != nil {
		return err
	}
	if !maps.Equal(got, counts) {
		return fmt.Errorf("row counts changed: %v, were %v", got, counts)
	}
	return nil
}

// pending lists pending migrations, refusing a database ahead of the binary.
func pending(ctx context.Context, db *store.DB, cfg Config) ([]string, int, int, error) {
	if err := CheckSchema(ctx, db, cfg.version()); errors.Is(err, store.ErrSchemaTooNew) {
		return nil, 0, 0, err
	}
	names, err := db.PendingMigrations(ctx)
	if err != nil {
		return nil, 0, 0, err
	}
	cur, _, err := db.SchemaVersion(ctx)
	return names, cur, cur, err
}

// DryRunMigrate reports what SafeMigrate would apply, and whether it
// works, without changing the database: SQLite migrates a VACUUM INTO copy,
// PostgreSQL runs the migrations in a transaction that is rolled back.
func DryRunMigrate(ctx context.Context, cfg Config) (MigrateReport, error) {
	rep := MigrateReport{DryRun: true}
	db, err := cfg.open(ctx)
	if err != nil {
		return rep, err
	}
	defer db.Close()
	if rep.Pending, rep.From, rep.To, err = pending(ctx, db, cfg); err != nil || len(rep.Pending) == 0 {
		return rep, err
	}
	if db.Engine() != "sqlite" {
		rep.Applied, err = db.DryRunMigrate(ctx)
		if err != nil {
			return rep, fmt.Errorf("%s (dry run: nothing was changed)", describeFailure(err))
		}
		rep.To = rep.From + len(rep.Applied)
		return rep, nil
	}
	work, err := os.MkdirTemp(filepath.Dir(db.Path()), ".dry-run-")
	if err != nil {
		return rep, err
	}
	defer os.RemoveAll(work)
	copyPath := filepath.Join(work, "hearth.db")
	if err := db.BackupSQLite(ctx, copyPath); err != nil {
		return rep, err
	}
	cp, err := store.Open(ctx, copyPath)
	if err != nil {
		return rep, err
	}
	defer cp.Close()
	if cfg.Migrations != nil {
		cp.WithMigrations(cfg.Migrations)
	}
	if _, err := cp.Migrate(ctx); err != nil {
		return rep, fmt.Errorf("%s (dry run on a copy: nothing was changed)", describeFailure(err))
	}
	if err := cp.QuickCheck(ctx); err != nil {
		return rep, fmt.Errorf("the migrated copy fails its integrity check: %w", err)
	}
	rep.Applied = rep.Pending
	rep.To, _, err = cp.SchemaVersion(ctx)
	return rep, err
}
