package mail

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"hearth/internal/forum"
)

// Inbox is what the forum does with received mail (*forum.Service).
type Inbox interface {
	ReceiveReply(ctx context.Context, r forum.ReplyMail) (*forum.Post, string, error)
	ReceiveBounce(ctx context.Context, b forum.BounceMail) (bool, error)
	// Unsubscribe takes the member off the list an unsubscribe token
	// names (the mailto of List-Unsubscribe) and returns the list.
	Unsubscribe(ctx context.Context, token string) (string, error)
}

// Inbound is the forum's SMTP server for the mail that comes back: replies
// to reply+TOKEN@Domain become posts, delivery reports to
// bounce+TOKEN@Domain stop mail to addresses that bounce. Every other
// recipient is refused at RCPT, so it relays nothing and keeps no mailbox.
type Inbound struct {
	Domain   string
	Inbox    Inbox
	MaxBytes int64         // the largest mail taken; default 1 MiB (552 beyond)
	MaxConns int           // connections served at once; default 32, the next wait
	MaxTime  time.Duration // the longest a connection stays; default 5 minutes
	Log      *slog.Logger

	srv *smtp.Server
	ln  net.Listener
	wg  sync.WaitGroup
}

// Listen starts serving on addr (":25", or "127.0.0.1:0" in tests).
func (in *Inbound) Listen(addr string) error {
	if in.MaxBytes <= 0 {
		in.MaxBytes = 1 << 20
	}
	if in.MaxConns <= 0 {
		in.MaxConns = 32
	}
	if in.MaxTime <= 0 {
		in.MaxTime = 5 * time.Minute
	}
	if in.Log == nil {
		in.Log = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	in.ln = &boundedListener{Listener: ln, slots: make(chan struct{}, in.MaxConns), maxTime: in.MaxTime}
	s := smtp.NewServer(inboundBackend{in})
	s.Domain = in.Domain
	s.MaxMessageBytes = in.MaxBytes
	s.MaxRecipients = 10
	s.MaxLineLength = 4000
	s.ReadTimeout, s.WriteTimeout = time.Minute, time.Minute
	s.ErrorLog = slog.NewLogLogger(in.Log.Handler(), slog.LevelDebug)
	in.srv = s
	in.wg.Go(func() { s.Serve(in.ln) })
	return nil
}

// Addr is where the listener listens.
func (in *Inbound) Addr() string { return in.ln.Addr().String() }

// Close stops the listener and ends its connections.
func (in *Inbound) Close() error {
	err := in.srv.Close()
	in.wg.Wait()
	return err
}

// boundedListener serves at most cap(slots) connections at once (the next
// wait in the kernel's queue) and ends each after maxTime, however slowly
// its client writes.
type boundedListener struct {
	net.Listener
	slots   chan struct{}
	maxTime time.Duration
}

func (l *boundedListener) Accept() (net.Conn, error) {
	l.slots <- struct{}{}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	bc := &boundedConn{Conn: c, release: func() { <-l.slots }}
	bc.timer = time.AfterFunc(l.maxTime, func() { bc.Close() })
	return bc, nil
}

type boundedConn struct {
	net.Conn
	once    sync.Once
	release func()
	timer   *time.Timer
}

func (c *boundedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.timer.Stop()
		c.release()
	})
	return err
}

type inboundBackend struct{ in *Inbound }

func (b inboundBackend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &inboundSession{in: b.in}, nil
}

type inboundSession struct {
	in   *Inbound
	from string
	rcpt []inboundRcpt
}

type inboundRcpt struct {
	bounce, unsubscribe bool
	token               string
}

var errNoSuchUser = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1},
	Message: "No such mailbox here: this server takes only replies to the forum's notifications"}

var errTryLater = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0},
	Message: "The forum cannot take mail right now; try again later"}

func (s *inboundSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

// Rcpt takes only bounce+…@Domain, reply+…@Domain and unsubscribe+…@Domain. Tokens are checked
// when the mail has arrived, so that a person who replied to a damaged
// address gets an answer saying so.
func (s *inboundSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	at := strings.LastIndexByte(to, '@')
	if at <= 0 || !strings.EqualFold(to[at+1:], s.in.Domain) {
		return errNoSuchUser
	}
	local := strings.ToLower(to[:at])
	switch {
	case strings.HasPrefix(local, bouncePrefix) && len(local) > len(bouncePrefix):
		s.rcpt = append(s.rcpt, inboundRcpt{bounce: true, token: local[len(bouncePrefix):]})
	case strings.HasPrefix(local, unsubscribePrefix) && len(local) > len(unsubscribePrefix):
		s.rcpt = append(s.rcpt, inboundRcpt{unsubscribe: true, token: local[len(unsubscribePrefix):]})
	case strings.HasPrefix(local, replyPrefix) && len(local) > len(replyPrefix):
		s.rcpt = append(s.rcpt, inboundRcpt{token: local[len(replyPrefix):]})
	default:
		return errNoSuchUser
	}
	return nil
}

func (s *inboundSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err // too large: go-smtp answers 552
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, rc := range s.rcpt {
		var err error
		switch {
		case rc.bounce:
			err = s.bounce(ctx, rc.token, raw)
		case rc.unsubscribe:
			err = s.unsubscribe(ctx, rc.token)
		default:
			err = s.reply(ctx, rc.token, raw)
		}
		if err != nil {
			s.in.Log.Warn("inbound mail: not handled, the sender is asked to try again", "err", err)
			return errTryLater
		}
	}
	return nil
}

// unsubscribe is the mailto of List-Unsubscribe: the mail's content does
// not matter, its address is the request. A token that is not valid is
// dropped (nobody to tell safely).
func (s *inboundSession) unsubscribe(ctx context.Context, token string) error {
	list, err := s.in.Inbox.Unsubscribe(ctx, token)
	if errors.Is(err, forum.ErrBadToken) || forum.ErrorCode(err) == forum.ENOTFOUND || forum.ErrorCode(err) == forum.EINVALID {
		s.in.Log.Info("inbound mail: unsubscribe address not valid")
		return nil
	}
	if err == nil {
		s.in.Log.Info("inbound mail: unsubscribed", "list", list)
	}
	return err
}

func (s *inboundSession) bounce(ctx context.Context, token string, raw []byte) error {
	msg, err := ReadMessage(raw)
	if err != nil {
		return nil // not a mail: nothing to learn from it
	}
	d, ok := ParseBounce(msg.Header, msg.Body)
	if !ok {
		return nil
	}
	stopped, err := s.in.Inbox.ReceiveBounce(ctx, forum.BounceMail{Token: token, Hard: d.Hard, Status: d.Status, Reason: d.Reason})
	if err == nil {
		s.in.Log.Info("inbound mail: bounce recorded", "hard", d.Hard, "status", d.Status, "mail_stopped", stopped)
	}
	return err
}

func (s *inboundSession) reply(ctx context.Context, token string, raw []byte) error {
	r := forum.ReplyMail{Token: token, ReturnPath: s.from}
	msg, err := ReadMessage(raw)
	if err != nil {
		r.Auto = true // unreadable headers: nobody to answer safely
	} else {
		h := msg.Header
		r.Auto = isAutoReply(h) || looksLikeBounce(h)
		if a, err := netmail.ParseAddress(h.Get("From")); err == nil {
			r.From = a.Address
		}
		r.Subject, _ = decodeHeader(h.Get("Subject"))
		r.MessageID = strings.TrimSpace(h.Get("Message-Id"))
		if text, err := ReplyText(h, msg.Body); err == nil {
			r.Text = TrimReply(text)
		}
	}
	p, refused, err := s.in.Inbox.ReceiveReply(ctx, r)
	switch {
	case err != nil:
		return err
	case refused != "":
		s.in.Log.Info("inbound mail: reply not posted", "why", refused)
	default:
		s.in.Log.Info("inbound mail: reply posted", "post", p.ID, "thread", p.ThreadID)
	}
	return nil
}

func (s *inboundSession) Reset() { s.from, s.rcpt = "", nil }

func (s *inboundSession) Logout() error { return nil }

// Inject hands raw mail to an SMTP server at addr as from to rcpt: `hearth
// mail inject` and the tests, in place of a mail program.
func Inject(addr, from, rcpt string, raw []byte) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if !bytes.Contains(raw, []byte("\r\n")) {
		raw = bytes.ReplaceAll(raw, []byte("\n"), []byte("\r\n"))
	}
	if err := transact(c, from, rcpt, raw); err != nil {
		return err
	}
	if err := c.Quit(); err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}
