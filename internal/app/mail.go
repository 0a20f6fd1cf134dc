package app

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"time"

	"hearth/internal/forum"
	"hearth/internal/mail"
)

// MailConfig is how the forum sends mail. Without a Host the outbox still
// fills (nothing is lost) but nothing is sent: doctor and the admin page
// say so.
type MailConfig struct {
	SMTP        mail.SMTPConfig
	From        string // account mail's address; default forum@DOMAIN
	FromNotify  string // notifications' and digests' address; default From
	Domain      string // for Message-IDs and DKIM; default the base URL's host
	PerMinute   int    // the SMTP server's cap, if it has one
	DKIMSelect  string // DKIM selector; default "hearth"
	DisableDKIM bool   // for a development sink
	// Listen is where the inbound SMTP server takes replies and bounces
	// (":25" behind the domain's MX record); "" for none. Every node
	// listens: handling a mail is a token check and a database write,
	// which any node does, so any node the MX records name can take it
	// and none waits for the singleton lease to move.
	Listen string

	// ReadWindow is how long a notification waits before it is mailed
	// (skipped if the member reads it on the site meanwhile); 0 mails at
	// the next round. serve's default is 10 minutes.
	ReadWindow time.Duration
	// DailyCap bounds the notification mails a member gets a day; 0 for 20.
	DailyCap int
}

// MailIdentity is who mail comes from, defaults filled in from the base URL.
func (c Config) MailIdentity() mail.Identity {
	m := c.Mail
	domain := m.Domain
	if domain == "" {
		if u, err := url.Parse(c.BaseURL); err == nil {
			domain = u.Hostname()
		}
	}
	from := m.From
	if from == "" {
		from = "forum@" + domain
	}
	notify := m.FromNotify
	if notify == "" {
		notify = from
	}
	return mail.Identity{SiteName: c.SiteName, Domain: domain, FromAccount: from, FromNotify: notify}
}

// newMailWorker builds the outbox worker; nil when no SMTP server is set.
func (a *App) newMailWorker() (*mail.Worker, error) {
	c := a.Config
	if c.Mail.SMTP.Host == "" {
		return nil, nil
	}
	id := c.MailIdentity()
	w := &mail.Worker{Outbox: a.Store, Identity: id, SMTP: c.Mail.SMTP, PerMinute: c.Mail.PerMinute, Held: a.lease.Held, Log: a.Log,
		BounceToken: a.bounceToken}
	if !c.Mail.DisableDKIM {
		sel := c.Mail.DKIMSelect
		if sel == "" {
			sel = "hearth"
		}
		k, err := mail.LoadOrCreateDKIM(c.DataDir, id.Domain, sel)
		if err != nil {
			return nil, err
		}
		w.DKIM = k
	}
	return w, nil
}

// bounceToken is the VERP token of outbox mail outboxID to a member.
func (a *App) bounceToken(ctx context.Context, memberID, outboxID int64) (string, error) {
	return a.Service.MailToken(ctx, forum.TokenBounce, memberID, strconv.FormatInt(outboxID, 10))
}

// listenInbound starts the inbound SMTP server if one is configured.
func (a *App) listenInbound() error {
	addr := a.Config.Mail.Listen
	if addr == "" {
		return nil
	}
	in := &mail.Inbound{Domain: a.Config.MailIdentity().Domain, Inbox: a.Service, Log: a.Log}
	if err := in.Listen(addr); err != nil {
		return fmt.Errorf("listen for mail on %s (--smtp-listen): %w", addr, err)
	}
	a.inbound = in
	return nil
}

// InboundAddr is where the inbound SMTP server listens ("" if none).
func (a *App) InboundAddr() string {
	if a.inbound == nil {
		return ""
	}
	return a.inbound.Addr()
}

// newNotifier builds the notification mail and digest writer; nil when
// no mail is sent (notifications then wait, and those older than two days
// are never mailed).
func (a *App) newNotifier() *mail.Notifier {
	if a.mail == nil {
		return nil
	}
	c := a.Config
	n := &mail.Notifier{Store: a.Store, Tokens: a.Service, Identity: c.MailIdentity(), BaseURL: c.BaseURL,
		ReadWindow: c.Mail.ReadWindow, DailyCap: c.Mail.DailyCap, Held: a.lease.Held, Wake: a.mail.Notify, Log: a.Log}
	if c.Mail.Listen != "" {
		n.ReplyTo = a.Service.ReplyAddress
	}
	n.SiteName = a.Service.SiteName
	return n
}

// registerMailMetrics exposes the outbox in /metrics.
func (a *App) registerMailMetrics() {
	m := a.Metrics
	stat := func(pick func(s outboxNumbers) float64) func() float64 {
		return func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			s, err := a.Store.OutboxStats(ctx)
			if err != nil {
				return math.NaN()
			}
			return pick(outboxNumbers{s.Pending, s.Failed, s.InDoubt, s.OldestPending})
		}
	}
	m.RegisterGauge("hearth_mail_pending", "Mails in the outbox waiting to be sent.", stat(func(s outboxNumbers) float64 { return float64(s.pending) }))
	m.RegisterGauge("hearth_mail_failed", "Mails given up on (a permanent refusal, or too many tries).", stat(func(s outboxNumbers) float64 { return float64(s.failed) }))
	m.RegisterGauge("hearth_mail_in_doubt", "Mails that were being sent when a worker stopped, and were sent again.", stat(func(s outboxNumbers) float64 { return float64(s.inDoubt) }))
	m.RegisterGauge("hearth_mail_oldest_pending_seconds", "Age of the oldest mail waiting to be sent (0 if none).", stat(func(s outboxNumbers) float64 {
		if s.oldest.IsZero() {
			return 0
		}
		return time.Since(s.oldest).Seconds()
	}))
	if a.mail != nil {
		w := a.mail
		m.RegisterCounterFunc("hearth_mail_sent_total", "Mails this node sent.", func() float64 { return float64(w.Sent.Load()) })
		m.RegisterCounterFunc("hearth_mail_retried_total", "Sends this node will try again.", func() float64 { return float64(w.Retried.Load()) })
	}
}

type outboxNumbers struct {
	pending, failed, inDoubt int
	oldest                   time.Time
}

// MailConfigured says whether mail is sent, for the admin page and doctor.
func (a *App) MailConfigured() bool { return a.mail != nil }

// TestMail is the mail `hearth mail test` puts into the outbox.
func TestMail(c Config, to string, now time.Time) forum.Mail {
	id := c.MailIdentity()
	key := fmt.Sprintf("test:%d", now.UnixNano())
	return forum.Mail{
		Key: key, Kind: "test", To: to, Sender: forum.SenderAccount,
		Subject: "Test mail from " + c.SiteName,
		Text: fmt.Sprintf("This is a test mail from %s (%s), sent through its outbox at %s.\n\nIf you read this, the forum's mail works.\n",
			c.SiteName, c.BaseURL, now.UTC().Format(time.RFC1123)),
		Headers: map[string]string{"X-Hearth-Test": key, "List-Id": c.SiteName + " <" + id.Domain + ">"},
	}
}
