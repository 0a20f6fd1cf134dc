package app

import (
	"context"
	"errors"
	"sync"

	"hearth/internal/broadcast"
	"hearth/internal/mail"
)

// broadcasts starts member broadcasts from the admin page's status
// section, through the same roster, journal and SMTP settings as `hearth
// broadcast`; they run on after the request, to the end or a restart
// (after which the same subject and body resume them).
type broadcasts struct {
	a  *App
	mu sync.Mutex
	// running is the broadcast started here that has not ended.
	running *broadcast.Run
}

// Start mails every member on the roster.
func (b *broadcasts) Start(subject, body string) (string, error) {
	a := b.a
	if a.Config.Mail.SMTP.Host == "" {
		return "", errors.New("no SMTP server is set (serve --smtp-host): the broadcast could not send")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.running != nil && b.running.Progress().Running {
		return "", errors.New("a broadcast is already being sent: wait until it is done")
	}
	o := broadcast.Options{DataDir: a.Config.DataDir, Subject: subject, Body: body, RosterKey: a.Config.RosterKey,
		Identity: a.Config.MailIdentity(), SMTP: a.Config.Mail.SMTP, Log: a.Log}
	if !a.Config.Mail.DisableDKIM {
		sel := a.Config.Mail.DKIMSelect
		if sel == "" {
			sel = "hearth"
		}
		k, err := mail.LoadOrCreateDKIM(a.Config.DataDir, o.Identity.Domain, sel)
		if err != nil {
			return "", err
		}
		o.DKIM = k
	}
	if per := a.Config.Mail.PerMinute; per > 0 {
		o.Rate = float64(per) / 60
	}
	run, err := broadcast.Start(context.Background(), o)
	if err != nil {
		return "", err
	}
	b.running = run
	return run.Progress().ID, nil
}

// List is every broadcast, newest first, with the one running here live.
func (b *broadcasts) List() []broadcast.Progress {
	ps, err := broadcast.List(b.a.Config.DataDir)
	if err != nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.running != nil {
		live := b.running.Progress()
		for i := range ps {
			if ps[i].ID == live.ID {
				ps[i] = live
			}
		}
	}
	return ps
}
