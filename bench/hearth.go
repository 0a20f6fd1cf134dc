package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	_ "modernc.org/sqlite"
)

// seedPassword is the password `hearth seed` gives every member.
const seedPassword = "seed-password"

// seededMarker is written into the data directory after a complete seed, so
// that an interrupted one is not mistaken for a data set.
const seededMarker = "bench-seeded.json"

// ensureSeeded reuses the data directory if it holds a completed seed, and
// otherwise seeds it with `hearth seed`, streaming its progress.
func ensureSeeded(ctx context.Context, p *procs, o *options, bin string) error {
	if o.db != "" {
		return ensureSeededPostgres(ctx, p, o, bin)
	}
	dbPath := filepath.Join(o.data, "hearth.db")
	marker := filepath.Join(o.data, seededMarker)
	_, dbErr := os.Stat(dbPath)
	_, markErr := os.Stat(marker)
	switch {
	case dbErr == nil && markErr == nil:
		b, _ := os.ReadFile(marker)
		step("Reusing the data set in %s (%s)", rel(o.root, o.data), strings.TrimSpace(string(b)))
		return nil
	case dbErr == nil:
		// A hearth.db without the marker: an interrupted seed, or a data set
		// made by hand. Only ours (under bench/out) is removed.
		if !strings.HasPrefix(o.data, filepath.Join(o.root, "bench", "out")+string(filepath.Separator)) {
			step("Reusing %s, which was not seeded by this harness (no %s)", o.data, seededMarker)
			return nil
		}
		step("%s holds an incomplete seed: starting over", rel(o.root, o.data))
		for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
			if err := os.Remove(dbPath + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	if err := os.MkdirAll(o.data, 0o755); err != nil {
		return err
	}
	step("Seeding %d members, %d threads, %d posts into %s (a few minutes for the full size)",
		o.members, o.threads, o.posts, rel(o.root, o.data))
	start := time.Now()
	if err := runHearth(ctx, p, bin, "seed", "seed", "--data", o.data,
		"--members", strconv.Itoa(o.members), "--threads", strconv.Itoa(o.threads), "--posts", strconv.Itoa(o.posts)); err != nil {
		return err
	}
	took := time.Since(start).Round(time.Second)
	info := fmt.Sprintf(`{"members":%d,"threads":%d,"posts":%d,"seeded_at":%q,"took":%q}`,
		o.members, o.threads, o.posts, time.Now().UTC().Format(time.RFC3339), took)
	step("Seeded in %s", took)
	return os.WriteFile(marker, []byte(info+"\n"), 0o644)
}

// runHearth runs a hearth command to its end, streaming its output as
// progress lines labelled with label.
func runHearth(ctx context.Context, p *procs, bin, label string, args ...string) error {
	cmd := exec.CommandContext(ctx, bin, args...)
	p.prepare(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		fmt.Fprintf(os.Stderr, "    %s: %s\n", label, sc.Text())
	}
	if err := cmd.Wait(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("hearth %s: %w", args[0], err)
	}
	return nil
}

// dataset is what the scenarios need from the seeded database.
type dataset struct {
	threadID    int64
	threadURL   string // a thread whose first page shows 20 posts
	smallURL    string // a thread of one short post: a page of a few KB, where per-request cost shows
	threadPosts int
	categoryURL string // the busiest public category
	postThreads []int64
	members     []seedMember
	counts      map[string]int64
	engine      string // "SQLite", or the PostgreSQL server and its settings
	// searches are many distinct queries made of the posts' own words:
	// one word, two words and two-word phrases, a third each.
	searches []string
}

type seedMember struct {
	ID    int64
	Email string
}

// openData opens the seeded database for pickData: the SQLite file
// read-only, or the PostgreSQL database of -db.
func openData(ctx context.Context, o *options) (*sql.DB, error) {
	if o.db != "" {
		return openPostgres(ctx, o.db)
	}
	return sql.Open("sqlite", "file:"+filepath.Join(o.data, "hearth.db")+"?mode=ro&_pragma=busy_timeout(5000)")
}

// pickData reads the seeded database for a thread, a category, threads to
// reply to and members to log in as. Its SQL runs on both engines.
func pickData(ctx context.Context, db *sql.DB, name string) (*dataset, error) {
	ds := &dataset{counts: map[string]int64{}}
	for _, t := range []string{"members", "categories", "threads", "posts"} {
		var n int64
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+t).Scan(&n); err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		ds.counts[t] = n
	}
	// Public: neither the category nor its parent is members-only or
	// staff-only. Bare boolean columns: integers on SQLite, booleans on
	// PostgreSQL.
	const public = `NOT c.members_only AND NOT c.staff_only AND (c.parent_id IS NULL OR NOT EXISTS
		(SELECT 1 FROM categories p WHERE p.id = c.parent_id AND (p.members_only OR p.staff_only)))`
	var slug string
	err := db.QueryRowContext(ctx, `SELECT t.id, t.slug, t.post_count FROM threads t JOIN categories c ON c.id = t.category_id
		WHERE t.deleted_at = 0 AND `+public+` AND t.post_count BETWEEN 20 AND 60
		  AND (SELECT count(*) FROM posts p WHERE p.thread_id = t.id AND p.position <= 20 AND p.deleted_at = 0) = 20
		ORDER BY t.id LIMIT 1`).Scan(&ds.threadID, &slug, &ds.threadPosts)
	if err != nil {
		return nil, fmt.Errorf("find a public thread with at least 20 posts: %w", err)
	}
	ds.threadURL = fmt.Sprintf("/t/%d/%s", ds.threadID, slug)
	var smallID int64
	err = db.QueryRowContext(ctx, `SELECT t.id, t.slug FROM threads t JOIN categories c ON c.id = t.category_id
		JOIN posts p ON p.thread_id = t.id AND p.position = 1
		WHERE t.deleted_at = 0 AND `+public+` AND t.post_count = 1 AND length(p.html) < 400
		ORDER BY t.id LIMIT 1`).Scan(&smallID, &slug)
	if err != nil {
		return nil, fmt.Errorf("find a public thread of one short post: %w", err)
	}
	ds.smallURL = fmt.Sprintf("/t/%d/%s", smallID, slug)
	var catID int64
	err = db.QueryRowContext(ctx, `SELECT c.id, c.slug FROM categories c WHERE `+public+`
		ORDER BY c.thread_count DESC, c.id LIMIT 1`).Scan(&catID, &slug)
	if err != nil {
		return nil, fmt.Errorf("find a public category: %w", err)
	}
	ds.categoryURL = fmt.Sprintf("/c/%d/%s", catID, slug)

	rows, err := db.QueryContext(ctx, `SELECT t.id FROM threads t JOIN categories c ON c.id = t.category_id
		WHERE t.deleted_at = 0 AND NOT t.locked AND `+public+` ORDER BY random() LIMIT 500`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		// The read scenarios' thread stays as captured, so that its page
		// (and the reference's copy) do not change under the reads.
		if id != ds.threadID {
			ds.postThreads = append(ds.postThreads, id)
		}
	}
	rows.Close()
	rows, err = db.QueryContext(ctx, `SELECT id, email FROM members WHERE status = 'active' AND role = 'member' ORDER BY id LIMIT 200`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var m seedMember
		if err := rows.Scan(&m.ID, &m.Email); err != nil {
			rows.Close()
			return nil, err
		}
		ds.members = append(ds.members, m)
	}
	rows.Close()
	if ds.searches, err = pickSearches(ctx, db); err != nil {
		return nil, err
	}
	if len(ds.postThreads) == 0 || len(ds.members) == 0 {
		return nil, fmt.Errorf("%s has no open public threads or no active members", name)
	}
	return ds, rows.Err()
}

// server is a running HTTP server child: Hearth or the reference.
type server struct {
	*child
	base    string
	startup time.Duration
	pprof   string // Hearth's --pprof address, with -profile
}

// freePort asks the kernel for an unused loopback port.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startHearth starts `hearth serve` on data (and -db, if given) and
// measures its start-up: from exec to the first 200 on /healthz, polled
// every 5ms.
func startHearth(ctx context.Context, p *procs, o *options, bin, data, logPath string) (*server, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	// --migrate: a data set seeded by an older Hearth is upgraded (after a
	// backup) instead of refused; no scheduled backup may run mid-measurement.
	args := []string{"serve", "--addr", addr, "--data", data, "--no-rate-limits", "--migrate", "--backup-every", "0"}
	if o.db != "" {
		args = append(args, "--db", o.db)
	}
	var pprofAddr string
	if o.profile {
		if pprofAddr, err = freePort(); err != nil {
			return nil, err
		}
		args = append(args, "--pprof", pprofAddr)
	}
	if err := os.MkdirAll(data, 0o755); err != nil {
		return nil, err
	}
	s, err := launch(ctx, p, "hearth", addr, logPath, 60*time.Second, bin, args...)
	if err != nil {
		return nil, err
	}
	s.pprof = pprofAddr
	return s, nil
}

// launch starts a server process logging to logPath and waits until it
// answers /healthz on addr, measuring how long that took.
func launch(ctx context.Context, p *procs, what, addr, logPath string, limit time.Duration, name string, args ...string) (*server, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close() // the child keeps its own descriptor
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	start := time.Now()
	c, err := p.start(cmd)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", what, err)
	}
	s := &server{child: c, base: "http://" + addr}
	if err := waitHealthy(ctx, s, limit); err != nil {
		return nil, fmt.Errorf("%s did not start (see %s): %w", what, logPath, err)
	}
	s.startup = time.Since(start)
	return s, nil
}

func waitHealthy(ctx context.Context, s *server, limit time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(limit)
	for {
		if res, err := client.Get(s.base + "/healthz"); err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.exited:
			return fmt.Errorf("it exited: %v", s.err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no 200 on /healthz within %s", limit)
		}
	}
}

// client is the harness's own HTTP client: no redirects followed, no
// transparent gzip, so it sees exactly what Hearth sends.
var client = &http.Client{
	Timeout:       30 * time.Second,
	Transport:     &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 8},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// apiTokens logs members in through the API (in parallel: each login is an
// argon2id hash) and returns their bearer tokens.
func apiTokens(ctx context.Context, base string, members []seedMember) ([]string, error) {
	tokens := make([]string, len(members))
	errs := make([]error, len(members))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4) // each login is an argon2id hash of 19 MiB
	for i, m := range members {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			body, _ := json.Marshal(map[string]string{"email": m.Email, "password": seedPassword})
			req, _ := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/sessions", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			res, err := client.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			defer res.Body.Close()
			var out struct {
				Token string `json:"token"`
				Error string `json:"error"`
			}
			json.NewDecoder(res.Body).Decode(&out)
			if res.StatusCode != http.StatusCreated || out.Token == "" {
				errs[i] = fmt.Errorf("log in %s through the API: %d %s", m.Email, res.StatusCode, out.Error)
				return
			}
			tokens[i] = out.Token
		}()
	}
	wg.Wait()
	var ok []string
	var first error
	for i, t := range tokens {
		if t != "" {
			ok = append(ok, t)
		} else if first == nil {
			first = errs[i]
		}
	}
	if len(ok) == 0 {
		return nil, fmt.Errorf("no member could log in: %w", first)
	}
	if first != nil {
		step("warning: %d of %d API logins failed, e.g. %v", len(members)-len(ok), len(members), first)
	}
	return ok, nil
}

// webLogin logs a member in through the web form and returns the Cookie
// header value a browser would then send.
func webLogin(ctx context.Context, base string, m seedMember) (string, error) {
	form := url.Values{"email": {m.Email}, "password": {seedPassword}}
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	io.Copy(io.Discard, res.Body)
	for _, c := range res.Cookies() {
		if c.Name == "hearth_session" && c.Value != "" {
			return c.Name + "=" + c.Value, nil
		}
	}
	return "", fmt.Errorf("POST /login as %s: status %d and no hearth_session cookie", m.Email, res.StatusCode)
}

// pickSearches makes search queries from the words of posts spread over
// the data set: deterministic, distinct, a third each of one word, two
// words and a quoted two-word phrase (words that follow each other).
func pickSearches(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT body FROM posts WHERE id % 397 = 0 ORDER BY id LIMIT 600")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var texts [][]string
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		var words []string
		// Split as the index does (letters and digits make a word), so
		// that neighbours here are neighbours there and a phrase exists.
		for _, w := range strings.FieldsFunc(strings.ToLower(body), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			words = append(words, w)
		}
		if len(words) >= 2 {
			texts = append(texts, words)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(texts) == 0 {
		return nil, errors.New("no posts to make search queries from")
	}
	rng := rand.New(rand.NewPCG(7, 11))
	seen := map[string]bool{}
	var out []string
	for tries := 0; len(out) < 900 && tries < 20000; tries++ {
		words := texts[rng.IntN(len(texts))]
		i, j := rng.IntN(len(words)-1), rng.IntN(len(words))
		if len(words[i]) < 4 || len(words[j]) < 4 || len(words[i+1]) < 3 {
			continue // words people search for, and phrases that exist
		}
		var q string
		switch tries % 3 {
		case 0:
			q = words[i]
		case 1:
			q = words[i] + " " + words[j]
		case 2:
			q = `"` + words[i] + " " + words[i+1] + `"`
		}
		if !seen[q] {
			seen[q] = true
			out = append(out, "/search?q="+url.QueryEscape(q))
		}
	}
	return out, nil
}

// copyDataSet copies the seeded data directory's files to dst, emptied
// first, so that a run starts from the seeded state. The lock and SQLite's
// shared-memory index are left behind: they belong to a running server.
func copyDataSet(src, dst string) error {
	if err := os.RemoveAll(dst); err != nil {
		return err
	}
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		relPath, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, relPath)
		name := d.Name()
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o700)
		case name == "hearth.lock" || strings.HasSuffix(name, "-shm") || !d.Type().IsRegular():
			return nil
		}
		return copyFile(path, target)
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
