package statuspage

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"path/filepath"
	"time"

	"hearth/internal/status"
)

// StaticLinks are the links of the published page: its parts beside it.
func StaticLinks(site Site) Links {
	return Links{CSS: "style.css", Feed: "feed.atom", JSON: "status.json", Forum: site.ForumURL}
}

// Publish writes the page as a static site in dir: index.html,
// status.json, feed.atom and style.css, each replaced atomically, so a
// web server serving dir never serves half a file.
func Publish(dir string, r *Renderer, p status.Page, mode status.State, now time.Time) error {
	files := []struct {
		name string
		body []byte
	}{
		{"style.css", CSS()},
		{"status.json", r.JSON(p, mode, now)},
		{"feed.atom", r.Atom(p, now)},
		{"index.html", r.HTML(p, mode, now, StaticLinks(r.site))}, // last: it links to the others
	}
	for _, f := range files {
		if err := status.WriteFileAtomic(filepath.Join(dir, f.name), f.body, 0o644); err != nil {
			return fmt.Errorf("publish the status page to %s: %w", dir, err)
		}
	}
	return nil
}

// Publisher publishes the page again after every change, wherever it was
// made: the admin page, the API, or `hearth status` in another process
// (it looks at the files once a second). Changes close together are
// published once (debounced).
type Publisher struct {
	Dir      string // "" publishes nowhere; Cmd may still run
	Cmd      string // run with sh -c after each publish, with HEARTH_STATUS_DIR set: rsync, an upload
	Page     *status.PageStore
	Mode     *status.Store
	Renderer *Renderer
	Log      *slog.Logger
	Debounce time.Duration // quiet time before publishing; default 2s
	Poll     time.Duration // how often to look at the files; default 1s

	poke chan struct{}
}

// Poke makes the publisher look now rather than at its next poll.
func (p *Publisher) Poke() {
	if p.poke == nil {
		return
	}
	select {
	case p.poke <- struct{}{}:
	default:
	}
}

// Init prepares Poke; Run calls it, callers that poke before Run too.
func (p *Publisher) Init() {
	if p.poke == nil {
		p.poke = make(chan struct{}, 1)
	}
}

func (p *Publisher) key() string {
	pg := p.Page.Get()
	m := status.State{}
	if p.Mode != nil {
		m = p.Mode.Get()
	}
	return fmt.Sprintf("%d/%d/%d/%s", pg.Rev, pg.Changed.UnixNano(), m.Changed.UnixNano(), time.Now().UTC().Format("2006-01-02"))
}

// Run publishes at start and after each change until ctx ends.
func (p *Publisher) Run(ctx context.Context) {
	p.Init()
	debounce, poll := p.Debounce, p.Poll
	if debounce <= 0 {
		debounce = 2 * time.Second
	}
	if poll <= 0 {
		poll = time.Second
	}
	published := ""
	var due time.Time // when the pending change goes out; zero if none
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		k := p.key()
		now := time.Now()
		if k != published && due.IsZero() {
			due = now.Add(debounce)
			if published == "" {
				due = now // at start, at once
			}
		}
		if !due.IsZero() && !now.Before(due) {
			if err := p.publish(ctx); err != nil {
				p.Log.Warn("publishing the status page failed; tried again at the next change or in a minute", "err", err)
				due = now.Add(time.Minute)
			} else {
				published, due = k, time.Time{}
			}
		}
		wait := poll
		if !due.IsZero() && time.Until(due) < wait {
			wait = max(time.Until(due), 10*time.Millisecond)
		}
		select {
		case <-ctx.Done():
			return
		case <-p.poke:
		case <-time.After(wait):
		case <-t.C:
		}
	}
}

func (p *Publisher) publish(ctx context.Context) error {
	m := status.State{Mode: status.Normal}
	if p.Mode != nil {
		m = p.Mode.Get()
	}
	if p.Dir != "" {
		if err := Publish(p.Dir, p.Renderer, p.Page.Get(), m, time.Now()); err != nil {
			return err
		}
	}
	if p.Cmd == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", p.Cmd)
	cmd.Env = append(cmd.Environ(), "HEARTH_STATUS_DIR="+p.Dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		tail := out.Bytes()
		if len(tail) > 300 {
			tail = tail[len(tail)-300:]
		}
		return fmt.Errorf("--status-publish-cmd: %w: %s", err, bytes.TrimSpace(tail))
	}
	return nil
}
