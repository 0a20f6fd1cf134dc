package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// report is the whole run, as printed and written to JSON.
type report struct {
	Date       string           `json:"date"`
	Engine     string           `json:"engine"`             // sqlite or postgres
	EngineInfo string           `json:"engine_info"`        // PostgreSQL's version and commit settings
	Database   string           `json:"database,omitempty"` // the -db DSN, without its password
	Command    string           `json:"command"`
	Machine    machine          `json:"machine"`
	Data       map[string]int64 `json:"data"`       // rows in the database at the start
	SeedPosts  int              `json:"seed_posts"` // the size asked of hearth seed (the posting scenarios add to Data's)
	DataDir    string           `json:"data_dir"`
	Duration   string           `json:"duration_per_run"`
	Conns      int              `json:"connections"`
	Threads    int              `json:"wrk_threads"`
	PacedRate  int              `json:"paced_rate"` // replies/s asked of paced-posting-with-reads
	StartupMs  float64          `json:"startup_ms"`
	IdleRSSMB  float64          `json:"idle_rss_mb"`            // Hearth's RSS right after start-up
	LoginRSSMB float64          `json:"login_rss_mb,omitempty"` // after ~200 API logins (argon2id)
	EndRSSMB   float64          `json:"end_rss_mb"`             // and after the run
	PeakRSSMB  float64          `json:"peak_rss_mb"`            // the highest sampled under load
	LoadStart  string           `json:"loadavg_start"`          // /proc/loadavg: a busy machine skews everything
	LoadEnd    string           `json:"loadavg_end"`
	Scenarios  []*result        `json:"scenarios"`
	Targets    []target         `json:"targets"`
	Profiles   []profileRun     `json:"profiles,omitempty"`
}

type machine struct {
	CPUs      int    `json:"cpus"`
	CPUModel  string `json:"cpu_model"`
	MemTotal  string `json:"mem_total"`
	Kernel    string `json:"kernel"`
	GoVersion string `json:"go_version"`
	Wrk       string `json:"wrk"`
}

// target is one of the targets, met or not.
type target struct {
	Name   string `json:"name"`
	Status string `json:"status"` // met, missed, not measured
	Detail string `json:"detail"`
}

func newReport(r *runner) *report {
	rep := &report{
		Date:      time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		Engine:    "sqlite",
		Command:   commandLine(r.o.args),
		Machine:   machineInfo(),
		Data:      r.ds.counts,
		DataDir:   rel(r.o.root, r.o.data),
		Duration:  r.o.duration.String(),
		Conns:     r.o.connections,
		SeedPosts: r.o.posts,
		Threads:   r.o.wrkThreads,
		PacedRate: r.o.pacedRate,
	}
	rep.EngineInfo = r.ds.engine
	if r.o.db != "" {
		rep.Engine, rep.Database = "postgres", redactDSN(r.o.db)
	}
	rep.LoadStart = loadAvg()
	rep.StartupMs = float64(r.hearth.startup.Microseconds()) / 1000
	if kb, err := rssKB(r.hearth.pid); err == nil {
		rep.IdleRSSMB = float64(kb) / 1024
	}
	return rep
}

// loadAvg is the first three fields of /proc/loadavg.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], ", ")
}

func commandLine(args []string) string {
	parts := []string{"go", "run", "./bench"}
	for _, a := range args {
		if strings.ContainsAny(a, " \t'\"$\\*?;&|<>()") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

func machineInfo() machine {
	m := machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), Wrk: wrkVersion()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				var kb int64
				fmt.Sscan(strings.TrimSpace(v), &kb)
				m.MemTotal = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

// finish records the final memory and checks the targets.
func (rep *report) finish(o *options, h *server) {
	rep.LoadEnd = loadAvg()
	if kb, err := rssKB(h.pid); err == nil {
		rep.EndRSSMB = float64(kb) / 1024
	}
	for _, s := range rep.Scenarios {
		for _, sd := range []*side{s.Hearth, s.ReadsAlone, s.NodeA, s.NodeB} {
			if s.Name == "two-nodes" && sd == s.Hearth {
				continue // both nodes' RSS added up
			}
			if sd != nil && sd.Usage != nil && sd.Usage.PeakRSSMB > rep.PeakRSSMB {
				rep.PeakRSSMB = sd.Usage.PeakRSSMB
			}
		}
	}
	rep.Targets = rep.checkTargets(o)
}

func (rep *report) find(name string) *result {
	for _, s := range rep.Scenarios {
		if s.Name == name && s.Skipped == "" && s.Hearth != nil {
			return s
		}
	}
	return nil
}

func (rep *report) checkTargets(o *options) []target {
	var ts []target
	add := func(name string, measured, ok bool, detail string) {
		st := "not measured"
		if measured {
			st = "missed"
			if ok {
				st = "met"
			}
		}
		ts = append(ts, target{name, st, detail})
	}
	notRun := "scenario not run"
	ratio := func(name, target string, min float64) {
		if s := rep.find(name); s != nil {
			add(target, true, s.Ratio >= min, fmt.Sprintf("%.0f%% (%.0f vs %.0f req/s)", s.Ratio*100, s.Hearth.RPS, s.Reference.RPS))
		} else {
			add(target, false, false, notRun)
		}
	}
	ratio("guest-thread", "guest thread page (20 posts) ≥ 80% of the reference", 0.80)
	ratio("guest-small", "guest thread page of a few KB ≥ 60% of the reference", 0.60)
	ratio("member-thread", "member thread page ≥ 60% of the reference", 0.60)
	ratio("mixed", "mixed workload (95% reads) ≥ 50% of the reference", 0.50)
	// The posting targets differ by engine.
	postName, postMin := "posting ≥ 2,000 durable replies/s without errors", 2000.0
	if rep.Engine == "postgres" {
		postName, postMin = "posting on PostgreSQL ≥ 1,500 durable replies/s from 200 members into 500 threads, without errors", 1500
	}
	if s := rep.find("posting"); s != nil {
		add(postName, true, s.RepliesPerSec >= postMin && s.Hearth.Errors == 0,
			fmt.Sprintf("%.0f replies/s, %d errors %s (%s)", s.RepliesPerSec, s.Hearth.Errors, statuses(s.Hearth), s.Notes))
	} else {
		add(postName, false, false, notRun)
	}
	for _, w := range []struct{ scenario, target string }{
		{"posting-with-reads", "reads while posting within 1.5x of their p99 alone"},
		{"paced-posting-with-reads", fmt.Sprintf("reads while replies come at about %d/s within 1.5x of their p99 alone", rep.PacedRate)},
	} {
		if s := rep.find(w.scenario); s != nil {
			m := fmt.Sprintf("p50 %.1f → %.1f ms (x%.2f), p99 %.1f → %.1f ms (x%.2f), %.0f replies/s meanwhile",
				s.ReadsAlone.P50ms, s.Hearth.P50ms, s.P50Factor, s.ReadsAlone.P99ms, s.Hearth.P99ms, s.P99Factor, s.RepliesPerSec)
			if s.RefReadsAlone != nil {
				m += fmt.Sprintf("; the reference's p99 beside the same load %.1f → %.1f ms (x%.2f)",
					s.RefReadsAlone.P99ms, s.Reference.P99ms, s.RefP99Factor)
			}
			add(w.target, true, s.P99Factor <= 1.5, m)
		} else {
			add(w.target, false, false, notRun)
		}
	}
	if rep.Engine == "postgres" {
		if s := rep.find("two-nodes"); s != nil && len(s.PropagationMs) > 0 {
			add("a reply on node a shows on node b's next page within 1 s", true, s.PropagationMaxMs <= 1000,
				fmt.Sprintf("median %.0f ms, max %.0f ms over %d replies", s.PropagationMedianMs, s.PropagationMaxMs, len(s.PropagationMs)))
		} else {
			add("a reply on node a shows on node b's next page within 1 s", false, false, notRun)
		}
	}
	if s := rep.find("search"); s != nil {
		add("search p95 < 20 ms", true, s.Hearth.P95ms < 20,
			fmt.Sprintf("p95 %.1f ms, p99 %.1f ms, %.0f searches/s (%s)", s.Hearth.P95ms, s.Hearth.P99ms, s.Hearth.RPS, s.Notes))
	} else {
		detail := notRun
		for _, s := range rep.Scenarios {
			if s.Name == "search" {
				detail = s.Skipped
			}
		}
		add("search p95 < 20 ms", false, false, detail)
	}
	add("RSS < 100 MB under load", rep.PeakRSSMB > 0, rep.PeakRSSMB < 100,
		fmt.Sprintf("peak %.0f MB (idle %.0f MB, at the end %.0f MB)", rep.PeakRSSMB, rep.IdleRSSMB, rep.EndRSSMB))
	add("start-up < 1 s", true, rep.StartupMs < 1000, fmt.Sprintf("%.0f ms from exec to the first 200 on /healthz", rep.StartupMs))
	return ts
}

func statuses(s *side) string {
	if len(s.Statuses) == 0 {
		return ""
	}
	var parts []string
	for k, v := range s.Statuses {
		parts = append(parts, fmt.Sprintf("%s: %d", k, v))
	}
	return "(statuses " + strings.Join(parts, ", ") + ")"
}

// markdown renders the report for the terminal and the README.
func (rep *report) markdown() string {
	var b strings.Builder
	m := rep.Machine
	fmt.Fprintf(&b, "## Hearth load test on %s, %s\n\n", engineName(rep.Engine), rep.Date)
	fmt.Fprintf(&b, "- command: `%s`\n", rep.Command)
	fmt.Fprintf(&b, "- machine: %d CPUs, %s, %s RAM, Linux %s, %s, %s\n", m.CPUs, m.CPUModel, m.MemTotal, m.Kernel, m.GoVersion, m.Wrk)
	where := rep.DataDir
	if rep.Database != "" {
		where = rep.Database
	}
	fmt.Fprintf(&b, "- data: %d members, %d categories, %d threads, %d posts (%s, %s)\n",
		rep.Data["members"], rep.Data["categories"], rep.Data["threads"], rep.Data["posts"], rep.EngineInfo, where)
	fmt.Fprintf(&b, "- load: wrk -t%d -c%d -d%s on loopback, Hearth then the reference server (same bytes from memory) per scenario\n",
		rep.Threads, rep.Conns, rep.Duration)
	fmt.Fprintf(&b, "- load average (1, 5, 15 min) before the run: %s, after: %s (other work on the machine skews absolute numbers; ratios are measured back to back)\n",
		rep.LoadStart, rep.LoadEnd)
	fmt.Fprintf(&b, "- start-up: %.0f ms; Hearth RSS idle %.0f MB", rep.StartupMs, rep.IdleRSSMB)
	if rep.LoginRSSMB > 0 {
		fmt.Fprintf(&b, ", after the API logins %.0f MB", rep.LoginRSSMB)
	}
	fmt.Fprintf(&b, ", peak under load %.0f MB, at the end %.0f MB\n\n", rep.PeakRSSMB, rep.EndRSSMB)

	b.WriteString("| scenario | Hearth req/s | p50 ms | p90 ms | p99 ms | errors | reference req/s | ref p99 ms | ratio | page KB | RSS MB | CPU % |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	row := func(name string, h, ref *side, ratio float64, pageBytes int) {
		cells := []string{name}
		cells = append(cells, sideCells(h)...)
		if ref != nil {
			cells = append(cells, fmt.Sprintf("%.0f", ref.RPS), fmt.Sprintf("%.1f", ref.P99ms), fmt.Sprintf("%.0f%%", ratio*100))
		} else {
			cells = append(cells, "", "", "")
		}
		if pageBytes > 0 {
			cells = append(cells, fmt.Sprintf("%.1f", float64(pageBytes)/1024))
		} else {
			cells = append(cells, "")
		}
		if h.Usage != nil {
			cells = append(cells, fmt.Sprintf("%.0f", h.Usage.PeakRSSMB), fmt.Sprintf("%.0f", h.Usage.CPUPct))
		} else {
			cells = append(cells, "", "")
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	var notes []string
	for _, s := range rep.Scenarios {
		switch {
		case s.Skipped != "":
			fmt.Fprintf(&b, "| %s | skipped: %s |  |  |  |  |  |  |  |  |  |  |\n", s.Name, s.Skipped)
		case s.Name == "posting-with-reads" || s.Name == "paced-posting-with-reads":
			row(s.Name+": reads alone", s.ReadsAlone, nil, 0, s.PageBytes)
			row(s.Name+": reads meanwhile", s.Hearth, s.Reference, s.Ratio, s.PageBytes)
			row(s.Name+": replies meanwhile", s.Posting, nil, 0, 0)
		case s.Name == "two-nodes":
			row(s.Name+": reads on node b alone", s.ReadsAlone, nil, 0, s.PageBytes)
			row(s.Name+": reads on node a (takes the replies)", s.NodeA, nil, 0, s.PageBytes)
			row(s.Name+": reads on node b", s.NodeB, nil, 0, s.PageBytes)
			row(s.Name+": reads on both nodes", s.Hearth, s.Reference, s.Ratio, s.PageBytes)
			row(s.Name+": replies on node a", s.Posting, nil, 0, 0)
		default:
			row(s.Name, s.Hearth, s.Reference, s.Ratio, s.PageBytes)
		}
		if s.Notes != "" {
			notes = append(notes, fmt.Sprintf("- %s: %s", s.Name, s.Notes))
		}
		if s.RepliesPerSec > 0 {
			notes = append(notes, fmt.Sprintf("- %s: %.0f replies/s succeeded", s.Name, s.RepliesPerSec))
		}
		if u := hearthUsage(s); u != nil && u.Commits > 0 {
			notes = append(notes, fmt.Sprintf("- %s: group commit %d writes in %d commits (%.1f a commit)",
				s.Name, u.Writes, u.Commits, float64(u.Writes)/float64(u.Commits)))
		}
		if s.NodeB != nil {
			notes = append(notes, fmt.Sprintf("- %s: node b's read p50 %.2f → %.2f ms (x%.2f), p99 %.2f → %.2f ms (x%.2f) alone → while node a takes replies",
				s.Name, s.ReadsAlone.P50ms, s.NodeB.P50ms, s.P50Factor, s.ReadsAlone.P99ms, s.NodeB.P99ms, s.P99Factor))
		}
		if len(s.PropagationMs) > 0 {
			notes = append(notes, fmt.Sprintf("- %s: a reply acknowledged by node a showed on node b's guest thread page after median %.1f ms, max %.1f ms (%s ms)",
				s.Name, s.PropagationMedianMs, s.PropagationMaxMs, joinMs(s.PropagationMs)))
		}
	}
	b.WriteString("\nRSS is Hearth's peak resident memory during the run (sampled every 100 ms); CPU is Hearth's user+system time as % of one core (200% = both cores of a 2-core machine). Errors are socket errors and error statuses (every non-2xx for the posting scripts).\n")
	if len(notes) > 0 {
		b.WriteString("\n" + strings.Join(notes, "\n") + "\n")
	}
	b.WriteString("\n| target | | measured |\n|---|---|---|\n")
	for _, t := range rep.Targets {
		mark := map[string]string{"met": "✅ met", "missed": "❌ missed"}[t.Status]
		if mark == "" {
			mark = "— " + t.Status
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", t.Name, mark, t.Detail)
	}
	if len(rep.Profiles) > 0 {
		b.WriteString("\nCPU profiles of Hearth during each scenario (`go tool pprof -top -cum FILE`): its 10 own functions of the highest cumulative share, cum% (flat%), leaving out closures under 1% flat (the middleware chain, which only passes the request on).\n\n")
		for _, p := range rep.Profiles {
			if p.Err != "" {
				fmt.Fprintf(&b, "- %s (%s): %s\n", p.Scenario, p.File, p.Err)
				continue
			}
			var parts []string
			for _, f := range p.Top {
				parts = append(parts, fmt.Sprintf("`%s` %.1f%% (%.1f%%)", shortFunc(f.Name), f.CumPct, f.FlatPct))
			}
			fmt.Fprintf(&b, "- %s (`%s`): %s\n", p.Scenario, p.File, strings.Join(parts, ", "))
		}
	}
	return b.String()
}

func sideCells(s *side) []string {
	return []string{
		fmt.Sprintf("%.0f", s.RPS), fmt.Sprintf("%.2f", s.P50ms), fmt.Sprintf("%.2f", s.P90ms),
		fmt.Sprintf("%.2f", s.P99ms), fmt.Sprintf("%d", s.Errors),
	}
}

func mdPath(jsonPath string) string {
	return strings.TrimSuffix(jsonPath, filepath.Ext(jsonPath)) + ".md"
}

// write saves the JSON report and the Markdown next to it.
func (rep *report) write(path, md string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.WriteFile(mdPath(path), []byte(md), 0o644)
}

func engineName(e string) string {
	if e == "postgres" {
		return "PostgreSQL"
	}
	return "SQLite"
}

func joinMs(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprintf("%.0f", x)
	}
	return strings.Join(parts, ", ")
}

// compareTarget is the growth target: the mixed workload on the
// larger data set (5,000,000 posts) no more than 10% lower, as a share of
// the reference, than on the smaller one (500,000), this run against an
// earlier results file, whichever of the two is the larger.
func compareTarget(rep *report, path string) target {
	const name = "mixed at 5,000,000 posts no more than 10% lower than at 500,000 (-compare)"
	b, err := os.ReadFile(path)
	if err != nil {
		return target{name, "not measured", err.Error()}
	}
	var prev report
	if err := json.Unmarshal(b, &prev); err != nil {
		return target{name, "not measured", fmt.Sprintf("%s: %v", path, err)}
	}
	if prev.Engine == "" {
		prev.Engine = "sqlite" // results from before -db
	}
	return compareMixed(rep, &prev, filepath.Base(path), name)
}

func compareMixed(cur, prev *report, prevName, name string) target {
	a, b := cur.find("mixed"), prev.find("mixed")
	if a == nil || b == nil {
		return target{name, "not measured", "the mixed scenario is missing from this run or from " + prevName}
	}
	big, small, bigName, smallName := cur, prev, "this run", prevName
	bm, sm := a, b
	if prev.size() > cur.size() {
		big, small, bigName, smallName, bm, sm = prev, cur, prevName, "this run", b, a
	}
	if big.size() == small.size() {
		return target{name, "not measured", fmt.Sprintf("both runs were seeded with %d posts", big.size())}
	}
	drop := 1 - ratio(bm.Ratio, sm.Ratio)
	change := fmt.Sprintf("%.0f%% lower", drop*100)
	if drop < 0 {
		change = fmt.Sprintf("%.0f%% higher", -drop*100)
	}
	detail := fmt.Sprintf("%.0f%% of the reference at %d posts (%s, %.0f req/s) vs %.0f%% at %d posts (%s, %.0f req/s): %s",
		bm.Ratio*100, big.size(), bigName, bm.Hearth.RPS, sm.Ratio*100, small.size(), smallName, sm.Hearth.RPS, change)
	if big.Engine != small.Engine {
		detail += fmt.Sprintf(" (engines differ: %s vs %s)", big.Engine, small.Engine)
	}
	st := "missed"
	if drop <= 0.10 {
		st = "met"
	}
	return target{name, st, detail}
}

// size is the data set's seeded posts (rows counted, for files from before
// seed_posts).
func (rep *report) size() int64 {
	if rep.SeedPosts > 0 {
		return int64(rep.SeedPosts)
	}
	return rep.Data["posts"]
}

// hearthUsage is the Hearth side's usage of scenario s, or nil.
func hearthUsage(s *result) *usage {
	if s.Hearth == nil {
		return nil
	}
	return s.Hearth.Usage
}
