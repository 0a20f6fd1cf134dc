package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"hearth/internal/app"
	"hearth/internal/ops"
	"hearth/internal/store"
)

// opsConfig is the operator tools' view of the configuration.
func opsConfig(c app.Config) ops.Config {
	mc := ops.MailCheck{SMTP: c.Mail.SMTP, Selector: c.Mail.DKIMSelect}
	if c.Mail.SMTP.Host != "" {
		mc.Domain = c.MailIdentity().Domain
	}
	return ops.Config{DataDir: c.DataDir, DB: c.DB, Addr: c.Addr, BaseURL: c.BaseURL, Version: version(), Migrations: testMigrations(), Mail: mc}
}

func backupCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c app.Config
	var to string
	var quiet bool
	fs := newFlags("backup", stderr)
	storageFlags(fs, &c)
	quietFlag(fs, &quiet)
	fs.StringVar(&to, "to", "", "write the archive here instead of DATA/backups/hearth-TIME.tar.gz")
	if err := parse(fs, args); err != nil {
		return err
	}
	db, err := openExisting(ctx, c)
	if err != nil {
		return err
	}
	defer db.Close()
	cfg := opsConfig(c)
	cfg.Progress = progressBar(stderr, quiet)
	e, err := (&ops.Backuper{Config: cfg, DB: db}).Backup(ctx, ops.BackupOptions{To: to})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Backup written and verified in %s: %s\n  %s, %d members, %d threads, %d posts, schema %d\n  sha256 %s\n",
		time.Duration(e.Seconds*float64(time.Second)).Round(time.Millisecond), e.Path(c.DataDir),
		size(e.Size), e.Counts["members"], e.Counts["threads"], e.Counts["posts"], e.Schema, e.SHA256)
	return nil
}

// openExisting opens the configured database for the operator commands,
// which must never create an empty SQLite file where a forum was expected:
// store.Open would create one.
func openExisting(ctx context.Context, c app.Config) (*store.DB, error) {
	dsn := c.DSN()
	if !store.IsPostgresDSN(dsn) {
		if _, err := os.Stat(store.SQLiteFile(dsn)); err != nil {
			return nil, fmt.Errorf("there is no database at %s: check --data and --db", dsn)
		}
	}
	return store.Open(ctx, dsn)
}

func size(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
}
