package mail_test

import (
	"testing"

	"hearth/internal/mail"
)

// TestParseBounce: standard reports and the common older forms; an
// out-of-office reply or a delivered report is no bounce.
func TestParseBounce(t *testing.T) {
	for _, c := range []struct {
		name, eml string
		ok, hard  bool
		status    string
	}{
		{"rfc 3464 hard", "From: MAILER-DAEMON@mx.example\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n--b\nContent-Type: text/plain\n\nfailed\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@x\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\n--b--\n", true, true, "5.1.1"},
		{"rfc 3464 mailbox full", "From: MAILER-DAEMON@mx.example\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@x\nAction: failed\nStatus: 4.2.2\nDiagnostic-Code: smtp; 452 4.2.2 mailbox full\n--b--\n", true, false, "4.2.2"},
		{"rfc 3464 delivered", "From: MAILER-DAEMON@mx.example\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@x\nAction: delivered\nStatus: 2.0.0\n--b--\n", false, false, ""},
		{"qmail", "From: MAILER-DAEMON@mail.example\nSubject: failure notice\n\nHi. This is the qmail-send program at mail.example.\nI'm afraid I wasn't able to deliver your message to the following addresses.\n\n<ada@example.org>:\nSorry, no mailbox here by that name. (#5.1.1)\n", true, true, "5.1.1"},
		{"exim without status", "From: Mail Delivery System <Mailer-Daemon@mx.example>\nSubject: Mail delivery failed: returning message to sender\nX-Failed-Recipients: ada@example.org\n\nThis message was created automatically by mail delivery software.\n\n  ada@example.org\n    SMTP error from remote mail server after RCPT TO:<ada@example.org>:\n    550 No such user here\n", true, true, ""},
		{"exim over quota", "From: Mailer-Daemon@mx.example\nSubject: Mail delivery failed\n\n  ada@example.org\n    mailbox is full: retry timeout exceeded\n", true, false, ""},
		{"out of office", "From: ada@example.org\nSubject: Out of office\nAuto-Submitted: auto-replied\n\nI am away until Monday (back 3.1.2026).\n", false, false, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			msg, err := mail.ReadMessage([]byte(c.eml))
			if err != nil {
				t.Fatal(err)
			}
			d, ok := mail.ParseBounce(msg.Header, msg.Body)
			if ok != c.ok || (ok && (d.Hard != c.hard || d.Status != c.status)) {
				t.Errorf("got %+v ok %v; want ok %v hard %v status %q", d, ok, c.ok, c.hard, c.status)
			}
		})
	}
}
