package main

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestProcStat(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	if _, err := cpuTicks(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	kb, err := rssKB(os.Getpid())
	if err != nil || kb <= 0 {
		t.Fatalf("rssKB = %d, %v", kb, err)
	}
}

func TestScripts(t *testing.T) {
	for _, name := range []string{"read", "posting", "mixed"} {
		s := script(name, name != "read")
		if !strings.Contains(s, "function done(") || !strings.Contains(s, "BENCHJSON") {
			t.Errorf("%s script lacks the report", name)
		}
	}
	if s := script("posting", true); !strings.Contains(s, "function load_data(") {
		t.Error("posting script lacks the data loader")
	}
}

func TestSelectScenarios(t *testing.T) {
	all, err := selectScenarios("all")
	if err != nil || len(all) != len(scenarios) {
		t.Fatalf("all: %d, %v", len(all), err)
	}
	two, err := selectScenarios("front, posting")
	if err != nil || len(two) != 2 || two[1].name != "posting" {
		t.Fatalf("two: %v, %v", two, err)
	}
	if _, err := selectScenarios("nope"); err == nil {
		t.Fatal("unknown scenario accepted")
	}
}

func TestErrorCount(t *testing.T) {
	var w wrkResult
	w.Errors.Read, w.Errors.Status, w.Non2xx = 1, 2, 5
	if got := w.errorCount(); got != 6 {
		t.Fatalf("errorCount = %d, want 6", got)
	}
	w.Requests, w.DurationUS = 500, 2_000_000
	if w.rps() != 250 {
		t.Fatalf("rps = %v", w.rps())
	}
}

func TestCommandLine(t *testing.T) {
	if got := commandLine([]string{"-small", "-scenarios", "a b"}); got != "go run ./bench -small -scenarios 'a b'" {
		t.Fatal(got)
	}
}

func TestDecideSeed(t *testing.T) {
	want := seedInfo{Members: 800, Threads: 4000, Posts: 50000}
	done := want
	done.Complete = true
	other := done
	other.Posts = 500000
	started := want // marked before the seed, never completed
	for _, tc := range []struct {
		name    string
		marker  *seedInfo
		members int64
		want    seedAction
	}{
		{"empty database", nil, 0, actSeed},
		{"somebody's forum", nil, 12, actRefuse},
		{"seeded, same sizes", &done, 801, actReuse},
		{"seeded, other sizes", &other, 801, actReset},
		{"interrupted seed", &started, 400, actReset},
		{"interrupted before any member", &started, 0, actReset},
	} {
		if got := decideSeed(tc.marker, tc.members, want); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestDSN(t *testing.T) {
	dsn := "postgres://bench:secret@db.example:5432/hearth_bench?sslmode=disable"
	if !isPostgresDSN(dsn) || !isPostgresDSN("postgresql://x/y") || isPostgresDSN("bench/out/hearth.db") {
		t.Fatal("isPostgresDSN")
	}
	if got := redactDSN(dsn); strings.Contains(got, "secret") || !strings.Contains(got, "bench@db.example:5432/hearth_bench") {
		t.Fatalf("redactDSN = %q", got)
	}
	if got := dsnDatabase(dsn); got != "hearth_bench" {
		t.Fatalf("dsnDatabase = %q", got)
	}
	admin, err := withDatabase(dsn, "postgres")
	if err != nil || admin != "postgres://bench:secret@db.example:5432/postgres?sslmode=disable" {
		t.Fatalf("withDatabase = %q, %v", admin, err)
	}
	if got := suggestDSN("postgres://postgres@127.0.0.1/postgres"); got != "postgres://postgres@127.0.0.1/hearth_bench" {
		t.Fatalf("suggestDSN = %q", got)
	}
	if got := nodeData("/x/bench/out/pg-node"); got != "/x/bench/out/pg-node-b" {
		t.Fatalf("nodeData = %q", got)
	}
}

func TestHearthTop(t *testing.T) {
	out := `File: hearth
Type: cpu
Duration: 2s, Total samples = 3.20s (160.00%)
Showing nodes accounting for 2.90s, 90.62% of 3.20s total
      flat  flat%   sum%        cum   cum%
         0     0%     0%      2.50s 78.12%  net/http.(*conn).serve
     0.01s  0.31%  0.31%      2.10s 65.62%  hearth/internal/app.(*App).Handler
         0     0%  0.31%      2.10s 65.62%  hearth/internal/httpmw.Wrap.requestID.func6
         0     0%  0.31%      2.10s 65.62%  hearth/internal/app.New.(*Metrics).Middleware.func7.1
         0     0%  0.31%      1.90s 59.38%  hearth/internal/web.(*Server).thread
     0.20s  6.25%  6.56%      0.40s 12.50%  hearth/internal/web.writePage (inline)
     0.05s  1.56%  8.12%      0.35s 10.94%  hearth/internal/web.(*Server).routes.func3
     0.30s  9.38% 15.94%      0.30s  9.38%  runtime.memmove
`
	top := hearthTop(out, 2)
	if len(top) != 2 || top[0].Name != "hearth/internal/app.(*App).Handler" || top[0].CumPct != 65.62 || top[0].FlatPct != 0.31 {
		t.Fatalf("top = %+v", top)
	}
	if all := hearthTop(out, 10); len(all) != 4 || all[2].Name != "hearth/internal/web.writePage" || all[3].Name != "hearth/internal/web.(*Server).routes.func3" {
		t.Fatalf("all = %+v", all)
	}
	if got := shortFunc(top[1].Name); got != "web.(*Server).thread" {
		t.Fatal(got)
	}
}

func TestCombine(t *testing.T) {
	ua, ub := &usage{PeakRSSMB: 40, CPUPct: 90}, &usage{PeakRSSMB: 30, CPUPct: 60}
	a := &side{RPS: 1000, Requests: 10000, Errors: 1, P99ms: 5, P50ms: 1, Statuses: map[string]int64{"200": 3}, Usage: ua, WrkConns: 16}
	b := &side{RPS: 500, Requests: 5000, P99ms: 9, P50ms: 2, Statuses: map[string]int64{"200": 2, "503": 1}, Usage: ub, WrkConns: 16}
	c := combine(a, b)
	if c.RPS != 1500 || c.Requests != 15000 || c.Errors != 1 || c.P99ms != 9 || c.P50ms != 2 || c.WrkConns != 32 {
		t.Fatalf("combine = %+v", c)
	}
	if c.Statuses["200"] != 5 || c.Statuses["503"] != 1 {
		t.Fatalf("statuses = %v", c.Statuses)
	}
	if c.Usage.PeakRSSMB != 70 || c.Usage.CPUPct != 150 {
		t.Fatalf("usage of two nodes = %+v", c.Usage)
	}
	b.Usage = ua // one server: its usage, not twice
	if c := combine(a, b); c.Usage != ua {
		t.Fatalf("usage of one server = %+v", c.Usage)
	}
}

func TestMedianMax(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var d []time.Duration
		for _, x := range v {
			d = append(d, time.Duration(x)*time.Millisecond)
		}
		return d
	}
	for _, tc := range []struct {
		in       []time.Duration
		med, max time.Duration
	}{
		{nil, 0, 0},
		{ms(7), 7 * time.Millisecond, 7 * time.Millisecond},
		{ms(30, 5, 12, 8, 400), 12 * time.Millisecond, 400 * time.Millisecond},
		{ms(4, 2, 9, 6), 6 * time.Millisecond, 9 * time.Millisecond},
	} {
		in := slices.Clone(tc.in)
		med, mx := medianMax(tc.in)
		if med != tc.med || mx != tc.max || !slices.Equal(in, tc.in) {
			t.Errorf("medianMax(%v) = %v, %v; want %v, %v (input unchanged)", in, med, mx, tc.med, tc.max)
		}
	}
}

func TestCompareMixed(t *testing.T) {
	mk := func(engine string, posts int64, r float64) *report {
		return &report{Engine: engine, Data: map[string]int64{"posts": posts},
			Scenarios: []*result{{Name: "mixed", Ratio: r, Hearth: &side{RPS: r * 10000}}}}
	}
	withSeed := func(r *report, posts int) *report { r.SeedPosts = posts; return r }
	const name = "t"
	for _, tc := range []struct {
		label     string
		cur, prev *report
		status    string
	}{
		{"5M run vs 500k file, 5% lower", mk("sqlite", 5_000_000, 0.475), mk("sqlite", 500_000, 0.50), "met"},
		{"5M run vs 500k file, 20% lower", mk("sqlite", 5_000_000, 0.40), mk("sqlite", 500_000, 0.50), "missed"},
		{"500k run vs 5M file: roles swap", mk("sqlite", 500_000, 0.50), mk("sqlite", 5_000_000, 0.49), "met"},
		{"same size", mk("sqlite", 500_000, 0.50), mk("sqlite", 500_000, 0.30), "not measured"},
		{"same seed, more rows after posting", withSeed(mk("sqlite", 500_900, 0.50), 500_000), withSeed(mk("sqlite", 500_000, 0.30), 500_000), "not measured"},
		{"no mixed in the file", mk("sqlite", 5_000_000, 0.5), &report{Data: map[string]int64{"posts": 500_000}}, "not measured"},
	} {
		got := compareMixed(tc.cur, tc.prev, "results-500k.json", name)
		if got.Status != tc.status {
			t.Errorf("%s: %s (%s), want %s", tc.label, got.Status, got.Detail, tc.status)
		}
	}
	for _, tc := range []struct {
		cur  float64
		want string
	}{{0.40, "20% lower"}, {0.60, "20% higher"}} {
		if got := compareMixed(mk("sqlite", 5_000_000, tc.cur), mk("sqlite", 500_000, 0.50), "f.json", name); !strings.HasSuffix(got.Detail, tc.want) {
			t.Errorf("mixed at %.2f against 0.50: %q, want it to end %q", tc.cur, got.Detail, tc.want)
		}
	}
	got := compareMixed(mk("postgres", 5_000_000, 0.5), mk("sqlite", 500_000, 0.5), "f.json", name)
	if !strings.Contains(got.Detail, "engines differ") {
		t.Errorf("engine mismatch not said: %s", got.Detail)
	}
}

func TestTargetsByEngine(t *testing.T) {
	sd := func(rps float64) *side { return &side{RPS: rps, Requests: 100, P99ms: 10, P50ms: 1} }
	two := &result{Name: "two-nodes", Hearth: sd(900), Reference: sd(1000), ReadsAlone: sd(500), NodeA: sd(400), NodeB: sd(500),
		Posting: sd(50), PropagationMs: []float64{20, 1200, 30}, PropagationMedianMs: 30, PropagationMaxMs: 1200}
	posting := &result{Name: "posting", Hearth: sd(1600), Reference: sd(20000), RepliesPerSec: 1600}
	status := func(rep *report, prefix string) string {
		for _, tg := range rep.Targets {
			if strings.HasPrefix(tg.Name, prefix) {
				return tg.Status
			}
		}
		return "absent"
	}
	for _, tc := range []struct {
		engine, posting, propagation, title string
	}{
		{"postgres", "met", "missed", "## Hearth load test on PostgreSQL"},
		{"sqlite", "missed", "absent", "## Hearth load test on SQLite"},
	} {
		rep := &report{Engine: tc.engine, Data: map[string]int64{}, Scenarios: []*result{posting, two}}
		rep.Targets = rep.checkTargets(nil)
		if got := status(rep, "posting"); got != tc.posting {
			t.Errorf("%s: posting target %s, want %s", tc.engine, got, tc.posting)
		}
		if got := status(rep, "a reply on node a"); got != tc.propagation {
			t.Errorf("%s: propagation target %s, want %s", tc.engine, got, tc.propagation)
		}
		md := rep.markdown()
		for _, want := range []string{tc.title, "two-nodes: reads on node b alone", "two-nodes: reads on both nodes", "median 30.0 ms, max 1200.0 ms"} {
			if !strings.Contains(md, want) {
				t.Errorf("%s: markdown lacks %q", tc.engine, want)
			}
		}
	}
}
