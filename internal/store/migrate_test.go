package store

import (
	"context"
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"hearth/internal/forum"
)

func TestMigrate(t *testing.T) {
	forEachEngineRaw(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		current, latest, err := db.SchemaVersion(ctx)
		must(t, err)
		if current != 0 || latest < 1 {
			t.Fatalf("fresh database: version %d of %d, want 0 of at least 1", current, latest)
		}
		applied, err := db.Migrate(ctx)
		must(t, err)
		// Versions may leave gaps (each feature branch is given its own
		// number), so count the files.
		ms, err := listMigrations(db.migrations)
		must(t, err)
		if applied != len(ms) {
			t.Errorf("applied %d migrations, want %d", applied, len(ms))
		}
		current, _, err = db.SchemaVersion(ctx)
		must(t, err)
		if current != latest {
			t.Errorf("version %d after migrating, want %d", current, latest)
		}
		tables, err := db.tables(ctx)
		must(t, err)
		for _, want := range []string{"categories", "members", "posts", "schema_migrations", "sessions", "settings", "threads"} {
			if !slices.Contains(tables, want) {
				t.Errorf("table %s missing; have %v", want, tables)
			}
		}

		// Idempotent.
		applied, err = db.Migrate(ctx)
		must(t, err)
		if applied != 0 {
			t.Errorf("second Migrate applied %d, want 0", applied)
		}
	})
}

// TestMigrateFailureRollsBack injects a failure at the end of each real
// migration, and into a later one, and checks the database is left exactly
// as it was: same tables, same version.
func TestMigrateFailureRollsBack(t *testing.T) {
	forEachEngineRaw(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		embedded := db.migrations
		ms, err := listMigrations(embedded)
		must(t, err)

		const failing = "\nCREATE TABLE widgets (id INTEGER PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);\n"
		for i, bad := range ms {
			// Every migration up to bad, with bad failing after its own statements.
			fsys := fstest.MapFS{}
			for _, m := range ms[:i+1] {
				text, err := fs.ReadFile(embedded, m.name)
				must(t, err)
				if m == bad {
					text = append(text, failing...)
				}
				fsys[m.name] = &fstest.MapFile{Data: text}
			}
			checkUnchanged(t, db, fsys, bad.name)
		}

		// A failing migration after applied ones leaves those in place.
		db.migrations = embedded
		_, err = db.Migrate(ctx)
		must(t, err)
		fsys := fstest.MapFS{}
		for _, m := range ms {
			text, err := fs.ReadFile(embedded, m.name)
			must(t, err)
			fsys[m.name] = &fstest.MapFile{Data: text}
		}
		fsys["9000_good.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE gadgets (id INTEGER PRIMARY KEY);")}
		fsys["9001_bad.sql"] = &fstest.MapFile{Data: []byte("ALTER TABLE members ADD COLUMN nickname TEXT;" + failing)}
		checkUnchanged(t, db, fsys, "9001_bad.sql")
	})
}

// checkUnchanged runs Migrate with fsys, expects it to fail naming file,
// and checks tables and version did not move.
func checkUnchanged(t *testing.T, db *DB, fsys fs.FS, file string) {
	t.Helper()
	ctx := t.Context()
	tablesBefore, err := db.tables(ctx)
	must(t, err)
	versionBefore, _, err := db.SchemaVersion(ctx)
	must(t, err)

	db.migrations = fsys
	applied, err := db.Migrate(ctx)
	if me, ok := errors.AsType[*MigrationError](err); !ok || me.Name != file || !strings.Contains(err.Error(), file) {
		t.Fatalf("Migrate with a failing %s: applied %d, error %v; want a *MigrationError naming the file", file, applied, err)
	}
	tablesAfter, err := db.tables(ctx)
	must(t, err)
	if !slices.Equal(tablesBefore, tablesAfter) {
		t.Errorf("failed %s changed the tables: %v -> %v", file, tablesBefore, tablesAfter)
	}
	versionAfter, _, err := db.SchemaVersion(ctx)
	must(t, err)
	if versionAfter != versionBefore {
		t.Errorf("failed %s changed the version: %d -> %d", file, versionBefore, versionAfter)
	}
}

func TestMigrateSchemaTooNew(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		exec(t, db, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 0)")
		_, err := db.Migrate(ctx)
		if !errors.Is(err, ErrSchemaTooNew) {
			t.Fatalf("Migrate on a newer schema: %v, want ErrSchemaTooNew", err)
		}
		current, latest, err := db.SchemaVersion(ctx)
		must(t, err)
		if current != 9999 || latest >= 9999 {
			t.Errorf("SchemaVersion = %d, %d; want 9999 and the binary's latest", current, latest)
		}
	})
}

func TestOpen(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		db := openSQLiteTest(t)
		if db.Engine() != "sqlite" {
			t.Errorf("Engine() = %q", db.Engine())
		}
		var mode string
		must(t, db.read.QueryRowContext(t.Context(), "PRAGMA journal_mode").Scan(&mode))
		if mode != "wal" {
			t.Errorf("journal_mode = %q, want wal", mode)
		}
		// Readers are read-only.
		if _, err := db.read.ExecContext(t.Context(), "CREATE TABLE nope (id INTEGER)"); err == nil {
			t.Error("the read pool accepted a write")
		}
	})
	t.Run("postgres engine", func(t *testing.T) {
		db := openPostgresTest(t)
		if db.Engine() != "postgres" {
			t.Errorf("Engine() = %q", db.Engine())
		}
	})
	t.Run("unreachable postgres", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		_, err := Open(ctx, "postgres://hearth:s3cret-pw@127.0.0.1:1/hearth?sslmode=disable&connect_timeout=5")
		if err == nil {
			t.Fatal("Open of an unreachable server succeeded")
		}
		if strings.Contains(err.Error(), "s3cret-pw") {
			t.Errorf("error leaks the password: %v", err)
		}
		if !strings.Contains(err.Error(), "open database") {
			t.Errorf("error lacks context: %v", err)
		}
		wantErr(t, err, forum.ErrUnavailable)
	})
}
