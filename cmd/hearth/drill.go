package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"hearth/internal/app"
	"hearth/internal/broadcast"
	hmail "hearth/internal/mail"
	"hearth/internal/roster"
	"hearth/internal/watch"
)

// drillCheck is one step of `hearth drill`: what it tried, and what would
// fail on a real day if it did not pass.
type drillCheck struct {
	Name   string `json:"name"`
	Status string `json:"status"` // ok, warn, fail, skipped
	Detail string `json:"detail"`
	MS     int64  `json:"ms"`
}

// drillCmd rehearses the day the forum goes dark without a real outage:
// the roster, the status page and its published copy, the watcher's alert
// route and the broadcast's SMTP route.
func drillCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c app.Config
	var watchConfig, to, publish string
	var asJSON bool
	fs := newFlags("drill", stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hearth drill [flags]\n\nRehearses an outage without one: is the member roster fresh, do the status page and its\npublished copy answer, does the watcher's alert reach the admins, does the broadcast's SMTP\nserver take a mail? Says what would fail on a real day. Sends one test alert and one test\nbroadcast mail (to --to, never to members).\n\nFlags:")
		fs.PrintDefaults()
	}
	fs.StringVar(&c.DataDir, "data", env("data", "./hearth-data"), "the forum's data directory: roster, status page, DKIM key (env HEARTH_DATA)")
	fs.StringVar(&c.BaseURL, "base-url", env("base-url", ""), "the forum's public URL (default the roster's) (env HEARTH_BASE_URL)")
	fs.StringVar(&watchConfig, "watch-config", env("watch-config", ""), "the outage watch's config, to test its alert route (env HEARTH_WATCH_CONFIG)")
	fs.StringVar(&to, "to", "", "where the test broadcast mail goes (default the watch config's admins)")
	fs.StringVar(&publish, "status-publish", env("status-publish", ""), "the directory the status page is published to (default the watch config's) (env HEARTH_STATUS_PUBLISH)")
	fs.BoolVar(&asJSON, "json", false, "print the checks as JSON")
	mailFlags(fs, &c)
	if err := parse(fs, args); err != nil {
		return err
	}
	var wcfg *watch.Config
	if watchConfig != "" {
		var err error
		if wcfg, err = watch.Load(watchConfig); err != nil {
			return err
		}
		if publish == "" {
			publish = wcfg.Status.Publish
		}
		if to == "" {
			to = strings.Join(wcfg.Alert.Admins, ",")
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 50*time.Second) // a drill takes under a minute
	defer cancel()

	var checks []drillCheck
	step := func(name string, fn func() (status, detail string)) {
		start := time.Now()
		st, d := fn()
		checks = append(checks, drillCheck{Name: name, Status: st, Detail: d, MS: time.Since(start).Milliseconds()})
	}
	var ros *roster.Roster
	step("member roster", func() (string, string) {
		key, err := roster.KeyFromEnv()
		if err != nil {
			return "fail", err.Error()
		}
		if ros, err = roster.Load(c.DataDir, key); err != nil {
			return "fail", fmt.Sprintf("%v: a broadcast could reach nobody. Start hearth serve (it writes the roster) or run hearth roster rebuild.", err)
		}
		n := ros.Counts()
		age := time.Since(ros.UpdatedAt).Round(time.Minute)
		switch {
		case n.Mailable == 0:
			return "fail", "the roster lists nobody to mail: a broadcast would reach nobody"
		case time.Since(ros.BuiltAt) > 2*time.Hour:
			return "warn", fmt.Sprintf("%d members to mail, but last rebuilt %s ago (serve rebuilds it hourly on the node doing the singleton work: is it running here?)", n.Mailable, time.Since(ros.BuiltAt).Round(time.Minute))
		}
		return "ok", fmt.Sprintf("%d members to mail (%d listed, %d unsubscribed, %d bouncing), updated %s ago", n.Mailable, n.Listed, n.Unsubscribed, n.Bounced, age)
	})
	base := strings.TrimRight(c.BaseURL, "/")
	if base == "" && ros != nil {
		base = strings.TrimRight(ros.BaseURL, "/")
	}
	step("status page", func() (string, string) {
		if base == "" {
			return "fail", "no --base-url and no roster to take it from"
		}
		client := &http.Client{Timeout: 10 * time.Second}
		for _, path := range []string{"/status", "/status.json"} {
			resp, err := client.Get(base + path)
			if err != nil {
				return "fail", fmt.Sprintf("%s%s does not answer (%v): members would find no status page while the forum is down unless it is published elsewhere", base, path, err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return "fail", fmt.Sprintf("%s%s answered %d", base, path, resp.StatusCode)
			}
		}
		return "ok", base + "/status and /status.json answer"
	})
	step("published status page", func() (string, string) {
		if publish == "" {
			return "warn", "not published anywhere else (serve --status-publish DIR): if the whole machine goes, members find no status page"
		}
		b, err := os.ReadFile(filepath.Join(publish, "status.json"))
		if err != nil {
			return "fail", fmt.Sprintf("%s has no status.json (%v): run hearth status publish --to %s", publish, err, publish)
		}
		var v map[string]any
		if json.Unmarshal(b, &v) != nil {
			return "fail", publish + "/status.json is not valid JSON"
		}
		fi, _ := os.Stat(filepath.Join(publish, "index.html"))
		if fi == nil {
			return "fail", publish + " has no index.html"
		}
		return "ok", fmt.Sprintf("%s holds the page, published %s ago", publish, time.Since(fi.ModTime()).Round(time.Second))
	})
	step("status API for the watcher", func() (string, string) {
		if base == "" {
			return "skipped", "no base URL"
		}
		// Without credentials: 401 when the API is on, 404 when it is off.
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Post(base+"/api/v1/status/incidents", "application/json", strings.NewReader("{}"))
		if err != nil {
			return "fail", fmt.Sprintf("%s does not answer: %v", base, err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound {
			return "warn", "the status API is off (serve --status-token or DATA/status/api-token): a watcher elsewhere cannot open the incident on the forum's page"
		}
		return "ok", "the status API is on (it refused a request without the token)"
	})
	step("watcher's alert route", func() (string, string) {
		if wcfg == nil {
			return "warn", "no --watch-config: is hearth watch running somewhere? Without it nobody is alerted"
		}
		w, err := watch.New(wcfg, slog.New(slog.DiscardHandler))
		if err != nil {
			return "fail", err.Error()
		}
		if err := w.SendTest(ctx); err != nil {
			return "fail", fmt.Sprintf("the test alert failed: %v: on a real day the admins would not hear of the outage", err)
		}
		return "ok", fmt.Sprintf("a test alert went to %d admin(s) and %d webhook(s): check that it arrived", len(wcfg.Alert.Admins), len(wcfg.Alert.Webhooks))
	})
	step("broadcast's SMTP route", func() (string, string) {
		if c.Mail.SMTP.Host == "" {
			return "fail", "no --smtp-host: a broadcast could not send"
		}
		if to == "" {
			if err := hmail.Check(c.Mail.SMTP, c.MailIdentity().Domain); err != nil {
				return "fail", fmt.Sprintf("the SMTP server refused the login: %v", err)
			}
			return "warn", "the SMTP server takes the login; give --to ADDRESS to send a test broadcast mail through it"
		}
		return drillBroadcast(ctx, &c, ros, to)
	})

	failed := 0
	for _, ch := range checks {
		if ch.Status == "fail" {
			failed++
		}
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(map[string]any{"ok": failed == 0, "checks": checks})
	} else {
		marks := map[string]string{"ok": "✓", "warn": "!", "fail": "✗", "skipped": "–"}
		for _, ch := range checks {
			fmt.Fprintf(stdout, "%s %-28s %5d ms  %s\n", marks[ch.Status], ch.Name, ch.MS, ch.Detail)
		}
		if failed == 0 {
			fmt.Fprintln(stdout, "The drill passed: on a real day the admins would be alerted and every member could be told.")
		} else {
			fmt.Fprintf(stdout, "The drill found %d thing(s) that would fail on a real day (✗ above).\n", failed)
		}
	}
	if failed > 0 {
		return errSilent
	}
	return nil
}

// drillBroadcast sends the broadcast's mail, composed and signed as a real
// one, to the drill's addresses only, journal and all in a scratch folder.
func drillBroadcast(ctx context.Context, c *app.Config, ros *roster.Roster, to string) (string, string) {
	scratch, err := os.MkdirTemp("", "hearth-drill-")
	if err != nil {
		return "fail", err.Error()
	}
	defer os.RemoveAll(scratch)
	r := &roster.Roster{Site: c.SiteName, BaseURL: c.BaseURL, BuiltAt: time.Now(), UpdatedAt: time.Now()}
	if ros != nil {
		r.Site, r.BaseURL = orDefault(r.Site, ros.Site), orDefault(r.BaseURL, ros.BaseURL)
	}
	for i, addr := range strings.Split(to, ",") {
		if addr = strings.TrimSpace(addr); addr != "" {
			r.Entries = append(r.Entries, roster.Entry{ID: int64(-1 - i), Name: "Drill", Email: addr,
				UnsubscribeURL: strings.TrimRight(r.BaseURL, "/") + "/settings/mail"})
		}
	}
	r.Members = len(r.Entries)
	if c.BaseURL == "" {
		c.BaseURL = r.BaseURL
	}
	o := broadcast.Options{DataDir: scratch, ID: "drill", Subject: "[Drill] how members would hear of an outage",
		Body:   "This is a drill of the outage broadcast: members would get this mail, with the links below, while the forum is down.",
		Roster: r, Identity: c.MailIdentity(), SMTP: c.Mail.SMTP, Tries: 1}
	if !c.Mail.DisableDKIM {
		if o.DKIM, err = hmail.LoadOrCreateDKIM(c.DataDir, o.Identity.Domain, orDefault(c.Mail.DKIMSelect, "hearth")); err != nil {
			return "fail", err.Error()
		}
	}
	run, err := broadcast.Start(ctx, o)
	if err != nil {
		return "fail", err.Error()
	}
	p, err := run.Wait()
	switch {
	case err != nil:
		return "fail", fmt.Sprintf("the test broadcast failed: %v", err)
	case p.Failed > 0 || p.Deferred > 0:
		msg := "refused"
		if len(p.Failures) > 0 {
			msg = p.Failures[0].Message
		}
		return "fail", fmt.Sprintf("the SMTP server did not take the test broadcast mail: %s", msg)
	}
	return "ok", fmt.Sprintf("the SMTP server took the test broadcast mail to %s (DKIM-signed, unsubscribe headers, status link)", to)
}

// errSilent is a failure the command has already explained on stdout.
var errSilent = errors.New("")
