package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hearth/internal/mail"
)

// TestWatchSpeaksUp is the day the database went away, rehearsed: a
// running forum with `hearth watch` beside it. Its database file is taken
// away: the admins get one alert, an incident opens on the status page
// (through its API, the database gone), and after the delay every member
// on the roster gets the broadcast. The file comes back: the incident is
// resolved with the verify verdict, the admins hear it, members see the
// banner. Then the whole forum is killed: the admins hear it again, and
// the incident goes on the watcher's own published status page. The
// figures (detection, first alert, broadcast) are logged.
func TestWatchSpeaksUp(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs hearth serve and hearth watch")
	}
	bin := buildHearth(t)
	data, work := t.TempDir(), t.TempDir()
	const members = 40
	if out, err := exec.Command(bin, "seed", "--data", data, "--members", fmt.Sprint(members), "--threads", "4", "--posts", "12").CombinedOutput(); err != nil {
		t.Fatalf("seed: %v\n%s", err, out)
	}
	membersSink, adminSink := listenSink(t), listenSink(t)
	mhost, mport, _ := net.SplitHostPort(membersSink.Addr())
	ahost, aport, _ := net.SplitHostPort(adminSink.Addr())

	forum := startChild(t, bin, []string{"--data", data, "--status-token", "status-secret"})
	roster := func() int {
		out, _ := exec.Command(bin, "roster", "show", "--data", data, "--json").Output()
		var c struct{ Mailable int }
		json.Unmarshal(out, &c)
		return c.Mailable
	}
	waitFor(t, 30*time.Second, "the roster of the running forum", func() bool { return roster() >= members })

	body := filepath.Join(work, "outage.txt")
	os.WriteFile(body, []byte("The forum is down. We are on it; see the status page."), 0o600)
	publish := filepath.Join(work, "public-status")
	cfg := filepath.Join(work, "watch.toml")
	os.WriteFile(cfg, fmt.Appendf(nil, `
interval = "1s"
timeout = "500ms"
failures = 3
[[target]]
name = "forum"
url = %q
[alert]
admins = ["admin@example.org"]
from = "watch@example.org"
smtp_host = %q
smtp_port = %s
smtp_tls = "none"
[status]
url = %q
publish = %q
[broadcast]
after = "3s"
command = [%q, "broadcast", "--data", %q, "--subject", "The forum is down", "--body-file", %q,
  "--smtp-host", %q, "--smtp-port", %q, "--smtp-tls", "none", "--quiet"]
`, forum.url+"/", ahost, aport, forum.url, publish, bin, data, body, mhost, mport), 0o600)
	watcher := exec.Command(bin, "watch", "--config", cfg)
	watcher.Env = append(os.Environ(), "HEARTH_STATUS_TOKEN=status-secret")
	wlog := &syncBuffer{}
	watcher.Stdout, watcher.Stderr = wlog, wlog
	if err := watcher.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { watcher.Process.Kill(); watcher.Wait() })
	time.Sleep(2 * time.Second) // a few good rounds

	alerts := func(word string) int {
		n := 0
		for _, m := range adminSink.Messages() {
			if strings.Contains(subject(m.Data), word) {
				n++
			}
		}
		return n
	}

	// The database goes away.
	db := filepath.Join(data, "hearth.db")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Rename(db+suffix, db+suffix+".away")
	}
	gone := time.Now()
	waitFor(t, 60*time.Second, "the admins' DOWN alert", func() bool { return alerts("DOWN") == 1 })
	alerted := time.Since(gone)
	var summary struct {
		Incidents []struct {
			Name    string `json:"name"`
			Status  string `json:"status"`
			Updates []struct {
				Body string `json:"body"`
			} `json:"incident_updates"`
		} `json:"incidents"`
	}
	getJSON(t, forum.url+"/status.json", &summary)
	if len(summary.Incidents) == 0 || summary.Incidents[0].Status != "investigating" {
		t.Fatalf("no open incident on the status page with the database gone: %+v\n%s", summary, wlog)
	}
	waitFor(t, 60*time.Second, "the broadcast to every member", func() bool { return membersSink.Count() >= members })
	broadcast := time.Since(gone)
	seen := map[string]int{}
	for _, m := range membersSink.Messages() {
		seen[m.To[0]]++
	}
	for to, n := range seen {
		if n != 1 {
			t.Errorf("%s got the broadcast %d times", to, n)
		}
	}
	if len(seen) != members {
		t.Errorf("%d members got the broadcast, want %d", len(seen), members)
	}

	// It comes back.
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Rename(db+suffix+".away", db+suffix)
	}
	waitFor(t, 60*time.Second, "the admins' BACK alert", func() bool { return alerts("BACK") == 1 })
	waitFor(t, 10*time.Second, "the incident resolved with the verify verdict", func() bool {
		getJSON(t, forum.url+"/status.json", &summary)
		page := getBody(t, forum.url+"/status")
		return len(summary.Incidents) == 0 && strings.Contains(page, "Checked by hearth verify") && strings.Contains(page, "Resolved")
	})
	front := getBody(t, forum.url+"/")
	if !strings.Contains(front, "/status") || !strings.Contains(strings.ToLower(front), "resolved") {
		t.Errorf("the front page shows no banner of the resolved incident")
	}
	if n := alerts("DOWN"); n != 1 {
		t.Errorf("%d DOWN alerts, want 1", n)
	}

	// The whole forum is killed: the API is gone, so the incident goes on
	// the watcher's own status page, published to the static target.
	forum.kill()
	killed := time.Now()
	waitFor(t, 60*time.Second, "the second DOWN alert", func() bool { return alerts("DOWN") == 2 })
	second := time.Since(killed)
	waitFor(t, 60*time.Second, "the second outage's broadcast", func() bool { return membersSink.Count() >= 2*members })
	waitFor(t, 10*time.Second, "the published status page", func() bool {
		b, err := os.ReadFile(filepath.Join(publish, "status.json"))
		return err == nil && strings.Contains(string(b), "investigating")
	})
	t.Logf("database gone: first admin alert after %v, every member (%d) mailed after %v (broadcast delay 3s); forum killed: alert after %v",
		alerted.Round(100*time.Millisecond), members, broadcast.Round(100*time.Millisecond), second.Round(100*time.Millisecond))
}

func listenSink(t *testing.T) *mail.Sink {
	t.Helper()
	s := &mail.Sink{}
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func subject(msg []byte) string {
	s := string(msg)
	i := strings.Index(s, "\r\nSubject: ")
	if i < 0 {
		return ""
	}
	s = s[i+len("\r\nSubject: "):]
	if j := strings.Index(s, "\r\n"); j >= 0 {
		s = s[:j]
	}
	return s
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func getBody(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(getBody(t, u)), v); err != nil {
		t.Fatalf("%s: %v", u, err)
	}
}
