package events_test

// The consumers' crash loop: a child process writes posts as fast as it
// can while a durable consumer records, for each post.created event, the
// post's id in an effects file (fsync before the cursor moves); the child
// is killed with SIGKILL at random moments, round after round, and
// restarted. At the end every post the store acknowledged must have its
// effect, and effects repeated by replays are counted: at most the events
// in flight at each kill.

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"hearth/internal/events"
	"hearth/internal/forum"
	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

const (
	childEnv   = "HEARTH_EVENTS_CRASH_CHILD" // the DSN; set only in the child
	effectsEnv = "HEARTH_EVENTS_EFFECTS"     // the effects file
	drainEnv   = "HEARTH_EVENTS_DRAIN"       // consume to the end, write nothing, exit
	childBatch = 20
)

func TestMain(m *testing.M) {
	if dsn := os.Getenv(childEnv); dsn != "" {
		os.Exit(child(dsn, os.Getenv(effectsEnv), os.Getenv(drainEnv) != ""))
	}
	os.Exit(m.Run())
}

// effectsFile is a consumer whose effect is a line per post.created event,
// made durable (fsync) before Handle returns.
type effectsFile struct{ f *os.File }

func (effectsFile) Name() string { return "crash-test" }

func (e effectsFile) Handle(_ context.Context, evs []forum.Event) error {
	var b strings.Builder
	for _, ev := range evs {
		if ev.Kind == forum.EventPostCreated {
			fmt.Fprintf(&b, "%d %d\n", ev.ID, ev.PostID)
		}
	}
	if _, err := e.f.WriteString(b.String()); err != nil {
		return err
	}
	return e.f.Sync()
}

// child writes posts from 4 writers, printing "ack ID" for each the store
// confirmed, while the consumer runs; in drain mode it only consumes until
// it has read to the end.
func child(dsn, effects string, drain bool) int {
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	f, err := os.OpenFile(effects, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	r := &events.Runner{Source: db, Consumers: []events.Consumer{effectsFile{f}}, Poll: 20 * time.Millisecond, Batch: childBatch}
	if drain {
		for {
			n, err := r.Step(ctx, effectsFile{f}, childBatch)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 2
			}
			if n == 0 {
				return 0
			}
		}
	}
	thread, author, err := fixture(ctx, db)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	go r.Run(ctx)
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(out, "ready") // the kill's clock starts here, not at exec
	out.Flush()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				p := &forum.Post{ThreadID: thread, AuthorID: author, Body: "x", HTML: "<p>x</p>", CreatedAt: time.Now()}
				if err := db.CreatePost(ctx, p); err != nil {
					continue
				}
				mu.Lock()
				fmt.Fprintf(out, "ack %d\n", p.ID)
				out.Flush()
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return 0
}

// fixture finds or makes the member and thread the child posts to.
func fixture(ctx context.Context, db *store.DB) (thread, author int64, err error) {
	m, err := db.MemberByEmail(ctx, "crash@example.org")
	if err != nil {
		m = &forum.Member{Email: "crash@example.org", Name: "Crash", Role: forum.RoleMember, Status: forum.StatusActive, CreatedAt: time.Now()}
		if err := db.CreateMember(ctx, m); err != nil {
			return 0, 0, err
		}
	}
	ts, _, err := db.ListThreads(ctx, forum.ThreadFilter{CategoryID: 1, Limit: 1})
	if err == nil && len(ts) > 0 {
		return ts[0].ID, m.ID, nil
	}
	c := &forum.Category{Name: "Crash", Slug: "crash"}
	if err := db.CreateCategory(ctx, c); err != nil {
		return 0, 0, err
	}
	t := &forum.Thread{CategoryID: c.ID, AuthorID: m.ID, Title: "Crash", Slug: "crash"}
	if err := db.CreateThread(ctx, t, &forum.Post{Body: "x", HTML: "<p>x</p>", CreatedAt: time.Now()}); err != nil {
		return 0, 0, err
	}
	return t.ID, m.ID, nil
}

func TestConsumerCrashLoop(t *testing.T) {
	rounds := storetest.CrashRounds(t, "HEARTH_CRASH_ROUNDS", 5)
	t.Run("sqlite", func(t *testing.T) {
		crashLoop(t, filepath.Join(t.TempDir(), "hearth.db"), rounds)
	})
	t.Run("postgres", func(t *testing.T) {
		crashLoop(t, storetest.CreatePostgres(t), rounds)
	})
}

func crashLoop(t *testing.T, dsn string, rounds int) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	effects := filepath.Join(t.TempDir(), "effects")
	run := func(drain bool, kill time.Duration) []int64 {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+dsn, effectsEnv+"="+effects)
		if drain {
			cmd.Env = append(cmd.Env, drainEnv+"=1")
		}
		stdout, _ := cmd.StdoutPipe()
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if !drain { // a child that never gets ready is killed too
			guard := time.AfterFunc(time.Minute, func() { cmd.Process.Signal(syscall.SIGKILL) })
			defer guard.Stop()
		}
		var acks []int64
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if sc.Text() == "ready" {
				time.AfterFunc(kill, func() { cmd.Process.Signal(syscall.SIGKILL) })
			}
			if id, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
				n, err := strconv.ParseInt(id, 10, 64)
				if err == nil {
					acks = append(acks, n)
				}
			}
		}
		err := cmd.Wait()
		if drain && err != nil {
			t.Fatalf("drain: %v\n%s", err, stderr.String())
		}
		if !drain && stderr.Len() > 0 {
			t.Logf("child: %s", stderr.String())
		}
		return acks
	}
	var acked []int64
	start := time.Now()
	for range rounds {
		n, _ := rand.Int(rand.Reader, big.NewInt(300))
		acked = append(acked, run(false, time.Duration(100+n.Int64())*time.Millisecond)...)
	}
	run(true, 0) // what the last round left unconsumed

	b, err := os.ReadFile(effects)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]int{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue // a line cut by the kill: its batch is replayed
		}
		if id, err := strconv.ParseInt(f[1], 10, 64); err == nil {
			seen[id]++
		}
	}
	missing, dups := 0, 0
	for _, id := range acked {
		if seen[id] == 0 {
			missing++
		}
	}
	for _, n := range seen {
		dups += n - 1
	}
	t.Logf("%d rounds in %v: %d posts acknowledged, %d effects missing, %d repeated by replays (at most %d events in flight per kill)",
		rounds, time.Since(start).Round(time.Millisecond), len(acked), missing, dups, childBatch)
	if len(acked) == 0 {
		t.Fatal("no post was acknowledged: the child did not run")
	}
	if missing > 0 {
		t.Errorf("%d acknowledged posts never reached the consumer", missing)
	}
	if dups > rounds*childBatch {
		t.Errorf("%d repeated effects: more than the %d events in flight at the kills", dups, rounds*childBatch)
	}
}
