package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	netmail "net/mail"
	"sync"
	"sync/atomic"
	"time"

	"hearth/internal/forum"
)

// Outbox is the store's side of the worker (internal/store implements it).
type Outbox interface {
	ClaimMail(ctx context.Context, now time.Time, limit int) ([]*forum.OutboxMail, error)
	FinishMail(ctx context.Context, results []forum.MailResult, now time.Time) error
	RecoverMail(ctx context.Context, now time.Time) (int, error)
}

// Worker sends the outbox. Run it on every node: it works only while Held
// says this node holds the singleton lease, so one worker sends at a time.
type Worker struct {
	Outbox    Outbox
	Identity  Identity
	SMTP      SMTPConfig
	DKIM      *DKIM         // nil sends unsigned (development)
	Conns     int           // SMTP connections used at once; default 4
	PerMinute int           // at most this many mails a minute; 0 for no cap
	Poll      time.Duration // longest wait between looks at the outbox; default 1s
	Held      func() bool   // nil: always
	Log       *slog.Logger
	// BounceToken, if set, makes the envelope sender of each mail to a
	// member bounce+TOKEN@Domain (VERP), TOKEN naming member and outbox
	// row, so that a bounce says whose mail failed however the receiving
	// server words it. It is made at send time, not stored with the row:
	// every path that enqueues mail gets it, and a token is a keyed hash
	// of the row's own fields, the same on every try and every node.
	BounceToken func(ctx context.Context, memberID, outboxID int64) (string, error)

	// Counters for /metrics.
	Sent, Retried, Failed, InDoubt atomic.Int64

	once   sync.Once
	wake   chan struct{}
	sender *smtpSender
	pace   Pacer
}

// MaxAttempts is how often a mail is tried before it is given up: with
// the backoff below, over about a day and a half.
const MaxAttempts = 10

// Notify makes the worker look at the outbox now: call it after enqueuing.
func (w *Worker) Notify() {
	w.init()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *Worker) init() {
	w.once.Do(func() {
		w.wake = make(chan struct{}, 1)
		w.sender = &smtpSender{cfg: w.SMTP, helo: w.Identity.Domain}
		if w.Conns <= 0 {
			w.Conns = 4
		}
		if w.Poll <= 0 {
			w.Poll = time.Second
		}
		if w.Log == nil {
			w.Log = slog.New(slog.DiscardHandler)
		}
		if w.PerMinute > 0 {
			w.pace.Every = time.Minute / time.Duration(w.PerMinute)
		}
	})
}

// Run sends until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	w.init()
	defer w.sender.close()
	recovered := false
	for ctx.Err() == nil {
		if w.Held != nil && !w.Held() {
			recovered = false // another node may send meanwhile: look again once it is ours
			w.sleep(ctx)
			continue
		}
		if !recovered {
			n, err := w.Outbox.RecoverMail(ctx, time.Now())
			if err != nil {
				w.sleep(ctx)
				continue
			}
			if n > 0 {
				w.InDoubt.Add(int64(n))
				w.Log.Warn("mails were being sent when the mail worker stopped; they are sent again, and may reach their recipients twice", "in_doubt", n)
			}
			recovered = true
		}
		n, err := w.Round(ctx)
		if err != nil && ctx.Err() == nil {
			w.Log.Warn("mail worker: the outbox could not be read or updated; trying again", "err", err)
		}
		if n == 0 || err != nil {
			w.sleep(ctx)
		}
	}
}

func (w *Worker) sleep(ctx context.Context) {
	t := time.NewTimer(w.Poll)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-w.wake:
	}
}

// Round claims a batch of due mails, sends them over Conns connections and
// records what happened. It reports how many it claimed. A crash between
// the claim and the record leaves them in 'sending', which RecoverMail
// sends again: at most one batch can reach its recipients twice.
func (w *Worker) Round(ctx context.Context) (int, error) {
	w.init()
	batch, err := w.Outbox.ClaimMail(ctx, time.Now(), 8*w.Conns)
	if err != nil || len(batch) == 0 {
		return 0, err
	}
	results := make([]forum.MailResult, len(batch))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(w.Conns, len(batch)) {
		wg.Go(func() {
			for i := range next {
				results[i] = w.send(ctx, batch[i])
			}
		})
	}
	for i := range batch {
		next <- i
	}
	close(next)
	wg.Wait()
	// Recorded even if ctx ended meanwhile: what went out must be known.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return len(batch), w.Outbox.FinishMail(rctx, results, time.Now())
}

func (w *Worker) send(ctx context.Context, m *forum.OutboxMail) forum.MailResult {
	r := forum.MailResult{ID: m.ID}
	if m.Stopped != "" {
		w.Failed.Add(1)
		r.Failed, r.Err = true, "not sent: mail to this member's address stopped because it bounced ("+m.Stopped+"); the member turns it back on on their profile page"
		return r
	}
	err := w.pace.Wait(ctx)
	if err == nil {
		err = w.deliver(ctx, m)
	}
	var se *SendError
	switch {
	case err == nil:
		r.Sent = true
		w.Sent.Add(1)
	case errors.As(err, &se) && se.Permanent, m.Attempts >= MaxAttempts:
		r.Failed, r.Err = true, err.Error()
		w.Failed.Add(1)
		w.Log.Warn("mail not sent and given up", "id", m.ID, "kind", m.Kind, "attempts", m.Attempts, "err", err)
	default:
		r.Retry, r.Err = time.Now().Add(Backoff(m.Attempts)), err.Error()
		w.Retried.Add(1)
		w.Log.Info("mail not sent; it is tried again", "id", m.ID, "kind", m.Kind, "attempts", m.Attempts, "retry_in", time.Until(r.Retry).Round(time.Second), "err", err)
	}
	return r
}

// deliver composes, signs and sends one mail.
func (w *Worker) deliver(ctx context.Context, m *forum.OutboxMail) error {
	msg, err := Compose(w.Identity, m, time.Now())
	if err != nil {
		return &SendError{Permanent: true, Msg: err.Error()}
	}
	if w.DKIM != nil {
		if msg, err = w.DKIM.Sign(msg); err != nil {
			return &SendError{Msg: err.Error()}
		}
	}
	to, err := netmail.ParseAddress(m.To)
	if err != nil {
		return &SendError{Permanent: true, Msg: "the address is not valid"}
	}
	from := w.Identity.envelopeFrom(m.Sender)
	if m.MemberID != 0 && w.BounceToken != nil && w.Identity.Domain != "" {
		tok, err := w.BounceToken(ctx, m.MemberID, m.ID)
		if err != nil {
			return &SendError{Msg: "the bounce address could not be made: " + err.Error()}
		}
		from = BounceAddress(tok, w.Identity.Domain)
	}
	return w.sender.send(from, to.Address, msg)
}

// BounceAddress is the envelope sender of a mail whose bounce token is tok.
func BounceAddress(tok, domain string) string { return bouncePrefix + tok + "@" + domain }

// The local parts' prefixes of the addresses the inbound listener takes.
const (
	bouncePrefix      = "bounce+"
	replyPrefix       = "reply+"
	unsubscribePrefix = "unsubscribe+" // the mailto of List-Unsubscribe
)

// Backoff is how long to wait after attempt n (1 for the first) failed:
// a minute, doubling up to six hours, each wait moved up to a fifth
// either way so that mails failed together do not come back together.
func Backoff(n int) time.Duration {
	d := time.Minute << min(max(n-1, 0), 9)
	d = min(d, 6*time.Hour)
	jitter := time.Duration(rand.Int64N(int64(d)/5*2+1)) - d/5
	return d + jitter
}

// Pacer spaces sends to stay under a server's cap, across the goroutines
// that share it: the worker's and the broadcast's.
type Pacer struct {
	Every time.Duration // between two sends; 0: no pacing
	mu    sync.Mutex
	next  time.Time
}

// Wait waits for the next send's turn, or until ctx ends.
func (p *Pacer) Wait(ctx context.Context) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if p.Every == 0 {
		return nil
	}
	p.mu.Lock()
	now := time.Now()
	at := now
	if p.next.After(now) {
		at = p.next
	}
	p.next = at.Add(p.Every)
	p.mu.Unlock()
	if d := at.Sub(now); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return fmt.Errorf("stopped before its turn: %w", ctx.Err())
		case <-t.C:
		}
	}
	return nil
}
