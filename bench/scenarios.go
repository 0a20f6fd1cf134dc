package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A scenario measures one kind of traffic against Hearth and then the same
// against the reference server, in the same run, so that ratios are fair
// on a noisy shared machine.
type scenario struct {
	name   string
	title  string
	run    func(r *runner, ctx context.Context) (*result, error)
	tokens bool // needs members' API tokens
}

var scenarios = []scenario{
	{"guest-thread", "guest thread page (20 posts)", func(r *runner, ctx context.Context) (*result, error) {
		return r.read(ctx, r.ds.threadURL, nil)
	}, false},
	{"guest-small", "guest thread page (one short post, a few KB)", func(r *runner, ctx context.Context) (*result, error) {
		return r.read(ctx, r.ds.smallURL, nil)
	}, false},
	{"member-thread", "member thread page", (*runner).memberThread, false},
	{"front", "front page", func(r *runner, ctx context.Context) (*result, error) {
		return r.read(ctx, "/", nil)
	}, false},
	{"category", "category page", func(r *runner, ctx context.Context) (*result, error) {
		return r.read(ctx, r.ds.categoryURL, nil)
	}, false},
	{"search", "search query", (*runner).search, false},
	{"posting", "posting (API replies)", (*runner).posting, true},
	{"posting-with-reads", "guest reads while posting", (*runner).postingWithReads, true},
	{"paced-posting-with-reads", "guest reads while replies come at a steady rate", (*runner).pacedPostingWithReads, true},
	{"mixed", "mixed: 95% reads, 5% replies", (*runner).mixed, true},
	{"compressed", "guest thread page, compressed", (*runner).compressed, false},
	{"two-nodes", "two nodes on one PostgreSQL: reads on both, replies on one", (*runner).twoNodes, true},
}

func scenarioNames() []string {
	var n []string
	for _, s := range scenarios {
		n = append(n, s.name)
	}
	return n
}

func selectScenarios(list string) ([]scenario, error) {
	if list == "" || list == "all" {
		return scenarios, nil
	}
	var out []scenario
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		i := slices.IndexFunc(scenarios, func(s scenario) bool { return s.name == name })
		if i < 0 {
			return nil, fmt.Errorf("unknown scenario %q; there are: %s", name, strings.Join(scenarioNames(), ", "))
		}
		out = append(out, scenarios[i])
	}
	return out, nil
}

// side is one server's numbers in a scenario.
type side struct {
	RPS       float64          `json:"rps"`
	Requests  int64            `json:"requests"`
	Errors    int64            `json:"errors"`
	Statuses  map[string]int64 `json:"statuses,omitempty"`
	P50ms     float64          `json:"p50_ms"`
	P90ms     float64          `json:"p90_ms"`
	P95ms     float64          `json:"p95_ms"`
	P99ms     float64          `json:"p99_ms"`
	MaxMs     float64          `json:"max_ms"`
	Usage     *usage           `json:"server,omitempty"` // the server's RSS and CPU over the run
	WrkConns  int              `json:"connections"`
	WrkThread int              `json:"wrk_threads"`
}

func newSide(w *wrkResult, u *usage, s wrkSpec) *side {
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return &side{
		RPS: w.rps(), Requests: w.Requests, Errors: w.errorCount(), Statuses: w.Statuses,
		P50ms: ms(w.LatencyUS.P50), P90ms: ms(w.LatencyUS.P90), P95ms: ms(w.LatencyUS.P95),
		P99ms: ms(w.LatencyUS.P99), MaxMs: ms(w.LatencyUS.Max), Usage: u,
		WrkConns: s.connections, WrkThread: s.threads,
	}
}

// result is one scenario's outcome.
type result struct {
	Name      string  `json:"name"`
	Title     string  `json:"title"`
	Skipped   string  `json:"skipped,omitempty"`
	Notes     string  `json:"notes,omitempty"`
	URL       string  `json:"url,omitempty"`
	PageBytes int     `json:"page_bytes,omitempty"`
	Hearth    *side   `json:"hearth,omitempty"`
	Reference *side   `json:"reference,omitempty"`
	Ratio     float64 `json:"ratio,omitempty"` // Hearth's requests/s over the reference's

	// Posting scenarios: replies per second that succeeded.
	RepliesPerSec float64 `json:"replies_per_sec,omitempty"`
	// posting-with-reads: the reads alone (same connections) and the
	// posting load that ran alongside; Hearth is the reads meanwhile.
	ReadsAlone *side   `json:"reads_alone,omitempty"`
	Posting    *side   `json:"posting,omitempty"`
	P50Factor  float64 `json:"read_p50_factor,omitempty"` // reads meanwhile / alone
	P99Factor  float64 `json:"read_p99_factor,omitempty"`
	// The reference's reads alone, and its p99 factor beside the same
	// posting load (which it answers at once): how much of the factor the
	// load generator's own share of the machine makes.
	RefReadsAlone *side   `json:"reference_reads_alone,omitempty"`
	RefP99Factor  float64 `json:"reference_read_p99_factor,omitempty"`

	// two-nodes: each node's reads (Hearth is both together, ReadsAlone is
	// node b's alone, Posting the replies to node a), and how long a reply
	// on node a took to show on node b's thread page.
	NodeA               *side     `json:"node_a,omitempty"`
	NodeB               *side     `json:"node_b,omitempty"`
	PropagationMs       []float64 `json:"propagation_ms,omitempty"`
	PropagationMedianMs float64   `json:"propagation_median_ms,omitempty"`
	PropagationMaxMs    float64   `json:"propagation_max_ms,omitempty"`

	more []*result // further results of the same scenario (compressed: gzip besides br)
}

// runner holds what the scenarios share.
type runner struct {
	o      *options
	hearth *server
	ref    *server
	ds     *dataset
	procs  *procs
	work   string
	bin    string // the hearth binary, for a second node

	guest  *response // the guest thread page, captured once
	tokens []string  // API tokens, fetched on first need

	current  string        // the scenario running: names its profile
	profiles []*profileRun // with -profile
}

func (r *runner) runAll(ctx context.Context, list []scenario) (*report, error) {
	rep := newReport(r)
	// Log the members in first: each login is an argon2id hash of 19 MiB,
	// and the memory that takes has time to go back before the load.
	if slices.ContainsFunc(list, func(s scenario) bool { return s.tokens && (s.name != "two-nodes" || r.o.db != "") }) {
		if _, err := r.apiTokens(ctx); err != nil {
			return nil, err
		}
		if kb, err := rssKB(r.hearth.pid); err == nil {
			rep.LoginRSSMB = float64(kb) / 1024
		}
	}
	// A short warm-up (not measured): SQLite's page cache, Go's heap.
	if err := r.warmUp(ctx); err != nil {
		return nil, err
	}
	for _, s := range list {
		select {
		case <-r.hearth.exited:
			return nil, fmt.Errorf("hearth exited during the run (see bench/out/hearth.log): %v", r.hearth.err)
		default:
		}
		if err := r.standInForAutovacuum(ctx); err != nil {
			return nil, err
		}
		step("Scenario %s: %s", s.name, s.title)
		r.current = s.name
		res, err := s.run(r, ctx)
		if err != nil {
			return nil, fmt.Errorf("scenario %s: %w", s.name, err)
		}
		res.Name, res.Title = s.name, s.title
		if res.Skipped != "" {
			step("    skipped: %s", res.Skipped)
		} else if res.Hearth != nil {
			msg := fmt.Sprintf("    Hearth %.0f req/s, p99 %.1f ms", res.Hearth.RPS, res.Hearth.P99ms)
			if res.Reference != nil {
				msg += fmt.Sprintf("; reference %.0f req/s, p99 %.1f ms; ratio %.2f", res.Reference.RPS, res.Reference.P99ms, res.Ratio)
			}
			step("%s", msg)
		}
		rep.Scenarios = append(rep.Scenarios, res)
		rep.Scenarios = append(rep.Scenarios, res.more...)
	}
	return rep, nil
}

// spec is a wrk run with the harness's defaults.
func (r *runner) spec(label, url, script string) wrkSpec {
	return wrkSpec{label: label, url: url, script: script, threads: r.o.wrkThreads,
		connections: r.o.connections, duration: r.o.duration}
}

// measure runs the wrk specs at the same time against srv, sampling srv's
// memory and CPU meanwhile, and with -profile its CPU profile as
// bench/out/PROFILE.pprof (none if profile is "").
func (r *runner) measure(ctx context.Context, srv *server, profile string, specs ...wrkSpec) ([]*wrkResult, *usage, error) {
	w, us, err := r.measureOn(ctx, []*server{srv}, []string{profile}, specs...)
	if err != nil {
		return nil, nil, err
	}
	return w, &us[0], nil
}

// measureOn is measure for several servers (the specs name their URLs),
// each sampled and profiled (as profiles[i]) apart.
func (r *runner) measureOn(ctx context.Context, srvs []*server, profiles []string, specs ...wrkSpec) ([]*wrkResult, []usage, error) {
	var smps []*sampler
	var before []groupCommits
	for i, srv := range srvs {
		wait := r.startProfile(ctx, srv, profiles[i])
		defer wait()
		smps = append(smps, startSampler(srv.pid))
		before = append(before, scrapeGroupCommits(ctx, srv))
	}
	out := make([]*wrkResult, len(specs))
	errs := make([]error, len(specs))
	var wg sync.WaitGroup
	for i, s := range specs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], errs[i] = runWrk(ctx, r.procs, r.work, s)
		}()
	}
	wg.Wait()
	us := make([]usage, len(smps))
	for i, smp := range smps {
		us[i] = smp.stop()
		if after := scrapeGroupCommits(ctx, srvs[i]); after.ok && before[i].ok {
			us[i].Writes, us[i].Commits = after.writes-before[i].writes, after.commits-before[i].commits
		}
	}
	for _, err := range errs {
		if err != nil {
			return nil, nil, err
		}
	}
	return out, us, nil
}

func (r *runner) warmUp(ctx context.Context) error {
	g, err := r.guestPage(ctx)
	if err != nil {
		return err
	}
	if err := r.ref.load(ctx, routes{r.ds.threadURL: g}); err != nil {
		return err
	}
	step("Warming up for 2s each")
	for _, srv := range []*server{r.hearth, r.ref} {
		s := r.spec("warmup", srv.base+r.ds.threadURL, script("read", false))
		s.duration = 2 * time.Second
		if _, _, err := r.measure(ctx, srv, "", s); err != nil {
			return err
		}
	}
	return nil
}

func (r *runner) guestPage(ctx context.Context) (*response, error) {
	if r.guest != nil {
		return r.guest, nil
	}
	g, err := captureOK(ctx, r.hearth.base, r.ds.threadURL, nil)
	if err != nil {
		return nil, err
	}
	r.guest = g
	return g, nil
}

// captureOK captures uri and insists on a 200: a redirect or an error page
// would measure the wrong thing.
func captureOK(ctx context.Context, base, uri string, h http.Header) (*response, error) {
	res, err := capture(ctx, base, uri, h)
	if err != nil {
		return nil, err
	}
	if res.Status != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d, want 200 (Location %q)", uri, res.Status, res.Header.Get("Location"))
	}
	return res, nil
}

// read is a read scenario: uri with the request headers h.
func (r *runner) read(ctx context.Context, uri string, h http.Header) (*result, error) {
	page, err := captureOK(ctx, r.hearth.base, uri, h)
	if err != nil {
		return nil, err
	}
	return r.readCaptured(ctx, uri, h, page)
}

func (r *runner) readCaptured(ctx context.Context, uri string, h http.Header, page *response) (*result, error) {
	if err := r.ref.load(ctx, routes{uri: page}); err != nil {
		return nil, err
	}
	res := &result{URL: uri, PageBytes: len(page.Body)}
	if err := r.compare(ctx, res, func(srv *server) wrkSpec {
		s := r.spec("read", srv.base+uri, script("read", false))
		s.header = h
		return s
	}); err != nil {
		return nil, err
	}
	return res, nil
}

// compare runs the same load, made by mk, against Hearth and then the
// reference server, back to back, and fills in both sides and the ratio.
func (r *runner) compare(ctx context.Context, res *result, mk func(srv *server) wrkSpec) error {
	var sides [2]*side
	for i, srv := range []*server{r.hearth, r.ref} {
		s := mk(srv)
		w, u, err := r.measure(ctx, srv, r.current, s)
		if err != nil {
			return err
		}
		sides[i] = newSide(w[0], u, s)
	}
	res.Hearth, res.Reference = sides[0], sides[1]
	res.Ratio = ratio(res.Hearth.RPS, res.Reference.RPS)
	return nil
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func (r *runner) memberThread(ctx context.Context) (*result, error) {
	cookie, err := webLogin(ctx, r.hearth.base, r.ds.members[0])
	if err != nil {
		return nil, err
	}
	h := http.Header{"Cookie": {cookie}}
	res, err := r.read(ctx, r.ds.threadURL, h)
	if err != nil {
		return nil, err
	}
	res.Notes = "logged in as " + r.ds.members[0].Email + ": the member's view (unread markers, likes, bookmarks, the bell, the reply box)"
	return res, nil
}

// search runs many distinct queries (ds.searches: one word, two words,
// phrases), each a guest's search on the results page, at a concurrency of
// one request per core: the p95 is the latency a member sees, not the time
// spent queueing behind 32 connections. There is no reference server:
// these pages are not the same bytes each time.
func (r *runner) search(ctx context.Context) (*result, error) {
	first := r.ds.searches[0]
	page, err := capture(ctx, r.hearth.base, first, nil)
	if err != nil {
		return nil, err
	}
	if page.Status != http.StatusOK {
		return &result{URL: first, Skipped: fmt.Sprintf("no search (GET %s: %d)", first, page.Status)}, nil
	}
	data := filepath.Join(r.work, "search.txt")
	if err := writeDataFile(data, nil, nil, r.ds.searches); err != nil {
		return nil, err
	}
	s := r.spec("search", r.hearth.base+"/", script("mixed", true))
	s.args = []string{data, "0"} // mixed.lua with no replies: random reads from the list
	s.connections, s.threads = 2, 2
	w, u, err := r.measure(ctx, r.hearth, "search", s)
	if err != nil {
		return nil, err
	}
	res := &result{URL: "/search?q=…", PageBytes: len(page.Body), Hearth: newSide(w[0], u, s),
		Notes: fmt.Sprintf("%d distinct queries (a third each: one word, two words, a phrase), 2 connections", len(r.ds.searches))}
	return res, nil
}

// apiTokens logs ~200 members in through the API, once.
func (r *runner) apiTokens(ctx context.Context) ([]string, error) {
	if r.tokens != nil {
		return r.tokens, nil
	}
	step("    logging %d members in through the API", len(r.ds.members))
	start := time.Now()
	t, err := apiTokens(ctx, r.hearth.base, r.ds.members)
	if err != nil {
		return nil, err
	}
	step("    %d tokens in %s", len(t), time.Since(start).Round(time.Millisecond))
	r.tokens = t
	return t, nil
}

// dataFile writes the Lua data file with the tokens, the threads to reply
// to and the given reads.
func (r *runner) dataFile(ctx context.Context, name string, reads []string) (string, error) {
	tokens, err := r.apiTokens(ctx)
	if err != nil {
		return "", err
	}
	path := filepath.Join(r.work, name+".txt")
	return path, writeDataFile(path, tokens, r.ds.postThreads, reads)
}

func (r *runner) posting(ctx context.Context) (*result, error) {
	data, err := r.dataFile(ctx, "posting", nil)
	if err != nil {
		return nil, err
	}
	if err := r.ref.load(ctx, routes{}); err != nil {
		return nil, err
	}
	res := &result{URL: "POST /api/v1/threads/{id}/posts", Notes: fmt.Sprintf("%d members, %d threads", len(r.tokens), len(r.ds.postThreads))}
	if err := r.compare(ctx, res, func(srv *server) wrkSpec {
		s := r.spec("posting", srv.base+"/", script("posting", true))
		s.args = []string{data}
		return s
	}); err != nil {
		return nil, err
	}
	res.RepliesPerSec = replies(res.Hearth)
	return res, nil
}

// replies is the rate of successful requests.
func replies(s *side) float64 {
	if s.Requests == 0 {
		return 0
	}
	return s.RPS * float64(s.Requests-s.Errors) / float64(s.Requests)
}

// postingWithReads runs the guest thread page reads with half the
// connections, alone, then alongside the posting load on the other half.
func (r *runner) postingWithReads(ctx context.Context) (*result, error) {
	return r.readsWhilePosting(ctx, 0)
}

// pacedPostingWithReads is posting-with-reads with the replies at about
// -paced-rate a second rather than as fast as they go: a closed loop of
// posters as fast as they go takes half of a 2-core machine from the reads,
// so their latency doubles by Little's law whatever a reply costs; a steady
// rate, far above a busy forum's, shows what reads pay for each reply.
func (r *runner) pacedPostingWithReads(ctx context.Context) (*result, error) {
	return r.readsWhilePosting(ctx, r.o.pacedRate)
}

// readsWhilePosting measures guest reads alone, then with replies beside
// them on as many connections: as fast as they go (rate 0) or at about
// rate a second.
func (r *runner) readsWhilePosting(ctx context.Context, rate int) (*result, error) {
	g, err := r.guestPage(ctx)
	if err != nil {
		return nil, err
	}
	data, err := r.dataFile(ctx, "posting", nil)
	if err != nil {
		return nil, err
	}
	if err := r.ref.load(ctx, routes{r.ds.threadURL: g}); err != nil {
		return nil, err
	}
	readSpec := func(srv *server) wrkSpec {
		return r.half(r.spec("read", srv.base+r.ds.threadURL, script("read", false)))
	}
	conns := max(1, r.o.connections/2)
	postSpec := func(srv *server) wrkSpec {
		s := r.half(r.spec("posting", srv.base+"/", script("posting", true)))
		s.args = []string{data}
		if rate > 0 {
			s.script = script("posting", true, "posting_paced")
			s.args = append(s.args, strconv.Itoa(max(1, conns*1000/rate))) // each connection's pause, ms
		}
		return s
	}
	res := &result{URL: r.ds.threadURL, PageBytes: len(g.Body),
		Notes: fmt.Sprintf("reads and replies on %d connections each", conns)}
	if rate > 0 {
		res.Notes += fmt.Sprintf(", the replies paced to about %d/s", rate)
	}

	rs := readSpec(r.hearth)
	w, u, err := r.measure(ctx, r.hearth, "", rs)
	if err != nil {
		return nil, err
	}
	res.ReadsAlone = newSide(w[0], u, rs)

	ps := postSpec(r.hearth)
	w, u, err = r.measure(ctx, r.hearth, r.current, rs, ps)
	if err != nil {
		return nil, err
	}
	res.Hearth, res.Posting = newSide(w[0], u, rs), newSide(w[1], u, ps)
	res.RepliesPerSec = replies(res.Posting)

	rs, ps = readSpec(r.ref), postSpec(r.ref)
	w, u, err = r.measure(ctx, r.ref, "", rs, ps)
	if err != nil {
		return nil, err
	}
	res.Reference = newSide(w[0], u, rs)
	w, u, err = r.measure(ctx, r.ref, "", rs)
	if err != nil {
		return nil, err
	}
	res.RefReadsAlone = newSide(w[0], u, rs)
	res.Ratio = ratio(res.Hearth.RPS, res.Reference.RPS)
	res.P50Factor = ratio(res.Hearth.P50ms, res.ReadsAlone.P50ms)
	res.P99Factor = ratio(res.Hearth.P99ms, res.ReadsAlone.P99ms)
	res.RefP99Factor = ratio(res.Reference.P99ms, res.RefReadsAlone.P99ms)
	return res, nil
}

// mixed is 95% guest reads (thread page 14 : front page 3 : category 2)
// and 5% replies.
func (r *runner) mixed(ctx context.Context) (*result, error) {
	g, err := r.guestPage(ctx)
	if err != nil {
		return nil, err
	}
	front, err := captureOK(ctx, r.hearth.base, "/", nil)
	if err != nil {
		return nil, err
	}
	cat, err := captureOK(ctx, r.hearth.base, r.ds.categoryURL, nil)
	if err != nil {
		return nil, err
	}
	var reads []string
	for i := 0; i < 14; i++ {
		reads = append(reads, r.ds.threadURL)
	}
	reads = append(reads, "/", "/", "/", r.ds.categoryURL, r.ds.categoryURL)
	data, err := r.dataFile(ctx, "mixed", reads)
	if err != nil {
		return nil, err
	}
	if err := r.ref.load(ctx, routes{r.ds.threadURL: g, "/": front, r.ds.categoryURL: cat}); err != nil {
		return nil, err
	}
	res := &result{URL: "thread 14 : front 3 : category 2, plus 5% replies"}
	if err := r.compare(ctx, res, func(srv *server) wrkSpec {
		s := r.spec("mixed", srv.base+"/", script("mixed", true))
		s.args = []string{data, "0.05"}
		return s
	}); err != nil {
		return nil, err
	}
	return res, nil
}

// compressed asks for the guest thread page as a browser does. The
// reference replays the same compressed bytes.
func (r *runner) compressed(ctx context.Context) (*result, error) {
	h := http.Header{"Accept-Encoding": {"gzip, br"}}
	page, err := captureOK(ctx, r.hearth.base, r.ds.threadURL, h)
	if err != nil {
		return nil, err
	}
	enc := page.Header.Get("Content-Encoding")
	if enc == "" {
		return &result{URL: r.ds.threadURL, Skipped: "Hearth does not compress yet (no Content-Encoding for Accept-Encoding: gzip, br)"}, nil
	}
	res, err := r.readCaptured(ctx, r.ds.threadURL, h, page)
	if err != nil {
		return nil, err
	}
	res.Notes = fmt.Sprintf("Accept-Encoding: gzip, br → Content-Encoding: %s", enc)
	if g, err := r.guestPage(ctx); err == nil && len(g.Body) > 0 {
		res.Notes += fmt.Sprintf(", %d → %d bytes", len(g.Body), len(page.Body))
	}
	if enc != "br" {
		res.Notes += "; Hearth does not answer br"
		return res, nil
	}
	// Hearth answers br: measure its gzip too, for browsers without br.
	h = http.Header{"Accept-Encoding": {"gzip"}}
	gz, err := captureOK(ctx, r.hearth.base, r.ds.threadURL, h)
	if err != nil {
		return nil, err
	}
	if gz.Header.Get("Content-Encoding") != "gzip" {
		return res, nil
	}
	r.current = "compressed-gzip"
	more, err := r.readCaptured(ctx, r.ds.threadURL, h, gz)
	if err != nil {
		return nil, err
	}
	more.Name, more.Title = "compressed-gzip", "guest thread page, gzip"
	more.Notes = fmt.Sprintf("Accept-Encoding: gzip → Content-Encoding: gzip, %d bytes", len(gz.Body))
	res.more = append(res.more, more)
	return res, nil
}
