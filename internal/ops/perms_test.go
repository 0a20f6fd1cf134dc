package ops

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Finding 14: database files were created world-readable (0644) when the
// data directory already existed. Everything holding members' data is
// created owner-only, whatever the umask, and the doctor warns when it is
// not.
func TestFilesOwnerOnly(t *testing.T) {
	old := syscall.Umask(0o022) // the usual umask, under which SQLite made 0644 files
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "data")
	must(t, os.Mkdir(dir, 0o755)) // the directory exists before Hearth runs
	cfg := Config{DataDir: dir, Version: "test"}
	db := openMigrated(t, cfg.DSN())
	fill(t, db, 5) // writes make the -wal and -shm files
	e := backup(t, cfg, BackupOptions{})
	defer db.Close()

	for _, f := range []string{cfg.DSN(), cfg.DSN() + "-wal", cfg.DSN() + "-shm", filepath.Join(cfg.BackupDir(), e.File)} {
		st, err := os.Stat(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if perm := st.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", filepath.Base(f), perm)
		}
	}
	if st, _ := os.Stat(cfg.BackupDir()); st.Mode().Perm() != 0o700 {
		t.Errorf("backups directory has mode %04o, want 0700", st.Mode().Perm())
	}
	if c := check(t, Doctor(t.Context(), cfg, DoctorOptions{}), "file permissions"); c.Status != Warn || !strings.Contains(c.Message, dir+" (0755)") {
		t.Errorf("a data directory anyone can enter: %+v", c)
	}
	must(t, os.Chmod(dir, 0o700))
	if c := check(t, Doctor(t.Context(), cfg, DoctorOptions{}), "file permissions"); c.Status != OK {
		t.Errorf("owner-only files: %+v", c)
	}
	must(t, os.Chmod(cfg.DSN(), 0o644))
	c := check(t, Doctor(t.Context(), cfg, DoctorOptions{}), "file permissions")
	if c.Status != Warn || !strings.Contains(c.Message, "hearth.db (0644)") || !strings.Contains(c.Fix, "chmod 600") {
		t.Errorf("a world-readable database: %+v", c)
	}
}
