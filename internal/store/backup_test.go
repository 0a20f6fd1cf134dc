package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// TestBackupSQLiteAndExport copies a database with VACUUM INTO, exports it
// and imports the export into a fresh database of every engine.
func TestBackupSQLiteAndExport(t *testing.T) {
	ctx := t.Context()
	src := openSQLiteTest(t)
	_, err := src.Migrate(ctx)
	must(t, err)
	fillSmall(t, src)

	copyPath := filepath.Join(t.TempDir(), "copy.db")
	must(t, src.BackupSQLite(ctx, copyPath))
	if err := src.BackupSQLite(ctx, copyPath); err == nil {
		t.Error("BackupSQLite over an existing file succeeded")
	}
	cp, err := Open(ctx, copyPath)
	must(t, err)
	t.Cleanup(func() { cp.Close() })
	must(t, cp.IntegrityCheck(ctx))
	want, err := src.TableCounts(ctx)
	must(t, err)
	got, err := cp.TableCounts(ctx)
	must(t, err)
	if describe(got) != describe(want) || want["posts"] != 3 {
		t.Fatalf("copy counts %v, source %v", got, want)
	}

	forEachEngine(t, func(t *testing.T, dst *DB) {
		ctx := t.Context()
		src2 := RowSource(func(emit func(string, map[string]any) error) error { return cp.ExportTables(ctx, emit) })
		must(t, dst.ImportTables(ctx, false, src2))
		got, err := dst.TableCounts(ctx)
		must(t, err)
		for _, table := range BackupTables[:6] {
			if got[table] != want[table] {
				t.Errorf("%s: %d rows imported, want %d", table, got[table], want[table])
			}
		}
		// Not empty any more: a second import refuses, unless replacing.
		if err := dst.ImportTables(ctx, false, src2); !errors.Is(err, ErrNotEmpty) {
			t.Errorf("import into a non-empty database: %v, want ErrNotEmpty", err)
		}
		must(t, dst.ImportTables(ctx, true, src2))
		assertConsistent(t, dst)
		// Sequences moved past the imported IDs.
		mkMember(t, dst, "newcomer")
		c, err := dst.CategoryByID(ctx, 2)
		must(t, err)
		if !c.MembersOnly || c.ParentID != 1 {
			t.Errorf("category 2 after import: %+v", c)
		}
	})
}

func fillSmall(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	a := mkMember(t, db, "ada")
	parent := mkCategory(t, db, "general", 1)
	child := mkCategory(t, db, "inner", 2)
	exec(t, db, "UPDATE categories SET parent_id = $1, members_only = TRUE WHERE id = $2", parent.ID, child.ID)
	th, _ := mkThread(t, db, parent.ID, a.ID, "hello", t0)
	mkPost(t, db, th.ID, a.ID, t0.Add(time.Minute))
	mkPost(t, db, th.ID, a.ID, t0.Add(2*time.Minute))
	must(t, db.SetSetting(ctx, "site", "x"))
}
