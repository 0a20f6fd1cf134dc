package main

import (
	"bufio"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"hearth/internal/broadcast"
	"hearth/internal/forum"
	"hearth/internal/mail"
	"hearth/internal/roster"
)

const crashRosterSize = 300

// TestBroadcastCrash kills a real `hearth broadcast` with SIGKILL at
// random moments (0–300 ms after its start, once or twice a round) while
// it mails a roster of 300 members through an SMTP server in this test,
// then runs it again to the end: every member received the broadcast, and
// a member received it twice only if it was in flight at a kill (its
// "sending" record on disk without an outcome). HEARTH_CRASH_BROADCAST_ROUNDS
// sets the rounds (.ci/run: 200).
func TestBroadcastCrash(t *testing.T) {
	rounds := crashRounds(t, "HEARTH_CRASH_BROADCAST_ROUNDS", 5)
	bin := buildHearth(t)
	dir := t.TempDir()
	r := &roster.Roster{Site: "Crash", BaseURL: "https://forum.example.org", BuiltAt: time.Now().UTC()}
	for i := 1; i <= crashRosterSize; i++ {
		r.Entries = append(r.Entries, roster.Entry{ID: int64(i), Name: fmt.Sprintf("Member %d", i), Email: fmt.Sprintf("m%d@example.org", i),
			Status: forum.StatusActive, UnsubscribeURL: fmt.Sprintf("https://forum.example.org/unsubscribe/%d.broadcast.x", i)})
	}
	if err := roster.Save(dir, nil, r); err != nil {
		t.Fatal(err)
	}
	body := filepath.Join(t.TempDir(), "body.txt")
	if err := os.WriteFile(body, []byte("The database is down; we are restoring it.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var kills, killedMidway, inDoubtTotal, dupTotal, finishedBeforeKill int
	for round := range rounds {
		sink := &mail.Sink{ErrorLog: log.New(io.Discard, "", 0)} // each kill resets its connections
		if err := sink.Listen("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		_, port, _ := net.SplitHostPort(sink.Addr())
		id := fmt.Sprintf("round-%d", round)
		args := []string{"broadcast", "--data", dir, "--id", id, "--subject", "Outage " + id, "--body-file", body,
			"--base-url", "https://forum.example.org", "--smtp-host", "127.0.0.1", "--smtp-port", port, "--smtp-tls", "none", "--quiet", "--conns", "8"}
		doubt := map[int64]int{} // times each member was in flight at a kill
		for range 1 + randInt(2) {
			cmd := exec.Command(bin, args...)
			var stderr syncBuffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("round %d: hearth broadcast failed before the kill: %v\n%s", round, err, stderr.String())
				}
				finishedBeforeKill++
			case <-time.After(time.Duration(randInt(300)) * time.Millisecond):
				cmd.Process.Kill()
				<-done
				kills++
			}
			flight := inFlight(t, filepath.Join(dir, broadcast.Dir, id, "journal"))
			if len(flight) > 0 {
				killedMidway++
			}
			for _, m := range flight {
				doubt[m]++
			}
			inDoubtTotal += len(flight)
		}
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("round %d: the resumed broadcast failed: %v\n%s", round, err, out)
		}
		got := map[int64]int{}
		for _, m := range sink.Messages() {
			for _, to := range m.To {
				n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(to, "m"), "@example.org"), 10, 64)
				got[n]++
			}
		}
		sink.Close()
		missed, dups := 0, 0
		for i := int64(1); i <= crashRosterSize; i++ {
			switch n := got[i]; {
			case n == 0:
				missed++
			case n-1 > doubt[i]:
				t.Errorf("round %d: member %d received the broadcast %d times, but was in flight at %d kills", round, i, n, doubt[i])
			}
			dups += max(got[i]-1, 0)
		}
		if missed > 0 {
			t.Errorf("round %d: %d members never received the broadcast", round, missed)
		}
		dupTotal += dups
		st, err := broadcast.Status(dir, id, nil)
		if err != nil || !st.Done || st.Sent != crashRosterSize {
			t.Errorf("round %d: status %+v %v", round, st, err)
		}
	}
	t.Logf("%d rounds of %d members: %d kills (%d with sends in flight), %d runs finished before their kill; %d sends in flight at the kills, %d duplicates received, 0 missed",
		rounds, crashRosterSize, kills, killedMidway, finishedBeforeKill, inDoubtTotal, dupTotal)
}

// inFlight reads a journal as a resumed run would, independently of the
// package: the members whose "s" record of the latest run has no outcome.
func inFlight(t *testing.T, path string) []int64 {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sending := map[int64]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		id, _ := strconv.ParseInt(fields[1], 10, 64)
		switch fields[0] {
		case "b":
			clear(sending)
		case "s":
			sending[id] = true
		case "d", "f", "t":
			delete(sending, id)
		}
	}
	var out []int64
	for id := range sending {
		out = append(out, id)
	}
	return out
}
