package mail

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// TLSMode is how the connection to the SMTP server is secured.
type TLSMode string

const (
	StartTLS    TLSMode = "starttls" // plain connection upgraded with STARTTLS (port 587); required
	ImplicitTLS TLSMode = "tls"      // TLS from the first byte (port 465)
	NoTLS       TLSMode = "none"     // a relay on this machine or a development sink only
)

// ParseTLSMode accepts the modes' names.
func ParseTLSMode(s string) (TLSMode, error) {
	switch m := TLSMode(s); m {
	case StartTLS, ImplicitTLS, NoTLS:
		return m, nil
	}
	return "", fmt.Errorf("unknown SMTP TLS mode %q: use starttls, tls or none", s)
}

// SMTPConfig is the server mail goes out through.
type SMTPConfig struct {
	Host     string
	Port     int
	TLS      TLSMode
	User     string
	Password string
	// TLSConfig is for tests (a server with its own CA); nil uses the
	// system's roots and Host as the name.
	TLSConfig *tls.Config
}

func (c SMTPConfig) addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// SendError is a refused or failed send. Permanent errors (a 5xx answer)
// are not retried.
type SendError struct {
	Permanent bool
	Code      int    // the server's answer (550, 451, …); 0 when it gave none
	Msg       string // safe to show the admin: the server's answer, no secrets
}

func (e *SendError) Error() string { return e.Msg }

// smtpSender keeps connections to the SMTP server open between messages,
// one per sending goroutine: a message is then four round trips, not a
// TCP, TLS and AUTH handshake each.
type smtpSender struct {
	cfg  SMTPConfig
	helo string // the name this host gives in EHLO: the mail domain

	mu   sync.Mutex
	idle []*smtp.Client
}

func (s *smtpSender) get() (*smtp.Client, error) {
	s.mu.Lock()
	if n := len(s.idle); n > 0 {
		c := s.idle[n-1]
		s.idle = s.idle[:n-1]
		s.mu.Unlock()
		return c, nil
	}
	s.mu.Unlock()
	return s.dial()
}

func (s *smtpSender) dial() (*smtp.Client, error) {
	tc := s.cfg.TLSConfig
	if tc == nil {
		tc = &tls.Config{ServerName: s.cfg.Host, MinVersion: tls.VersionTLS12}
	}
	var c *smtp.Client
	var err error
	switch s.cfg.TLS {
	case ImplicitTLS:
		c, err = smtp.DialTLS(s.cfg.addr(), tc)
	case NoTLS:
		c, err = smtp.Dial(s.cfg.addr())
	default:
		c, err = smtp.DialStartTLS(s.cfg.addr(), tc)
	}
	if err != nil {
		return nil, classify(fmt.Errorf("connect to the SMTP server %s: %w", s.cfg.addr(), err))
	}
	c.CommandTimeout = 30 * time.Second
	c.SubmissionTimeout = 60 * time.Second
	if s.helo != "" && (s.cfg.TLS == ImplicitTLS || s.cfg.TLS == NoTLS) {
		// (STARTTLS has greeted already, as localhost; servers accept it.)
		if err := c.Hello(s.helo); err != nil {
			c.Close()
			return nil, classify(fmt.Errorf("greet the SMTP server: %w", err))
		}
	}
	if s.cfg.User != "" {
		if err := c.Auth(sasl.NewPlainClient("", s.cfg.User, s.cfg.Password)); err != nil {
			c.Close()
			return nil, classify(fmt.Errorf("log in to the SMTP server as %s: %w", s.cfg.User, err))
		}
	}
	return c, nil
}

func (s *smtpSender) put(c *smtp.Client) {
	s.mu.Lock()
	s.idle = append(s.idle, c)
	s.mu.Unlock()
}

// send delivers msg from envelope sender from to rcpt.
func (s *smtpSender) send(from, rcpt string, msg []byte) error {
	c, err := s.get()
	if err != nil {
		return err
	}
	err = transact(c, from, rcpt, msg)
	var se *smtp.SMTPError
	switch {
	case err == nil:
		s.put(c)
	case errors.As(err, &se):
		// The server answered: the connection is fine for the next one.
		if c.Reset() == nil {
			s.put(c)
		} else {
			c.Close()
		}
	default:
		c.Close() // broken mid-way: a fresh connection next time
	}
	return classify(err)
}

func transact(c *smtp.Client, from, rcpt string, msg []byte) error {
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	if err := c.Rcpt(rcpt, nil); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := bytes.NewReader(msg).WriteTo(w); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// close ends the idle connections.
func (s *smtpSender) close() {
	s.mu.Lock()
	idle := s.idle
	s.idle = nil
	s.mu.Unlock()
	for _, c := range idle {
		c.Quit()
	}
}

// classify turns an SMTP or network error into a SendError: a 5xx answer
// is permanent, everything else (4xx, timeouts, refused connections) is
// tried again later.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var se *SendError
	if errors.As(err, &se) {
		return err
	}
	var smtpErr *smtp.SMTPError
	if errors.As(err, &smtpErr) {
		return &SendError{Permanent: smtpErr.Code >= 500 && smtpErr.Code < 600, Code: smtpErr.Code, Msg: err.Error()}
	}
	return &SendError{Msg: err.Error()}
}

// Check connects to the SMTP server, secures and logs in as a send would,
// and hangs up: what `hearth doctor` tries.
func Check(cfg SMTPConfig, helo string) error {
	s := &smtpSender{cfg: cfg, helo: helo}
	c, err := s.dial()
	if err != nil {
		return err
	}
	return c.Quit()
}
