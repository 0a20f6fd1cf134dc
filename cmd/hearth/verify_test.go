package main

import (
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"hearth/internal/app"
	"hearth/internal/app/apptest"
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
	if code != 0 || !strings.Contains(out, "Hearth at "+url+" works: 6 passed, 0 failed, 2 skipped") || errs != "" {
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
	if code != 1 || time.Since(start) > 2*time.Second || strings.Count(out, "✗") != 6 ||
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
		{[]string{"verify", "http://127.0.0.1:1"}, "--email of the check account is required"},
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
