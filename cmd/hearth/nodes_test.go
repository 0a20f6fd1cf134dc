package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestNodeKilledDuringWrites: two real `hearth serve` nodes on one
// PostgreSQL take replies; the node holding the singleton lease is killed
// with SIGKILL in the middle of them. The other keeps acknowledging every
// reply sent to it, takes the lease once it runs out, and every reply
// either node acknowledged is in the database and served by the survivor.
func TestNodeKilledDuringWrites(t *testing.T) {
	d := postgresDB(t) // skips without HEARTH_TEST_POSTGRES
	bin := buildHearth(t)
	seed := append([]string{"seed", "--members", "20", "--threads", "5", "--posts", "5"}, d.args...)
	if out, err := exec.Command(bin, seed...).CombinedOutput(); err != nil {
		t.Fatalf("hearth seed: %v\n%s", err, out)
	}
	const ttl = 2 * time.Second
	node := func() *child {
		return startChild(t, bin, []string{"--data", t.TempDir(), "--db", d.dsn, "--lease-ttl", ttl.String()})
	}
	a, b := node(), node()
	tokens, threadID := prepare(t, a.url)

	var holder, survivor *child
	deadline := time.Now().Add(3 * ttl)
	for holder == nil && time.Now().Before(deadline) {
		ha, hb := leaseHeld(t, a), leaseHeld(t, b)
		switch {
		case ha && !hb:
			holder, survivor = a, b
		case hb && !ha:
			holder, survivor = b, a
		default:
			time.Sleep(50 * time.Millisecond)
		}
	}
	if holder == nil {
		t.Fatal("no single node came to hold the lease")
	}

	// Replies to both nodes; the holder dies half a second in, the
	// survivor's writers go on for the whole lease time after it.
	ctx, stop := context.WithCancel(t.Context())
	var mu sync.Mutex
	var survivorAcks []ack
	refused := map[int]int{}
	var wg sync.WaitGroup
	for g := range crashWriters / 2 {
		wg.Go(func() {
			url := fmt.Sprintf("%s/api/v1/threads/%d/posts", survivor.url, threadID)
			for n := 0; ctx.Err() == nil; n++ {
				body := fmt.Sprintf("Survivor writer %d, reply %d, marker %s.", g, n, marker())
				var out struct {
					ID int64 `json:"id"`
				}
				st, err := call(ctx, "POST", url, tokens[g%len(tokens)], map[string]string{"body": body}, &out)
				if ctx.Err() != nil {
					return
				}
				mu.Lock()
				if err == nil && st == http.StatusCreated {
					survivorAcks = append(survivorAcks, ack{out.ID, body})
				} else {
					refused[st]++
				}
				mu.Unlock()
			}
		})
	}
	var tried atomic.Int64
	holderAcks, _ := writeUntilKilled(holder, tokens, threadID, 1, 500*time.Millisecond, &tried)
	killed := time.Now()
	for !leaseHeld(t, survivor) {
		if time.Since(killed) > ttl+5*time.Second {
			t.Fatalf("the survivor did not take the lease within %v of the kill", ttl+5*time.Second)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("the survivor took the lease %v after the kill (lease time %v)", time.Since(killed).Round(10*time.Millisecond), ttl)
	time.Sleep(500 * time.Millisecond)
	stop()
	wg.Wait()

	if len(refused) > 0 {
		t.Errorf("the survivor refused replies while the other node died: %v", refused)
		for _, l := range strings.Split(survivor.stderr.String(), "\n") {
			if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") || strings.Contains(l, "status=5") {
				t.Log(l)
			}
		}
	}
	if len(holderAcks) == 0 || len(survivorAcks) == 0 {
		t.Fatalf("acknowledged: %d by the killed node, %d by the survivor: the test tested nothing", len(holderAcks), len(survivorAcks))
	}
	all := append(append([]ack(nil), holderAcks...), survivorAcks...)
	if n := checkInDB(t, d, threadID, all); n != len(all) {
		t.Errorf("%d of %d acknowledged replies in the database", n, len(all))
	}
	if n := verifyAcked(t, survivor.url, tokens[0], sample(holderAcks, 50)); n != min(50, len(holderAcks)) {
		t.Errorf("the survivor serves %d of the killed node's acknowledged replies asked for", n)
	}
	t.Logf("%d replies acknowledged by the killed node, %d by the survivor, all in the database", len(holderAcks), len(survivorAcks))
	survivor.stop(t)
}

// leaseHeld reads a node's /metrics (it answers loopback requests).
func leaseHeld(t *testing.T, c *child) bool {
	t.Helper()
	resp, err := crashClient.Get(c.url + "/metrics")
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return strings.Contains(string(b), "\nhearth_singleton_lease_held 1")
}
