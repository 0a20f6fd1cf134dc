package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"hearth/internal/app"
	"hearth/internal/ops"
)

func restoreCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c app.Config
	var force, stop, quiet bool
	fs := newFlags("restore", stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hearth restore [--data DIR] [--db DSN] [--stop] [--force] BACKUP.tar.gz")
		fs.PrintDefaults()
	}
	storageFlags(fs, &c)
	fs.BoolVar(&force, "force", false, "PostgreSQL: replace a database that already holds data; means \"I have stopped every hearth serve using it\"")
	quietFlag(fs, &quiet)
	fs.BoolVar(&stop, "stop", false, "stop the hearth serve running on this data directory first (it finishes requests in flight); start it again afterwards")
	// The archive may come before or after the flags.
	var archive string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		archive, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if archive == "" && fs.NArg() == 1 {
		archive = fs.Arg(0)
	} else if fs.NArg() > 0 || archive == "" {
		fs.Usage()
		return errUsage
	}
	if stop {
		if err := ops.StopServer(ctx, c.DataDir, 30*time.Second); err != nil {
			return err
		}
	}
	cfg := opsConfig(c)
	cfg.Progress = progressBar(stderr, quiet)
	rep, err := ops.Restore(ctx, cfg, archive, ops.RestoreOptions{Force: force})
	if err != nil {
		return err
	}
	m := rep.Manifest
	fmt.Fprintf(stdout, "Restored %s in %s: the %s backup of %s (schema %d, Hearth %s): %d members, %d threads, %d posts, %d attachment file(s).\n",
		archive, rep.Duration.Round(time.Millisecond), m.Engine, m.CreatedAt.Format(time.RFC3339), m.SchemaVersion, m.HearthVersion,
		m.Counts["members"], m.Counts["threads"], m.Counts["posts"], rep.Attachments)
	if rep.Previous != "" {
		fmt.Fprintf(stdout, "The previous database is kept at %s.\n", rep.Previous)
	}
	if rep.PreviousAttachments != "" {
		fmt.Fprintf(stdout, "The previous attachments are kept at %s.\n", rep.PreviousAttachments)
	}
	fmt.Fprintln(stdout, "Run `hearth doctor` to check, then start the forum.")
	return nil
}
