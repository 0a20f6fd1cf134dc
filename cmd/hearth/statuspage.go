package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"hearth/internal/app"
	"hearth/internal/status"
	"hearth/internal/statuspage"
)

// The status page from the shell: incidents, maintenance, components,
// publishing and the webhooks' log. Everything here reads and writes the
// files in DATA/status/, never the database, so it works during an
// outage; a running `hearth serve` picks the change up within a second.

const statusUsage = `usage:
  hearth status ["TEXT"]                       show the mode and updates, or post an update (maintenance page)
  hearth status show [--json]                  the status page: components, open incidents, maintenance
  hearth status incident open --title T [--impact minor|major|critical|none] [--component forum]... "TEXT"
  hearth status incident update ID [--state investigating|identified|monitoring|resolved] "TEXT"
  hearth status incident resolve ID ["TEXT"]
  hearth status component NAME operational|degraded|partial-outage|major-outage|maintenance [--add]
  hearth status component remove NAME
  hearth status maintenance schedule --start T --end T --title T [--component NAME]... ["TEXT"]
  hearth status maintenance start|update|complete ID ["TEXT"]
  hearth status publish --to DIR [--url URL]   write the page as a static site
  hearth status webhooks                       the webhooks' deliveries: pending and done
Every command takes --data DIR (env HEARTH_DATA).`

// statusSubcommands are the words after `hearth status` that are commands
// rather than an update's text.
var statusSubcommands = map[string]bool{"show": true, "incident": true, "component": true, "maintenance": true, "publish": true, "webhooks": true, "help": true}

func statusPageCmd(args []string, stdout, stderr io.Writer) error {
	sub, rest := args[0], args[1:]
	switch sub {
	case "show":
		return statusShow(rest, stdout, stderr)
	case "incident":
		return statusIncident(rest, stdout, stderr)
	case "component":
		return statusComponent(rest, stdout, stderr)
	case "maintenance":
		return statusMaintenance(rest, stdout, stderr)
	case "publish":
		return statusPublish(rest, stdout, stderr)
	case "webhooks":
		return statusWebhooks(rest, stdout, stderr)
	}
	fmt.Fprintln(stderr, statusUsage)
	return errUsage
}

// statusFlags is a flag set with --data, parsed with flags and words in
// any order (`incident update 3 --state identified "text"`).
type statusFlags struct {
	*flag.FlagSet
	data  string
	words []string
}

func newStatusFlags(name string, stderr io.Writer) *statusFlags {
	f := &statusFlags{FlagSet: newFlags("status "+name, stderr)}
	f.StringVar(&f.data, "data", env("data", "./hearth-data"), "data directory (env HEARTH_DATA)")
	f.Usage = func() { fmt.Fprintln(stderr, statusUsage) }
	return f
}

func (f *statusFlags) parse(args []string) error {
	for {
		if err := f.Parse(args); err != nil {
			return errUsage
		}
		if f.NArg() == 0 {
			return nil
		}
		f.words = append(f.words, f.Arg(0))
		args = f.Args()[1:]
	}
}

func (f *statusFlags) page() (*status.PageStore, error) { return status.OpenPage(f.data) }

// listFlag is a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// statusError makes the status files' refusals read as the command's.
func statusError(err error) error {
	if te, ok := errors.AsType[*status.TextError](err); ok {
		return errors.New(te.Error())
	}
	return err
}

func parseID(s string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(s, "#"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%q is not an incident number (hearth status show lists them)", s)
	}
	return id, nil
}

func statusIncident(args []string, stdout, stderr io.Writer) error {
	f := newStatusFlags("incident", stderr)
	var title, impact, state string
	var comps listFlag
	f.StringVar(&title, "title", "", "the incident's title (open)")
	f.StringVar(&impact, "impact", "minor", "none, minor, major or critical (open)")
	f.StringVar(&state, "state", "", "investigating, identified, monitoring or resolved")
	f.Var(&comps, "component", "a component it affects (repeat, or a comma-separated list)")
	if err := f.parse(args); err != nil {
		return err
	}
	if len(f.words) == 0 {
		f.Usage()
		return errUsage
	}
	p, err := f.page()
	if err != nil {
		return err
	}
	verb, words := f.words[0], f.words[1:]
	var st status.IncidentState
	if state != "" {
		if st, err = status.ParseState(state); err != nil {
			return statusError(err)
		}
	}
	var inc status.Incident
	switch verb {
	case "open":
		im, err := status.ParseImpact(impact)
		if err != nil {
			return statusError(err)
		}
		inc, err = p.Open(status.NewIncident{Title: title, Impact: im, State: st, Components: comps, Text: strings.Join(words, " ")})
		if err != nil {
			return statusError(err)
		}
		fmt.Fprintf(stdout, "Opened incident %d: %s (%s).\n", inc.ID, inc.Title, inc.State.Label())
		return nil
	case "update", "resolve":
		if len(words) == 0 {
			f.Usage()
			return errUsage
		}
		id, err := parseID(words[0])
		if err != nil {
			return err
		}
		text := strings.Join(words[1:], " ")
		if verb == "resolve" {
			inc, err = p.Resolve(id, text)
		} else {
			inc, err = p.Post(id, st, text)
		}
		if err != nil {
			return statusError(err)
		}
		fmt.Fprintf(stdout, "Incident %d is %s.\n", inc.ID, strings.ToLower(inc.State.Label()))
		return nil
	}
	f.Usage()
	return errUsage
}

func statusMaintenance(args []string, stdout, stderr io.Writer) error {
	f := newStatusFlags("maintenance", stderr)
	var title, start, end string
	var comps listFlag
	f.StringVar(&title, "title", "", "what the maintenance is (schedule)")
	f.StringVar(&start, "start", "", "planned start: a time (2026-12-05T22:00:00Z) or a duration from now (3h)")
	f.StringVar(&end, "end", "", "planned end: a time or a duration from now")
	f.Var(&comps, "component", "a component it affects (repeat, or a comma-separated list)")
	if err := f.parse(args); err != nil {
		return err
	}
	if len(f.words) == 0 {
		f.Usage()
		return errUsage
	}
	p, err := f.page()
	if err != nil {
		return err
	}
	verb, words := f.words[0], f.words[1:]
	if verb == "schedule" {
		now := time.Now()
		s, err := parseWhen("--start", start, now)
		if err != nil {
			return err
		}
		e, err := parseWhen("--end", end, now)
		if err != nil {
			return err
		}
		inc, err := p.Open(status.NewIncident{Kind: status.KindMaintenance, Title: title, Components: comps, Text: strings.Join(words, " "), StartsAt: s, EndsAt: e})
		if err != nil {
			return statusError(err)
		}
		fmt.Fprintf(stdout, "Scheduled maintenance %d: %s, %s to %s.\n", inc.ID, inc.Title, inc.StartsAt.Format(time.RFC3339), inc.EndsAt.Format(time.RFC3339))
		return nil
	}
	states := map[string]status.IncidentState{"start": status.InProgress, "update": "", "complete": status.Completed}
	st, ok := states[verb]
	if !ok || len(words) == 0 {
		f.Usage()
		return errUsage
	}
	id, err := parseID(words[0])
	if err != nil {
		return err
	}
	text := strings.Join(words[1:], " ")
	if text == "" {
		text = map[string]string{"start": "The maintenance has begun.", "complete": "The maintenance is complete."}[verb]
	}
	inc, err := p.Post(id, st, text)
	if err != nil {
		return statusError(err)
	}
	fmt.Fprintf(stdout, "Maintenance %d is %s.\n", inc.ID, strings.ToLower(inc.State.Label()))
	return nil
}

func parseWhen(name, s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("%s is required: a time like 2026-12-05T22:00:00Z or a duration from now like 3h", name)
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s takes a time like 2026-12-05T22:00:00Z or a duration from now like 3h", name)
	}
	return t, nil
}

func statusComponent(args []string, stdout, stderr io.Writer) error {
	f := newStatusFlags("component", stderr)
	var add bool
	f.BoolVar(&add, "add", false, "add the component if the page does not have it")
	if err := f.parse(args); err != nil {
		return err
	}
	if len(f.words) != 2 {
		f.Usage()
		return errUsage
	}
	p, err := f.page()
	if err != nil {
		return err
	}
	if f.words[0] == "remove" {
		if err := p.RemoveComponent(f.words[1]); err != nil {
			return statusError(err)
		}
		fmt.Fprintf(stdout, "Removed %s from the status page.\n", f.words[1])
		return nil
	}
	st, err := status.ParseComponentStatus(f.words[1])
	if err != nil {
		return statusError(err)
	}
	if err := p.SetComponent(f.words[0], st, add); err != nil {
		return statusError(err)
	}
	fmt.Fprintf(stdout, "%s: %s.\n", f.words[0], st.Label())
	return nil
}

func statusSite(f *statusFlags) *statuspage.Site {
	s := &statuspage.Site{}
	f.StringVar(&s.Name, "site-name", env("site-name", "Hearth"), "the community's name (env HEARTH_SITE_NAME)")
	f.StringVar(&s.ForumURL, "base-url", env("base-url", ""), "the forum's public URL (env HEARTH_BASE_URL)")
	f.StringVar(&s.PageURL, "url", env("status-url", ""), "the status page's public URL (default BASE-URL/status) (env HEARTH_STATUS_URL)")
	return s
}

func statusShow(args []string, stdout, stderr io.Writer) error {
	f := newStatusFlags("show", stderr)
	var asJSON bool
	f.BoolVar(&asJSON, "json", false, "print the summary JSON /status.json serves")
	site := statusSite(f)
	if err := f.parse(args); err != nil {
		return err
	}
	if len(f.words) > 0 {
		f.Usage()
		return errUsage
	}
	p, err := f.page()
	if err != nil {
		return err
	}
	m, err := status.Open(f.data)
	if err != nil {
		return err
	}
	page, mode := p.Get(), m.Get()
	if asJSON {
		_, err := stdout.Write(statuspage.NewRenderer(*site).JSON(page, mode, time.Now()))
		return err
	}
	_, desc := page.Indicator()
	fmt.Fprintf(stdout, "%s. Forum mode: %s", desc, mode.Mode)
	if mode.Reason != "" {
		fmt.Fprintf(stdout, " (%s)", mode.Reason)
	}
	fmt.Fprintln(stdout)
	fmt.Fprintln(stdout, "\nComponents:")
	for _, c := range page.Components {
		fmt.Fprintf(stdout, "  %-12s %s\n", c.ID, c.Status.Label())
	}
	shown := 0
	for _, i := range page.Incidents {
		if !i.Open() {
			continue
		}
		if shown == 0 {
			fmt.Fprintln(stdout, "\nOpen:")
		}
		shown++
		fmt.Fprintf(stdout, "  #%d %s [%s, %s]", i.ID, i.Title, i.Kind, i.State.Label())
		if i.Kind == status.KindMaintenance {
			fmt.Fprintf(stdout, " %s to %s", i.StartsAt.Format("2 Jan 15:04"), i.EndsAt.Format("2 Jan 15:04 UTC"))
		} else {
			fmt.Fprintf(stdout, " impact %s", i.Impact)
		}
		if len(i.Components) > 0 {
			fmt.Fprintf(stdout, ", affects %s", strings.Join(i.Components, ", "))
		}
		fmt.Fprintln(stdout)
		for _, u := range i.Updates {
			fmt.Fprintf(stdout, "      %s  %-13s %s\n", u.At.Format("2006-01-02 15:04"), u.State.Label(), u.Text)
		}
	}
	if shown == 0 {
		fmt.Fprintln(stdout, "\nNo open incidents.")
	}
	return nil
}

func statusPublish(args []string, stdout, stderr io.Writer) error {
	f := newStatusFlags("publish", stderr)
	var to string
	f.StringVar(&to, "to", "", "directory to write index.html, status.json, feed.atom and style.css to")
	site := statusSite(f)
	if err := f.parse(args); err != nil {
		return err
	}
	if to == "" || len(f.words) > 0 {
		f.Usage()
		return errUsage
	}
	p, err := f.page()
	if err != nil {
		return err
	}
	m, err := status.Open(f.data)
	if err != nil {
		return err
	}
	if err := statuspage.Publish(to, statuspage.NewRenderer(*site), p.Get(), m.Get(), time.Now()); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Published the status page to %s.\n", to)
	return nil
}

func statusWebhooks(args []string, stdout, stderr io.Writer) error {
	f := newStatusFlags("webhooks", stderr)
	var asJSON bool
	f.BoolVar(&asJSON, "json", false, "print the journal as JSON (bodies included)")
	if err := f.parse(args); err != nil {
		return err
	}
	hooks, err := statuspage.LoadHooks(f.data)
	if err != nil {
		return err
	}
	j, _, err := statuspage.ReadJournal(f.data)
	if err != nil {
		return err
	}
	if asJSON {
		for i := range j.Pending {
			j.Pending[i].URL = statuspage.Redact(j.Pending[i].URL)
		}
		for i := range j.Log {
			j.Log[i].URL = statuspage.Redact(j.Log[i].URL)
		}
		b, _ := json.MarshalIndent(j, "", "  ")
		fmt.Fprintln(stdout, string(b))
		return nil
	}
	fmt.Fprintf(stdout, "Webhooks in %s: %d (serve's --status-webhook flags come on top).\n", statuspage.HooksFile, len(hooks))
	for _, h := range hooks {
		fmt.Fprintf(stdout, "  %s\n", statuspage.Redact(h.URL))
	}
	line := func(d statuspage.Delivery) {
		last := ""
		if !d.LastAt.IsZero() {
			last = fmt.Sprintf(", last try %s", d.LastAt.Format("2006-01-02 15:04:05"))
			if d.LastError != "" {
				last += ": " + d.LastError
			}
		}
		next := ""
		if d.State == "pending" {
			next = ", next " + d.NextAt.Format("15:04:05")
		}
		fmt.Fprintf(stdout, "  %-9s %-8s %-22s incident %d → %s, %d tries%s%s\n", d.State, d.ID, d.Event, d.IncidentID, statuspage.Redact(d.URL), d.Attempts, last, next)
	}
	fmt.Fprintf(stdout, "\nPending: %d\n", len(j.Pending))
	for _, d := range j.Pending {
		line(d)
	}
	fmt.Fprintf(stdout, "\nDone (newest first): %d\n", len(j.Log))
	for _, d := range j.Log {
		line(d)
	}
	return nil
}

// statusServeFlags adds serve's status page flags; the returned function,
// called after parsing, finishes the webhooks (their secret may come after).
func statusServeFlags(fs *flag.FlagSet, c *app.Config) func() error {
	var hooks listFlag
	var secret string
	fs.StringVar(&c.Status.Token, "status-token", env("status-token", ""), "bearer token of the status API (/api/v1/status/…); default: the first line of DATA/status/api-token (env HEARTH_STATUS_TOKEN)")
	fs.StringVar(&c.Status.PublishDir, "status-publish", env("status-publish", ""), "write the status page as a static site to this `DIR` after every change (env HEARTH_STATUS_PUBLISH)")
	fs.StringVar(&c.Status.PublishCmd, "status-publish-cmd", env("status-publish-cmd", ""), "run this shell command after every publish, e.g. 'rsync -a \"$HEARTH_STATUS_DIR\"/ host:/srv/status/' (env HEARTH_STATUS_PUBLISH_CMD)")
	fs.StringVar(&c.Status.PageURL, "status-url", env("status-url", ""), "the status page's public URL when published elsewhere (default BASE-URL/status) (env HEARTH_STATUS_URL)")
	fs.Var(&hooks, "status-webhook", "POST every incident change to this `URL` (repeatable; URL,secret=S for its own secret); also DATA/status/webhooks.json")
	fs.StringVar(&secret, "status-webhook-secret", env("status-webhook-secret", ""), "the HMAC secret of --status-webhook's signatures (env HEARTH_STATUS_WEBHOOK_SECRET)")
	return func() error {
		for _, v := range hooks {
			h, err := statuspage.ParseHookFlag(v, secret)
			if err != nil {
				return fmt.Errorf("--status-webhook: %w", err)
			}
			c.Status.Webhooks = append(c.Status.Webhooks, h)
		}
		return nil
	}
}
