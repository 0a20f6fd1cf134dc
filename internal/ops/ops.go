// Package ops holds Hearth's operator tools, the ones that keep a forum up:
// doctor (what is wrong and how to fix it), verified backups with
// retention, restore, safe migrations and repair. The commands in
// cmd/hearth are thin wrappers; serve uses Preflight, CheckSchema,
// AcquireServeLock and RunSchedule.
//
// Data directory layout:
//
//	DATA/hearth.db            the SQLite database (unless --db names another)
//	DATA/hearth.lock          held by a running `hearth serve` (flock)
//	DATA/attachments/         uploaded files (included in backups)
//	DATA/backups/             hearth-YYYYMMDDTHHMMSSZ.tar.gz and index.json
package ops

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"

	"hearth/internal/progress"
	"hearth/internal/store"
)

// Config is what the operator tools need to know. It mirrors the parts of
// app.Config they use (ops must not import app: app will import ops).
type Config struct {
	DataDir string // the data directory
	DB      string // database DSN; default: SQLite at DataDir/hearth.db
	Addr    string // serve's listen address, checked by doctor
	BaseURL string // serve's public URL, checked by doctor
	Version string // this binary's version, for messages and manifests
	Mail    MailCheck

	// Migrations replaces the embedded migrations when set: tests inject
	// failing ones through it.
	Migrations fs.FS

	// Progress, when set, is told each stage of a backup, restore or
	// migration and how far it is (a terminal's progress line).
	Progress *progress.Bar
}

// DSN returns the database to use.
func (c Config) DSN() string {
	if c.DB != "" {
		return c.DB
	}
	return filepath.Join(c.DataDir, "hearth.db")
}

// BackupDir is where backups and their index live.
func (c Config) BackupDir() string { return filepath.Join(c.DataDir, "backups") }

// AttachmentDir is where uploaded files live.
func (c Config) AttachmentDir() string { return filepath.Join(c.DataDir, "attachments") }

func (c Config) version() string {
	if c.Version == "" {
		return "unknown"
	}
	return c.Version
}

// open opens the configured database (without migrating it).
func (c Config) open(ctx context.Context) (*store.DB, error) {
	db, err := store.Open(ctx, c.DSN())
	if err != nil {
		if store.IsCorrupt(err) {
			return nil, fmt.Errorf("the database file %s is damaged or is not a SQLite database: %w", c.DSN(), err)
		}
		return nil, err
	}
	if c.Migrations != nil {
		db.WithMigrations(c.Migrations)
	}
	return db, nil
}

// dbLabel names the database for messages, without any password.
func (c Config) dbLabel() string {
	if !c.isSQLite() {
		return "the PostgreSQL database"
	}
	return store.SQLiteFile(c.DSN())
}

// isSQLite reports whether the configured database is a SQLite file.
func (c Config) isSQLite() bool { return !store.IsPostgresDSN(c.DSN()) }
