package mail

import (
	"io"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Received is one message a Sink took.
type Received struct {
	From string
	To   []string
	Data []byte
	At   time.Time
}

// Sink is an SMTP server that keeps what it receives: the development
// mail server of `hearth mail sink`, and the real SMTP server the tests
// send to. Refuse, if set, answers a recipient with an error instead.
type Sink struct {
	// OnMessage, if set, is called with each message as it arrives.
	OnMessage func(Received)
	// Refuse, if set, decides each recipient's answer: nil takes it.
	Refuse func(to string) error
	// ErrorLog, if set, takes the server's connection errors (default
	// standard error); crash tests, whose clients die mid-session, mute it.
	ErrorLog smtp.Logger

	mu       sync.Mutex
	received []Received
	srv      *smtp.Server
	ln       net.Listener
}

// Listen starts the sink on addr ("127.0.0.1:0" for any free port).
func (s *Sink) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.ln = ln
	s.srv = smtp.NewServer(sinkBackend{s})
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	s.srv.MaxMessageBytes = 10 << 20
	s.srv.ReadTimeout, s.srv.WriteTimeout = time.Minute, time.Minute
	if s.ErrorLog != nil {
		s.srv.ErrorLog = s.ErrorLog
	}
	go s.srv.Serve(ln)
	return nil
}

// Addr is where the sink listens.
func (s *Sink) Addr() string { return s.ln.Addr().String() }

// Close stops the sink.
func (s *Sink) Close() error { return s.srv.Close() }

// Messages returns what the sink received so far.
func (s *Sink) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.received...)
}

// Count is how many messages the sink received.
func (s *Sink) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.received)
}

type sinkBackend struct{ s *Sink }

func (b sinkBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: b.s}, nil }

type sinkSession struct {
	s    *Sink
	from string
	to   []string
}

func (ss *sinkSession) AuthMechanisms() []string { return []string{"PLAIN"} }

func (ss *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}

func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if ss.s.Refuse != nil {
		if err := ss.s.Refuse(to); err != nil {
			return err
		}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := Received{From: ss.from, To: ss.to, Data: b, At: time.Now()}
	ss.s.mu.Lock()
	ss.s.received = append(ss.s.received, m)
	ss.s.mu.Unlock()
	if ss.s.OnMessage != nil {
		ss.s.OnMessage(m)
	}
	return nil
}

func (ss *sinkSession) Reset() { ss.from, ss.to = "", nil }

func (ss *sinkSession) Logout() error { return nil }

// Auth takes any PLAIN login: a sink checks nobody.
func (ss *sinkSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(string, string, string) error { return nil }), nil
}
