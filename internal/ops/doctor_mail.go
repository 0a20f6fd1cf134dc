package ops

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"hearth/internal/mail"
)

// MailCheck is what doctor knows of the forum's mail: serve's mail flags.
type MailCheck struct {
	SMTP     mail.SMTPConfig // Host "" when mail is not configured
	Domain   string
	Selector string
}

// checkEmail looks at the outbox (is mail going out?), the SMTP server (can
// we log in?) and DKIM (is the key's record published?).
func checkEmail(ctx context.Context, s *session) Check {
	c := Check{Name: "email", Status: OK}
	var notes []string
	if s.db != nil {
		st, err := s.db.OutboxStats(ctx)
		if err == nil {
			notes = append(notes, fmt.Sprintf("outbox: %d pending, %d sent, %d failed", st.Pending, st.Sent, st.Failed))
			if !st.OldestPending.IsZero() && s.now.Sub(st.OldestPending) > 15*time.Minute {
				c.Status = Warn
				notes = append(notes, fmt.Sprintf("the oldest pending mail has waited %v", s.now.Sub(st.OldestPending).Round(time.Minute)))
				c.Fix = "check that a `hearth serve` with --smtp-host runs, and `hearth mail status` for the last error"
			}
			if st.InDoubt > 0 {
				notes = append(notes, fmt.Sprintf("%d sent again after a worker stopped mid-send", st.InDoubt))
			}
		}
	}
	m := s.cfg.Mail
	if m.SMTP.Host == "" {
		if c.Status == OK {
			c.Status = Info
		}
		notes = append(notes, "no SMTP server given (--smtp-host): mail waits in the outbox")
		c.Message = strings.Join(notes, "; ")
		return c
	}
	if err := mail.Check(m.SMTP, m.Domain); err != nil {
		c.Status, c.Fix = Fail, "check --smtp-host, --smtp-port, --smtp-tls and the login; `hearth mail test ADDRESS` tries a real send"
		notes = append(notes, err.Error())
	} else {
		notes = append(notes, "the SMTP server "+net.JoinHostPort(m.SMTP.Host, fmt.Sprint(m.SMTP.Port))+" takes our login")
	}
	if k, err := os.Stat(filepath.Join(s.cfg.DataDir, mail.KeyFile)); err == nil && !k.IsDir() && m.Domain != "" {
		if d, err := mail.LoadOrCreateDKIM(s.cfg.DataDir, m.Domain, m.Selector); err == nil {
			name, value, _ := d.DNSRecord()
			notes = append(notes, dkimPublished(ctx, name, value))
			notes = append(notes, fmt.Sprintf("publish: TXT %s \"%s\"; SPF: TXT %s \"v=spf1 mx a ~all\" (or your mail provider's include:); DMARC: TXT _dmarc.%s \"v=DMARC1; p=quarantine\"", name, value, m.Domain, m.Domain))
		}
	}
	c.Message = strings.Join(notes, "; ")
	return c
}

// dkimPublished looks the DKIM record up, when this machine can resolve.
func dkimPublished(ctx context.Context, name, value string) string {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	txts, err := net.DefaultResolver.LookupTXT(ctx, name)
	if err != nil {
		return "DKIM record not found in DNS (or names cannot be resolved from here)"
	}
	for _, t := range txts {
		if strings.ReplaceAll(t, " ", "") == strings.ReplaceAll(value, " ", "") {
			return "DKIM record published"
		}
	}
	return "a DKIM record is published but it is not this key's"
}
