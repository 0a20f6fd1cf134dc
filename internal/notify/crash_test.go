package notify_test

// The notifications' crash loop: a child process replies as fast as it
// can in a thread whose owner is told of every reply, while the
// notifications consumer runs; the child is killed with SIGKILL at random
// moments, round after round, and restarted. At the end every reply the
// store acknowledged has exactly one notification: none lost with the
// kill, none doubled by the replay of the batch in flight.

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
	"hearth/internal/notify"
	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

const (
	childEnv   = "HEARTH_NOTIFY_CRASH_CHILD" // the DSN; set only in the child
	drainEnv   = "HEARTH_NOTIFY_DRAIN"       // consume to the end, write nothing, exit
	childBatch = 20
)

func TestMain(m *testing.M) {
	if dsn := os.Getenv(childEnv); dsn != "" {
		os.Exit(child(dsn, os.Getenv(drainEnv) != ""))
	}
	os.Exit(m.Run())
}

func child(dsn string, drain bool) int {
	ctx := context.Background()
	fail := func(err error) int { fmt.Fprintln(os.Stderr, err); return 2 }
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return fail(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return fail(err)
	}
	cons := &notify.Consumer{Store: db}
	r := &events.Runner{Source: db, Consumers: []events.Consumer{cons}, Poll: 20 * time.Millisecond, Batch: childBatch}
	if drain {
		for {
			n, err := r.Step(ctx, cons, childBatch)
			if err != nil {
				return fail(err)
			}
			if n == 0 {
				return 0
			}
		}
	}
	thread, author, err := fixture(ctx, db)
	if err != nil {
		return fail(err)
	}
	go r.Run(ctx)
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(out, "ready")
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

// fixture finds or makes the thread (by its owner) and the replier.
func fixture(ctx context.Context, db *store.DB) (thread, author int64, err error) {
	member := func(email, name string) (*forum.Member, error) {
		m, err := db.MemberByEmail(ctx, email)
		if err == nil {
			return m, nil
		}
		m = &forum.Member{Email: email, Name: name, Role: forum.RoleMember, Status: forum.StatusActive, CreatedAt: time.Now()}
		return m, db.CreateMember(ctx, m)
	}
	owner, err := member("owner@example.org", "Owner")
	if err != nil {
		return 0, 0, err
	}
	replier, err := member("crash@example.org", "Crash")
	if err != nil {
		return 0, 0, err
	}
	ts, _, err := db.ListThreads(ctx, forum.ThreadFilter{CategoryID: 1, Limit: 1})
	if err == nil && len(ts) > 0 {
		return ts[0].ID, replier.ID, nil
	}
	c := &forum.Category{Name: "Crash", Slug: "crash"}
	if err := db.CreateCategory(ctx, c); err != nil {
		return 0, 0, err
	}
	t := &forum.Thread{CategoryID: c.ID, AuthorID: owner.ID, Title: "Crash", Slug: "crash"}
	if err := db.CreateThread(ctx, t, &forum.Post{Body: "x", HTML: "<p>x</p>", CreatedAt: time.Now()}); err != nil {
		return 0, 0, err
	}
	return t.ID, replier.ID, nil
}

func TestNotificationsCrashLoop(t *testing.T) {
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
	run := func(drain bool, kill time.Duration) []int64 {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+dsn)
		if drain {
			cmd.Env = append(cmd.Env, drainEnv+"=1")
		}
		stdout, _ := cmd.StdoutPipe()
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if !drain {
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
				if n, err := strconv.ParseInt(id, 10, 64); err == nil {
					acks = append(acks, n)
				}
			}
		}
		err := cmd.Wait()
		if drain && err != nil {
			t.Fatalf("drain: %v\n%s", err, stderr.String())
		}
		return acks
	}
	var acked []int64
	start := time.Now()
	for range rounds {
		n, _ := rand.Int(rand.Reader, big.NewInt(300))
		acked = append(acked, run(false, time.Duration(100+n.Int64())*time.Millisecond)...)
	}
	run(true, 0)

	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	owner, err := db.MemberByEmail(ctx, "owner@example.org")
	if err != nil {
		t.Fatal(err)
	}
	ns, err := db.Notifications(ctx, owner.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]int{}
	for _, n := range ns {
		seen[n.PostID]++
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
	t.Logf("%d rounds in %v: %d replies acknowledged, %d notifications (%d missing, %d doubled)",
		rounds, time.Since(start).Round(time.Millisecond), len(acked), len(ns), missing, dups)
	if len(acked) == 0 {
		t.Fatal("no reply was acknowledged: the child did not run")
	}
	if missing > 0 || dups > 0 {
		t.Errorf("%d acknowledged replies have no notification, %d have more than one", missing, dups)
	}
}
