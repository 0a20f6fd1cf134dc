package ops

import (
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"hearth/internal/forum"

	"hearth/internal/store/storetest"
)

// TestPostgresBackupAcrossEngines backs up PostgreSQL as a logical export,
// restores it into SQLite, and restores that SQLite backup into a second
// PostgreSQL database: the way to move between engines.
func TestPostgresBackupAcrossEngines(t *testing.T) {
	ctx := t.Context()
	pgDSN := storetest.CreatePostgres(t)
	pg := Config{DataDir: filepath.Join(t.TempDir(), "pg"), DB: pgDSN, Version: "test"}
	db := openMigrated(t, pgDSN)
	fill(t, db, 35)
	writeFile(t, filepath.Join(pg.AttachmentDir(), "doc.pdf"), "%PDF pretend")
	want, err := db.TableCounts(ctx)
	must(t, err)
	e, err := (&Backuper{Config: pg, DB: db}).Backup(ctx, BackupOptions{})
	must(t, err)
	if !e.OK || e.Engine != "postgres" || e.Counts["posts"] != 35 {
		t.Fatalf("PostgreSQL backup %+v", e)
	}
	db.Close()

	lite := Config{DataDir: filepath.Join(t.TempDir(), "lite"), Version: "test"}
	_, err = Restore(ctx, lite, e.Path(pg.DataDir), RestoreOptions{})
	must(t, err)
	got := counts(t, lite.DSN())
	delete(got, "schema_migrations")
	w := maps.Clone(want)
	delete(w, "schema_migrations")
	if !maps.Equal(got, w) {
		t.Errorf("PostgreSQL -> SQLite: %v, want %v", got, w)
	}
	if readFile(t, filepath.Join(lite.AttachmentDir(), "doc.pdf")) != "%PDF pretend" {
		t.Error("attachment lost")
	}
	ldb := openMigrated(t, lite.DSN())
	must(t, ldb.IntegrityCheck(ctx))
	le, err := (&Backuper{Config: lite, DB: ldb}).Backup(ctx, BackupOptions{})
	must(t, err)
	ldb.Close()

	// And back into a new PostgreSQL database.
	pg2 := Config{DataDir: filepath.Join(t.TempDir(), "pg2"), DB: storetest.CreatePostgres(t)}
	_, err = Restore(ctx, pg2, le.Path(lite.DataDir), RestoreOptions{})
	must(t, err)
	_, err = Restore(ctx, pg2, le.Path(lite.DataDir), RestoreOptions{})
	wantErrContains(t, err, "already holds data", "--force")
	_, err = Restore(ctx, pg2, le.Path(lite.DataDir), RestoreOptions{Force: true})
	must(t, err)
	got = counts(t, pg2.DB)
	delete(got, "schema_migrations")
	if !maps.Equal(got, w) {
		t.Errorf("SQLite -> PostgreSQL: %v, want %v", got, w)
	}
	// New rows get fresh IDs after the import.
	db2 := openMigrated(t, pg2.DB)
	must(t, db2.CreateMember(ctx, &forum.Member{Email: "new@example.org", Name: "new", Role: forum.RoleMember, Status: forum.StatusActive}))
}

func TestPostgresSafeMigrate(t *testing.T) {
	ctx := t.Context()
	cfg := Config{DataDir: t.TempDir(), DB: storetest.CreatePostgres(t), Version: "test"}
	db := openMigrated(t, cfg.DB)
	fill(t, db, 12)
	before, err := db.TableCounts(ctx)
	must(t, err)
	db.Close()
	cfg.Migrations = withExtraDir(t, "../store/migrations/postgres", map[string]string{
		"9000_good.sql": "CREATE TABLE gadgets (id INTEGER PRIMARY KEY);",
		"9001_bad.sql":  "DELETE FROM posts; INSERT INTO no_such_table VALUES (1);",
	})
	_, err = DryRunMigrate(ctx, cfg)
	wantErrContains(t, err, "migration 9001_bad.sql failed", "nothing was changed")
	rep, err := SafeMigrate(ctx, cfg, nil)
	wantErrContains(t, err, "migration 9001_bad.sql failed", "the database is unchanged", "backup at")
	if got := counts(t, cfg.DB); !maps.Equal(got, before) {
		t.Errorf("after the failure: %v, want %v", got, before)
	}
	if m, _, err := Verify(ctx, rep.Backup); err != nil || m.Content != "jsonl" {
		t.Errorf("pre-migration backup: %v %v", m, err)
	}
}

// TestDoctorPostgresAutovacuum: on a PostgreSQL server with autovacuum off
// (as the CI machines run it) the database check warns and says how to
// turn it on; with it on, the check passes.
func TestDoctorPostgresAutovacuum(t *testing.T) {
	dsn := storetest.CreatePostgres(t)
	cfg := Config{DataDir: t.TempDir(), DB: dsn, Version: "test"}
	db := openMigrated(t, dsn)
	off, err := db.AutovacuumOff(t.Context())
	must(t, err)
	c := check(t, Doctor(t.Context(), cfg, DoctorOptions{}), "database")
	switch {
	case off && (c.Status != Warn || !strings.Contains(c.Message, "autovacuum off") || !strings.Contains(c.Fix, "autovacuum = on")):
		t.Errorf("autovacuum off: %+v", c)
	case !off && c.Status != OK:
		t.Errorf("autovacuum on: %+v", c)
	}
}
