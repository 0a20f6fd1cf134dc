package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations
var migrationFiles embed.FS

// ErrSchemaTooNew means the database was migrated by a newer Hearth: this
// binary must not touch it.
var ErrSchemaTooNew = errors.New("database schema is newer than this binary")

// MigrationError is a migration that failed: its file, and why.
type MigrationError struct {
	Name string // the file, e.g. 0002_sessions.sql
	Err  error
}

func (e *MigrationError) Error() string { return "migration " + e.Name + ": " + e.Err.Error() }
func (e *MigrationError) Unwrap() error { return e.Err }

type migration struct {
	version int
	name    string // the file name, e.g. 0001_init.sql
}

// listMigrations reads NNNN_name.sql files from fsys, sorted by version.
func listMigrations(fsys fs.FS) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	var ms []migration
	seen := map[int]string{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must look like 0001_name.sql", e.Name())
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s share version %d", prev, e.Name(), v)
		}
		seen[v] = e.Name()
		ms = append(ms, migration{version: v, name: e.Name()})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

const createVersionTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT    NOT NULL,
	applied_at BIGINT  NOT NULL
)`

// Migrate applies every pending migration in one transaction, so a failure
// leaves the database exactly as it was. It returns how many it applied, and
// ErrSchemaTooNew if the database is ahead of this binary.
func (db *DB) Migrate(ctx context.Context) (applied int, err error) {
	ms, err := listMigrations(db.migrations)
	if err != nil {
		return 0, err
	}
	err = db.inTx(ctx, "migrate", func(tx *sql.Tx) error {
		if err := db.dialect.lockMigrations(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, createVersionTable); err != nil {
			return err
		}
		current, err := currentVersion(ctx, tx)
		if err != nil {
			return err
		}
		if latest := latestVersion(ms); current > latest {
			return fmt.Errorf("%w: database at version %d, this binary knows up to %d", ErrSchemaTooNew, current, latest)
		}
		for _, m := range ms {
			if m.version <= current {
				continue
			}
			text, err := fs.ReadFile(db.migrations, m.name)
			if err != nil {
				return &MigrationError{m.name, err}
			}
			if _, err := tx.ExecContext(ctx, string(text)); err != nil {
				return &MigrationError{m.name, err}
			}
			if err := runGoStep(ctx, tx, m.name); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx,
				"INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
				m.version, m.name, time.Now().UnixMilli()); err != nil {
				return &MigrationError{m.name, fmt.Errorf("record version: %w", err)}
			}
			applied++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	db.noteSearchQueue(ctx)
	return applied, nil
}

// SchemaVersion returns the database's migration version (0 when never
// migrated) and the latest version this binary knows.
func (db *DB) SchemaVersion(ctx context.Context) (current, latest int, err error) {
	ms, err := listMigrations(db.migrations)
	if err != nil {
		return 0, 0, err
	}
	latest = latestVersion(ms)
	ok, err := db.tableExists(ctx, db.read, "schema_migrations")
	if err != nil || !ok {
		return 0, latest, db.wrap("schema version", err)
	}
	current, err = currentVersion(ctx, db.read)
	return current, latest, db.wrap("schema version", err)
}

func currentVersion(ctx context.Context, q querier) (int, error) {
	var v int
	err := q.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&v)
	return v, err
}

func latestVersion(ms []migration) int {
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}
