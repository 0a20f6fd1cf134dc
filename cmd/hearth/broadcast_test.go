package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"hearth/internal/broadcast"
	"hearth/internal/mail"
)

// TestRosterAndBroadcastCommands: a roster rebuilt from the database, shown
// without addresses unless asked, then a broadcast from it with the
// database gone, its result, a rerun that sends nothing, and its status.
func TestRosterAndBroadcastCommands(t *testing.T) {
	data := t.TempDir()
	for _, u := range []struct{ email, name string }{{"ada@example.org", "Ada Admin"}, {"bob@example.org", "Bob"}, {"cy@example.org", "Cy"}} {
		if code, _, errs := runCmd(t, "ferry timetables in lisbon\n", "user", "add", "--data", data, "--email", u.email, "--name", u.name, "--password-stdin"); code != 0 {
			t.Fatalf("user add: %s", errs)
		}
	}
	t.Setenv("HEARTH_ROSTER_KEY", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	if code, out, errs := runCmd(t, "", "roster", "rebuild", "--data", data, "--base-url", "https://forum.example.org", "--site-name", "Travel"); code != 0 || !strings.Contains(out, "3 members listed") {
		t.Fatalf("rebuild: %d %q %q", code, out, errs)
	}
	// The database is gone from here on.
	if err := os.Remove(filepath.Join(data, "hearth.db")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args      []string
		want      string
		addresses bool
	}{
		{[]string{"roster", "show"}, "3 members listed: 3 to mail", false},
		{[]string{"roster", "show", "--json"}, `"mailable": 3`, false},
		{[]string{"roster", "show", "--list"}, "bob@example.org", true},
	} {
		code, out, errs := runCmd(t, "", append(tc.args, "--data", data)...)
		if code != 0 || !strings.Contains(out, tc.want) || strings.Contains(out, "@example.org") != tc.addresses {
			t.Errorf("%v: %d %q %q", tc.args, code, out, errs)
		}
	}
	sink := &mail.Sink{Refuse: func(to string) error {
		if to == "cy@example.org" {
			return &smtp.SMTPError{Code: 550, Message: "mailbox cy@example.org unknown"}
		}
		return nil
	}}
	if err := sink.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	host, port, _ := net.SplitHostPort(sink.Addr())
	body := filepath.Join(t.TempDir(), "body.txt")
	os.WriteFile(body, []byte("We are restoring the database.\n"), 0o600)
	args := []string{"broadcast", "--data", data, "--subject", "The forum is down", "--body-file", body, "--id", "outage",
		"--smtp-host", host, "--smtp-port", port, "--smtp-tls", "none"}
	code, out, errs := runCmd(t, "", args...)
	if code != 0 || !strings.Contains(out, "sent 2 of 3; 1 refused for good") || !strings.Contains(out, "(Cy), for good: SMTP error 550") || strings.Contains(out, "cy@example.org") {
		t.Fatalf("broadcast: %d %q %q", code, out, errs)
	}
	if sink.Count() != 2 {
		t.Errorf("the sink received %d", sink.Count())
	}
	code, out, _ = runCmd(t, "", append(args, "--json")...)
	var p broadcast.Progress
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &p); code != 0 || err != nil || p.Sent != 2 || p.Failed != 1 || !p.Done {
		t.Errorf("rerun: %d %q %v", code, out, err)
	}
	if sink.Count() != 2 {
		t.Errorf("the rerun sent again: %d", sink.Count())
	}
	code, out, _ = runCmd(t, "", "broadcast", "status", "--data", data)
	if code != 0 || !strings.Contains(out, `outage`) || !strings.Contains(out, "sent 2 of 3, 1 failed (done)") {
		t.Errorf("status: %d %q", code, out)
	}
	code, out, _ = runCmd(t, "", "broadcast", "status", "outage", "--data", data)
	if code != 0 || !strings.Contains(out, "member 3 (Cy)") {
		t.Errorf("status outage: %d %q", code, out)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"broadcast", "--data", data}, 2, "usage"},
		{[]string{"broadcast", "--data", data, "--subject", "x", "--body-file", body}, 1, "no SMTP server"},
		{[]string{"broadcast", "--data", data, "--subject", "x", "--body-file", body, "--dry-run", "--rate", "5/week"}, 1, "the unit is s, m or h"},
		{[]string{"broadcast", "--data", t.TempDir(), "--subject", "x", "--body-file", body, "--dry-run"}, 1, "hearth roster rebuild"},
		{[]string{"broadcast", "status", "nope", "--data", data}, 1, "there is no broadcast nope"},
	} {
		code, _, errs := runCmd(t, "", tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: %d %q", tc.args, code, errs)
		}
	}
}
