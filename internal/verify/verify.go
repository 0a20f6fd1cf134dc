// Package verify runs a Hearth site through its paces from outside, the way
// a member would, after a recovery, a restore or a deployment: it reads the
// front page, a category and a thread as a guest, logs in with a dedicated
// check account, posts in a hidden staff-only category, reads the post back,
// deletes it, checks that guests cannot see it, and logs out. Each step is
// timed and reported in plain words; `hearth verify URL` prints the report.
//
// One-time setup on the site being checked:
//
//	hearth user add --email check@example.org --name "Hearth check" --role moderator --password-stdin
//
// then, on the admin page, create the staff-only category "Hearth checks".
package verify

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultCategory is the name of the staff-only category checks post in.
const DefaultCategory = "Hearth checks"

// DefaultTimeout bounds each step.
const DefaultTimeout = 10 * time.Second

// Options say which site to check and as whom.
type Options struct {
	URL      string // the site's base URL, e.g. https://forum.example.org
	Email    string // the check account, a moderator
	Password string
	Category string        // the staff-only category to post in; DefaultCategory if empty
	Timeout  time.Duration // per step; DefaultTimeout if zero
	Client   *http.Client  // nil: a plain client without cookies
	// GuestOnly checks only what a guest can (the pages): the outage
	// watch's run when it has no check account. The account's steps are
	// skipped, not failed.
	GuestOnly bool
	// TestMail, if set, sends a test mail through the forum's outbox and
	// says what became of it (verify on the forum's machine, --mail-to).
	TestMail func(ctx context.Context) (string, error)
}

// Status is a step's outcome.
type Status string

const (
	Passed  Status = "passed"
	Failed  Status = "failed"
	Skipped Status = "skipped"
)

// Step is one check and what it saw.
type Step struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	MS     int64  `json:"ms"`
	Detail string `json:"detail,omitempty"`
}

// Report is the outcome of a run.
type Report struct {
	URL     string `json:"url"`
	OK      bool   `json:"ok"`
	Passed  int    `json:"passed"`
	Failed  int    `json:"failed"`
	Skipped int    `json:"skipped"`
	MS      int64  `json:"ms"`
	Steps   []Step `json:"steps"`
}

// runner carries what one step learns to the next.
type runner struct {
	o      Options
	base   string
	host   string
	client *http.Client
	rep    *Report

	frontPage    string // HTML of the front page, once read
	categoryPage string // HTML of the category page, once read
	token        string // the check account's API token
	who          string // the check account, for messages: "Hearth check (moderator)"
	role         string
	threadTitle  string // the thread page's title, for the search
}

// Run checks the site and returns the report; it never panics on what the
// site answers, and every failure is described in plain words.
func Run(ctx context.Context, o Options) *Report {
	if o.Category == "" {
		o.Category = DefaultCategory
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Client == nil {
		o.Client = &http.Client{}
	}
	base := strings.TrimRight(o.URL, "/")
	host := base
	if u, err := url.Parse(base); err == nil && u.Host != "" {
		host = u.Host
	}
	r := &runner{o: o, base: base, host: host, client: o.Client, rep: &Report{URL: base}}
	start := time.Now()
	r.step(ctx, "front page", r.frontPageStep)
	r.step(ctx, "category", r.categoryStep)
	r.step(ctx, "thread", r.threadStep)
	r.step(ctx, "search", r.searchStep)
	r.step(ctx, "log in", r.loginStep)
	r.step(ctx, "post and delete", r.postStep)
	r.step(ctx, "test mail", func(ctx context.Context) (string, error) {
		if o.TestMail == nil {
			return "", skip("no --mail-to: run verify on the forum's machine with --mail-to ADDRESS")
		}
		return o.TestMail(ctx)
	})
	r.step(ctx, "log out", r.logoutStep)
	r.rep.MS = time.Since(start).Milliseconds()
	r.rep.OK = r.rep.Failed == 0
	return r.rep
}

// skipped is a step that does not apply (yet); it is not a failure.
type skipped string

func (s skipped) Error() string { return string(s) }

func skip(reason string) error { return skipped(reason) }

// step runs fn with the per-step timeout and records its outcome.
func (r *runner) step(ctx context.Context, name string, fn func(ctx context.Context) (string, error)) {
	sctx, cancel := context.WithTimeout(ctx, r.o.Timeout)
	defer cancel()
	start := time.Now()
	detail, err := fn(sctx)
	s := Step{Name: name, Status: Passed, MS: time.Since(start).Milliseconds(), Detail: detail}
	switch e := err.(type) {
	case nil:
		r.rep.Passed++
	case skipped:
		s.Status, s.Detail = Skipped, "skipped: "+string(e)
		r.rep.Skipped++
	default:
		s.Status, s.Detail = Failed, err.Error()
		r.rep.Failed++
	}
	r.rep.Steps = append(r.rep.Steps, s)
}
