package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"mime"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"time"

	"hearth/internal/app"
	"hearth/internal/forum"
	hmail "hearth/internal/mail"
	"hearth/internal/store"
)

// mailFlags adds the outgoing mail flags serve and `mail test` share.
func mailFlags(fs *flag.FlagSet, c *app.Config) {
	m := &c.Mail
	fs.StringVar(&m.SMTP.Host, "smtp-host", env("smtp-host", ""), "SMTP server mail goes out through; without one, mail waits in the outbox (env HEARTH_SMTP_HOST)")
	fs.IntVar(&m.SMTP.Port, "smtp-port", envInt("smtp-port", 587), "SMTP server port (env HEARTH_SMTP_PORT)")
	fs.Func("smtp-tls", "starttls (port 587), tls (port 465) or none (a relay on this machine or `hearth mail sink` only) (default starttls) (env HEARTH_SMTP_TLS)", func(s string) error {
		t, err := hmail.ParseTLSMode(s)
		m.SMTP.TLS = t
		return err
	})
	m.SMTP.TLS = hmail.TLSMode(env("smtp-tls", string(hmail.StartTLS)))
	fs.StringVar(&m.SMTP.User, "smtp-user", env("smtp-user", ""), "SMTP login (env HEARTH_SMTP_USER)")
	fs.StringVar(&m.SMTP.Password, "smtp-password", env("smtp-password", ""), "SMTP password; prefer the environment variable, which other users cannot see in ps (env HEARTH_SMTP_PASSWORD)")
	fs.StringVar(&m.From, "mail-from", env("mail-from", ""), "address of account mail (confirmations, password resets); default forum@ the base URL's host (env HEARTH_MAIL_FROM)")
	fs.StringVar(&m.FromNotify, "mail-from-notify", env("mail-from-notify", ""), "address of notifications and digests; default --mail-from (env HEARTH_MAIL_FROM_NOTIFY)")
	fs.StringVar(&m.Domain, "mail-domain", env("mail-domain", ""), "the mail domain (Message-IDs, DKIM); default the base URL's host (env HEARTH_MAIL_DOMAIN)")
	fs.IntVar(&m.PerMinute, "mail-per-minute", envInt("mail-per-minute", 0), "at most this many mails a minute, for SMTP servers with a cap; 0 for none (env HEARTH_MAIL_PER_MINUTE)")
	fs.StringVar(&m.DKIMSelect, "dkim-selector", env("dkim-selector", "hearth"), "DKIM selector: the key is published at SELECTOR._domainkey.DOMAIN (env HEARTH_DKIM_SELECTOR)")
	fs.BoolVar(&m.DisableDKIM, "no-dkim", envBool("no-dkim", false), "send mail unsigned (a development sink) (env HEARTH_NO_DKIM)")
	fs.DurationVar(&m.ReadWindow, "mail-read-window", envDuration("mail-read-window", hmail.DefaultReadWindow), "how long a notification waits before it is mailed; not mailed if the member reads it or is on the site meanwhile (env HEARTH_MAIL_READ_WINDOW)")
	fs.IntVar(&m.DailyCap, "mail-daily-cap", envInt("mail-daily-cap", hmail.DefaultDailyCap), "at most this many notification mails a member gets a day (env HEARTH_MAIL_DAILY_CAP)")
}

// inboundFlags adds serve's flag for the inbound SMTP server.
func inboundFlags(fs *flag.FlagSet, c *app.Config) {
	fs.StringVar(&c.Mail.Listen, "smtp-listen", env("smtp-listen", ""), "take replies by mail and bounces on this address (\":25\", the mail domain's MX pointing here); off by default (env HEARTH_SMTP_LISTEN)")
}

func mailCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: hearth mail test ADDRESS | hearth mail status | hearth mail sink [--addr 127.0.0.1:2525] [--dir DIR] | hearth mail inject FILE.eml --addr HOST:PORT [--to ADDRESS] [--from ADDRESS]")
		return errUsage
	}
	switch args[0] {
	case "test":
		return mailTest(ctx, args[1:], stdout, stderr)
	case "status":
		return mailStatus(ctx, args[1:], stdout, stderr)
	case "sink":
		return mailSink(ctx, args[1:], stdout, stderr)
	case "inject":
		return mailInject(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "hearth mail: unknown command %q: use test, status, sink or inject\n", args[0])
	return errUsage
}

// mailTest puts a test mail into the outbox and waits for the running
// forum's mail worker to send it.
func mailTest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c app.Config
	var wait time.Duration
	fs := newFlags("mail test", stderr)
	storageFlags(fs, &c)
	fs.StringVar(&c.BaseURL, "base-url", env("base-url", "http://127.0.0.1:8080"), "the forum's public URL, named in the mail (env HEARTH_BASE_URL)")
	fs.StringVar(&c.SiteName, "site-name", env("site-name", "Hearth"), "the community's name (env HEARTH_SITE_NAME)")
	fs.DurationVar(&wait, "wait", 30*time.Second, "how long to wait for the running forum to send it")
	addr, rest := firstArg(args)
	if err := parse(fs, rest); err != nil {
		return err
	}
	if addr == "" {
		fmt.Fprintln(stderr, "usage: hearth mail test ADDRESS [--wait 30s]")
		return errUsage
	}
	if _, err := mail.ParseAddress(addr); err != nil {
		return fmt.Errorf("%q is not an email address", addr)
	}
	db, err := openExisting(ctx, c)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintf(stdout, "Test mail to %s goes into the outbox; waiting for the forum to send it…\n", addr)
	msg, err := sendTestMail(ctx, db, c, addr, wait)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, msg)
	return nil
}

// sendTestMail puts a test mail to addr in the outbox and waits until the
// running forum's worker sent it: what `hearth mail test` and `hearth
// verify --mail-to` do.
func sendTestMail(ctx context.Context, db *store.DB, c app.Config, addr string, wait time.Duration) (string, error) {
	m := app.TestMail(c, addr, time.Now())
	if _, err := db.EnqueueMail(ctx, &m, time.Now()); err != nil {
		return "", err
	}
	deadline := time.Now().Add(wait)
	for {
		row, err := db.MailByKey(ctx, m.Key)
		if err != nil {
			return "", err
		}
		switch row.State {
		case forum.MailSent:
			return fmt.Sprintf("Sent: the SMTP server took it at %s. Check the inbox of %s.", row.SentAt.Local().Format("15:04:05"), addr), nil
		case forum.MailFailed:
			return "", fmt.Errorf("the SMTP server refused it: %s", row.LastError)
		}
		if time.Now().After(deadline) {
			why := "no running `hearth serve` with --smtp-host has picked it up"
			if row.LastError != "" {
				why = "the last try failed: " + row.LastError + " (it is tried again)"
			}
			return "", fmt.Errorf("not sent within %v: %s", wait, why)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// mailStatus prints the outbox at a glance.
func mailStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c app.Config
	fs := newFlags("mail status", stderr)
	storageFlags(fs, &c)
	if err := parse(fs, args); err != nil {
		return err
	}
	db, err := openExisting(ctx, c)
	if err != nil {
		return err
	}
	defer db.Close()
	s, err := db.OutboxStats(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Outbox: %d pending, %d being sent, %d sent, %d failed; %d sent again after a worker stopped mid-send (they may have arrived twice).\n",
		s.Pending, s.Sending, s.Sent, s.Failed, s.InDoubt)
	if !s.OldestPending.IsZero() {
		fmt.Fprintf(stdout, "The oldest pending mail has waited %v.\n", time.Since(s.OldestPending).Round(time.Second))
	}
	if s.LastError != "" {
		fmt.Fprintf(stdout, "Last error: %s\n", s.LastError)
	}
	failed, err := db.ListMail(ctx, forum.MailFailed, 10)
	if err != nil {
		return err
	}
	for _, m := range failed {
		fmt.Fprintf(stdout, "  failed #%d %s to %s after %d tries: %s\n", m.ID, m.Kind, m.To, m.Attempts, m.LastError)
	}
	return nil
}

// mailSink runs a development SMTP server that prints what it receives
// and keeps each message as a .eml file.
func mailSink(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var addr, dir string
	fs := newFlags("mail sink", stderr)
	fs.StringVar(&addr, "addr", "127.0.0.1:2525", "address to listen on")
	fs.StringVar(&dir, "dir", "./hearth-mail", "folder for the received messages (.eml files)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	n := 0
	s := &hmail.Sink{OnMessage: func(r hmail.Received) {
		n++
		name := filepath.Join(dir, fmt.Sprintf("%s-%03d.eml", r.At.Format("20060102-150405"), n))
		if err := os.WriteFile(name, r.Data, 0o600); err != nil {
			fmt.Fprintln(stderr, "hearth mail sink:", err)
		}
		subject := ""
		if msg, err := mail.ReadMessage(bytes.NewReader(r.Data)); err == nil {
			subject, _ = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		}
		fmt.Fprintf(stdout, "%s  to %s  %q  → %s\n", r.At.Format("15:04:05"), strings.Join(r.To, ", "), subject, name)
	}}
	if err := s.Listen(addr); err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	defer s.Close()
	host, port, _ := net.SplitHostPort(s.Addr())
	fmt.Fprintf(stdout, "Mail sink listening on %s; messages go to %s. Start the forum with:\n  hearth serve --smtp-host %s --smtp-port %s --smtp-tls none --no-dkim\n",
		s.Addr(), dir, host, port)
	<-ctx.Done()
	return nil
}

// mailInject hands a saved mail (.eml) to an SMTP server, the forum's
// --smtp-listen: a reply by mail tried without a mail program.
func mailInject(args []string, stdout, stderr io.Writer) error {
	var addr, to, from string
	fs := newFlags("mail inject", stderr)
	fs.StringVar(&addr, "addr", "127.0.0.1:2526", "the SMTP server: the forum's --smtp-listen")
	fs.StringVar(&to, "to", "", "envelope recipient; default the mail's To")
	fs.StringVar(&from, "from", "", "envelope sender; default the mail's From")
	file, rest := firstArg(args)
	if err := parse(fs, rest); err != nil {
		return err
	}
	if file == "" {
		fmt.Fprintln(stderr, "usage: hearth mail inject FILE.eml [--addr 127.0.0.1:2526] [--to ADDRESS] [--from ADDRESS]")
		return errUsage
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	msg, err := hmail.ReadMessage(raw)
	if err != nil {
		return fmt.Errorf("%s is not a mail: %w", file, err)
	}
	pick := func(flag, header string) (string, error) {
		if flag != "" {
			return flag, nil
		}
		a, err := mail.ParseAddress(msg.Header.Get(header))
		if err != nil {
			return "", fmt.Errorf("%s has no usable %s header: give --%s", file, header, strings.ToLower(header))
		}
		return a.Address, nil
	}
	if to, err = pick(to, "To"); err != nil {
		return err
	}
	if from, err = pick(from, "From"); err != nil {
		return err
	}
	if err := hmail.Inject(addr, from, to, raw); err != nil {
		return fmt.Errorf("the server at %s did not take it: %w", addr, err)
	}
	fmt.Fprintf(stdout, "Delivered to %s (from %s, to %s). The forum's log says what became of it.\n", addr, from, to)
	return nil
}

// firstArg splits off a leading positional argument, so it may come
// before the flags.
func firstArg(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}
