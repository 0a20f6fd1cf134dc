package watch

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"hearth/internal/forum"
	"hearth/internal/mail"
)

// Alert kinds.
const (
	AlertDown      = "down"
	AlertReminder  = "reminder"
	AlertBack      = "back"
	AlertCert      = "certificate"
	AlertBroadcast = "broadcast"
	AlertTest      = "test"
)

// Alert is one message to the admins.
type Alert struct {
	Kind    string    `json:"kind"`
	Subject string    `json:"subject"`
	Text    string    `json:"text"`
	At      time.Time `json:"at"`
	Since   time.Time `json:"since,omitzero"` // when the outage began
	Target  string    `json:"target,omitempty"`
}

// alerter sends alerts by mail and webhooks. Every route is tried; the
// error names those that failed.
type alerter struct {
	cfg     AlertConfig
	smtp    mail.SMTPConfig
	client  *http.Client
	retries []time.Duration // waits between webhook tries
}

func newAlerter(c AlertConfig) (*alerter, error) {
	a := &alerter{cfg: c, client: &http.Client{Timeout: 10 * time.Second},
		retries: []time.Duration{time.Second, 4 * time.Second, 15 * time.Second}}
	if len(c.Admins) > 0 {
		tlsMode, err := mail.ParseTLSMode(c.SMTPTLS)
		if err != nil {
			return nil, err
		}
		a.smtp = mail.SMTPConfig{Host: c.SMTPHost, Port: c.SMTPPort, TLS: tlsMode, User: c.SMTPUser,
			Password: os.Getenv("HEARTH_WATCH_SMTP_PASSWORD")}
	}
	return a, nil
}

// send delivers al to every admin and webhook, and says how many routes
// (the admins' mail, each webhook) took it and why the others did not.
func (a *alerter) send(ctx context.Context, al Alert) (took int, err error) {
	var errs []error
	if len(a.cfg.Admins) > 0 {
		if err := a.mail(al); err != nil {
			errs = append(errs, fmt.Errorf("mail to the admins: %w", err))
		} else {
			took++
		}
	}
	for _, w := range a.cfg.Webhooks {
		if err := a.webhook(ctx, w, al); err != nil {
			errs = append(errs, fmt.Errorf("webhook %s: %w", hostOf(w.URL), err))
		} else {
			took++
		}
	}
	return took, errors.Join(errs...)
}

func (a *alerter) mail(al Alert) error {
	domain := "localhost"
	if i := strings.LastIndexByte(a.cfg.From, '@'); i >= 0 {
		domain = a.cfg.From[i+1:]
	}
	id := mail.Identity{SiteName: "Hearth watch", Domain: domain, FromAccount: a.cfg.From}
	snd := mail.NewSender(a.smtp, domain)
	defer snd.Close()
	var errs []error
	for _, to := range a.cfg.Admins {
		msg, err := mail.Compose(id, &forum.OutboxMail{ID: al.At.UnixNano(),
			Mail: forum.Mail{To: to, Subject: al.Subject, Text: al.Text}}, al.At)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := snd.Send(a.cfg.From, to, msg); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Signature is the X-Hearth-Signature of body with secret: "sha256=" and
// the hex HMAC-SHA256, as GitHub signs its webhooks.
func Signature(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// webhook posts al as JSON, trying again after a failure or a 5xx.
func (a *alerter) webhook(ctx context.Context, w Webhook, al Alert) error {
	body, err := json.Marshal(al)
	if err != nil {
		return err
	}
	var last error
	for try := 0; ; try++ {
		last = a.post(ctx, w, body)
		if last == nil || try == len(a.retries) {
			return last
		}
		select {
		case <-ctx.Done():
			return last
		case <-time.After(a.retries[try]):
		}
	}
}

func (a *alerter) post(ctx context.Context, w Webhook, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "hearth-watch")
	req.Header.Set("X-Hearth-Timestamp", strconv.FormatInt(time.Now().Unix(), 10))
	if w.Secret != "" {
		req.Header.Set("X-Hearth-Signature", Signature(w.Secret, body))
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return fmt.Errorf("no answer: %v", plainNetError(err))
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("answered %d", resp.StatusCode)
	}
	return nil
}

func hostOf(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	if i := strings.IndexAny(u, "/?"); i >= 0 {
		u = u[:i]
	}
	return u
}
