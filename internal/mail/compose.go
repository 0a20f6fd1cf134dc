// Package mail sends the outbox: it composes each row into a MIME message
// (text and HTML parts, the headers mail clients and bulk-sender rules
// want), signs it with DKIM, and hands it to an SMTP server, retrying what
// can be retried. One worker runs per forum, on the node holding the
// singleton lease.
package mail

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"slices"
	"strings"
	"time"

	"hearth/internal/forum"
)

// Identity is who the forum's mail comes from.
type Identity struct {
	SiteName    string
	Domain      string // the mail domain: Message-IDs, DKIM, VERP
	FromAccount string // address of account mail
	FromNotify  string // address of notifications and digests
}

// from returns the From header of a mail of sender.
func (id Identity) from(sender forum.MailSender) string {
	addr := id.FromAccount
	if sender == forum.SenderNotify && id.FromNotify != "" {
		addr = id.FromNotify
	}
	return (&mail.Address{Name: id.SiteName, Address: addr}).String()
}

// EnvelopeFrom is the SMTP MAIL FROM of a mail of sender.
func (id Identity) EnvelopeFrom(sender forum.MailSender) string { return id.envelopeFrom(sender) }

func (id Identity) envelopeFrom(sender forum.MailSender) string {
	if sender == forum.SenderNotify && id.FromNotify != "" {
		return id.FromNotify
	}
	return id.FromAccount
}

// MessageID is the Message-ID of outbox row id: the same on every try, so a
// mail sent twice after a crash is one message to clients that dedupe.
func (id Identity) MessageID(rowID int64) string {
	return fmt.Sprintf("<outbox-%d@%s>", rowID, id.Domain)
}

// reserved are the headers Compose writes itself; a row's own headers
// cannot replace them.
var reserved = []string{"from", "to", "subject", "date", "message-id", "mime-version", "content-type", "content-transfer-encoding", "dkim-signature"}

// Compose writes the message for m: multipart/alternative with a text and
// (if there is one) an HTML part, quoted-printable, CRLF line ends.
func Compose(id Identity, m *forum.OutboxMail, now time.Time) ([]byte, error) {
	return ComposeWithMessageID(id, m, id.MessageID(m.ID), now)
}

// ComposeWithMessageID is Compose for a mail that is no outbox row (a
// broadcast): the caller names its Message-ID, the same on every try.
func ComposeWithMessageID(id Identity, m *forum.OutboxMail, messageID string, now time.Time) ([]byte, error) {
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return nil, fmt.Errorf("the address %q is not valid: %w", m.To, err)
	}
	var b bytes.Buffer
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	h("From", id.from(m.Sender))
	h("To", to.String())
	h("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	h("Date", now.UTC().Format(time.RFC1123Z))
	h("Message-ID", messageID)
	h("MIME-Version", "1.0")
	keys := make([]string, 0, len(m.Headers))
	for k := range m.Headers {
		if !slices.Contains(reserved, strings.ToLower(k)) && validHeader(k, m.Headers[k]) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		h(k, m.Headers[k])
	}
	if _, ok := m.Headers["Auto-Submitted"]; !ok {
		h("Auto-Submitted", "auto-generated")
	}
	if m.HTML == "" {
		h("Content-Type", `text/plain; charset="utf-8"`)
		h("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		writeQP(&b, m.Text)
		return b.Bytes(), nil
	}
	boundary := randomBoundary()
	h("Content-Type", `multipart/alternative; boundary="`+boundary+`"`)
	b.WriteString("\r\n")
	for _, part := range []struct{ ctype, body string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		fmt.Fprintf(&b, "--%s\r\nContent-Type: %s; charset=\"utf-8\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n", boundary, part.ctype)
		writeQP(&b, part.body)
		b.WriteString("\r\n")
	}
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return b.Bytes(), nil
}

// validHeader refuses names and values that would break the header block.
func validHeader(k, v string) bool {
	if k == "" || strings.ContainsAny(k, ": \t\r\n") || strings.ContainsAny(v, "\r\n") {
		return false
	}
	return true
}

func writeQP(b *bytes.Buffer, text string) {
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\n", "\r\n")
	w := quotedprintable.NewWriter(b)
	w.Write([]byte(text))
	w.Close()
}

func randomBoundary() string {
	var r [12]byte
	rand.Read(r[:])
	return "hearth-" + hex.EncodeToString(r[:])
}
