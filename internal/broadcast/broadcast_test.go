package broadcast_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	netmail "net/mail"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-smtp"

	"hearth/internal/broadcast"
	"hearth/internal/forum"
	"hearth/internal/mail"
	"hearth/internal/roster"
)

const base = "https://forum.example.org"

// writeRoster puts n members (ids 1..n, addresses mID@example.org) on the
// roster of dir; edit changes an entry before it is saved.
func writeRoster(t testing.TB, dir string, n int, edit func(e *roster.Entry)) {
	t.Helper()
	r := &roster.Roster{Site: "Travel Agents", BaseURL: base, BuiltAt: time.Now().UTC()}
	for i := 1; i <= n; i++ {
		e := roster.Entry{ID: int64(i), Name: fmt.Sprintf("Member %d", i), Email: fmt.Sprintf("m%d@example.org", i),
			Status: forum.StatusActive, UnsubscribeURL: fmt.Sprintf("%s/unsubscribe/%s.broadcast.mac%d", base, strconv.FormatInt(int64(i), 36), i)}
		if edit != nil {
			edit(&e)
		}
		r.Entries = append(r.Entries, e)
	}
	if err := roster.Save(dir, nil, r); err != nil {
		t.Fatal(err)
	}
}

func startSink(t testing.TB, s *mail.Sink) mail.SMTPConfig {
	t.Helper()
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	host, port, _ := net.SplitHostPort(s.Addr())
	p, _ := strconv.Atoi(port)
	return mail.SMTPConfig{Host: host, Port: p, TLS: mail.NoTLS}
}

var identity = mail.Identity{SiteName: "Travel Agents", Domain: "forum.example.org", FromAccount: "forum@forum.example.org", FromNotify: "news@forum.example.org"}

// perMember counts the messages each address received.
func perMember(msgs []mail.Received) map[string]int {
	n := map[string]int{}
	for _, m := range msgs {
		for _, to := range m.To {
			n[to]++
		}
	}
	return n
}

// TestBroadcast mails a small roster: who gets it, what each mail carries
// (signed headers, the one-click unsubscribe, the links in the body), 5xx
// and 4xx answers, and a rerun that sends nothing twice.
func TestBroadcast(t *testing.T) {
	dir := t.TempDir()
	writeRoster(t, dir, 6, func(e *roster.Entry) {
		switch e.ID {
		case 2:
			e.Unsubscribed = true
		case 3:
			e.Bounced = true
		}
	})
	var mu sync.Mutex
	tempFails := 0
	sink := &mail.Sink{Refuse: func(to string) error {
		switch to {
		case "m4@example.org":
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user m4@example.org"}
		case "m5@example.org":
			mu.Lock()
			defer mu.Unlock()
			if tempFails < 2 {
				tempFails++
				return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
			}
		}
		return nil
	}}
	cfg := startSink(t, sink)
	key, err := mail.LoadOrCreateDKIM(dir, identity.Domain, "hearth")
	if err != nil {
		t.Fatal(err)
	}
	opts := broadcast.Options{DataDir: dir, Subject: "The forum is down — we are on it", Body: "The database failed at 6:40.\nWe restore it now.\n",
		Identity: identity, SMTP: cfg, DKIM: key, Conns: 3, RetryWait: time.Millisecond}
	run, err := broadcast.Start(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	p, err := run.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if p.Total != 4 || p.Sent != 3 || p.Failed != 1 || p.Remaining != 0 || !p.Done || len(p.Failures) != 1 ||
		p.Failures[0].MemberID != 4 || p.Failures[0].Code != 550 || strings.Contains(p.Failures[0].Message, "@") {
		t.Errorf("progress %+v", p)
	}
	got := perMember(sink.Messages())
	if fmt.Sprint(got) != "map[m1@example.org:1 m5@example.org:1 m6@example.org:1]" {
		t.Errorf("received %v", got)
	}
	for _, r := range sink.Messages() {
		verifyDKIM(t, key, r.Data)
		if r.From != "news@forum.example.org" {
			t.Errorf("envelope from %q", r.From)
		}
		m, err := netmail.ReadMessage(bytes.NewReader(r.Data))
		if err != nil {
			t.Fatal(err)
		}
		id := strings.TrimSuffix(strings.TrimPrefix(r.To[0], "m"), "@example.org")
		n, _ := strconv.ParseInt(id, 10, 64)
		url := fmt.Sprintf("%s/unsubscribe/%s.broadcast.mac%d", base, strconv.FormatInt(n, 36), n)
		for k, want := range map[string]string{
			"List-Unsubscribe":      "<" + url + ">",
			"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
			"Auto-Submitted":        "auto-generated",
			"Message-Id":            fmt.Sprintf("<broadcast-%s-%d@forum.example.org>", run.ID(), n),
			"To":                    fmt.Sprintf(`"Member %d" <m%d@example.org>`, n, n),
		} {
			if got := m.Header.Get(k); got != want {
				t.Errorf("%s: %q, want %q", k, got, want)
			}
		}
		body, _ := io.ReadAll(m.Body)
		text := strings.ReplaceAll(string(body), "=\r\n", "")
		for _, want := range []string{"The database failed at 6:40.", base + "/status", url} {
			if !strings.Contains(text, want) {
				t.Errorf("the body lacks %q:\n%s", want, text)
			}
		}
	}
	st, err := broadcast.Status(dir, run.ID(), nil)
	if err != nil || st.Sent != 3 || st.Failed != 1 || !st.Done || st.Running || len(st.Failures) != 1 || st.Failures[0].Name != "Member 4" {
		t.Errorf("status %+v %v", st, err)
	}
	// The same command again: nothing more to send, and nobody mailed twice.
	run, err = broadcast.Start(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := run.Wait(); err != nil || p.Sent != 3 || p.Failed != 1 || !p.Done || p.Rate != 0 {
		t.Errorf("rerun %+v %v", p, err)
	}
	if sink.Count() != 3 {
		t.Errorf("the rerun sent %d more", sink.Count()-3)
	}
	// Another message under the same ID is refused.
	opts.Body = "Something else"
	opts.ID = run.ID()
	if _, err := broadcast.Start(t.Context(), opts); err == nil || !strings.Contains(err.Error(), "another message") {
		t.Errorf("another message under the same ID: %v", err)
	}
	if ps, err := broadcast.List(dir); err != nil || len(ps) != 1 || ps[0].ID != run.ID() {
		t.Errorf("List: %+v %v", ps, err)
	}
}

func verifyDKIM(t *testing.T, key *mail.DKIM, msg []byte) {
	t.Helper()
	name, value, err := key.DNSRecord()
	if err != nil {
		t.Fatal(err)
	}
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(msg), &dkim.VerifyOptions{LookupTXT: func(domain string) ([]string, error) {
		if domain != name {
			return nil, fmt.Errorf("no TXT record at %s", domain)
		}
		return []string{value}, nil
	}})
	if err != nil || len(vs) != 1 || vs[0].Err != nil {
		t.Fatalf("DKIM: %v %+v", err, vs)
	}
	for _, h := range []string{"list-unsubscribe", "list-unsubscribe-post"} {
		found := false
		for _, k := range vs[0].HeaderKeys {
			found = found || strings.EqualFold(k, h)
		}
		if !found {
			t.Errorf("the DKIM signature does not cover %s: %v", h, vs[0].HeaderKeys)
		}
	}
}

// TestResume: a journal left by a stopped run (one member sent, one in
// flight, a torn last line) is resumed: the one in flight is sent again
// and counted in doubt, the sent one is not, and everyone else is.
func TestResume(t *testing.T) {
	for _, tc := range []struct {
		name     string
		journal  string
		wantSent []string // members mailed by the resumed run
		inDoubt  int
	}{
		{"nothing yet", "", []string{"m1", "m2", "m3", "m4"}, 0},
		{"one in flight", "b 1 4 0\ns 1\nd 1\ns 2\n", []string{"m2", "m3", "m4"}, 1},
		{"torn outcome", "b 1 4 0\ns 1\nd 1\ns 2\nd 2\ns 3\nd", []string{"m3", "m4"}, 1},
		{"deferred", "b 1 4 0\ns 1\nt 1 451 try later\ns 2\nd 2\ne 2\n", []string{"m1", "m3", "m4"}, 0},
		{"failed for good", "b 1 4 0\ns 1\nf 1 550 no such user\n", []string{"m2", "m3", "m4"}, 0},
		{"two stops", "b 1 4 0\ns 1\ns 2\nb 2 4 2\ns 2\n", []string{"m1", "m2", "m3", "m4"}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeRoster(t, dir, 4, nil)
			sink := &mail.Sink{}
			cfg := startSink(t, sink)
			opts := broadcast.Options{DataDir: dir, ID: "resume", Subject: "S", Body: "B", Identity: identity, SMTP: cfg}
			if tc.journal != "" {
				bdir := filepath.Join(dir, broadcast.Dir, "resume")
				os.MkdirAll(bdir, 0o700)
				os.WriteFile(filepath.Join(bdir, "message.json"), []byte(`{"id":"resume","subject":"S","body":"B"}`), 0o600)
				os.WriteFile(filepath.Join(bdir, "journal"), []byte(tc.journal), 0o600)
				opts.Resume, opts.Subject, opts.Body = true, "", ""
				opts.ID = ""
			}
			run, err := broadcast.Start(t.Context(), opts)
			if err != nil {
				t.Fatal(err)
			}
			p, err := run.Wait()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for to := range perMember(sink.Messages()) {
				got = append(got, strings.TrimSuffix(to, "@example.org"))
			}
			if fmt.Sprint(sortStrings(got)) != fmt.Sprint(tc.wantSent) {
				t.Errorf("sent to %v, want %v", got, tc.wantSent)
			}
			wantFailed := 0
			if tc.name == "failed for good" {
				wantFailed = 1
			}
			if p.InDoubt != tc.inDoubt || p.Failed != wantFailed || p.Sent+p.Failed != 4 || !p.Done {
				t.Errorf("progress %+v", p)
			}
			st, err := broadcast.Status(dir, "resume", nil)
			if err != nil || st.Sent != p.Sent || st.InDoubt != tc.inDoubt || !st.Done {
				t.Errorf("status %+v %v", st, err)
			}
		})
	}
}

func sortStrings(s []string) []string {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s
}

// TestDryRun composes and signs every mail and sends none.
func TestDryRun(t *testing.T) {
	dir := t.TempDir()
	writeRoster(t, dir, 5, func(e *roster.Entry) {
		if e.ID == 5 {
			e.Email = "not an address"
		}
	})
	sink := &mail.Sink{}
	cfg := startSink(t, sink)
	run, err := broadcast.Start(t.Context(), broadcast.Options{DataDir: dir, Subject: "S", Body: "B", Identity: identity, SMTP: cfg, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	p, err := run.Wait()
	if err != nil || p.Sent != 4 || p.Failed != 1 || !p.DryRun {
		t.Errorf("dry run %+v %v", p, err)
	}
	if sink.Count() != 0 {
		t.Errorf("a dry run sent %d", sink.Count())
	}
	if _, err := os.Stat(filepath.Join(dir, broadcast.Dir)); !os.IsNotExist(err) {
		t.Errorf("a dry run wrote its folder: %v", err)
	}
}

// TestNoRoster says how to get one.
func TestNoRoster(t *testing.T) {
	_, err := broadcast.Start(t.Context(), broadcast.Options{DataDir: t.TempDir(), Subject: "S", Body: "B"})
	if err == nil || !strings.Contains(err.Error(), "hearth roster rebuild") {
		t.Errorf("without a roster: %v", err)
	}
}
