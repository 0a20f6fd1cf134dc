package ops

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hearth/internal/status"
	"hearth/internal/store"
)

func check(t *testing.T, r Report, name string) Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no %q check in %+v", name, r.Checks)
	return Check{}
}

func TestDoctorHealthy(t *testing.T) {
	cfg := newForum(t, 20)
	cfg.Addr, cfg.BaseURL = "127.0.0.1:8080", "https://forum.example.org"
	r := Doctor(t.Context(), cfg, DoctorOptions{})
	for _, c := range r.Checks {
		if c.Status == Fail {
			t.Errorf("healthy forum: %+v", c)
		}
	}
	if !r.OK || check(t, r, "backups").Status != Warn || check(t, r, "email").Status != Info {
		t.Errorf("healthy forum without backups: %+v", r)
	}
	backup(t, cfg, BackupOptions{})
	r = Doctor(t.Context(), cfg, DoctorOptions{Full: true})
	if c := check(t, r, "backups"); c.Status != OK || !strings.Contains(c.Message, "last good backup") {
		t.Errorf("after a backup: %+v", c)
	}
	if c := check(t, r, "integrity"); c.Status != OK || !strings.Contains(c.Message, "integrity_check") {
		t.Errorf("full check: %+v", c)
	}
	r = Doctor(t.Context(), cfg, DoctorOptions{Now: func() time.Time { return time.Now().Add(30 * time.Hour) }})
	if c := check(t, r, "backups"); c.Status != Warn || !strings.Contains(c.Message, "30 hours") {
		t.Errorf("old backup: %+v", c)
	}
	// Posts from the future: the clock is off.
	r = Doctor(t.Context(), cfg, DoctorOptions{Now: func() time.Time { return t0.Add(-time.Hour) }})
	if c := check(t, r, "clock"); c.Status != Warn || !strings.Contains(c.Message, "in the future") {
		t.Errorf("clock: %+v", c)
	}
	must(t, Preflight(t.Context(), cfg))

	bad := cfg
	bad.Addr, bad.BaseURL = "nonsense", ""
	if c := check(t, Doctor(t.Context(), bad, DoctorOptions{}), "configuration"); c.Status != Fail || c.Fix == "" {
		t.Errorf("bad address: %+v", c)
	}
}

// TestDoctorBrokenStatusFile: a status file edited into invalid JSON fails
// the data directory check with the fix, as the admin page's mode form
// tells the admin to ask doctor.
func TestDoctorBrokenStatusFile(t *testing.T) {
	cfg := newForum(t, 1)
	must(t, os.WriteFile(filepath.Join(cfg.DataDir, status.FileName), []byte("{mode: oops"), 0o600))
	if c := check(t, Doctor(t.Context(), cfg, DoctorOptions{}), "data directory"); c.Status != Fail || !strings.Contains(c.Message, "status file") || !strings.Contains(c.Fix, "delete it") {
		t.Errorf("broken status file: %+v", c)
	}
}

// TestDoctorMissingFileNamedLikePostgres: a SQLite path that mentions
// PostgreSQL is still a file: doctor says it is missing rather than open
// it, which would create an empty database there.
func TestDoctorMissingFileNamedLikePostgres(t *testing.T) {
	t.Chdir(t.TempDir()) // a relative path, as --db takes it
	cfg := Config{DataDir: "data", DB: "the PostgreSQL database.db", Version: "test"}
	if c := check(t, Doctor(t.Context(), cfg, DoctorOptions{}), "database"); c.Status != Fail || !strings.Contains(c.Message, "there is no database at") {
		t.Errorf("missing file: %+v", c)
	}
	if _, err := os.Stat(cfg.DB); err == nil {
		t.Error("doctor created the database file")
	}
}

// TestDoctorCorrupt damages pages in the middle of a SQLite file: doctor
// fails the integrity check and says to restore, and Preflight refuses.
func TestDoctorCorrupt(t *testing.T) {
	cfg := newForum(t, 400)
	e := backup(t, cfg, BackupOptions{})
	st, err := os.Stat(cfg.DSN())
	must(t, err)
	f, err := os.OpenFile(cfg.DSN(), os.O_RDWR, 0)
	must(t, err)
	garbage := []byte(strings.Repeat("\xde\xad\xbe\xef", 1024*4))
	_, err = f.WriteAt(garbage, (st.Size()/2)&^4095)
	must(t, err)
	f.Close()

	r := Doctor(t.Context(), cfg, DoctorOptions{})
	c := check(t, r, "integrity")
	if r.OK || c.Status != Fail || !strings.Contains(c.Message, "damaged") || !strings.Contains(c.Fix, "hearth restore "+e.Path(cfg.DataDir)) {
		t.Fatalf("corrupt database: ok=%v %+v", r.OK, c)
	}
	err = Preflight(t.Context(), cfg)
	wantErrContains(t, err, "is damaged", "hearth restore "+e.Path(cfg.DataDir))

	_, err = Repair(t.Context(), openMigratedNoCheck(t, cfg.DSN()), time.Now(), nil)
	wantErrContains(t, err, "integrity check", "hearth restore")

	// The fix works.
	_, err = Restore(t.Context(), cfg, e.Path(cfg.DataDir), RestoreOptions{})
	must(t, err)
	if r := Doctor(t.Context(), cfg, DoctorOptions{Full: true}); !r.OK {
		t.Errorf("after restore: %+v", r.Checks)
	}
}

func openMigratedNoCheck(t *testing.T, dsn string) *store.DB {
	db, err := store.Open(t.Context(), dsn)
	must(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

func TestDoctorGarbageFile(t *testing.T) {
	cfg := Config{DataDir: t.TempDir()}
	writeFile(t, cfg.DSN(), strings.Repeat("not a database at all ", 1000))
	r := Doctor(t.Context(), cfg, DoctorOptions{})
	c := check(t, r, "database")
	if r.OK || c.Status != Fail || !strings.Contains(c.Message, "not a database") || !strings.Contains(c.Fix, "hearth restore") {
		t.Errorf("garbage file: %+v", c)
	}
	if c := check(t, r, "schema"); c.Status != Info {
		t.Errorf("schema check on an unopened database: %+v", c)
	}
	wantErrContains(t, Preflight(t.Context(), cfg), "not a database", "hearth restore")
}

func TestDoctorSchema(t *testing.T) {
	cfg := newForum(t, 1)
	rawExec(t, cfg.DSN(), "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 0)")
	r := Doctor(t.Context(), cfg, DoctorOptions{})
	c := check(t, r, "schema")
	if r.OK || c.Status != Fail || !strings.Contains(c.Message, "older than the database (schema 9999, last migration 9999_future.sql)") {
		t.Errorf("schema too new: %+v", c)
	}
	err := Preflight(t.Context(), cfg)
	if !errors.Is(err, store.ErrSchemaTooNew) {
		t.Errorf("Preflight on a newer schema: %v", err)
	}

	// Older: pending migrations.
	cfg = newForum(t, 1)
	rawExec(t, cfg.DSN(), "DELETE FROM schema_migrations WHERE version > 1")
	if _, latest, _ := openMigratedNoCheck(t, cfg.DSN()).SchemaVersion(t.Context()); latest < 2 {
		t.Skip("only one migration exists")
	}
	c = check(t, Doctor(t.Context(), cfg, DoctorOptions{}), "schema")
	if c.Status != Fail || !strings.Contains(c.Fix, "hearth migrate") {
		t.Errorf("schema behind: %+v", c)
	}
	err = Preflight(t.Context(), cfg)
	if !errors.Is(err, ErrMigrationsPending) || !strings.Contains(err.Error(), "run `hearth migrate`") {
		t.Errorf("Preflight behind: %v", err)
	}

	// A missing database is named, not created.
	cfg = Config{DataDir: t.TempDir()}
	c = check(t, Doctor(t.Context(), cfg, DoctorOptions{}), "database")
	if c.Status != Fail || !strings.Contains(c.Message, "no database") {
		t.Errorf("missing database: %+v", c)
	}
	if _, err := os.Stat(cfg.DSN()); err == nil {
		t.Error("doctor created a database")
	}
}

func TestRepair(t *testing.T) {
	cfg := newForum(t, 30)
	rawExec(t, cfg.DSN(), "UPDATE threads SET post_count = 99, last_post_id = NULL")
	rawExec(t, cfg.DSN(), "UPDATE members SET post_count = 0")
	db := openMigrated(t, cfg.DSN())
	r, err := Repair(t.Context(), db, t0.Add(2*time.Hour), nil)
	must(t, err)
	if r.Changed() != 3+3+1 || r.Steps[2].Changed != 1 { // 3 threads, 3 members, 1 session
		t.Errorf("repair: %+v (changed %d)", r, r.Changed())
	}
	r, err = Repair(t.Context(), db, t0.Add(2*time.Hour), nil)
	must(t, err)
	if r.Changed() != 0 {
		t.Errorf("second repair changed %d: %+v", r.Changed(), r)
	}
}

// TestDoctorSearchIndex: doctor counts the index against the posts (and
// compares their text with --full); repair rebuilds a lost index.
func TestDoctorSearchIndex(t *testing.T) {
	cfg := newForum(t, 30)
	r := Doctor(t.Context(), cfg, DoctorOptions{Full: true})
	if c := check(t, r, "search index"); c.Status != OK || !strings.Contains(c.Message, "all 30 posts are indexed, and the index matches") {
		t.Errorf("healthy index: %+v", c)
	}
	rawExec(t, cfg.DSN(), "INSERT INTO post_search (post_search, rowid, title, body) SELECT 'delete', id, '', body FROM posts WHERE position > 1 AND id < 5")
	if c := check(t, Doctor(t.Context(), cfg, DoctorOptions{}), "search index"); c.Status != Fail ||
		!strings.Contains(c.Message, "holds 27 of 30 posts") || !strings.Contains(c.Fix, "hearth repair") {
		t.Errorf("damaged index: %+v", c)
	}
	db := openMigrated(t, cfg.DSN())
	rep, err := Repair(t.Context(), db, t0, nil)
	must(t, err)
	if s := rep.Steps[len(rep.Steps)-1]; !strings.Contains(s.Message, "rebuilt the search index: 30 of 30 posts") {
		t.Errorf("repair: %+v", s)
	}
	db.Close()
	if c := check(t, Doctor(t.Context(), cfg, DoctorOptions{Full: true}), "search index"); c.Status != OK {
		t.Errorf("after repair: %+v", c)
	}
}
