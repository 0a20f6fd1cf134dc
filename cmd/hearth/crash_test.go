package main

// The crash test: a real `hearth serve` child takes replies from 16 writers
// as fast as it can and is killed with SIGKILL at a random moment; after a
// restart every reply it acknowledged (201) must be there with its exact
// body. Acknowledged means durable (DESIGN.md), so any loss is a bug.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"hearth/internal/store/storetest"
)

const (
	crashWriters = 16
	crashMembers = 8
)

func TestCrashLosesNoAcknowledgedPost(t *testing.T) {
	if testing.Short() {
		t.Skip("the crash test builds and kills real servers; skipped with -short")
	}
	rounds := 5
	if s := os.Getenv("HEARTH_CRASH_ROUNDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("HEARTH_CRASH_ROUNDS=%q: want a whole number from 1", s)
		}
		rounds = n
	}
	bin := buildHearth(t)
	t.Run("sqlite", func(t *testing.T) {
		crashRounds(t, bin, []string{"--data", t.TempDir()}, rounds)
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := storetest.CreatePostgres(t) // skips without HEARTH_TEST_POSTGRES
		crashRounds(t, bin, []string{"--data", t.TempDir(), "--db", dsn}, rounds)
	})
}

// buildHearth builds this command once for the test's child processes.
func buildHearth(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hearth")
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// ack is a reply the server confirmed with 201.
type ack struct {
	id   int64
	body string
}

func crashRounds(t *testing.T, bin string, storage []string, rounds int) {
	seedArgs := append([]string{"seed", "--members", "20", "--threads", "5", "--posts", "5"}, storage...)
	if out, err := exec.Command(bin, seedArgs...).CombinedOutput(); err != nil {
		t.Fatalf("hearth seed: %v\n%s", err, out)
	}

	var all []ack
	var last []ack
	var tokens []string
	var threadID int64
	totalAcked, totalVerified := 0, 0
	for round := 1; round <= rounds+1; round++ {
		c := startChild(t, bin, storage)
		if len(last) > 0 {
			n := verifyAcked(t, c.url, tokens[0], last)
			totalVerified += n
			t.Logf("round %d: %d of %d acknowledged replies present after kill -9", round-1, n, len(last))
		}
		if round == rounds+1 {
			if n := verifyAcked(t, c.url, tokens[0], all); n != len(all) {
				t.Errorf("final check: %d of %d acknowledged replies of all rounds present", n, len(all))
			}
			c.stop(t)
			break
		}
		if tokens == nil {
			tokens, threadID = prepare(t, c.url)
		}
		delay := time.Duration(50+randInt(751)) * time.Millisecond
		var tried atomic.Int64
		var refused map[int]int
		last, refused = writeUntilKilled(c, tokens, threadID, round, delay, &tried)
		all = append(all, last...)
		totalAcked += len(last)
		t.Logf("round %d: killed after %v: %d replies acknowledged of %d sent (other answers by status: %v)", round, delay, len(last), tried.Load(), refused)
	}
	t.Logf("%d rounds: %d replies acknowledged, %d verified after kill -9", rounds, totalAcked, totalVerified)
	if totalAcked == 0 {
		t.Error("no reply was acknowledged in any round: the test tested nothing")
	}
}

// child is a running `hearth serve`.
type child struct {
	cmd    *exec.Cmd
	url    string
	stderr *syncBuffer
	done   chan struct{}
}

// syncBuffer collects the child's log for failure messages.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startChild(t *testing.T, bin string, storage []string) *child {
	t.Helper()
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--no-rate-limits"}, storage...)
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stderr = c.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { cmd.Wait(); close(c.done) }()
	t.Cleanup(func() { c.kill() })

	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "Hearth is serving "); ok {
				u, _, _ := strings.Cut(rest, " ")
				found <- u
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case c.url = <-found:
	case <-c.done:
		t.Fatalf("hearth serve exited before serving:\n%s", c.stderr)
	case <-time.After(30 * time.Second):
		t.Fatalf("hearth serve did not start within 30s:\n%s", c.stderr)
	}
	return c
}

// kill sends SIGKILL and waits for the process to be gone.
func (c *child) kill() {
	c.cmd.Process.Kill()
	<-c.done
}

// stop shuts the child down as an operator would, with SIGTERM.
func (c *child) stop(t *testing.T) {
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(20 * time.Second):
		t.Errorf("hearth serve did not stop within 20s of SIGTERM")
		c.kill()
	}
}

var crashClient = &http.Client{
	Timeout:   10 * time.Second,
	Transport: &http.Transport{MaxIdleConnsPerHost: crashWriters * 2},
}

// call sends one API request and decodes a JSON answer into out.
func call(ctx context.Context, method, url, token string, in, out any) (int, error) {
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := crashClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decode %s: %w", b, err)
		}
	}
	return resp.StatusCode, nil
}

// prepare logs in the seeded admin, makes a thread to reply to, and logs
// in several seeded members. Their tokens are reused across restarts: an
// acknowledged login must survive kill -9 too.
func prepare(t *testing.T, base string) (tokens []string, threadID int64) {
	t.Helper()
	ctx := t.Context()
	var login struct {
		Token string `json:"token"`
	}
	if st, err := call(ctx, "POST", base+"/api/v1/sessions", "", map[string]string{"email": "admin@example.com", "password": "seed-password"}, &login); st != 201 || err != nil {
		t.Fatalf("admin login: %d %v", st, err)
	}
	var cat struct {
		ID int64 `json:"id"`
	}
	if st, err := call(ctx, "POST", base+"/api/v1/categories", login.Token, map[string]any{"name": "Crash test", "description": "Replies written while the server is killed."}, &cat); st != 201 || err != nil {
		t.Fatalf("create category: %d %v", st, err)
	}
	var thread struct {
		ID int64 `json:"id"`
	}
	if st, err := call(ctx, "POST", base+"/api/v1/threads", login.Token, map[string]any{"category_id": cat.ID, "title": "Kill me softly", "body": "Replies below are written at full speed."}, &thread); st != 201 || err != nil {
		t.Fatalf("create thread: %d %v", st, err)
	}
	for id := 1; len(tokens) < crashMembers && id <= 20; id++ {
		var m struct {
			Email  string `json:"email"`
			Role   string `json:"role"`
			Status string `json:"status"`
		}
		if st, err := call(ctx, "GET", fmt.Sprintf("%s/api/v1/members/%d", base, id), login.Token, nil, &m); st != 200 || err != nil {
			t.Fatalf("member %d: %d %v", id, st, err)
		}
		if m.Role == "admin" || m.Status != "active" {
			continue
		}
		var ml struct {
			Token string `json:"token"`
		}
		if st, err := call(ctx, "POST", base+"/api/v1/sessions", "", map[string]string{"email": m.Email, "password": "seed-password"}, &ml); st != 201 || err != nil {
			t.Fatalf("login %s: %d %v", m.Email, st, err)
		}
		tokens = append(tokens, ml.Token)
	}
	if len(tokens) < 2 {
		t.Fatalf("only %d seeded members could log in", len(tokens))
	}
	return tokens, thread.ID
}

// writeUntilKilled posts replies from crashWriters goroutines and kills the
// child after delay, while they are writing. It returns the acknowledged ones.
// refused counts the other answers by status (errors from the kill are not counted).
func writeUntilKilled(c *child, tokens []string, threadID int64, round int, delay time.Duration, tried *atomic.Int64) (acked []ack, refused map[int]int) {
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	refused = map[int]int{}
	var wg sync.WaitGroup
	for g := range crashWriters {
		wg.Go(func() {
			token := tokens[g%len(tokens)]
			url := fmt.Sprintf("%s/api/v1/threads/%d/posts", c.url, threadID)
			for n := 0; ctx.Err() == nil; n++ {
				body := fmt.Sprintf("Crash round %d, writer %d, reply %d, marker %s.", round, g, n, marker())
				var out struct {
					ID int64 `json:"id"`
				}
				tried.Add(1)
				st, err := call(ctx, "POST", url, token, map[string]string{"body": body}, &out)
				mu.Lock()
				if err == nil && st == http.StatusCreated && out.ID > 0 {
					acked = append(acked, ack{out.ID, body})
				} else if err == nil {
					refused[st]++ // an answer, but not an acknowledgement
				}
				mu.Unlock()
			}
		})
	}
	time.Sleep(delay)
	c.kill() // SIGKILL while requests are in flight
	cancel()
	wg.Wait()
	crashClient.CloseIdleConnections()
	return acked, refused
}

// verifyAcked reads every acknowledged reply back and reports how many are
// present with their exact body; each missing or changed one is an error.
func verifyAcked(t *testing.T, base, token string, acks []ack) int {
	t.Helper()
	var ok atomic.Int64
	var wg sync.WaitGroup
	work := make(chan ack)
	for range crashWriters {
		wg.Go(func() {
			for a := range work {
				var p struct {
					Body string `json:"body"`
				}
				st, err := call(t.Context(), "GET", fmt.Sprintf("%s/api/v1/posts/%d", base, a.id), token, nil, &p)
				switch {
				case err != nil || st != 200:
					t.Errorf("acknowledged reply %d lost after kill -9: GET answered %d %v", a.id, st, err)
				case p.Body != a.body:
					t.Errorf("acknowledged reply %d changed after kill -9: %q, want %q", a.id, p.Body, a.body)
				default:
					ok.Add(1)
				}
			}
		})
	}
	for _, a := range acks {
		work <- a
	}
	close(work)
	wg.Wait()
	return int(ok.Load())
}

func marker() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func randInt(n int64) int64 {
	v, _ := rand.Int(rand.Reader, big.NewInt(n))
	return v.Int64()
}
