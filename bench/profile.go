package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// profileRun is a CPU profile taken during one scenario's Hearth run.
type profileRun struct {
	Scenario string        `json:"scenario"`
	File     string        `json:"file"`
	Err      string        `json:"error,omitempty"`
	Top      []profileFunc `json:"top,omitempty"` // Hearth's own functions
	path     string
}

// profileFunc is one line of `go tool pprof -top -cum`.
type profileFunc struct {
	Name    string  `json:"name"`
	FlatPct float64 `json:"flat_pct"`
	CumPct  float64 `json:"cum_pct"`
}

// startProfile fetches a CPU profile of srv over the next run (from its
// --pprof address) into bench/out/NAME.pprof, and returns a function that
// waits for it. Without -profile, or for the reference, it does nothing.
func (r *runner) startProfile(ctx context.Context, srv *server, name string) (wait func()) {
	if !r.o.profile || srv.pprof == "" || name == "" {
		return func() {}
	}
	// A second shorter than the run, so that it covers load only.
	secs := max(1, int(r.o.duration.Seconds())-1)
	path := filepath.Join(r.o.root, "bench", "out", name+".pprof")
	run := &profileRun{Scenario: name, File: rel(r.o.root, path), path: path}
	r.profiles = append(r.profiles, run)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := fetchProfile(ctx, srv.pprof, secs, path); err != nil {
			run.Err = err.Error()
		}
	}()
	return func() { <-done }
}

func fetchProfile(ctx context.Context, addr string, secs int, path string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(secs)*time.Second+30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, secs), nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		return fmt.Errorf("GET /debug/pprof/profile: %d %s", res.StatusCode, strings.TrimSpace(string(b)))
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// summarizeProfiles lists each profile's top Hearth functions, once every
// scenario has run (go tool pprof is no load to measure beside).
func (rep *report) summarizeProfiles(ctx context.Context, runs []*profileRun) {
	for _, p := range runs {
		if p.Err == "" {
			out, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-cum", "-nodecount=500", p.path).Output()
			if err != nil {
				p.Err = fmt.Sprintf("go tool pprof: %v", err)
			} else {
				p.Top = hearthTop(string(out), 10)
			}
		}
		rep.Profiles = append(rep.Profiles, *p)
	}
}

// closure matches an anonymous function's name, e.g.
// httpmw.Wrap.requestID.func6 or Middleware.func7.1.
var closure = regexp.MustCompile(`\.func\d+(\.\d+)*$`)

// hearthTop picks the first n functions of Hearth's own packages from the
// output of `go tool pprof -top -cum`, whose lines are
// "flat flat% sum% cum cum% name [(inline)]". Closures that do next to
// nothing themselves are left out: on every request path the middleware
// chain's ten of them would fill the list with the same cumulative share.
func hearthTop(out string, n int) []profileFunc {
	var top []profileFunc
	for line := range strings.SplitSeq(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || !strings.HasPrefix(f[5], "hearth/") {
			continue
		}
		flat, err1 := strconv.ParseFloat(strings.TrimSuffix(f[1], "%"), 64)
		cum, err2 := strconv.ParseFloat(strings.TrimSuffix(f[4], "%"), 64)
		if err1 != nil || err2 != nil {
			continue
		}
		if flat < 1 && closure.MatchString(f[5]) {
			continue // a middleware's closure: it passes the request on
		}
		top = append(top, profileFunc{Name: f[5], FlatPct: flat, CumPct: cum})
		if len(top) == n {
			break
		}
	}
	return top
}

// shortFunc drops the module's internal/ prefix: web.(*Server).thread.
func shortFunc(name string) string {
	return strings.TrimPrefix(strings.TrimPrefix(name, "hearth/"), "internal/")
}
