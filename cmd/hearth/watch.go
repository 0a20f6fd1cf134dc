package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"hearth/internal/verify"
	"hearth/internal/watch"
)

const watchUsage = `usage: hearth watch [run|status|cancel|test] --config watch.toml

  run      probe the forum every interval and alert the admins when it is down (the default)
  status   print what the watcher knows: up or down, since when, what was sent
  cancel   stop the automatic member broadcast of the outage in progress
  test     send a test alert through every route (mail and webhooks)

Run it on another machine than the forum (or at least outside its process):
it must keep working when the forum, its database or its mail server is gone.
The SMTP password is read from HEARTH_WATCH_SMTP_PASSWORD, the check
account's from HEARTH_VERIFY_PASSWORD.
`

// watchCmd runs `hearth watch`.
func watchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub := "run"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	var path string
	var asJSON bool
	fs := newFlags("watch "+sub, stderr)
	fs.Usage = func() { fmt.Fprint(stderr, watchUsage+"\nFlags:\n"); fs.PrintDefaults() }
	fs.StringVar(&path, "config", env("watch-config", "watch.toml"), "the watch config (env HEARTH_WATCH_CONFIG)")
	fs.BoolVar(&asJSON, "json", false, "status: print the state as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := watch.Load(path)
	if err != nil {
		return err
	}
	switch sub {
	case "run":
		return watchRun(ctx, cfg, stdout, stderr)
	case "status":
		return watchStatus(cfg, asJSON, stdout)
	case "cancel":
		if err := watch.CancelBroadcast(cfg); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "The automatic member broadcast is cancelled for this outage (or the next one, if none is going on).")
		return nil
	case "test":
		w, err := watch.New(cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			return err
		}
		if err := w.SendTest(ctx); err != nil {
			return fmt.Errorf("the alert route failed: %w", err)
		}
		fmt.Fprintf(stdout, "A test alert went to %d admin(s) and %d webhook(s).\n", len(cfg.Alert.Admins), len(cfg.Alert.Webhooks))
		return nil
	}
	fmt.Fprintf(stderr, "hearth watch: unknown subcommand %q\n\n%s", sub, watchUsage)
	return errUsage
}

func watchRun(ctx context.Context, cfg *watch.Config, stdout, stderr io.Writer) error {
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	w, err := watch.New(cfg, log)
	if err != nil {
		return err
	}
	w.Incidents = watchIncidents(cfg, log)
	w.Verify = func(ctx context.Context) (string, bool) {
		base := cfg.Targets[0].URL
		if u, err := url.Parse(base); err == nil {
			base = u.Scheme + "://" + u.Host
		}
		rep := verify.Run(ctx, verify.Options{URL: base, Email: cfg.Verify.Email,
			Password: os.Getenv("HEARTH_VERIFY_PASSWORD"), GuestOnly: cfg.Verify.Email == ""})
		return rep.Verdict(), rep.OK
	}
	st := w.State()
	fmt.Fprintf(stdout, "Watching %d target(s) every %v; an outage is declared within %v.\n",
		len(cfg.Targets), cfg.Interval.D(), cfg.DetectionBound())
	if st.Down {
		fmt.Fprintf(stdout, "An outage is in progress since %s (the admins were told at %s).\n",
			st.Since.Format(time.RFC3339), st.LastAlert.Format(time.RFC3339))
	}
	return w.Run(ctx)
}

func watchStatus(cfg *watch.Config, asJSON bool, stdout io.Writer) error {
	st, err := watch.LoadState(cfg)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	switch {
	case st.Down:
		fmt.Fprintf(stdout, "DOWN since %s (declared %s): %s\n", st.Since.Format(time.RFC3339), st.Detected.Format(time.RFC3339), st.Problem)
		if !st.BroadcastSent.IsZero() {
			fmt.Fprintf(stdout, "Members were told at %s.\n", st.BroadcastSent.Format(time.RFC3339))
		} else if st.BroadcastCancelled {
			fmt.Fprintln(stdout, "The member broadcast was cancelled.")
		} else if !st.BroadcastDue.IsZero() {
			fmt.Fprintf(stdout, "Members are told at %s unless you run: hearth watch cancel\n", st.BroadcastDue.Format(time.RFC3339))
		}
	case st.Fails > 0:
		fmt.Fprintf(stdout, "up, but the last %d probe round(s) failed: %s\n", st.Fails, st.Problem)
	default:
		fmt.Fprintln(stdout, "up")
	}
	if o := st.LastOutage; o != nil {
		fmt.Fprintf(stdout, "Last outage: %s to %s (%s): %s\n", o.Since.Format(time.RFC3339), o.Back.Format(time.RFC3339),
			o.Back.Sub(o.Since).Round(time.Second), o.Problem)
		if o.Verdict != "" {
			fmt.Fprintf(stdout, "  verify: %s\n", o.Verdict)
		}
	}
	return nil
}
