package main

import (
	"context"
	"fmt"
	"io"

	"hearth/internal/app"
	"hearth/internal/store"
)

func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c app.Config
	fs := newFlags("migrate", stderr)
	storageFlags(fs, &c)
	if err := parse(fs, args); err != nil {
		return err
	}
	db, err := store.Open(ctx, c.DSN())
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	cur, _, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Applied %d migration(s); the schema is at version %d.\n", n, cur)
	return nil
}
