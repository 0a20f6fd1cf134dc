package mail

import (
	"bufio"
	"bytes"
	"io"
	"mime"
	netmail "net/mail"
	"regexp"
	"strings"
)

// DSN is what a delivery report says of the failed recipient.
type DSN struct {
	Hard   bool   // permanent (5.x.x): the address takes no mail
	Status string // "5.1.1"; "" when only the words said it
	Reason string // the receiving server's answer, for the member and the admin
}

var (
	enhancedStatus = regexp.MustCompile(`\b([245])\.(\d{1,3})\.(\d{1,3})\b`)
	smtpReply      = regexp.MustCompile(`(?m)\b([45])\d\d[ -]`)
	hardWords      = regexp.MustCompile(`(?i)user unknown|unknown user|no such user|mailbox unavailable|does not exist|doesn't exist|address rejected|invalid recipient|recipient not found|account (has been )?disabled|no mailbox|mailbox not found`)
	softWords      = regexp.MustCompile(`(?i)mailbox (is )?full|over quota|quota exceeded|insufficient storage|temporarily|try again later|delayed`)
)

// ParseBounce reads a delivery report: the standard multipart/report with
// a message/delivery-status part (RFC 3464), or one of the common older
// forms, a text body quoting the receiving server ("550 5.1.1 <ada@…>:
// user unknown", qmail's and Exim's). ok is false for anything else (an
// out-of-office reply sent to the bounce address is no bounce), and for a
// report that says the mail was delivered or only delayed.
func ParseBounce(h netmail.Header, body io.Reader) (d DSN, ok bool) {
	parts, _ := leaves(h, body)
	for _, p := range parts {
		if p.ctype == "message/delivery-status" || p.ctype == "message/global-delivery-status" {
			return parseDeliveryStatus(p.body)
		}
	}
	if isAutoReply(h) && !looksLikeBounce(h) {
		return DSN{}, false
	}
	var text strings.Builder
	for _, p := range parts {
		switch p.ctype {
		case "text/plain":
			text.WriteString(utf8Text(p.body, p.params["charset"]))
			text.WriteString("\n")
		case "text/html":
			text.WriteString(HTMLText(utf8Text(p.body, p.params["charset"])))
			text.WriteString("\n")
		}
		if text.Len() > 64<<10 {
			break
		}
	}
	return parseBounceText(text.String(), looksLikeBounce(h))
}

// looksLikeBounce is a mail from a mail server about a failed delivery.
func looksLikeBounce(h netmail.Header) bool {
	from := strings.ToLower(h.Get("From"))
	subject, _ := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	subject = strings.ToLower(subject)
	return strings.Contains(from, "mailer-daemon") || strings.Contains(from, "postmaster") ||
		h.Get("X-Failed-Recipients") != "" ||
		strings.Contains(subject, "undeliver") || strings.Contains(subject, "delivery status") ||
		strings.Contains(subject, "delivery failure") || strings.Contains(subject, "failure notice") ||
		strings.Contains(subject, "returned mail") || strings.Contains(subject, "delivery failed") ||
		strings.Contains(subject, "unzustellbar") || strings.Contains(subject, "non remis")
}

// parseDeliveryStatus reads the per-recipient fields of a delivery-status
// part: the first recipient that failed, or was delayed, decides.
func parseDeliveryStatus(b []byte) (DSN, bool) {
	groups := bytes.Split(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")), []byte("\n\n"))
	for _, g := range groups[min(1, len(groups)-1):] { // the first group is the per-message fields
		fields := map[string]string{}
		var last string
		sc := bufio.NewScanner(bytes.NewReader(g))
		for sc.Scan() {
			line := sc.Text()
			if (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")) && last != "" {
				fields[last] += " " + strings.TrimSpace(line)
				continue
			}
			k, v, found := strings.Cut(line, ":")
			if !found {
				continue
			}
			last = strings.ToLower(strings.TrimSpace(k))
			fields[last] = strings.TrimSpace(v)
		}
		action := strings.ToLower(fields["action"])
		if action != "failed" && action != "delayed" {
			continue
		}
		d := DSN{}
		if m := enhancedStatus.FindStringSubmatch(fields["status"]); m != nil {
			d.Status = m[0]
		}
		d.Reason = fields["diagnostic-code"]
		if _, after, ok := strings.Cut(d.Reason, ";"); ok {
			d.Reason = strings.TrimSpace(after) // "smtp; 550 …"
		}
		if d.Reason == "" {
			d.Reason = "the receiving server reported the mail " + action
		}
		d.Hard = action == "failed" && strings.HasPrefix(d.Status, "5")
		if d.Status == "" && action == "failed" {
			d.Hard = !softWords.MatchString(d.Reason)
		}
		return d, true
	}
	return DSN{}, false
}

// parseBounceText reads an older report's words: the receiving server's
// answer, its enhanced status code first, else its reply code, else
// words that say what happened (only in what looks like a bounce).
func parseBounceText(text string, bounce bool) (DSN, bool) {
	line := func(at int) string {
		start := strings.LastIndexByte(text[:at], '\n') + 1
		end := strings.IndexByte(text[at:], '\n')
		if end < 0 {
			end = len(text) - at
		}
		return strings.TrimSpace(text[start : at+end])
	}
	if loc := enhancedStatus.FindStringSubmatchIndex(text); loc != nil && text[loc[2]] != '2' {
		st := text[loc[0]:loc[1]]
		return DSN{Hard: st[0] == '5', Status: st, Reason: line(loc[0])}, true
	}
	if !bounce {
		return DSN{}, false
	}
	if loc := smtpReply.FindStringIndex(text); loc != nil {
		return DSN{Hard: text[loc[0]] == '5' && !softWords.MatchString(line(loc[0])), Reason: line(loc[0])}, true
	}
	if loc := hardWords.FindStringIndex(text); loc != nil {
		return DSN{Hard: true, Reason: line(loc[0])}, true
	}
	if loc := softWords.FindStringIndex(text); loc != nil {
		return DSN{Reason: line(loc[0])}, true
	}
	return DSN{}, false
}

// isAutoReply is a mail no person wrote now: RFC 3834's Auto-Submitted,
// the older X-Autoreply and X-Autorespond, bulk and list Precedence, a
// mailing list's List-Id, a delivery report.
func isAutoReply(h netmail.Header) bool {
	if v := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); v != "" && !strings.HasPrefix(v, "no") {
		return true
	}
	if h.Get("X-Autoreply") != "" || h.Get("X-Autorespond") != "" || h.Get("X-Autoresponder") != "" || h.Get("List-Id") != "" {
		return true
	}
	switch strings.ToLower(strings.TrimSpace(h.Get("Precedence"))) {
	case "bulk", "junk", "list", "auto_reply":
		return true
	}
	ct, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	return ct == "multipart/report"
}
