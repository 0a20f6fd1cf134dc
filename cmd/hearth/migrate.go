package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"hearth/internal/app"
	"hearth/internal/ops"
)

// migrate applies pending migrations safely: a verified backup first, all
// of them in one transaction, the database unchanged on failure.
func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c app.Config
	var dryRun, quiet bool
	fs := newFlags("migrate", stderr)
	storageFlags(fs, &c)
	quietFlag(fs, &quiet)
	fs.BoolVar(&dryRun, "dry-run", false, "apply the migrations to a copy (SQLite) or in a rolled-back transaction (PostgreSQL) and report")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg := opsConfig(c)
	cfg.Progress = progressBar(stderr, quiet)
	if pid, held := ops.ServeLockHeld(c.DataDir); held && !dryRun {
		return fmt.Errorf("the forum is running on %s (hearth serve, pid %d): stop it first, or restart it with --migrate", c.DataDir, pid)
	}
	var rep ops.MigrateReport
	var err error
	if dryRun {
		rep, err = ops.DryRunMigrate(ctx, cfg)
	} else {
		rep, err = ops.SafeMigrate(ctx, cfg, slog.New(slog.NewTextHandler(stderr, nil)))
	}
	if err != nil {
		return err
	}
	switch {
	case len(rep.Pending) == 0:
		fmt.Fprintf(stdout, "Nothing to do: the schema is at version %d.\n", rep.From)
	case dryRun:
		fmt.Fprintf(stdout, "Dry run: %s would apply cleanly, taking the schema from version %d to %d. Nothing was changed.\n",
			strings.Join(rep.Applied, ", "), rep.From, rep.To)
	default:
		fmt.Fprintf(stdout, "Applied %d migration(s) (%s); the schema is at version %d.\n", len(rep.Applied), strings.Join(rep.Applied, ", "), rep.To)
		if rep.Backup != "" {
			fmt.Fprintf(stdout, "The database as it was before is backed up at %s.\n", rep.Backup)
		}
	}
	return nil
}
