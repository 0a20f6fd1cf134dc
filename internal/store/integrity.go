package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Health questions hearth doctor and repair ask the database.

// IntegrityError is a failed SQLite integrity check: the file is damaged.
type IntegrityError struct {
	Problems []string // what the check reported, at most 10
}

func (e *IntegrityError) Error() string {
	return "the database file is damaged: " + strings.Join(e.Problems, "; ")
}

// QuickCheck runs SQLite's PRAGMA quick_check (every page and b-tree, no
// index-content comparison; seconds on a large file). PostgreSQL has no
// equivalent and returns nil. A damaged file gives an *IntegrityError.
func (db *DB) QuickCheck(ctx context.Context) error {
	return db.check(ctx, "PRAGMA quick_check(10)")
}

// IntegrityCheck runs SQLite's full PRAGMA integrity_check and
// foreign_key_check. PostgreSQL returns nil.
func (db *DB) IntegrityCheck(ctx context.Context) error {
	if !db.dialect.integrityPragmas {
		return nil
	}
	if err := db.check(ctx, "PRAGMA integrity_check(10)"); err != nil {
		return err
	}
	rows, err := db.read.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return db.integrityErr(err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() && len(problems) < 10 {
		var table, parent string
		var rowid, fk any
		if err := rows.Scan(&table, &rowid, &parent, &fk); err != nil {
			return db.integrityErr(err)
		}
		problems = append(problems, fmt.Sprintf("%s row %v refers to a missing %s row", table, rowid, parent))
	}
	if err := rows.Err(); err != nil {
		return db.integrityErr(err)
	}
	if len(problems) > 0 {
		return &IntegrityError{Problems: problems}
	}
	return nil
}

func (db *DB) check(ctx context.Context, pragma string) error {
	if !db.dialect.integrityPragmas {
		return nil
	}
	// One connection, one read transaction: FTS5 checks its index with the
	// structure it last read on this connection, which a write since then
	// has made stale (it reports corruption that is not there). Touching
	// the index first in the same transaction makes it read the current one.
	tx, err := db.read.BeginTx(ctx, nil)
	if err != nil {
		return db.integrityErr(err)
	}
	defer tx.Rollback()
	if ok, err := db.tableExists(ctx, tx, "post_search"); err == nil && ok {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM post_search WHERE post_search MATCH 'hearth'").Scan(&n); err != nil {
			return db.integrityErr(err)
		}
	}
	rows, err := tx.QueryContext(ctx, pragma)
	if err != nil {
		return db.integrityErr(err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return db.integrityErr(err)
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	if err := rows.Err(); err != nil {
		return db.integrityErr(err)
	}
	if len(problems) > 0 {
		return &IntegrityError{Problems: problems}
	}
	return nil
}

// integrityErr turns SQLITE_CORRUPT / SQLITE_NOTADB met while checking
// into an *IntegrityError; other errors (a cancelled context) stay as they are.
func (db *DB) integrityErr(err error) error {
	if IsCorrupt(err) {
		return &IntegrityError{Problems: []string{err.Error()}}
	}
	return db.wrap("integrity check", err)
}

// IsCorrupt reports whether err says the SQLite file is damaged or is not
// a database at all.
func IsCorrupt(err error) bool {
	var ie *IntegrityError
	if errors.As(err, &ie) {
		return true
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
			return true
		}
	}
	return false
}

// ServerVersion returns the engine's version: sqlite_version() or
// PostgreSQL's server_version.
func (db *DB) ServerVersion(ctx context.Context) (string, error) {
	var v string
	err := db.read.QueryRowContext(ctx, db.dialect.versionSQL).Scan(&v)
	return v, db.wrap("server version", err)
}

// AutovacuumOff reports whether PostgreSQL runs without autovacuum (false
// on SQLite, which needs none).
func (db *DB) AutovacuumOff(ctx context.Context) (bool, error) {
	if db.dialect.name != enginePostgres {
		return false, nil
	}
	var v string
	err := db.read.QueryRowContext(ctx, "SELECT current_setting('autovacuum')").Scan(&v)
	return v == "off", db.wrap("read the autovacuum setting", err)
}

// NewestPostTime returns the creation time of the newest post, or the zero
// time when there is none (a clock check: posts should not be in the future).
func (db *DB) NewestPostTime(ctx context.Context) (time.Time, error) {
	var ms int64
	err := db.read.QueryRowContext(ctx, "SELECT COALESCE(MAX(created_at), 0) FROM posts").Scan(&ms)
	return fromMillis(ms), db.wrap("newest post", err)
}

// LastMigration returns the newest migration recorded in the database
// (version and file name), or 0 and "" when it was never migrated.
func (db *DB) LastMigration(ctx context.Context) (version int, name string, err error) {
	ok, err := db.tableExists(ctx, db.read, "schema_migrations")
	if err != nil || !ok {
		return 0, "", db.wrap("last migration", err)
	}
	err = db.read.QueryRowContext(ctx,
		"SELECT version, name FROM schema_migrations ORDER BY version DESC LIMIT 1").Scan(&version, &name)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	return version, name, db.wrap("last migration", err)
}
