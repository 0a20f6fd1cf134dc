package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"hearth/internal/app"
	"hearth/internal/seed"
)

func seedCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c app.Config
	var o seed.Options
	var quiet bool
	fs := newFlags("seed", stderr)
	storageFlags(fs, &c)
	quietFlag(fs, &quiet)
	fs.IntVar(&o.Members, "members", envInt("seed-members", 8000), "members to create")
	fs.IntVar(&o.Threads, "threads", envInt("seed-threads", 40000), "threads to create")
	fs.IntVar(&o.Posts, "posts", envInt("seed-posts", 500000), "posts to create, first posts included")
	fs.Int64Var(&o.Seed, "seed", 1, "random seed; the same seed gives the same data")
	if err := parse(fs, args); err != nil {
		return err
	}
	o.Now = time.Now().UTC()
	db, _, err := app.OpenService(ctx, c)
	if err != nil {
		return err
	}
	defer db.Close()
	// On a terminal the progress line replaces the log lines (which the
	// load harness reads from a pipe).
	var log io.Writer = stdout
	if o.Progress = progressBar(stderr, quiet); o.Progress != nil || quiet {
		log = io.Discard
	}
	rep, err := seed.Run(ctx, db, app.NewMarkup(), o, log)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Seeded %d members, %d categories, %d threads, %d posts in %s into %s.\n",
		rep.Members, rep.Categories, rep.Threads, rep.Posts, rep.Duration.Round(time.Millisecond), describeDB(c))
	return nil
}
