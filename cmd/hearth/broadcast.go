package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"hearth/internal/app"
	"hearth/internal/broadcast"
	hmail "hearth/internal/mail"
	"hearth/internal/roster"
)

const broadcastUsage = `usage: hearth broadcast --subject TEXT --body-file FILE [--id ID] [--rate 10/s] [--dry-run] [--json] [SMTP flags]
       hearth broadcast --resume [--id ID]
       hearth broadcast status [ID] [--json]`

// broadcastCmd mails every member on the roster, with the database down.
func broadcastCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "status" {
		return broadcastStatus(args[1:], stdout, stderr)
	}
	var c app.Config
	var o broadcast.Options
	var bodyFile, rate string
	var asJSON, quiet bool
	fs := newFlags("broadcast", stderr)
	fs.StringVar(&c.DataDir, "data", env("data", "./hearth-data"), "data directory: the roster, the DKIM key, the broadcasts' journals (env HEARTH_DATA)")
	fs.StringVar(&o.Subject, "subject", "", "the mail's subject")
	fs.StringVar(&bodyFile, "body-file", "", "a plain-text file with the message (- for standard input); links to the status page and to unsubscribe are added below it")
	fs.StringVar(&o.ID, "id", env("broadcast-id", ""), "the broadcast's name (default: made from subject and body, so the same command again resumes it; hearth watch sets one per outage) (env HEARTH_BROADCAST_ID)")
	fs.BoolVar(&o.Resume, "resume", false, "continue a broadcast that stopped (the one --id names, or the latest unfinished)")
	fs.BoolVar(&o.DryRun, "dry-run", false, "compose and sign every mail and count them, sending none")
	fs.StringVar(&rate, "rate", env("broadcast-rate", ""), "at most this many mails: 10/s, 600/m, 20000/h (default --mail-per-minute; none if that is 0) (env HEARTH_BROADCAST_RATE)")
	fs.IntVar(&o.Conns, "conns", envInt("broadcast-conns", 4), "SMTP connections at once (env HEARTH_BROADCAST_CONNS)")
	fs.BoolVar(&asJSON, "json", false, "progress and the result as JSON lines on standard output")
	fs.BoolVar(&quiet, "quiet", false, "print only the result")
	fs.StringVar(&c.BaseURL, "base-url", env("base-url", ""), "the forum's public URL, for the mail domain (default the roster's) (env HEARTH_BASE_URL)")
	fs.StringVar(&c.SiteName, "site-name", env("site-name", ""), "the community's name (default the roster's) (env HEARTH_SITE_NAME)")
	mailFlags(fs, &c)
	if err := parse(fs, args); err != nil {
		return err
	}
	if bodyFile != "" {
		var b []byte
		var err error
		if bodyFile == "-" {
			b, err = io.ReadAll(io.LimitReader(stdin, 1<<20))
		} else {
			b, err = os.ReadFile(bodyFile)
		}
		if err != nil {
			return fmt.Errorf("read the message: %w", err)
		}
		o.Body = string(b)
	}
	if !o.Resume && (o.Subject == "" || bodyFile == "") {
		fmt.Fprintln(stderr, broadcastUsage)
		return errUsage
	}
	key, err := roster.KeyFromEnv()
	if err != nil {
		return err
	}
	ros, err := roster.Load(c.DataDir, key)
	if err != nil {
		return rosterLoadErr(err)
	}
	c.BaseURL = orDefault(c.BaseURL, ros.BaseURL)
	c.SiteName = orDefault(c.SiteName, ros.Site)
	if c.Mail.SMTP.Host == "" && !o.DryRun {
		return errors.New("no SMTP server: give --smtp-host (and the other --smtp-* flags serve has)")
	}
	if o.Rate, err = parseRate(rate, c.Mail.PerMinute); err != nil {
		return err
	}
	o.DataDir, o.Roster, o.RosterKey = c.DataDir, ros, key
	o.Identity, o.SMTP = c.MailIdentity(), c.Mail.SMTP
	if !c.Mail.DisableDKIM {
		if o.DKIM, err = hmail.LoadOrCreateDKIM(c.DataDir, o.Identity.Domain, orDefault(c.Mail.DKIMSelect, "hearth")); err != nil {
			return err
		}
	}
	run, err := broadcast.Start(ctx, o)
	if err != nil {
		return err
	}
	tty := !asJSON && !quiet && isTerminal(stderr)
	every := time.Second
	if tty {
		every = 250 * time.Millisecond
	}
	t := time.NewTicker(every)
	defer t.Stop()
	enc := json.NewEncoder(stdout)
wait:
	for {
		select {
		case <-run.Done():
			break wait
		case <-t.C:
			p := run.Progress()
			switch {
			case asJSON:
				p.Failures = nil
				enc.Encode(p)
			case tty:
				fmt.Fprintf(stderr, "\r\033[K%s", progressLine(p))
			}
		}
	}
	if tty {
		fmt.Fprint(stderr, "\r\033[K")
	}
	p, runErr := run.Wait()
	if asJSON {
		enc.Encode(p)
	} else {
		printResult(stdout, p)
	}
	switch {
	case runErr != nil && ctx.Err() != nil:
		return fmt.Errorf("stopped with %d not sent yet: run the same command again (or hearth broadcast --resume --id %s) to go on", p.Remaining+p.Deferred, p.ID)
	case runErr != nil:
		return fmt.Errorf("%w; run the same command again to go on where it stopped", runErr)
	case p.Deferred > 0:
		return fmt.Errorf("%d members not reached yet (temporary failures): run the same command again to retry them", p.Deferred)
	}
	return nil
}

// parseRate reads 10/s, 600/m, 20000/h or a bare number a second; empty
// takes the SMTP settings' mails a minute.
func parseRate(s string, perMinute int) (float64, error) {
	if s == "" {
		return float64(perMinute) / 60, nil
	}
	num, unit, _ := strings.Cut(s, "/")
	n, err := strconv.ParseFloat(num, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("--rate %q: want a number of mails and a unit, e.g. 10/s or 600/m", s)
	}
	switch unit {
	case "", "s", "sec":
		return n, nil
	case "m", "min":
		return n / 60, nil
	case "h", "hour":
		return n / 3600, nil
	}
	return 0, fmt.Errorf("--rate %q: the unit is s, m or h", s)
}

// isTerminal reports whether w is a terminal (a character device), with
// no dependency: good enough for prompts and progress.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func progressLine(p broadcast.Progress) string {
	eta := "–"
	if p.Rate > 0 {
		eta = time.Duration(p.ETA).Round(time.Second).String()
	}
	return fmt.Sprintf("sent %d of %d, %d remaining, %d failed, %.0f/s, ETA %s", p.Sent, p.Total, p.Remaining, p.Failed+p.Deferred, p.Rate, eta)
}

func printResult(w io.Writer, p broadcast.Progress) {
	verb := "sent"
	if p.DryRun {
		verb = "would send (dry run)"
	}
	fmt.Fprintf(w, "Broadcast %s %q: %s %d of %d; %d refused for good, %d to try again, %d remaining.\n",
		p.ID, p.Subject, verb, p.Sent, p.Total, p.Failed, p.Deferred, p.Remaining)
	if p.InDoubt > 0 {
		fmt.Fprintf(w, "%d mails were being sent when an earlier run stopped; they were sent again and may have arrived twice.\n", p.InDoubt)
	}
	if p.Rate > 0 {
		fmt.Fprintf(w, "This run: %.0f mails/s over %s.\n", p.Rate, time.Since(p.Started).Round(time.Millisecond))
	}
	if len(p.Failures) > 0 {
		fmt.Fprintln(w, "Not reached:")
		for i, f := range p.Failures {
			if i == 50 {
				fmt.Fprintf(w, "  … and %d more: hearth broadcast status %s --json lists them all\n", len(p.Failures)-50, p.ID)
				break
			}
			kind := "for good"
			if !f.Permanent {
				kind = "for now"
			}
			fmt.Fprintf(w, "  member %d (%s), %s: %s\n", f.MemberID, f.Name, kind, f.Message)
		}
	}
}

// broadcastStatus prints one broadcast, or lists them all.
func broadcastStatus(args []string, stdout, stderr io.Writer) error {
	var dataDir string
	var asJSON bool
	fs := newFlags("broadcast status", stderr)
	fs.StringVar(&dataDir, "data", env("data", "./hearth-data"), "data directory (env HEARTH_DATA)")
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	id, rest := firstArg(args)
	if err := parse(fs, rest); err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if id == "" {
		ps, err := broadcast.List(dataDir)
		if err != nil {
			return err
		}
		if asJSON {
			return enc.Encode(ps)
		}
		if len(ps) == 0 {
			fmt.Fprintln(stdout, "No broadcasts yet.")
		}
		for _, p := range ps {
			state := "done"
			switch {
			case p.Running:
				state = "sending"
			case !p.Done:
				state = "stopped: run it again to go on"
			}
			fmt.Fprintf(stdout, "%s  %s  %q: sent %d of %d, %d failed (%s)\n", p.ID, p.Started.Local().Format("2006-01-02 15:04"), p.Subject, p.Sent, p.Total, p.Failed+p.Deferred, state)
		}
		return nil
	}
	key, _ := roster.KeyFromEnv() // names of failed members, if the roster opens
	p, err := broadcast.Status(dataDir, id, key)
	if err != nil {
		return err
	}
	if asJSON {
		return enc.Encode(p)
	}
	printResult(stdout, p)
	if p.Running {
		fmt.Fprintln(stdout, "It is being sent now.")
	} else if !p.Done {
		fmt.Fprintf(stdout, "It stopped before the end: `hearth broadcast --resume --id %s` goes on.\n", p.ID)
	}
	return nil
}
