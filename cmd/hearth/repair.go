package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"hearth/internal/app"
	"hearth/internal/ops"
)

func repairCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c app.Config
	var quiet bool
	fs := newFlags("repair", stderr)
	storageFlags(fs, &c)
	quietFlag(fs, &quiet)
	if err := parse(fs, args); err != nil {
		return err
	}
	db, err := openExisting(ctx, c)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := ops.CheckSchema(ctx, db, version()); err != nil {
		return err
	}
	began := time.Now()
	r, err := ops.Repair(ctx, db, time.Now(), progressBar(stderr, quiet))
	for _, s := range r.Steps {
		fmt.Fprintf(stdout, "%-13s %s\n", s.Name+":", s.Message)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Repair done in %s: %d row(s) changed.\n", time.Since(began).Round(time.Millisecond), r.Changed())
	return nil
}
