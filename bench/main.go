// Command bench is Hearth's load-test harness. From the module root:
//
//	go run ./bench            # full size: 8,000 members, 40,000 threads, 500,000 posts
//	go run ./bench -small     # a tenth of that, for a quick run
//
// It builds the binary, seeds (or reuses) a data set, starts Hearth and a
// reference server that returns the very same bytes from memory, drives
// both with wrk on loopback, and prints a Markdown table (and writes a JSON
// file) with requests/s, latency percentiles, Hearth's ratio to the
// reference, RSS and CPU per scenario. It stops everything it started.
// It exits non-zero only when the harness itself fails, not on missed targets.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// options are the harness's flags.
type options struct {
	root        string // module root
	data        string
	out         string
	members     int
	threads     int
	posts       int
	small       bool
	duration    time.Duration
	connections int
	wrkThreads  int
	scenarios   string
	maxTime     time.Duration
	db          string // PostgreSQL DSN, or "" for SQLite in data
	profile     bool   // fetch a CPU profile of Hearth during each scenario
	compare     string // an earlier results JSON, for the 5,000,000-post target
	pacedRate   int    // replies a second in paced-posting-with-reads
	args        []string
}

func main() {
	// The harness re-executes itself as the reference server, so that the
	// reference's CPU and memory are measured apart from the harness's.
	if len(os.Args) > 2 && os.Args[1] == referenceArg {
		if err := serveReference(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "reference server:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	interrupted := ctx.Err() != nil
	stop()
	if interrupted {
		fmt.Fprintln(os.Stderr, "bench: interrupted; everything it started is stopped")
		os.Exit(130)
	}
	if err != nil {
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

func parseFlags(args []string) (*options, error) {
	o := &options{args: args}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&o.data, "data", "", "data directory, reused if it holds a seeded hearth.db (default bench/out/data, or bench/out/data-small with -small)")
	fs.StringVar(&o.out, "out", "", "JSON results file (default bench/out/results.json); a Markdown copy is written next to it")
	fs.IntVar(&o.members, "members", 8000, "members to seed")
	fs.IntVar(&o.threads, "threads", 40000, "threads to seed")
	fs.IntVar(&o.posts, "posts", 500000, "posts to seed, first posts included")
	fs.BoolVar(&o.small, "small", false, "quick run on a small data set: 800 members, 4,000 threads, 50,000 posts")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "length of each wrk run")
	fs.IntVar(&o.connections, "connections", 32, "wrk connections")
	fs.IntVar(&o.wrkThreads, "threads-wrk", 2, "wrk threads")
	fs.StringVar(&o.scenarios, "scenarios", "all", "comma-separated scenarios to run: "+strings.Join(scenarioNames(), ","))
	fs.DurationVar(&o.maxTime, "max-time", 15*time.Minute, "give up (and stop everything) after this long, seeding excluded")
	fs.StringVar(&o.db, "db", "", "run on PostgreSQL: a postgres:// DSN of a database for the bench alone (created if missing, seeded once)")
	fs.BoolVar(&o.profile, "profile", false, "fetch a CPU profile of Hearth during each scenario (bench/out/NAME.pprof) and list its top functions")
	fs.IntVar(&o.pacedRate, "paced-rate", 200, "replies a second in paced-posting-with-reads")
	fs.StringVar(&o.compare, "compare", "", "an earlier results JSON (e.g. of the 500,000-post size) to compare the mixed workload with")
	// -threads is the seed size, as in `hearth seed`; wrk's thread count is
	// -threads-wrk (alias -t).
	fs.IntVar(&o.wrkThreads, "t", 2, "wrk threads (alias of -threads-wrk)")
	if err := fs.Parse(args); err != nil {
		return nil, errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "bench: unexpected argument %q\n", fs.Arg(0))
		return nil, errUsage
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.small {
		if !set["members"] {
			o.members = 800
		}
		if !set["threads"] {
			o.threads = 4000
		}
		if !set["posts"] {
			o.posts = 50000
		}
	}
	if o.connections < 2 || o.wrkThreads < 1 || o.connections < o.wrkThreads {
		return nil, fmt.Errorf("need -connections >= 2 and >= -threads-wrk >= 1")
	}
	if o.db != "" && !isPostgresDSN(o.db) {
		return nil, fmt.Errorf("-db wants a postgres:// DSN (SQLite is the default, in -data)")
	}
	if o.pacedRate < 1 {
		return nil, fmt.Errorf("-paced-rate must be at least 1")
	}
	if o.duration < time.Second {
		return nil, fmt.Errorf("-duration must be at least 1s")
	}
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	o.root = root
	if o.data == "" && o.db != "" {
		// Node a's data directory (serve lock, backups); the data is in -db.
		o.data = filepath.Join(root, "bench", "out", "pg-node")
	}
	if o.data == "" {
		name := "data"
		if o.members != 8000 || o.threads != 40000 || o.posts != 500000 {
			name = fmt.Sprintf("data-%d-%d-%d", o.members, o.threads, o.posts)
			if o.small && !set["members"] && !set["threads"] && !set["posts"] {
				name = "data-small"
			}
		}
		o.data = filepath.Join(root, "bench", "out", name)
	}
	if o.out == "" {
		o.out = filepath.Join(root, "bench", "out", "results.json")
	}
	if o.data, err = filepath.Abs(o.data); err != nil {
		return nil, err
	}
	if o.out, err = filepath.Abs(o.out); err != nil {
		return nil, err
	}
	return o, nil
}

// moduleRoot is the directory of Hearth's go.mod.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w (run the harness from Hearth's repository)", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside a Go module: run the harness from Hearth's repository (go run ./bench)")
	}
	return filepath.Dir(mod), nil
}

func run(ctx context.Context, args []string) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	wanted, err := selectScenarios(o.scenarios)
	if err != nil {
		return err
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		return errors.New("wrk not found: install it with `apt-get install -y wrk` (Debian)")
	}
	procs := newProcs()
	defer procs.stopAll()

	outDir := filepath.Join(o.root, "bench", "out")
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	bin := filepath.Join(outDir, "hearth")
	step("Building %s", rel(o.root, bin))
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/hearth")
	build.Dir, build.Stdout, build.Stderr = o.root, os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go build ./cmd/hearth: %w", err)
	}

	if err := ensureSeeded(ctx, procs, o, bin); err != nil {
		return err
	}

	// Everything after seeding is bounded in time.
	ctx, cancel := context.WithTimeout(ctx, o.maxTime)
	defer cancel()

	db, err := openData(ctx, o)
	if err != nil {
		return err
	}
	name := filepath.Join(o.data, "hearth.db")
	engine := "SQLite"
	if o.db != "" {
		name, engine = redactDSN(o.db), pgInfo(ctx, db)
	}
	ds, err := pickData(ctx, db, name)
	db.Close()
	if err != nil {
		return err
	}
	ds.engine = engine
	step("Picked thread %s (%d posts), category %s, %d members, %d threads to post into",
		ds.threadURL, ds.threadPosts, ds.categoryURL, len(ds.members), len(ds.postThreads))

	data := o.data
	if o.db == "" {
		// Every run mutates its database (replies, a longer log, search
		// segments and their merging): runs on the seeded one itself drifted
		// apart (posting 797 to 1,806 replies/s on one machine).
		data = filepath.Join(outDir, "run-data")
		start := time.Now()
		if err := copyDataSet(o.data, data); err != nil {
			return err
		}
		step("Copied the data set to %s for this run in %s", rel(o.root, data), time.Since(start).Round(100*time.Millisecond))
	}
	h, err := startHearth(ctx, procs, o, bin, data, filepath.Join(outDir, "hearth.log"))
	if err != nil {
		return err
	}
	step("Hearth is up at %s (pid %d) after %s", h.base, h.pid, h.startup.Round(100*time.Microsecond))
	ref, err := startReference(ctx, procs, filepath.Join(outDir, "reference.log"))
	if err != nil {
		return err
	}
	step("Reference server is up at %s (pid %d)", ref.base, ref.pid)

	r := &runner{o: o, hearth: h, ref: ref, ds: ds, procs: procs, work: filepath.Join(outDir, "work"), bin: bin}
	if err := os.MkdirAll(r.work, 0o700); err != nil {
		return err
	}
	defer os.RemoveAll(r.work) // the Lua scripts and the members' tokens
	rep, err := r.runAll(ctx, wanted)
	if err != nil {
		return err
	}
	rep.finish(o, h)
	if o.profile {
		rep.summarizeProfiles(ctx, r.profiles)
	}
	if o.compare != "" {
		rep.Targets = append(rep.Targets, compareTarget(rep, o.compare))
	}
	fmt.Println()
	md := rep.markdown()
	fmt.Print(md)
	if err := rep.write(o.out, md); err != nil {
		return err
	}
	fmt.Printf("\nWrote %s and %s.\n", rel(o.root, o.out), rel(o.root, mdPath(o.out)))
	return nil
}

// step prints a progress line to stderr, keeping stdout for the results.
func step(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "==> "+format+"\n", args...)
}

func rel(root, p string) string {
	if r, err := filepath.Rel(root, p); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p
}
