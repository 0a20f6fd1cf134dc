package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestIntegrity(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		must(t, db.QuickCheck(ctx))
		must(t, db.IntegrityCheck(ctx))
		v, err := db.ServerVersion(ctx)
		if err != nil || v == "" {
			t.Errorf("ServerVersion = %q, %v", v, err)
		}
		ver, name, err := db.LastMigration(ctx)
		must(t, err)
		if ver < 1 || !strings.HasSuffix(name, ".sql") {
			t.Errorf("LastMigration = %d %q", ver, name)
		}
		if ts, err := db.NewestPostTime(ctx); err != nil || !ts.IsZero() {
			t.Errorf("NewestPostTime on an empty forum = %v, %v", ts, err)
		}
	})
}

// TestOpenGarbage checks a file that is not a database gives a clear
// error, not a panic.
func TestOpenGarbage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hearth.db")
	must(t, os.WriteFile(path, []byte(strings.Repeat("this is not a database\n", 500)), 0o600))
	db, err := Open(t.Context(), path)
	if err == nil {
		defer db.Close()
		err = db.QuickCheck(t.Context())
	}
	if err == nil || !IsCorrupt(err) || !strings.Contains(err.Error(), "not a database") {
		t.Fatalf("Open of a garbage file: %v; want a 'not a database' error IsCorrupt knows", err)
	}
	var ie *IntegrityError
	_ = errors.As(err, &ie)
}
