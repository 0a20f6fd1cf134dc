package main

import (
	"bufio"
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

//go:embed lua/*.lua
var luaFS embed.FS

// script returns the named scenario script with the shared parts: the
// data loader first (if the script needs it) and the reporting last.
func script(name string, withData bool, more ...string) string {
	var b strings.Builder
	if withData {
		b.Write(mustLua("data.lua"))
		b.WriteString("\n")
	}
	for _, n := range append([]string{name}, more...) {
		b.Write(mustLua(n + ".lua"))
		b.WriteString("\n")
	}
	b.Write(mustLua("report.lua"))
	return b.String()
}

func mustLua(name string) []byte {
	b, err := luaFS.ReadFile("lua/" + name)
	if err != nil {
		panic(err)
	}
	return b
}

// wrkSpec is one wrk run.
type wrkSpec struct {
	label       string // names the script file
	url         string // base URL plus the path wrk requests by default
	script      string // Lua source
	args        []string
	header      http.Header
	threads     int
	connections int
	duration    time.Duration
}

// wrkResult is what report.lua prints.
type wrkResult struct {
	Requests   int64 `json:"requests"`
	DurationUS int64 `json:"duration_us"`
	Bytes      int64 `json:"bytes"`
	Errors     struct {
		Connect int64 `json:"connect"`
		Read    int64 `json:"read"`
		Write   int64 `json:"write"`
		Status  int64 `json:"status"`
		Timeout int64 `json:"timeout"`
	} `json:"errors"`
	Non2xx    int64            `json:"non2xx"`
	Statuses  map[string]int64 `json:"statuses"`
	LatencyUS struct {
		Mean float64 `json:"mean"`
		Max  int64   `json:"max"`
		P50  int64   `json:"p50"`
		P90  int64   `json:"p90"`
		P95  int64   `json:"p95"`
		P99  int64   `json:"p99"`
		P999 int64   `json:"p999"`
	} `json:"latency_us"`
}

// rps is requests per second over the run.
func (w *wrkResult) rps() float64 {
	if w.DurationUS == 0 {
		return 0
	}
	return float64(w.Requests) / (float64(w.DurationUS) / 1e6)
}

// errorCount is socket errors plus error statuses: >= 400 as wrk counts
// them, or every non-2xx where the script counted responses itself.
func (w *wrkResult) errorCount() int64 {
	e := w.Errors
	return e.Connect + e.Read + e.Write + e.Timeout + max(e.Status, w.Non2xx)
}

// runWrk runs wrk and parses the JSON line report.lua prints.
func runWrk(ctx context.Context, p *procs, dir string, s wrkSpec) (*wrkResult, error) {
	f, err := os.CreateTemp(dir, s.label+"-*.lua")
	if err != nil {
		return nil, err
	}
	if _, err := f.WriteString(s.script); err != nil {
		f.Close()
		return nil, err
	}
	f.Close()
	defer os.Remove(f.Name())

	args := []string{
		"-t", strconv.Itoa(s.threads), "-c", strconv.Itoa(s.connections),
		"-d", fmt.Sprintf("%ds", int(s.duration.Round(time.Second).Seconds())),
		"--timeout", "5s", "-s", f.Name(),
	}
	for k, vs := range s.header {
		for _, v := range vs {
			args = append(args, "-H", k+": "+v)
		}
	}
	args = append(args, s.url)
	if len(s.args) > 0 {
		args = append(args, "--")
		args = append(args, s.args...)
	}
	// wrk stops on its own after the duration; the deadline only guards
	// against a hung run.
	ctx, cancel := context.WithTimeout(ctx, s.duration+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "wrk", args...)
	p.prepare(cmd)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("wrk %s: %w\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if js, ok := strings.CutPrefix(sc.Text(), "BENCHJSON "); ok {
			var r wrkResult
			if err := json.Unmarshal([]byte(js), &r); err != nil {
				return nil, fmt.Errorf("parse wrk report %q: %w", js, err)
			}
			return &r, nil
		}
	}
	return nil, fmt.Errorf("wrk printed no report:\n%s%s", stdout.String(), stderr.String())
}

// writeDataFile writes the data file data.lua loads.
func writeDataFile(path string, tokens []string, threads []int64, reads []string) error {
	var b strings.Builder
	for _, t := range tokens {
		fmt.Fprintf(&b, "token %s\n", t)
	}
	for _, id := range threads {
		fmt.Fprintf(&b, "thread %d\n", id)
	}
	for _, r := range reads {
		fmt.Fprintf(&b, "read %s\n", r)
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// wrkVersion is wrk's first line of -v, e.g. "wrk 4.1.0 [epoll] ...".
func wrkVersion() string {
	out, _ := exec.Command("wrk", "-v").CombinedOutput() // exits 1 after printing
	line, _, _ := strings.Cut(string(out), "\n")
	line, _, _ = strings.Cut(line, " Copyright")
	return strings.TrimSpace(line)
}
