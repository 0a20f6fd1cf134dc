package verify

import (
	"net"
	"strings"
	"testing"
	"time"

	"hearth/internal/app"
	"hearth/internal/app/apptest"
)

const checkPassword = "verify-me-please"

// startHearth serves a real Hearth on a free port with a public category
// holding a thread, and the check account and staff-only check category
// set up as the operator would.
func startHearth(t *testing.T) string {
	t.Helper()
	a := apptest.Start(t, app.Config{})
	apptest.CheckAccount(t, a, checkPassword, DefaultCategory)
	return a.URL()
}

func TestVerifyPasses(t *testing.T) {
	url := startHearth(t)
	rep := Run(t.Context(), Options{URL: url, Email: "check@example.org", Password: checkPassword})
	var out strings.Builder
	rep.WriteText(&out)
	t.Log("\n" + out.String())
	if !rep.OK || rep.Passed != 7 || rep.Failed != 0 || rep.Skipped != 1 || len(rep.Steps) != 8 {
		t.Fatalf("verify failed:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "Hearth at "+url+" works: 7 passed, 0 failed, 1 skipped in ") ||
		!strings.Contains(out.String(), "✓ search") || !strings.Contains(out.String(), "results") {
		t.Errorf("unexpected report:\n%s", out.String())
	}
	// The check left nothing a guest or member can see, and can run again.
	rep = Run(t.Context(), Options{URL: url + "/", Email: "check@example.org", Password: checkPassword})
	if !rep.OK {
		t.Fatalf("second run failed: %+v", rep.Steps)
	}
}

func TestVerifyWrongPassword(t *testing.T) {
	url := startHearth(t)
	rep := Run(t.Context(), Options{URL: url, Email: "check@example.org", Password: "not the password"})
	if rep.OK {
		t.Fatal("verify passed with a wrong password")
	}
	want := map[string]Status{"front page": Passed, "category": Passed, "thread": Passed, "log in": Failed, "post and delete": Failed, "log out": Failed}
	for _, s := range rep.Steps {
		if w, ok := want[s.Name]; ok && s.Status != w {
			t.Errorf("%s: %s (%s), want %s", s.Name, s.Status, s.Detail, w)
		}
		if s.Name == "log in" && !strings.Contains(s.Detail, "401") {
			t.Errorf("log in failure does not say what it saw: %q", s.Detail)
		}
	}
	if !strings.Contains(rep.Verdict(), "FAILED: log in, post and delete, log out;") {
		t.Errorf("verdict: %s", rep.Verdict())
	}
}

func TestVerifyMissingCategory(t *testing.T) {
	url := startHearth(t)
	rep := Run(t.Context(), Options{URL: url, Email: "check@example.org", Password: checkPassword, Category: "No such category"})
	for _, s := range rep.Steps {
		if s.Name == "post and delete" && (s.Status != Failed || !strings.Contains(s.Detail, `no category named "No such category"`)) {
			t.Errorf("post and delete: %s %q", s.Status, s.Detail)
		}
		if s.Name == "log out" && s.Status != Passed {
			t.Errorf("log out after a failed post: %s %q", s.Status, s.Detail)
		}
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
	rep := Run(t.Context(), Options{URL: "http://" + addr, Email: "check@example.org", Password: checkPassword, Timeout: 5 * time.Second})
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v against a closed port", d)
	}
	if rep.OK || rep.Passed != 0 || rep.Failed != 7 || rep.Skipped != 1 {
		t.Fatalf("closed port: %+v", rep)
	}
	for _, s := range rep.Steps {
		if s.Status == Failed && s.Detail == "" || strings.Contains(s.Detail, "goroutine") || strings.Contains(s.Detail, "dial tcp") {
			t.Errorf("%s: %q is not a plain message", s.Name, s.Detail)
		}
	}
	if d := rep.Steps[0].Detail; !strings.Contains(d, "could not connect to "+addr+": connection refused") {
		t.Errorf("front page: %q", d)
	}
}
