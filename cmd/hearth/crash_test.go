package main

// The crash loops: a real `hearth` child is killed with SIGKILL at a random
// moment, many times over, on SQLite and PostgreSQL.
//
//   - serve: 16 writers post replies as fast as it takes them; after every
//     kill each reply it acknowledged (201) must be in the database with its
//     exact body, and the restarted forum must serve it. Acknowledged means
//     durable (README, architecture), so any loss is a bug.
//   - migrate: `hearth migrate` runs a long migration on a sizeable forum;
//     after every kill the database is entirely at the old schema or
//     entirely at the new one, and `hearth doctor` passes.
//   - consumers: the event stream's consumers, once there is one (below).
//
// HEARTH_CRASH_ROUNDS and HEARTH_CRASH_MIGRATE_ROUNDS set the rounds
// (.ci/run runs 200 and 40).

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/big"
	"net/http"
	"net/url"
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

	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

const (
	crashWriters = 16
	crashMembers = 8
)

// TestCrashLosesNoAcknowledgedPost: after every kill -9 of a serve child
// taking replies, each acknowledged reply is in the database with its exact
// body, and the restarted forum serves it.
func TestCrashLosesNoAcknowledgedPost(t *testing.T) {
	rounds := crashRounds(t, "HEARTH_CRASH_ROUNDS", 5)
	bin := buildHearth(t)
	// The engines' loops run side by side: each mostly waits, on a child
	// starting or a kill's delay.
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		serveCrashLoop(t, bin, sqliteDB(t.TempDir()), rounds)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		serveCrashLoop(t, bin, postgresDB(t), rounds)
	})
}

// The event consumers' kill -9 loop is internal/events' TestConsumerCrashLoop:
// a child writing posts while a durable consumer records their events.

// crashRounds reads a round count from the environment.
func crashRounds(t *testing.T, name string, def int) int {
	t.Helper()
	return storetest.CrashRounds(t, name, def)
}

// crashDB is the storage a child runs on: its flags, and how the test
// reads the database directly while no child runs.
type crashDB struct {
	args        []string // --data DIR [--db DSN]
	driver, dsn string   // for database/sql
	// pool, on PostgreSQL, stays open for the whole test, as the server is
	// never what is killed: a new connection is the slowest part of a
	// check. SQLite is opened afresh for each, as a restarted server does.
	pool *sql.DB
}

func sqliteDB(dir string) crashDB {
	return crashDB{args: []string{"--data", dir}, driver: "sqlite", dsn: filepath.Join(dir, "hearth.db")}
}

func postgresDB(t *testing.T) crashDB {
	dsn := storetest.CreatePostgres(t) // skips without HEARTH_TEST_POSTGRES
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", "hearth-crash-test") // waitAlone tells the test's connections apart
	u.RawQuery = q.Encode()
	pool, err := sql.Open("pgx", u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	return crashDB{args: []string{"--data", t.TempDir(), "--db", dsn}, driver: "pgx", dsn: dsn, pool: pool}
}

// use runs fn with a pool to the database.
func (d crashDB) use(t *testing.T, fn func(db *sql.DB)) {
	t.Helper()
	if d.pool != nil {
		fn(d.pool)
		return
	}
	db, err := sql.Open(d.driver, d.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fn(db)
}

// buildHearth builds this command once for the test's child processes,
// with the crashtest tag: its operator commands take extra migrations from
// HEARTH_CRASHTEST_MIGRATIONS (testmigrations_crashtest.go).
func buildHearth(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hearth")
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	out, err := exec.Command(goTool, "build", "-tags", "crashtest", "-o", bin, ".").CombinedOutput()
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

// serveCrashLoop runs the serve rounds: start, write until killed, check.
func serveCrashLoop(t *testing.T, bin string, d crashDB, rounds int) {
	start := time.Now()
	seedArgs := append([]string{"seed", "--members", "20", "--threads", "5", "--posts", "5"}, d.args...)
	if out, err := exec.Command(bin, seedArgs...).CombinedOutput(); err != nil {
		t.Fatalf("hearth seed: %v\n%s", err, out)
	}

	var all, last []ack
	var tokens []string
	var threadID int64
	totalAcked, totalVerified := 0, 0
	for round := 1; round <= rounds+1; round++ {
		if len(last) > 0 {
			// With no server running, straight from the database.
			n := checkInDB(t, d, threadID, last)
			totalVerified += n
			t.Logf("round %d: %d of %d acknowledged replies in the database after kill -9", round-1, n, len(last))
		}
		c := startChild(t, bin, d.args)
		if len(last) > 0 {
			// And the restarted forum serves them: a few, every round.
			verifyAcked(t, c.url, tokens[0], sample(last, 3))
		}
		if round == rounds+1 {
			if n := checkInDB(t, d, threadID, all); n != len(all) {
				t.Errorf("final check: %d of %d acknowledged replies of all rounds in the database", n, len(all))
			}
			if n, want := verifyAcked(t, c.url, tokens[0], append(sample(all, 200), last...)), min(200, len(all))+len(last); n != want {
				t.Errorf("final check: the forum serves %d of %d acknowledged replies asked for", n, want)
			}
			c.stop(t)
			break
		}
		if tokens == nil {
			tokens, threadID = prepare(t, c.url)
		}
		// The kill lands while replies are in flight: group commits and
		// PostgreSQL's commits take milliseconds, so a fifth of a second's
		// range moves it across many of them.
		delay := time.Duration(20+randInt(281)) * time.Millisecond
		var tried atomic.Int64
		var refused map[int]int
		last, refused = writeUntilKilled(c, tokens, threadID, round, delay, &tried)
		all = append(all, last...)
		totalAcked += len(last)
		t.Logf("round %d: killed after %v: %d replies acknowledged of %d sent (other answers by status: %v)", round, delay, len(last), tried.Load(), refused)
	}
	took := time.Since(start)
	t.Logf("%d rounds in %v (%v a round): %d replies acknowledged, %d found after kill -9", rounds, took.Round(time.Second),
		(took / time.Duration(rounds)).Round(time.Millisecond), totalAcked, totalVerified)
	if totalAcked == 0 {
		t.Error("no reply was acknowledged in any round: the test tested nothing")
	}
}

// checkInDB reads the thread's posts from the database and reports how
// many acknowledged replies are there with their exact body; each missing
// or changed one is an error.
func checkInDB(t *testing.T, d crashDB, threadID int64, acks []ack) int {
	t.Helper()
	if len(acks) == 0 { // a round killed before its first acknowledgement
		return 0
	}
	lo := acks[0].id
	for _, a := range acks {
		lo = min(lo, a.id)
	}
	bodies := map[int64]string{}
	d.use(t, func(db *sql.DB) {
		rows, err := db.QueryContext(t.Context(), "SELECT id, body FROM posts WHERE thread_id = $1 AND id >= $2", threadID, lo)
		if err != nil {
			t.Fatalf("read the replies back: %v", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var body string
			if err := rows.Scan(&id, &body); err != nil {
				t.Fatal(err)
			}
			bodies[id] = body
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	})
	ok := 0
	for _, a := range acks {
		switch body, found := bodies[a.id]; {
		case !found:
			t.Errorf("acknowledged reply %d lost after kill -9", a.id)
		case body != a.body:
			t.Errorf("acknowledged reply %d changed after kill -9: %q, want %q", a.id, body, a.body)
		default:
			ok++
		}
	}
	return ok
}

// sample returns up to n of acks, chosen at random.
func sample(acks []ack, n int) []ack {
	if len(acks) <= n {
		return acks
	}
	out := make([]ack, 0, n)
	for range n {
		out = append(out, acks[randInt(int64(len(acks)))])
	}
	return out
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
	// The delay counts from the first acknowledgement (or 5 s): on a
	// loaded machine the first replies can take longer than the delay, and
	// a round killed before any tests nothing.
	for wait := time.Now(); time.Since(wait) < 5*time.Second; time.Sleep(5 * time.Millisecond) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n > 0 {
			break
		}
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

// TestCrashDuringMigration kills `hearth migrate` at random moments of its
// verified backup and of a long migration, on a forum of 10,000 posts at
// the schema of this build: after each kill the database is entirely at
// the old schema (its tables and row counts as before) or entirely at the
// new one, and `hearth doctor`, run by the binary that knows that schema,
// passes. Between rounds the test undoes a migration that went through, so
// every round upgrades from this build's schema, as a release would.
func TestCrashDuringMigration(t *testing.T) {
	rounds := crashRounds(t, "HEARTH_CRASH_MIGRATE_ROUNDS", 3)
	bin := buildHearth(t)
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		migrateCrashLoop(t, bin, "sqlite", sqliteDB(t.TempDir()), rounds)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		migrateCrashLoop(t, bin, "postgres", postgresDB(t), rounds)
	})
}

// crashMigration is migration v's SQL, the same on both engines: a copy
// of every post, an index and an update over it, a second or two of work.
func crashMigration(v int) string {
	return fmt.Sprintf(`CREATE TABLE crash_%[1]d AS SELECT id, thread_id, body, html FROM posts;
CREATE INDEX crash_%[1]d_body ON crash_%[1]d (body);
UPDATE crash_%[1]d SET body = body || ' (copied)';
`, v)
}

func migrateCrashLoop(t *testing.T, bin, engine string, d crashDB, rounds int) {
	start := time.Now()
	dataDir := d.args[1]
	seedArgs := append([]string{"seed", "--members", "200", "--threads", "500", "--posts", "10000"}, d.args...)
	if out, err := exec.Command(bin, seedArgs...).CombinedOutput(); err != nil {
		t.Fatalf("hearth seed: %v\n%s", err, out)
	}
	// newer returns the migrations a build with crash migration v would
	// embed: this build's, and v.
	embedded := filepath.Join("..", "..", "internal", "store", "migrations", engine)
	newer := func(v int) string {
		dir := filepath.Join(t.TempDir(), strconv.Itoa(v))
		if err := os.CopyFS(dir, os.DirFS(embedded)); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%04d_crash.sql", v)), []byte(crashMigration(v)), 0o600); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	run := func(migrations string, args ...string) *exec.Cmd {
		cmd := exec.Command(bin, append(args, d.args...)...)
		if migrations != "" {
			cmd.Env = append(os.Environ(), "HEARTH_CRASHTEST_MIGRATIONS="+migrations)
		}
		return cmd
	}
	// undo takes the database back to this build's schema after crash
	// migration v went through.
	undo := func(v int) {
		d.use(t, func(db *sql.DB) {
			for _, q := range []string{fmt.Sprintf("DROP TABLE crash_%d", v), "DELETE FROM schema_migrations WHERE version >= 9000"} {
				if _, err := db.ExecContext(t.Context(), q); err != nil {
					t.Fatalf("undo migration %d: %s: %v", v, q, err)
				}
			}
		})
	}
	clean := func() {
		// Every migrate keeps its verified backup, as it should; this
		// test's disk would not hold them all.
		if err := os.RemoveAll(filepath.Join(dataDir, "backups")); err != nil {
			t.Fatal(err)
		}
	}

	// Round 0 runs to the end: how long a whole migrate takes.
	base := schemaVersion(t, d)
	before := tableCounts(t, d)
	t0 := time.Now()
	if out, err := run(newer(9000), "migrate").CombinedOutput(); err != nil {
		t.Fatalf("hearth migrate: %v\n%s", err, out)
	}
	whole := time.Since(t0)
	undo(9000)
	clean()
	t.Logf("a whole migrate (verified backup, then the migration) takes %v", whole.Round(time.Millisecond))

	counts := map[string]int{}
	for round := 1; round <= rounds; round++ {
		v := 9000 + round
		migrations := newer(v)
		cmd := run(migrations, "migrate")
		var out syncBuffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Anywhere in the backup or the migration, or just after.
		delay := time.Duration(randInt(int64(whole * 11 / 10)))
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var err error
		killed := false
		select {
		case err = <-done:
		case <-time.After(delay):
			cmd.Process.Kill()
			err, killed = <-done, true
		}
		if !killed && err != nil {
			t.Fatalf("round %d: hearth migrate failed before the kill: %v\n%s", round, err, &out)
		}
		if engine == "postgres" {
			waitAlone(t, d) // the killed child's server process may still be finishing its statement
		}

		after, version := tableCounts(t, d), schemaVersion(t, d)
		state, binary := "old", "" // this build
		want := maps.Clone(before)
		want[fmt.Sprintf("crash_%d", v)], want["schema_migrations"] = before["posts"], before["schema_migrations"]+1
		switch {
		case version == base && maps.Equal(after, before):
		case version == v && maps.Equal(after, want):
			state, binary = "new", migrations
		default:
			t.Fatalf("round %d: killed after %v: the database is neither at the old schema nor at the new one: version %d (was %d), tables %v (were %v)\n%s",
				round, delay, version, base, after, before, &out)
		}
		counts[state]++
		if out, err := run(binary, "doctor").CombinedOutput(); err != nil {
			t.Fatalf("round %d: killed after %v, the database at the %s schema: hearth doctor failed: %v\n%s", round, delay, state, err, out)
		}
		if state == "new" {
			undo(v)
		}
		clean()
		t.Logf("round %d: killed after %v of %v: the database is at the %s schema (version %d), doctor passes", round, delay.Round(time.Millisecond), whole.Round(time.Millisecond), state, version)
	}
	took := time.Since(start)
	t.Logf("%d migrate rounds in %v (%v a round): %d found at the old schema, %d at the new, none in between",
		rounds, took.Round(time.Second), (took / time.Duration(rounds)).Round(time.Millisecond), counts["old"], counts["new"])
}

// tableCounts returns every table's row count, read through the store.
func tableCounts(t *testing.T, d crashDB) map[string]int {
	t.Helper()
	db, err := store.Open(t.Context(), d.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n, err := db.TableCounts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]int, len(n))
	for k, v := range n {
		out[k] = int(v)
	}
	return out
}

func schemaVersion(t *testing.T, d crashDB) int {
	t.Helper()
	var v int
	d.use(t, func(db *sql.DB) {
		if err := db.QueryRowContext(t.Context(), "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&v); err != nil {
			t.Fatal(err)
		}
	})
	return v
}

// waitAlone waits until no other session uses the PostgreSQL database: a
// killed client's server process runs its statement to the end before it
// notices, and a COMMIT sent just before the kill may still be landing.
func waitAlone(t *testing.T, d crashDB) {
	t.Helper()
	// One connection of the test's own pool asks; the others sit idle.
	const others = "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name <> 'hearth-crash-test'"
	deadline := time.Now().Add(60 * time.Second)
	d.use(t, func(db *sql.DB) {
		for {
			var n int
			if err := db.QueryRowContext(t.Context(), others).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d sessions still on the database a minute after the kill", n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}
