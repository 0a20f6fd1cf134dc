package forum

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ReplyAddress is the address a member replies to by mail to post in a
// thread: reply+TOKEN@MAILDOMAIN, the token naming member and thread.
// Notification mail sets it as Reply-To.
func (s *Service) ReplyAddress(ctx context.Context, memberID, threadID int64) (string, error) {
	if s.site.MailDomain == "" {
		return "", fmt.Errorf("forum: no mail domain set for reply addresses")
	}
	tok, err := s.MailToken(ctx, TokenReply, memberID, strconv.FormatInt(threadID, 10))
	if err != nil {
		return "", err
	}
	return "reply+" + tok + "@" + s.site.MailDomain, nil
}

// ReplyMail is a mail received at a reply address, as internal/mail read it.
type ReplyMail struct {
	Token      string // the reply address's token: after "reply+"
	From       string // the address of the From header, "" if it had none
	ReturnPath string // the envelope sender (MAIL FROM); "" for a bounce
	// Auto is a mail no person wrote: a bounce, an auto-reply, a list or
	// bulk mail (Auto-Submitted, X-Autoreply, Precedence, …). It is never
	// posted and never answered.
	Auto      bool
	Subject   string
	MessageID string
	Text      string // what the member wrote, trimmed of quotes and signature
}

// AnswerInterval is how long after an answer to a sender no other goes to
// them: a sender whose replies keep failing gets one mail an hour at most.
const AnswerInterval = time.Hour

// ReceiveReply posts a reply that came by mail, as its member, through
// Reply: the web's rules (rate limit, locked thread, suspension,
// read-only mode, the thread's visibility) apply unchanged. A mail that
// cannot be posted is refused: an automatic one silently; a person gets
// one answer saying why (at most one an hour). refused says why, for the
// log; err is a failure to retry (the database did not answer), for which
// the SMTP server answers "try again later".
func (s *Service) ReceiveReply(ctx context.Context, r ReplyMail) (p *Post, refused string, err error) {
	if r.Auto || r.ReturnPath == "" {
		return nil, "an automatic mail", nil
	}
	memberID, extra, err := s.CheckMailToken(ctx, TokenReply, r.Token)
	if err != nil && !errors.Is(err, ErrBadToken) {
		return nil, "", err
	}
	threadID, perr := strconv.ParseInt(extra, 10, 64)
	if errors.Is(err, ErrBadToken) || perr != nil {
		return nil, "not a valid reply address", s.answer(ctx, r,
			"This address does not take replies: it is not one of the reply addresses the forum sends, or it was changed on the way. Reply on the forum instead: "+s.site.BaseURL)
	}
	m, err := s.store.MemberByID(ctx, memberID)
	if errors.Is(err, ErrNotFound) {
		return nil, "no such member", s.answer(ctx, r, "The account this reply address belongs to no longer exists.")
	}
	if err != nil {
		return nil, "", err
	}
	if !strings.EqualFold(strings.TrimSpace(r.From), m.Email) {
		// Anyone can learn a reply address (a forwarded mail): only its
		// member's own address may post with it.
		return nil, "not from the member's address", s.answer(ctx, r,
			"This reply came from an address other than the one its account uses, so it was not posted. Send it from the address the forum writes to, or reply on the forum: "+s.threadLink(threadID))
	}
	p, err = s.Reply(ctx, m, threadID, r.Text, 0)
	switch code := ErrorCode(err); code {
	case "":
		return p, "", nil
	case EUNAVAILABLE, EINTERNAL:
		return nil, "", err
	case ENOTFOUND:
		return nil, "no such thread", s.answer(ctx, r, "The thread this reply was for no longer exists, or you can no longer read it.")
	default:
		msg := err.Error()
		var fe *Error
		if errors.As(err, &fe) {
			msg = fe.Message
		}
		return nil, string(code), s.answer(ctx, r, "Your reply was not posted: "+msg+"\n\nYou can reply on the forum instead: "+s.threadLink(threadID))
	}
}

func (s *Service) threadLink(id int64) string {
	return s.site.BaseURL + "/t/" + strconv.FormatInt(id, 10)
}

// noAnswer are local parts that are machines: never answered.
var noAnswer = []string{"mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply", "bounce", "bounces"}

// answer enqueues the one answer to a refused reply: to the envelope
// sender (RFC 3834), marked auto-replied so that no responder answers it,
// never to our own domain or a machine, at most one per sender per
// AnswerInterval.
func (s *Service) answer(ctx context.Context, r ReplyMail, why string) error {
	to := strings.ToLower(strings.TrimSpace(r.ReturnPath))
	at := strings.LastIndexByte(to, '@')
	if at <= 0 {
		return nil
	}
	local, domain := to[:at], to[at+1:]
	if s.site.MailDomain != "" && strings.EqualFold(domain, s.site.MailDomain) {
		return nil
	}
	for _, n := range noAnswer {
		if local == n || strings.HasPrefix(local, n+"+") || strings.HasPrefix(local, n+"-") {
			return nil
		}
	}
	sum := sha256.Sum256([]byte(to))
	key := hex.EncodeToString(sum[:16])
	now := s.now()
	subject := "Your reply to " + s.siteName() + " was not posted"
	if r.Subject != "" {
		subject = "Not posted: " + r.Subject
	}
	headers := map[string]string{"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All", "Precedence": "auto_reply"}
	if id := strings.TrimSpace(r.MessageID); id != "" && !strings.ContainsAny(id, "\r\n") {
		headers["In-Reply-To"], headers["References"] = id, id
	}
	m := &Mail{
		At: now, Key: fmt.Sprintf("answer:%s:%d", key, now.UnixNano()), Kind: "inbound.refused", To: to, Sender: SenderAccount,
		Subject: subject, Headers: headers,
		Text: fmt.Sprintf("Hello,\n\n%s\n\nThis is an automatic answer from %s; you get at most one an hour.\n", why, s.siteName()),
	}
	_, err := s.store.EnqueueAnswer(ctx, key, now.Add(-AnswerInterval), m)
	return err
}
