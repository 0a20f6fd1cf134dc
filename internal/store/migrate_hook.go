package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
)

// WithMigrations makes the database migrate with the NNNN_name.sql files
// of fsys instead of the embedded ones. Tests use it to inject a failing
// migration from outside the package.
func (db *DB) WithMigrations(fsys fs.FS) { db.migrations = fsys }

// PendingMigrations lists the file names Migrate would apply, in order.
// It returns ErrSchemaTooNew if the database is ahead of this binary.
func (db *DB) PendingMigrations(ctx context.Context) ([]string, error) {
	ms, err := listMigrations(db.migrations)
	if err != nil {
		return nil, err
	}
	current, latest, err := db.SchemaVersion(ctx)
	if err != nil {
		return nil, err
	}
	if current > latest {
		return nil, fmt.Errorf("%w: database at version %d, this binary knows up to %d", ErrSchemaTooNew, current, latest)
	}
	var names []string
	for _, m := range ms {
		if m.version > current {
			names = append(names, m.name)
		}
	}
	return names, nil
}

// errDryRun rolls back the dry-run transaction on purpose.
var errDryRun = errors.New("dry run")

// DryRunMigrate applies the pending migrations the way Migrate does, then
// rolls the transaction back: the database is left as it was. Meant for
// PostgreSQL, where DDL is transactional and nothing is visible to others
// before commit; on SQLite prefer migrating a VACUUM INTO copy, since this
// holds the write lock while it runs.
func (db *DB) DryRunMigrate(ctx context.Context) (applied []string, err error) {
	pending, err := db.PendingMigrations(ctx)
	if err != nil || len(pending) == 0 {
		return nil, err
	}
	err = db.inTx(ctx, "migrate (dry run)", func(tx *sql.Tx) error {
		if err := db.dialect.lockMigrations(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, createVersionTable); err != nil {
			return err
		}
		for _, name := range pending {
			text, err := fs.ReadFile(db.migrations, name)
			if err != nil {
				return &MigrationError{name, err}
			}
			if _, err := tx.ExecContext(ctx, string(text)); err != nil {
				return &MigrationError{name, err}
			}
			if err := runGoStep(ctx, tx, name); err != nil {
				return err
			}
			applied = append(applied, name)
		}
		return errDryRun
	})
	if err != nil && !errors.Is(err, errDryRun) {
		return applied, err
	}
	return applied, nil
}
