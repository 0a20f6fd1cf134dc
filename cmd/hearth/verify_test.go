package main

import (
	"encoding/json"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"hearth/internal/app"
	"hearth/internal/app/apptest"
	"hearth/internal/forum"
	"hearth/internal/mail"
)

// startForVerify serves a Hearth set up for checks: a public thread, the
// moderator check account and the staff-only "Hearth checks" category.
func startForVerify(t *testing.T) string {
	t.Helper()
	a := apptest.Start(t, app.Config{})
	apptest.CheckAccount(t, a, "verify-me-please", "Hearth checks")
	return a.URL()
}

func TestVerifyCommand(t *testing.T) {
	url := startForVerify(t)

	code, out, errs := runCmd(t, "verify-me-please\n", "verify", "--email", "check@example.org", "--password-stdin", url)
	t.Log("\n" + out)
	if code != 0 || !strings.Contains(out, "Hearth at "+url+" works: 7 passed, 0 failed, 1 skipped") || errs != "" {
		t.Fatalf("verify: %d %q %q", code, out, errs)
	}

	// Flags after the URL, password from the environment, JSON out.
	t.Setenv("HEARTH_VERIFY_PASSWORD", "verify-me-please")
	code, out, errs = runCmd(t, "", "verify", url, "--email", "check@example.org", "--json")
	var rep struct {
		OK    bool `json:"ok"`
		Steps []struct {
			Name, Status string
		} `json:"steps"`
	}
	if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil || !rep.OK || len(rep.Steps) != 8 {
		t.Fatalf("verify --json: %d %v %q %q", code, err, out, errs)
	}

	code, out, _ = runCmd(t, "wrong-password\n", "verify", "--email", "check@example.org", "--password-stdin", url)
	if code != 1 || !strings.Contains(out, "✗ log in") || !strings.Contains(out, "401") || !strings.Contains(out, "FAILED: log in") {
		t.Fatalf("wrong password: %d %q", code, out)
	}
}

func TestVerifyClosedPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	start := time.Now()
	code, out, errs := runCmd(t, "pw\n", "verify", "--email", "check@example.org", "--password-stdin", "--timeout", "3s", "http://"+addr)
	if code != 1 || time.Since(start) > 2*time.Second || strings.Count(out, "✗") != 7 ||
		!strings.Contains(out, "connection refused") || strings.Contains(out+errs, "goroutine") {
		t.Fatalf("closed port: %d in %v: %q %q", code, time.Since(start), out, errs)
	}
}

func TestVerifyUsage(t *testing.T) {
	t.Setenv("HEARTH_VERIFY_PASSWORD", "")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"verify"}, "give exactly one URL"},
		{[]string{"verify", "--email", "c@example.org", "forum.example.org"}, "is not a site address"},
		{[]string{"verify", "--data", t.TempDir(), "http://127.0.0.1:1"}, "--email of the check account is required"},
		{[]string{"verify", "--email", "c@example.org", "http://127.0.0.1:1"}, "password is missing"},
		{[]string{"verify", "--nope", "http://127.0.0.1:1"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		code, out, errs := runCmd(t, "", tt.args...)
		if code != 2 || !strings.Contains(errs, tt.want) {
			t.Errorf("hearth %v: %d %q %q; want 2 with %q", tt.args, code, out, errs, tt.want)
		}
	}
}

// TestVerifyOnTheForumsMachine: with the data directory at hand, verify
// needs no setup: it makes its own check account (a plain member) and
// hidden category, sends a test mail through the outbox, and a run every
// five minutes leaves no thread behind.
func TestVerifyOnTheForumsMachine(t *testing.T) {
	sink := listenSink(t)
	host, port, _ := net.SplitHostPort(sink.Addr())
	p, _ := strconv.Atoi(port)
	data := t.TempDir()
	a := apptest.Start(t, app.Config{DataDir: data, Mail: app.MailConfig{SMTP: mail.SMTPConfig{Host: host, Port: p, TLS: mail.NoTLS}, DisableDKIM: true}})
	ctx := t.Context()
	if _, err := a.Service.CreateMember(ctx, forum.NewMember{Email: "ada@example.org", Name: "Ada", Password: "ferry timetables in lisbon", Role: forum.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	admin, _ := a.Store.MemberByEmail(ctx, "ada@example.org")
	cat, err := a.Service.CreateCategory(ctx, admin, forum.CategoryInput{Name: "Lounge"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Service.CreateThread(ctx, admin, forum.NewThread{CategoryID: cat.ID, Title: "Ferry timetables", Body: "Which one?"}); err != nil {
		t.Fatal(err)
	}
	for round := range 3 {
		code, out, errs := runCmd(t, "", "verify", "--data", data, "--mail-to", "ops@example.org", a.URL())
		if code != 0 || !strings.Contains(out, "works: 8 passed, 0 failed, 0 skipped") {
			t.Fatalf("round %d: %d %q %q", round, code, out, errs)
		}
		if round == 0 {
			t.Log("\n" + out)
		}
	}
	m, err := a.Store.MemberByEmail(ctx, checkEmail)
	if err != nil || !m.Checker || m.IsModerator() {
		t.Fatalf("check account %+v, %v", m, err)
	}
	cats, err := a.Store.ListCategories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	threads := -1
	for _, c := range cats {
		if c.CheckOnly {
			_, threads, err = a.Store.ListThreads(ctx, forum.ThreadFilter{CategoryID: c.ID, IncludeDeleted: true, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if threads != 0 {
		t.Errorf("%d check threads left behind after 3 runs", threads)
	}
	if n := sink.Count(); n != 3 {
		t.Errorf("%d test mails, want 3", n)
	}
}
