package ops

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"hearth/internal/progress"
	"hearth/internal/store"
)

// RestoreOptions tune a restore.
type RestoreOptions struct {
	// Force replaces the contents of a PostgreSQL database that already
	// holds data. It means "I have stopped every hearth serve using it".
	// It never overrides the serve lock of this data directory: that lock
	// is held only by a live process, so the forum really is running.
	Force bool
	Now   func() time.Time
}

// RestoreReport says what a restore did.
type RestoreReport struct {
	Manifest            *Manifest
	SHA256              string
	Previous            string // where the replaced SQLite database was moved ("" if none)
	PreviousAttachments string // where the replaced attachments folder was moved ("" if none)
	Attachments         int    // files restored
	Duration            time.Duration
}

// Restore replaces the configured database and the attachments with the
// backup at archive, after checking its checksums and the database in it.
// It holds the serve lock while it works, so it refuses to run under a
// live forum and no forum can start halfway through. SQLite is swapped by
// an atomic rename (the old file kept as hearth.db.before-restore-TIME);
// PostgreSQL (or a backup from the other engine) is imported in one
// transaction into a freshly migrated schema.
func Restore(ctx context.Context, cfg Config, archive string, opts RestoreOptions) (RestoreReport, error) {
	release, err := AcquireServeLock(cfg.DataDir)
	if err != nil {
		pid, _ := ServeLockHeld(cfg.DataDir)
		return RestoreReport{}, fmt.Errorf("the forum is running on %s (hearth serve, pid %d): stop it, then run hearth restore again", cfg.DataDir, pid)
	}
	defer release()
	return restoreUnlocked(ctx, cfg, archive, opts)
}

// restoreUnlocked is Restore for a caller that holds the serve lock.
func restoreUnlocked(ctx context.Context, cfg Config, archive string, opts RestoreOptions) (RestoreReport, error) {
	began := time.Now()
	now := time.Now().UTC()
	if opts.Now != nil {
		now = opts.Now().UTC()
	}
	var rep RestoreReport

	workParent := cfg.DataDir
	if cfg.isSQLite() {
		workParent = filepath.Dir(cfg.dbLabel()) // same filesystem: the final rename is atomic
	}
	if err := os.MkdirAll(workParent, 0o700); err != nil {
		return rep, err
	}
	work, err := os.MkdirTemp(workParent, ".restore-")
	if err != nil {
		return rep, err
	}
	defer os.RemoveAll(work)

	bar := cfg.Progress
	defer bar.Done()
	if st, err := os.Stat(archive); err == nil {
		bar.Stage("reading the archive", st.Size(), progress.Bytes)
	}
	m, sum, err := extractArchive(archive, work, bar)
	if err != nil {
		return rep, err
	}
	rep.Manifest, rep.SHA256 = m, sum
	if err := checkRecordedSum(cfg.DataDir, archive, sum); err != nil {
		return rep, err
	}

	stamp := now.Format("20060102T150405Z")
	if cfg.isSQLite() {
		rep.Previous, err = restoreSQLite(ctx, cfg, work, m, stamp)
	} else {
		err = restorePostgres(ctx, cfg, work, m, opts.Force)
	}
	if err != nil {
		return rep, err
	}
	rep.PreviousAttachments, rep.Attachments, err = swapAttachments(cfg, work, stamp)
	rep.Duration = time.Since(began)
	return rep, err
}

// checkRecordedSum compares the archive's checksum with the one the index
// recorded when it was made, if it is there.
func checkRecordedSum(dataDir, archive, sum string) error {
	list, err := ReadIndex(dataDir)
	if err != nil {
		return nil // a damaged index must not block a restore; the manifest was checked
	}
	abs, _ := filepath.Abs(archive)
	for _, e := range list {
		if p, _ := filepath.Abs(e.Path(dataDir)); p == abs && e.SHA256 != "" && e.SHA256 != sum {
			return fmt.Errorf("%s has changed since it was made: its SHA-256 is %s, the index recorded %s", archive, sum, e.SHA256)
		}
	}
	return nil
}

// restoreSQLite prepares the new database file in work, checks it, and
// renames it over the configured one; it returns where the old one went.
func restoreSQLite(ctx context.Context, cfg Config, work string, m *Manifest, stamp string) (string, error) {
	dbPath := cfg.dbLabel()
	newDB := filepath.Join(work, "hearth.db")
	if m.Content != "sqlite" {
		// A logical export (from PostgreSQL): import it into a new file.
		newDB = filepath.Join(work, "imported.db")
		db, err := store.Open(ctx, newDB)
		if err != nil {
			return "", err
		}
		cfg.Progress.Stage("importing rows", rowTotal(m), progress.Rows)
		err = importExport(ctx, db, filepath.Join(work, "db"), m, false, cfg.Progress)
		db.Close()
		if err != nil {
			return "", fmt.Errorf("import the backup: %w", err)
		}
	}
	cfg.Progress.Stage("checking the database", 0, progress.Rows)
	if err := checkRestoredFile(ctx, newDB, m); err != nil {
		return "", err
	}
	staged := dbPath + ".restoring"
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(staged + suffix)
	}
	if err := os.Rename(newDB, staged); err != nil {
		return "", err
	}
	// Move the old database aside together with its WAL: committed
	// transactions may still live only there, and SQLite finds the WAL by
	// the database's name.
	prev := ""
	if _, err := os.Stat(dbPath); err == nil {
		prev = dbPath + ".before-restore-" + stamp
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Rename(dbPath+suffix, prev+suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return "", fmt.Errorf("move the old database aside: %w", err)
			}
		}
	}
	if err := os.Rename(staged, dbPath); err != nil {
		return prev, fmt.Errorf("put the restored database in place: %w (the previous one is at %s)", err, prev)
	}
	syncDir(filepath.Dir(dbPath))
	return prev, nil
}

// checkRestoredFile opens the database about to go live and checks its
// integrity, its schema and its row counts.
func checkRestoredFile(ctx context.Context, path string, m *Manifest) error {
	db, err := store.Open(ctx, path)
	if err != nil {
		return fmt.Errorf("the database in the backup does not open: %w", err)
	}
	defer db.Close()
	if err := checkBackupSchema(ctx, db, m); err != nil {
		return err
	}
	if err := db.IntegrityCheck(ctx); err != nil {
		return fmt.Errorf("the database in the backup fails its integrity check: %w", err)
	}
	got, err := db.TableCounts(ctx)
	if err != nil {
		return err
	}
	return compareCounts(m, got)
}

// restorePostgres imports the backup into the configured PostgreSQL
// database in one transaction.
func restorePostgres(ctx context.Context, cfg Config, work string, m *Manifest, force bool) error {
	db, err := cfg.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := checkBackupSchema(ctx, db, m); err != nil {
		return err
	}
	if _, err := db.Migrate(ctx); err != nil {
		return fmt.Errorf("prepare the schema: %w", err)
	}
	var src store.RowSource
	if m.Content == "sqlite" {
		from, err := store.Open(ctx, filepath.Join(work, "hearth.db"))
		if err != nil {
			return fmt.Errorf("the database in the backup does not open: %w", err)
		}
		defer from.Close()
		src = func(emit func(string, map[string]any) error) error { return from.ExportTables(ctx, emit) }
	} else {
		src = jsonlSource(ctx, filepath.Join(work, "db"))
	}
	cfg.Progress.Stage("importing rows", rowTotal(m), progress.Rows)
	err = db.ImportTables(ctx, force, counted(src, cfg.Progress))
	cfg.Progress.Stage("checking the counts", 0, progress.Rows)
	if errors.Is(err, store.ErrNotEmpty) {
		return fmt.Errorf("%w: restore into an empty database, or pass --force (after stopping every hearth serve that uses it) to replace its contents", err)
	}
	if err != nil {
		return fmt.Errorf("import the backup (nothing was changed): %w", err)
	}
	got, err := db.TableCounts(ctx)
	if err != nil {
		return err
	}
	return compareCounts(m, got)
}

// swapAttachments puts the backup's attachments in place, moving the
// current folder aside.
func swapAttachments(cfg Config, work, stamp string) (prev string, n int, err error) {
	src := filepath.Join(work, "attachments")
	if _, err := os.Stat(src); err != nil {
		if err := os.MkdirAll(src, 0o700); err != nil {
			return "", 0, err
		}
	}
	filepath.WalkDir(src, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return nil
	})
	dst := cfg.AttachmentDir()
	if _, err := os.Stat(dst); err == nil {
		prev = dst + ".before-restore-" + stamp
		if err := os.Rename(dst, prev); err != nil {
			return "", n, fmt.Errorf("move the old attachments aside: %w", err)
		}
	}
	// work may be on another filesystem than DATA (--db elsewhere): fall
	// back to a copy then.
	if err := os.Rename(src, dst); err != nil {
		if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
			return prev, n, fmt.Errorf("restore attachments: %w", err)
		}
	}
	syncDir(cfg.DataDir)
	return prev, n, nil
}
