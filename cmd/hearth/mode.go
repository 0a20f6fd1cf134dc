package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"hearth/internal/status"
)

// modeCmd switches the forum between normal, read-only and maintenance.
// It writes the status file in the data directory, which a running server
// reads within a second; it works while the database is down.
func modeCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(stderr, "usage: hearth mode normal|read-only|maintenance [--reason TEXT] [--until 2h | 2026-11-25T14:00:00Z] [--data DIR]")
		return errUsage
	}
	m, err := status.ParseMode(args[0])
	if err != nil {
		return err
	}
	var dataDir, reason, until string
	fs := newFlags("mode", stderr)
	fs.StringVar(&dataDir, "data", env("data", "./hearth-data"), "data directory (env HEARTH_DATA)")
	fs.StringVar(&reason, "reason", "", "why, in words members understand; also posted as a status update")
	fs.StringVar(&until, "until", "", "when you expect to be done: a duration from now (2h) or a time (RFC 3339)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	end, err := parseUntil(until, time.Now())
	if err != nil {
		return err
	}
	st, err := status.Open(dataDir)
	if err != nil {
		return err
	}
	if err := st.SetMode(m, reason, end); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "The forum is now in %s mode.\n", m)
	return nil
}

func parseUntil(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, errors.New("--until takes a duration like 90m or a time like 2026-11-25T14:00:00Z")
	}
	return t, nil
}

// statusCmd shows the mode and updates, or posts an update.
func statusCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && statusSubcommands[args[0]] {
		return statusPageCmd(args, stdout, stderr) // the status page: statuspage.go
	}
	var dataDir string
	fs := newFlags("status", stderr)
	fs.StringVar(&dataDir, "data", env("data", "./hearth-data"), "data directory (env HEARTH_DATA)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	st, err := status.Open(dataDir)
	if err != nil {
		return err
	}
	if text := strings.Join(fs.Args(), " "); text != "" {
		if err := st.Post(text); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "Posted. Members see it on the maintenance page.")
		return nil
	}
	s := st.Get()
	fmt.Fprintf(stdout, "Mode: %s", s.Mode)
	if s.Reason != "" {
		fmt.Fprintf(stdout, " (%s)", s.Reason)
	}
	if !s.Until.IsZero() {
		fmt.Fprintf(stdout, ", until %s", s.Until.Format(time.RFC3339))
	}
	fmt.Fprintln(stdout)
	for _, u := range s.Updates {
		fmt.Fprintf(stdout, "  %s  %s\n", u.At.Format("2006-01-02 15:04 UTC"), u.Text)
	}
	return nil
}
