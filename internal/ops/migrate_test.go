package ops

import (
	"errors"
	"io/fs"
	"maps"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"hearth/internal/store"
)

// withExtra returns the real SQLite migrations plus extra files.
func withExtra(t *testing.T, extra map[string]string) fs.FS {
	return withExtraDir(t, "../store/migrations/sqlite", extra)
}

func withExtraDir(t *testing.T, dir string, extra map[string]string) fs.FS {
	t.Helper()
	real := os.DirFS(dir)
	fsys := fstest.MapFS{}
	names, err := fs.Glob(real, "*.sql")
	must(t, err)
	for _, n := range names {
		b, err := fs.ReadFile(real, n)
		must(t, err)
		fsys[n] = &fstest.MapFile{Data: b}
	}
	for n, text := range extra {
		fsys[n] = &fstest.MapFile{Data: []byte(text)}
	}
	return fsys
}

// TestSafeMigrateFailureRollsBack injects a failing migration after a
// good one: the command says which failed, the database is exactly as it
// was, and a verified pre-migration backup exists.
func TestSafeMigrateFailureRollsBack(t *testing.T) {
	ctx := t.Context()
	cfg := newForum(t, 40)
	before := counts(t, cfg.DSN())
	cfg.Migrations = withExtra(t, map[string]string{
		"9000_good.sql": "CREATE TABLE gadgets (id INTEGER PRIMARY KEY); ALTER TABLE members ADD COLUMN nickname TEXT;",
		"9001_bad.sql":  "UPDATE posts SET body = 'gone'; INSERT INTO no_such_table VALUES (1);",
	})

	// The dry run sees the failure on a copy.
	rep, err := DryRunMigrate(ctx, cfg)
	wantErrContains(t, err, "migration 9001_bad.sql failed", "no such table", "nothing was changed")
	if len(rep.Pending) != 2 {
		t.Errorf("dry run pending %v", rep.Pending)
	}

	rep, err = SafeMigrate(ctx, cfg, nil)
	wantErrContains(t, err, "migration 9001_bad.sql failed: ", "no such table", "the database is unchanged", "backup at ")
	if rep.Backup == "" {
		t.Fatal("no pre-migration backup")
	}
	if got := counts(t, cfg.DSN()); !maps.Equal(got, before) {
		t.Errorf("counts after the failed migration: %v, want %v", got, before)
	}
	db := openMigrated(t, cfg.DSN()) // the embedded migrations: nothing pending
	cur, latest, err := db.SchemaVersion(ctx)
	must(t, err)
	if cur != latest {
		t.Errorf("version %d after the failure, want %d", cur, latest)
	}
	must(t, db.IntegrityCheck(ctx))
	e, ok, err := LastGoodBackup(cfg.DataDir)
	must(t, err)
	if !ok || e.Kind != "pre-migrate" || !strings.Contains(e.File, "pre-migrate-") {
		t.Errorf("pre-migration backup entry %+v", e)
	}
	db.Close()

	// Without the bad one it applies, after another backup.
	cfg.Migrations = withExtra(t, map[string]string{"9000_good.sql": "CREATE TABLE gadgets (id INTEGER PRIMARY KEY);"})
	rep, err = DryRunMigrate(ctx, cfg)
	must(t, err)
	if len(rep.Applied) != 1 || rep.To != 9000 {
		t.Errorf("dry run report %+v", rep)
	}
	rep, err = SafeMigrate(ctx, cfg, nil)
	must(t, err)
	if rep.From != latest || rep.To != 9000 || len(rep.Applied) != 1 || rep.Backup == "" {
		t.Errorf("migrate report %+v", rep)
	}
	// Now the embedded migrations are older than the database.
	cfg.Migrations = nil
	_, err = SafeMigrate(ctx, cfg, nil)
	if !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("SafeMigrate on a newer database: %v", err)
	}
	wantErrContains(t, err, "is older than the database (schema 9000, last migration 9000_good.sql)", "install a newer Hearth")

	rep, err = SafeMigrate(ctx, newForum(t, 1), nil)
	if err != nil || len(rep.Pending) != 0 {
		t.Errorf("nothing pending: %+v %v", rep, err)
	}
}
