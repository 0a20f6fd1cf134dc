package mail

// Sender sends mail that is no outbox row (a broadcast while the database
// is down) over the same reused SMTP connections as the worker: one per
// goroutine calling Send at once.
type Sender struct{ s *smtpSender }

// NewSender returns a sender to cfg that greets as helo (the mail domain).
func NewSender(cfg SMTPConfig, helo string) *Sender {
	return &Sender{s: &smtpSender{cfg: cfg, helo: helo}}
}

// Send delivers msg from envelope sender from to rcpt. Its error is a
// *SendError: Permanent for a 5xx answer.
func (s *Sender) Send(from, rcpt string, msg []byte) error { return s.s.send(from, rcpt, msg) }

// Close ends the idle connections.
func (s *Sender) Close() { s.s.close() }
