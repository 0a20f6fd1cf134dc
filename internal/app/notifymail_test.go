package app_test

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"hearth/internal/app"
	"hearth/internal/app/apptest"
	"hearth/internal/forum"
	"hearth/internal/mail"
)

// received waits for the next mail to addr after the first n and returns
// it parsed, with its raw bytes.
func received(t *testing.T, sink *mail.Sink, addr string, n int) (*netmail.Message, []byte) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		seen := 0
		for _, r := range sink.Messages() {
			if len(r.To) != 1 || r.To[0] != addr {
				continue
			}
			if seen++; seen > n {
				msg, err := netmail.ReadMessage(bytes.NewReader(r.Data))
				if err != nil {
					t.Fatal(err)
				}
				return msg, r.Data
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mail %d to %s within 15 s", n+1, addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestNotificationMailEndToEnd: a reply in a member's thread reaches a
// real SMTP server as a mail signed with DKIM (verified by a second
// implementation) over its one-click unsubscribe headers; a POST to its
// unsubscribe link with no cookie, no CSRF token and another site's
// Origin stops the next such mail at once, while other kinds still come;
// the settings page shows and changes the choice.
func TestNotificationMailEndToEnd(t *testing.T) {
	sink := &mail.Sink{}
	if err := sink.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	host, port, _ := net.SplitHostPort(sink.Addr())
	p, _ := strconv.Atoi(port)
	dataDir := t.TempDir()
	a := apptest.Start(t, app.Config{Log: testLog(t), SiteName: "Travel Agents", DataDir: dataDir, Mail: app.MailConfig{
		SMTP: mail.SMTPConfig{Host: host, Port: p, TLS: mail.NoTLS}, From: "accounts@forum.example.org",
		FromNotify: "notify@forum.example.org", Domain: "forum.example.org",
	}})
	ctx := t.Context()
	svc := a.Service
	ada, err := svc.CreateMember(ctx, adminMember())
	if err != nil {
		t.Fatal(err)
	}
	mia, err := svc.CreateMember(ctx, forum.NewMember{Email: "mia@example.org", Name: "Mia Member", Password: "member-password"})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := svc.CreateCategory(ctx, ada, forum.CategoryInput{Name: "Ferries"})
	if err != nil {
		t.Fatal(err)
	}
	th, _, err := svc.CreateThread(ctx, mia, forum.NewThread{CategoryID: cat.ID, Title: "Night ferry to Tangier", Body: "Who has taken it?"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Reply(ctx, ada, th.ID, "I did: the cabins are fine.", 0); err != nil {
		t.Fatal(err)
	}
	msg, raw := received(t, sink, "mia@example.org", 0)
	h := msg.Header
	if subj, _ := new(mime.WordDecoder).DecodeHeader(h.Get("Subject")); subj != "Root Admin replied in “Night ferry to Tangier”" {
		t.Errorf("subject %q", subj)
	}
	ref := fmt.Sprintf("<thread-%d@forum.example.org>", th.ID)
	if h.Get("References") != ref || h.Get("In-Reply-To") != ref || h.Get("Auto-Submitted") != "auto-generated" ||
		h.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" || !strings.Contains(h.Get("List-Id"), "replies.forum.example.org") {
		t.Errorf("headers: %v", h)
	}
	lu := h.Get("List-Unsubscribe")
	link, _, ok := strings.Cut(strings.TrimPrefix(lu, "<"), ">")
	if !ok || !strings.HasPrefix(link, a.URL()+"/unsubscribe/") || !strings.Contains(lu, "<mailto:unsubscribe+") {
		t.Fatalf("List-Unsubscribe = %q", lu)
	}
	body, _ := io.ReadAll(msg.Body)
	if !strings.Contains(string(body), "Unsubscribe") || !strings.Contains(string(body), "/settings/mail") {
		t.Errorf("the body has no visible unsubscribe link:\n%s", body)
	}
	key, err := mail.LoadOrCreateDKIM(dataDir, "forum.example.org", "hearth")
	if err != nil {
		t.Fatal(err)
	}
	name, value, err := key.DNSRecord()
	if err != nil {
		t.Fatal(err)
	}
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{LookupTXT: func(domain string) ([]string, error) {
		if domain != name {
			return nil, fmt.Errorf("no TXT record at %s", domain)
		}
		return []string{value}, nil
	}})
	if err != nil || len(vs) != 1 || vs[0].Err != nil {
		t.Fatalf("DKIM: %v %+v", err, vs)
	}
	signed := strings.ToLower(strings.Join(vs[0].HeaderKeys, " "))
	for _, k := range []string{"list-unsubscribe", "list-unsubscribe-post", "references"} {
		if !strings.Contains(signed, k) {
			t.Errorf("the signature does not cover %s: %s", k, signed)
		}
	}

	// The link opened in a browser: a page with one button.
	res, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(page), `<button type="submit">Unsubscribe</button>`) || !strings.Contains(string(page), "replies to your threads") {
		t.Fatalf("unsubscribe page: %d\n%s", res.StatusCode, page)
	}
	// The mail provider's one click: a POST from elsewhere, no cookie, no token.
	req, _ := http.NewRequest("POST", link, strings.NewReader("List-Unsubscribe=One-Click"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://mail.example.com")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("one-click unsubscribe: %d", res.StatusCode)
	}
	// Another state change from another site is still refused.
	req, _ = http.NewRequest("POST", a.URL()+"/settings/mail", strings.NewReader("replies=instant"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if res, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else if res.Body.Close(); res.StatusCode != 403 {
		t.Errorf("a cross-site settings POST: %d, want 403", res.StatusCode)
	}

	// The next reply is not mailed; a mention after it is.
	if _, err := svc.Reply(ctx, ada, th.ID, "Bring earplugs too.", 0); err != nil {
		t.Fatal(err)
	}
	th2, _, err := svc.CreateThread(ctx, ada, forum.NewThread{CategoryID: cat.ID, Title: "Porto by train", Body: "@mia_member, have you tried it?"})
	if err != nil {
		t.Fatal(err)
	}
	msg, _ = received(t, sink, "mia@example.org", 1)
	if subj, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); subj != "Root Admin mentioned you in “Porto by train”" {
		t.Fatalf("the mail after unsubscribing: %q", subj)
	}
	ms, err := a.Store.ListMail(ctx, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	replies := 0
	for _, m := range ms {
		if m.To == "mia@example.org" && m.Kind == "notify.replies" {
			replies++
		}
	}
	if replies != 1 {
		t.Errorf("%d reply mails to mia, want 1 (the one before unsubscribing)", replies)
	}
	_ = th2

	// The settings page shows the choice and changes it back.
	b := webLogin(t, a, "mia@example.org", "member-password")
	expect(t, "mail settings", b.get("/settings/mail"), 200, `<option value="never" selected>Never</option>`, "Replies to your threads", "Your time zone")
	p2 := b.post("/settings/mail", url.Values{"replies": {"instant"}, "mentions": {"hourly"}, "tz": {"Europe/Lisbon"}})
	expect(t, "a wrong choice", p2, 422, "Choose how often")
	p2 = b.post("/settings/mail", url.Values{"replies": {"instant"}, "digest": {"weekly"}, "tz": {"Europe/Lisbon"}})
	if p2.status != 303 {
		t.Fatalf("save settings: %d\n%s", p2.status, p2.body)
	}
	expect(t, "saved settings", b.get(p2.loc), 200, "Saved", `<option value="Europe/Lisbon" selected>`)
	if pr, _ := a.Store.MailPrefs(ctx, mia.ID); pr.Of("replies") != forum.FreqInstant || pr.Of("digest") != forum.FreqWeekly || pr.TimeZone != "Europe/Lisbon" {
		t.Errorf("saved: %+v", pr)
	}
}
