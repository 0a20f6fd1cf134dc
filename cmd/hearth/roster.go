package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"hearth/internal/app"
	"hearth/internal/forum"
	"hearth/internal/ops"
	"hearth/internal/roster"
)

func rosterCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: hearth roster show [--list] [--json] | hearth roster rebuild [--base-url URL]")
		return errUsage
	}
	switch args[0] {
	case "show":
		return rosterShow(args[1:], stdout, stderr)
	case "rebuild":
		return rosterRebuild(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "hearth roster: unknown command %q: use show or rebuild\n", args[0])
	return errUsage
}

// rosterShow reads the roster without the database: counts and freshness,
// the members themselves only with --list.
func rosterShow(args []string, stdout, stderr io.Writer) error {
	var dataDir string
	var list, asJSON bool
	fs := newFlags("roster show", stderr)
	fs.StringVar(&dataDir, "data", env("data", "./hearth-data"), "data directory (env HEARTH_DATA)")
	fs.BoolVar(&list, "list", false, "also print every member on it, with their address")
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	key, err := roster.KeyFromEnv()
	if err != nil {
		return err
	}
	r, err := roster.Load(dataDir, key)
	if err != nil {
		return rosterLoadErr(err)
	}
	raw, _ := os.ReadFile(roster.Path(dataDir))
	encrypted := len(raw) > 0 && raw[0] != '{'
	c := r.Counts()
	if asJSON {
		out := map[string]any{"path": roster.Path(dataDir), "encrypted": encrypted, "site": r.Site, "base_url": r.BaseURL,
			"built_at": r.BuiltAt, "updated_at": r.UpdatedAt, "last_event": r.LastEvent,
			"listed": c.Listed, "mailable": c.Mailable, "unsubscribed": c.Unsubscribed, "bounced": c.Bounced, "pending": c.Pending}
		if list {
			out["members"] = r.Entries
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	how := "in the clear (set " + roster.KeyEnv + " to encrypt it)"
	if encrypted {
		how = "encrypted (AES-256-GCM)"
	}
	fmt.Fprintf(stdout, "Member roster of %s (%s): %s, %s.\n", r.Site, r.BaseURL, roster.Path(dataDir), how)
	fmt.Fprintf(stdout, "%d members listed: %d to mail, %d unsubscribed from announcements, %d whose address bounces; %d of them awaiting approval.\n",
		c.Listed, c.Mailable, c.Unsubscribed, c.Bounced, c.Pending)
	fmt.Fprintf(stdout, "Rebuilt in full %s ago; last written %s ago (event %d).\n", ago(r.BuiltAt), ago(r.UpdatedAt), r.LastEvent)
	if list {
		for _, e := range r.Entries {
			flags := ""
			if e.Unsubscribed {
				flags += " unsubscribed"
			}
			if e.Bounced {
				flags += " bounced"
			}
			fmt.Fprintf(stdout, "%8d  %-30s %-40s %s%s\n", e.ID, e.Name, e.Email, e.Status, flags)
		}
	}
	return nil
}

func ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return time.Since(t).Round(time.Second).String()
}

func rosterLoadErr(err error) error {
	if errors.Is(err, roster.ErrMissing) {
		return fmt.Errorf("%w: `hearth serve` writes it (on the node doing the singleton work), or run `hearth roster rebuild` while the database is up", err)
	}
	return err
}

// rosterRebuild writes the roster afresh from the database.
func rosterRebuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c app.Config
	fs := newFlags("roster rebuild", stderr)
	storageFlags(fs, &c)
	fs.StringVar(&c.BaseURL, "base-url", env("base-url", ""), "the forum's public URL, for the unsubscribe links (default the roster's, else http://127.0.0.1:8080) (env HEARTH_BASE_URL)")
	fs.StringVar(&c.SiteName, "site-name", env("site-name", ""), "the community's name (default the roster's, else Hearth) (env HEARTH_SITE_NAME)")
	if err := parse(fs, args); err != nil {
		return err
	}
	key, err := roster.KeyFromEnv()
	if err != nil {
		return err
	}
	old, err := roster.Load(c.DataDir, key)
	switch {
	case err == nil:
		c.BaseURL = orDefault(c.BaseURL, old.BaseURL)
		c.SiteName = orDefault(c.SiteName, old.Site)
	case errors.Is(err, roster.ErrNeedKey) && key == nil:
		// Rewriting it in the clear would undo the encryption unnoticed.
		return fmt.Errorf("the roster is encrypted: set %s to its key (or to a new one), or delete %s to keep it in the clear from now on", roster.KeyEnv, roster.Path(c.DataDir))
	}
	c.BaseURL = orDefault(c.BaseURL, "http://127.0.0.1:8080")
	c.SiteName = orDefault(c.SiteName, "Hearth")
	db, err := openExisting(ctx, c) // never a new, empty database for a mistyped --data
	if err != nil {
		return err
	}
	defer db.Close()
	if err := ops.CheckSchema(ctx, db, version()); err != nil {
		return err
	}
	svc := forum.NewService(db, app.NewMarkup())
	cons := app.RosterConsumer(c, db, svc, key)
	counts, err := cons.Rebuild(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Member roster rebuilt: %d members listed, %d to mail (%d unsubscribed, %d bouncing), in %s; unsubscribe links point to %s.\n",
		counts.Listed, counts.Mailable, counts.Unsubscribed, counts.Bounced, roster.Path(c.DataDir), c.BaseURL)
	return nil
}

// orDefault returns the first of its arguments that is not empty.
func orDefault(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
