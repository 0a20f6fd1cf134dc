package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDrill: against a running forum with a roster, a watch config and a
// local SMTP server, the drill passes, sends one test alert and one test
// broadcast mail (to the admins only), and takes well under a minute;
// with the roster gone and no SMTP server, it says what would fail.
func TestDrill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs hearth serve")
	}
	bin := buildHearth(t)
	data, work := t.TempDir(), t.TempDir()
	if out, err := exec.Command(bin, "seed", "--data", data, "--members", "12", "--threads", "2", "--posts", "4").CombinedOutput(); err != nil {
		t.Fatalf("seed: %v\n%s", err, out)
	}
	sink := listenSink(t)
	host, port, _ := net.SplitHostPort(sink.Addr())
	forum := startChild(t, bin, []string{"--data", data, "--status-token", "s3cret"})
	waitFor(t, 30*time.Second, "the roster", func() bool {
		_, err := os.Stat(filepath.Join(data, "roster", "roster.jsonl"))
		return err == nil
	})
	publish := filepath.Join(work, "site")
	if out, err := exec.Command(bin, "status", "publish", "--data", data, "--to", publish).CombinedOutput(); err != nil {
		t.Fatalf("publish: %v\n%s", err, out)
	}
	cfg := filepath.Join(work, "watch.toml")
	os.WriteFile(cfg, fmt.Appendf(nil, `
[[target]]
url = %q
[alert]
admins = ["admin@example.org"]
from = "watch@example.org"
smtp_host = %q
smtp_port = %s
smtp_tls = "none"
[status]
publish = %q
`, forum.url+"/", host, port, publish), 0o600)

	start := time.Now()
	out, err := exec.Command(bin, "drill", "--data", data, "--base-url", forum.url, "--watch-config", cfg,
		"--smtp-host", host, "--smtp-port", port, "--smtp-tls", "none").CombinedOutput()
	took := time.Since(start)
	if err != nil || !strings.Contains(string(out), "The drill passed") {
		t.Fatalf("drill: %v\n%s", err, out)
	}
	if took > time.Minute {
		t.Errorf("the drill took %v", took)
	}
	if n := sink.Count(); n != 2 {
		t.Errorf("%d mails, want the test alert and the test broadcast", n)
	}
	for _, m := range sink.Messages() {
		if m.To[0] != "admin@example.org" {
			t.Errorf("a drill mail went to %v", m.To)
		}
	}
	t.Logf("drill took %v:\n%s", took.Round(10*time.Millisecond), out)

	// A bad day: no roster, the SMTP server gone.
	os.Remove(filepath.Join(data, "roster", "roster.jsonl"))
	sink.Close()
	out, err = exec.Command(bin, "drill", "--data", data, "--base-url", forum.url, "--watch-config", cfg,
		"--smtp-host", host, "--smtp-port", port, "--smtp-tls", "none").CombinedOutput()
	if err == nil {
		t.Fatalf("the drill passed with no roster and no SMTP server:\n%s", out)
	}
	for _, want := range []string{"✗ member roster", "✗ watcher's alert route", "✗ broadcast's SMTP route", "would fail on a real day"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the failed drill does not say %q:\n%s", want, out)
		}
	}
}
