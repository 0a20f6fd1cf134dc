package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// procs tracks every child the harness starts, each in its own process
// group, so that stopAll (deferred, and reached on Ctrl+C or SIGTERM through
// the cancelled context) leaves nothing behind.
type procs struct {
	mu       sync.Mutex
	children []*child
}

func newProcs() *procs { return &procs{} }

// prepare puts cmd (made by exec.CommandContext) in its own process group,
// kills the group when the context ends and asks the kernel to kill it should the harness
// die without cleaning up.
func (p *procs) prepare(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return killGroup(cmd, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
}

// child is a long-running process the harness started.
type child struct {
	cmd    *exec.Cmd
	pid    int
	exited chan struct{} // closed when the process has exited
	err    error         // its Wait error, once exited
}

// start starts a long-running child and remembers it for stopAll. cmd must
// come from exec.CommandContext.
func (p *procs) start(cmd *exec.Cmd) (*child, error) {
	p.prepare(cmd)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, pid: cmd.Process.Pid, exited: make(chan struct{})}
	go func() { c.err = cmd.Wait(); close(c.exited) }()
	p.mu.Lock()
	p.children = append(p.children, c)
	p.mu.Unlock()
	return c, nil
}

// stopAll sends SIGTERM to every remembered child's group, waits up to 5s
// for each to exit, then kills what is left.
func (p *procs) stopAll() {
	p.mu.Lock()
	cs := p.children
	p.children = nil
	p.mu.Unlock()
	for _, c := range cs {
		killGroup(c.cmd, syscall.SIGTERM)
	}
	for _, c := range cs {
		select {
		case <-c.exited:
		case <-time.After(5 * time.Second):
			killGroup(c.cmd, syscall.SIGKILL)
			<-c.exited
		}
	}
}

// stop stops one child as stopAll does, and forgets it.
func (p *procs) stop(c *child) {
	p.mu.Lock()
	p.children = slices.DeleteFunc(p.children, func(x *child) bool { return x == c })
	p.mu.Unlock()
	killGroup(c.cmd, syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(5 * time.Second):
		killGroup(c.cmd, syscall.SIGKILL)
		<-c.exited
	}
}

func killGroup(c *exec.Cmd, sig syscall.Signal) error {
	if c.Process == nil {
		return nil
	}
	return syscall.Kill(-c.Process.Pid, sig)
}

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat:
// 100 on every Linux architecture Go supports.
const clockTicks = 100

// cpuTicks returns utime+stime of pid.
func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces; the fields after it are fixed.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	return ut + st, nil
}

// rssKB returns the resident set size of pid in KiB (VmRSS).
func rssKB(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// usage is what a process used over one measured run.
type usage struct {
	PeakRSSMB float64 `json:"peak_rss_mb"`
	EndRSSMB  float64 `json:"end_rss_mb"`
	CPUPct    float64 `json:"cpu_pct"` // % of one core
	// Writes and Commits are Hearth's group commit over the run (from
	// /metrics): writes per commit is its mean batch.
	Writes  int64 `json:"writes,omitempty"`
	Commits int64 `json:"commits,omitempty"`
}

// sampler samples a process's RSS every 100ms and its CPU time at the
// start and end of a run.
type sampler struct {
	pid     int
	start   time.Time
	ticks0  int64
	peakKB  int64
	stopped chan struct{}
	done    chan struct{}
}

func startSampler(pid int) *sampler {
	s := &sampler{pid: pid, start: time.Now(), stopped: make(chan struct{}), done: make(chan struct{})}
	s.ticks0, _ = cpuTicks(pid)
	s.peakKB, _ = rssKB(pid)
	go func() {
		defer close(s.done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-s.stopped:
				return
			case <-t.C:
				if kb, err := rssKB(pid); err == nil && kb > s.peakKB {
					s.peakKB = kb
				}
			}
		}
	}()
	return s
}

func (s *sampler) stop() usage {
	close(s.stopped)
	<-s.done
	wall := time.Since(s.start).Seconds()
	ticks, _ := cpuTicks(s.pid)
	end, _ := rssKB(s.pid)
	if end > s.peakKB {
		s.peakKB = end
	}
	u := usage{PeakRSSMB: float64(s.peakKB) / 1024, EndRSSMB: float64(end) / 1024}
	if wall > 0 {
		u.CPUPct = float64(ticks-s.ticks0) / clockTicks / wall * 100
	}
	return u
}

// groupCommits is what Hearth's /metrics says of its group commit.
type groupCommits struct {
	writes, commits int64
	ok              bool
}

// scrapeGroupCommits reads srv's group commit counters; ok is false for
// the reference server, which has no /metrics.
func scrapeGroupCommits(ctx context.Context, srv *server) groupCommits {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", srv.base+"/metrics", nil)
	if err != nil {
		return groupCommits{}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return groupCommits{}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return groupCommits{}
	}
	var g groupCommits
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		var dst *int64
		switch name {
		case "hearth_db_group_writes_total":
			dst = &g.writes
		case "hearth_db_group_commits_total":
			dst = &g.commits
		default:
			continue
		}
		f, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return groupCommits{}
		}
		*dst = int64(f)
		g.ok = true
	}
	return g
}
